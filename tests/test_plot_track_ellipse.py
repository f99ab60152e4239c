"""orbitfit.products.plots.plot_track_ellipse, closed loop: the drawn ellipse (built from the eigen-axes of the sky
covariance, uncertainty.ellipse) reaches across the shadow's track exactly as far as Occultation.cross_track_sigma_km
(computed directly as sqrt(n^T C n) from the same covariance), and the bar drawn is that sigma. Leda from its 98
GJ15 positions (a fast fit), a star placed at its predicted geocentric position on 2026-03-18."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import orbitfit  # noqa: E402
from orbitfit.observations import read_gj15  # noqa: E402
import orbitfit.occultations as occ  # noqa: E402
from orbitfit.paths import data_path  # noqa: E402
from orbitfit.occultations.maps import plot_track_ellipse  # noqa: E402
from orbitfit.times import tdb_seconds  # noqa: E402


@pytest.fixture(scope="module")
def leda_event():
    obs, _ = read_gj15(str(data_path("gj15", "Leda.dat")))
    solution = orbitfit.fit(obs, orbitfit.gomes_junior_2016_orbit("Leda"), orbitfit.FitOptions(night_deweighting=False))
    t = tdb_seconds("2026-03-18 00:00")
    here = orbitfit.sky_uncertainty(solution, [t], observer="500")[0]
    star = occ.Star(here["ra_deg"], here["dec_deg"], epoch=2026.2, source_id=["at the prediction"])
    return solution, occ.predict(solution, star, t, radius_km=10.0)


def line(fig, gid):
    return next(line for ax in fig.axes for line in ax.lines if line.get_gid() == gid)


def test_ellipse_reaches_the_cross_track_sigma(leda_event, tmp_path):
    solution, event = leda_event
    fig = plot_track_ellipse(event, path=tmp_path / "leda_track.png")
    assert (tmp_path / "leda_track.png").stat().st_size > 10_000
    ellipse = np.asarray(line(fig, "track-ellipse").get_xydata())
    across = event.cross_track_unit()
    sigma_km = event.cross_track_sigma_km()
    # 361 points: the sampled extent is within 1 - cos(0.5 deg) = 4e-5 of the true one
    assert np.max(ellipse @ across) == pytest.approx(sigma_km, rel=1e-4)
    assert np.min(ellipse @ across) == pytest.approx(-sigma_km, rel=1e-4)
    # along the track: the squared extents on two perpendicular directions add up to a^2 + b^2 of the table
    row = orbitfit.sky_uncertainty(solution, [event.tdb], observer="500")[0]
    along = np.array([across[1], -across[0]])
    assert np.max(ellipse @ along) ** 2 + sigma_km ** 2 == pytest.approx(
        (row["major_km"] ** 2 + row["minor_km"] ** 2).to_value("km2"), rel=1e-3)
    bar = np.asarray(line(fig, "cross-track-sigma").get_xydata())
    assert np.linalg.norm(bar[1] - bar[0]) == pytest.approx(2 * sigma_km, rel=1e-12)
    d = bar[1] - bar[0]
    assert abs(d[0] * across[1] - d[1] * across[0]) < 1e-9 * sigma_km      # parallel to the cross-track unit
    ax = fig.axes[0]
    assert ax.get_xlim()[0] > ax.get_xlim()[1]                 # east to the left
    assert "east" in ax.get_xlabel() and "north" in ax.get_ylabel()


def test_a_second_ellipse_on_the_same_axes_keeps_the_larger_limits(leda_event):
    import matplotlib.pyplot as plt
    solution, event = leda_event
    fig, ax = plt.subplots()
    plot_track_ellipse(event, ax=ax)
    limit = ax.get_ylim()[1]
    smaller = solution.inflated(0.25)                           # every sigma / 4, the shared error's too
    plot_track_ellipse(event, solution=smaller, ax=ax, colour="#009E73", label="sigma / 4", motion=False)
    assert ax.get_ylim()[1] == pytest.approx(limit)
    sigmas = [np.linalg.norm(np.diff(l.get_xydata(), axis=0)) / 2 for l in ax.lines if l.get_gid() == "cross-track-sigma"]
    assert sigmas[1] == pytest.approx(sigmas[0] / 4, rel=1e-6)
    plt.close(fig)
