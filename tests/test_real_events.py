"""Real occultations reduced as a user would (data/occultation_events/*.toml, `read_event`, `reduce`) against the
published positions: Morgado et al. 2022 (AJ 163, 240) Table 4 rows a-e and Morgado et al. 2019 (A&A 626, L4)
Eq. (3). The bodies are the embedded ellipsoids with IAU rotation (`shapes`), checked against the sub-observer
points of Morgado et al. 2022 Table 3. The moons' positions come from orbitfit's default ephemeris (de440 + the
built-in Galilean theory): an occultation position is "star + measured offset", so the ephemeris cancels to first
order, and the comparison is made at the paper's instant (`CentreFit.radec(tdb)`).

Tolerance (issue 16): max(2 mas, 1.5 x the published sigma) per coordinate.
"""
import math
from pathlib import Path

import numpy as np
import pytest

from dynamics.propagation import default_ephemeris
from orbitfit.occultations import ChordError
from orbitfit.occultations.event_files import read_event
from orbitfit.occultations.shapes import Shape, embedded_shape
from orbitfit.paths import data_path

EVENTS = Path(data_path("occultation_events"))
# Morgado et al. 2022 Table 3: sub-observer (west longitude, latitude) deg of each event
TABLE_3 = {"io_2021-04-02": (196.625, 0.123), "ganymede_2020-12-21": (130.072, -1.014),
           "europa_2019-06-04": (144.983, -3.057), "europa_2017-03-31": (270.041, -3.359),
           "ganymede_2016-04-13": (135.783, -1.574)}


def target_of(body, ephemeris):
    return lambda t: ephemeris.state(body, np.atleast_1d(t))


def reduce_file(stem, **options):
    ephemeris = default_ephemeris()
    event, file_options = read_event(EVENTS / f"{stem}.toml")
    side = options.pop("side", file_options["side"])
    fit = event.reduce(target_of(event.body, ephemeris), ephemeris=ephemeris, side=side, **options)
    return event, fit, file_options["published"]


def residual_mas(fit, published):
    """(ours - published) RA*, Dec in mas at the published instant, and our sigmas (mas) there."""
    ra, dec, cov = fit.radec(published["tdb"])
    d_ra = (ra - published["ra_deg"]) * 3.6e6 * math.cos(math.radians(dec))
    d_dec = (dec - published["dec_deg"]) * 3.6e6
    return np.array([d_ra, d_dec]), np.sqrt(np.diag(cov))


def tolerance_mas(published):
    return np.maximum(2.0, 1.5 * np.array([published["sigma_ra_mas"], published["sigma_dec_mas"]]))


@pytest.fixture(scope="module")
def reduced():
    stems = sorted(p.stem for p in EVENTS.glob("*.toml") if p.stem != "shapes")
    return {stem: reduce_file(stem) for stem in stems}


def test_every_event_file_is_read_with_its_published_position(reduced):
    assert len(reduced) == 6
    for stem, (event, fit, published) in reduced.items():
        assert published is not None and published["sigma_ra_mas"] > 0, stem
        assert event.radius_km is None and fit.shape.startswith(embedded_shape(event.body).name), stem
        assert (EVENTS / f"{stem}.source.txt").is_file()


@pytest.mark.parametrize("stem", ["ganymede_2020-12-21", "europa_2017-03-31", "ganymede_2016-04-13",
                                  "europa_2019-06-04"])
def test_reproduces_morgado_2022_table_4(reduced, stem):
    _, fit, published = reduced[stem]
    residual, sigma = residual_mas(fit, published)
    assert np.all(np.abs(residual) <= tolerance_mas(published)), (stem, residual, sigma)
    # and the claimed sigma is of the published size, not a 0.1-mas claim
    assert np.all(sigma > 0.25), (stem, sigma)


@pytest.mark.xfail(strict=True, reason="Io: Morgado et al. used White et al. 2014's 3-D shape (not in the sources); "
                   "orbitfit's ellipsoid gives +3.7/+3.8 mas, over the 2-mas tolerance (see io_2021-04-02.source.txt)")
