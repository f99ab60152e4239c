"""Apparition biases with a prior from the other moons (orbitfit.estimation.shared_biases, fit_orbit(bias_priors=))."""
import re
from types import SimpleNamespace

import numpy as np
import pytest
from astropy.table import Table

from orbitfit.estimation.least_squares import fit_orbit, refit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.estimation.shared_biases import MOON_SIGMA_MAS, apparition_priors, data_only, moon_sigma
from orbitfit.observations.gj15 import read_gj15
from orbitfit.paths import data_path


def test_data_only_undoes_a_gaussian_prior():
    """A measurement d = 40 mas of variance D = 20^2 under the prior N(0, 30^2) gives the posterior b = d P / (P + D),
    V = P D / (P + D); data_only returns d and D. A posterior no narrower than the prior carries nothing (D = inf)."""
    P, d, D = 30.0 ** 2, 40.0, 20.0 ** 2
    b, V = d * P / (P + D), P * D / (P + D)
    value, variance = data_only([b, 5.0], [np.sqrt(V), 30.0], 30.0)
    assert value[0] == pytest.approx(d, rel=1e-12) and variance[0] == pytest.approx(D, rel=1e-12)
    assert np.isinf(variance[1])
    # the same measurement under a prior N(m = 15, 30^2): b = (d/D + m/P) / (1/D + 1/P)
    m = 15.0
    b = (d / D + m / P) / (1 / D + 1 / P)
    value, variance = data_only(b, np.sqrt(V), 30.0, m)
    assert value == pytest.approx(d, rel=1e-12) and variance == pytest.approx(D, rel=1e-12)


def test_moon_sigma_recovers_the_deviation_it_was_drawn_with():
    """Closed loop: 8 moons x 30 apparitions, each bias = a common offset (60 mas rms) + the moon's own (20 mas rms),
    measured with a variance D (10-35 mas) under the N(0, 30^2) prior. moon_sigma gives the 20 mas back (within its
    sampling noise, ~1 mas for 480 coordinates), whatever the common part."""
    rng = np.random.default_rng(17)
    P, truth = 30.0 ** 2, 20.0
    common = rng.normal(0, 60.0, size=(30, 2))
    moons = []
    for body in range(501, 509):
        rows = []
        for k in range(30):
            D = rng.uniform(10.0, 35.0, 2) ** 2
            d = common[k] + rng.normal(0, truth, 2) + rng.normal(0, np.sqrt(D))
            b, V = d * P / (P + D), P * D / (P + D)
            rows.append((f"apparition:{1990 + k}", 50, b[0], np.sqrt(V[0]), b[1], np.sqrt(V[1])))
        moons.append(_moon(body, rows))
    sigma, n = moon_sigma(moons)
    assert n > 300 and abs(sigma - truth) < 3.0


def _moon(body, rows, prior=30.0, groups="apparition"):
    table = Table(rows=rows, names=("group", "n", "bias_ra_mas", "sigma_ra_mas", "bias_dec_mas", "sigma_dec_mas"))
    table["prior_sigma_mas"] = prior
    return SimpleNamespace(body=body, biases=table,
                           options=SimpleNamespace(bias_groups=groups, bias_prior_mas=prior))


def test_apparition_priors_combine_the_other_moons_data_only_estimates():
    P = 30.0 ** 2
    post = lambda d, D: (d * P / (P + D), np.sqrt(P * D / (P + D)))       # posterior of a measurement d +- sqrt(D)
    a_ra, a_s = post(60.0, 10.0 ** 2)
    b_ra, b_s = post(30.0, 20.0 ** 2)
    moons = [_moon(506, [("apparition:2017", 100, a_ra, a_s, a_ra, a_s)]),
             _moon(507, [("apparition:2017", 50, b_ra, b_s, b_ra, b_s), ("apparition:2018", 0, 0.0, 30.0, 0, 30.0)]),
             _moon(513, [("apparition:2017", 9, 500.0, 1.0, 500.0, 1.0)]),          # the body itself: skipped
             _moon(508, [("apparition:2017", 9, 500.0, 1.0, 500.0, 1.0)], groups="site")]   # not apparitions
    priors = apparition_priors(moons, 513)
    assert list(priors) == ["apparition:2017"]          # 2018: no positions, so no measurement
    w = np.array([1 / 10.0 ** 2, 1 / 20.0 ** 2])
    mean = (60.0 * w[0] + 30.0 * w[1]) / w.sum()           # 54 mas
    assert priors["apparition:2017"] == pytest.approx((mean, mean, np.sqrt(MOON_SIGMA_MAS ** 2 + 1 / w.sum())))


