"""One predicted occultation (`Occultation`): its geocentric elements at closest approach, the columns of the
published tables (`event_columns`), and its shadow path, site predictions and map (computed by `shadow`, `sites`
and `maps`). Geometry: `orbitfit.occultations.plane`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynamics import constants as C

from ..display import html_table
from ..tables import plain_table
from ..times import tdb_to_utc_iso, to_tdb_seconds, utc_hours
from ..units import to_value
from .earth import EARTH_RADIUS_KM
from .plane import Plane, fundamental_plane
from .stars import MAS_PER_RAD, Star


def _at_closest_approach(name, doc):
    """A read-only property: the Plane's `name` at C/A (its only instant) as a float."""
    return property(lambda self: float(getattr(self.plane, name)[0]), doc=doc)


@dataclass
class Occultation:
    """One predicted occultation: the geocentric elements at C/A and what is needed for its path on the Earth."""
    star: Star                      # one star
    target: object
    ephemeris: object
    plane: Plane                    # geometry at C/A (arrays of length 1)
    radius_km: float = 0.0
    solution: object = None
    body_mag: float | None = None
    converged: bool = True

    # elements ------------------------------------------------------------------------------------------------------
    tdb = _at_closest_approach("tdb", "instant of C/A, TDB s past J2000")
    ca_km = _at_closest_approach("ca_km", "geocentric C/A in the fundamental plane, km")
    ca_mas = _at_closest_approach("ca_mas", "geocentric C/A, mas")
    pa_deg = _at_closest_approach("pa_deg", "position angle of the body relative to the star, deg from north to east")
    velocity_km_s = _at_closest_approach("velocity_km_s", "shadow velocity, km/s (positive: moving east)")

    @property
    def utc(self):
        return tdb_to_utc_iso(self.tdb)

    @property
    def ca_arcsec(self):
        return self.ca_mas / 1000.0

    @property
    def distance_au(self):
        return float(self.plane.distance_km[0] / C.AU_KM)

    @property
    def star_radec(self):
        """Geocentric RA, Dec (deg) of the star at C/A (proper motion and parallax applied)."""
        from ..model import radec_from_unit
        ra, dec = radec_from_unit(self.plane.star)
        return float(np.degrees(ra[0])), float(np.degrees(dec[0]))

    @property
    def sub_body_longitude_deg(self):
        """East longitude (deg, [0, 360)) of the point with the body at its zenith at C/A (geocentric direction)."""
        return float(sub_body_longitude_deg(self.plane)[0])

    @property
    def local_solar_time_h(self):
        """UT + longitude / 15 at the sub-body point, hours (the LST of Gomes-Junior et al. 2016)."""
        return float((utc_hours(self.plane.tdb)[0] + self.sub_body_longitude_deg / 15.0) % 24.0)

    @property
    def mag_drop(self):
        """Magnitude drop when the star disappears: 2.5 log10(1 + 10^(0.4 (m_body - m_star))); NaN without both."""
        return float(magnitude_drop(self.star.mag, self.body_mag)[0])

    @property
    def normalised_mag(self):
        """m* = m + 2.5 log10(|v| / 20 km/s) (the R* of Gomes-Junior et al. 2016)."""
        return float(self.star.mag[0] + 2.5 * np.log10(abs(self.velocity_km_s) / 20.0))

    def as_row(self):
        return {name: np.asarray(values)[0].item() for name, values in
                event_columns(self.plane, self.star, self.body_mag).items()}

    def __repr__(self):
        return (f"Occultation({self.utc} UTC, star {self.star.source_id[0]}, C/A {self.ca_arcsec:.4f}\" "
                f"({self.ca_km:.0f} km), P/A {self.pa_deg:.2f} deg, v {self.velocity_km_s:+.2f} km/s, "
                f"D {self.distance_au:.3f} au)")

    def _repr_html_(self):
        """Jupyter's view: the published elements of the event (`event_columns`), one per row."""
        row = self.as_row()
        return html_table([(name, f"{value:.6g}" if isinstance(value, float) else value)
                           for name, value in row.items()], caption=f"Occultation at {self.utc} UTC",
                          header=("element", "value"))

    # geometry near C/A ---------------------------------------------------------------------------------------------
    def plane_at(self, tdb_seconds):
        """Plane geometry at other instants (TDB s, Time or ISO UTC), with the star's direction frozen at C/A (as
        SORA and Bessel do)."""
        t = np.atleast_1d(to_tdb_seconds(tdb_seconds, "tdb_seconds"))
        return fundamental_plane(self.target, self.star, t, self.ephemeris, rows=np.zeros(t.size, dtype=int),
                                 star_tdb=self.tdb)

    def cross_track_unit(self):
        """Unit vector (east, north) perpendicular to the shadow's motion, 90 deg counter-clockwise from it
        (on the plane seen from the star side with east to the right: the left of the track)."""
        v = np.array([self.plane.df[0], self.plane.dg[0]])
        return np.array([-v[1], v[0]]) / np.hypot(*v)

    def cross_track_sigma_km(self, solution=None, star_sigma_mas=(0.0, 0.0), star_corr=0.0):
        """1-sigma of the shadow's cross-track position, km: the solution's linear sky covariance at C/A (geocentre)
        plus the star's (RA*, Dec) sigmas in mas, both at the body's distance, projected across the track."""
        return self._sigma_km(self.cross_track_unit(), solution, star_sigma_mas, star_corr)

    def along_track_sigma_km(self, solution=None, star_sigma_mas=(0.0, 0.0), star_corr=0.0):
        """1-sigma of the shadow's position along its motion, km (as `cross_track_sigma_km`): divided by the
        velocity, the sigma of the instant the shadow passes a site."""
        n = self.cross_track_unit()
        return self._sigma_km(np.array([n[1], -n[0]]), solution, star_sigma_mas, star_corr)

    def _sigma_km(self, unit, solution, star_sigma_mas, star_corr):
        from ..products.uncertainty import sky_uncertainty
        star_sigma_mas = np.broadcast_to(to_value(star_sigma_mas, "mas", "star_sigma_mas"), (2,))
        solution = solution or self.solution
        cov = np.zeros((2, 2))
        if solution is not None:
            row = plain_table(sky_uncertainty(solution, [self.tdb], observer="500"))[0]
            s_ra, s_dec, corr = row["sigma_ra_mas"], row["sigma_dec_mas"], row["corr"]
            cov += np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])
        s_ra, s_dec = star_sigma_mas
        cov += np.array([[s_ra ** 2, star_corr * s_ra * s_dec], [star_corr * s_ra * s_dec, s_dec ** 2]])
        km_per_mas = self.plane.distance_km[0] / MAS_PER_RAD
        return float(np.sqrt(unit @ cov @ unit) * km_per_mas)

    def path(self, offsets_km=None, solution=None, sigma_km=None, n_points=301, half_duration_s=None,
             min_star_altitude_deg=0.0, max_sun_altitude_deg=-12.0):
        """The shadow on the Earth: centre line ("centre"), body limits ("body +/-": +-radius across the track, +
        on the left of the motion) and, with a solution (or sigma_km), the 1- and 3-sigma limits ("k sigma +/-":
        +-(radius + k sigma), SORA's convention), plus any extra `offsets_km`. sigma_km defaults to
        `cross_track_sigma_km`. Instants: n_points over the span the shadow needs to cross the Earth. Lengths in km,
        durations in s, altitudes in deg (or Quantities). Returns a ShadowPath (see there for the visibility
        flags)."""
        offsets_km, sigma_km = to_value(offsets_km, "km", "offsets_km"), to_value(sigma_km, "km", "sigma_km")
        half_duration_s = to_value(half_duration_s, "s", "half_duration_s")
        min_star_altitude_deg = to_value(min_star_altitude_deg, "deg", "min_star_altitude_deg")
        max_sun_altitude_deg = to_value(max_sun_altitude_deg, "deg", "max_sun_altitude_deg")
        labels, offsets = ["centre"], [0.0]
        if self.radius_km > 0:
            labels += ["body +", "body -"]
            offsets += [self.radius_km, -self.radius_km]
        if sigma_km is None and (solution or self.solution) is not None:
            sigma_km = self.cross_track_sigma_km(solution)
        if sigma_km:
            for k in (1, 3):                   # SORA's convention: the body's limit pushed out by k sigma
                labels += [f"{k} sigma +", f"{k} sigma -"]
                offsets += [self.radius_km + k * sigma_km, -(self.radius_km + k * sigma_km)]
        if offsets_km is not None:
            labels += [f"{o:+.0f} km" for o in np.atleast_1d(offsets_km)]
            offsets += list(np.atleast_1d(offsets_km))
        offsets = np.asarray(offsets, dtype=float)
        if half_duration_s is None:
            half_duration_s = (1.05 * EARTH_RADIUS_KM + np.abs(offsets).max()) / max(abs(self.velocity_km_s), 1e-3)
        from .shadow import shadow_path
        t = self.tdb + np.linspace(-half_duration_s, half_duration_s, n_points)
        return shadow_path(self, t, offsets, labels, sigma_km, min_star_altitude_deg, max_sun_altitude_deg)

    def sites(self, sites, sigma_km=None, solution=None):
        """Closest approach of the shadow centre to each site, and the chance of a positive chord. See
        `site_predictions`."""
        from .sites import site_predictions
        sigma_km = to_value(sigma_km, "km", "sigma_km")
        if sigma_km is None and (solution or self.solution) is not None:
            sigma_km = self.cross_track_sigma_km(solution)
        return site_predictions(self, sites, sigma_km if sigma_km is not None else 0.0)

    def plot_map(self, path=None, sites=None, filename=None, title=None, **options):
        """A regional map (matplotlib Figure, Agg) of the path with coastlines, day/night shading, 60-s dots and the
        1σ/3σ limits; options (extent_deg, resolution, sigma_km, central_longitude): see `maps.plot_map`."""
        from .maps import plot_map
        return plot_map(self, path if path is not None else self.path(), sites=sites, filename=filename,
                        title=title, **options)


