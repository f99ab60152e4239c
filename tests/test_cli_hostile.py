"""Hostile input to the command line: every bad value is refused with exit code 2 and one line on stderr that names
the input, never a traceback, and no failed or interrupted write leaves a temporary file behind."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orbitfit.cli import main
from orbitfit.estimation.options import FitOptions
from orbitfit.paths import data_path

ROOT = Path(__file__).resolve().parents[1]
LEDA = str(data_path("gj15", "Leda.dat"))
SPAN = ["--start", "2018-01-01", "--stop", "2018-02-01"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A small fitted solution (Leda, 98 GJ15 positions, a few seconds) and the hostile files, in one folder."""
    folder = tmp_path_factory.mktemp("hostile")
    assert main(["fit", LEDA, "--out", str(folder), "--json"]) == 0
    files = {
        "files5.toml": "files = 5\n",
        "options5.toml": f'files = ["{LEDA}"]\noptions = 5\n',
        "out5.toml": f'files = ["{LEDA}"]\nout = 5\n',
        "body.toml": f'files = ["{LEDA}"]\nbody = "Ledaa"\n',
        "body_list.toml": f'files = ["{LEDA}"]\nbody = [513]\n',
        "epoch.toml": f'files = ["{LEDA}"]\nepoch = 2451545.0\n',
        "iterations0.toml": f'files = ["{LEDA}"]\n[options]\nmax_iterations = 0\n',
        "iterations_a.toml": f'files = ["{LEDA}"]\n[options]\nmax_iterations = "a"\n',
        "chi2_x.toml": f'files = ["{LEDA}"]\n[options]\nchi2_reject = "x"\n',
        "night1.toml": f'files = ["{LEDA}"]\n[options]\nnight_deweighting = 1\n',
        "preset.toml": f'files = ["{LEDA}"]\npreset = "defualt"\n',
        "far_star.csv": "ra,dec,ref_epoch,source_id\n10.0,5.0,2018.4,1\n999.0,-200.0,2018.4,2\n",
        "south_star.csv": "ra,dec,ref_epoch,source_id\n10.0,-200.0,2018.4,1\n",
        "word_star.csv": "ra,dec\nabc,def\n",
        "mjd_star.csv": "ra,dec,ref_epoch\n10.0,5.0,2016.0\n10.0,5.0,57388.0\n",
        "fast_star.csv": "ra,dec,pmra,pmdec\n10.0,5.0,3.2,-1.0\n10.0,5.0,3.2e6,-1.0\n",
        "near_star.csv": "ra,dec,parallax,phot_g_mean_mag\n10.0,5.0,1200.5,12.0\n",
        "epochless_star.csv": "ra,dec,ref_epoch\n10.0,5.0,2016.0\n10.0,5.0,\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / "utf16.toml").write_text(f'files = ["{LEDA}"]\n', encoding="utf-16")
    (folder / "event_utf16.toml").write_text('name = "x"\n', encoding="utf-16")
    (folder / "a_folder").mkdir()
    (folder / "blocker").write_text("a file where a folder should be")
    return folder


def expand(argv, folder):
    names = {"ARCHIVE": str(folder / "fit_513.h5"), "DATA": LEDA}
    return [names.get(a, str(folder / a[3:]) if a.startswith("IN/") else a) for a in argv]


def assert_one_line_error(code, err, command, words):
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err                                   # no astropy format list, no SPICE banner
    assert lines[0].startswith(f"orbitfit {command}: error: ")
    for word in words:
        assert word in lines[0], lines[0]


CASES = [
    # ranges (defect 6: accepted with exit code 0)
    (["fit", "DATA", "--bias-prior-mas", "-5"], ["--bias-prior-mas", "bias_prior_mas must be > 0, not -5.0"]),
    (["fit", "DATA", "--bias-prior-mas", "0", "--bias-groups", "site"], ["bias_prior_mas must be > 0, not 0.0"]),
    (["predict", "ARCHIVE", "--stars", "IN/far_star.csv", *SPAN, "--radius-km", "-5"],
     ["--radius-km must be a finite number > 0, not -5.0"]),
    (["predict", "ARCHIVE", "--stars", "IN/far_star.csv", *SPAN, "--radius-km", "10"],
     ["far_star.csv: data row 2: ra = 999.0 deg is not in [0, 360]"]),
    (["predict", "ARCHIVE", "--stars", "IN/south_star.csv", *SPAN], ["south_star.csv: data row 1: dec = -200.0"]),
    (["predict", "ARCHIVE", "--stars", "IN/word_star.csv", *SPAN],
     ["word_star.csv: data row 1: column ra must hold numbers (deg), not 'abc'"]),
    # star values no star has (accepted with exit code 0 until 2026-12-08: an MJD as the epoch, a unit mixed up)
    (["predict", "ARCHIVE", "--stars", "IN/mjd_star.csv", *SPAN],
     ["mjd_star.csv: data row 2: ref_epoch = 57388.0 is not in [1800, 2200] (a Julian year", "not a JD or MJD"]),
    (["predict", "ARCHIVE", "--stars", "IN/fast_star.csv", *SPAN],
     ["fast_star.csv: data row 2: pmra = 3200000.0 mas/yr is not in [-20000, 20000]"]),
    (["predict", "ARCHIVE", "--stars", "IN/near_star.csv", *SPAN],
     ["near_star.csv: data row 1: parallax = 1200.5 mas is not in [-1000, 1000]"]),
    (["predict", "ARCHIVE", "--stars", "IN/epochless_star.csv", *SPAN],
     ["epochless_star.csv: data row 2: ref_epoch is empty", "give the catalogue epoch (2016.0 for Gaia DR3)"]),
    (["predict", "ARCHIVE", "--stars", "IN/far_star.csv", *SPAN, "--max-ca-arcsec", "nan"], ["--max-ca-arcsec"]),
    (["sigma", "ARCHIVE", *SPAN, "--step-days", "nan"], ["--step-days must be a finite number > 0, not nan"]),
    (["sigma", "ARCHIVE", *SPAN, "--step-days", "inf"], ["--step-days must be a finite number > 0, not inf"]),
    (["sigma", "ARCHIVE", *SPAN, "--step-days", "0"], ["--step-days must be a finite number > 0, not 0.0"]),
    (["sigma", "ARCHIVE", "--dates", "2018-01-01", "--clones", "-5"], ["--clones must be a finite number > 0"]),
    # configuration values of the wrong type (defect 12: tracebacks)
    (["fit", "--config", "IN/files5.toml"], ["files5.toml: files must be a list of file names, not 5"]),
    (["fit", "--config", "IN/options5.toml"], ["options5.toml: options must be a table [options], not 5"]),
    (["fit", "--config", "IN/out5.toml"], ["out5.toml: out must be a folder name, not 5"]),
    (["fit", "--config", "IN/body.toml"], ["body.toml: body Ledaa:", "give a NAIF id (513) or a name (Leda)"]),
    (["fit", "--config", "IN/body_list.toml"], ['body_list.toml: body must be a NAIF id (513) or a name ("Leda"), '
                                                "not [513]"]),
    (["fit", "--config", "IN/epoch.toml"], ["epoch.toml: epoch must be an ISO date string"]),
    (["fit", "--config", "IN/iterations0.toml"], ["iterations0.toml: [options] max_iterations must be > 0, not 0"]),
    (["fit", "--config", "IN/iterations_a.toml"],
     ["iterations_a.toml: [options] max_iterations must be of type int, not 'a' (str)"]),
    (["fit", "--config", "IN/chi2_x.toml"], ["chi2_x.toml: [options] chi2_reject must be of type float, not 'x'"]),
    (["fit", "--config", "IN/preset.toml"], ["preset.toml: preset: unknown preset 'defualt': use one of default"]),
    (["fit", "--config", "IN/night1.toml"], ["night1.toml: [options] night_deweighting must be of type bool or str"]),
    (["fit", "--config", "IN/utf16.toml"], ["utf16.toml: not UTF-8 text"]),
    (["occultation", "add", "ARCHIVE", "IN/event_utf16.toml", "--out", "IN/refit"], ["event_utf16.toml: not UTF-8"]),
    # floods: one line instead of astropy's format lists
    (["sigma", "ARCHIVE", "--dates", "2018-01-01,notadate"], ["--dates: cannot read the date 'notadate'"]),
    (["ephem", "ARCHIVE", "--table", "IN/t.ecsv", "--start", "2018-13-45", "--stop", "2019-01-01"],
     ["--start: cannot read the date '2018-13-45'"]),
    (["fit", "DATA", "--epoch", "soon"], ["--epoch: cannot read the date 'soon'"]),
    (["ephem", "ARCHIVE", "--spk", "IN/k.bsp", "--start", "2018-01-01"], ["give both --start and --stop"]),
    (["predict", "ARCHIVE", "--stars", str(ROOT / "README.md"), *SPAN], ["README.md: not a readable table"]),
    # outputs that cannot be written are found before the work
    (["ephem", "ARCHIVE", "--spk", "IN/a_folder"], ["--spk", "a_folder: is a folder, give a file name"]),
    (["ephem", "ARCHIVE", "--spk", "/proc/orbitfit.bsp"], ["--spk /proc/orbitfit.bsp: the folder /proc cannot be written to"]),
    (["ephem", "ARCHIVE", "--table", "IN/no_folder/t.ecsv", "--dates", "2018-01-01"], ["--table", "no_folder/t.ecsv: the folder", "no_folder is not an existing folder"]),
    (["sigma", "ARCHIVE", "--dates", "2018-01-01", "--plot", "IN/blocker/s.png"], ["--plot", "blocker is not an existing folder"]),
    (["predict", "ARCHIVE", "--stars", "IN/far_star.csv", *SPAN, "--out", "IN/a_folder"], ["--out", "is a folder"]),
    (["fit", "DATA", "--out", "IN/blocker/fit"], ["--out", "blocker/fit: cannot make the folder (Not a directory)"]),
    (["fit", "IN/a_folder"], ["a_folder: is not a file"]),
    # kernels that cannot serve the fit are named before it
    (["fit", "DATA", "--de-kernel", "IN/missing.bsp"], ["--de-kernel", "missing.bsp: not found"]),
    (["fit", "DATA", "--de-kernel", "IN/a_folder"], ["--de-kernel", "a_folder: is not a file"]),
    (["fit", "DATA", "--de-kernel", str(ROOT / "data" / "spk_samples" / "Chariklo_NIMA_sora.bsp")],
     ["--de-kernel:", "Chariklo_NIMA_sora.bsp: not a planetary DE kernel"]),
    (["fit", "DATA", "--de-kernel", str(ROOT / "data" / "spk_samples" / "de438_small_sora.bsp")],
     ["--de-kernel: the kernels cover 2016-12-30", "the observations 1996-"]),
    (["fit", "DATA", "--moons-kernel", str(ROOT / "data" / "spk_samples" / "de438_small_sora.bsp")],
     ["--moons-kernel:", "satellite kernel lacks bodies [501, 502, 503, 504]"]),
    (["sigma", "IN/a_folder", "--dates", "2018-01-01"], ["a_folder: is not a file"]),
]


@pytest.mark.parametrize("argv, words", CASES, ids=[f"{a[0]} {w[0][:50]}" for a, w in CASES])
def test_bad_input_is_one_located_line(argv, words, inputs, capsys, monkeypatch):
    from orbitfit.estimation import least_squares
    monkeypatch.setattr(least_squares, "fit_orbit", lambda *a, **k: pytest.fail("the input was not checked first"))
    capsys.readouterr()
    code = main(expand(argv, inputs))
    assert_one_line_error(code, capsys.readouterr().err, argv[0], words)


SUBPROCESS = ("--step-days must be a finite number > 0, not nan", "iterations_a.toml", "--dates:", "README.md")


@pytest.mark.parametrize("argv, words", [case for case in CASES if case[1][0].startswith(SUBPROCESS)], ids=SUBPROCESS)
def test_bad_input_in_a_subprocess(argv, words, inputs):
    run = subprocess.run([sys.executable, "-m", "orbitfit.cli", *expand(argv, inputs)], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert_one_line_error(run.returncode, run.stderr, argv[0], words)


def test_json_error_is_one_record(inputs, capsys):
    assert main(expand(["sigma", "ARCHIVE", *SPAN, "--step-days", "nan", "--json"], inputs)) == 2
    assert json.loads(capsys.readouterr().out) == {"error": "--step-days must be a finite number > 0, not nan",
                                                   "command": "sigma"}


@pytest.mark.parametrize("changes, message", [
    ({"max_iterations": "a"}, "max_iterations must be of type int, not 'a' (str)"),
    ({"max_iterations": 2.5}, "max_iterations must be of type int, not 2.5 (float)"),
    ({"reject_outliers": 1}, "reject_outliers must be of type bool, not 1 (int)"),
    ({"chi2_reject": True}, "chi2_reject must be of type float, not True (bool)"),
    ({"bias_groups": 5}, "bias_groups must be of type str or None, not 5 (int)"),
    ({"epoch": float("nan")}, "epoch must be a finite number, not nan"),
    ({"convergence": float("inf")}, "convergence must be a finite number, not inf"),
])
def test_fit_options_reject_wrong_types_by_name(changes, message):
    with pytest.raises(ValueError) as error:
        FitOptions(**changes)
    assert str(error.value) == message
    # the types of the annotations, not of the defaults: an int is a float, None an epoch
    assert FitOptions(chi2_reject=12, epoch=0.0, bias_groups="site").chi2_reject == 12


# --- no temporary file is left by a failed or interrupted write ---------------------------------------------------

def leftovers(folder):
    return sorted(p.name for p in Path(folder).rglob("*.tmp"))


def test_spk_to_an_existing_folder_leaves_nothing(inputs, capsys):
    assert main(expand(["ephem", "ARCHIVE", "--spk", "IN/a_folder"], inputs)) == 2
    assert not (inputs / "a_folder.tmp").exists() and leftovers(inputs) == []


def test_failed_archive_spk_table_and_report_writes_leave_no_tmp(inputs, tmp_path, monkeypatch):
    import spiceypy
    from astropy.table import Table
    from orbitfit import archive
    from orbitfit.cli.common import write_atomic
    from orbitfit.products.export import write_table
    from orbitfit.solution import Solution
    solution = Solution.load(inputs / "fit_513.h5")

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")
    with monkeypatch.context() as patch:
        patch.setattr(archive, "_digest", broken)             # the archive is written up to its checksum
        with pytest.raises(RuntimeError):
            solution.save(tmp_path / "s.h5")
    with monkeypatch.context() as patch:
        patch.setattr(spiceypy, "spkw02", broken)             # the kernel is opened, its comments written
        with pytest.raises(RuntimeError):
            solution.to_spk(tmp_path / "s.bsp", span=(5.7e8, 5.8e8))
    class Unprintable:
        def __str__(self):
            raise TypeError("cannot be written")
    table = Table({"a": [1, 2]}, meta={"odd": Unprintable()})  # the meta cannot be written: fails mid-file
    with pytest.raises(TypeError):
        write_table(table, tmp_path / "t.json")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(tmp_path / "r.json", "a lone surrogate \ud800")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_stale_tmp_of_a_killed_write_is_replaced(tmp_path, inputs):
    from orbitfit.solution import Solution
    (tmp_path / "s.bsp.tmp").write_bytes(b"half a kernel")      # SPICE refuses to open an existing file
    Solution.load(inputs / "fit_513.h5").to_spk(tmp_path / "s.bsp", span=(5.7e8, 5.8e8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bsp"]


def test_sigterm_during_a_save_removes_the_tmp(inputs, tmp_path, monkeypatch):
    """A kill (SIGTERM) while the table is being written: the command exits 143 and leaves no file, and the
    process's own SIGTERM handler is back afterwards."""
    from astropy.table import Table
    handler = signal.getsignal(signal.SIGTERM)

    def write_then_killed(self, path, **kwargs):
        Path(path).write_text("half a table")
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):                                  # the handler runs between bytecodes
            pass
        pytest.fail("SIGTERM did not stop the write")
    monkeypatch.setattr(Table, "write", write_then_killed)
    table = tmp_path / "t.ecsv"
    with pytest.raises(SystemExit) as exit_:
        main(["ephem", str(inputs / "fit_513.h5"), "--table", str(table), "--dates", "2018-01-01"])
    assert exit_.value.code == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is handler
