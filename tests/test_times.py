import numpy as np
import pytest

from orbitfit.times import iso_utc, tdb_seconds


def test_j2000_and_round_trip():
    # J2000.0 TDB = 2000-01-01T11:58:55.816 UTC (TT - UTC = 64.184 s; TDB - TT ~ -0.1 ms at that date)
    assert tdb_seconds("2000-01-01T11:58:55.816") == pytest.approx(0.0, abs=1e-3)
    dates = ["2025-12-15T10:00:00.000", "2026-03-18T12:35:00.000"]
    t = tdb_seconds(dates)
    assert t.shape == (2,) and list(iso_utc(t)) == dates
    assert tdb_seconds(2451545.0, scale="tdb") == 0.0
    assert np.isclose(tdb_seconds(["2000-01-02T00:00:00"], scale="tdb")[0], 43200.0)
