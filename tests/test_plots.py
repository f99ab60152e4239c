"""orbitfit.products.plots: paper figures of a fit (Leda, GJ15: 98 observations, a fast fit), drawn on the Agg backend."""
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import orbitfit  # noqa: E402
from orbitfit.observations import read_gj15  # noqa: E402
from orbitfit.paths import data_path  # noqa: E402
from orbitfit.products.plots import plot_residual_histograms, plot_residuals, save_figure  # noqa: E402


@pytest.fixture(scope="module")
def leda():
    obs, _ = read_gj15(str(data_path("gj15", "Leda.dat")))
    return orbitfit.fit(obs, orbitfit.gomes_junior_2016_orbit("Leda"), orbitfit.FitOptions(night_deweighting=False))


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


# --- sky error ellipses ----------------------------------------------------------------------------------------------

YEAR = 365.25 * 86400.0


def ellipse_lines(fig, n_epochs, scale):
    ax = fig.axes[0]
    by_gid = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    assert len(by_gid) == n_epochs * len(scale)
    return {(i, k): by_gid[f"ellipse-{i}-{k:g}sigma"].get_xydata() for i in range(n_epochs) for k in scale}


def covariance_of(table, i):
    s_ra, s_dec = (table[c][i].to_value("mas") for c in ("sigma_ra_mas", "sigma_dec_mas"))
    corr = float(table["corr"][i])
    return np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])


def test_sky_ellipses_follow_the_covariance(leda, tmp_path):
    """Every drawn point x = (RA*, Dec) offset satisfies x^T C^-1 x = k^2 for the k-sigma ellipse; the major axis
    has the length and position angle of uncertainty.ellipse and of the eigenvectors of C."""
    from orbitfit.products.plots import plot_sky_ellipses
    from orbitfit.products.uncertainty import ellipse, sky_uncertainty
    last = float(np.max(leda.observations["tdb"]))
    table = sky_uncertainty(leda, last + np.array([0.75, 1.5, 3.0, 8.0]) * YEAR)
    assert np.all(np.abs(table["corr"]) > 0.05)                    # tilted ellipses: the test sees the sign of corr
    path = tmp_path / "leda_ellipses.png"
    fig = plot_sky_ellipses(table, path=path)
    check_png(path, min_colours=10)
    assert no_temporary_files(tmp_path)
    lines = ellipse_lines(fig, len(table), (1, 3))
    for (i, k), points in lines.items():
        cov = covariance_of(table, i)
        q = np.einsum("ni,ij,nj->n", points, np.linalg.inv(cov), points)
        assert np.max(np.abs(q - k ** 2)) < 1e-9 * k ** 2, (i, k)
        tip = points[np.argmax(np.hypot(points[:, 0], points[:, 1]))]
        major, minor, pa = ellipse(cov[0, 0], cov[0, 1], cov[1, 1])
        assert np.hypot(*tip) == pytest.approx(k * major, rel=1e-9)
        assert major == pytest.approx(table["major_mas"][i].to_value("mas"), rel=1e-12)
        pa_points = np.degrees(np.arctan2(tip[0], tip[1])) % 180.0          # PA from north through east
        assert (pa_points - table["pa_deg"][i].to_value("deg") + 90.0) % 180.0 - 90.0 == pytest.approx(0.0, abs=1e-6)
        east, north = np.linalg.eigh(cov)[1][:, 1]
        assert (pa_points - np.degrees(np.arctan2(east, north)) + 90.0) % 180.0 - 90.0 == pytest.approx(0.0,
                                                                                                           abs=1e-6)
    ax = fig.axes[0]
    left, right = ax.get_xlim()
    assert left > 0 > right                                              # east (positive RA*) to the left
    assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1]                       # north up
    assert "mas" in ax.get_xlabel() and "mas" in ax.get_ylabel() and ax.get_aspect() == 1.0
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    for i, text in enumerate(labels[:len(table)]):
        assert text.startswith(orbitfit.iso_utc(table["tdb"][i], fmt="iso")[:10]) and "PA" in text and "km" in text
    assert labels[len(table):] == ["1σ", "3σ"]


def test_sky_ellipse_drawn_east_left_north_up_on_the_page():
    """A covariance with positive RA*/Dec correlation has its major axis towards the north-east (PA 0-90 deg),
    which on the page is up and to the LEFT of the centre."""
    from astropy.table import Table
    from orbitfit.products.plots import plot_sky_ellipses
    table = Table({"tdb": [0.0], "sigma_ra_mas": [30.0], "sigma_dec_mas": [10.0], "corr": [0.8]})
    fig = plot_sky_ellipses(table, scale=1)
    ax = fig.axes[0]
    points = ellipse_lines(fig, 1, (1,))[(0, 1)]
    north_east = points[np.argmax(points[:, 0] + points[:, 1])]
    assert north_east[0] > 0 and north_east[1] > 0
    fig.canvas.draw()
    (x0, y0), (x1, y1) = ax.transData.transform([[0.0, 0.0], north_east])
    assert x1 < x0 and y1 > y0
    assert fig.legends[0].get_texts()[0].get_text().startswith("2000-01-01 11:58 UTC")
    assert "km" not in fig.legends[0].get_texts()[0].get_text()          # no distance column: no km


def test_sky_ellipses_from_a_solution_and_into_given_axes(leda, tmp_path):
    from matplotlib.figure import Figure
    from orbitfit.products.plots import plot_sky_ellipses
    fig = plot_sky_ellipses(leda, epochs=["2025-12-15", "2026-03-18T12:35"], scale=(1,),
                            path=tmp_path / "leda.pdf")
    assert (tmp_path / "leda.pdf").read_bytes()[:5] == b"%PDF-"
    assert len(ellipse_lines(fig, 2, (1,))) == 2
    assert "Leda" in fig.get_suptitle()
    default = plot_sky_ellipses(leda)                                   # last observation, +1, 2, 5, 10 yr
    assert len(ellipse_lines(default, 5, (1, 3))) == 10
    own = Figure()
    ax = own.add_subplot(1, 1, 1)
    assert plot_sky_ellipses(leda, epochs=[0.0], ax=ax, title="Leda at J2000") is own
    assert ax.get_title(loc="left") == "Leda at J2000"
    with pytest.raises(ValueError, match="scale"):
        plot_sky_ellipses(leda, epochs=[0.0], scale=(0,))
    with pytest.raises(ValueError, match="at most"):
        plot_sky_ellipses(leda, epochs=np.arange(9) * YEAR)
