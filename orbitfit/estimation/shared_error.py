"""The error every moon's prediction shares (`FitOptions.shared_sky_error_mas`), as a consider parameter of a fit.

The moons' held-out Gaia transits share an error per Gaia visit beyond Gaia's own (docs/validation.md, "The error
every moon's prediction shares"): one sky offset e_k (RA*, Dec; N(0, s^2 I)) per apparition k of Jupiter, the same
for every observation of that apparition, ground-based, Gaia or occultation, and for every prediction in it;
independent between apparitions (the moons' common offsets change sign from one DR3 apparition to the next). The fit
does not estimate it, so it moves the estimate linearly: delta x = G e, G = N^-1 A^T W B, with N^-1 A^T W the fit's
own linear map from residuals to corrections (whitened as the fit weighs them) and B each row's unit offset for its
apparition. A prediction at an epoch of apparition k then misses by e_k - J G e (J: the position's partials with
respect to the state), whose covariance is

    s^2 (I + J Q J^T - J G_k - G_k^T J^T),   Q = sum_j G_j G_j^T,

and between two epochs s^2 (delta_kl I + J_a Q J_b^T - J_a G_l - G_k^T J_b^T). In an apparition without fitted
data (G_k = 0: a prediction) it is s^2 (I + J Q J^T), the offset of its own apparition and the bend that the fitted
apparitions' offsets put in the orbit (Himalia in 2026, every embedded data set: 6.0 mas in RA*, 4.3 in Dec for
s = 3.8); an apparition of ground positions alone hardly pins it (their apparition biases, 30 mas a priori, take the
offset up); at an epoch that a precise observation pins (a 1 mas occultation) the orbit follows e_k there and it is
~0: the occultation's own sigma is what is left.

The estimate's own error holds G e, covariance s^2 Q: a solution's covariance holds that part (`state_part`; since
2026-12-06), so its elements, its positions in km (relative to Jupiter) and its clones carry it (Himalia, every
embedded data set: sigma(a) 0.07 -> 0.18 km); a predicted sky covariance then adds s^2 (I - J G_k - G_k^T J^T)
(`shared_sky_covariance`), J P J^T having the J Q J^T part.
"""
from __future__ import annotations

import numpy as np

from .gauss_newton import solve_normal
from .weights import apparition_year, whiten

META_KEY = "shared_sky_response"      # Solution.meta: {"years": [K], "state_per_mas": (K, 6, 2),
                                      # "in_covariance_mas2": s^2 whose s^2 Q the state covariance holds} (JSON)


def state_response(fit, data, tdb, names=None):
    """(years (K,), G (K, p, 2)): how the fitted parameters move per mas of each apparition's shared sky offset
    (RA*, Dec), through the fit's final weights and accepted rows (the estimator's map N^-1 A^T W, without the
    night-correlation sandwich, which changes the covariance, not the estimator). `fit`: a GaussNewtonResult (its
    evaluation with the design); tdb: each row's epoch (TDB s)."""
    evaluation, accepted = fit.evaluation, np.asarray(fit.accepted, bool)
    weights = fit.weights.for_normal_equations()
    n = accepted.size
    _, _, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights, evaluation.design)
    extra = None if evaluation.extra is None else (evaluation.extra[0], np.zeros_like(evaluation.extra[1]))
    _, inverse, _ = solve_normal(d_ra, d_dec, np.zeros(n), np.zeros(n), accepted, extra, names)
    years = apparition_year(np.asarray(tdb, float)[accepted])
    unique, index = np.unique(years, return_inverse=True)
    response = np.zeros((unique.size, inverse.shape[0], 2))
    for c, (shift_ra, shift_dec) in enumerate(((np.ones(n), np.zeros(n)), (np.zeros(n), np.ones(n)))):
        w_ra, w_dec = whiten(shift_ra, shift_dec, weights)       # a unit offset of each row, as the fit weighs it
        rows = d_ra[accepted] * w_ra[accepted, None] + d_dec[accepted] * w_dec[accepted, None]      # A^T b per row
        summed = np.zeros((unique.size, inverse.shape[0]))
        np.add.at(summed, index, rows)
        response[:, :, c] = summed @ inverse                     # N^-1 symmetric
    return unique, response


def response_record(years, state_per_mas, in_covariance_mas2):
    """The Solution.meta record of a state response (JSON-able: archives keep it), with the s^2 whose s^2 Q the
    solution's state covariance holds (`state_part`)."""
    return {"years": [int(y) for y in years], "state_per_mas": np.asarray(state_per_mas, float).tolist(),
            "in_covariance_mas2": float(in_covariance_mas2)}


def state_part(state_per_mas, variance_mas2):
    """s^2 Q = s^2 sum_k G_k G_k^T: what the shared error does to the fitted state itself (the estimate moves by
    G e), the part a solution's covariance holds, so that its elements, its positions in km and its clones carry
    it (Himalia, every embedded data set: sigma(a) 0.07 -> 0.18 km)."""
    response = np.asarray(state_per_mas, float)
    return variance_mas2 * np.einsum("kic,kjc->ij", response, response)


