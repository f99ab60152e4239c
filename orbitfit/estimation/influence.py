"""What each data set does to a fitted parameter: the fit without one data set at a time, linearised.

Refitting without each of Elara's 26 data sets takes ~50 min on 2 cores (one family fit each, ~90 s);
at a converged solution the same answer to first order costs one matrix solve per data set. With the whitened
design A and whitened residuals b of the accepted rows (weights and flags of the final iteration), the solution
satisfies A^T b = 0 (plus any prior's pseudo-observations); without the rows S of one data set, one Gauss-Newton
step from it is

    delta_S = (N - A_S^T A_S)^-1 (A^T b - A_S^T b_S),      N = A^T A,

the deletion formula of linear least squares (Cook 1977, Technometrics 19, 15; Belsley, Kuh & Welsch 1980, ch. 2).
With the weights held it is the refit whatever the shift (tests/test_family.py: Himalia's GM without Elara's GJ15
positions of the 1990s, a 25-sigma shift, 3.4649 linearised vs 3.4643 refit). What it leaves out is the re-weighting:
a refit re-estimates the floors and re-judges the outliers of what is left (measured with estimated floors: -0.095
vs -0.116 without the 1990s; -1.15 vs -0.67 without the 2000s, three quarters of Elara's positions; on every
embedded data set, without NSDB jo0010 0.002 vs -0.021). So it ranks data sets and sizes their pull; a large shift
is worth a refit (benchmarks/himalia_gm.py --refits). The sigma without S is sqrt of the diagonal of
(N - A_S^T A_S)^-1: the formal one, before the night sandwich (FitOptions.night_deweighting="estimated" widens the
fit's own covariance beyond it).

The spread of the leave-one-out values is a delete-a-group jackknife (Efron & Stein 1981; the data sets are the
groups): sigma_jack^2 = (g - 1)/g * sum (v_S - mean v)^2 over g data sets. Where one data set's systematic error
decides a parameter, the jackknife sees it and the formal sigma does not (Himalia's GM: issue 17).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .weights import whiten

MAX_NORMAL_CONDITION = 1e14


class LeftOut(NamedTuple):
    """One group left out (`leave_one_out`): its accepted rows, the parameters without it, their formal sigmas, and
    the formal covariance they gain without it, (N - A_S^T A_S)^-1 - N^-1 over the columns asked for (positive
    semidefinite: what the group's information held; the covariance of the move an honestly weighted group causes
    in a linear fit)."""
    rows: int
    values: np.ndarray
    sigmas: np.ndarray
    growth: np.ndarray


def leave_one_out(fit, labels, columns):
    """Each parameter in `columns` without each group of rows, to first order (module docstring).

    fit: the GaussNewtonResult of a converged fit (its evaluation must still hold the design).
    labels: (n,) the group (e.g. "507:nsdb:jo0010") of each observation row.
    columns: parameter indices to report.
    Returns {label: LeftOut} over the labels that hold accepted rows: rows accepted in the group, the parameters
    without it ((len(columns),) arrays, NaN where the rest cannot determine them), their sigmas and the covariance
    they gain without it ((len(columns),) * 2, NaN likewise).
    """
    evaluation, accepted = fit.evaluation, np.asarray(fit.accepted, dtype=bool)
    w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, fit.weights.for_normal_equations(),
                                      evaluation.design)
    A = np.concatenate([d_ra[accepted], d_dec[accepted]])
    b = np.concatenate([w_ra[accepted], w_dec[accepted]])
    if evaluation.extra is not None:                  # priors stay in every fit
        A, b = np.concatenate([A, evaluation.extra[0]]), np.concatenate([b, evaluation.extra[1]])
    scale = np.linalg.norm(A, axis=0)                 # unit column norms, as solve_normal: km, km/s, GM and mas
    scale[scale == 0] = 1.0
    A = A / scale
    normal, gradient = A.T @ A, A.T @ b
    labels = np.asarray(labels).astype(str)[accepted]
    row_label = np.concatenate([labels, labels])
    columns = np.asarray(columns, dtype=int)
    x = np.asarray(fit.parameters, dtype=float)
    full = np.linalg.inv(normal)[np.ix_(columns, columns)]
    units = np.outer(scale[columns], scale[columns])
    out = {}
    for label in np.unique(labels):
        rows = np.flatnonzero(row_label == label)
        A_s, b_s = A[rows], b[rows]
        values = sigmas = np.full(columns.size, np.nan)
        growth = np.full((columns.size, columns.size), np.nan)
        reduced = normal - A_s.T @ A_s
        covariance = None
        # the other rows must determine every parameter: the inverse of the (column-scaled) normal matrix keeps two
        # of float64's 16 digits up to a condition number of 1e14 (measured: 2e6-3e7 for GJ15's Himalia + Elara
        # without a decade; 7e19 without Himalia's only data set, whose state is then undetermined)
        if _condition(reduced) <= MAX_NORMAL_CONDITION:
            covariance = np.linalg.inv(reduced)
        if covariance is not None:
            diagonal = np.diag(covariance)[columns]
            if np.all(np.isfinite(diagonal)) and np.all(diagonal > 0):
                values = x[columns] + (covariance @ (gradient - A_s.T @ b_s))[columns] / scale[columns]
                sigmas = np.sqrt(diagonal) / scale[columns]
                growth = (covariance[np.ix_(columns, columns)] - full) / units
        out[label] = LeftOut(rows.size // 2, values, sigmas, growth)
    return out


def _condition(normal):
    """2-norm condition number of a symmetric positive semi-definite matrix: its largest eigenvalue over its smallest
    (inf when that is not positive), np.linalg.cond's value without its SVD: about half the time (eigvalsh; a
    Himalia + Elara all-data family fit takes 140 of them: 1.69 -> 0.73 s, one BLAS thread, measured 2026-12-07)."""
    eigenvalues = np.linalg.eigvalsh(normal)
    return eigenvalues[-1] / eigenvalues[0] if eigenvalues[0] > 0 else np.inf


def jackknife_sigma(values):
    """Delete-a-group jackknife sigma of leave-one-out values (module docstring). NaN when any value is NaN: a group
    without which the parameter is undetermined decides it alone, and no spread of the others says how well."""
    values = np.asarray(values, dtype=float)
    if values.size < 2 or not np.all(np.isfinite(values)):
        return float("nan")
    return float(np.sqrt((values.size - 1) / values.size * np.sum((values - values.mean()) ** 2)))
