"""Leave one opposition out: each apparition of Jupiter in the ground data held out in turn and predicted by a fit
of the rest (`leave_one_opposition_out`)."""
from __future__ import annotations

import numpy as np

from ..estimation.least_squares import fit_orbit
from ..estimation.weights import apparition_year
from ..products.uncertainty import sky_uncertainty
from ..residuals import compute_residuals
from ..tables import plain_table, quantity_table
from .held_out import _defaults
from .predictions import HarnessResult, summary


def leave_one_opposition_out(body, options=None, *, observations=None, start=None, model=None, min_rows=10,
                             kinds=("optical",)):
    """For each apparition with at least `min_rows` rows of `kinds` (ground astrometry by default), fit every other
    row and predict the held-out rows: residuals (RA*, Dec) divided by the combined sigma (the observation's, as the
    full fit weighted it, and the orbit's, linear). Only rows the full fit accepted are judged. Returns a
    HarnessResult whose table has one row per held-out observation (its apparition in `opposition`), its summary
    over both coordinates."""
    observations, options, model, start = _defaults(body, observations, options, model, start)
    full = fit_orbit(observations, start, options, model=model)
    observations = full.observations            # as the fit kept them (exact copies dropped), row for row
    sigma_ra, sigma_dec = full.weights.sigma_ra, full.weights.sigma_dec
    index = apparition_year(observations["tdb"])
    # the outliers the full fit flagged are not predictions to judge (a 5" blunder says nothing of the sigma)
    eligible = np.isin(np.asarray(observations["kind"]).astype(str), kinds) & full.accepted
    rows = {"tdb": [], "opposition": [], "res_ra_mas": [], "res_dec_mas": [], "z_ra": [], "z_dec": []}
    for k in np.unique(index[eligible]):
        held = eligible & (index == k)
        if held.sum() < min_rows:
            continue
        solution = fit_orbit(observations[~held], full.orbit, options, model=model)
        res = plain_table(compute_residuals(observations[held], solution.orbit, model))
        sky = plain_table(sky_uncertainty(solution, np.asarray(observations["tdb"], float)[held], observer="500"))
        z_ra = res["res_ra_mas"] / np.hypot(sigma_ra[held], sky["sigma_ra_mas"])
        z_dec = res["res_dec_mas"] / np.hypot(sigma_dec[held], sky["sigma_dec_mas"])
        for name, values in (("tdb", res["tdb"]), ("opposition", np.full(held.sum(), k)),
                             ("res_ra_mas", res["res_ra_mas"]), ("res_dec_mas", res["res_dec_mas"]),
                             ("z_ra", z_ra), ("z_dec", z_dec)):
            rows[name].append(np.asarray(values))
    table = quantity_table({name: np.concatenate(v) if v else np.zeros(0) for name, v in rows.items()})
    residual = np.concatenate([table["res_ra_mas"].value, table["res_dec_mas"].value])
    normalised = np.concatenate([np.asarray(table["z_ra"]), np.asarray(table["z_dec"])])
    return HarnessResult(str(body), "opposition", table, summary(residual, normalised), full,
                         {"n_oppositions": int(np.unique(table["opposition"]).size) if len(table) else 0})
