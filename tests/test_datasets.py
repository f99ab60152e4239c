"""orbitfit.observations.datasets.load_all: every embedded data set of a satellite, deduplicated (rules in the module docstring)."""
import math

import numpy as np
import pytest

from orbitfit.observations.datasets import find_duplicates, load_all, preference_rank, printed_units_mas
from orbitfit.observations import Observations, read_gj15
from orbitfit.paths import data_path
from orbitfit.observations.core import COLUMN_NAMES

MAIN_EIGHT = ["Himalia", "Elara", "Pasiphae", "Sinope", "Lysithea", "Carme", "Ananke", "Leda"]


@pytest.fixture(scope="module")
def himalia():
    return load_all(506, gaia_transits=False)          # Gaia DR3 as read: one row per CCD


def test_himalia_counts(himalia):
    obs, report = himalia
    print()
    print(report)
    by = {s.dataset: s for s in report.sources}
    for s in report.sources:
        assert s.rows == s.kept + s.duplicates
    assert len(obs) == report.kept == 5731                # 5310 before the pre-1960 rows were read (+415 jo0010, +6 jo0011)
    assert report.rows == 8386 and len(report.duplicates) == 2655
    # GJ15: one verbatim repetition (Himalia.dat line 309 = line 308); NSDB jo0056 is GJ15 again
    assert (by["gj15"].rows, by["gj15"].kept) == (1234, 1233)
    assert (by["nsdb:jo0056"].rows, by["nsdb:jo0056"].kept) == (1234, 0)
    # Gaia DR3 is unique; the MPC CSV was extracted from NSDB units jo0054-jo0074 and adds nothing
    assert (by["nsdb:jo0069"].rows, by["nsdb:jo0069"].kept) == (195, 195)
    assert (by["mpc"].rows, by["mpc"].kept) == (1191, 0)
    # USNO FASTT printed in three units: jo0034 (topocentric), jo0040/jo0043 (geocentric), jo0046 (topocentric)
    assert by["nsdb:jo0046"].duplicates == 218
    geo_topo = [p for p in report.duplicates if p.geo_topo]
    assert len(geo_topo) == 49
    assert max(math.hypot(p.d_ra_mas, p.d_dec_mas) for p in geo_topo) < 40    # after the parallax correction
    # jo0010's 518 Himalia rows are all read (1894-1993: before 1960 in UT, tests/test_historical.py); whole units
    # with unsupported frames stay rejected
    assert by["nsdb:jo0010"].rejected == 0 and by["nsdb:jo0010"].rows == 518
    assert any(note.startswith("jo0031: rejected whole") for note in report.notes)
    assert np.all(np.diff(np.asarray(obs["tdb"])) >= 0)


def test_dataset_labels(himalia):
    obs, _ = himalia
    datasets = set(np.asarray(obs["dataset"]).astype(str))
    assert "gj15" in datasets and "nsdb:jo0069" in datasets
    assert all(d == "gj15" or d == "mpc" or d.startswith("nsdb:jo") for d in datasets)
    gaia = obs.select(dataset="nsdb:jo0069")
    assert set(gaia["kind"]) == {"gaia"} and set(gaia["observer"]) == {"258"}


@pytest.mark.parametrize("name", MAIN_EIGHT)
def test_no_duplicate_pairs_left(name):
    obs, report = load_all(name, gaia_transits=False)
    assert not obs.duplicates().any()
    # nor by the stricter rule of the module itself (rounding tolerance, geocentric vs topocentric)
    rank = preference_rank(obs, np.zeros(len(obs), dtype=int))
    dropped, _, _ = find_duplicates(obs, rank)
    assert not dropped.any()
    assert len(obs) == report.kept


@pytest.mark.parametrize("name", MAIN_EIGHT)
def test_gj15_rows_all_kept(name):
    obs, report = load_all(name, gaia_transits=False)
    gj15, _ = read_gj15(str(data_path("gj15", f"{name}.dat")))
    kept = set(zip(np.asarray(obs["source"]).astype(str), np.asarray(obs["line"]).tolist()))
    missing = [line for line in gj15["line"] if (f"{name}.dat", int(line)) not in kept]
    # the only GJ15 row ever dropped is a verbatim repetition inside the catalogue itself
    assert missing == ([309] if name == "Himalia" else [])
    assert all(p.other_dataset == "gj15" for p in report.duplicates if p.dataset == "gj15")


def test_kallichore_every_form_once():
    obs, report = load_all("Kallichore")
    by = {s.dataset: s for s in report.sources}
    assert len(obs) == 41                                 # the 41 positions of data/kallichore, once
    assert by["kallichore:csv"].kept == by["kallichore:mpc80"].kept == 0
    assert all(d.startswith("nsdb:jo10") for d in set(np.asarray(obs["dataset"]).astype(str)))


