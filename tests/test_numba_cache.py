"""Where numba cannot keep compiled code on disk, orbitfit still runs (compiled in memory, said in one warning), and
the command line starts without the compiled force model and shows the library's warnings as one line each."""
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numba.core.config
import pytest

from dynamics import forces
from dynamics.numba_cache import can_cache
from orbitfit.cli import _warnings_as_messages

ROOT = Path(__file__).resolve().parent.parent


def run(code, **env):
    """`code` in a fresh interpreter with this worktree first on sys.path: (stdout, stderr)."""
    result = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
                             + textwrap.dedent(code)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, result.stderr


def test_the_force_model_is_cached_here():
    assert can_cache(forces.__file__) and forces.ON_DISK


@pytest.mark.skipif(not hasattr(numba.core.config, "CACHE_LOCATOR_CLASSES"), reason="numba < 0.60: no such switch")
def test_without_a_writable_cache_folder_the_force_is_compiled_in_memory():
    """NUMBA_CACHE_LOCATOR_CLASSES=ZipCacheLocator leaves numba no folder for a plain file, as a read-only install
    without a writable home does: numba's cache=True would raise at import ("no locator available"); instead the
    force model compiles in memory, gives the cached build's accelerations bit for bit, and one warning says so."""
    code = """
        import numpy as np
        from dynamics import forces
        from dynamics.propagation import default_ephemeris, perturber_tables
        fast, slow = perturber_tables(default_ephemeris(), 0.0, 86400.0)
        acc = forces.accelerations(3600.0, [[1.1e7, 2.0e6, 3.0e6]], forces.ForceModel(), fast, slow)[0]
        print(forces.ON_DISK, acc.tolist())
    """
    cached, _ = run(code)
    in_memory, stderr = run(code, NUMBA_CACHE_LOCATOR_CLASSES="ZipCacheLocator")
    assert cached.split(" ", 1) == ["True", in_memory.split(" ", 1)[1]] and in_memory.startswith("False")
    assert stderr.count("numba finds no writable folder") == 1 and "set NUMBA_CACHE_DIR" in stderr


def test_the_command_line_starts_without_the_compiled_force():
    """`orbitfit --help` and the readers need no propagation: importing the CLI leaves the force model unloaded
    (0.5 s from numba's cache; `orbitfit --help` 1.2 -> 0.6 s, measured 2026-12-07)."""
    stdout, _ = run("""
        import orbitfit.cli
        print(sorted(m for m in sys.modules if m in ("dynamics.forces", "dynamics.propagation", "numba")))
    """)
    assert stdout.strip() == "[]"


@pytest.mark.parametrize("quiet", [False, True])
def test_library_warnings_reach_the_command_line_as_one_line(quiet, capsys):
    before = warnings.showwarning
    with _warnings_as_messages("fit", quiet):
        warnings.warn("the outlier cap binds: 5 observations stay in the fit", UserWarning)
    err = capsys.readouterr().err
    assert err == ("" if quiet else "orbitfit fit: warning: the outlier cap binds: 5 observations stay in the fit\n")
    assert warnings.showwarning is before                  # restored: main() may run inside a notebook or a test
