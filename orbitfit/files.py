"""The user's files, read and written safely: TOML inputs (fit configurations, occultation events) with errors
that name the file, atomic outputs (archives, SPK kernels, tables, figures, reports) that never leave half a
file or a temporary file behind, and strict JSON (null for missing values, never NaN)."""
from __future__ import annotations

import contextlib
import json
import math
import os
import tomllib

import numpy as np


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path` to write to; on success it replaces `path` (atomically: readers see the
    old file or the new one, never half of one), on any failure (KeyboardInterrupt included) it is removed and the
    error goes on. The temporary name is fixed (`path` + ".tmp"), so the leftover of a hard kill is overwritten by the
    next write instead of piling up. The one helper of every atomic write (archives, SPK kernels, tables,
    figures, CLI reports)."""
    path = os.fspath(path)
    tmp = path + ".tmp"
    if os.path.isfile(tmp):                     # a leftover of a killed write (SPK writers refuse existing files)
        os.remove(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def read_toml(path, error=ValueError, what="file"):
    """The TOML file at `path` as a dict; a missing file or bad TOML raises `error` naming it ("<what> not found")."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None


def _finite_or_none(value):
    """JSON-ready value: numpy scalars as Python numbers, NaN and infinities as None (null), Quantities as their
    number (the unit is in the key: "sigma_s_mas"), Times as ISO strings, recursively."""
    if isinstance(value, dict):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    if hasattr(value, "jd1") and hasattr(value, "isot"):          # an astropy Time: ISO (its own scale)
        return _finite_or_none(value.isot)
    if hasattr(value, "unit") and hasattr(value, "to_value"):      # a Quantity: the number in its unit
        value = value.value
    if hasattr(value, "item") and np.ndim(value) == 0:
        value = value.item()
    elif isinstance(value, np.ndarray):
        return _finite_or_none(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def strict_json(obj, indent=2):
    """Strict JSON text of `obj` (what json.loads of any language reads): NaN and infinities become null, numpy
    values Python ones, anything else unknown its string."""
    return json.dumps(_finite_or_none(obj), indent=indent, allow_nan=False, default=str)
