"""Observed minus computed positions of any Observations table against any ephemeris: an orbit propagated with
`dynamics` (an `Orbit` with its `OrbitModel`), a callable giving SSB-centred states, or an SPK file (e.g. a JPL
satellite kernel)."""
from __future__ import annotations

import os

import numpy as np
from astropy.table import Table

from dynamics import constants as C

from .companions import default_model
from .model import astrometric, residuals_mas, spk_target
from .observables import evaluate, prepare
from .orbit import Orbit, OrbitModel
from .tables import quantity_table
from .units import to_value


def compute_residuals(observations, target, model=None):
    """QTable of O-C (RA*, Dec in mas) per observation, with the instant as `utc` (Time) and `tdb` (s).

    target: an `Orbit` (propagated with `model`, default its body's `orbitfit.companions.default_model`), a callable
        tdb -> (n, 6) SSB states, or the path(s) of SPK kernel(s) holding the observations' body (chained to the SSB
        with the model's DE file).
    model: the OrbitModel; its ephemeris also gives the observers, the Sun and the DE kernel for SPK targets.
    """
    if model is None:
        model = default_model(target.body) if isinstance(target, Orbit) else OrbitModel()
    ephemeris = model.ephemeris
    prepared = prepare(observations, ephemeris)
    if isinstance(target, Orbit):
        evaluation = evaluate(target, model, prepared, partials=False)
        res_ra, res_dec = evaluation.res_ra, evaluation.res_dec
    else:
        if isinstance(target, (str, os.PathLike, list, tuple)):
            bodies = set(np.asarray(observations["body"]).tolist())
            if len(bodies) != 1:
                raise ValueError(f"an SPK target needs observations of one body, got {sorted(bodies)}")
            target = spk_target(target, bodies.pop(), de_kernel=ephemeris.de_kernel)
        n = len(observations)
        calc_ra, calc_dec = np.empty(n), np.empty(n)
        for deflect in (False, True):
            rows = np.nonzero(prepared.deflect == deflect)[0]
            if rows.size:
                result = astrometric(prepared.t_obs[rows], prepared.observer_ssb[rows], target,
                                     deflection=deflect, sun_ssb=prepared.sun_ssb[rows] if deflect else None)
                calc_ra[rows], calc_dec[rows] = result.ra_deg, result.dec_deg
        res_ra, res_dec = residuals_mas(prepared.ra, prepared.dec, calc_ra, calc_dec)
    return quantity_table({
        "tdb": prepared.t_obs,
        "year": 2000.0 + prepared.t_obs / (365.25 * C.SECONDS_PER_DAY),
        "dataset": np.asarray(observations["dataset"]).astype(str),
        "observer": np.asarray(observations["observer"]).astype(str),
        "res_ra_mas": res_ra, "res_dec_mas": res_dec,
        "source": np.asarray(observations["source"]).astype(str), "line": np.asarray(observations["line"], int),
    })


def residual_statistics(table, by="observer"):
    """QTable of the mean and standard deviation of O-C (mas) per group: a column name, "year", or None for all
    rows."""
    if by is None:
        keys = np.array(["all"] * len(table))
    elif by == "year":
        keys = np.floor(np.asarray(table["year"])).astype(int).astype(str)
    else:
        keys = np.asarray(table[by]).astype(str)
    rows = []
    for key in sorted(set(keys)):
        sel = keys == key
        ra, dec = mas(table["res_ra_mas"])[sel], mas(table["res_dec_mas"])[sel]
        rows.append((key, int(sel.sum()), float(np.mean(ra)), float(np.std(ra)), float(np.mean(dec)),
                     float(np.std(dec))))
    names = (by or "set", "n", "mean_ra_mas", "std_ra_mas", "mean_dec_mas", "std_dec_mas")
    table = Table(rows=rows, names=names) if rows else Table(names=names)
    return quantity_table(table, time=False)


def mas(column):
    """A residual column as plain floats in mas (a QTable's Quantity, or a column of numbers already in mas)."""
    return to_value(column, "mas", "residual column")
