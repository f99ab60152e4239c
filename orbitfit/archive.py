"""Solution archives: one HDF5 file per solution, a folder per family, self-contained and checksummed.

    solution.save("himalia.h5")                     # Solution.save -> save_solution
    solution = Solution.load("himalia.h5")          # Solution.load -> read_solution (the fields of a Solution)

A solution archive holds the orbit and its covariance, every observation (rejected ones included, flagged), the
residuals and the weights the fit used, the estimator's options and the dynamical model (force model, the paths of the
perturber ephemeris, step, the companions' states), the iteration history, software versions and constants, site
biases and sampled covariances. Format 3; format 2 (options and model in one record) is still read.

Writes are atomic (`atomic_path`: a temporary file, then a rename; a failed or interrupted write removes it); a
SHA-256 digest over every dataset and attribute, written last, makes a truncated, damaged or foreign file fail to load
with `ArchiveError` naming the file. The digest is an integrity check, not a signature: it proves nothing about who
wrote the file, since anyone can edit a dataset and recompute it (it is stored in the file, unkeyed). Trust an archive
as much as its source; sign or checksum it out of band (e.g. a published SHA-256 of the whole file) when that
matters. Nothing is unpickled: tables are plain datasets, records are JSON.

This module reads and writes the fields of solutions: it constructs no Solution (`Solution.load` does), so the
record (`orbitfit.solution`) and the estimator that builds records do not depend on it.
"""
from __future__ import annotations

import json
import os

import numpy as np
from astropy.table import Table

from .estimation.options import FitOptions
from .estimation.weights import Weights
from .observables import Evaluation
from .files import atomic_path
from .orbit import Orbit, OrbitModel
from .provenance import constants, versions

ARCHIVE_FORMAT = "orbitfit-solution"
ARCHIVE_VERSION = 3            # 2: companions keep their states; 3: the dynamical model apart from the fit options
FAMILY_FILE = "family.h5"
FAMILY_FORMAT = "orbitfit-family"
EVALUATION_ARRAYS = ("res_ra", "res_dec", "calc_ra", "calc_dec", "distance_km")
WEIGHT_ARRAYS = ("sigma_ra", "sigma_dec", "corr", "floor_ra", "floor_dec", "night_factor")


class ArchiveError(ValueError):
    """An HDF5 file that is not a complete orbitfit archive; the message names the file."""


