"""Occultation chords in the fit (orbitfit/occultations/chords.py and limb.py, Solution.refit) on synthetic events
with a known truth.

The truth is Himalia's GJ15 solution displaced by a draw of 5x its covariance (tens of km on the sky); a synthetic
star lies on the truth's geocentric line of sight; stations on lines parallel to the true shadow path get their
contact times from the truth (`contact_times`, checked against |rel| = R). The chords are then reduced against the
*nominal* solution and must recover the truth's fundamental-plane offset, and the refit must move the orbit there.
Independent checks: the truth's (f, g) from `fundamental_plane`; the occultation observation's O-C against the truth
orbit from the astrometric model (`compute_residuals`), which shares no code with the plane geometry.
"""
import dataclasses

import astropy.units as u
import numpy as np

import orbitfit
import pytest

from dynamics import constants as C
import orbitfit.occultations as occ
from orbitfit.occultations import chords
from orbitfit.orbit import Orbit
from orbitfit.residuals import compute_residuals
from orbitfit.times import to_tdb_seconds

RADIUS_KM = 75.0                                  # seed 003 Table 1: Himalia (150 x 120) km
EVENT_UTC = "2023-10-01T03:00:00"
OFFSETS_KM = (-40.0, 10.0, 55.0)                  # the stations' distances from the true centre line


@pytest.fixture(scope="module")
def synthetic(ephemeris):
    # the scenario below (a draw 5 sigma away, where one chord's sides stay undecided and a 10 km prior decides) was
    # drawn on the covariance of the biases' prior alone; the default's since 2026-12-05 (considering the apparition
    # biases' scatter) is wider and would draw another event
    from orbitfit.estimation.least_squares import fit_orbit
    from orbitfit.estimation.options import FitOptions
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    from orbitfit.observations.gj15 import read_gj15
    from orbitfit.paths import data_path
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    nominal = fit_orbit(observations, gomes_junior_2016_orbit("Himalia", ephemeris),
                        FitOptions(apparition_bias_scatter=None))
    rng = np.random.default_rng(20231001)
    truth_state = rng.multivariate_normal(nominal.state, 25.0 * nominal.covariance)
    truth = dataclasses.replace(nominal, orbit=Orbit(nominal.body, nominal.epoch, truth_state))
    t0 = to_tdb_seconds(EVENT_UTC)
    truth_target, _, _ = occ.as_target(truth, t0 - C.SECONDS_PER_DAY, t0 + C.SECONDS_PER_DAY)
    star = occ.synthetic_star(truth_target, t0, ephemeris)
    true_event = occ.predict(truth_target, star, t0, radius_km=RADIUS_KM, ephemeris=ephemeris)
    assert true_event.ca_km < 1e-3                        # the star is on the truth's geocentric line of sight
    sites = occ.stations_across(true_event, OFFSETS_KM, n_points=601)
    contacts = occ.contact_times(true_event, sites)
    prediction = occ.predict(nominal, star, t0, radius_km=RADIUS_KM)
    return dict(nominal=nominal, truth=truth, truth_target=truth_target, star=star, sites=sites,
                contacts=contacts, prediction=prediction, true_event=true_event, ephemeris=ephemeris)


def observed(s, n_chords, sigma_s=0.05, noise=None, extra=()):
    noise = np.zeros((n_chords, 2)) if noise is None else noise
    chord_list = [occ.Chord(site, float(t[0] + e[0]), float(t[1] + e[1]), sigma_s=sigma_s, name=f"station {i}")
                  for i, (site, t, e) in enumerate(zip(s["sites"][:n_chords], s["contacts"], noise))]
    return occ.ObservedOccultation(506, s["star"], chord_list + list(extra), radius_km=RADIUS_KM,
                                      name=f"SYNTHETIC {n_chords} chords")


def true_offset(s, tdb):
    """Truth minus nominal shadow centre at tdb in the fundamental plane (km), star frozen as in the reduction."""
    star_tdb = s["prediction"].tdb
    truth = occ.fundamental_plane(s["truth_target"], s["star"], [tdb], s["ephemeris"], star_tdb=star_tdb)
    nominal = s["prediction"].plane_at([tdb])
    return np.array([truth.f[0] - nominal.f[0], truth.g[0] - nominal.g[0]])


