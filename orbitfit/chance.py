"""What honest errors give by chance: the yardsticks the harness (`orbitfit.validation`) reads its figures against.

A held-out figure means little alone: a moon's one to five Gaia visits make its z rms scatter far more than its
transit count suggests, a data set's change of the held-out rms has an honest spread of its own, and of many moons
or data sets one is always the least lucky. Each function here draws or counts what errors of exactly the predicted
size and correlation would give:

* `honest_spread`: the held-out residuals drawn from the covariance their fit predicts -> z rms and AL rms.
* `honest_spread_of_groups`: the same for several moons drawn together (what their predictions share) -> each
  moon's z rms in every draw.
* `influence_spread`: the change of the held-out AL rms that adding one honestly weighted data set makes.
* `beyond_chance_together`: which of several tests stay beyond chance when read together (Holm).
* `least_likely_chance`: the chance that the least likely of several independent tests is as unlikely as this
  (`least_likely_chance_together`: of tests drawn together).
"""
from __future__ import annotations

import numpy as np

HONEST_DRAWS = 4000        # draws of the held-out residuals from their predicted covariance (`validation.summary`)
# `influence_spread` needs the part of the orbit's error that the weights and the prior describe to be nested: its
# covariance no larger in the fit with a data set than without it. The whole covariance need not be: where it
# considers the apparition biases' scatter (FitOptions.apparition_bias_scatter), a data set of a widely scattering
# era can make it larger, since it brings biases the prior does not allow for. Measured 2026-12-06 (all-data fits,
# the held-out transits' orbit covariances without minus with; smallest eigenvalue over the mean variance without):
# Lysithea's jo0035 (1992-2005) -0.23 with each moon's own scatter, -0.07 with the eras', -0.012 with the prior's
# covariance alone; Elara's jo0022 -0.012 in all three (the refits' rounding and nonlinearity). So the spread reads
# the consider terms apart (`along_scan`'s orbit parts) and asks the prior's part alone to be nested; beyond
# NESTED_TOLERANCE (or for tables that give the orbit part as one, the consider terms in it) no spread is drawn.
NESTED_TOLERANCE = 0.05


def honest_spread(covariance, draws=HONEST_DRAWS, seed=0):
    """What an honest sigma would give the held-out figures: residuals drawn from N(0, covariance) (mas^2, the
    prediction's own correlations: one orbit error for the transits of one visit) -> (rms of each draw's
    normalised residuals, rms of its residuals in mas), each an array of `draws`. The transits of one visit are one
    draw of the orbit's error, not several: for Leda's 14 held-out transits of the cut (three bursts of Gaia's
    scanning law, the default fit) an honest sigma gives a z rms of 0.47 - 1.67 (90%), where 14 independent
    residuals would give 0.68 - 1.30 (measured 2026-12-03)."""
    covariance = np.asarray(covariance, float)
    n = covariance.shape[0]
    if n == 0:
        return np.full(draws, np.nan), np.full(draws, np.nan)
    scale = np.sqrt(np.diag(covariance))
    correlation = covariance / np.outer(scale, scale)
    values, vectors = np.linalg.eigh(correlation)                            # PSD up to rounding
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    z = np.random.default_rng(seed).standard_normal((draws, n)) @ root.T
    return np.sqrt(np.mean(z ** 2, axis=1)), np.sqrt(np.mean((z * scale) ** 2, axis=1))


def honest_spread_of_groups(covariance, groups, draws=HONEST_DRAWS, seed=0, n_groups=None):
    """`honest_spread` for the held-out residuals of several moons drawn together from their joint covariance (mas^2,
    `validation.joint_covariance`: correlated between moons through the error every moon's prediction shares and
    Gaia's error common to one visit), `groups` the moon of each residual (0 .. m-1) -> (draws, m): each moon's z
    rms in every draw (NaN for a group without residuals, `n_groups` given). Its marginals are `honest_spread`'s; what
    it adds is that the moons' figures move together."""
    covariance, groups = np.asarray(covariance, float), np.asarray(groups, int)
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    scale = np.sqrt(np.diag(covariance))
    z = np.random.default_rng(seed).standard_normal((draws, scale.size)) @ _root(
        covariance / np.outer(scale, scale)).T
    return np.stack([np.sqrt(np.mean(z[:, groups == g] ** 2, axis=1)) if np.any(groups == g)
                     else np.full(draws, np.nan) for g in range(n_groups)], axis=1)


