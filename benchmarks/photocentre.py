"""How far a moon's light centre (photocentre) sits from its centre of figure along Gaia's scans, and whether the
moons' Gaia DR3 transits show it (issue 15's "photocentre offsets of resolved moons vs phase angle").

Gaia and the ground measure where the light is; an occultation measures the figure. A sphere lit at phase angle
alpha shows its light centre displaced towards the Sun by k(alpha) R on the sky: k = 0.0656 at 10 deg for a Lambert
surface, 0.0589 for Lommel-Seeliger (a dark surface; irregular moons have albedos of ~0.05), about 0.37 alpha and
0.34 alpha (alpha in rad) over Jupiter's phase angles (<= 11.5 deg from the Earth or Gaia), computed here by
integrating over the lit disc. For each moon's DR3 transits this script computes that displacement along the
transit's scan (Lambert; the sky direction to the Sun and alpha from the fitted orbit, the observer and the
ephemeris' Sun), prints its largest and rms value beside the moon's own AL floor, and fits the all-data fit's AL
residuals (default options, transits freed of their visit's common error, as `load_all` gives them) as b times it:
b = 1 if the transits show a Lambert sphere's photocentre, 0 if they show the centre.

    python benchmarks/photocentre.py          # ~2 min

Radii: mean diameters of Gomes-Junior et al. (2016, MNRAS 462, 1351) Table 1 (Rettig et al. 2001; Himalia 150 x 120
km from Cassini, Porco et al. 2003, here its mean 135 km).
Measured 2026-12-06 (default options; phase angles up to 10.6 - 11.2 deg): on the sky at most Himalia's 1.32 mas,
Elara 0.78, Pasiphae 0.63, the others <= 0.47; along the scans at most Himalia's 0.92 mas (rms 0.72 over its 23
transits, where its own AL floor is 3.2 mas), Elara 0.55, Pasiphae 0.44, the others <= 0.33. The residuals follow
it as b = 1.39 +- 0.72 pooled over the 199 transits kept (per moon from -3.6 +- 4.0 to 4.8 +- 1.7; Himalia 0.5 +-
0.9): consistent with a photocentre (1), 1.9 sigma from the centre (0). Not modelled: below a third of each moon's
own floor; what it moves an occultation prediction of Himalia by (0.07 of its radius at Jupiter's largest phase
angle, ~5 km, 1.3 mas) is a fraction of that prediction's sigma (docs/validation.md, "The light centre of a
resolved moon").
"""
import warnings

import numpy as np

from dynamics import constants as C
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observables import prepare
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gaia import CORRECTED_AL_FLOOR_MAS, TRANSIT_KIND, along_scan_directions
from orbitfit.bodies import NAIF_BY_NAME

MAS_PER_RAD = 180.0 / np.pi * 3.6e6
# mean diameters (km): Gomes-Junior et al. 2016, Table 1
DIAMETER_KM = {"Himalia": 135.0, "Elara": 86.0, "Lysithea": 36.0, "Leda": 20.0, "Pasiphae": 62.0, "Sinope": 37.0,
               "Carme": 46.0, "Ananke": 29.0}


def light_centre_fraction(alpha_rad, law="lambert", grid=801):
    """The light centre's displacement towards the Sun, in units of the radius, of a sphere lit at phase angle
    alpha (the disc integrated on a grid; 'lambert': brightness mu0, 'lommel-seeliger': mu0 / (mu0 + mu))."""
    x = np.linspace(-1.0, 1.0, grid)
    X, Y = np.meshgrid(x, x)
    r2 = X ** 2 + Y ** 2
    Z = np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))
    mu0 = X * np.sin(alpha_rad) + Z * np.cos(alpha_rad)
    brightness = mu0 if law == "lambert" else mu0 / np.maximum(mu0 + Z, 1e-300)
    brightness = np.where((r2 < 1.0) & (mu0 > 0.0), brightness, 0.0)
    return float((X * brightness).sum() / brightness.sum())