def test_a_bias_prior_is_used_kept_and_checked():
    leda, _ = read_gj15(data_path("gj15", "Leda.dat"))
    start = gomes_junior_2016_orbit("Leda")
    plain = fit_orbit(leda, start, FitOptions())
    pulled = fit_orbit(leda, start, FitOptions(), bias_priors={"apparition:2009": (50.0, -50.0, 5.0)})
    row = pulled.biases[list(pulled.biases["group"]).index("apparition:2009")]
    assert (row["prior_ra_mas"], row["prior_dec_mas"], row["prior_sigma_mas"]) == (50.0, -50.0, 5.0)
    # 42 positions of 2009 against a 5 mas prior: the bias follows the prior (measured +49.5 / -49.6 mas)
    assert abs(row["bias_ra_mas"] - 50.0) < 2 * 5.0 and abs(row["bias_dec_mas"] + 50.0) < 2 * 5.0
    assert np.max(np.abs(pulled.state - plain.state) / plain.sigma) > 0.5      # and the orbit moves with it
    again = refit(pulled, leda[:3])                                             # a refit keeps the priors
    assert again.biases["prior_sigma_mas"][list(again.biases["group"]).index("apparition:2009")] == 5.0
    with pytest.raises(ValueError, match=r"bias_priors\['apparition:2009'\].*sigma > 0"):
        fit_orbit(leda, start, FitOptions(), bias_priors={"apparition:2009": (0.0, 0.0, 0.0)})


@pytest.mark.slow
def test_shared_bias_harness_takes_each_moons_priors_from_the_others_under_the_same_rule():
    """Leda and Lysithea, forward prediction (cut 2016-06): the second fit of Leda has exactly the apparition priors
    of Lysithea's first fit (made before the cut too), and each prediction is of the same held-out transits."""
    from orbitfit.validation import shared_bias_harness
    alone, shared = shared_bias_harness(["Leda", "Lysithea"], test="cut")
    expected = apparition_priors([alone["Lysithea"].solution], 513)
    biases = shared["Leda"].solution.biases
    used = {str(g): (r, d, s) for g, r, d, s in zip(biases["group"], biases["prior_ra_mas"], biases["prior_dec_mas"],
                                                     biases["prior_sigma_mas"]) if g in expected}
    assert set(used) == set(expected) & set(biases["group"]) and len(used) > 5
    assert used == pytest.approx({name: expected[name] for name in used})
    for body in ("Leda", "Lysithea"):
        assert shared[body].summary["n"] == alone[body].summary["n"] > 5
        assert shared[body].solution.observations["tdb"].max() < shared[body].notes["cut_tdb"]


def test_fit_with_shared_biases_refits_each_moon_with_the_others_priors():
    """GJ15 Leda and Lysithea: the second fit of each has the apparition priors of the other's first fit."""
    from orbitfit.estimation.shared_biases import fit_with_shared_biases
    observations = {name: read_gj15(data_path("gj15", f"{name}.dat"))[0] for name in ("Leda", "Lysithea")}
    starts = {name: gomes_junior_2016_orbit(name) for name in observations}
    solutions = fit_with_shared_biases(observations, starts)
    lysithea_alone = fit_orbit(observations["Lysithea"], starts["Lysithea"], FitOptions())
    expected = apparition_priors([lysithea_alone], 513)
    leda = solutions["Leda"].biases
    shared = [str(g) for g in leda["group"] if str(g) in expected]
    assert shared and all(leda["prior_ra_mas"][list(leda["group"]).index(g)] == pytest.approx(expected[g][0], abs=1e-6)
                          for g in shared)
    with pytest.raises(ValueError, match=re.escape("must be 'apparition' or 'apparition+...', not None")):
        fit_with_shared_biases(observations, starts, FitOptions(bias_groups=None))