def influence_spread(with_table, without_table, draws=HONEST_DRAWS, seed=0, assumed_without=None):
    """What adding one honestly weighted data set would do to the held-out AL rms, by chance: draws of
    rms(with) - rms(without) under the two fits' own error model (`along_scan` tables of the same held-out transits).

    For a linear least-squares fit whose weights and prior are right, adding data set D moves the orbit error from
    e_wo to e_w = (I - K H) e_wo + K eps_D, so Cov(e_w) = P_w, Cov(e_wo) = P_wo and Cov(e_w, e_wo) = P_w: along the
    held-out scans v = J e_w ~ N(0, B), u = J e_wo = v + w with w ~ N(0, A - B) independent of v (A, B the orbit
    parts J P J^T of the two tables' covariances, here what the weights and the biases' prior give,
    meta["orbit_assumed_mas2"]). Two parts of the error model lie outside that prior, and the two fits meet them
    alike (`along_scan`'s orbit parts): the apparition biases' scatter beyond their prior, which moves each fit by
    R b (R its response, b the biases' excess: one draw for both fits, with the excess covariance of the coordinates
    they name, `bias_priors.scatter_response`), and the error every moon's prediction shares, one sky offset per
    apparition that moves each fit by its own response and the held-out transit by its own (one draw of the offsets
    for both). Both fits' residuals share the held-out transits' own errors n (their sigmas and Gaia's common visit
    error: the with-table's covariance less its orbit part): r_wo = n - u, r_w = n - v. The draws hold everything
    that makes the change random: the held-out noise, and the orbit's move that D's own errors cause, which a
    bootstrap over the held-out transits does not see. An observed change beyond them says D pulls the orbit more
    than its weight allows (a bias or a weight too large), whatever the held-out transits. Returns an array of
    `draws` changes (mas; its mean is negative: information helps on average), or of NaN where the fit with D is not
    nested in the fit without it (A - B has an eigenvalue below -NESTED_TOLERANCE times A's mean variance:
    NESTED_TOLERANCE's comment). Tables without the parts (the orbit covariance as one) are read as that one part.

    assumed_without: A, where known otherwise than from the without-fit's table. The refit without D re-estimates
    the floors, night correlations and flags of the rest, so its A moves by more than D's information. Measured
    2026-12-06 (all data, transits as Gaia gave them; the square root of A - B's diagonal along the held-out scans):
    Elara's jo0023 -(0.14-0.27) mas, the refit without it surer than the fit with it, where its information with the
    weights held is 0.02-0.05; Leda's jo0050 0.07-0.39 where 0.26-0.73. With every other weight held, A is B plus
    what D's information held (`estimation.influence.LeftOut.growth` carried along the scans,
    `validation.influence.held_weights_predictions`): A - B is that information alone, nested by construction, and
    the draws are the spread of the change made with the weights held."""
    n = np.asarray(with_table.meta["orbit_covariance_mas2"]).shape[0]
    if n == 0:
        return np.full(draws, np.nan)
    B = assumed_part(with_table)
    A = assumed_part(without_table) if assumed_without is None else np.asarray(assumed_without, float)
    if not nested(A, B):
        return np.full(draws, np.nan)
    N = np.asarray(with_table.meta["covariance_mas2"], float) - np.asarray(with_table.meta["orbit_covariance_mas2"],
                                                                             float)
    # (v, u) jointly: the nested part, and the parts both fits meet alike
    joint = np.block([[B, B], [B, A]])
    for along, names, covariance in (_scatter_part(with_table, without_table, n),
                                     _shared_part(with_table, without_table, n)):
        stacked = np.vstack(along)                                          # (2n, m)
        joint = joint + stacked @ covariance @ stacked.T
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((draws, n)) @ _root(N).T
    vu = rng.standard_normal((draws, 2 * n)) @ _root(joint).T
    v, u = vu[:, :n], vu[:, n:]
    rms = lambda r: np.sqrt(np.mean(r ** 2, axis=1))
    return rms(noise - v) - rms(noise - u)


def _root(matrix):
    """A square root of a (near-)PSD matrix, rounding clipped."""
    values, vectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def assumed_part(table):
    """The orbit part of an `along_scan` table's covariance that its weights and biases' prior give (the whole orbit
    part for a table without its parts)."""
    return np.asarray(table.meta.get("orbit_assumed_mas2", table.meta["orbit_covariance_mas2"]), float)


