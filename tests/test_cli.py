"""The command line: `orbitfit demo` as README states it, `orbitfit fit` success and clear errors."""
import json
import subprocess
import sys

import pytest

from orbitfit.cli import main
from orbitfit.paths import data_path


def test_demo_runs_in_a_subprocess_and_writes_its_files(tmp_path):
    run = subprocess.run([sys.executable, "-m", "orbitfit.cli", "demo", "--out", str(tmp_path / "demo")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Himalia from 1234 GJ15 positions" in run.stdout
    report = json.loads((tmp_path / "demo" / "himalia_gj15.json").read_text())
    assert report["n_observations"] == 1234
    stats = report["statistics_accepted"]
    assert stats["std_ra_mas"] <= 66 and stats["std_dec_mas"] <= 54          # seed 003 STE, Table 3
    assert abs(report["elements"]["a_km"]["value"] - 11372100) < 500          # Table 2, within its 1 sigma
    for name in ("himalia_gj15.h5", "himalia_gj15_residuals.ecsv"):
        assert (tmp_path / "demo" / name).stat().st_size > 1000


def test_fit_json_output(tmp_path, capsys):
    assert main(["fit", str(data_path("gj15", "Leda.dat")), "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["body"] == 513 and report["n_observations"] == 98 and report["chi2_per_dof"] == pytest.approx(1, abs=0.1)


def test_fit_with_toml_config(tmp_path, capsys):
    config = tmp_path / "leda.toml"
    config.write_text(f'files = ["{data_path("gj15", "Leda.dat")}"]\nbody = 513\nout = "{tmp_path}"\n'
                      f'[options]\nnight_deweighting = false\n')
    assert main(["fit", "--config", str(config)]) == 0
    assert "body 513: 98 observations" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["fit", "no_such_file.dat"], "observation file not found: no_such_file.dat"),
    (["fit"], "no observation files given"),
    (["fit", "--config", "missing.toml"], "config file not found: missing.toml"),
    (["fit", "DATA", "--start", "guess"], "unknown --start 'guess'"),
    (["fit", "DATA", "--body", "599"], "no observations of body 599"),
    (["fit", "DATA", "--epoch", "yesterday"], "cannot read the date 'yesterday'"),
])
def test_fit_errors_are_clear(argv, message, capsys):
    argv = [str(data_path("gj15", "Leda.dat")) if a == "DATA" else a for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_config_keys_are_named(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('files = ["x"]\n[options]\nweights = "magic"\n')
    assert main(["fit", "--config", str(config)]) == 2
    assert "unknown [options] ['weights']" in capsys.readouterr().err
