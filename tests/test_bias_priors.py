"""The consider term of the apparition biases (`orbitfit.estimation.bias_priors.considered`): the covariance of an
estimate whose bias priors are narrower than the biases' true scatter, against Monte Carlo on a linear problem."""
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from orbitfit.estimation.bias_priors import (bias_prior_arrays, bias_prior_whitening, considered,
                                             scatter_response)
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.weights import JUPITER_OPPOSITION_TDB_S, JUPITER_SYNODIC_S


@dataclass
class LinearFit:                       # what `considered` reads and returns of a GaussNewtonResult
    parameters: np.ndarray
    covariance: np.ndarray


def toy_problem():
    """Two orbit-like parameters seen through five bias groups (three apparitions since 1960 under the default's
    correlated prior, one before 1960, one observatory's), three positions per group, each coordinate at 60 mas; the
    orbit's partials nearly the same within a group, as over one apparition, so that only the priors tell a bias
    from the orbit."""
    names = ["apparition:2003", "apparition:2004", "apparition:2007", "apparition:1955", "uncatalogued:G36"]
    numbers = [2, 3, 6, -42, 5]
    t_obs, group = [], []
    for j, n in enumerate(numbers):
        t_obs += list(JUPITER_OPPOSITION_TDB_S + n * JUPITER_SYNODIC_S + np.array([-3e6, 0.0, 4e6]))
        group += [j] * 3
    data = SimpleNamespace(bias_names=names, t_obs=np.array(t_obs), bias_group=np.array(group)[:, None])
    rng = np.random.default_rng(3)
    rows, k = len(t_obs), len(names)
    design = np.zeros((2 * rows, 2 + 2 * k))            # (RA*, Dec) of each position: orbit partials, its biases
    per_group = rng.normal(0.0, 1.0, (k, 2, 2))            # each group's partials (RA*, Dec) x (2 parameters)
    design[:, :2] = per_group[np.repeat(group, 2), np.tile([0, 1], rows)] + rng.normal(0.0, 0.1, (2 * rows, 2))
    for i, j in enumerate(group):
        design[2 * i, 2 + 2 * j] = design[2 * i + 1, 2 + 2 * j + 1] = 1.0
    return data, design, 60.0


def test_consider_term_is_the_covariance_of_the_estimate_under_the_true_scatter():
    """With the priors of FitOptions() (30 mas, the RA* apparitions partly a sinusoid, 1200 mas before 1960, 150 for
    an observatory) the estimator's covariance C is right for biases that scatter as the prior says; drawn with the
    apparitions of 1995-2009 at their era's 56 mas (FitOptions().apparition_bias_scatter "moon" for a body it does
    not name: the era's; their correlation kept), the estimates scatter as `considered` says, not as C does. The
    estimate itself is unchanged, and so is C
    for a fit without apparition biases or with the scatter None (the prior's alone)."""
    options = FitOptions()
    data, design, sigma_mas = toy_problem()
    k = len(data.bias_names)
    _, prior_sigma = bias_prior_arrays(data.bias_names, options.bias_prior_mas)
    whitening = bias_prior_whitening(data, prior_sigma, options)
    stacked = np.vstack([design / sigma_mas, np.hstack([np.zeros((2 * k, 2)), whitening])])
    covariance = np.linalg.inv(stacked.T @ stacked)
    fit = LinearFit(np.arange(2.0 + 2 * k), covariance)
    wide = considered(fit, data, options)
    assert np.array_equal(wide.parameters, fit.parameters)
    assert considered(fit, data, FitOptions(apparition_bias_scatter=None)) is fit
    # the truth: the apparitions of 1995-2009 scaled to their era's 56 mas, the others as their prior says
    scale = np.array([56.0 / 30.0] * 6 + [1.0] * 4)
    prior = np.linalg.inv(whitening.T @ whitening)
    true = prior * np.outer(scale, scale)
    rng = np.random.default_rng(15)
    draws = 40000
    biases = rng.multivariate_normal(np.zeros(2 * k), true, size=draws)
    noise = rng.normal(0.0, sigma_mas, (draws, design.shape[0]))
    y = biases @ design[:, 2:].T + noise                 # what was observed
    z = np.hstack([y / sigma_mas, np.zeros((draws, 2 * k))])   # the priors' pseudo-observations: zero mean
    estimates = z @ stacked @ covariance                 # (H^T H)^-1 H^T z, row by row
    errors = estimates - np.hstack([np.zeros((draws, 2)), biases])     # the orbit's truth is zero
    print(f"\norbit variance / C: Monte Carlo {np.diag(np.cov(errors.T))[:2] / np.diag(covariance)[:2]}, considered "
          f"{np.diag(wide.covariance)[:2] / np.diag(covariance)[:2]}")
    empirical = np.cov(errors.T)
    orbit = slice(0, 2)
    np.testing.assert_allclose(np.diag(empirical)[orbit], np.diag(wide.covariance)[orbit], rtol=0.03)
    assert np.all(np.diag(empirical)[orbit] > 1.5 * np.diag(covariance)[orbit])     # C alone is far too small here
    np.testing.assert_allclose(empirical, wide.covariance, atol=0.03 * np.sqrt(np.outer(np.diag(empirical),
                                                                                        np.diag(empirical))).max())
    # the term by coordinate (`scatter_response`, what a fit records so that two fits' errors can be read together):
    # the six of 1995-2009, the orbit's move per mas of each (-M b: the errors' covariance with the true biases is
    # -M L_t) and their excess L_t - L
    coordinates, lever, excess = scatter_response(fit, data, options)
    assert coordinates == [f"apparition:{y}:{c}" for y in (2003, 2004, 2007) for c in ("ra", "dec")]
    np.testing.assert_allclose(lever @ excess @ lever.T, wide.covariance - covariance, atol=1e-9)
    np.testing.assert_allclose(excess, (true - prior)[:6, :6], atol=1e-9)
    with_biases = (errors[:, orbit].T @ biases[:, :6] / draws)            # E[e b^T], the draws' means are ~0
    lever_all = covariance[orbit, 2:] @ whitening.T @ whitening
    expected = -(lever_all @ true)[:, :6]
    np.testing.assert_allclose(with_biases, expected, atol=0.05 * np.abs(expected).max())
    np.testing.assert_allclose(lever[orbit], lever_all[:, :6], atol=1e-12)
    # biases before 1960 (1200 mas) and an observatory's (150): no apparition since 1960 among them, no change
    old = SimpleNamespace(bias_names=data.bias_names[3:], t_obs=data.t_obs[9:], bias_group=data.bias_group[9:] - 3)
    kept = LinearFit(np.zeros(6), np.eye(6))
    assert considered(kept, old, options) is kept and scatter_response(kept, old, options) is None


