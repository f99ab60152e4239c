"""Observing sites against a predicted event: the shadow centre relative to each site (`relative_to_sites`), the
closest approach and the chance of a positive chord per site (`site_predictions`, `chord_probability`), and sites
given as MPC codes or geodetic coordinates (`sites_itrs`). An event is duck-typed (an Occultation's `plane_at`,
`ephemeris`, `tdb`, `radius_km`); the geometry is `orbitfit.occultations.plane`'s."""
from __future__ import annotations

import numpy as np

from dynamics import constants as C

from ..tables import quantity_table
from ..units import to_value
from .earth import itrs_from_geodetic
from .plane import C_KM_S


def chord_probability(d_km, radius_km, sigma_km):
    """Chance that a site at cross-track distance d from the predicted centre line sees the body: with a Gaussian
    cross-track error sigma, P = Phi((r - d)/sigma) - Phi((-r - d)/sigma). sigma = 0: 1 inside, 1/2 on the
    limit, 0 outside."""
    from scipy.special import ndtr
    d = np.asarray(to_value(d_km, "km", "d_km"), dtype=float)
    r = float(to_value(radius_km, "km", "radius_km"))
    sigma = np.asarray(to_value(sigma_km, "km", "sigma_km"), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = ndtr((r - d) / sigma) - ndtr((-r - d) / sigma)
    sharp = np.where(np.abs(d) < r, 1.0, np.where(np.abs(d) == r, 0.5, 0.0))
    return np.where(sigma > 0, p, sharp)


def sites_itrs(sites):
    """(names, (n, 3) ITRS km) from MPC codes, (lon, lat, height_km) tuples or (n, 3) ITRS arrays."""
    from ..observations.observers import site_itrs_km
    if isinstance(sites, np.ndarray) and sites.ndim == 2 and sites.shape[1] == 3 and sites.dtype.kind == "f":
        return [f"site {i}" for i in range(len(sites))], sites
    names, xyz = [], []
    for site in sites:
        if isinstance(site, str):
            names.append(site)
            xyz.append(site_itrs_km(site))
        else:
            lon, lat, *height = site
            names.append(f"{lon:.3f},{lat:.3f}")
            xyz.append(itrs_from_geodetic(lon, lat, height[0] if height else 0.0))
    return names, np.array(xyz)


def relative_to_sites(event, itrs_km, tdb_seconds):
    """Shadow centre relative to sites (ITRS km, (n, 3)) at TDB instants (n,): (rel, velocity, plane, gcrs) with
    rel (n, 2) = the centre minus the site's projection on the fundamental plane (east, north; km), including the
    (X . s)/c light-time shift of the body seen from the site, velocity (n, 2) = d rel / dt (km/s; the site moves
    with the Earth's rotation), the Plane at those instants and the sites' GCRS positions (n, 3)."""
    from ..observations.observers import gcrs_matrix_and_pole, EARTH_ROTATION_RAD_S
    t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    plane = event.plane_at(t)
    matrix, pole = gcrs_matrix_and_pole(t)
    x = np.einsum("nij,nj->ni", matrix, itrs_km)
    xdot = EARTH_ROTATION_RAD_S * np.cross(pole, x)
    delay = np.einsum("ni,ni->n", x, plane.star) / C_KM_S
    rel = np.stack([plane.f + plane.body_velocity_fg[:, 0] * delay - np.einsum("ni,ni->n", x, plane.east),
                    plane.g + plane.body_velocity_fg[:, 1] * delay - np.einsum("ni,ni->n", x, plane.north)], axis=1)
    velocity = np.stack([plane.df - np.einsum("ni,ni->n", xdot, plane.east),
                         plane.dg - np.einsum("ni,ni->n", xdot, plane.north)], axis=1)
    return rel, velocity, plane, x


def site_predictions(event, sites, sigma_km=0.0, iterations=4):
    """For each site: the instant the shadow centre passes closest, that distance d (signed, positive on the left
    of the track = `Occultation.cross_track_unit`), the star's and Sun's altitude then, and the probability of a
    positive chord (`chord_probability` with the event's radius and sigma_km). Returns a QTable (`utc` Time first).

    The site moves with the Earth's rotation: its projection (xi, eta) on the plane and the shadow centre are both
    evaluated at each iterate (Newton on the relative motion, `relative_to_sites`)."""
    names, itrs = sites_itrs(sites)
    n = len(names)
    t = np.full(n, event.tdb)
    for _ in range(iterations):
        rel, velocity, plane, x = relative_to_sites(event, itrs, t)
        rel_f, rel_g = rel.T
        vf, vg = velocity.T
        t = t - (rel_f * vf + rel_g * vg) / (vf * vf + vg * vg)
    speed = np.hypot(vf, vg)
    d = (vg * rel_f - vf * rel_g) / speed                  # (site - shadow) . left-normal (-vg, vf)/|v|
    sun = event.ephemeris.position(C.SUN, t) - plane.earth_ssb[:, :3]
    sun /= np.linalg.norm(sun, axis=1)[:, None]
    xu = x / np.linalg.norm(x, axis=1)[:, None]
    star_alt = np.degrees(np.arcsin(np.einsum("ni,ni->n", xu, plane.star)))     # geocentric zenith: < 0.2 deg off
    sun_alt = np.degrees(np.arcsin(np.einsum("ni,ni->n", xu, sun)))
    return quantity_table({"site": names, "tdb": t, "d_km": d, "star_alt_deg": star_alt, "sun_alt_deg": sun_alt,
                           "probability": chord_probability(d, event.radius_km, sigma_km)},
                          meta={"radius_km": event.radius_km, "sigma_km": float(sigma_km)})