def test_contact_times_are_on_the_limb(synthetic):
    s = synthetic
    from orbitfit.occultations.sites import relative_to_sites, sites_itrs
    _, itrs = sites_itrs(s["sites"])
    t = s["contacts"]
    assert np.all(np.isfinite(t)) and np.all(t[:, 1] > t[:, 0])
    rel, _, _, _ = relative_to_sites(s["true_event"], np.repeat(itrs, 2, axis=0), t.ravel())
    np.testing.assert_allclose(np.hypot(*rel.T), RADIUS_KM, atol=1e-6)
    # durations follow the chord geometry: 2 sqrt(R^2 - d^2) / v (d from site_predictions, independent Newton)
    table = s["true_event"].sites(s["sites"], sigma_km=0.0)
    _, velocity, _, _ = relative_to_sites(s["true_event"], itrs, np.asarray(table["tdb"], float))
    speed = np.hypot(*velocity.T)                   # the shadow's speed relative to the rotating site
    assert np.all(np.abs(speed / abs(s["true_event"].velocity_km_s) - 1) > 0.01)   # rotation matters here
    expected = 2 * np.sqrt(RADIUS_KM ** 2 - np.asarray(table["d_km"]) ** 2) / speed
    np.testing.assert_allclose(t[:, 1] - t[:, 0], expected, rtol=1e-4)
    np.testing.assert_allclose(np.abs(table["d_km"].to_value("km")), np.abs(OFFSETS_KM), atol=0.5)
    far = occ.contact_times(s["true_event"], [(s["sites"][0][0] + 40.0, s["sites"][0][1], 0.0)])
    assert np.all(np.isnan(far))


def test_three_chords_recover_the_true_centre(synthetic):
    s = synthetic
    exact = observed(s, 3).reduce(s["nominal"], prediction=s["prediction"])
    truth = true_offset(s, exact.tdb)
    assert np.hypot(*truth) > 10.0                          # the nominal prediction really is off
    np.testing.assert_allclose(exact.offset_km, truth, atol=1e-3)
    np.testing.assert_allclose(exact.limb_residuals_km, 0.0, atol=1e-3)
    # with timing noise: the error is within its covariance (chi2 with 2 dof) over 200 draws
    rng = np.random.default_rng(3)
    sigma_s = 0.05
    chi2 = []
    for _ in range(200):
        fit = observed(s, 3, sigma_s, rng.normal(0.0, sigma_s, (3, 2))).reduce(s["nominal"],
                                                                               prediction=s["prediction"])
        error = fit.offset_km - true_offset(s, fit.tdb)
        chi2.append(error @ np.linalg.solve(fit.covariance_km, error))
    within_1 = np.mean(np.array(chi2) < 2.2789)            # chi2(2 dof) quantile of 68.27%
    within_2 = np.mean(np.array(chi2) < 6.1801)            # 95.45%
    assert 0.58 < within_1 < 0.78 and 0.90 < within_2 < 0.99, (within_1, within_2)