# --- the rules, on hand-made rows --------------------------------------------------------------------------------
def rows(*specs):
    """Observations from (dataset, observer, tdb_s, ra_deg, dec_deg[, line]) tuples."""
    columns = {name: [] for name in COLUMN_NAMES}
    for k, (dataset, observer, t, ra, dec, *line) in enumerate(specs):
        values = dict(body=506, name="Himalia", utc_jd1=2451545.0, utc_jd2=t / 86400.0, tdb=t, ra_deg=ra,
                      dec_deg=dec, sigma_ra_mas=math.nan, sigma_dec_mas=math.nan, corr=0.0, observer=observer,
                      obs_x_km=math.nan, obs_y_km=math.nan, obs_z_km=math.nan, obs_frame="", kind="optical",
                      catalog="", source=dataset + ".txt", line=line[0] if line else k + 1, dataset=dataset)
        for name in COLUMN_NAMES:
            columns[name].append(values[name])
    return Observations.from_columns({k: np.asarray(v) for k, v in columns.items()})


def hms(h, m, s):
    return 15 * (h + m / 60 + s / 3600)


def dms(d, m, s):
    return d + m / 60 + s / 3600


def test_printed_units():
    u_ra, u_dec = printed_units_mas([hms(1, 2, 3.45), hms(1, 2, 3.4567)], [dms(10, 0, 1.2), dms(10, 0, 1.234)])
    assert u_ra == pytest.approx([150 * math.cos(math.radians(10)), 1.5 * math.cos(math.radians(10))], rel=1e-4)
    assert u_dec == pytest.approx([100, 1])


def test_rounding_copies_across_sources_only():
    t = 3e8
    table = rows(("nsdb:jo0001", "689", t, hms(1, 2, 3.4567), dms(10, 0, 1.234)),
                 ("mpc", "689", t + 0.4, hms(1, 2, 3.45), dms(10, 0, 1.2)),          # MPC rounding: a copy
                 ("mpc", "689", t + 0.4, hms(1, 2, 3.47), dms(10, 0, 1.5)),          # 0.3" off: a conflict
                 ("mpc", "689", t + 5.0, hms(1, 2, 3.45), dms(10, 0, 1.2)),          # 5 s later: another exposure
                 ("mpc", "691", t, hms(1, 2, 3.45), dms(10, 0, 1.2)),                # another site
                 ("nsdb:jo0001", "689", t, hms(1, 2, 3.4568), dms(10, 0, 1.234)),    # same source, 1.5 mas: kept
                 ("nsdb:jo0001", "689", t, hms(1, 2, 3.4567), dms(10, 0, 1.234)))    # verbatim repeat: a copy
    tiers = np.array([2, 3, 3, 3, 3, 2, 2])
    dropped, matches, conflicts = find_duplicates(table, preference_rank(table, tiers))
    assert dropped.tolist() == [False, True, False, False, False, False, True]
    assert matches[1][0] == 0 and matches[6][0] == 0
    assert [(a, b) for a, b, *_ in conflicts] == [(0, 2), (5, 2)]      # row 5 is distinct from row 0
    dropped, _, conflicts = find_duplicates(table, preference_rank(table, tiers), drop_remeasurements=True)
    assert dropped.tolist() == [False, True, True, False, False, False, True] and conflicts == []


def test_geocentric_copy_of_a_topocentric_row(ephemeris):
    """A geocentric row (observer 500) is the copy of a topocentric one when the parallax explains the offset."""
    from orbitfit.observations.datasets import _parallax_shift_mas
    t = 2.0e8
    topo = rows(("nsdb:jo0046", "689", t, 150.0, 10.0), ("nsdb:jo0040", "500", t, 150.0, 10.0))
    p_ra, p_dec = _parallax_shift_mas(topo, np.array([1]), np.array([0]), ephemeris)
    assert 0.3e3 < math.hypot(p_ra[0], p_dec[0]) < 2.5e3          # ~1-2" at Jupiter's distance
    geo_dec = 10.0 - p_dec[0] / 3.6e6
    geo_ra = 150.0 - p_ra[0] / 3.6e6 / math.cos(math.radians(10.0))
    table = rows(("nsdb:jo0046", "689", t, 150.0, 10.0), ("nsdb:jo0040", "500", t + 0.3, geo_ra, geo_dec),
                 ("nsdb:jo0041", "500", t, 150.0, 10.0))                 # not parallax-corrected: not a copy
    dropped, matches, conflicts = find_duplicates(table, np.array([0, 1, 2]), ephemeris=ephemeris)
    assert dropped.tolist() == [False, True, False]
    assert matches[1][4] is True                                         # flagged geo/topo
    assert [(a, b) for a, b, *_ in conflicts] == [(0, 2)]