def _union(with_table, without_table, along_key, names_key, n):
    """The two tables' responses (n, m) padded to the union of the names they give (the with-fit's first), and that
    union."""
    names_w = [str(x) for x in with_table.meta.get(names_key, [])]
    names_wo = [str(x) for x in without_table.meta.get(names_key, [])]
    known = set(names_w)
    union = names_w + [x for x in names_wo if x not in known]
    padded = []
    for table, names in ((with_table, names_w), (without_table, names_wo)):
        along = np.asarray(table.meta.get(along_key, np.zeros((n, 0))), float)
        out = np.zeros((along.shape[0], len(union)))
        out[:, [union.index(x) for x in names]] = along
        padded.append(out)
    return padded, union


def _scatter_part(with_table, without_table, n):
    """(the two fits' AL responses to the apparition biases' excess, union of coordinates, their excess covariance):
    the with-fit's excess where it names the coordinate (it holds the without-fit's data), else the without-fit's;
    two coordinates that only one fit each names, independent."""
    along, union = _union(with_table, without_table, "bias_scatter_al_mas", "bias_scatter_coordinates", n)
    covariance = np.zeros((len(union), len(union)))
    for table in (without_table, with_table):                             # the with-fit's values last, so they win
        names = [str(x) for x in table.meta.get("bias_scatter_coordinates", [])]
        if names:
            index = [union.index(x) for x in names]
            covariance[np.ix_(index, index)] = np.asarray(table.meta["bias_excess_mas2"], float)
    return along, union, covariance


def _shared_part(with_table, without_table, n):
    """(the two fits' AL misses per mas of each apparition's shared sky offset, the union of apparitions and axes,
    s^2 I): one draw of the offsets for both fits."""
    along, union = _union(with_table, without_table, "shared_al", "shared_keys", n)
    variance = float(with_table.meta.get("shared_variance_mas2", 0.0))
    return along, union, variance * np.eye(len(union))


def nested(without, with_):
    """Whether an orbit covariance `with_` (a data set added) is no larger than `without` along every direction, to
    NESTED_TOLERANCE of `without`'s mean variance (the refits' rounding)."""
    without, with_ = np.asarray(without, float), np.asarray(with_, float)
    smallest = np.linalg.eigvalsh(0.5 * ((without - with_) + (without - with_).T)).min()
    return bool(smallest >= -NESTED_TOLERANCE * np.mean(np.diag(without)))


def beyond_chance_together(p_values, alpha=0.05):
    """Which of several tests read together are beyond chance: Holm's step-down (Holm 1979, Scand. J. Statist. 6,
    65), which keeps the chance that any honest one is flagged below `alpha` whatever their correlation. Why: of
    twenty honestly weighted data sets, one is worse than its own 95% by chance (0.05 each, 64% that at least one is);
    the question "does any data set worsen the prediction beyond chance" is asked of all of them at once. The p
    values sorted, the k-th smallest (k = 1..N) is flagged while p <= alpha / (N - k + 1); the first that is not
    stops it. NaN p values (a fit that failed) are not tests. Returns a boolean array in the order given."""
    p = np.asarray(p_values, float)
    flagged = np.zeros(p.shape, bool)
    tested = np.flatnonzero(np.isfinite(p))
    for k, index in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        if p[index] > alpha / (tested.size - k):
            break
        flagged[index] = True
    return flagged


def least_likely_chance(p, count):
    """The chance that, of `count` independent tests all honest, the least likely has a chance `p` or smaller:
    1 - (1 - p)^count (Sidak; exact for independent tests, an upper bound for positively related ones). Why: with
    eight moons, one of them has a chance below 1/8 by luck alone, so a moon's own chance of 0.01 is, read with the
    other seven, a one-in-thirteen event (0.077), not one in a hundred."""
    p = float(p)
    if not 0.0 <= p <= 1.0 or int(count) < 1:
        raise ValueError(f"least_likely_chance: expected 0 <= p <= 1 and count >= 1, got p={p!r}, count={count!r}")
    return 1.0 - (1.0 - p) ** int(count)


def least_likely_chance_together(p, draws):
    """`least_likely_chance` for tests drawn together: `draws` (n, m) of m moons' z rms from their joint covariance
    (`honest_spread_of_groups`; NaN columns, moons without a test, left out). Each draw's moons get their own chance
    of a z rms at least as large (their rank among that moon's draws); the answer is how often the least of them is
    `p` or smaller. Independent moons give 1 - (1 - p)^m; moons that move together give less, down to p itself."""
    draws = np.asarray(draws, float)
    draws = draws[:, ~np.isnan(draws[0])]
    n = draws.shape[0]
    # the chance of a z rms at least as large as each draw's, within its moon: (number of draws >= it) / n
    larger = n - np.argsort(np.argsort(draws, axis=0, kind="stable"), axis=0)
    return float(np.mean((larger / n).min(axis=1) <= float(p)))
