"""No side effects on import, and orbitfit's own astropy calls never touch the network.

Both checks run in fresh interpreters (subprocesses): the test session itself runs astropy offline (conftest.py),
and astropy caches its IERS table and its once-per-session leap-second check, which would hide a download attempt.
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

STATE = textwrap.dedent("""
    import astropy.utils.data
    from astropy.utils import iers

    def state():
        return [astropy.utils.data.conf.allow_internet, iers.conf.auto_download, iers.conf.auto_max_age,
                iers.conf.iers_degraded_accuracy]
""")


def run_python(code, tmp_path):
    """Run `code` in a fresh interpreter with this worktree first on sys.path; its last stdout line is JSON."""
    script = tmp_path / "script.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + STATE + textwrap.dedent(code))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# astropy 8's defaults, and other values a user may have chosen (orbitfit's old import-time configuration set
# [False, False, None, "warn"]: both sets would show it).
@pytest.mark.parametrize("values", [[True, True, 30.0, "error"], [False, False, 45.0, "ignore"]])
def test_importing_every_module_leaves_astropy_settings_alone(tmp_path, values):
    out = run_python(f"""
        import importlib, json, pkgutil
        astropy.utils.data.conf.allow_internet, iers.conf.auto_download = {values[0]!r}, {values[1]!r}
        iers.conf.auto_max_age, iers.conf.iers_degraded_accuracy = {values[2]!r}, {values[3]!r}
        before = state()
        import dynamics, orbitfit
        names = []
        for package in (orbitfit, dynamics):
            names.append(package.__name__)
            for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if module.name.endswith(".__main__"):         # a script (python -m orbitfit.cli), not a module
                    continue
                importlib.import_module(module.name)
                names.append(module.name)
        dir(orbitfit), orbitfit.__version__
        print(json.dumps({{"before": before, "after": state(), "modules": names,
                          "file": orbitfit.__file__}}))
    """, tmp_path)
    assert out["before"] == values
    assert out["after"] == values
    assert out["file"] == str(ROOT / "orbitfit" / "__init__.py")
    for name in ("orbitfit.cli", "orbitfit.offline", "orbitfit.observations.observers", "orbitfit.occultations.chords",
                 "orbitfit.products.plots", "dynamics.propagation"):
        assert name in out["modules"]


def test_conversions_needing_iers_data_never_try_the_network(tmp_path):
    """UT1-UTC and polar motion at a recent date (a ground site's position), UTC -> TDB beyond the leap-second
    table: astropy left at allow_internet=True, auto_download=True, every connection refused and counted."""
    out = run_python("""
        import datetime, json, socket, warnings
        attempts = []

        def refuse(*args, **kwargs):
            attempts.append(repr(args)[:200])
            raise OSError("network refused by tests/test_offline.py")

        socket.socket.connect = refuse
        socket.getaddrinfo = refuse             # urllib resolves the host first
        astropy.utils.data.conf.allow_internet, iers.conf.auto_download = True, True
        before = state()

        import numpy as np
        from dynamics import constants as C
        from dynamics.ephemeris import Ephemeris, de421_kernel_path
        from orbitfit.observations.observers import Observers
        from orbitfit.times import iso_utc, tdb_seconds

        yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        t_recent = tdb_seconds(yesterday)
        ephemeris = Ephemeris(de421_kernel_path())
        sites = Observers(ephemeris).positions(["874", "809", "500"], np.full(3, t_recent))
        geocentre = ephemeris.state(C.EARTH, [t_recent])[0, :3]
        t_2040 = tdb_seconds("2040-01-01T00:00:00")
        back = iso_utc(t_2040)
        after = state()
        n_orbitfit = len(attempts)

        # Control: astropy's own UT1 at the same date, outside orbitfit's scope, tries to download a fresh IERS-A
        # table if the bundled predictions are older than auto_max_age (30 d) -- which shows that the refusal above
        # would have caught orbitfit trying.
        from astropy.time import Time
        table = iers.IERS_Auto.open()
        stale = Time.now().mjd - table.meta["predictive_mjd"] > iers.conf.auto_max_age
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                Time(yesterday, scale="utc").ut1
            except Exception:
                pass
        print(json.dumps({"before": before, "after": after, "n_orbitfit": n_orbitfit, "attempts": attempts,
                          "stale": bool(stale), "sites_km": (sites - geocentre).tolist(), "t_2040": t_2040,
                          "back": back}))
    """, tmp_path)
    assert out["before"] == [True, True, 30.0, "error"]
    assert out["after"] == out["before"]
    assert out["n_orbitfit"] == 0, out["attempts"]
    # the sites' geocentric offsets are their ITRS vectors rotated (Pico dos Dias, La Silla; the geocentre): same
    # length to 1 mm
    from orbitfit.observations.observers import site_itrs_km
    for code, offset in zip(("874", "809", "500"), out["sites_km"]):
        assert np.linalg.norm(offset) == pytest.approx(np.linalg.norm(site_itrs_km(code)), abs=1e-6)
    assert np.linalg.norm(out["sites_km"][0]) > 6000.0
    # 2040-01-01 00:00 UTC is 14609.5 days past J2000 (2000-01-01 12:00): TDB - UTC = 32.184 s + 37 leap seconds
    # (the last one 2017, none announced) + |TDB - TT| < 2 ms
    assert out["t_2040"] == pytest.approx(14609.5 * 86400.0 + 32.184 + 37.0, abs=0.002)
    assert out["back"] == "2040-01-01T00:00:00.000"
    if out["stale"]:
        assert len(out["attempts"]) > 0            # the control did try, and was refused