def test_io_2021_reproduces_table_4(reduced):
    _, fit, published = reduced["io_2021-04-02"]
    residual, _ = residual_mas(fit, published)
    assert np.all(np.abs(residual) <= tolerance_mas(published))


def test_io_sigma_includes_its_shape(reduced):
    """Two chords grazing Io's north limb: the centre across them is as good as the limb there. With the shape
    taken as exact the timing alone claims ~0.1 mas; the ellipsoid's topography sigma (5 km) and size sigma make it
    ~1-2.5 mas, and the residual against Table 4 is then within 4.5 sigma instead of 30."""
    event, fit, published = reduced["io_2021-04-02"]
    residual, sigma = residual_mas(fit, published)
    io = embedded_shape(501)
    exact = Shape(io.radii_km, 0.0, 0.0, io.rotation, "Io, exact")
    event.shape = exact
    ephemeris = default_ephemeris()
    timing_only = event.reduce(target_of(501, ephemeris), ephemeris=ephemeris)
    event.shape = None
    _, sigma_timing = residual_mas(timing_only, published)
    assert np.all(sigma_timing < 0.6) and np.all(sigma > 2 * sigma_timing), (sigma_timing, sigma)
    assert sigma[1] > 0.8 and sigma[0] > 2.0
    assert np.all(np.abs(residual) < 4.5 * np.hypot(sigma, [published["sigma_ra_mas"], published["sigma_dec_mas"]]))


def test_single_chord_side_is_decided_by_the_negative_station(reduced):
    """Europa 2019-06-04: one chord (CP Cambrune) and San Pedro de Atacama, 729 km away on the ground and 566 km
    south of the chord on the fundamental plane, negative. The mirror centre south of the chord would have put
    Atacama 895 km inside Europa's shadow: P(south) ~ 0."""
    _, fit, published = reduced["europa_2019-06-04"]
    assert fit.side_probabilities[1] > 0.9999 and fit.method.startswith("single chord, side +1")
    (label, clearance, consistent), = fit.negative
    assert consistent and clearance > 100.0                                # km outside the fitted limb
    # what each mirror centre makes of the track, against the plane geometry: a track at D across the motion from
    # the chord's middle passes a centre at offset x across by |D - x| - R (a near-round limb, a straight track)
    (report,) = fit.negative_report()
    normal = np.array([-fit.along_unit[1], fit.along_unit[0]])
    middle = fit.limb_points_km.mean(axis=0)
    for side, centre in fit.mirror_offsets_km.items():
        expected = abs(report["km_from_chord"] - (centre - middle) @ normal) - fit.radius_km
        assert report["clearance_km_by_side"][f"{side:+d}"] == pytest.approx(expected, abs=3.0)
    assert report["clearance_km_by_side"]["+1"] == clearance and report["clearance_km_by_side"]["-1"] < -800.0
    assert 540.0 < report["km_from_chord"] < 600.0          # the sites are 729 km apart on the ground, 23 deg S
    assert "565.7 km S of the chord" in fit.summary()
    # the other peak is the wrong answer by ~0.8 arcsec, the chosen one is Table 4's
    wrong = reduce_file("europa_2019-06-04", side=-1)[1]
    residual_wrong, _ = residual_mas(wrong, published)
    assert np.hypot(*residual_wrong) > 500.0
    # without the negative station and without a prior the side is undecided: two even peaks, not a Gaussian of R
    event, _, _ = reduced["europa_2019-06-04"]
    positive_only = type(event)(event.body, event.star, event.positive(), name="CP Cambrune only")
    ephemeris = default_ephemeris()
    even = positive_only.reduce(target_of(502, ephemeris), ephemeris=ephemeris)
    assert even.side_probabilities[1] == pytest.approx(0.5) and "undecided" in even.method
    half_gap = np.hypot(*(even.mirror_offsets_km[1] - even.mirror_offsets_km[-1])) / 2
    assert even.sigmas_along_across_km[1] == pytest.approx(half_gap, rel=0.01)
    assert half_gap < 0.9 * 1562.6                                # d = 1244 km: sigma d, not R


