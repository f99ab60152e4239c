"""The Gaia tests of one moon: its DR3 transit normal points after a cut date held out and predicted by a fit of
the data before it ("cut") or of everything else ("all", `gaia_cut`), and each apparition's transits held out in
turn (`gaia_folds`); a solution's own check, its options and model refitted before the cut (`check_solution`)."""
from __future__ import annotations

import numpy as np
from astropy.table import vstack
from scipy.linalg import block_diag

from ..companions import default_model
from ..estimation.least_squares import fit_orbit
from ..estimation.options import FitOptions
from ..estimation.weights import apparition_year
from ..observations.datasets import load_all
from ..times import to_tdb_seconds
from .predictions import GAIA_TRANSIT, HarnessResult, along_scan, summary

DEFAULT_CUT = "2016-06-01"          # ~1 year of DR3 transits after it (DR3 ends 2017-05-28)


def _defaults(body, observations, options, model, start):
    """The harness's inputs where not given: load_all(body) with transit normal points as Gaia gave them (a fit's
    corrections from other moons need the same held-out rule for every moon: `common_visit_harness`), FitOptions(),
    the body's default model (orbitfit.companions) and the published STE orbit as the start."""
    from ..estimation.published import gomes_junior_2016_orbit
    if observations is None:
        observations = load_all(body, gaia_transits=True, gaia_visit_offsets=None)[0]
    start = start or gomes_junior_2016_orbit(body)
    return observations, options or FitOptions(), model or default_model(start.body), start


def gaia_cut(body, options=None, cut=DEFAULT_CUT, *, mode="cut", observations=None, start=None, model=None,
             gaia_transits=True, bias_priors=None, gaia_offsets=None):
    """Fit `body` (name or NAIF id) without its Gaia DR3 transits after `cut` (Time, ISO UTC or TDB s) and predict
    them (`along_scan`). mode "cut": only the data before the cut are fitted; "all": every other row too (later
    ground data included). observations: the table to use (default `load_all(body, gaia_transits=True,
    gaia_visit_offsets=None)`: transits as Gaia gave them, see `common_visit_harness`; not `load_all`'s default
    table, whose held-out transits the other moons' later means in their visits would free, information no
    prediction has: pass `gaia_offsets` of fits under the same held-out rule, `rule_visit_offsets`, to free the
    fitted ones); start:
    the starting orbit (default the published STE's, `gomes_junior_2016_orbit`); bias_priors: as `fit_orbit`'s;
    gaia_offsets: a `GaiaVisitOffsets` that corrects the fitted transits (never the held-out ones: a prediction has
    no later Gaia data). Returns a HarnessResult."""
    from ..estimation.published import gomes_junior_2016_orbit
    if mode not in ("cut", "all"):
        raise ValueError(f"mode must be 'cut' or 'all', not {mode!r}")
    if observations is None:
        observations = load_all(body, gaia_transits=gaia_transits, gaia_visit_offsets=None)[0]
    t_cut = to_tdb_seconds(cut, "cut")
    tdb = np.asarray(observations["tdb"], float)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    held = transit & (tdb >= t_cut)
    fitted = (tdb < t_cut) if mode == "cut" else ~held
    start = start or gomes_junior_2016_orbit(body)
    solution = fit_orbit(_corrected(observations[fitted], gaia_offsets), start, options or FitOptions(), model=model,
                         bias_priors=bias_priors)            # model None: the body's default (fit_orbit's rule)
    table = along_scan(solution, observations[held])
    return HarnessResult(str(body), f"gaia {mode}", table, summary(table["al_mas"].value, table["normalised"],
                                                                   table["tdb"].value,
                                                                   table.meta["covariance_mas2"]),
                         solution, {"cut_tdb": float(t_cut), "n_fitted": int(fitted.sum())})


