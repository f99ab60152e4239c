"""The researcher notebooks (notebooks/NN_name.py, jupytext percent format) run top to bottom, offline, on the
embedded data, and render as self-contained pages with their figures.

Each notebook is executed by nbclient in a fresh ipykernel of this very Python with this source tree first on its
PYTHONPATH (docs/build.py's `notebook_kernel`: a kernel spec written to a temporary JUPYTER_PATH, so neither a
user's own "python3" kernel spec nor an orbitfit installed from another checkout is used), with the working
directory in a temporary folder: the notebooks write their figures and files to ./tmp/out/<name>/ there, and the
test checks the figures exist. A failing cell fails the test with the cell's source and traceback. The executed
notebook is then rendered with docs/build.py's `notebook_html` (what `python docs/build.py --notebooks` writes):
its figures are embedded as PNG and it loads nothing from the network -- without executing the notebooks twice.
Measured on 2 cores (2026-12-07): 4-42 s per notebook alone, 06 (Himalia's GM from every data set) the longest;
54 s for it within the full suite.
"""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))

# figures each notebook must leave in tmp/out/<notebook>/ (and show inline)
FIGURES = {
    "01_himalia_ste.py": ["himalia_oc.png", "himalia_oc_hist.png", "himalia_sigma_2016_2026.png",
                          "himalia_yearly_means_vs_ste.png"],
    "02_all_irregulars_dask.py": ["gj15_sd_vs_ste.png"],
    "03_kallichore.py": ["kallichore_oc.png", "kallichore_error_ellipses.png",
                         "kallichore_SYNTHETIC_chord_ellipses.png"],
    "04_compare_ephemerides.py": ["himalia_all_data_minus_ste.png", "himalia_held_out_gaia.png"],
    "05_real_occultation.py": ["ganymede_2020-12-21_chords.png", "europa_2019-06-04_sides.png"],
    "06_himalia_gm.py": ["elara_himalia_distance.png", "gm_leave_one_out.png", "gm_vs_literature.png"],
}
# rich output each notebook must show (text or HTML of its cells): Jupyter's view of the objects, tab completion
RICH = {
    "01_himalia_ste.py": ["<caption>orbitfit Solution: Himalia", "'sky_uncertainty'", "'FitOptions'",
                          "1234 observations of 506 Himalia, 1995-", "centre 10 + DE421: off by (mas)"],
    "04_compare_ephemerides.py": ["an honest sigma gives (90%)", "default options, every data set before 2016-06-01"],
}
# what would make a browser fetch something while reading (as tests/test_docs.py checks the API pages)
EXTERNAL = re.compile(r"""(?:\bsrc|<link\b[^>]*\bhref)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|"""
                      r"""@import|mathjax|mermaid\.|cdn\.|googleapis|unpkg|jsdelivr|require\.js""", re.IGNORECASE)


def _docs_build():
    """docs/build.py as a module (it is a script, not part of the package): the shared execute-and-render code."""
    spec = importlib.util.spec_from_file_location("orbitfit_docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def docs_build():
    return _docs_build()


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory, docs_build):
    """A kernel spec that runs ipykernel in this interpreter, found first through JUPYTER_PATH."""
    pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (test extra)")
    with docs_build.notebook_kernel(tmp_path_factory.mktemp("jupyter")) as name:
        yield name


def test_the_notebooks_are_there():
    assert NOTEBOOKS == sorted(FIGURES)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_file_round_trips(name, docs_build):
    """jupytext reads the file into markdown and code cells as intended, and writes it back unchanged."""
    jupytext = pytest.importorskip("jupytext", reason="the notebook tests need jupytext (test extra)")
    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (test extra)")
    text = (NOTEBOOK_DIR / name).read_text(encoding="utf-8")
    notebook = docs_build.read_notebook(NOTEBOOK_DIR / name)
    nbformat.validate(notebook)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert set(kinds) == {"markdown", "code"}, kinds
    assert kinds[0] == "markdown" and notebook.cells[0].source.startswith("# "), "a title cell first"
    assert notebook.cells[1].source.startswith("%matplotlib inline"), "the magic comes back from '# %matplotlib'"
    assert text.count("# %%") == len(notebook.cells)
    for cell in notebook.cells:
        assert cell.source.strip(), f"{name}: an empty cell"
        assert "# %%" not in cell.source, f"{name}: a cell marker inside a cell"
        if cell.cell_type == "code":
            # a code cell of comments only is a markdown cell that lost its [markdown] marker
            assert any(line.strip() and not line.lstrip().startswith("#") for line in cell.source.splitlines()), \
                f"{name}: code cell without code: {cell.source[:80]!r}"
            assert not cell.get("outputs")
        else:
            assert not cell.source.lstrip().startswith(("import ", "from ")), f"{name}: code in a markdown cell"

    def without_version(s):                        # jupytext stamps its own version into the header
        return re.sub(r"(?m)^#\s+jupytext_version: .*\n", "", s)

    assert without_version(jupytext.writes(notebook, fmt="py:percent")) == without_version(text), \
        f"{name}: jupytext does not write the file back as it is (run `jupytext --to py:percent` on it)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_and_renders(name, tmp_path, kernel_name, docs_build):
    pytest.importorskip("nbclient", reason="the notebook tests need nbclient (test extra)")
    pytest.importorskip("nbconvert", reason="the notebook page needs nbconvert (test extra)")
    notebook, seconds = docs_build.execute_notebook(NOTEBOOK_DIR / name, tmp_path, kernel_name)
    print(f"\n{name}: executed in {seconds:.1f} s")

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "\n".join(o.get("text", "") + o.get("data", {}).get("text/html", "") + o.get("data", {}).get(
        "text/plain", "") for o in outputs)
    for expected in RICH.get(name, []):
        assert expected in shown, f"{name}: no output shows {expected!r}"
    inline_images = sum("image/png" in o.get("data", {}) for o in outputs)
    assert inline_images >= len(FIGURES[name]), f"{name}: only {inline_images} inline figures"
    folder = tmp_path / "tmp" / "out" / Path(name).stem
    for figure in FIGURES[name]:
        path = folder / figure
        assert path.exists() and path.stat().st_size > 10_000, f"{name}: figure {figure} missing or empty"

    page = docs_build.notebook_html(notebook, name, seconds)
    embedded = re.findall(r'<img\b[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=\s]{2000,})"', page)
    assert len(embedded) == inline_images, f"{name}: {len(embedded)} of {inline_images} figures embedded in the page"
    assert not EXTERNAL.findall(page) and not docs_build.external_loads(page), EXTERNAL.findall(page)[:3]
    assert "<script" not in page.lower()
    assert docs_build.notebook_title(notebook) in page and "../index.html" in page