def save_solution(solution, path):
    """Write a Solution's fields to HDF5 atomically. Returns the path."""
    import h5py
    path = os.fspath(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = ARCHIVE_FORMAT
        f.attrs["format_version"] = ARCHIVE_VERSION
        f.attrs["versions"] = json.dumps(versions())
        f.attrs["constants"] = json.dumps(constants())
        f.attrs["options"] = json.dumps(solution.options.describe())
        f.attrs["model"] = json.dumps(solution.model.describe())
        f.attrs["history"] = json.dumps(solution.history)
        f.attrs["meta"] = json.dumps(solution.meta)
        g = f.create_group("orbit")
        g.attrs["body"] = int(solution.body)
        g.attrs["epoch_tdb_s"] = float(solution.epoch)
        g.create_dataset("state", data=solution.state)
        g.create_dataset("covariance", data=solution.covariance)
        _write_table(f.create_group("observations"), solution.observations)
        r = f.create_group("residuals")
        for name in EVALUATION_ARRAYS:
            r.create_dataset(name, data=getattr(solution.evaluation, name))
        for name in WEIGHT_ARRAYS:
            r.create_dataset("weight_" + name, data=getattr(solution.weights, name))
        r.create_dataset("accepted", data=solution.accepted)
        if solution.biases is not None:
            _write_table(f.create_group("biases"), solution.biases)
        if solution.samples:
            g = f.create_group("samples")
            for name, values in solution.samples.items():
                g.create_dataset(name, data=values)
        f.attrs["sha256"] = _digest(f)            # written last: a truncated or altered file fails the check
    return path


def read_solution(path):
    """The fields of the Solution in an archive (keyword arguments of `Solution`); ArchiveError if the file is not
    a complete, unaltered orbitfit solution."""
    import h5py
    path = os.fspath(path)
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        if f.attrs.get("format") != ARCHIVE_FORMAT:
            raise ArchiveError(f"{path}: not an orbitfit solution archive (format={f.attrs.get('format')!r})")
        try:
            stored = f.attrs.get("sha256")
            if stored is None:
                raise ArchiveError(f"{path}: incomplete archive (no checksum: the write was interrupted)")
            if _digest(f) != stored:
                raise ArchiveError(f"{path}: checksum mismatch: the archive was altered or damaged")
            orbit = Orbit(int(f["orbit"].attrs["body"]), float(f["orbit"].attrs["epoch_tdb_s"]), f["orbit/state"][()])
            covariance = f["orbit/covariance"][()]
            observations = _observations(_read_table(f["observations"]))
            r = f["residuals"]
            evaluation = Evaluation(*(r[name][()] for name in EVALUATION_ARRAYS[:2]), None,
                                    *(r[name][()] for name in EVALUATION_ARRAYS[2:]))
            weights = Weights(*(r["weight_" + n][()] for n in WEIGHT_ARRAYS))
            accepted = r["accepted"][()]
            samples = {k: f["samples"][k][()] for k in f["samples"]} if "samples" in f else None
            biases = _read_table(f["biases"]) if "biases" in f else None
            history = json.loads(f.attrs["history"])
            meta = json.loads(f.attrs["meta"])
            options_record = json.loads(f.attrs["options"])
            if int(f.attrs.get("format_version", 2)) >= 3:
                model_record = json.loads(f.attrs["model"])
            else:
                model_record = _format2_model(options_record, json.loads(f.attrs.get("ephemeris_paths", "{}")))
                meta.setdefault("versions", json.loads(f.attrs["versions"]))
        except ArchiveError:
            raise
        except (KeyError, OSError, ValueError, TypeError, RuntimeError) as exc:
            raise ArchiveError(f"{path}: damaged archive ({exc})") from None
    if covariance.shape != (6, 6) or len(accepted) != len(observations):
        raise ArchiveError(f"{path}: inconsistent shapes in archive")
    try:
        options = FitOptions.from_description(options_record)
        model = OrbitModel.from_description(model_record)
    except (TypeError, ValueError) as exc:
        raise ArchiveError(f"{path}: the fit's options or model cannot be restored ({exc})") from None
    return {"orbit": orbit, "covariance": covariance, "observations": observations, "evaluation": evaluation,
            "weights": weights, "accepted": accepted, "options": options, "model": model, "history": history,
            "meta": meta, "biases": biases, "samples": samples}


def _format2_model(options, ephemeris_paths):
    """The OrbitModel record of a format-2 archive, whose options held the model too."""
    return {"forces": options.get("force_model", {}), "step_s": options.get("step_s", 86400.0),
            "ephemeris": ephemeris_paths, "companions": options.get("companions", [])}


def _observations(table):
    from .observations.core import Observations
    return Observations(table, copy=False)


def save_family(family, folder):
    """Write a FamilySolution to `folder`: one solution archive per member (`<body>.h5`, each loadable alone with
    its companions) and `family.h5` with the joint parameters, covariance, GMs and history (digest, atomic).
    Returns the folder. The members must carry their samples already if wanted (FamilySolution.save does it)."""
    import h5py
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    for body, solution in family.solutions.items():
        save_solution(solution, os.path.join(folder, f"{body}.h5"))
    path = os.path.join(folder, FAMILY_FILE)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FAMILY_FORMAT
        f.attrs["bodies"] = list(family.bodies)
        f.attrs["fit_gm"] = list(family.fit_gm)
        f.attrs["epoch_tdb_s"] = family.epoch
        f.attrs["gm"] = json.dumps({str(b): v for b, v in family.gm.items()})
        f.attrs["gm_prior"] = json.dumps({str(b): list(v) for b, v in family.gm_prior.items()})
        f.attrs["history"] = json.dumps(family.history)
        f.attrs["options"] = json.dumps(family.options.describe())
        f.attrs["model"] = json.dumps(family.model.describe())
        f.attrs["meta"] = json.dumps(family.meta)
        f.create_dataset("parameters", data=family.parameters)
        f.create_dataset("covariance", data=family.covariance)
        f.attrs["sha256"] = _digest(f)
    return folder


def read_family(folder):
    """The fields of a FamilySolution in `folder`, its members as dicts of Solution fields."""
    import h5py
    path = os.path.join(os.fspath(folder), FAMILY_FILE)
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{path}: not a readable family archive ({exc})") from None
    with f:
        if f.attrs.get("format") != FAMILY_FORMAT or f.attrs.get("sha256") != _digest(f):
            raise ArchiveError(f"{path}: not an orbitfit family archive, or altered or damaged")
        bodies = tuple(int(b) for b in f.attrs["bodies"])
        fields = {"bodies": bodies, "fit_gm": tuple(int(b) for b in f.attrs["fit_gm"]),
                  "epoch": float(f.attrs["epoch_tdb_s"]), "parameters": f["parameters"][()],
                  "covariance": f["covariance"][()],
                  "gm": {int(b): float(v) for b, v in json.loads(f.attrs["gm"]).items()},
                  "gm_prior": {int(b): tuple(v) for b, v in json.loads(f.attrs["gm_prior"]).items()},
                  "history": json.loads(f.attrs["history"]), "meta": json.loads(f.attrs["meta"]),
                  "options": FitOptions.from_description(json.loads(f.attrs["options"])),
                  "model": (OrbitModel.from_description(json.loads(f.attrs["model"])) if "model" in f.attrs else
                            OrbitModel.from_description(_format2_model(json.loads(f.attrs["options"]), {})))}
    fields["solutions"] = {b: read_solution(os.path.join(os.fspath(folder), f"{b}.h5")) for b in bodies}
    return fields


def _digest(h5file):
    """SHA-256 over every dataset (name, dtype, shape, bytes) and attribute of the archive, except the digest."""
    import hashlib
    import h5py
    digest = hashlib.sha256()
    items = []
    h5file.visititems(lambda name, obj: items.append((name, obj)))
    for name, obj in [("/", h5file)] + sorted(items, key=lambda item: item[0]):
        digest.update(name.encode())
        for key in sorted(k for k in obj.attrs if k != "sha256"):
            digest.update(key.encode() + repr(obj.attrs[key]).encode())
        if isinstance(obj, h5py.Dataset):
            data = np.ascontiguousarray(obj[()])
            digest.update(f"{data.dtype.str}{data.shape}".encode() + data.tobytes())
    return digest.hexdigest()


def _write_table(group, table):
    for name in table.colnames:
        values = np.asarray(table[name])
        if values.dtype.kind in ("U", "O"):
            values = np.array([str(v).encode("utf-8") for v in values], dtype=bytes)
            group.create_dataset(name, data=values).attrs["text"] = True
        else:
            group.create_dataset(name, data=values)
    group.attrs["columns"] = json.dumps(list(table.colnames))
    arrays = [key for key, value in table.meta.items() if isinstance(value, np.ndarray)]
    for key in arrays:                        # e.g. the biases' joint covariance (least_squares.bias_table)
        group.create_dataset(f"meta:{key}", data=table.meta[key])
    group.attrs["meta_arrays"] = json.dumps(arrays)
    # and its plain values (e.g. the observations' Gaia floor record, gaia.FLOORS_META_KEY, which a refit's join
    # reads): an archive read back must say what the table said
    values = {key: value for key, value in table.meta.items() if isinstance(value, (str, bool, int, float))}
    group.attrs["meta_values"] = json.dumps(values)


def _read_table(group):
    columns = {}
    for name in json.loads(group.attrs["columns"]):
        data = group[name][()]
        columns[name] = np.array([v.decode("utf-8") for v in data]) if group[name].attrs.get("text") else data
    meta = {key: group[f"meta:{key}"][()] for key in json.loads(group.attrs.get("meta_arrays", "[]"))}
    meta.update(json.loads(group.attrs.get("meta_values", "{}")))      # absent in archives before 2026-12-06
    return Table(columns, meta=meta)
