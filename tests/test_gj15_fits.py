"""The eight GJ15 satellites fitted like seed 003's STE (all 3613 GJ15 positions, `FitOptions.gomes_junior_2016()`: the
positions weighted alike, at most 1% flagged; Himalia's GM acting on Elara, Lysithea and Leda), compared with the
STE residuals (seed 003 Table 3) and elements (Table 2), twice:

* the orbit alone, as STE: sigma <= STE's in RA* and Dec, <= 1% rejected, elements within 3 Table-2 sigma, and
  |mean| <= 10 mas or, where STE's own mean is larger than that (5 of the 8 in Table 3), within 7 mas of STE's:
  those means are the data's (site and catalogue biases a six-parameter orbit cannot absorb), and our
  per-observation residuals correlate with STE's at 0.98;
* with a constant RA*/Dec bias per site (OPD 874, OHP 511, ESO 809; `bias_groups="site"`, prior 30 mas): the
  issue's criteria as written, sigma <= STE's, |mean| <= 10 mas, <= 1% rejected, elements within 3 Table-2 sigma.

Which model predicts better is judged by data neither fit saw: the Gaia DR3 transits of 2014.6-2017.4 (one normal
point per transit, `orbitfit.observations.gaia`, AL residuals, precise to ~7 mas). Over the 202 transits of the 8 moons the
site-bias fits are asserted to do no worse than the orbit-alone fits (measured: 46 vs 56 mas rms; Leda and Ananke
gain most, the other six differ by 1-6 mas either way). The same transits judge the covariances: O-C divided by the
predicted sigma has rms 3.5 with the positions taken as independent (STE's weighting), 1.6 with the errors shared
within a night estimated from the residuals (`night_deweighting="estimated"`); asserted: at least 40% smaller.

Printed: per satellite O-C mean +- sigma with and without the rejected positions, the rejected fraction, the
orbit-alone means of the bias fit, the fitted biases, the elements minus Table 2 in units of Table 2's sigma, and
the Gaia AL residuals.
"""
import numpy as np
import pytest

from dynamics import constants as C
from orbitfit.observations.datasets import load_all
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.orbit import OrbitModel
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.tables import plain_table
from orbitfit.validation import along_scan

# seed 003 Table 3 (STE): mean and sigma of O-C, RA* and Dec, mas
STE_TABLE3 = {"Himalia": (-15, 66, -7, 54), "Elara": (3, 92, -12, 57), "Lysithea": (15, 79, -21, 68),
              "Leda": (-9, 67, -8, 77), "Pasiphae": (4, 89, -16, 57), "Sinope": (9, 79, -4, 47),
              "Carme": (14, 73, -1, 51), "Ananke": (-10, 90, 3, 73)}


HIMALIA_PERTURBS = ("Elara", "Lysithea", "Leda")          # seed 003 eq. 1: Himalia's mass acts on its neighbours


def gaia_along_scan_mas(solution, transits):
    """O-C of the Gaia transit normal points along the scan (the short axis of each 2x2 covariance), mas, and the
    same divided by the combined 1-sigma along the scan (the solution's, linear, and the transit's own)."""
    table = along_scan(solution, transits)
    return table["al_mas"].to_value("mas"), np.asarray(table["normalised"])