def test_europa_2017_dr2_gives_the_2022_position_not_the_2019_one(reduced):
    """The same three chords with the Gaia DR2 star of Morgado et al. 2019 (0.3 mas from the EDR3 one) reproduce
    Morgado et al. 2022 Table 4 row d, while Morgado et al. 2019 Eq. (3) lies 8.4/11.7 mas (RA*/Dec) from both
    (see europa_2017-03-31_dr2.source.txt)."""
    _, fit, published_2019 = reduced["europa_2017-03-31_dr2"]
    _, _, published_2022 = reduced["europa_2017-03-31"]
    residual_2022, _ = residual_mas(fit, published_2022)
    assert np.all(np.abs(residual_2022) <= tolerance_mas(published_2022)), residual_2022
    residual_2019, _ = residual_mas(fit, published_2019)
    assert residual_2019 == pytest.approx([-7.4, -10.6], abs=1.0)


def test_sub_observer_points_match_table_3(reduced):
    ephemeris = default_ephemeris()
    for stem, (longitude, latitude) in TABLE_3.items():
        event, fit, published = reduced[stem]
        plane = fit.prediction.plane_at([published["tdb"]])
        ours = embedded_shape(event.body).sub_observer(plane)
        if stem == "europa_2019-06-04":          # 1.36 deg = 19 min of Europa's spin: the row is for another instant
            assert ours[0] - longitude == pytest.approx(-1.36, abs=0.02)
            continue
        assert ours[0] == pytest.approx(longitude, abs=0.002), stem
        assert ours[1] == pytest.approx(latitude, abs=0.015), stem
    assert ephemeris is default_ephemeris()
    # Morgado et al. 2019, Sect. 3: Europa's pole at P/A 24.2534 deg on 2017-03-31 (Archinal et al. 2018); the
    # projected ellipsoid's minor axis lies there (a triaxial body's minor axis is near, not on, the pole's P/A)
    _, fit, published = reduced["europa_2017-03-31"]
    limb = embedded_shape(502).limb(fit.prediction.plane_at([published["tdb"]]))
    assert limb.pole_position_angle_deg == pytest.approx(24.2534, abs=0.02)


def test_projected_limb_against_brute_force_silhouette(reduced):
    """Shape.limb's closed form (eigenvalues of P A^-1 P^T) against the extent of Io's ellipsoid projected on the
    plane, in 36 directions (the support function of the outline): the best of 20000 surface points, polished by a
    local maximisation over the surface's (longitude, latitude)."""
    from scipy.optimize import minimize
    _, fit, _ = reduced["io_2021-04-02"]
    plane = fit.prediction.plane_at([fit.tdb])
    io = embedded_shape(501)
    limb = io.limb(plane)
    rng = np.random.default_rng(1)
    unit = rng.normal(size=(20000, 3))
    unit /= np.linalg.norm(unit, axis=1)[:, None]
    rotation = io.body_matrix(float(plane.tdb[0]) - float(plane.distance_km[0]) / 299792.458)
    surface = (unit * np.array(io.radii_km)) @ rotation                    # body-fixed -> ICRF
    projected = np.stack([surface @ plane.east[0], surface @ plane.north[0]], axis=1)
    for angle in np.radians(np.arange(0, 180, 5)):
        u = np.array([np.sin(angle), np.cos(angle)])
        n = np.array([-u[1], u[0]])
        _, half_width, _ = limb.chords_along(u)
        best = unit[np.argmax(projected @ n)]

        def minus_extent(angles):
            lon, lat = angles
            point = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]) * io.radii_km
            icrf = point @ rotation
            return -(icrf @ plane.east[0] * n[0] + icrf @ plane.north[0] * n[1])
        start = [np.arctan2(best[1], best[0]), np.arcsin(best[2])]
        extent = -minimize(minus_extent, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-9}).fun
        assert extent == pytest.approx(half_width, abs=1e-4)
    assert 0.002 < limb.oblateness < 0.003 and 1819.2 < limb.equatorial_radius_km < 1829.7