def test_single_chord_covariance_is_long_across_and_short_along(synthetic):
    s = synthetic
    fit = observed(s, 1).reduce(s["nominal"], prediction=s["prediction"])
    along, across = fit.sigmas_along_across_km
    chord_km = np.hypot(*(fit.limb_points_km[1] - fit.limb_points_km[0]))
    speed = chord_km / np.diff(s["contacts"][0])[0]          # the station's speed across the shadow
    assert along == pytest.approx(speed * np.hypot(0.05, 0.05) / 2, rel=1e-3)
    # the chord runs along the shadow's motion
    motion = np.array([s["prediction"].plane.df[0], s["prediction"].plane.dg[0]])
    assert abs(fit.along_unit @ motion) / np.hypot(*motion) > 0.999
    # two peaks, one of them the truth (station 0 is 40 km right of the true centre line: side -1)
    assert sum(fit.side_probabilities.values()) == pytest.approx(1.0)
    truth = true_offset(s, fit.tdb)
    assert np.hypot(*(fit.mirror_offsets_km[-1] - truth)) < 1e-3
    # the prior orbit alone (the truth was drawn 5 sigma away from it) leans to the wrong side, not decisively:
    # the row is the peaks' mean with their moment-matched covariance, not a Gaussian of sigma R
    assert 0.5 < fit.side_probabilities[1] < chords.SIDE_DECIDED and "undecided" in fit.method
    d = 40.0
    assert across == pytest.approx(2 * d * np.sqrt(np.prod(list(fit.side_probabilities.values()))), rel=0.02)
    # a tight prior (10 km across the track) decides: the mirror centre nearer the prediction across the track
    tight = observed(s, 1).reduce(s["nominal"], prediction=s["prediction"], prior_sigma_km=10.0)
    n = np.array([-fit.along_unit[1], fit.along_unit[0]])
    nearer = min((1, -1), key=lambda side: abs(fit.mirror_offsets_km[side] @ n))
    assert tight.method.startswith(f"single chord, side {nearer:+d} (P = ")
    assert tight.side_probabilities[nearer] > chords.SIDE_DECIDED
    np.testing.assert_allclose(tight.offset_km, fit.mirror_offsets_km[nearer])
    # without a prior (prior_sigma_km=0) the sides are even: centred on the chord, across sigma ~ d (was R)
    even = observed(s, 1).reduce(s["nominal"], prediction=s["prediction"], prior_sigma_km=0)
    assert even.side_probabilities[1] == pytest.approx(0.5)
    along, across = even.sigmas_along_across_km
    assert across == pytest.approx(d, rel=0.02) and across < RADIUS_KM
    error = even.offset_km - truth
    assert abs(error @ fit.along_unit) < 1e-3                          # exact times: exact along the chord
    n = np.array([-fit.along_unit[1], fit.along_unit[0]])
    assert abs(error @ n) <= across
    # the mirror solutions: the true centre is d = 40 km from the chord, on one side
    sides = {side: observed(s, 1).reduce(s["nominal"], prediction=s["prediction"], side=side).offset_km
             for side in (1, -1)}
    errors = {side: np.hypot(*(value - true_offset(s, fit.tdb))) for side, value in sides.items()}
    # station 0 is 40 km right of the true centre line (side -1): that side gives the truth
    assert errors[-1] < 1e-3 and errors[1] == pytest.approx(80.0, abs=0.5)


def test_occultation_observation_matches_the_truth_orbit(synthetic):
    """The centre written as an astrometric position, checked with the astrometric model (no plane geometry)."""
    s = synthetic
    fit = observed(s, 3).reduce(s["nominal"], prediction=s["prediction"])
    row = fit.observations()
    assert list(row["kind"]) == ["occultation"] and list(row["observer"]) == ["500"]
    assert row["sigma_ra_mas"][0] < 0.2 and row["sigma_dec_mas"][0] < 0.2
    residuals = compute_residuals(row, s["truth"].orbit)
    assert abs(residuals["res_ra_mas"][0]) < 0.01 * u.mas and abs(residuals["res_dec_mas"][0]) < 0.01 * u.mas
    before = compute_residuals(row, s["nominal"].orbit)
    assert np.hypot(before["res_ra_mas"][0], before["res_dec_mas"][0]) > 3.0 * u.mas    # tens of km at 4 au


@pytest.mark.parametrize("n_chords", [1, 3])
def test_refit_moves_the_orbit_to_the_chords(synthetic, n_chords):
    s = synthetic
    # one chord: its side given (station 0 is right of the true centre line), as a negative chord would decide it
    fit = observed(s, n_chords).reduce(s["nominal"], prediction=s["prediction"], side=-1 if n_chords == 1 else None)
    refit = orbitfit.refit(s["nominal"], fit.observations())
    assert len(refit.history) <= 3
    assert refit.accepted[-1] and refit.residuals()["kind"][-1] == "occultation"
    after = occ.predict(refit, s["star"], fit.tdb, radius_km=RADIUS_KM)
    truth = occ.fundamental_plane(s["truth_target"], s["star"], [fit.tdb], s["ephemeris"],
                                  star_tdb=s["prediction"].tdb)
    plane = after.plane_at([fit.tdb])
    error = np.array([plane.f[0] - truth.f[0], plane.g[0] - truth.g[0]])
    sigma_along = fit.sigmas_along_across_km[0]
    if n_chords == 3:
        assert np.hypot(*error) < 0.05                  # the chords pin the centre (noise-free times)
    else:
        assert abs(error @ fit.along_unit) < max(3 * sigma_along, 0.05)
        n = np.array([-fit.along_unit[1], fit.along_unit[0]])
        assert abs(error @ n) < max(3 * fit.sigmas_along_across_km[1], 0.05)
    changes = s["nominal"].compare(refit, [fit.tdb, fit.tdb + 180 * C.SECONDS_PER_DAY])
    assert changes["sigma_ra_after_mas"][0] < changes["sigma_ra_before_mas"][0]
    assert changes["sigma_dec_after_mas"][0] < changes["sigma_dec_before_mas"][0]
    assert max(np.abs(changes.meta["state_change_sigma"])) > 1.0        # the truth is 5 sigma away


