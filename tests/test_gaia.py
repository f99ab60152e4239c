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


def test_the_moons_own_floors_are_their_own_with_the_visits_common_error():
    """al_floor_mas=OWN_FLOORS: each row's body's floor with the visit's common error in quadrature (Leda 1.7 and
    3.2 mas), 7 mas for a body without one; the default is 7 mas for every transit; a word that is not OWN_FLOORS
    is refused."""
    assert gaia.transit_al_floor_mas(513) == pytest.approx(np.hypot(1.7, 3.2))
    assert gaia.transit_al_floor_mas(502) == gaia.AL_FLOOR_MAS
    records = load_all("Leda", gaia_transits=False)[0]
    common, _ = gaia.to_normal_points(records)
    own, _ = gaia.to_normal_points(records, al_floor_mas=gaia.OWN_FLOORS)

    def al_sigma(table):
        rows = table[np.asarray(table["kind"]).astype(str) == "gaia_transit"]
        return np.array([np.sqrt(np.linalg.eigvalsh(gaia.covariance_2x2(*r))[0])
                         for r in zip(rows["sigma_ra_mas"], rows["sigma_dec_mas"], rows["corr"])])
    scatter2 = al_sigma(common) ** 2 - gaia.AL_FLOOR_MAS ** 2             # the CCD records' share, floor apart
    assert scatter2.size > 10 and np.all(scatter2 >= 0)
    np.testing.assert_allclose(al_sigma(own), np.sqrt(scatter2 + 1.7 ** 2 + 3.2 ** 2), rtol=1e-6)
    with pytest.raises(ValueError, match="al_floor_mas must be"):
        gaia.to_normal_points(records, al_floor_mas="mine")


def test_scan_candidates_hold_the_scan_of_a_spin_axis_at_45_degrees_from_the_sun():
    """Independent construction: a spin axis z at 45 deg from the Sun, a body p on the great circle perpendicular
    to z; the scan at p runs along z x p, which must be one of the two candidates, with z its spin axis."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        sun = rng.normal(size=3)
        sun /= np.linalg.norm(sun)
        helper = np.cross(sun, rng.normal(size=3))
        helper /= np.linalg.norm(helper)
        turn = rng.uniform(0, 2 * np.pi)
        side = np.cos(turn) * helper + np.sin(turn) * np.cross(sun, helper)
        z = np.cos(np.radians(45.0)) * sun + np.sin(np.radians(45.0)) * side
        q = np.cross(z, rng.normal(size=3))
        q /= np.linalg.norm(q)
        p = np.cos(rng.uniform(0, 2 * np.pi)) * q + np.sin(rng.uniform(0, 2 * np.pi)) * np.cross(z, q)
        p /= np.linalg.norm(p)
        ra, dec = np.degrees(np.arctan2(p[1], p[0])), np.degrees(np.arcsin(p[2]))
        if not 46.0 < np.degrees(np.arccos(p @ sun)) < 134.0:
            continue                                      # Gaia never looks nearer to the Sun or its opposite
        s = np.cross(z, p)
        s /= np.linalg.norm(s)
        east = np.array([-np.sin(np.radians(ra)), np.cos(np.radians(ra)), 0.0])
        scan = np.array([s @ east, s @ np.cross(p, east)])
        directions, axes, sigma = gaia.scan_candidates(ra, dec, 7.0e7 * sun)
        match = np.argmax(np.abs(directions @ scan))
        assert abs(directions[match] @ scan) == pytest.approx(1.0, abs=1e-10)
        np.testing.assert_allclose(axes[match], z, atol=1e-9)
        assert 0.0 < sigma < 5.0


def test_the_scan_direction_of_every_moons_transits_follows_gaias_scanning_law():
    """The 8 moons' 202 DR3 transits: the chosen axis lies within ~1 deg of the records' own where those are
    precise; Leda's transit of 2014-12-13, whose records scatter only 4-6 mas either way, gets the axis its
    partner 106 min later says (its own 67 deg off: its 100 mas across the scan would have sat on the 7 mas axis)."""
    from dynamics.propagation import default_ephemeris
    ephemeris = default_ephemeris()
    counts = {}
    for moon in ("Himalia", "Elara", "Lysithea", "Leda", "Pasiphae", "Sinope", "Carme", "Ananke"):
        table, _ = load_all(moon, gaia_transits=False)
        groups = [rows for rows in gaia.transits(table) if rows.size >= gaia.MIN_CCDS]
        fits = [gaia._transit_fit(table, rows) for rows in groups]
        sun = ephemeris.position(10, np.array([f[0] for f in fits])) - np.array([f[3] for f in fits])
        axes, how = gaia.scan_axes(fits, sun)
        for way in how:
            counts[way] = counts.get(way, 0) + 1
        for fit, axis in zip(fits, axes):
            own, sigma = gaia._ccd_axis(fit[4], fit[5])
            if sigma < 0.3:
                assert abs(gaia._axis_angle_deg(own, axis)) < 1.5
        if moon == "Leda":
            first, partner = 0, 1
            assert (fits[partner][0] - fits[first][0]) / 60 == pytest.approx(106.5, abs=1.0)
            own, _ = gaia._ccd_axis(fits[first][4], fits[first][5])
            assert abs(gaia._axis_angle_deg(own, axes[first])) > 60.0
            directions, spins, _ = gaia.scan_candidates(fits[first][1], fits[first][2], sun[first])
            chosen = np.argmax(np.abs(directions @ axes[first]))
            _, partner_spins, _ = gaia.scan_candidates(fits[partner][1], fits[partner][2], sun[partner])
            partner_own, _ = gaia._ccd_axis(fits[partner][4], fits[partner][5])
            partner_dirs, _, _ = gaia.scan_candidates(fits[partner][1], fits[partner][2], sun[partner])
            partner_spin = partner_spins[np.argmax(np.abs(partner_dirs @ partner_own))]
            assert np.degrees(np.arccos(spins[chosen] @ partner_spin)) < 1.0
    assert sum(counts.values()) == 202 and "records" not in counts
    assert counts["scanning law, spin axis of neighbours"] == 6


def test_a_transit_without_gaias_position_keeps_its_records_axis_and_says_so():
    """No Gaia position, no scanning-law geometry: the normal point takes its records' own axis (finite covariance,
    the same as scan_law=False), and the report names why."""
    table, _, al = synthetic_transit(150.0, 0.3, 60.0)
    for column in ("obs_x_km", "obs_y_km", "obs_z_km"):
        table[column] = np.nan
    points, report = gaia.to_normal_points(table)
    own, _ = gaia.to_normal_points(table, scan_law=False)
    assert report["scan_axis"] == {"records (no Gaia position)": 1}
    for column in ("sigma_ra_mas", "sigma_dec_mas", "corr"):
        assert np.isfinite(points[column][0]) and points[column][0] == pytest.approx(own[column][0], rel=1e-12)
    assert points["sigma_ra_mas"][0] > gaia.AL_FLOOR_MAS
