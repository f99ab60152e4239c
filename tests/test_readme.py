"""The README's five-minute tour runs as written (in a temporary directory) and writes what it says."""
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = text.split("## A five-minute tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README tour", "exec"), {})
    for name in ("himalia_oc.png", "himalia_sigma.png", "himalia_ellipses.png", "himalia_ste.bsp", "himalia.h5",
                 "himalia_path.png"):
        assert (tmp_path / name).stat().st_size > 1000, name


def test_readme_harness_table_is_the_scripts_output():
    """README's "How honest is σ?" table is what `benchmarks/validation.py --markdown benchmarks/results/
    validation.md` last printed: a figure typed by hand, or a table not regenerated after the script's output
    changed, fails here (issue 17: README figures drift from the code)."""
    root = Path(__file__).resolve().parents[1]
    rows = (root / "benchmarks" / "results" / "validation.md").read_text(encoding="utf-8").strip().splitlines()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert len(rows) >= 9
    missing = [row for row in rows if row not in readme]
    assert not missing, f"README.md lacks the harness rows {missing}: paste benchmarks/results/validation.md"