def test_negative_chords_are_checked_against_the_fitted_limb(synthetic):
    s = synthetic
    t = s["contacts"]
    outside = occ.Chord((s["sites"][0][0] - 3.0, s["sites"][0][1] + 3.0, 0.0), float(t[0, 0] - 30),
                           float(t[0, 1] + 30), positive=False, name="far away")
    inside = occ.Chord(s["sites"][1], float(t[1, 0] - 30), float(t[1, 1] + 30), positive=False, name="missed")
    fit = observed(s, 3, extra=(outside, inside)).reduce(s["nominal"], prediction=s["prediction"])
    verdict = {label: consistent for label, _, consistent in fit.negative}
    assert verdict == {"far away": True, "missed": False}
    assert "INSIDE the limb" in fit.summary()


def test_bad_chords_are_explained(synthetic):
    s = synthetic
    t = s["contacts"]
    with pytest.raises(occ.ChordError, match="no positive chord"):
        occ.ObservedOccultation(506, s["star"], [occ.Chord(s["sites"][0], float(t[0, 0]), float(t[0, 1]),
                                                                 positive=False)], RADIUS_KM).reduce(s["nominal"])
    with pytest.raises(occ.ChordError, match="ends .* before it starts"):
        occ.ObservedOccultation(506, s["star"], [occ.Chord(s["sites"][0], float(t[0, 1]), float(t[0, 0]))],
                                   RADIUS_KM, name="reversed").reduce(s["nominal"])
    with pytest.raises(occ.ChordError, match="timing sigma"):
        observed(s, 1, sigma_s=-1.0).reduce(s["nominal"], prediction=s["prediction"])
    with pytest.raises(occ.ChordError, match="at least 3 positive chords"):
        observed(s, 2).reduce(s["nominal"], prediction=s["prediction"], fit_radius=True)


def test_limb_chord_formulas_against_brute_force_intersections():
    """Limb.chords_along's closed forms (affine circle) against bisection for rho = 1 along sampled lines."""
    from scipy.optimize import brentq
    limb = occ.Limb(75.0, 0.2, 30.0)
    rng = np.random.default_rng(7)
    for _ in range(20):
        angle = rng.uniform(0, 2 * np.pi)
        u = np.array([np.cos(angle), np.sin(angle)])
        n = np.array([-u[1], u[0]])
        central, half_width, slope = limb.chords_along(u)
        d = rng.uniform(-0.95, 0.95) * half_width
        along = lambda t: limb.scaled_radius(d * n + t * u)[0] - 1.0
        t_inside = brentq(lambda t: (limb.scaled_radius(d * n + (t + 1e-6) * u)[0] -
                                     limb.scaled_radius(d * n + (t - 1e-6) * u)[0]), -200, 200)
        t1, t2 = brentq(along, -300, t_inside), brentq(along, t_inside, 300)
        assert t2 - t1 == pytest.approx(central * np.sqrt(1 - (d / half_width) ** 2), abs=1e-8)
        assert 0.5 * (t1 + t2) == pytest.approx(slope * d, abs=1e-8)
        # the half-width is where the chords vanish: the support function
        assert limb.scaled_radius(half_width * n + slope * half_width * u)[0] == pytest.approx(1.0, abs=1e-12)
    circle = occ.Limb(10.0)
    assert circle.chords_along(np.array([0.6, 0.8])) == pytest.approx((20.0, 10.0, 0.0))


