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