def cross_track_sigmas_km(events, solution):
    """`Occultation.cross_track_sigma_km(solution)` of many events with one propagation of the solution's
    covariance (the orbit's part only; no star errors): what a search's maps and feeds need."""
    from ..products.uncertainty import sky_uncertainty
    events = list(events)
    if not events:
        return np.zeros(0)
    table = plain_table(sky_uncertainty(solution, [event.tdb for event in events], observer="500"))
    out = []
    for event, row in zip(events, table):
        s_ra, s_dec, corr = row["sigma_ra_mas"], row["sigma_dec_mas"], row["corr"]
        cov = np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])
        n = event.cross_track_unit()
        out.append(float(np.sqrt(n @ cov @ n) * event.plane.distance_km[0] / MAS_PER_RAD))
    return np.array(out)


EVENT_COLUMNS = ("source_id", "utc", "tdb", "ra_deg", "dec_deg", "ca_arcsec", "ca_km", "pa_deg", "vel_km_s",
                 "dist_au", "mag", "mag_norm", "mag_drop", "long_deg", "lst_h", "pmra_mas_yr", "pmdec_mas_yr")


def sub_body_longitude_deg(plane):
    """East longitude (deg, [0, 360)) of the sub-body point (body at the zenith) at each instant of a Plane."""
    from ..observations.observers import gcrs_matrix_and_pole
    matrix, _ = gcrs_matrix_and_pole(plane.tdb)
    itrs = np.einsum("nji,nj->ni", matrix, plane.rho / plane.distance_km[:, None])
    return np.mod(np.degrees(np.arctan2(itrs[:, 1], itrs[:, 0])), 360.0)


