"""The figures the harness reads: a solution's prediction of held-out Gaia transits along the scan (`along_scan`),
with the covariance an honest sigma gives them; their `summary` (rms, bias, normalised rms, coverage, and the spread of
chance from `orbitfit.chance`); `free_predictions`, the same predictions less what the other moons' held-out transits
share in each Gaia visit; `joint_covariance`, several moons' predictions as one; and `HarnessResult`, one harness
run."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..chance import honest_spread
from ..observations.gaia import TRANSIT_KIND, along_scan_directions, covariance_2x2
from ..observations.gaia_visits import VISIT_GAP_DAYS as GAIA_VISIT_GAP_DAYS, GaiaVisitOffsets, visit_index
from ..estimation.bias_priors import scatter_parts
from ..estimation.shared_error import shared_sky_factor
from ..products.uncertainty import shared_covariance, shared_sky_variance_mas2, sky_jacobian
from ..residuals import compute_residuals
from ..tables import plain_table, quantity_table

GAIA_TRANSIT = TRANSIT_KIND
# a held-out residual beyond 3 sigma is what a fit would flag in its own data (FitOptions.chi2_reject, 3 sigma in
# 2-D): counted apart, so that one bad transit does not stand for the orbit (Sinope's 2016-07-04 pair, the two
# fields of view 106 min apart: -2.4 and -33.6 mas along the scan, where the orbit's error cannot change by 1 mas)
OUTLIER_Z = 3.0
# Gaia's scanning law revisits a sky region in bursts of a few days every few weeks: transits closer than this are
# one visit (Leda's 14 held-out transits of the cut: 13 in 2017-02-22 ... 02-26, one on 2017-01-14)
VISIT_GAP_DAYS = 10.0


def along_scan(solution, held_out, visit_tau_mas=None):
    """QTable of the held-out Gaia transit normal points (kind "gaia_transit") predicted by `solution`: AL residual
    (O-C along the short axis of the transit's covariance), the transit's own AL sigma, the orbit's AL sigma (linear
    propagation of the covariance to the epoch, geocentric sky: within ~1e-4 of Gaia's view at 4-6 au; with the
    error every moon's prediction shares, FitOptions.shared_sky_error_mas, one draw per apparition), and the
    normalised residual AL / sqrt(own^2 + orbit^2). The along-scan direction is taken with a northward (else
    eastward) component, so that one sky offset gives AL residuals of one sign where the scans are alike; without
    the scan angle (not in the NSDB copy of DR3) the sign is a convention.

    meta["covariance_mas2"]: the (n, n) covariance of the AL residuals that the solution and the transits' sigmas
    predict: the orbit's between every two epochs (J_i P J_j^T along each scan), the transits' own on the diagonal,
    and Gaia's error common to one visit (`visit_tau_mas`, default the embedded table's, 3.2 mas; in the sigma of
    every transit as Gaia gave it, at most each pair's own sigmas) between the transits of one visit. `summary`
    uses it for the spread an honest sigma would give the held-out figures. meta["orbit_covariance_mas2"]: the
    orbit's part (with the shared error); meta["shared_sky_mas2"]: the shared error's whole share of it, its part in
    the state included (`shared_covariance(..., whole=True)`); meta["common_visit_mas2"]: Gaia's common visit error
    part alone. meta["al_per_state"]: each AL residual's derivative with respect to the solution's state at its epoch
    (n, 6; mas per km and km/s), what carries a change of the state to the predictions."""
    rows = np.asarray(held_out["kind"]).astype(str) == GAIA_TRANSIT
    transits = held_out[rows]
    n = len(transits)
    out = {"tdb": np.asarray(transits["tdb"], float), "al_mas": np.zeros(n), "sigma_al_mas": np.zeros(n),
           "sigma_orbit_al_mas": np.zeros(n), "normalised": np.zeros(n)}
    if n == 0:
        table = quantity_table(out)
        for key in ("covariance_mas2", "orbit_covariance_mas2", "common_visit_mas2", "shared_sky_mas2"):
            table.meta[key] = np.zeros((0, 0))
        table.meta["al_per_state"] = np.zeros((0, 6))
        return table
    residuals = plain_table(compute_residuals(transits, solution.orbit, solution.model))
    _, jacobian = sky_jacobian(solution, out["tdb"], observer="500")
    directions = along_scan_directions(transits)
    along_state = np.einsum("ni,nij->nj", directions, jacobian)               # (n, 6): mas per state unit
    # the error every moon's prediction shares (FitOptions.shared_sky_error_mas), one sky offset per apparition
    # (what the moons' held-out residuals share changes sign between the DR3 apparitions:
    # benchmarks/gaia_held_out_common.py), as the fit's data of that apparition left it, along each transit's scan
    seen_along = lambda sky: np.einsum("ai,aibj,bj->ab", directions, sky, directions)
    added = seen_along(shared_covariance(solution, out["tdb"], jacobian, pairwise=True))  # P holds the rest
    shared = seen_along(shared_covariance(solution, out["tdb"], jacobian, pairwise=True, whole=True))
    orbit = along_state @ solution.covariance @ along_state.T + added
    for i in range(n):
        measured = covariance_2x2(transits["sigma_ra_mas"][i], transits["sigma_dec_mas"][i], transits["corr"][i])
        along = directions[i]
        out["al_mas"][i] = along @ [residuals["res_ra_mas"][i], residuals["res_dec_mas"][i]]
        out["sigma_al_mas"][i] = np.sqrt(along @ measured @ along)
    out["sigma_orbit_al_mas"] = np.sqrt(np.diag(orbit))
    out["normalised"] = out["al_mas"] / np.hypot(out["sigma_al_mas"], out["sigma_orbit_al_mas"])
    tau = gaia_visit_tau_mas() if visit_tau_mas is None else float(visit_tau_mas)
    visit = visit_index(out["tdb"])                                           # Gaia's own visits (2-day gaps)
    common = np.minimum(tau ** 2, np.outer(out["sigma_al_mas"], out["sigma_al_mas"])) * (visit[:, None] == visit)
    covariance = orbit + common + np.diag(out["sigma_al_mas"] ** 2 - np.diag(common))
    table = quantity_table({**out, "dataset": np.asarray(transits["dataset"]).astype(str)})
    table.meta["covariance_mas2"] = covariance
    table.meta["orbit_covariance_mas2"] = orbit
    table.meta["common_visit_mas2"] = common
    table.meta["shared_sky_mas2"] = shared
    table.meta["al_per_state"] = along_state                  # (n, 6): mas per km, km/s of the state at the epoch
    table.meta.update(_orbit_parts(solution, out["tdb"], jacobian, along_state, directions, orbit))
    return table


def joint_covariance(tables, visit_tau_mas=None):
    """The held-out AL residuals of several moons (`along_scan` tables, one per moon) as one prediction: each moon's
    own covariance on its block and, between two moons, what their predictions share (their orbit errors are
    otherwise independent): the error every moon's prediction shares, one sky offset per apparition for all moons
    (s^2 S_i S_j^T over the apparitions both tables name), and Gaia's error common to one visit, min(tau^2, sigma_a
    sigma_b) between transits of one Gaia visit, as within a moon (its held-out transits are as Gaia gave them).
    Returns (covariance, group): the moon (0 .. m-1, in the tables' order) of each row (a moon without held-out
    transits has none)."""
    blocks = [np.asarray(t.meta["covariance_mas2"], float) for t in tables]
    group = np.concatenate([np.full(len(b), k) for k, b in enumerate(blocks)]).astype(int)
    sigma = np.concatenate([np.asarray(t["sigma_al_mas"].value, float) for t in tables])
    tdb = np.concatenate([np.asarray(t["tdb"].value, float) for t in tables])
    keys = sorted({key for t in tables for key in t.meta.get("shared_keys", ())})     # none in an empty table
    shared = np.zeros((group.size, len(keys)))              # AL miss per mas of each apparition's offset, s in it
    for k, t in enumerate(tables):
        if len(t):
            columns = [keys.index(key) for key in t.meta["shared_keys"]]
            shared[np.ix_(group == k, columns)] = np.asarray(t.meta["shared_al"], float) * np.sqrt(
                float(t.meta["shared_variance_mas2"]))
    tau = gaia_visit_tau_mas() if visit_tau_mas is None else float(visit_tau_mas)
    visit = visit_index(tdb)
    between = (shared @ shared.T + np.minimum(tau ** 2, np.outer(sigma, sigma)) * (visit[:, None] == visit)) * (
        group[:, None] != group)
    covariance = between
    for k, block in enumerate(blocks):
        covariance[np.ix_(group == k, group == k)] = block
    return covariance, group


def _orbit_parts(solution, tdb, jacobian, along_state, directions, orbit):
    """The orbit part of the held-out AL covariance (`orbit`, n x n) by where it comes from, so that two fits'
    errors can be read together (chance.influence_spread): "orbit_assumed_mas2", what the weights and the biases'
    prior give; the apparition biases' excess scatter, "bias_scatter_al_mas" (n, m: the AL move per mas of each bias
    coordinate, `bias_priors.scatter_parts`) with "bias_scatter_coordinates" and "bias_excess_mas2" (m, m); the
    shared error, "shared_al" (n, 2K: the AL miss per mas of each apparition's sky offset, the prediction's own
    apparition included, `shared_error.shared_sky_factor`) with "shared_keys" ("2016:ra", ...) and
    "shared_variance_mas2". orbit = assumed + R excess R^T + s^2 S S^T."""
    n = tdb.size
    scatter = scatter_parts(solution)
    if scatter is None:
        coordinates, r, excess = [], np.zeros((n, 0)), np.zeros((0, 0))
    else:
        coordinates, state_per_mas, excess = scatter
        r = along_state @ state_per_mas
    variance = shared_sky_variance_mas2(solution)
    keys, factor = shared_sky_factor(solution, tdb, jacobian)
    s = np.einsum("ni,nim->nm", directions, factor)
    assumed = orbit - r @ excess @ r.T - variance * s @ s.T
    return {"orbit_assumed_mas2": assumed, "bias_scatter_al_mas": r,
            "bias_scatter_coordinates": np.array(coordinates, dtype=str), "bias_excess_mas2": excess,
            "shared_al": s, "shared_keys": np.array(keys, dtype=str), "shared_variance_mas2": variance}


def gaia_visit_tau_mas():
    """Gaia DR3's along-scan error common to the moons of one visit (mas), as the embedded table of visit offsets
    measures it (`orbitfit.observations.gaia_visits`, method of moments: 3.2 mas from fits with the default
    options, 3.8 from those with the defaults before 2026-12-04)."""
    return float(np.sqrt(GaiaVisitOffsets.read().variances()[0]))


def summary(residual_mas, normalised, tdb=None, covariance=None):
    """n, rms and mean of the residuals (mas), rms of the normalised ones, the fractions within 1 and 2 sigma; the
    held-out outliers (|z| > OUTLIER_Z, the fit's own 3-sigma rule) and the rms of the others; with the epochs (`tdb`,
    s) the number of Gaia visits (transits less than VISIT_GAP_DAYS apart are one: their residuals share the orbit's
    error, so 14 transits of one visit are one draw of it, not 14).

    With the residuals' predicted `covariance` (mas^2, `along_scan`'s meta), what an honest sigma would give
    (`honest_spread`): `expected_rms_mas` (rms of the predicted sigmas), the central 90% of the AL rms
    (`honest_rms_mas_90`) and of the z rms (`honest_rms_normalised_90`), and `p_rms_normalised`, the chance that an
    honest sigma gives a z rms at least this large (small: sigma too small; near 1: too large)."""
    r, z = np.asarray(residual_mas, float), np.asarray(normalised, float)
    visits = None if tdb is None else (int(visit_index(tdb, VISIT_GAP_DAYS).max()) + 1 if r.size else 0)
    if r.size == 0:
        empty = {"n": 0, "rms_mas": np.nan, "mean_mas": np.nan, "rms_normalised": np.nan, "within_1sigma": np.nan,
                 "within_2sigma": np.nan, "n_outliers": 0, "rms_mas_inliers": np.nan,
                 "rms_normalised_inliers": np.nan, "visits": visits}
        if covariance is not None:
            empty.update(expected_rms_mas=np.nan, honest_rms_mas_90=(np.nan, np.nan),
                         honest_rms_normalised_90=(np.nan, np.nan), p_rms_normalised=np.nan)
        return empty
    inlier = np.abs(z) <= OUTLIER_Z
    out = {"n": int(r.size), "rms_mas": float(np.sqrt(np.mean(r ** 2))), "mean_mas": float(np.mean(r)),
           "rms_normalised": float(np.sqrt(np.mean(z ** 2))), "within_1sigma": float(np.mean(np.abs(z) <= 1.0)),
           "within_2sigma": float(np.mean(np.abs(z) <= 2.0)), "n_outliers": int(np.sum(~inlier)),
           "rms_mas_inliers": float(np.sqrt(np.mean(r[inlier] ** 2))) if inlier.any() else np.nan,
           "rms_normalised_inliers": float(np.sqrt(np.mean(z[inlier] ** 2))) if inlier.any() else np.nan,
           "visits": visits}
    if covariance is not None:
        z_draws, rms_draws = honest_spread(covariance)
        out.update({"expected_rms_mas": float(np.sqrt(np.mean(np.diag(covariance)))),
                    "honest_rms_mas_90": tuple(float(q) for q in np.quantile(rms_draws, [0.05, 0.95])),
                    "honest_rms_normalised_90": tuple(float(q) for q in np.quantile(z_draws, [0.05, 0.95])),
                    "p_rms_normalised": float(np.mean(z_draws >= out["rms_normalised"]))})
    return out


class Resamplings:
    """Bootstrap resamplings of one set of held-out transits (epochs `tdb`, TDB s), to tell a change of their AL rms
    between two fits from the noise of which transits happened to be held out: `n_boot` draws of the transits, and
    of their Gaia visits (`visit_index`, VISIT_GAP_DAYS), each visit's transits drawn together (they share the
    orbit's error and Gaia's own of that visit, so the visits are the independent draws). The draws are made once,
    so every pair of fits compared on them is resampled alike (`dataset_influence` compares one fit with many)."""

    def __init__(self, tdb, n_boot=2000, rng=None):
        rng = rng or np.random.default_rng(15)
        tdb = np.asarray(tdb, float)
        n = tdb.size
        self.draws = rng.integers(0, n, size=(n_boot, n)) if n else np.zeros((0, 0), dtype=int)
        self.visit = visit_index(tdb, VISIT_GAP_DAYS) if n else np.zeros(0, dtype=int)
        n_visits = int(self.visit.max()) + 1 if n else 0
        self.visit_draws = rng.integers(0, n_visits, size=(n_boot, n_visits)) if n else np.zeros((0, 0), dtype=int)
        self.per_visit = np.bincount(self.visit, minlength=n_visits)

    def rms(self, al_mas):
        """The AL rms of each resampling of the transits."""
        return np.sqrt(np.mean(np.asarray(al_mas, float)[self.draws] ** 2, axis=1))

    def rms_by_visits(self, al_mas):
        """The AL rms over the transits of each resampling's visits."""
        squares = np.bincount(self.visit, weights=np.asarray(al_mas, float) ** 2, minlength=self.per_visit.size)
        return np.sqrt(squares[self.visit_draws].sum(axis=1) / self.per_visit[self.visit_draws].sum(axis=1))

    def change(self, first_mas, second_mas):
        """{"change_mas": AL rms of `second` less that of `first` (the same transits, two fits' residuals),
        "noise_mas": its standard deviation over the transits' resamplings, "noise_visits_mas": over the visits',
        "visits_90_mas": the central 90% of the change over the visits' resamplings}. A change within its visits'
        noise is what another draw of the held-out visits could undo."""
        first, second = np.asarray(first_mas, float), np.asarray(second_mas, float)
        if first.size == 0:                 # nothing held out: no change to tell, as `summary` gives NaN
            return {"change_mas": np.nan, "noise_mas": np.nan, "noise_visits_mas": np.nan,
                    "visits_90_mas": (np.nan, np.nan)}
        by_visits = self.rms_by_visits(second) - self.rms_by_visits(first)
        return {"change_mas": float(np.sqrt(np.mean(second ** 2)) - np.sqrt(np.mean(first ** 2))),
                "noise_mas": float(np.std(self.rms(second) - self.rms(first))),
                "noise_visits_mas": float(np.std(by_visits)),
                "visits_90_mas": tuple(float(q) for q in np.quantile(by_visits, [0.05, 0.95]))}