def test_a_body_without_radius_uses_its_embedded_shape_or_is_refused(tmp_path):
    text = (EVENTS / "europa_2019-06-04.toml").read_text(encoding="utf-8").replace("body = 502", "body = 507")
    path = tmp_path / "elara.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChordError, match=r"elara.toml: .*no embedded shape of body 507; give radius_km"):
        read_event(path)
    path.write_text(text.replace("body = 507", "body = 507\nradius_km = 43.0"), encoding="utf-8")
    event, _ = read_event(path)
    assert event.limb.equatorial_radius_km == 43.0
    # Himalia: the sphere of its Cassini outline, (150 x 120) +- 20 km (Gomes-Junior et al. 2016, Table 1)
    path.write_text(text.replace("body = 507", "body = 506"), encoding="utf-8")
    event, _ = read_event(path)
    himalia = event.body_shape()
    assert himalia.radii_km == (67.1, 67.1, 67.1) and himalia.radius_sigma_km == 10.0
    assert himalia.topography_sigma_km == 7.5 and himalia.rotation is None
    bad = text.replace('"70 40 42.5 W"', '"70 40 72.5 W"')
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ChordError, match=r"elara.toml: chords\[0\].site longitude: cannot read the angle"):
        read_event(path)


CAMBRUNE = ('site = ["70 40 42.5 W", "16 49 41.3 S", 3.305]', 'start = "2019-06-04T02:28:05.033"',
            'end = "2019-06-04T02:29:14.311"', 'sigma_s = [0.044, 0.040]')


@pytest.mark.parametrize("old, new, message", [
    (CAMBRUNE[0], 'site = ["70 40 42.5 W", "16 49 41.3 S", 3305]', r"chords\[0\].site: height 3305 km .* in km, not m"),
    (CAMBRUNE[0], 'site = "ZZZ"', r"chords\[0\].site: unknown MPC observatory code 'ZZZ'"),
    (CAMBRUNE[3], 'sigma_s = "x"', r"chords\[0\]: .*timing sigma must be seconds"),
    (CAMBRUNE[3], "sigma_s = [1, 2, 3]", r"chords\[0\]: .*timing sigma must be seconds"),
    (CAMBRUNE[1], 'start = "2019-06-04T02:30:05.033"', r"chords\[0\] \(CP Cambrune, Peru\): 'end' .* is not after"),
    ("sigma_ra_mas = 0.08", "sigma_ra_mas = -0.08", r"\[star\]: sigma_ra_mas, sigma_dec_mas must be >= 0"),
    ("sigma_ra_mas = 0.08", "sigma_ra_mas = 0.08\ncorr = 2", r"\[star\]: .* corr within \[-1, 1\]"),
    ("epoch = 2019.4212", "epoch = nan", r"\[star\].epoch: expected a number, got nan"),
    ('ra_hms = "17 16 59.89400"', "ra_hms = -1", r"\[published\]: RA: expected 'HH MM SS.s'"),
    ("body = 502", 'body = 502\nfit_radius = "no"', r"fit_radius: expected true or false, got 'no'"),
    ("body = 502", "body = 502\nchords = [1, 2]", r"'chords' must be \[\[chords\]\] tables"),
])
def test_event_file_mistakes_are_named_with_the_file(tmp_path, old, new, message):
    """Each of these read silently, or raised a TypeError or a message without the file, before 2026-12-08."""
    text = (EVENTS / "europa_2019-06-04.toml").read_text(encoding="utf-8")
    if old == "body = 502" and "chords = [" in new:         # a 'chords' key instead of [[chords]] tables
        text = text.split("[[chords]]")[0]
    assert old in text
    path = tmp_path / "europa.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ChordError, match=r"europa.toml: " + message):
        read_event(path)


