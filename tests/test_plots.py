"""orbitfit.plots: paper figures of a fit (Leda, GJ15: 98 observations, a fast fit), drawn on the Agg backend."""
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import orbitfit  # noqa: E402
from orbitfit.observations import read_gj15  # noqa: E402
from orbitfit.paths import data_path  # noqa: E402
from orbitfit.plots import plot_residual_histograms, plot_residuals, save_figure  # noqa: E402


@pytest.fixture(scope="module")
def leda():
    obs, _ = read_gj15(str(data_path("gj15", "Leda.dat")))
    return orbitfit.fit(obs, orbitfit.seed003_orbit("Leda"), orbitfit.FitOptions(night_deweighting=False))


def check_png(path, min_colours=20):
    from matplotlib.image import imread
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 800
    rgb = image[..., :3].reshape(-1, 3)
    ink = np.mean(np.any(rgb < 0.95, axis=1))                   # fraction of non-white pixels
    colours = len(np.unique(np.round(rgb * 255).astype(np.uint8), axis=0))
    assert ink > 0.03 and colours >= min_colours, (ink, colours)


def no_temporary_files(folder):
    return not [name for name in os.listdir(folder) if name.startswith(".tmp-")]


def test_residuals_png_and_pdf(leda, tmp_path):
    png, pdf = tmp_path / "leda_oc.png", tmp_path / "leda_oc.pdf"
    fig = plot_residuals(leda, by="observer", path=png)
    plot_residuals(leda, by="dataset", path=pdf)
    check_png(png)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    assert no_temporary_files(tmp_path)
    ra_axis, dec_axis = fig.axes
    assert "mas" in ra_axis.get_ylabel() and "mas" in dec_axis.get_ylabel()
    assert "Year" in dec_axis.get_xlabel()
    labels = [t.get_text() for t in ra_axis.get_legend().get_texts()]
    # one entry per GJ15 site, with n and mean +- sd
    assert len(labels) == 3 and all("n=" in t and "±" in t for t in labels)
    assert sum(int(t.split("n=")[1].split(")")[0].split(",")[0]) for t in labels) == int(leda.accepted.sum())


def test_rejected_observations_drawn_open_and_grey(leda, tmp_path):
    import copy
    solution = copy.copy(leda)
    solution.accepted = leda.accepted.copy()
    solution.accepted[:5] = False
    fig = plot_residuals(solution, path=tmp_path / "rejected.png")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1].startswith("rejected (n=5")
    rejected_lines = [line for line in fig.axes[0].get_lines() if line.get_markerfacecolor() == "none"]
    assert rejected_lines and len(rejected_lines[0].get_xdata()) == 5


def test_residuals_into_given_axes(leda):
    from matplotlib.figure import Figure
    fig = Figure()
    axes = fig.subplots(2, 1)
    assert plot_residuals(leda, ax=axes) is fig
    with pytest.raises(ValueError, match="pair of Axes"):
        plot_residuals(leda, ax=[axes[0]])


def test_histograms(leda, tmp_path):
    path = tmp_path / "leda_hist.png"
    fig = plot_residual_histograms(leda, path=path)
    check_png(path, min_colours=10)
    assert len(fig.axes) == 2
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"n = {int(leda.accepted.sum())}" in texts and "sd = " in texts
    plot_residual_histograms(leda, path=tmp_path / "leda_hist.pdf")
    assert (tmp_path / "leda_hist.pdf").read_bytes()[:5] == b"%PDF-"


def test_save_is_atomic_and_checks_the_format(leda, tmp_path):
    fig = plot_residual_histograms(leda)
    with pytest.raises(ValueError, match="unsupported figure format"):
        save_figure(fig, tmp_path / "figure.jpeg2000")
    target = tmp_path / "figure.png"
    target.write_bytes(b"old")
    save_figure(fig, target)
    assert target.read_bytes()[:4] == b"\x89PNG" and no_temporary_files(tmp_path)
