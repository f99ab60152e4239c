"""Special-tailored ephemeris files: SPK (NAIF) kernels that jplephem, spiceypy, skyfield and SORA read.

One segment of SPK type 2 (Chebyshev positions) or type 3 (positions and velocities), frame J2000 (= ICRF for
SPICE), TDB, centred on
  * 5, the Jupiter system barycentre (the default, as JPL's satellite kernels; every DE file chains 5 to the SSB; a
    599-centred segment fails in SORA): a reader takes Jupiter's place from its own planetary ephemeris, so the
    kernel is the fitted orbit only with the DE it was fitted with. Another DE moves the geocentric place by the
    difference of the two DEs' Jupiter: DE421 for DE440 up to 22.8 mas over 1960-2030, DE438 0.64 mas in 2017
    (`benchmarks/planetary_ephemeris.py`, 2026-12-06);
  * or 10, the Sun: the kernel then holds the moon's heliocentric place, the Jupiter system's from the DE of the
    fit, and a reader's DE gives only the Earth's heliocentric place, on which the DEs agree: DE421 in place of
    DE440 then moves the geocentric place by 0.12 mas at most (1960-2030), DE438 by 0.03. Centre 0 (the SSB) would
    be worse than 5 (40 mas for DE421: the DEs' barycentres differ by ~120 km).
The comment area carries the solution's provenance and says which DE to pair a centre-5 kernel with. Records are
fitted at Chebyshev nodes to the integrated orbit (dense output), and the interpolation error is measured at points
between the nodes.
"""
from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass

import numpy as np

from dynamics import constants as C
from dynamics.chebyshev import ChebyshevRecords, record_mids

from ..files import atomic_path, strict_json
from ..companions import default_model
from ..provenance import constants, versions
from ..tables import quiet_dubious_years
from ..tables import plain_table
from ..times import iso_tdb, to_tdb_seconds
from ..units import to_value

DEFAULT_RECORD_DAYS = 4.0      # measured: 4-d records of degree 12 reproduce the integrator's output to 2 cm
DEFAULT_DEGREE = 12
SPK_COMMENT_LINE = 80          # SPICE comment lines are stored as given; keep them terminal-friendly
CENTERS = {C.JUPITER_BARY: "Jupiter barycentre", C.SUN: "Sun"}     # the NAIF ids a kernel may be centred on


@dataclass
class SPKExport:
    path: str
    naif_id: int
    center: int
    spk_type: int
    start_tdb: float
    stop_tdb: float
    n_records: int
    max_error_km: float        # interpolation error against the integrator at off-node epochs
    comment: list


def checked_center(center):
    """`center` as an int if a kernel may be centred on it (CENTERS), else ValueError."""
    if center not in CENTERS:
        raise ValueError(f"center must be one of {sorted(CENTERS)} (NAIF ids: {CENTERS}), not {center!r}")
    return int(center)


def write_spk(path, orbit, start_tdb, stop_tdb, model=None, naif_id=None, spk_type=2, record_days=DEFAULT_RECORD_DAYS,
              degree=DEFAULT_DEGREE, comment=(), segment_id=None, center=C.JUPITER_BARY):
    """Write an `Orbit` (relative to 5), carried by `model` (an OrbitModel, default the body's
    `orbitfit.companions.default_model`: its companions are integrated alongside), to an SPK file from `start_tdb`
    to `stop_tdb` (Time, ISO UTC or TDB seconds past J2000), relative to `center` (5, or 10: the Sun, the Jupiter
    system's place from the model's planetary ephemeris; module docstring); returns an SPKExport report (its span in
    TDB seconds)."""
    import spiceypy
    start_tdb, stop_tdb = to_tdb_seconds(start_tdb, "start_tdb"), to_tdb_seconds(stop_tdb, "stop_tdb")
    record_days = to_value(record_days, "day", "record_days")
    if spk_type not in (2, 3):
        raise ValueError(f"spk_type must be 2 or 3, not {spk_type}")
    center = checked_center(center)
    if not (np.isfinite(start_tdb) and np.isfinite(stop_tdb) and stop_tdb > start_tdb):
        raise ValueError(f"SPK span must be increasing TDB seconds, got {start_tdb} .. {stop_tdb}")
    naif_id = int(naif_id if naif_id is not None else orbit.body)
    record_s = record_days * C.SECONDS_PER_DAY
    model = model or default_model(orbit.body)

    node_times = ChebyshevRecords.node_epochs(start_tdb, stop_tdb, record_s, degree)
    mids = record_mids(start_tdb, record_s, node_times.shape[0])
    # interpolation error where it is largest: between the nodes, four points per record
    probe = (mids[:, None] + record_s * np.array([-0.47, -0.21, 0.13, 0.41])[None, :]).ravel()
    epochs = np.concatenate([node_times.ravel(), probe])
    states = model.propagate(orbit.state, orbit.epoch, epochs).states[:, 0]
    if center != C.JUPITER_BARY:
        states = states + model.ephemeris.state(C.JUPITER_BARY, epochs, center=center)
    components = 6 if spk_type == 3 else 3
    records = ChebyshevRecords.fit(start_tdb, record_s,
                                   states[:node_times.size, :components].reshape(*node_times.shape, components))
    error = np.linalg.norm(records.evaluate(probe)[:, :3] - states[node_times.size:, :3], axis=1).max()

    path = os.fspath(path)
    first, last = mids[0] - record_s / 2, mids[-1] + record_s / 2      # SPK records: midpoint and radius
    with atomic_path(path) as tmp:
        handle = spiceypy.spkopn(tmp, f"orbitfit STE {naif_id}"[:60], 5000)
        try:
            lines = [piece for line in comment for piece in (textwrap.wrap(line, SPK_COMMENT_LINE) or [""])]
            if lines:
                spiceypy.dafac(handle, lines)
            segid = (segment_id or f"orbitfit {naif_id} wrt {center}")[:40]
            write = spiceypy.spkw02 if spk_type == 2 else spiceypy.spkw03
            write(handle, naif_id, center, "J2000", first, last, segid, record_s, records.n_records, degree,
                  records.coefficients.ravel(), first)
        except BaseException:
            spiceypy.dafcls(handle)      # spkcls refuses a kernel without segments and would hide this error
            raise
        spiceypy.spkcls(handle)
    return SPKExport(path, naif_id, center, spk_type, first, last, records.n_records, float(error), lines)