def test_elliptical_limb_three_chords_and_a_single_chord_with_its_side(synthetic):
    s = synthetic
    limb = occ.Limb(RADIUS_KM, 0.2, 30.0)                      # Himalia-like 150 x 120 km
    contacts = occ.contact_times(s["true_event"], s["sites"], limb=limb)
    from orbitfit.occultations.sites import relative_to_sites, sites_itrs
    _, itrs = sites_itrs(s["sites"])
    rel, _, _, _ = relative_to_sites(s["true_event"], np.repeat(itrs, 2, axis=0), contacts.ravel())
    np.testing.assert_allclose(limb.scaled_radius(-rel), 1.0, atol=1e-7)
    chord_list = [occ.Chord(site, float(a), float(b), sigma_s=0.05) for site, (a, b) in zip(s["sites"], contacts)]
    make = lambda chosen, oblateness: occ.ObservedOccultation(
        506, s["star"], chosen, RADIUS_KM, oblateness=oblateness, pole_position_angle_deg=30.0)
    ellipse = make(chord_list, 0.2).reduce(s["nominal"], prediction=s["prediction"])
    np.testing.assert_allclose(ellipse.offset_km, true_offset(s, ellipse.tdb), atol=1e-3)
    assert ellipse.chi2 < 1e-5        # exact chords: chi2 1e-5 at 0.05 s is 2e-4 s, 2 m at 10 km/s (rounding)
    circle = make(chord_list, 0.0).reduce(s["nominal"], prediction=s["prediction"])
    assert circle.chi2 > 100                                           # the wrong shape does not fit
    # one chord, the side known (station 0 is right of the centre line): the exact centre, ellipse included
    single = make(chord_list[:1], 0.2).reduce(s["nominal"], prediction=s["prediction"], side=-1)
    np.testing.assert_allclose(single.offset_km, true_offset(s, single.tdb), atol=1e-3)


def test_a_negative_chord_picks_between_mirror_solutions(synthetic):
    """Two observers at one site (as the two Fountain Hills stations of Ganymede 2020-12-21) time the same chord, 40 km
    right of the true centre line: the centres 40 km either side of it fit the contacts equally well. A negative
    station 100 km right of the true centre line (20 km inside the mirror limb) excludes the mirror; one 20 km left
    of it (inside the true limb) would exclude the truth instead: the negative chord decides, not the fit's start."""
    s = synthetic
    t = s["contacts"][0]
    twins = [occ.Chord(s["sites"][0], float(t[0]), float(t[1]), sigma_s=0.05, name=name) for name in ("A", "B")]
    truth = None
    found = {}
    for offset in (-100.0, 20.0):
        site = occ.stations_across(s["true_event"], [offset], n_points=601)[0]
        negative = occ.Chord(site, float(t[0] - 60), float(t[1] + 60), positive=False, name=f"{offset:+.0f} km")
        event = occ.ObservedOccultation(506, s["star"], twins + [negative], radius_km=RADIUS_KM)
        fit = event.reduce(s["nominal"], prediction=s["prediction"])
        truth = true_offset(s, fit.tdb)
        found[offset] = (np.hypot(*(fit.offset_km - truth)), fit.negative[0][2])
    assert found[-100.0][0] < 1e-3 and found[-100.0][1]              # the truth, the negative outside its limb
    assert found[20.0][0] == pytest.approx(80.0, abs=1.0) and found[20.0][1]   # the mirror: 2 x 40 km away


@pytest.mark.parametrize("east_north, point", [((0, 1), "N"), ((1, 1), "NE"), ((1, 0.1), "E"), ((0.3, -1), "S"),
                                               ((-1, -0.9), "SW"), ((-1, 0.07), "W"), ((-0.2, 1), "N")])
def test_compass_point_of_an_east_north_vector(east_north, point):
    from orbitfit.occultations.centre import compass_point
    assert compass_point(np.array(east_north)) == point


def test_a_solution_known_worse_than_the_margin_widens_the_passage_by_its_own_sigma(synthetic):
    """Contacts an hour late are refused against the fitted orbit (its shadow's instant known to seconds), and
    reduced against the same orbit with its covariance a million times larger (sigma x 1000: the instant then known
    to hours), the passage check widened to 5 sigma of the shadow's instant along the track."""
    s = synthetic
    late = observed(s, 3)
    for chord in late.chords:
        chord.start, chord.end = chord.start + 3600.0, chord.end + 3600.0
    nominal = s["nominal"]
    with pytest.raises(occ.ChordError, match="outside the shadow's passage"):
        late.reduce(nominal)
    vague = dataclasses.replace(nominal, covariance=nominal.covariance * 1e6)
    event = occ.predict(vague, s["star"], s["prediction"].tdb, radius_km=RADIUS_KM)
    assert 5 * event.along_track_sigma_km() / abs(event.velocity_km_s) > 3600.0 + 600.0
    fit = late.reduce(vague)
    assert np.hypot(*fit.offset_km) == pytest.approx(3600.0 * abs(event.velocity_km_s), rel=0.2)
