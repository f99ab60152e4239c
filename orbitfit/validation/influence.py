"""What each data set does to a moon's prediction of its held-out Gaia transits (`dataset_influence`), against what
an honestly weighted data set would do by chance (`orbitfit.chance`)."""
from __future__ import annotations

import numpy as np

from ..chance import assumed_part, beyond_chance_together, influence_spread
from ..estimation.gauss_newton import FitError
from ..estimation.influence import leave_one_out
from ..estimation.least_squares import linearised
from ..estimation.options import FitOptions
from ..observations.datasets import load_all
from ..tables import quantity_table
from ..times import to_tdb_seconds
from .held_out import DEFAULT_CUT, gaia_cut
from .predictions import GAIA_TRANSIT, HarnessResult, Resamplings, free_predictions, summary

# the note of a data set whose addition makes the prior's part of sigma larger, so that no honest spread is drawn
# (chance.nested; the consider terms are read apart since 2026-12-06, so this is the refits' nonlinearity)
NOT_NESTED_NOTE = "sigma grows with it: no honest spread"


def dataset_influence(body, options=None, cut=DEFAULT_CUT, *, mode="cut", observations=None, start=None, model=None,
                      min_rows=20, n_boot=2000, rng=None, gaia_offsets=None, held_out_offsets=None, base=None):
    """What each data set does to the prediction of the held-out Gaia transits (`gaia_cut`): for every data set
    with at least `min_rows` fitted rows (the Gaia transits excepted: they are the reference), the fit without it.
    Returns (HarnessResult of the fit with everything, QTable per data set: rows fitted, AL rms without it, the
    change of AL rms when it is added (`d_rms_mas` = with - without: > 0 means it makes the prediction worse) and
    the noise of that change: `noise_mas`, the standard deviation of the paired difference over bootstrap
    resamplings of the held-out transits, and `noise_visits_mas`, the same over resamplings of the held-out Gaia
    visits (`visit_index`), each visit's transits drawn together. The transits of one visit share the orbit's error
    and an error of Gaia's own (~3.5 mas common to the moons it sees, benchmarks/gaia_error_structure.py), so they
    are not independent draws: the visits' noise is larger where few visits hold most transits). Both resample the
    held-out transits only; the orbit's move that the data set's own errors cause is not in them. That is in
    `honest_d_rms_95_mas`, the 95th percentile of the change an honestly weighted data set would make by chance
    (`influence_spread`: from the two fits' covariances and the held-out transits' own), and `p_worse`, the chance
    of a change at least as large (the Monte Carlo estimate (1 + k) / (1 + draws), never 0 from finite draws): a
    small p says the data set pulls the orbit more than its weight allows. A data set that adds no information
    along the held-out scans has an honest change of ~0, so even a 0.1 mas worsening gets a small p: read p with
    d_rms_mas. Where adding the data set makes the orbit's covariance larger (its apparitions' scatter considered
    beyond their prior) the spread reads the consider terms of the two fits together (`influence_spread`); where
    even the weights' and prior's part grows (`chance.nested`: beyond the refits' rounding) no honest spread
    follows: honest_d_rms_95_mas and p_worse are NaN, and the note says why. `beyond_chance`: worse, and beyond
    chance when the moon's data sets are read together (`beyond_chance_together`, family-wise 5%): of N honest data
    sets, 0.05 N have p_worse < 0.05 by chance.
    The spread is linear theory, which holds the weights; a refit re-estimates them (floors and night correlations of
    the groups that pool with the data set, outlier flags), and a data set that adds nothing along the held-out
    scans can move the prediction through them alone. `d_rms_held_mas` is the change with every other weight held
    (`held_weights_predictions`: the deletion formula at the fit with everything), the part linear theory describes;
    `honest_d_rms_held_95_mas` and `p_worse_held` the same for it, drawn with the information the data set holds
    with those weights (`influence_spread`'s assumed_without), `beyond_chance_held` read together as
    `beyond_chance`. The difference d_rms_mas - d_rms_held_mas is what the refit's re-estimated weights did.
    gaia_offsets: as `gaia_cut`'s, for every fit (from the other moons' fits of the same rule:
    `rule_visit_offsets`). held_out_offsets: what the other moons' HELD-OUT transits share in each Gaia visit under
    the same rule (`rule_held_out_offsets`); given, every table is freed of it before the changes and their chance
    are measured (`free_predictions`; the returned base too): a data set is then judged on what
    this moon's prediction alone can be blamed for, not on the error every moon's prediction meets in a visit.
    base: this moon's `gaia_cut` with the same options, cut, mode, observations and gaia_offsets, when already
    fitted (`rule_held_out_offsets` returns it), instead of fitting it again."""
    if observations is None:
        observations = load_all(body, gaia_visit_offsets=None)[0]
    options = options or FitOptions()
    rng = rng or np.random.default_rng(15)
    if base is None:
        base = gaia_cut(body, options, cut, mode=mode, observations=observations, start=start, model=model,
                        gaia_offsets=gaia_offsets)
    elif base.test != f"gaia {mode}" or base.notes.get("cut_tdb") != to_tdb_seconds(cut, "cut"):
        raise ValueError(f"base is a {base.test!r} test cut at {base.notes.get('cut_tdb')} s, not 'gaia {mode}' cut "
                         f"at {cut}")
    freed = (lambda table: table) if held_out_offsets is None else \
        (lambda table: free_predictions(table, held_out_offsets, base.solution.body))
    if held_out_offsets is not None:
        table = freed(base.table)
        base = HarnessResult(base.body, base.test, table, summary(table["al_mas"].value, table["normalised"],
                                                                  table["tdb"].value, table.meta["covariance_mas2"]),
                             base.solution, {**base.notes, "held_out_freed": True})
    start = base.solution.orbit
    with_all = base.table["al_mas"].value
    n = with_all.size
    resampled = Resamplings(base.table["tdb"].value, n_boot, rng)
    t_cut = base.notes["cut_tdb"]
    tdb = np.asarray(observations["tdb"], float)
    datasets = np.asarray(observations["dataset"]).astype(str)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    fitted = (tdb < t_cut) if mode == "cut" else ~(transit & (tdb >= t_cut))
    held = held_weights_predictions(base)
    rows = []
    for name in sorted(set(datasets[fitted & ~transit])):
        count = int((fitted & ~transit & (datasets == name)).sum())
        if count < min_rows:
            continue
        keep = ~((datasets == name) & ~transit)
        try:
            without_table = freed(gaia_cut(body, options, cut, mode=mode, observations=observations[keep],
                                           start=start, model=model, gaia_offsets=gaia_offsets).table)
        except FitError as error:
            rows.append((name, count) + (np.nan,) * 9 + (str(error).splitlines()[0][:60],))
            continue
        without = without_table["al_mas"].value
        added = resampled.change(without, with_all)
        change = added["change_mas"]
        chance = influence_spread(base.table, without_table)
        drawn = bool(n) and bool(np.isfinite(chance).all())
        # the change with every other weight held, against the spread of D's information alone
        held_al, gained = held.get(name, (np.full(n, np.nan), None))
        held_change, held_95, p_held = np.nan, np.nan, np.nan
        if n and np.all(np.isfinite(held_al)):
            held_change = resampled.change(held_al, with_all)["change_mas"]
            held_chance = influence_spread(base.table, without_table,
                                           assumed_without=assumed_part(base.table) + gained)
            held_95 = float(np.quantile(held_chance, 0.95))
            p_held = float((np.sum(held_chance >= held_change) + 1) / (held_chance.size + 1))
        rows.append((name, count, float(np.sqrt(np.mean(without ** 2))), change, added["noise_mas"],
                     added["noise_visits_mas"],
                     float(np.quantile(chance, 0.95)) if drawn else np.nan,
                     float((np.sum(chance >= change) + 1) / (chance.size + 1)) if drawn else np.nan,
                     held_change, held_95, p_held, "" if drawn or not n else NOT_NESTED_NOTE))
    columns = list(zip(*rows)) if rows else [[]] * 12
    table = quantity_table({"dataset": list(columns[0]), "n_fitted": list(columns[1]),
                            "rms_without_mas": list(columns[2]), "d_rms_mas": list(columns[3]),
                            "noise_mas": list(columns[4]), "noise_visits_mas": list(columns[5]),
                            "honest_d_rms_95_mas": list(columns[6]), "p_worse": list(columns[7]),
                            "d_rms_held_mas": list(columns[8]), "honest_d_rms_held_95_mas": list(columns[9]),
                            "p_worse_held": list(columns[10]), "note": list(columns[11])}, time=False)
    table["beyond_chance"] = beyond_chance_together(table["p_worse"]) & (np.asarray(table["d_rms_mas"]) > 0)
    table["beyond_chance_held"] = (beyond_chance_together(table["p_worse_held"])
                                   & (np.asarray(table["d_rms_held_mas"]) > 0))
    table.sort("d_rms_mas", reverse=True)
    return base, table


