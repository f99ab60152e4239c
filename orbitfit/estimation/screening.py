"""Gross outliers found before the first Gauss-Newton step (`gross_outliers`), so that a fit converges from any start
orbit whatever a compilation holds.

Least squares cannot start when one position is thousands of arcseconds off: the first step chases it, the damped
fallback shortens every step, and the iterations run out far from the solution. The embedded NSDB units hold such
rows (residuals against the published start orbits of Gomes-Junior et al. 2016, measured 2026-12-02): Elara
jo0017 line 23, 4772"; jo0023 lines 13-14, 321"; Sinope jo0023 lines 85-86, 5358"; Carme jo0038 lines 82-83, 381";
Ananke jo0010 line 1375, 850". With them, a fit of Elara's data without GJ15 never converged (chi2 1.9e8 after 25
iterations).

The start orbit is itself off, by 1-30" over the decades (median |O-C| against it: Himalia 1.6", Carme 11"), but its
error changes slowly with time. So each position is compared with the median residual of its `SCREEN_NEIGHBOURS`
nearest positions in time, not with zero, and flagged when it is more than threshold_arcsec +
`SCREEN_DRIFT_ARCSEC_PER_DAY` x (the median time to those neighbours) off: within a night the threshold itself, for
a position a year from any other a few hundred arcseconds (the start orbit may have drifted that far in between;
the 850" Ananke row of 1976 is such a lone one). The median ignores up to half of the neighbours being bad
themselves (a pair of rows at one instant, both wrong). With 30" (the default, FitOptions.screen_arcsec) the
published start orbits of the eight moons flag the eight modern rows listed above and 12 plates of 1905-1940
(jo0010, 46" to 4916" off, each above its allowance) among the 19 952 rows of every embedded data set; lesser
outliers (Leda jo0018 line 20, 83" off with neighbours 3 weeks away) are left to the chi2 test of the converged fit.

Flagged positions start the fit as outliers: they stay in the solution, and the usual chi2 test readmits any that
the converged orbit fits (`FitOptions.chi2_readmit`), so screening only decides where the iterations start.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..observables import evaluate
from .gauss_newton import EVALUATION_ERRORS

SCREEN_NEIGHBOURS = 10          # the nearest positions in time a position is compared with
SCREEN_MIN_NEIGHBOURS = 4       # fewer in all (a tiny data set): the position is not judged
# allowance for the start orbit's drift between a position and its neighbours: generous, so that only gross errors
# are flagged (the published start orbits' errors change by < 0.2"/day: Carme's, the worst, reaches 26" by 2017)
SCREEN_DRIFT_ARCSEC_PER_DAY = 1.0
SCREEN_BLOCK = 20_000           # positions screened at once (memory, not results: each is judged alone)


@dataclass
class Screening:
    """The outcome of `gross_outliers`: which positions are flagged, each one's offset from its neighbours' median
    residual and the threshold it was held to (arcsec; NaN when not judged)."""
    flagged: np.ndarray
    offset_arcsec: np.ndarray
    limit_arcsec: np.ndarray
    threshold_arcsec: float

    @property
    def unjudged(self) -> int:
        return int(np.isnan(self.offset_arcsec).sum())


def gross_outliers(res_ra_mas, res_dec_mas, tdb_s, threshold_arcsec, groups=None):
    """Screening of O-C residuals against a start orbit (module docstring): positions more than `threshold_arcsec`
    (plus the drift allowance) off the median residual of their neighbours in time. `groups` (optional, one label
    per row) keeps the neighbourhoods within a label (one body of a family fit)."""
    res_ra = np.asarray(res_ra_mas, float) / 1000.0
    res_dec = np.asarray(res_dec_mas, float) / 1000.0
    t_day = np.asarray(tdb_s, float) / 86400.0
    n = t_day.size
    offset, limit = np.full(n, np.nan), np.full(n, np.nan)
    labels = np.zeros(n, dtype=int) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    for label in np.unique(labels):
        rows = np.nonzero(labels == label)[0]
        rows = rows[np.argsort(t_day[rows], kind="stable")]
        t = t_day[rows]
        if rows.size <= SCREEN_MIN_NEIGHBOURS:
            continue
        # the positions in blocks, each position at once: its candidates are the SCREEN_NEIGHBOURS before and after
        # it in time (those beyond the ends at an infinite gap, so a stable sort leaves them last), of which the
        # nearest are kept (one Python step per position took 0.7 s of an all-data Himalia fit; the same medians,
        # bit for bit; blocks keep the memory ~20 MB however many positions)
        keep = min(SCREEN_NEIGHBOURS, rows.size - 1)
        for first in range(0, rows.size, SCREEN_BLOCK):
            k = np.arange(first, min(first + SCREEN_BLOCK, rows.size))[:, None]
            candidate = k + np.r_[-SCREEN_NEIGHBOURS:0, 1:SCREEN_NEIGHBOURS + 1]
            inside = (candidate >= 0) & (candidate < rows.size)
            candidate = np.clip(candidate, 0, rows.size - 1)
            gap = np.where(inside, np.abs(t[candidate] - t[k]), np.inf)
            nearest = np.argsort(gap, axis=1, kind="stable")[:, :keep]
            others, these = rows[np.take_along_axis(candidate, nearest, axis=1)], rows[k[:, 0]]
            offset[these] = np.hypot(res_ra[these] - np.median(res_ra[others], axis=1),
                                     res_dec[these] - np.median(res_dec[others], axis=1))
            limit[these] = threshold_arcsec + SCREEN_DRIFT_ARCSEC_PER_DAY * np.median(
                np.take_along_axis(gap, nearest, axis=1), axis=1)
    flagged = np.nan_to_num(offset, nan=0.0) > np.nan_to_num(limit, nan=np.inf)
    return Screening(flagged, offset, limit, float(threshold_arcsec))


def screen_start(orbit, model, prepared, options, start=None):
    """`gross_outliers` of the prepared observations (observables.prepare) against the start `orbit` carried by
    `model`, with options.screen_arcsec; None when not screened, or when the start orbit cannot be evaluated (the
    fit loop then says why, as a FitError). start: the evaluation at `orbit` if the caller has it already."""
    if options.screen_arcsec is None:
        return None
    if start is None:
        try:
            start = evaluate(orbit, model, prepared, partials=False)
        except EVALUATION_ERRORS:
            return None
    return gross_outliers(start.res_ra, start.res_dec, prepared.t_obs, options.screen_arcsec)


def screening_record(screening, table, accepted):
    """Solution.meta["screened"]: the threshold and each flagged position of `table` (Observations, by file:line)
    with its offset, its limit and whether the converged fit left it flagged (`accepted`: the final flags)."""
    rows = np.nonzero(screening.flagged)[0]
    where = [f"{table['source'][r]}:{table['line'][r]}" for r in rows]
    return {"threshold_arcsec": screening.threshold_arcsec,
            "drift_arcsec_per_day": SCREEN_DRIFT_ARCSEC_PER_DAY,
            "rows": [{"where": w, "offset_arcsec": round(float(screening.offset_arcsec[r]), 1),
                      "limit_arcsec": round(float(screening.limit_arcsec[r]), 1),
                      "still_flagged": bool(not accepted[r])} for r, w in zip(rows, where)]}
