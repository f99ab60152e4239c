"""The user's files, read and written safely: TOML inputs (fit configurations, occultation events) with errors
that name the file, and atomic outputs (archives, SPK kernels, tables, figures, reports) that never leave half a
file or a temporary file behind."""
from __future__ import annotations

import contextlib
import os
import tomllib


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
