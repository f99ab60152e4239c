"""The researcher notebooks (notebooks/*.ipynb) run top to bottom, offline, on the embedded data, and are in sync
with the script that generates them (notebooks/build_notebooks.py), without outputs.

Each notebook is executed by nbclient in a fresh ipykernel of this very Python (a kernel spec written to a temporary
JUPYTER_PATH, so a user's own "python3" kernel spec cannot point the test at another interpreter), with the working
directory in a temporary folder: the notebooks write their figures and files to ./tmp/out/<name>/ there, and the
test checks the figures exist. A failing cell fails the test with the cell's source and traceback.
Measured on 2 cores: 15-35 s per notebook, ~100 s for the four.
"""
import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 600
KERNEL_NAME = "orbitfit-test-python"

# figures each notebook must leave in tmp/out/<notebook>/ (and show inline)
FIGURES = {
    "01_himalia_ste.ipynb": ["himalia_oc.png", "himalia_oc_hist.png", "himalia_sigma_2016_2026.png",
                             "himalia_yearly_means_vs_ste.png"],
    "02_all_irregulars_dask.ipynb": ["gj15_sd_vs_ste.png"],
    "03_kallichore.ipynb": ["kallichore_oc.png", "kallichore_error_ellipses.png"],
    "04_compare_ephemerides.ipynb": ["himalia_all_data_minus_ste.png"],
}


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOK_DIR / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec that runs ipykernel in this interpreter, found first through JUPYTER_PATH."""
    pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (test extra)")
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_path / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "orbitfit tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(jupyter_path))
    yield KERNEL_NAME
    patch.undo()


def test_the_four_notebooks_are_there():
    assert NOTEBOOKS == sorted(FIGURES)


def test_notebooks_are_built_by_the_script_and_carry_no_outputs():
    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (test extra)")
    builder = _builder()
    assert sorted(builder.NOTEBOOKS) == NOTEBOOKS
    for name in NOTEBOOKS:
        text = (NOTEBOOK_DIR / name).read_text(encoding="utf-8")
        assert text == builder.render(name), f"{name} is not what notebooks/build_notebooks.py writes: rebuild it"
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{name}: committed with outputs"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name, tmp_path, kernel_name):
    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (test extra)")
    nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (test extra)")
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()                       # raises CellExecutionError naming the failing cell
    seconds = time.perf_counter() - start
    print(f"\n{name}: executed in {seconds:.1f} s")

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    inline_images = sum("image/png" in o.get("data", {}) for o in outputs)
    assert inline_images >= len(FIGURES[name]), f"{name}: only {inline_images} inline figures"
    folder = tmp_path / "tmp" / "out" / name.removesuffix(".ipynb")
    for figure in FIGURES[name]:
        path = folder / figure
        assert path.exists() and path.stat().st_size > 10_000, f"{name}: figure {figure} missing or empty"