def responses(solution):
    """({apparition year: (6, 2) state change per mas}, Q (6, 6) = sum G G^T) of a solution; ({}, 0) for one without
    the record (an archive written before it was kept): its predictions then carry s^2 I, the wide side."""
    record = (getattr(solution, "meta", None) or {}).get(META_KEY)
    if not record:
        return {}, np.zeros((6, 6))
    response = np.asarray(record["state_per_mas"], float).reshape(-1, 6, 2)
    return dict(zip(record["years"], response)), np.einsum("kij,klj->il", response, response)


def in_covariance_mas2(solution):
    """The s^2 whose s^2 Q the solution's covariance already holds (0: none, as in archives written before
    2026-12-06, whose predictions then take the whole s^2 J Q J^T here)."""
    record = (getattr(solution, "meta", None) or {}).get(META_KEY) or {}
    return float(record.get("in_covariance_mas2", 0.0))


def scaled_record(record, factor):
    """The response record of a solution whose every sigma is `factor` times the original's: G does not change (it
    is the fit's own map), s^2 whose s^2 Q the covariance holds scales by factor^2."""
    return {**record, "in_covariance_mas2": float(record.get("in_covariance_mas2", 0.0)) * float(factor) ** 2}


def shared_sky_covariance(solution, tdb, jacobian, variance_mas2, pairwise=False, whole=False):
    """What the shared error adds (mas^2) to the sky covariance J P J^T of `solution`'s predictions at epochs `tdb`
    (TDB s) with position partials `jacobian` (n, 2, 6; mas per state unit): (n, 2, 2) at each epoch, or with
    pairwise=True (n, 2, n, 2) between every two epochs. variance_mas2: s^2. The solution's covariance P holds
    s0^2 Q already (`in_covariance_mas2`, s0 the fit's s), so its J s0^2 Q J^T is not added twice; s^2 other than
    the fit's (a what-if, or 0: the orbit alone) changes that part by (s^2 - s0^2) J Q J^T. whole=True: the shared
    error's whole part, s^2 (I + J Q J^T - J G_k - G_k^T J^T), as if P held none of it (what to show as its share)."""
    tdb = np.atleast_1d(np.asarray(tdb, float))
    n = tdb.size
    held = 0.0 if whole else in_covariance_mas2(solution)    # s0^2 Q already in the covariance (its J Q J^T too)
    if variance_mas2 == 0 and held == 0:
        return np.zeros((n, 2, n, 2)) if pairwise else np.zeros((n, 2, 2))
    by_year, q = responses(solution)
    years = apparition_year(tdb)
    g = np.stack([by_year.get(int(y), np.zeros((6, 2))) for y in years]) if n else np.zeros((0, 6, 2))
    identity = np.eye(2)
    if not pairwise:
        jg = np.einsum("nik,nkj->nij", jacobian, g)                                  # J_a G_{k_a}
        jqj = np.einsum("nik,kl,njl->nij", jacobian, q, jacobian)
        return variance_mas2 * (identity - jg - np.swapaxes(jg, 1, 2)) + (variance_mas2 - held) * jqj
    cross = np.einsum("aik,bkj->aibj", jacobian, g)                                  # J_a G_{k_b}
    same = (years[:, None] == years[None, :])[:, None, :, None] * identity[None, :, None, :]
    jqj = np.einsum("aik,kl,bjl->aibj", jacobian, q, jacobian)
    return variance_mas2 * (same - cross - cross.transpose(2, 3, 0, 1)) + (variance_mas2 - held) * jqj


def shared_sky_factor(solution, tdb, jacobian):
    """(keys ("2016:ra", ...), F (n, 2, m)): the shared error's whole part of `solution`'s predictions at epochs
    `tdb` (TDB s; partials `jacobian`, n x 2 x 6) in factored form, the sky miss per mas of each apparition's offset
    along each axis: J_a G_k (the estimate's move) less the offset itself where the prediction lies in apparition k.
    s^2 F F^T is `shared_sky_covariance(..., pairwise=True, whole=True)`; the factor lets two fits that meet the same
    offsets be read together (orbitfit.chance.influence_spread)."""
    tdb = np.atleast_1d(np.asarray(tdb, float))
    by_year, _ = responses(solution)
    years = apparition_year(tdb)
    union = sorted(set(by_year) | set(years.tolist()))
    keys = [f"{year}:{axis}" for year in union for axis in ("ra", "dec")]
    factor = np.zeros((tdb.size, 2, len(keys)))
    for k, year in enumerate(union):
        if year in by_year:
            factor[:, :, 2 * k:2 * k + 2] = np.einsum("nij,jc->nic", jacobian, by_year[year])
        for c in range(2):
            factor[:, c, 2 * k + c] -= years == year
    return keys, factor