def write_solution_spk(solution, path, naif_id=None, span=None, spk_type=2, record_days=None, degree=None,
                       center=C.JUPITER_BARY):
    """Write a Solution as an SPK kernel (J2000, TDB; centre 5, or 10 for a kernel that any planetary ephemeris
    reads alike: module docstring) over `span` (two instants: Time, ISO UTC or TDB seconds past J2000; default
    solution.default_span()), its provenance in the comment area. Returns an SPKExport."""
    record_days = to_value(record_days, "day", "record_days") or DEFAULT_RECORD_DAYS
    degree, center = degree or DEFAULT_DEGREE, checked_center(center)
    start, stop = span if span is not None else solution.default_span()
    return write_spk(path, solution.orbit, start, stop, solution.model, naif_id=naif_id or solution.body,
                     spk_type=spk_type, record_days=record_days, degree=degree, center=center,
                     comment=provenance_comment(solution, spk_type, record_days, degree, center))


def provenance_comment(solution, spk_type, record_days, degree, center=C.JUPITER_BARY):
    """Comment-area lines: what, from which data, how fitted, with which model and constants, when, and which
    planetary ephemeris a reader must pair a centre-5 kernel with."""
    stats = plain_table(solution.statistics(None))[0]
    counts = {}
    for name in np.asarray(solution.observations["dataset"]).astype(str):
        counts[name] = counts.get(name, 0) + 1
    epoch_iso = iso_tdb(solution.epoch)
    model = solution.model.describe()
    return [
        "orbitfit special-tailored ephemeris (STE)",
        f"body NAIF {solution.body}, centre {center} ({CENTERS[center]}), frame J2000 (ICRF), TDB, SPK type "
        f"{spk_type}, records {record_days} d, degree {degree}",
        pairing_note(center, model['ephemeris']['text']),
        f"software: {versions()}",
        f"fitted state epoch: {epoch_iso} TDB; fit date: {solution.meta.get('fitted_at', 'unknown')}",
        f"observations: {len(solution.observations)} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}),"
        f" rejected {int((~solution.accepted).sum())}",
        f"O-C of accepted: RA* {stats['mean_ra_mas']:+.1f} +- {stats['std_ra_mas']:.1f} mas, "
        f"Dec {stats['mean_dec_mas']:+.1f} +- {stats['std_dec_mas']:.1f} mas",
        f"fit options: {solution.options.describe()}",
        f"force model: {model['forces_text']}; step {model['step_s']:g} s; companions "
        f"{[(c['body'], c['gm']) for c in model['companions']]}",
        f"perturber ephemerides: {model['ephemeris']['text']}",
        f"constants: {constants()} (DE440 GM; Iess et al. 2018 zonal harmonics; pole Archinal et al. 2018)",
    ]


def pairing_note(center, ephemeris_text):
    """What a reader must know about the planetary ephemeris it pairs the kernel with (module docstring)."""
    if center == C.JUPITER_BARY:
        return (f"fitted with the planetary ephemeris {ephemeris_text}: read this kernel with that DE; another DE's "
                "Jupiter barycentre moves the geocentric place (DE421 for DE440: up to 23 mas, 1960-2030), or write "
                "the kernel with centre 10 (orbitfit ephem --spk-center 10)")
    return (f"the Jupiter system's heliocentric place from {ephemeris_text}, the planetary ephemeris of the fit; a "
            "reader's DE adds only the Earth's (DE421 for DE440: within 0.12 mas, 1960-2030)")


def ephemeris_table(solution, epochs, observer="500"):
    """Astrometric RA/Dec with 1-sigma (RA*, Dec, sigma_s, ellipse) and distance for an observer (MPC code) at
    `epochs` (Time, ISO UTC strings or TDB seconds past J2000): a QTable with units and a `utc` Time column."""
    from .uncertainty import sky_uncertainty
    table = sky_uncertainty(solution, epochs, observer=observer)
    table.meta.update({"body": int(solution.body), "observer": str(observer),
                       "columns": "astrometric ICRF RA/Dec (light time, no aberration); sigmas 1-sigma, RA* = "
                                  "sigma(alpha) cos(delta); ellipse PA from north through east"})
    return table


def write_table(table, path):
    """Write a table atomically; the format follows the extension (.ecsv, .csv, .json: strict, null for NaN)."""
    path = os.fspath(path)
    formats = {".ecsv": "ascii.ecsv", ".csv": "ascii.csv", ".json": "json"}
    kind = formats.get(os.path.splitext(path)[1])
    if kind is None:
        raise ValueError(f"{path}: unknown table format (use .ecsv, .csv or .json)")
    with atomic_path(path) as tmp, quiet_dubious_years():
        if kind == "json":
            rows = [{name: row[name] for name in table.colnames} for row in table]      # Time as ISO, Quantity as value
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(strict_json({"meta": dict(table.meta), "rows": rows}, indent=1))
        else:
            table.write(tmp, format=kind, overwrite=True)
    return path
