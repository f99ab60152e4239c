"""What a notebook shows: short reprs and small HTML tables for Solution, Occultation and Predictions; the summary's
epoch in UTC and TDB and its sigmas in significant digits; library progress through logging, never print; figures
readable by everyone."""
import logging
import os
import re

import numpy as np
import pytest

import orbitfit.occultations as occ
from orbitfit.bodies import body_name
from orbitfit.cli import build_parser, main
from orbitfit.display import significant
from orbitfit.estimation import ranging
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.observations.gj15 import read_gj15
from orbitfit.paths import data_path
from orbitfit.times import iso_tdb, iso_utc


@pytest.fixture(scope="module")
def leda(ephemeris):
    observations, _ = read_gj15(data_path("gj15", "Leda.dat"))
    return fit_orbit(observations, gomes_junior_2016_orbit("Leda", ephemeris), FitOptions())


def test_solution_repr_is_short_and_names_the_body(leda):
    text = repr(leda)
    assert len(text) < 300 and "Leda" in text and str(leda.body) in text


def test_solution_html_holds_the_epoch_name_and_numbers(leda):
    page = leda._repr_html_()
    assert page.startswith("<table>") and page.rstrip().endswith("</table>") and len(page) < 5000
    assert body_name(leda.body) == "Leda" and "Leda" in page
    assert iso_utc(leda.epoch, 0) in page and iso_tdb(leda.epoch, 0) in page
    assert f"<td>{len(leda.observations)}</td>" in page
    assert f"{leda.chi2 / leda.dof:.3f}" in page
    s = leda.statistics(by=None)[0]
    assert f"RA* {s['mean_ra_mas'].to_value('mas'):+.1f} +- {s['std_ra_mas'].to_value('mas'):.1f}" in page
    assert f"Dec {s['mean_dec_mas'].to_value('mas'):+.1f} +- {s['std_dec_mas'].to_value('mas'):.1f}" in page
    el, sigma = leda.elements()
    for value, err in zip(el.as_array(), sigma):
        assert f"{value:.6f}" in page and f"+- {significant(err)}" in page


def test_epoch_time_is_an_astropy_time_in_tdb(leda):
    t = leda.epoch_time
    assert t.scale == "tdb"
    assert (t.jd1 - 2451545.0 + t.jd2) * 86400.0 == pytest.approx(leda.epoch, abs=1e-6)
    assert leda.epoch_utc == iso_utc(leda.epoch, 0)


def test_summary_gives_the_epoch_in_utc_and_small_sigmas_in_significant_digits(leda):
    text = leda.summary()
    assert f"osculating elements at {iso_utc(leda.epoch, 0)} UTC ({iso_tdb(leda.epoch, 0)} TDB)" in text
    _, sigma = leda.elements()
    assert sigma[1] < 1e-4                                # sigma(e) is small: six decimals said 0.00000x
    line = next(line for line in text.splitlines() if line.strip().startswith("e "))
    shown = float(line.split("+-")[1])
    assert shown == pytest.approx(sigma[1], rel=0.05)     # two significant digits
    assert re.search(r"\+- \d\.\de-0\d$", line)


def test_significant_digits():
    assert significant(6.3e-7) == "6.3e-07"
    assert significant(0.01234) == "0.012"
    assert significant(12.34) == "12"
    assert significant(0.0) == "0"


def test_occultation_and_predictions_reprs(leda, ephemeris):
    star = occ.synthetic_star(leda, "2026-06-01T12:00:00", ephemeris=ephemeris)
    event = occ.predict(leda, star, "2026-06-01T12:00:00", 10.0, ephemeris=ephemeris)
    assert len(repr(event)) < 300
    page = event._repr_html_()
    assert page.startswith("<table>") and event.utc in page and "SYNTHETIC" in page and "ca_km" in page
    found = occ.search(leda, star, "2026-05-31", "2026-06-03", 10.0, ephemeris=ephemeris)
    assert len(found) == 1
    text = repr(found)
    assert len(text) < 300 and text.startswith("Predictions(1 events")
    page = found._repr_html_()
    assert "<table" in page and found.table["utc"][0].isot in page and "SYNTHETIC" in page


def test_ranging_logs_its_stages_and_prints_nothing(capsys, caplog):
    """The verbose stage report of the initial-orbit search goes to the logger orbitfit.estimation.ranging."""
    class Search:
        data = type("Data", (), {"t_obs": np.array([0.0, 86400.0, 3 * 86400.0])})()
        options = ranging.InitialOrbitOptions(verbose=True)
        report = ranging.InitialOrbitReport()
    search = Search()
    with caplog.at_level(logging.INFO, logger="orbitfit.estimation.ranging"):
        ranging._Search.log(search, "attributable", np.array([0, 1, 2]), None, 8)
    assert capsys.readouterr().out == ""
    assert [r.name for r in caplog.records] == ["orbitfit.estimation.ranging"]
    assert "'stage': 'attributable'" in caplog.records[0].getMessage() and "'span_days': 3.0" in \
        caplog.records[0].getMessage()
    assert search.report.stages[0]["n_obs"] == 3


def test_library_has_no_print_and_configures_no_logging():
    root = os.path.join(os.path.dirname(__file__), "..", "orbitfit")
    for folder, _, names in os.walk(root):
        if os.path.basename(folder) == "cli":
            continue
        for name in names:
            if name.endswith(".py"):
                source = open(os.path.join(folder, name), encoding="utf-8").read()
                code = [line for line in source.splitlines() if not line.lstrip().startswith(("#", "print(report)",
                        "print(solution", "print(found", "print(event", "print(family", "print(centre"))]
                assert not any(re.match(r"\s*print\(", line) for line in code), name
                assert "basicConfig" not in source, name


def test_cli_verbosity_flags(tmp_path):
    parser = build_parser()
    assert parser.parse_args(["-vv", "fit", "x.dat"]).verbose == 2
    assert parser.parse_args(["-q", "fit", "x.dat"]).quiet
    assert main(["-v", "fit", str(data_path("gj15", "Leda.dat")), "--out", str(tmp_path), "--json"]) == 0
    assert logging.getLogger("orbitfit").level == logging.INFO
    assert main(["-q", "fit", str(data_path("gj15", "Leda.dat")), "--out", str(tmp_path), "--json"]) == 0
    assert logging.getLogger("orbitfit").level == logging.ERROR
    logging.getLogger("orbitfit").setLevel(logging.NOTSET)


def test_saved_figures_are_readable_by_group_and_others(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from orbitfit.products.plots import save_figure
    fig = plt.figure()
    previous = os.umask(0o022)                           # the usual umask: files 0644
    try:
        path = save_figure(fig, tmp_path / "figure.png")
    finally:
        os.umask(previous)
        plt.close(fig)
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert os.stat(path).st_mode & 0o044 == 0o044


def test_observations_describe_themselves(leda):
    """One line above astropy's own (truncated) table in Jupyter: count, body, span in UTC, data sets, sites."""
    observations = leda.observations
    line = observations.describe()
    assert line == (f"{len(observations)} observations of 513 Leda, 1996-06-24 .. 2009-05-24 UTC, 1 data set (gj15), "
                    f"{len(set(observations['observer']))} sites")
    page = observations._repr_html_()
    assert page.startswith(f"<p>{line}</p>") and "<table" in page and len(page) < 20000
    assert type(observations).__name__ == "Observations" and observations[:0].describe() == "0 observations"