def held_weights_predictions(result):
    """The held-out AL residuals of `result` (a `gaia_cut` HarnessResult) as the fit without each data set would
    predict them with every other weight, floor, night correlation and flag held: the deletion formula at the fit's
    solution (`estimation.influence.leave_one_out` on `least_squares.linearised`; the Gaia transits are never
    left out), carried to the held-out scans by the table's meta["al_per_state"]. Returns {data set: (AL residuals
    (n,), mas; the covariance the prediction gains without it (n, n), mas^2: what its information held, formal)},
    NaN where the rest does not determine the orbit. Exact for a linear fit (test: a refit that re-estimates
    nothing agrees to 1%). The covariance is the normal equations' (no night sandwich, no consider term). The
    deletion keeps the data set's bias groups, where a refit without it drops any group left with fewer than
    weights.SECOND_LEVEL_MIN_ROWS rows (Leda's jo0050, under weights a refit cannot change: 0.03 of a 0.38 mas
    move)."""
    solution = result.solution
    observations = solution.observations
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    labels = np.where(transit, "", np.asarray(observations["dataset"]).astype(str))
    without = leave_one_out(linearised(solution), labels, np.arange(6))
    along = np.asarray(result.table.meta["al_per_state"], float)
    al = result.table["al_mas"].value
    state = np.asarray(solution.state, float)
    # O - C without = O - (C + J d): d the state's change at the solution's epoch when the data set leaves
    return {name: (al - along @ (left.values - state), along @ left.growth @ along.T)
            for name, left in without.items() if name}
