"""Leave one opposition out (orbitfit.validation.leave_one_opposition_out, issue 15's second harness): each apparition
of ground positions predicted by a fit of everything else, judged on Leda's real positions and on a closed loop with
the same sampling, night structure and apparition biases, where an honest sigma must give z rms ~1."""
import numpy as np
import pytest

from orbitfit.estimation.bias_priors import apparition_scatter_mas
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.weights import apparition_year, row_bias_offsets
from orbitfit.observations.datasets import load_all
from orbitfit.residuals import compute_residuals
from orbitfit.simulation import simulate_like
from orbitfit.tables import plain_table
from orbitfit.validation import leave_one_opposition_out
from orbitfit.validation.oppositions import by_group

YEARS = (1999, 2009)       # Leda's two largest apparitions of ground positions (51 and 59 accepted rows)
ORBIT_MAS = 80.0           # bound on the orbit's sigma at Leda's held-out epochs (measured: 54 mas)


def test_leda_predicts_its_held_out_apparitions_as_its_sigma_says():
    """The accepted ground rows of 1999 and 2009, each apparition predicted by a fit of every other row: measured
    2026-12-07 evening, with the RA* apparition bias predicted from the others' (conditional_apparition_bias), 185
    mas rms, z rms 1.13 where an honest sigma gives 0.81 - 1.21 (90%; 184 mas and 1.07 with the held-out bias's
    whole spread in sigma); every apparition of Leda's (seven with >= 10 rows): 1.06 in 0.88 - 1.13 (1.01 before).
    One test, not two on a shared fixture: pytest-xdist would run the 40 s of fits once per worker."""
    observations = load_all("Leda", gaia_transits=True, gaia_visit_offsets=None)[0]
    result = leave_one_opposition_out("Leda", observations=observations, apparitions=YEARS)
    table, s, full = result.table, result.summary, result.solution
    years = apparition_year(full.observations["tdb"])
    judged = full.accepted & (np.asarray(full.observations["kind"]).astype(str) == "optical") & np.isin(years, YEARS)
    assert len(table) == judged.sum() == 110 and sorted(set(np.asarray(table["opposition"]))) == list(YEARS)
    assert np.array_equal(np.sort(np.asarray(table["row"])), np.nonzero(judged)[0])
    low, high = s["honest_rms_normalised_90"]
    assert 0.75 < low < 1.0 < high < 1.3 and low < s["rms_normalised"] < high
    assert 150 < s["rms_mas"] < 250 and s["n_means"] == 4
    rows = by_group(result, "opposition")
    assert list(rows["n"]) == [51, 59] and list(rows["apparitions"]) == [1, 1]
    # each sigma adds in squares the row's own (the full fit's weights), the orbit's (measured up to 54 mas) and the
    # spread of each bias the prediction has no estimate of: the apparition's own (Leda in 1995-2009: its prior,
    # 30 mas, wider than its scatter, 22) and, for a site without a catalogue whose bias the fit without the
    # apparition could not keep (fewer than 20 rows left), that site's prior too (150 mas)
    spread = max(30.0, apparition_scatter_mas(2009, full.options.apparition_bias_scatter, 513))
    unknown = {c: table[f"sigma_unknown_bias_{c}_mas"].value for c in ("ra", "dec")}
    site = ~np.isclose(unknown["dec"], spread)
    assert np.allclose(unknown["dec"][site], np.hypot(spread, 150.0))
    # in RA* the other apparitions' fitted biases predict part of the held-out one's (the periodic prior,
    # conditional_apparition_bias): that prediction is subtracted and only its error left unknown
    own_ra = np.sqrt(unknown["ra"] ** 2 - 150.0 ** 2 * site)
    print(f"\nRA* unknown apparition bias: {np.unique(np.round(own_ra, 1))} mas of {spread:.0f}")
    assert np.all((own_ra > 0.5 * spread) & (own_ra < 0.8 * spread))
    for c in ("ra", "dec"):
        own = getattr(full.weights, f"sigma_{c}")[np.asarray(table["row"])]
        orbit2 = table[f"sigma_{c}_mas"].value ** 2 - own ** 2 - unknown[c] ** 2
        assert np.all(orbit2 > 0) and np.sqrt(orbit2.max()) < ORBIT_MAS
    # the held-out rows keep the biases they share with other apparitions (row_bias_offsets) and lose only their
    # apparition's. The offsets are the ones the estimator fitted through its own design (the fit's residuals of
    # the ground rows = O - C of the orbit less them; measured to 1e-5 mas, offsets up to 312 mas); without the
    # apparition's row in the table, missing_ok takes exactly that bias off
    options = full.options
    ra, dec = row_bias_offsets(full.observations, full.biases, options.bias_groups, options.gaia_apparition_offsets)
    ground = np.asarray(full.observations["kind"]).astype(str) == "optical"
    computed = plain_table(compute_residuals(full.observations, full.orbit, full.model))
    assert np.abs(ra).max() > 100
    np.testing.assert_allclose((computed["res_ra_mas"] - ra)[ground], full.evaluation.res_ra[ground], atol=1e-3)
    np.testing.assert_allclose((computed["res_dec_mas"] - dec)[ground], full.evaluation.res_dec[ground], atol=1e-3)
    names = [str(g) for g in full.biases["group"]]
    k = names.index("apparition:2009")
    without = full.biases[[j for j in range(len(names)) if j != k]]
    with pytest.raises(KeyError):
        row_bias_offsets(full.observations, without, options.bias_groups, options.gaia_apparition_offsets)
    ra2, dec2 = row_bias_offsets(full.observations, without, options.bias_groups, options.gaia_apparition_offsets,
                                 missing_ok=True)
    of_2009 = (np.asarray(full.observations["kind"]).astype(str) == "optical") & (years == 2009)
    assert of_2009.sum() > 50 and np.abs(ra[~of_2009] - ra2[~of_2009]).max() == 0.0
    np.testing.assert_allclose(ra[of_2009] - ra2[of_2009], full.biases["bias_ra_mas"][k], rtol=1e-12)
    np.testing.assert_allclose(dec[of_2009] - dec2[of_2009], full.biases["bias_dec_mas"][k], rtol=1e-12)