@pytest.mark.slow
def test_eight_gj15_satellites_against_ste(ephemeris):
    rows, element_rows, bias_rows, gaia_rows = [], [], [], []
    for name, published in gomes_junior_2016_orbits().items():
        observations, report = read_gj15(data_path("gj15", f"{name}.dat"))
        assert report.kept == published.n_observations
        companions = ((gomes_junior_2016_orbit("Himalia", ephemeris), C.GM_HIMALIA),) if name in HIMALIA_PERTURBS else ()
        transits = load_all(name, ephemeris=ephemeris, gaia_transits=True)[0]
        transits = transits[np.asarray(transits["kind"]).astype(str) == "gaia_transit"]
        along, normalised = {}, {}
        mean_ra, sd_ra, mean_dec, sd_dec = STE_TABLE3[name]
        # the covariance with errors shared within a night (night_deweighting="estimated"), judged on Gaia too
        model = OrbitModel(companions=companions)
        correlated = fit_orbit(observations, gomes_junior_2016_orbit(name, ephemeris),
                               FitOptions.gomes_junior_2016(night_deweighting="estimated"), model=model)
        along["nights"], normalised["nights"] = gaia_along_scan_mas(correlated, transits)
        for biases in (None, "site"):
            options = FitOptions.gomes_junior_2016(bias_groups=biases)
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name, ephemeris), options, model=model)
            kept = plain_table(solution.statistics(None))[0]
            every = plain_table(solution.statistics(None, include_rejected=True))[0]
            alone = plain_table(solution.statistics(None, orbit_only=True))[0]
            rejected = (~solution.accepted).mean()
            rows.append((name, biases, len(observations), rejected, kept, every, alone))
            elements, sigma = solution.elements(plane="icrf", centre="jupiter")
            delta = elements.as_array() - published.elements.as_array()
            delta[2:] = (delta[2:] + 180) % 360 - 180
            element_rows.append((name, biases, delta / published.sigma, sigma / published.sigma))
            along[biases], normalised[biases] = gaia_along_scan_mas(solution, transits)
            if biases:
                bias_rows.append((name, solution.biases))

            assert kept["std_ra_mas"] <= sd_ra and kept["std_dec_mas"] <= sd_dec, (name, biases)
            if biases:
                for stats in (kept, every):           # over the accepted positions, and over all of them
                    assert abs(stats["mean_ra_mas"]) <= 10.0 and abs(stats["mean_dec_mas"]) <= 10.0, name
            else:
                assert abs(kept["mean_ra_mas"]) <= max(10.0, abs(mean_ra) + 7.0), name
                assert abs(kept["mean_dec_mas"]) <= max(10.0, abs(mean_dec) + 7.0), name
            assert rejected <= 0.01, (name, biases)
            assert np.all(np.abs(delta / published.sigma) < 3), (name, biases)
        gaia_rows.append((name, len(transits), along[None], along["site"], normalised[None], normalised["nights"],
                          along["nights"]))

    print("\nGJ15 O-C (mas): ours, accepted | ours, all incl. rejected | seed 003 STE (Table 3) [| bias fit: orbit alone]")
    for name, biases, n, rejected, kept, every, alone in rows:
        ste = STE_TABLE3[name]
        label = "site bias" if biases else "orbit"
        extra = f" | alone RA* {alone['mean_ra_mas']:+4.0f} Dec {alone['mean_dec_mas']:+4.0f}" if biases else ""
        print(f"{name:9s} {label:9s} n={n:4d} rej {100 * rejected:4.1f}% | RA* {kept['mean_ra_mas']:+5.0f}+-"
              f"{kept['std_ra_mas']:3.0f} Dec {kept['mean_dec_mas']:+5.0f}+-{kept['std_dec_mas']:3.0f} | RA* "
              f"{every['mean_ra_mas']:+5.0f}+-{every['std_ra_mas']:3.0f} Dec {every['mean_dec_mas']:+5.0f}+-"
              f"{every['std_dec_mas']:3.0f} | RA* {ste[0]:+4d}+-{ste[1]:3d} Dec {ste[2]:+4d}+-{ste[3]:3d}{extra}")
    print("\nsite biases (mas, 1 sigma; prior 30 mas):")
    for name, table in bias_rows:
        print(f"{name:9s} " + "  ".join(f"{str(r['group'])[5:]}: {r['bias_ra_mas']:+4.0f}+-{r['sigma_ra_mas']:2.0f} "
                                        f"{r['bias_dec_mas']:+4.0f}+-{r['sigma_dec_mas']:2.0f} (n={r['n']})"
                                        for r in table))
    print("\nelements at JD 2451545.0 (jovicentric, GM(599), ICRF equator): (ours - Table 2) / Table 2 sigma")
    print("                     a      e      i   node   peri     nu   | our sigma / Table 2 sigma (a .. nu)")
    for name, biases, z, ratio in element_rows:
        print(f"{name:9s} {'site bias' if biases else 'orbit':9s}" + "".join(f"{v:+7.2f}" for v in z) + "   | " +
              " ".join(f"{r:.0e}" for r in ratio))
    rms = lambda x: float(np.sqrt(np.mean(x ** 2)))
    print("\nGaia DR3 transits 2014.6-2017.4 (not fitted), along-scan O-C mas: mean, rms; and rms of O-C / sigma")
    for name, n, plain, biased, z_plain, z_nights, nights in gaia_rows:
        print(f"{name:9s} n={n:3d}  orbit alone {plain.mean():+6.1f} {rms(plain):6.1f}   site biases "
              f"{biased.mean():+6.1f} {rms(biased):6.1f}   night correlation {nights.mean():+6.1f} {rms(nights):6.1f}"
              f"  | O-C/sigma: independent positions {rms(z_plain):4.2f}, night correlation {rms(z_nights):4.2f}")
    plain, biased, z_plain, z_nights = (np.concatenate([r[k] for r in gaia_rows]) for k in (2, 3, 4, 5))
    print(f"all       n={plain.size:3d}  orbit alone {rms(plain):6.1f}   site biases {rms(biased):6.1f}  | O-C/sigma: "
          f"{rms(z_plain):4.2f} -> {rms(z_nights):4.2f}; within 2 sigma {np.mean(np.abs(z_plain) < 2):.2f} -> "
          f"{np.mean(np.abs(z_nights) < 2):.2f}")
    assert plain.size >= 200
    assert rms(biased) <= rms(plain)
    # the sigma with errors shared within a night is closer to what Gaia shows (measured 3.5 -> 1.6)
    assert rms(z_nights) < 0.6 * rms(z_plain)