@pytest.mark.parametrize("stem, old, new, message", [
    ("ganymede_2020-12-21", "2020-12-21T00:4", "2020-12-22T00:4",      # one chord of eleven a day late
     r"Ganymede 2020-12-21: outside the shadow's passage over the Earth \(predicted 2020-12-21 00:\d\d:\d\d - "
     r"01:\d\d:\d\d UTC.*: Gardnerville 2020-12-22 00:48:04 UTC \(\+24.0\d h\); Gardnerville 2020-12-22 00:49"),
    ("europa_2019-06-04", "2019-06-04T02:2", "2019-06-04T03:2",                        # local time taken for UTC
     r"Europa 2019-06-04: outside .*: CP Cambrune, Peru 2019-06-04 03:28:05 UTC \(\+1.0\d h\)"),
    ("europa_2019-06-04", "2019-06-04T02:2", "2019-06-05T02:2",                        # the only chord a day late
     r"no closest approach within an hour of the contacts \(median 2019-06-05 02:28:39 UTC\)"),
])
def test_a_chord_outside_the_shadows_passage_is_an_error_not_a_centre(tmp_path, capsys, stem, old, new, message):
    """A wrong date or a local time taken for UTC gave a centre thousands of km away (Ganymede with one chord a
    day late: chi2 3e13, RA* -558 arcsec from Table 4) and exit status 0; now the reduction names the chord, its time
    and the passage."""
    from orbitfit.cli import main
    text = (EVENTS / f"{stem}.toml").read_text(encoding="utf-8")
    first = text.index("[[chords]]")
    end = text.index("[[chords]]", first + 1)                          # the first chord's start and end only
    path = tmp_path / f"{stem}.toml"
    path.write_text(text[:first] + text[first:end].replace(old, new) + text[end:], encoding="utf-8")
    event, _ = read_event(path)
    with pytest.raises(ChordError, match=message):
        event.reduce(target_of(event.body, default_ephemeris()), ephemeris=default_ephemeris())
    assert main(["occultation", "reduce", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"orbitfit occultation: error: {path}: ") and "Traceback" not in error


def test_a_worse_known_orbit_widens_the_passage(tmp_path):
    """passage_margin_s: contacts an hour from the predicted passage reduce when the orbit is said to be that poor
    (the centre then lies ~1 h x 27 km/s along the track from the prediction)."""
    text = (EVENTS / "europa_2019-06-04.toml").read_text(encoding="utf-8").replace("2019-06-04T02:2", "2019-06-04T03:2")
    path = tmp_path / "europa.toml"
    path.write_text(text, encoding="utf-8")
    event, _ = read_event(path)
    ephemeris = default_ephemeris()
    with pytest.raises(ChordError, match=r"passage_margin_s"):
        event.reduce(target_of(502, ephemeris), ephemeris=ephemeris)
    fit = event.reduce(target_of(502, ephemeris), ephemeris=ephemeris, passage_margin_s=7200.0)
    assert 80_000 < np.hypot(*fit.offset_km) < 120_000


def test_cli_reduces_an_event_file_against_the_built_in_ephemeris(capsys):
    import json
    from orbitfit.cli import main
    path = str(EVENTS / "ganymede_2020-12-21.toml")
    assert main(["occultation", "reduce", path, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # 10 chords and Tucson's emersion (its recording began after the immersion): 21 contacts, 2 parameters
    assert report["body"] == 503 and report["method"] == "chords" and report["dof"] == 19
    published = report["published"]
    assert abs(published["d_ra_mas"]) <= 2.0 and abs(published["d_dec_mas"]) <= 1.5 * 1.7
    assert main(["occultation", "reduce", path]) == 0
    text = capsys.readouterr().out
    assert "Ganymede 2634.6 x 2633 x 2631.4 km" in text and "Table 4, row b" in text
    europa = str(EVENTS / "europa_2019-06-04.toml")
    assert main(["occultation", "reduce", europa, "--json"]) == 0
    (atacama,) = json.loads(capsys.readouterr().out)["negative_chords"]       # the single chord's two sides
    assert atacama["consistent"] and atacama["clearance_km_by_side"]["-1"] < -800.0 < 500.0 < atacama["km_from_chord"]
    missing = europa.replace("europa", "nothing")
    assert main(["occultation", "reduce", missing]) == 2
    assert "occultation file not found" in capsys.readouterr().err


def test_cli_needs_a_solution_for_a_body_without_built_in_ephemeris(tmp_path, capsys):
    from orbitfit.cli import main
    text = (EVENTS / "europa_2019-06-04.toml").read_text(encoding="utf-8").replace("body = 502", "body = 506")
    path = tmp_path / "himalia.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["occultation", "reduce", str(path)]) == 2
    assert "himalia.toml: body 506 has no built-in ephemeris; give --solution" in capsys.readouterr().err


def test_one_contact_alone_is_refused(reduced):
    event, _, _ = reduced["ganymede_2020-12-21"]
    tucson, = [c for c in event.chords if c.start is None]
    alone = type(event)(event.body, event.star, [tucson], name="Tucson only")
    ephemeris = default_ephemeris()
    with pytest.raises(ChordError, match="Tucson only: one contact alone does not give a centre"):
        alone.reduce(target_of(503, ephemeris), ephemeris=ephemeris)


def test_log_normal_cdf_in_the_far_tail():
    """The side probabilities multiply Phi(clearance / sigma) of limbs crossing tracks by hundreds of sigma."""
    from scipy.stats import norm
    from orbitfit.occultations.negative import log_normal_cdf
    for x in (-200.0, -50.0, -30.01, -29.99, -5.0, 0.0, 3.0):
        assert log_normal_cdf(x) == pytest.approx(norm.logcdf(x), rel=1e-9, abs=1e-12)


def test_the_event_file_example_is_read(tmp_path):
    """The layout `orbitfit occultation add/reduce --help` shows is a valid event file (a negative chord included)."""
    from orbitfit.occultations.event_files import EVENT_EXAMPLE
    path = tmp_path / "example.toml"
    path.write_text(EVENT_EXAMPLE, encoding="utf-8")
    event, options = read_event(path)
    assert [c.positive for c in event.chords] == [True, False] and options["published"] is None
    assert event.chords[1].site == pytest.approx((149 + 3 / 60 + 58 / 3600, -(31 + 16 / 60 + 24 / 3600), 1.1))
    assert event.star.ra_deg[0] == pytest.approx(23.456789012)


def test_seeded_mutation_fuzz_of_the_event_files(tmp_path, capsys):
    """300 damaged copies of the six event files (a character changed or deleted, a line deleted, doubled or
    replaced by a value of another type, a date moved): `orbitfit occultation reduce` reads and reduces each or
    refuses it in one line naming the file, never a traceback. Before 2026-12-08 such damage gave a TypeError
    ('chords' not tables), an AttributeError (a number as [published] ra_hms) and errors not naming the file (a
    timing sigma "a": this test's 33rd copy); ~9 s."""
    import random
    from orbitfit.cli import main
    rng = random.Random(20261208)
    values = ['"x"', "[]", "[1, 2]", "true", "-1", "0", "1e400", "nan", "{}", '"2020-13-45T00:00"', '[["a"]]', '"ZZZ"']
    extra = ["chords = 3", "[[chords]]", "[star]", "star = 1", "chords = [1, 2]", "side = 2", 'fit_radius = "no"',
             "[published]", "published = 3"]
    files = sorted(EVENTS.glob("*.toml"))
    outcomes = {0: 0, 2: 0}
    for trial in range(300):
        lines = rng.choice(files).read_text(encoding="utf-8").splitlines()
        for _ in range(rng.randrange(1, 3)):
            k = rng.randrange(len(lines))
            line, op = lines[k], rng.randrange(6)
            if op == 0 and line:
                i = rng.randrange(len(line))
                lines[k] = line[:i] + chr(rng.randrange(32, 127)) + line[i + 1:]
            elif op == 1:
                del lines[k]
            elif op == 2:
                lines.insert(k, line)
            elif op == 3 and "=" in line:
                lines[k] = line.split("=")[0] + "= " + rng.choice(values)
            elif op == 4:
                lines.insert(k, rng.choice(extra))
            else:
                lines[k] = line.replace("T0", "T1", 1) if rng.random() < 0.5 else line.replace("-0", "-1", 1)
        path = tmp_path / f"event{trial}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        status = main(["occultation", "reduce", str(path)])
        error = capsys.readouterr().err
        assert status in (0, 2), "\n".join(lines)
        if status == 2:
            assert error.startswith(f"orbitfit occultation: error: {path}") and error.count("\n") == 1, error
        outcomes[status] += 1
    assert outcomes[0] > 30 and outcomes[2] > 100, outcomes           # the damage is neither all benign nor all fatal