def test_closed_loop_with_nights_and_apparition_biases_gives_an_honest_z():
    """Leda's real sampling, the default fit's weights and night correlation, and one bias per apparition of 150 mas
    (a prior that wide, so that it counts beside the positions' ~300 mas) drawn into its ground rows
    (`simulate_like`): the held-out z rms must lie where an honest sigma puts it, and so must the apparitions' mean
    residuals (measured 2026-12-07 evening, seed 5, fitted with independent priors as drawn: 266 mas, z rms 1.22 in
    0.63 - 1.40, p 0.15; the means' z rms 1.26, p 0.17; that morning, with the default's periodic RA* prior in the
    fit, 1.21 and 1.25). Its power (measured that morning): the same draws judged with a 30 mas spread (the default
    prior) give the rows p 0.20 but the means z rms 1.79, p 0.012; the means are the check of the spread."""
    observations = load_all("Leda", gaia_transits=True, gaia_visit_offsets=None)[0]
    from orbitfit.estimation.least_squares import fit_orbit
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    truth = fit_orbit(observations, gomes_junior_2016_orbit("Leda"), FitOptions())
    simulated = simulate_like(truth, np.random.default_rng(5), apparition_scatter_mas=150.0,
                              night_correlation=True)
    # the biases drawn independently (simulate_like), so fitted and predicted as independent too: with the default's
    # periodic RA* prior the held-out bias would be predicted from a correlation the draws do not have (the
    # prediction itself is checked against draws from its own model: the test below)
    options = FitOptions(bias_prior_mas=150.0, apparition_bias_scatter=None, apparition_bias_periodic_ra=0.0)
    result = leave_one_opposition_out("Leda", options, observations=simulated, start=truth.orbit,
                                      apparitions=YEARS)
    s = result.summary
    print(f"\n{s['rms_mas']:.0f} mas, z rms {s['rms_normalised']:.2f} in {s['honest_rms_normalised_90']}, p "
          f"{s['p_rms_normalised']:.2f}; the means' z rms {s['rms_normalised_means']:.2f}, p "
          f"{s['p_rms_normalised_means']:.2f}")
    assert len(result.table) == 110 and 0.02 < s["p_rms_normalised"] < 0.98, s
    assert s["n_means"] == 4 and 0.05 < s["p_rms_normalised_means"], s


def test_closed_loop_with_periodic_apparition_biases_and_their_prediction_gives_an_honest_z():
    """The same closed loop with the RA* apparition biases drawn as the default's prior correlates them (a sinusoid
    of Jupiter's longitude, share 0.56; `simulate_like(apparition_periodic_ra=...)`), fitted with that prior, so
    that each held-out apparition's RA* bias is predicted from the others' (conditional_apparition_bias) end to end:
    the rows and the means must give what an honest sigma gives (measured 2026-12-07 evening, seed 5: 251 mas, z rms
    1.19 in 0.66 - 1.39, p 0.17; the means' z rms 1.22, p 0.20; 112 of the RA* bias's 150 mas left unknown). Its
    power: the prediction subtracted with its sign flipped gives p 0.01 and 0.008; left out of the offset (its
    variance kept) 0.25 and 0.26, and no prediction at all 0.30 and 0.30: two apparitions cannot tell those apart."""
    observations = load_all("Leda", gaia_transits=True, gaia_visit_offsets=None)[0]
    from orbitfit.estimation.least_squares import fit_orbit
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    truth = fit_orbit(observations, gomes_junior_2016_orbit("Leda"), FitOptions())
    share = FitOptions().apparition_bias_periodic_ra
    simulated = simulate_like(truth, np.random.default_rng(5), apparition_scatter_mas=150.0,
                              night_correlation=True, apparition_periodic_ra=share)
    options = FitOptions(bias_prior_mas=150.0, apparition_bias_scatter=None)
    assert options.apparition_bias_periodic_ra == share > 0
    result = leave_one_opposition_out("Leda", options, observations=simulated, start=truth.orbit,
                                      apparitions=YEARS)
    s = result.summary
    unknown = result.table["sigma_unknown_bias_ra_mas"].value
    print(f"\n{s['rms_mas']:.0f} mas, z rms {s['rms_normalised']:.2f} in {s['honest_rms_normalised_90']}, p "
          f"{s['p_rms_normalised']:.2f}; the means' z rms {s['rms_normalised_means']:.2f}, p "
          f"{s['p_rms_normalised_means']:.2f}; RA* bias left unknown {np.unique(np.round(unknown))} mas of 150")
    assert np.all(unknown < 0.8 * 150.0)                  # the prediction holds part of the RA* bias
    assert len(result.table) == 110 and 0.02 < s["p_rms_normalised"] < 0.98, s
    assert s["n_means"] == 4 and 0.05 < s["p_rms_normalised_means"], s


