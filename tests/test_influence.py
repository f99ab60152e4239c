"""Leave-one-group-out, linearised (orbitfit.estimation.influence): exact on a linear problem against refits by
numpy's least squares, with a prior row kept in every fit; the jackknife sigma against its textbook formula. The
family fit's use of it (Himalia's GM without a decade of Elara's GJ15 positions) is checked against a real refit
in tests/test_family.py."""
from types import SimpleNamespace

import numpy as np
import pytest

from orbitfit.estimation.influence import MAX_NORMAL_CONDITION, _condition, jackknife_sigma, leave_one_out
from orbitfit.estimation.weights import Weights
from orbitfit.observables import Evaluation


def linear_fit(rng, n=300, groups=6, with_prior=True):
    """A converged linear fit: (RA*, Dec) rows of x + t * v with per-group offsets (a data set's systematic error),
    weighted by per-row sigmas, one prior pseudo-observation on parameter 1; solved exactly by lstsq."""
    t = rng.uniform(-5, 5, n)
    labels = np.array([f"set{k}" for k in rng.integers(0, groups, n)])
    offsets = {f"set{k}": rng.normal(0, 3.0, 2) for k in range(groups)}
    truth = np.array([1.0, -2.0, 0.5, 0.25])
    design = np.zeros((n, 2, 4))
    design[:, 0, 0], design[:, 0, 1], design[:, 1, 2], design[:, 1, 3] = 1.0, t, 1.0, t
    design[:, 1, 1] = 0.3 * t                       # couple the coordinates, as the sky partials do
    sigma_ra, sigma_dec = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n)
    observed = design @ truth + np.array([offsets[k] for k in labels])
    observed[:, 0] += rng.normal(0, sigma_ra)
    observed[:, 1] += rng.normal(0, sigma_dec)
    prior = (np.array([[0.0, 1 / 0.5, 0.0, 0.0]]), -2.2 / 0.5)    # parameter 1 = -2.2 +- 0.5 (whitened)

    def solve(keep):
        A = np.concatenate([design[keep, 0] / sigma_ra[keep, None], design[keep, 1] / sigma_dec[keep, None]])
        b = np.concatenate([observed[keep, 0] / sigma_ra[keep], observed[keep, 1] / sigma_dec[keep]])
        if with_prior:
            A, b = np.concatenate([A, prior[0]]), np.concatenate([b, [prior[1]]])
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        return x, np.linalg.inv(A.T @ A)

    x, covariance = solve(np.ones(n, dtype=bool))
    calc = design @ x
    residual_prior = (prior[0], np.array([prior[1] - prior[0][0] @ x]))
    evaluation = Evaluation(observed[:, 0] - calc[:, 0], observed[:, 1] - calc[:, 1], design, None, None, None)
    evaluation.extra = residual_prior if with_prior else None
    weights = Weights(sigma_ra, sigma_dec, np.zeros(n), np.zeros(1), np.zeros(1))
    fit = SimpleNamespace(parameters=x, covariance=covariance, evaluation=evaluation, weights=weights,
                          accepted=np.ones(n, dtype=bool))
    return fit, labels, solve


@pytest.mark.parametrize("with_prior", [True, False])
def test_leave_one_out_is_exact_for_a_linear_fit(with_prior):
    rng = np.random.default_rng(7)
    fit, labels, solve = linear_fit(rng, with_prior=with_prior)
    fit.accepted[5] = False                         # a rejected row is in no fit, with or without its group
    out = leave_one_out(fit, labels, [1, 3])
    assert sorted(out) == sorted(set(labels))
    _, covariance_all = solve(fit.accepted)
    for label, (rows, values, sigmas, growth) in out.items():
        keep = (labels != label) & fit.accepted
        x, covariance = solve(keep)
        assert rows == int(np.sum((labels == label) & fit.accepted))
        np.testing.assert_allclose(values, x[[1, 3]], rtol=0, atol=1e-9)
        np.testing.assert_allclose(sigmas, np.sqrt(np.diag(covariance))[[1, 3]], rtol=1e-9)
        # what the group's information held: the covariance the two parameters gain without it
        np.testing.assert_allclose(growth, (covariance - covariance_all)[np.ix_([1, 3], [1, 3])], rtol=1e-7,
                                   atol=1e-12)


def test_a_group_that_alone_determines_a_parameter_gives_nan():
    """Without the only rows that see parameter 0, the rest cannot determine it: NaN, not a number from noise."""
    rng = np.random.default_rng(3)
    fit, labels, _ = linear_fit(rng, with_prior=False)
    only = labels == labels[0]
    fit.evaluation.design[~only, 0, 0] = 0.0
    rows, values, sigmas, growth = leave_one_out(fit, labels, [0, 1])[labels[0]]
    assert np.all(np.isnan(values)) and np.all(np.isnan(sigmas)) and np.all(np.isnan(growth))


def test_the_condition_number_is_numpys_without_the_svd():
    """The test that the rest determine every parameter: a normal matrix's largest over smallest eigenvalue is
    np.linalg.cond (the SVD's ratio) to the precision either has (~1e-16 x the condition number), on both sides of
    MAX_NORMAL_CONDITION; a singular one is beyond it, an indefinite one infinite."""
    rng = np.random.default_rng(5)
    basis = np.linalg.qr(rng.normal(size=(40, 40)))[0]
    for condition in (1e2, 1e8, 1e12, 0.5 * MAX_NORMAL_CONDITION, 2 * MAX_NORMAL_CONDITION):
        normal = (basis * np.geomspace(1.0, 1.0 / condition, 40)) @ basis.T * 3.7e5
        normal = 0.5 * (normal + normal.T)
        assert _condition(normal) == pytest.approx(np.linalg.cond(normal), rel=max(1e-12, 1e-15 * condition))
        assert (_condition(normal) <= MAX_NORMAL_CONDITION) == (condition <= MAX_NORMAL_CONDITION)
    singular = np.outer(np.arange(1.0, 5.0), np.arange(1.0, 5.0))
    assert _condition(singular) > MAX_NORMAL_CONDITION and _condition(-np.eye(3)) == np.inf


def test_jackknife_sigma_is_the_delete_one_formula():
    """sqrt((g-1)/g * sum (v - mean)^2): for the mean of g equal-sized groups, left out one at a time, it is exactly
    the standard error of the mean from the scatter of the group means, std(group means) / sqrt(g) (Efron & Stein
    1981) -- checked on 40 groups of 25 draws."""
    rng = np.random.default_rng(11)
    draws = rng.normal(0.0, 2.0, (40, 25))
    leave_out = np.array([np.delete(draws, k, axis=0).mean() for k in range(40)])
    assert jackknife_sigma(leave_out) == pytest.approx(draws.mean(axis=1).std(ddof=1) / np.sqrt(40), rel=1e-9)
    assert jackknife_sigma([1.0, 3.0]) == pytest.approx(1.0)
    # a group without which the parameter is undetermined: the jackknife cannot be formed (skipping it would hide
    # the one group that decides everything)
    assert np.isnan(jackknife_sigma([1.0, 3.0, np.nan]))
