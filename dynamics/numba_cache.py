"""Whether numba can keep the compiled code of a source file on disk, decided before its functions are decorated.

numba caches a function compiled with cache=True in NUMBA_CACHE_DIR if set, else in __pycache__ beside the source,
else in the user's cache folder. Where none is writable (a read-only install without a writable home: containers run
under another user, nix builds, some clusters) the decorator itself raises "RuntimeError: cannot cache function ...:
no locator available" at import, so every orbitfit command would stop with a traceback (measured 2026-12-07 with
numba 0.68 and NUMBA_CACHE_LOCATOR_CLASSES=ZipCacheLocator, which leaves no locator for a plain file). There the
compiled code stays in memory instead: each process compiles the force model again (6 s, where loading it from the
cache takes 0.5 s; measured 2026-12-07), and a warning says how to keep it (NUMBA_CACHE_DIR).
"""
from __future__ import annotations

import types
import warnings

from numba.core.caching import FunctionCache


def can_cache(source_file: str) -> bool:
    """True if numba finds a writable cache folder for functions defined in `source_file` (its own search, on a probe
    function that claims that file); else a warning and False, for `njit(cache=can_cache(__file__))`."""
    probe = types.FunctionType(compile("pass", source_file, "exec"), {}, "probe")
    try:
        FunctionCache(probe)
    except RuntimeError:            # numba's "no locator available": no writable folder
        warnings.warn(f"numba finds no writable folder to keep the compiled code of {source_file} in (NUMBA_CACHE_DIR, "
                      f"__pycache__ beside it, the user's cache folder): it is compiled again in each process (6 s for "
                      f"the force model); set NUMBA_CACHE_DIR to a writable folder to keep it", RuntimeWarning,
                      stacklevel=2)
        return False
    return True