def test_the_held_out_apparitions_bias_predicted_from_the_others_errs_by_the_variance_it_states():
    """conditional_apparition_bias under the default's prior (the RA* biases partly a sinusoid of Jupiter's
    longitude, share 0.56; Dec independent) for 1994, between fitted apparitions of 1980-2008 whose true spread is
    not the 30 mas prior (the era scatter the default's covariance considers: 320 mas to 1994, 56 from 1995): biases
    drawn from that truth, the fitted values off by their stated error, the prediction's error over 4000 draws has
    mean ~0 and the variance the function states (within 6%; 4000 draws give +-2.2%), below the whole spread's;
    Dec is predicted as nothing, with the whole spread. Independent priors, or an apparition before 1960: no
    prediction at all."""
    from astropy.table import Table
    from orbitfit.estimation.weights import JUPITER_LONGITUDE_STEP_RAD
    from orbitfit.validation.oppositions import _truth_spread_mas, conditional_apparition_bias
    options = FitOptions()
    years = np.array([1994, *range(1980, 1994), *range(1995, 2009)])
    numbers = {int(y): int(y) - 1980 for y in years}            # one opposition a year is near enough here
    lag = years[:, None] - years[None, :]
    truth = np.array([_truth_spread_mas(f"apparition:{y}", options, None) for y in years])
    assert truth[0] == 320.0 and truth[-1] == 56.0
    share = options.apparition_bias_periodic_ra
    correlation = (1 - share) * (lag == 0) + share * np.cos(JUPITER_LONGITUDE_STEP_RAD * lag)
    root = np.linalg.cholesky(np.outer(truth, truth) * correlation)
    error_mas = np.linspace(3.0, 12.0, years.size - 1)             # each fitted apparition's own error
    meta = {"covariance_mas2": np.diag(np.repeat(error_mas ** 2, 2))}
    rng = np.random.default_rng(11)
    misses = []
    for _ in range(4000):
        b_ra, b_dec = root @ rng.standard_normal(years.size), truth * rng.standard_normal(years.size)
        fitted = Table({"group": [f"apparition:{y}" for y in years[1:]],
                        "bias_ra_mas": b_ra[1:] + error_mas * rng.standard_normal(years.size - 1),
                        "bias_dec_mas": b_dec[1:] + error_mas * rng.standard_normal(years.size - 1)}, meta=meta)
        (mean, variance), = conditional_apparition_bias(1994, numbers, fitted, options).values()
        misses.append((b_ra[0] - mean[0], b_dec[0] - mean[1]))
    misses = np.array(misses)
    print(f"\nRA*: miss rms {misses[:, 0].std():.1f} mas, stated {np.sqrt(variance[0]):.1f}, whole spread "
          f"{truth[0]:.1f}; Dec {misses[:, 1].std():.1f}, stated {np.sqrt(variance[1]):.1f}")
    assert abs(misses[:, 0].mean()) < 0.05 * truth[0] and abs(misses[:, 0].var() / variance[0] - 1) < 0.06
    assert variance[0] < 0.7 * truth[0] ** 2
    assert mean[1] == 0.0 and variance[1] == pytest.approx(truth[0] ** 2)
    assert abs(misses[:, 1].var() / variance[1] - 1) < 0.06
    independent = FitOptions(apparition_bias_periodic_ra=0.0)
    assert conditional_apparition_bias(1994, numbers, fitted, independent) == {}
    assert conditional_apparition_bias(1955, {**numbers, 1955: -7}, fitted, options) == {}
    with pytest.raises(ValueError, match="apparition_periodic_ra must be within 0..1"):
        simulate_like(None, rng, apparition_periodic_ra=1.0)