def test_scatter_by_era():
    """The scatter considered for an apparition's bias: by the era of its star catalogues (the default, "era":
    options.APPARITION_BIAS_SCATTER_MAS, measured by benchmarks/bias_variance.py --level apparition), one value since
    1960 ("pooled"), nothing before 1960 (the plates' 1200 mas prior is wider) or without the option."""
    from orbitfit.estimation.bias_priors import apparition_scatter_mas
    assert [apparition_scatter_mas(y, "era") for y in (1959, 1960, 1979, 1980, 1994, 1995, 2009, 2010, 2022)] == \
        [None, 432.0, 432.0, 320.0, 320.0, 56.0, 56.0, 46.0, 46.0]
    assert apparition_scatter_mas(2016, "pooled") == 74.0 and apparition_scatter_mas(1959, "pooled") is None
    assert apparition_scatter_mas(2016, None) is None
    assert FitOptions().apparition_bias_scatter == "moon"              # "era", each moon its own in 1995-2009
    assert FitOptions.from_description({"bias_groups": None}).apparition_bias_scatter is None   # older archives


def test_each_moons_own_scatter_in_1995_2009():
    """The "moon" scatter: a moon's own (options.MOON_APPARITION_SCATTER_MAS, benchmarks/bias_variance.py --level
    apparition) for its apparitions of 1995-2009, the era's otherwise and for a body the table does not name; in a
    family the moon is the one its bias names say ("510:apparition:2003"), so the family's covariance considers each
    member's own. Lysithea's 157 mas widens the toy problem's orbit covariance beyond the era's 56; Himalia's 25,
    narrower than the 30 mas prior, considers nothing there."""
    from orbitfit.estimation.bias_priors import apparition_scatter_mas
    from orbitfit.estimation.options import MOON_APPARITION_SCATTER_MAS
    assert MOON_APPARITION_SCATTER_MAS[510] == 157.0 and MOON_APPARITION_SCATTER_MAS[506] == 25.0
    assert [apparition_scatter_mas(y, "moon", 510) for y in (1959, 1960, 1980, 1994, 1995, 2009, 2010)] == \
        [None, 432.0, 320.0, 320.0, 157.0, 157.0, 46.0]
    assert apparition_scatter_mas(2003, "moon", 599) == apparition_scatter_mas(2003, "moon") == 56.0
    assert apparition_scatter_mas(2003, "era", 510) == 56.0                       # "era" is the same for every moon
    assert FitOptions(apparition_bias_scatter="moon").apparition_bias_scatter == "moon"
    options = FitOptions(apparition_bias_scatter="moon")
    data, design, sigma_mas = toy_problem()
    k = len(data.bias_names)
    _, prior_sigma = bias_prior_arrays(data.bias_names, options.bias_prior_mas)
    whitening = bias_prior_whitening(data, prior_sigma, options)
    stacked = np.vstack([design / sigma_mas, np.hstack([np.zeros((2 * k, 2)), whitening])])
    fit = LinearFit(np.zeros(2 + 2 * k), np.linalg.inv(stacked.T @ stacked))
    variance = {body: np.diag(considered(fit, data, options, body=body).covariance)[:2] for body in (506, 510, None)}
    assert np.all(variance[510] > 1.5 * variance[None])                          # 157 mas against the era's 56
    assert considered(fit, data, options, body=506) is fit                        # 25 < 30: nothing considered
    family = SimpleNamespace(**{**vars(data), "bias_names": [f"510:{n}" for n in data.bias_names]})
    np.testing.assert_array_equal(considered(fit, family, options).covariance,
                                  considered(fit, data, options, body=510).covariance)


def test_a_family_member_name_says_its_moon_and_a_single_fit_name_none():
    """A family fit names member 510's groups "510:apparition:2003" (`member_name`); `split_member_name` gives back
    the moon and its own name, and a single fit's names, whose first part is never a number, no moon."""
    from orbitfit.estimation.weights import member_name, split_member_name
    for name in ("apparition:2003", "nsdb:jo0059:G36:2016", "observatory:809", "gaia:2015", "jo0035"):
        assert split_member_name(member_name(510, name)) == (510, name)
        assert split_member_name(name) == (None, name)