def sky_basis(ra_deg, dec_deg):
    """(n, 3) unit vectors east (RA*) and north (Dec) at each direction."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    east = np.column_stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)])
    north = np.column_stack([-np.sin(dec) * np.cos(ra), -np.sin(dec) * np.sin(ra), np.cos(dec)])
    return east, north


def main():
    warnings.simplefilter("ignore")
    alphas = np.radians(np.arange(0.0, 15.01, 0.25))
    table = {law: np.array([light_centre_fraction(a, law) for a in alphas]) for law in ("lambert", "lommel-seeliger")}
    at10 = {law: np.interp(np.radians(10.0), alphas, k) for law, k in table.items()}
    print(f"k(10 deg): Lambert {at10['lambert']:.4f}, Lommel-Seeliger {at10['lommel-seeliger']:.4f} (of the radius)")
    print(f"{'moon':9s} {'transits':>8s} {'alpha max':>9s} {'max shift':>9s} {'max |dAL|':>9s} {'rms dAL':>7s} "
          f"{'AL floor':>8s} {'b (1: photocentre)':>20s}")
    pooled_x, pooled_y, pooled_w = [], [], []
    for name in gomes_junior_2016_orbits():
        observations = load_all(name)[0]
        solution = fit_orbit(observations, gomes_junior_2016_orbit(name), FitOptions())
        rows = np.nonzero(np.asarray(solution.observations["kind"]) == TRANSIT_KIND)[0]
        transits = solution.observations[rows]
        prepared = prepare(transits, solution.model.ephemeris)
        east, north = sky_basis(solution.evaluation.calc_ra[rows], solution.evaluation.calc_dec[rows])
        line = np.cross(east, north)                                   # unit vector observer -> moon
        distance = solution.evaluation.distance_km[rows]
        moon = prepared.observer_ssb + distance[:, None] * line
        to_sun = solution.model.ephemeris.position(C.SUN, prepared.t_obs) - moon
        to_sun /= np.linalg.norm(to_sun, axis=1)[:, None]
        alpha = np.arccos(np.clip(np.einsum("ij,ij->i", to_sun, -line), -1.0, 1.0))
        radius_mas = DIAMETER_KM[name] / 2.0 / distance * MAS_PER_RAD
        shift = np.interp(alpha, alphas, table["lambert"]) * radius_mas                # mas, towards the Sun
        across = to_sun - np.einsum("ij,ij->i", to_sun, line)[:, None] * line
        across /= np.linalg.norm(across, axis=1)[:, None]
        sky = np.column_stack([np.einsum("ij,ij->i", across, east), np.einsum("ij,ij->i", across, north)])
        directions = along_scan_directions(transits)
        predicted_al = shift * np.einsum("ij,ij->i", sky, directions)
        residual_al = (directions[:, 0] * solution.evaluation.res_ra[rows] +
                       directions[:, 1] * solution.evaluation.res_dec[rows])
        sigma_al = np.sqrt(np.einsum("ni,nij,nj->n", directions, _covariances(solution, rows), directions))
        kept = solution.accepted[rows]
        w = 1.0 / sigma_al[kept] ** 2
        x, y = predicted_al[kept], residual_al[kept]
        b = np.sum(w * x * y) / np.sum(w * x * x)
        sigma_b = 1.0 / np.sqrt(np.sum(w * x * x))
        pooled_x.append(x), pooled_y.append(y), pooled_w.append(w)
        floor = CORRECTED_AL_FLOOR_MAS[NAIF_BY_NAME[name.lower()]]
        print(f"{name:9s} {rows.size:8d} {np.degrees(alpha).max():9.1f} {shift.max():9.2f} "
              f"{np.abs(predicted_al).max():9.2f} {np.sqrt(np.mean(predicted_al ** 2)):7.2f} {floor:8.1f} "
              f"{b:12.1f} +- {sigma_b:5.1f}")
    x, y, w = (np.concatenate(v) for v in (pooled_x, pooled_y, pooled_w))
    print(f"pooled over the moons: b = {np.sum(w * x * y) / np.sum(w * x * x):.2f} +- "
          f"{1.0 / np.sqrt(np.sum(w * x * x)):.2f} ({x.size} transits)")


def _covariances(solution, rows):
    """(n, 2, 2) the rows' covariance as the fit weighed them (mas^2)."""
    w = solution.weights
    s_ra, s_dec, corr = w.sigma_ra[rows], w.sigma_dec[rows], w.corr[rows]
    out = np.empty((rows.size, 2, 2))
    out[:, 0, 0], out[:, 1, 1] = s_ra ** 2, s_dec ** 2
    out[:, 0, 1] = out[:, 1, 0] = corr * s_ra * s_dec
    return out


if __name__ == "__main__":
    main()