@dataclass
class HarnessResult:
    """One harness run: what was fitted (`solution`), the held-out predictions (`table`) and their `summary`."""
    body: str
    test: str                       # "gaia cut", "gaia all", "gaia folds" or "opposition"
    table: object
    summary: dict
    solution: object = None
    notes: dict = field(default_factory=dict)


def free_predictions(table, offsets, body):
    """A copy of a table of `body`'s (NAIF id) predicted AL residuals of Gaia transits (`along_scan`), each residual
    less what the OTHER moons' residuals share in its visit (`offsets`: a GaiaVisitOffsets built from their
    predictions, `rule_held_out_offsets`; where fewer than its MIN_OTHERS other moons saw the visit the residual
    stays). Its covariance the same but for Gaia's common visit error (meta "common_visit_mas2"), which becomes the
    correction's own error (s^2 / k, shared within the visit); the normalised residuals follow."""
    out = table.copy()
    tdb = np.asarray(table["tdb"].value, float)
    offset, sigma, _ = offsets.offset(body, tdb)
    done = np.isfinite(offset)
    sigma = np.where(done, sigma, 0.0)
    visit = visit_index(tdb, offsets.meta.get("gap_days", GAIA_VISIT_GAP_DAYS))
    shared = np.outer(sigma, sigma) * (visit[:, None] == visit[None, :])
    covariance = (np.asarray(table.meta["covariance_mas2"], float)
                  - np.asarray(table.meta["common_visit_mas2"], float) * np.outer(done, done) + shared)
    al = np.asarray(table["al_mas"].value, float) - np.where(done, offset, 0.0)
    out["al_mas"] = al * table["al_mas"].unit
    out["normalised"] = al / np.sqrt(np.diag(covariance))
    out.meta.update(covariance_mas2=covariance, common_visit_mas2=shared,
                    held_out_common_mas=np.where(done, offset, np.nan))
    return out
