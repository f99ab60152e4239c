"""The README's five-minute tour runs as written (in a temporary directory) and writes what it says, and its generated
tables are their scripts' output."""
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = text.split("## A five-minute tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README tour", "exec"), {})
    for name in ("himalia_oc.png", "himalia_sigma.png", "himalia_ellipses.png", "himalia_ste.bsp", "himalia.h5",
                 "himalia_path.png"):
        assert (tmp_path / name).stat().st_size > 1000, name


GENERATED = {      # README table rows -> the script that writes them (issue 17: README figures drift from the code)
    "validation.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                     "--markdown benchmarks/results/validation.md",
    "himalia_gm.md": "benchmarks/himalia_gm.py --markdown benchmarks/results/himalia_gm.md",
    "real_occultations.md": "benchmarks/real_occultations.py --markdown benchmarks/results/real_occultations.md",
    "validation_2012.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                          "--cut 2012-01-01 --tests cut --markdown benchmarks/results/validation_2012.md",
    "validation_2008.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                          "'no biases' --cut 2008-01-01 --tests cut --markdown benchmarks/results/validation_2008.md",
    "shared_biases.md": "benchmarks/validation.py --shared --markdown benchmarks/results/shared_biases.md",
    "gaia_visits.md": "benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md",
    "honest_spread.md": "benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md "
                        "--spread-markdown benchmarks/results/honest_spread.md",
    "honest_spread_2012.md": "benchmarks/validation.py --visits --tests cut --cut 2012-01-01 "
                             "--spread-markdown benchmarks/results/honest_spread_2012.md",
    "honest_spread_2008.md": "benchmarks/validation.py --visits --tests cut --cut 2008-01-01 "
                             "--spread-markdown benchmarks/results/honest_spread_2008.md",
    "observatory_biases.md": "benchmarks/validation.py --options 'apparition biases' 'observatory biases' "
                             "--tests cut all --markdown benchmarks/results/observatory_biases.md",
    "apparition_correlation.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                 "--markdown benchmarks/results/apparition_correlation.md",
    "apparition_correlation_2012.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                      "--cut 2012-01-01 --tests cut --markdown "
                                      "benchmarks/results/apparition_correlation_2012.md",
    "apparition_correlation_2008.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                      "--cut 2008-01-01 --tests cut --markdown "
                                      "benchmarks/results/apparition_correlation_2008.md",
    "observatory_biases_2012.md": "benchmarks/validation.py --options 'apparition biases' 'observatory biases' "
                                  "--cut 2012-01-01 --tests cut --markdown benchmarks/results/observatory_biases_2012.md",
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_readme_tables_are_the_scripts_output(name):
    """README's generated tables (the harness now and years ahead, shared biases, Himalia's GM, the real
    occultations) are what their scripts last wrote to benchmarks/results/: a figure typed by hand, or a table not
    pasted after the script's output changed, fails here. The occultation rows are recomputed below; the others
    take minutes to an hour and are run by hand (the scripts' docstrings say how long)."""
    root = Path(__file__).resolve().parents[1]
    rows = (root / "benchmarks" / "results" / name).read_text(encoding="utf-8").strip().splitlines()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert len(rows) >= 2
    missing = [row for row in rows if row not in readme]
    assert not missing, f"README.md lacks the rows {missing}: run {GENERATED[name]} and paste its output"


def test_the_real_occultation_rows_are_what_the_reductions_give_today(tmp_path):
    """The occultation table's numbers recomputed (each event reduces in well under a second): the file in
    benchmarks/results/ is not stale."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "real_occultations.md"
    run = subprocess.run([sys.executable, str(root / "benchmarks" / "real_occultations.py"), "--markdown", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8") == (root / "benchmarks" / "results" / "real_occultations.md").read_text(
        encoding="utf-8")