def magnitude_drop(star_mag, body_mag):
    """2.5 log10(1 + 10^(0.4 (m_body - m_star))): the drop of the combined light when the star disappears."""
    star_mag = np.asarray(star_mag, dtype=float)
    if body_mag is None:
        return np.full(star_mag.shape, np.nan)
    return 2.5 * np.log10(1.0 + 10 ** (0.4 * (body_mag - star_mag)))


def event_columns(plane, stars, body_mag=None):
    """The published elements of events (Plane at C/A, one star each) as columns: instant (UTC string, TDB s),
    the star's geocentric RA/Dec at C/A, C/A (arcsec, km), P/A (deg), velocity (km/s), distance (au), magnitudes
    (star, the normalised m* of Gomes-Junior et al. 2016, drop), sub-body east longitude (deg), local solar time (h), proper motions."""
    from ..model import radec_from_unit
    ra, dec = radec_from_unit(plane.star)
    longitude = sub_body_longitude_deg(plane)
    speed = np.abs(plane.velocity_km_s)
    with np.errstate(divide="ignore"):
        norm = stars.mag + 2.5 * np.log10(speed / 20.0)
    return {"source_id": stars.source_id, "utc": np.asarray(tdb_to_utc_iso(plane.tdb)), "tdb": plane.tdb,
            "ra_deg": np.degrees(ra), "dec_deg": np.degrees(dec), "ca_arcsec": plane.ca_mas / 1000.0,
            "ca_km": plane.ca_km, "pa_deg": plane.pa_deg, "vel_km_s": plane.velocity_km_s,
            "dist_au": plane.distance_km / C.AU_KM, "mag": stars.mag, "mag_norm": norm,
            "mag_drop": magnitude_drop(stars.mag, body_mag), "long_deg": longitude,
            "lst_h": np.mod(utc_hours(plane.tdb) + longitude / 15.0, 24.0),
            "pmra_mas_yr": stars.pmra_mas_yr, "pmdec_mas_yr": stars.pmdec_mas_yr}
