"""Gaia DR3 transits as normal points (orbitfit/observations/gaia.py): a synthetic transit with known along/across-scan errors,
the real Himalia transits of NSDB unit jo0069 (their 1-D nature measured from the data), and a fit that uses them."""
import numpy as np
import pytest

from orbitfit.observations import gaia
from orbitfit.observations.datasets import load_all
from orbitfit.observations.core import Observations


def synthetic_transit(pa_al_deg, sigma_al, sigma_ac, n=9, seed=1):
    """n CCD positions 4.86 s apart of a body moving 10 mas/s east and 4 mas/s north, AL noise along pa_al."""
    rng = np.random.default_rng(seed)
    t = 6.0e8 + 4.86 * np.arange(n)
    ra0, dec0 = 142.17, 15.10
    pa = np.radians(pa_al_deg)
    al, ac = np.array([np.sin(pa), np.cos(pa)]), np.array([np.cos(pa), -np.sin(pa)])      # (east, north)
    motion = np.outer(t - t.mean(), [10.0, 4.0])
    offsets = motion + np.outer(rng.normal(0, sigma_al, n), al) + np.outer(rng.normal(0, sigma_ac, n), ac)
    ra = ra0 + offsets[:, 0] / 3.6e6 / np.cos(np.radians(dec0))
    dec = dec0 + offsets[:, 1] / 3.6e6
    gaia_xyz = np.outer(t - t.mean(), [10.0, -20.0, 5.0]) + np.array([1.2e8, 8.0e7, 3.0e7])
    table = Observations.from_columns({
        "body": np.full(n, 506), "name": np.full(n, "Himalia"), "utc_jd1": np.full(n, 2451545.0),
        "utc_jd2": (t - 69.184) / 86400.0, "tdb": t, "ra_deg": ra, "dec_deg": dec, "sigma_ra_mas": np.full(n, np.nan),
        "sigma_dec_mas": np.full(n, np.nan), "corr": np.zeros(n), "observer": np.full(n, "258"),
        "obs_x_km": gaia_xyz[:, 0], "obs_y_km": gaia_xyz[:, 1], "obs_z_km": gaia_xyz[:, 2],
        "obs_frame": np.full(n, "barycentric"), "kind": np.full(n, "gaia"), "catalog": np.full(n, "Gaia DR3"),
        "source": np.full(n, "synthetic"), "line": np.arange(1, n + 1), "dataset": np.full(n, "nsdb:jo0069")})
    truth = (ra0, dec0)
    return table, truth, al


def test_synthetic_transit_recovers_the_scan_direction_and_the_position():
    table, (ra0, dec0), al = synthetic_transit(150.0, 0.3, 60.0)
    t0, ra, dec, s_ra, s_dec, corr, observer, sigma_al, sigma_ac, pa_al = gaia.normal_point(
        table, np.arange(len(table)))
    assert pa_al == pytest.approx(150.0, abs=1.0)
    error = np.array([(ra - ra0) * np.cos(np.radians(dec0)), dec - dec0]) * 3.6e6
    assert abs(error @ al) < 0.5                                   # mas, along the scan: the CCDs agree there
    assert sigma_al == pytest.approx(np.hypot(0.3 / 3, gaia.AL_FLOOR_MAS), rel=0.05)
    assert sigma_ac > gaia.AC_FLOOR_MAS
    np.testing.assert_allclose(observer, [1.2e8, 8.0e7, 3.0e7], atol=1e-6)
    cov = np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])
    estimated = np.array([np.sin(np.radians(pa_al)), np.cos(np.radians(pa_al))])
    assert np.sqrt(estimated @ cov @ estimated) == pytest.approx(sigma_al, rel=1e-9)
    assert np.sqrt(np.linalg.det(cov)) == pytest.approx(sigma_al * sigma_ac, rel=1e-9)


def test_himalias_dr3_transits_are_one_dimensional():
    observations, _ = load_all("Himalia", gaia_transits=False)          # the per-CCD rows as read
    groups = [rows for rows in gaia.transits(observations) if rows.size >= gaia.MIN_CCDS]
    assert len(groups) == 23 and sum(g.size for g in groups) == 195
    al, ac = [], []
    for rows in groups:
        t = np.asarray(observations["tdb"], float)[rows]
        assert t.max() - t.min() < 60.0
        *_, sigma_al, sigma_ac, _ = gaia.normal_point(observations, rows, al_floor_mas=0.0, ac_floor_mas=0.0)
        al.append(sigma_al * np.sqrt(rows.size))
        ac.append(sigma_ac * np.sqrt(rows.size))
    # the CCD scatter: ~0.3 mas along the scan, ~60 mas across it (module docstring)
    assert np.median(al) < 1.0 and np.median(ac) > 30.0


def test_load_all_with_transits_and_a_fit_that_uses_them():
    import orbitfit
    from orbitfit.estimation.options import FitOptions
    observations, report = load_all("Himalia", gaia_transits=True)
    kinds = np.asarray(observations["kind"]).astype(str)
    assert (kinds == "gaia_transit").sum() == 23 and (kinds == "gaia").sum() == 0
    assert any("195 CCD positions -> 23 transit normal points" in note for note in report.notes)
    chosen = observations[np.isin(np.asarray(observations["dataset"]).astype(str), ["gj15", "nsdb:jo0069"])]
    solution = orbitfit.fit(chosen, orbitfit.gomes_junior_2016_orbit("Himalia"), FitOptions.gomes_junior_2016())
    residuals = solution.residuals()
    transit = np.asarray(residuals["kind"]) == "gaia_transit"
    assert solution.accepted[transit].mean() >= 0.9
    # their own covariance is used as given: the weights are the normal points' sigmas, not a group floor
    np.testing.assert_allclose(residuals["sigma_ra_mas"][transit].to_value("mas"), chosen["sigma_ra_mas"][
        np.asarray(chosen["kind"]) == "gaia_transit"])