def check_solution(solution, observations, cut=DEFAULT_CUT, *, gaia_offsets=None):
    """What a solution's sigma means, on data it did not see: its body's Gaia DR3 transits after `cut` predicted by
    a fit of the rows of `observations` before the cut with the solution's options and model (`gaia_cut`, mode
    "cut", started from the solution's orbit). `observations`: the solution's data with the transits as Gaia gave
    them (`load_all(body, gaia_visit_offsets=None)`, or `as_gaia_transits(..., visit_offsets=None)` for a file's),
    which is the harness' column "transits as Gaia gave them". No visit correction by default: the embedded table
    of visit offsets comes from the moons' fits of every data set, whose orbits saw the held-out epochs, so freeing
    the fitted transits with it lets the other moons' later transits into the prediction (Himalia 5.4 mas, z 0.77;
    Sinope 1.4, 0.21, where as Gaia gave them 6.2, 0.91 and 3.7, 0.50; freeing the held-out ones too, Himalia 4.2,
    0.66; 2026-12-07). `gaia_offsets`: a `GaiaVisitOffsets` of fits under the same held-out rule
    (`rule_visit_offsets`, the harness' default column; eight moons' fits) frees the fitted transits, never the
    held-out ones. Returns the HarnessResult (n 0 when no transit falls after the cut); what `orbitfit demo` and
    `orbitfit fit --check` print."""
    tdb = np.asarray(observations["tdb"], float)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    if not (transit & (tdb >= to_tdb_seconds(cut, "cut"))).any():     # nothing to predict: no fit
        table = along_scan(None, observations[:0])
        return HarnessResult(str(solution.body), "gaia cut", table, summary([], [], [], np.zeros((0, 0))))
    return gaia_cut(solution.body, solution.options, cut, observations=observations, start=solution.orbit,
                    model=solution.model, gaia_offsets=gaia_offsets)


def gaia_folds(body, options=None, *, observations=None, start=None, model=None, min_transits=2,
               bias_priors=None, gaia_offsets=None):
    """Leave one apparition of Gaia transits out: for each apparition of Jupiter (`apparition_year`) with at least
    `min_transits` DR3 transit normal points, fit every other row (the ground data of all years and the other
    apparitions' transits) and predict the held-out transits along the scan (`along_scan`). It judges the fit a user
    makes, with everything, where the "all" test of `gaia_cut` has one held-out interval of ~1 year (for several moons
    one or two epochs of Gaia's scanning law): the three DR3 apparitions (2014/15, 2015/16, 2016/17) triple the
    held-out epochs. bias_priors: {apparition year held out: bias_priors of that fold's fit} (`fit_orbit`);
    gaia_offsets: {apparition year held out: `GaiaVisitOffsets` correcting that fold's fitted transits}. Returns a
    HarnessResult whose table has the apparition of each transit (`apparition`) and notes["solutions"] each fold's
    Solution by year."""
    observations, options, model, start = _defaults(body, observations, options, model, start)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    years = apparition_year(observations["tdb"])
    tables, solutions = [], {}
    for year in np.unique(years[transit]):
        held = transit & (years == year)
        if held.sum() < min_transits:
            continue
        priors = bias_priors.get(int(year)) if bias_priors else None
        offsets = gaia_offsets.get(int(year)) if gaia_offsets else None
        solution = fit_orbit(_corrected(observations[~held], offsets), start, options, model=model,
                             bias_priors=priors)
        table = along_scan(solution, observations[held])
        table["apparition"] = np.full(len(table), int(year))
        tables.append(table)
        solutions[int(year)] = solution
    # the folds' predictions taken as independent (each fold's orbit error is its own draw; their fits share most
    # data, so the spread an honest sigma gives is, if anything, wider than this)
    covariance = block_diag(*(t.meta["covariance_mas2"] for t in tables)) if tables else np.zeros((0, 0))
    orbit = block_diag(*(t.meta["orbit_covariance_mas2"] for t in tables)) if tables else np.zeros((0, 0))
    table = vstack(tables, metadata_conflicts="silent") if tables else along_scan(None, observations[:0])
    table.meta.update(covariance_mas2=covariance, orbit_covariance_mas2=orbit)
    if tables:      # the shared error's loadings fold by fold ("2015|2016:ra": fold 2015's fit, 2016's offset), so
        # that two moons' predictions of one fold share its offsets (`joint_covariance`), as their covariance does
        table.meta.update(shared_keys=np.array([f"{year}|{key}" for year, t in zip(solutions, tables)
                                                for key in t.meta["shared_keys"]]),
                          shared_al=block_diag(*(t.meta["shared_al"] for t in tables)),
                          shared_variance_mas2=tables[0].meta["shared_variance_mas2"])
    return HarnessResult(str(body), "gaia folds", table, summary(table["al_mas"].value, table["normalised"],
                                                                 table["tdb"].value, covariance),
                         None, {"solutions": solutions})


def _corrected(observations, gaia_offsets):
    return observations if gaia_offsets is None else gaia_offsets.correct(observations)[0]
