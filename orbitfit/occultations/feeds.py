"""Predictions as files other tools read: shadow paths as KML (Google Earth, OGC KML 2.2) and GeoJSON (RFC 7946),
and events as an OccultWatcher feed table and a PRAIA prediction table, whose error fields carry the orbit's 1σ at
each event (`feed_table`: the numbers, one row per event; `write_kml`, `write_geojson`, `write_ow_feed`,
`write_praia`).

    from orbitfit.occultations.feeds import write_geojson, write_kml, write_ow_feed, write_praia
    write_kml("himalia.kml", [event])                 # centre line, body limits, 1 and 3 sigma limits
    write_praia("himalia_praia.txt", found)           # all the events of a search (or a list of Occultations)

The text tables follow the layouts SORA (Gomes-Junior et al. 2022, MNRAS 511, 1167) writes and reads
(`PredictionTable.to_ow`, `to_praia`, `from_praia`; PRAIA: Assafin et al. 2011, Gaia-FUN-SSO workshop): one event a
line, whitespace-separated, 41 header lines in PRAIA (a reader skips them and takes the maximum C/A from line 15 and
the ephemeris name from line 18). SORA writes 0 in the error fields of both (the error of the ephemeris is a number
the user types in); here they are the solution's linear 1σ of RA*cos(Dec) and Dec at the event, geocentric
(`orbitfit.products.uncertainty.sky_uncertainty`), in whole mas as both layouts have them. In the PRAIA table the
columns E_ra, E_de are therefore the ephemeris's errors, not the star's (the header says so).

An event is an `Occultation`; a list of them or a `Predictions` (from `search`) is accepted wherever events are.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np

from ..times import tdb_to_utc_iso
from .shadow import line_kind

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
# KML colours are aabbggrr; the map's colours (maps.LINE_STYLES)
KML_STYLES = {"centre": ("ff005ed5", 3), "body": ("ffb27200", 2), "1 sigma": ("ff739e00", 1.5),
              "3 sigma": ("ff739e00", 1), "other": ("ff333333", 1)}
COORDINATE_DECIMALS = 6                    # 1e-6 deg = 0.1 m on the ground


def _events(events):
    """A list of Occultations from a list, a Predictions or one Occultation."""
    if hasattr(events, "plane_at"):
        return [events]
    return list(events)


def _paths(events, paths):
    events = _events(events)
    if paths is None:
        paths = [event.path() for event in events]
    paths = list(paths) if not hasattr(paths, "labels") else [paths]
    if len(paths) != len(events):
        raise ValueError(f"give one path per event: {len(events)} events, {len(paths)} paths")
    return events, paths


def line_segments(lon_deg, lat_deg):
    """Pieces of a ground line (degrees) that are on the Earth (NaN where the line misses it), cut at the
    antimeridian with both pieces ending on +-180 at the interpolated latitude (RFC 7946 section 3.1.9). Returns a
    list of (n, 2) arrays of (lon, lat)."""
    lon, lat = np.asarray(lon_deg, dtype=float), np.asarray(lat_deg, dtype=float)
    finite = np.isfinite(lon) & np.isfinite(lat)
    pieces = []
    for run in np.split(np.arange(lon.size), np.nonzero(np.diff(finite.astype(int)))[0] + 1):
        if not finite[run[0]]:
            continue
        x, y = lon[run], lat[run]
        current = [(x[0], y[0])]
        for k in range(1, x.size):
            if abs(x[k] - x[k - 1]) > 180.0:
                edge = 180.0 if x[k - 1] > 0 else -180.0
                x_next = x[k] + (360.0 if edge > 0 else -360.0)          # the next point seen from this side
                y_edge = y[k - 1] + (y[k] - y[k - 1]) * (edge - x[k - 1]) / (x_next - x[k - 1])
                pieces.append(current + [(edge, y_edge)])
                current = [(-edge, y_edge)]
            current.append((x[k], y[k]))
        pieces.append(current)
    return [np.array(p, dtype=float) for p in pieces if len(p) >= 2]


def _path_lines(event, path):
    """(label, kind, offset_km, segments) of every line of the path."""
    return [(label, line_kind(label), float(path.offsets_km[i]), line_segments(path.lon_deg[i], path.lat_deg[i]))
            for i, label in enumerate(path.labels)]


def _ca_point(event, path):
    """(lon, lat) of the centre line at the instant nearest C/A, or None off the Earth."""
    centre = path.labels.index("centre")
    k = int(np.argmin(np.abs(path.tdb - event.tdb)))
    lon, lat = path.lon_deg[centre, k], path.lat_deg[centre, k]
    return (float(lon), float(lat)) if np.isfinite(lon) else None


def _event_properties(event, path):
    star = event.star
    return {"utc": event.utc, "star": str(star.source_id[0]), "ca_arcsec": round(event.ca_arcsec, 6),
            "pa_deg": round(event.pa_deg, 4), "velocity_km_s": round(event.velocity_km_s, 4),
            "distance_au": round(event.distance_au, 6), "radius_km": event.radius_km,
            "sigma_km": None if path.sigma_km is None else round(float(path.sigma_km), 3)}


def geojson_paths(events, paths=None):
    """A GeoJSON FeatureCollection (dict, RFC 7946: WGS84 lon/lat in degrees) of the events' paths: one
    MultiLineString Feature per line ("centre", "body +/-", "1 sigma +/-", "3 sigma +/-": properties `line`, `kind`,
    `offset_km` across the track, + on the left of the motion, and the event's elements) and a Point at the
    centre line's C/A. `paths`: the ShadowPaths (default: each event's `path()`)."""
    events, paths = _paths(events, paths)
    features = []
    for event, path in zip(events, paths):
        common = _event_properties(event, path)
        for label, kind, offset_km, segments in _path_lines(event, path):
            coordinates = [np.round(s, COORDINATE_DECIMALS).tolist() for s in segments]
            features.append({"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": coordinates},
                             "properties": {**common, "line": label, "kind": kind, "offset_km": offset_km}})
        point = _ca_point(event, path)
        if point is not None:
            features.append({"type": "Feature", "properties": {**common, "line": "C/A", "kind": "C/A"},
                             "geometry": {"type": "Point",
                                          "coordinates": list(np.round(point, COORDINATE_DECIMALS))}})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(filename, events, paths=None):
    """Write `geojson_paths` to `filename` (atomically). Returns the filename."""
    from ..files import atomic_path, strict_json
    text = strict_json(geojson_paths(events, paths), indent=1)
    with atomic_path(filename) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return filename


def _coordinates_text(segment):
    return " ".join(f"{x:.{COORDINATE_DECIMALS}f},{y:.{COORDINATE_DECIMALS}f},0" for x, y in segment)


def kml_paths(events, paths=None, name="orbitfit occultation predictions"):
    """KML 2.2 text of the events' paths: a Folder per event (named by its UTC and star) with a Placemark per line
    (MultiGeometry of clamped, tessellated LineStrings, coordinates lon,lat,0) styled as on the map, and a
    Placemark at the C/A point; the event's elements in each Placemark's ExtendedData."""
    events, paths = _paths(events, paths)
    ET.register_namespace("", KML_NAMESPACE)
    q = lambda tag: f"{{{KML_NAMESPACE}}}{tag}"
    root = ET.Element(q("kml"))
    document = ET.SubElement(root, q("Document"))
    ET.SubElement(document, q("name")).text = name
    for kind, (colour, width) in KML_STYLES.items():
        style = ET.SubElement(document, q("Style"), id=kind.replace(" ", "_"))
        line_style = ET.SubElement(style, q("LineStyle"))
        ET.SubElement(line_style, q("color")).text = colour
        ET.SubElement(line_style, q("width")).text = f"{width:g}"
    for event, path in zip(events, paths):
        properties = _event_properties(event, path)
        folder = ET.SubElement(document, q("Folder"))
        ET.SubElement(folder, q("name")).text = f"{event.utc[:19]} UTC star {properties['star']}"
        items = [(label, kind, offset_km, segments) for label, kind, offset_km, segments in _path_lines(event, path)]
        point = _ca_point(event, path)
        if point is not None:
            items.append(("C/A", "C/A", 0.0, None))
        for label, kind, offset_km, segments in items:
            placemark = ET.SubElement(folder, q("Placemark"))
            ET.SubElement(placemark, q("name")).text = label
            extended = ET.SubElement(placemark, q("ExtendedData"))
            for key, value in {**properties, "offset_km": offset_km}.items():
                data = ET.SubElement(extended, q("Data"), name=key)
                ET.SubElement(data, q("value")).text = "" if value is None else str(value)
            if segments is None:
                geometry = ET.SubElement(placemark, q("Point"))
                ET.SubElement(geometry, q("coordinates")).text = _coordinates_text([point])
                continue
            ET.SubElement(placemark, q("styleUrl")).text = "#" + kind.replace(" ", "_")
            multi = ET.SubElement(placemark, q("MultiGeometry"))
            for segment in segments:
                line = ET.SubElement(multi, q("LineString"))
                ET.SubElement(line, q("tessellate")).text = "1"
                ET.SubElement(line, q("coordinates")).text = _coordinates_text(segment)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_kml(filename, events, paths=None, name="orbitfit occultation predictions"):
    """Write `kml_paths` to `filename` (atomically). Returns the filename."""
    from ..files import atomic_path
    text = kml_paths(events, paths, name)
    with atomic_path(filename) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    return filename


# --- event tables: OccultWatcher feed and PRAIA -------------------------------------------------------------------
NO_ESTIMATE = 9999                          # PRAIA's "no estimation" in error and proper-motion fields
NO_MAGNITUDE = 50.0                         # PRAIA's "not in 2MASS" for the J, H, K magnitudes we do not have


def feed_table(events, solution=None):
    """The numbers of the feeds, one row per event (QTable): `utc` (Time), `tdb` (s), the star's geocentric RA/Dec
    at C/A and the body's (deg), C/A (arcsec), P/A (deg), velocity (km/s), distance (au), the star's G and the
    normalised G* (mag), sub-body longitude (deg), local solar time (h), proper motions (mas/yr), and
    `sigma_ra_mas` (RA*cos Dec), `sigma_dec_mas`: the 1σ of the body's geocentric position at the event from
    `solution`'s covariance (default: each event's own solution; NaN without one)."""
    from ..model import radec_from_unit
    from ..products.uncertainty import sky_uncertainty
    from ..tables import plain_table, quantity_table
    events = _events(events)
    rows = {name: [] for name in ("tdb", "star_ra_deg", "star_dec_deg", "body_ra_deg", "body_dec_deg",
                                  "ca_arcsec", "pa_deg", "vel_km_s", "dist_au", "mag", "mag_norm", "long_deg",
                                  "lst_h", "pmra_mas_yr", "pmdec_mas_yr")}
    rows["source_id"] = []
    for event in events:
        plane = event.plane
        body_ra, body_dec = np.degrees(radec_from_unit(plane.rho / plane.distance_km[:, None]))
        star_ra, star_dec = event.star_radec
        values = {"tdb": event.tdb, "star_ra_deg": star_ra, "star_dec_deg": star_dec,
                  "body_ra_deg": float(body_ra[0]) % 360.0, "body_dec_deg": float(body_dec[0]),
                  "ca_arcsec": event.ca_arcsec, "pa_deg": event.pa_deg, "vel_km_s": event.velocity_km_s,
                  "dist_au": event.distance_au, "mag": float(event.star.mag[0]), "mag_norm": event.normalised_mag,
                  "long_deg": event.sub_body_longitude_deg, "lst_h": event.local_solar_time_h,
                  "pmra_mas_yr": float(event.star.pmra_mas_yr[0]), "pmdec_mas_yr": float(event.star.pmdec_mas_yr[0]),
                  "source_id": str(event.star.source_id[0])}
        for name, value in values.items():
            rows[name].append(value)
    # the 1σ: one propagation per solution for all its events
    owners = [solution if solution is not None else event.solution for event in events]
    rows["sigma_ra_mas"], rows["sigma_dec_mas"] = np.full(len(events), np.nan), np.full(len(events), np.nan)
    for owner in {id(o): o for o in owners if o is not None}.values():
        mine = [i for i, o in enumerate(owners) if o is owner]
        sigma = plain_table(sky_uncertainty(owner, [events[i].tdb for i in mine], observer="500"))
        rows["sigma_ra_mas"][mine] = np.asarray(sigma["sigma_ra_mas"], dtype=float)
        rows["sigma_dec_mas"][mine] = np.asarray(sigma["sigma_dec_mas"], dtype=float)
    return quantity_table({"source_id": rows.pop("source_id"), **rows})


def _sexagesimal(value_deg, decimals, hours):
    """"HH MM SS.ss" (hours) or "+DD MM SS.ss", rounded once (so 59.99999 s carries into the minute)."""
    value = value_deg / 15.0 if hours else value_deg
    total = round(abs(value) * 3600.0, decimals)
    if hours:
        total %= 86400.0
    whole, seconds = divmod(total, 60.0)
    units, minutes = divmod(whole, 60.0)
    text = f"{int(units):02d} {int(minutes):02d} {seconds:0{3 + decimals if decimals else 2}.{decimals}f}"
    return text if hours else ("-" if value < 0 and total > 0 else "+") + text


def _error_field(sigma_mas):
    return NO_ESTIMATE if not np.isfinite(sigma_mas) else int(round(sigma_mas))


def _hhmm(hours):
    minutes = int(round(hours * 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc_fields(tdb, decimals):
    """("dd", "mm", "yyyy", "hh mm ss[.s]") of the UTC instant, rounded to `decimals` of a second."""
    iso = tdb_to_utc_iso(tdb, decimals)
    return iso[8:10], iso[5:7], iso[:4], iso[11:].replace(":", " ")


def _write_text(filename, text):
    from ..files import atomic_path
    with atomic_path(filename) as tmp, open(tmp, "w", encoding="ascii", errors="replace") as handle:
        handle.write(text)
    return filename


def _max_ca_arcsec(table, max_ca_arcsec):
    if max_ca_arcsec is not None:
        return float(max_ca_arcsec)
    values = np.asarray(table["ca_arcsec"].value if hasattr(table["ca_arcsec"], "value") else table["ca_arcsec"])
    return float(np.ceil(values.max() * 1000.0) / 1000.0) if values.size else 0.0


def ow_feed_text(events, name, designation=None, radius_km=None, ephemeris="orbitfit", solution=None,
                 max_ca_arcsec=None, catalogue="GAIA-DR3"):
    """An OccultWatcher feed table (the layout of SORA's `to_ow`, the Lucky Star feeder's update file): a header
    with the body's name, radius and designation, then a line per event: UTC, the star's and the body's geocentric
    RA/Dec, C/A, P/A, velocity, distance, G* (K* = 50.0: not known), sub-body longitude, local solar time and
    e_ra, e_dec: the orbit's 1σ at the event in mas (`feed_table`). `catalogue`: the stars' catalogue, named in
    the first line."""
    from ..tables import plain_table
    events = _events(events)
    table = plain_table(feed_table(events, solution))
    radius_km = radius_km if radius_km is not None else (events[0].radius_km if events else 0.0)
    designation = designation or name
    rule = " " + "-" * 148
    lines = [f" Planete: {name}: Star {catalogue}, {ephemeris}",
             " Notes:",
             " C/A: geocentric closest approach, in arcsec",
             " P/A: body's position angle wrt to star at C/A, in deg",
             " vel: velocity in plane of sky, in km/sec, positive= prograde, negative= retrograde",
             " G*, K*: G magnitude of the star normalised to a shadow velocity of 20 km/sec (K* = 50.0: not known)",
             " Delta: body's range to Earth, AU",
             " long: East longitude of sub-planet point, deg, positive towards East",
             " loc. t.= UT + long: local solar time at sub-planet point, hh:mm",
             " e_ra, e_dec: 1-sigma of the ephemeris at the event (RA*cos(Dec), Dec; mas) from the orbit's covariance",
             rule,
             " Selection criteria:",
             " Maximum corrected magnitudes R* and K* considered: 100.0",
             f" Maximum geocentrique closest approach considered: {_max_ca_arcsec(table, max_ca_arcsec):.3f} arcsec",
             f" List below has:          {len(table)}  entries",
             " Offset applied to ephemeris (mas):     0.0     0.0",
             f" {radius_km:.1f}                                                Radius (km)",
             f" {designation}          {designation}          {name}             Provisional Designation, Number, Name",
             rule,
             " d  m year  h:m:s UT    ra___dec___J2000_candidate    ra___dec___J2000_ephemeris     C/A    "
             "P/A     vel   Delta   G*   K*   long  loc.t.  e_ra  e_dec",
             rule]
    for row in table:
        day, month, year, clock = _utc_fields(row["tdb"], 0)
        star = f"{_sexagesimal(row['star_ra_deg'], 4, True)} {_sexagesimal(row['star_dec_deg'], 3, False)}"
        body = f"{_sexagesimal(row['body_ra_deg'], 4, True)} {_sexagesimal(row['body_dec_deg'], 3, False)}"
        g_star = row["mag_norm"] if np.isfinite(row["mag_norm"]) else NO_MAGNITUDE
        lines.append(f"{day} {month} {year}  {clock}.   {star}   {body}   {row['ca_arcsec']:5.3f}  "
                     f"{row['pa_deg']:6.2f} {row['vel_km_s']:-7.3f} {row['dist_au']:7.3f} {g_star:4.1f} "
                     f"{NO_MAGNITUDE:-4.1f}   {row['long_deg']:3.0f}. {_hhmm(row['lst_h'])}  "
                     f"{_error_field(row['sigma_ra_mas']):4d}  {_error_field(row['sigma_dec_mas']):4d}")
    lines.append(rule)
    return "\n".join(lines) + "\n"


def write_ow_feed(filename, events, name, **options):
    """Write `ow_feed_text(events, name, **options)` to `filename` (atomically). Returns the filename."""
    return _write_text(filename, ow_feed_text(events, name, **options))


def praia_text(events, ephemeris="orbitfit", solution=None, max_ca_arcsec=None, catalogue_code="g3"):
    """A PRAIA occultation table (the layout SORA's `PredictionTable.from_praia` reads): 41 header lines, then a
    line per event: UTC, the star's and the body's geocentric RA/Dec, C/A, P/A, velocity, distance, G* (J*, H*, K*
    = 50.0), sub-body longitude, local solar time, ephemeris offsets (0), pm flag, catalogue (g3: Gaia DR3),
    multiplicity flag, E_ra, E_de: the orbit's 1σ at the event (mas; 9999 without a solution) and the star's
    proper motion (mas/yr). `ephemeris`: the name on the "Reference ephemeris" line (no spaces);
    `catalogue_code`: the ct column (g3 Gaia DR3, g2 Gaia DR2, uc UCAC)."""
    from ..tables import plain_table
    events = _events(events)
    table = plain_table(feed_table(events, solution))
    rule = " " + "-" * 194
    head = [" Notes:",
            " C/A: geocentric closest approach, in arcsec",
            " P/A: Planet position angle wrt to star at C/A, in deg",
            " vel: velocity in plane of sky, in km/sec, positive= prograde, negative= retrograde",
            " R: here the star's Gaia G magnitude",
            " J, H, K: 2MASS magnitudes (50.0 = not in 2MASS; not given here)",
            " G*, J*, H*, K* are normalized magnitudes to a common",
            " shadow velocity of 20 km/sec by the relationship:",
            " Mag* = Mag_actual + 2.5*log10[velocity/20 (km/sec)]",
            " Delta: Planet range to Earth, AU",
            " long: East longitude of sub-planet point, deg, positive towards East",
            " loc. t.= UT + long: local solar time at sub-planet point, hh:mm",
            rule,
            " Selection criteria:",
            f" Maximum geocentric closest approach considered:   {_max_ca_arcsec(table, max_ca_arcsec):.3f} arcsec",
            " Day light exclusion (range loc. t.): 12.0hs to 12.0 hs (t1 = t2 -> no exclusions)",
            f" List below has:           {len(table)}  entries",
            f" Reference ephemeris: {ephemeris.replace(' ', '_')}",
            " Offset applied to ephemeris off_ra(mas) = A * (t-t0) + B ",
            " Offset applied to ephemeris off_de(mas) = C * (t-t0) + D ",
            " t0 =    2005.0000000000000       yrs",
            " A =    0.0000000000000000       (mas/yr)",
            " B =    0.0000000000000000       (mas)",
            " C =    0.0000000000000000       (mas/yr)",
            " D =    0.0000000000000000       (mas)",
            " pm = proper motion applied? (ok, no)",
            " ct = uc (UCAC2); 2m (2MASS); fs (field star); g2 (Gaia-DR2); g3 (Gaia-DR3)",
            " f = multiplicity flag",
            " 0 - no multiple entries per star in astrometry",
            " 1 - single position from 2 or more uc/2m entries",
            " 2 - single position from 1 uc/2m entry only",
            " 3 - fs position from entry with more N contributions",
            " 4 - fs position from entry with best (x,y) error",
            " 5 - fs position from entry with brightest R mag.",
            " 6 - fs position from average over all entries",
            " (see details in Assafin et al. 2009)",
            " E_ra, E_de: HERE the 1-sigma of the ephemeris (orbit covariance) at the event, RA*cos(Dec) and Dec (mas);"
            " 9999 = no estimation",
            " pmra, pmde: star proper motion (mas/yr); (9999 = no proper motion)",
            rule,
            "  d  m year  h:m:s UT     ra___dec___J2000_candidate     ra_dec_J2000_target_geocen     C/A    P/A    "
            " vel  Delta  G*   J*   H*   K*   long  loc. t.  off_ra   off_de pm ct f E_ra E_de pmra pmde",
            rule]
    assert len(head) == 41                     # readers skip exactly 41 lines (SORA's from_praia)
    lines = list(head)
    for row in table:
        day, month, year, clock = _utc_fields(row["tdb"], 1)
        star = f"{_sexagesimal(row['star_ra_deg'], 4, True)} {_sexagesimal(row['star_dec_deg'], 4, False)}"
        body = f"{_sexagesimal(row['body_ra_deg'], 4, True)} {_sexagesimal(row['body_dec_deg'], 4, False)}"
        g_star = row["mag_norm"] if np.isfinite(row["mag_norm"]) else NO_MAGNITUDE
        pm = [_error_field(row[c]) if np.isfinite(row[c]) and row[c] != 0 else NO_ESTIMATE
              for c in ("pmra_mas_yr", "pmdec_mas_yr")]
        lines.append(f" {day} {month} {year} {clock}  {star}   {body}   {row['ca_arcsec']:5.3f}  "
                     f"{row['pa_deg']:6.2f} {row['vel_km_s']:-6.2f} {row['dist_au']:5.2f} {g_star:4.1f} "
                     f"{NO_MAGNITUDE:-4.1f} {NO_MAGNITUDE:-4.1f} {NO_MAGNITUDE:-4.1f}   {row['long_deg']:3.0f}. "
                     f"{_hhmm(row['lst_h'])}       0.0      0.0 ok {catalogue_code} 0 {_error_field(row['sigma_ra_mas']):4d} "
                     f"{_error_field(row['sigma_dec_mas']):4d} {pm[0]:4d} {pm[1]:4d}")
    return "\n".join(lines) + "\n"


def write_praia(filename, events, **options):
    """Write `praia_text(events, **options)` to `filename` (atomically). Returns the filename."""
    return _write_text(filename, praia_text(events, **options))
