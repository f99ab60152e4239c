"""Observed occultations from TOML files (`read_event`; the layout: `EVENT_EXAMPLE`), with errors that name the
file and the entry."""
from __future__ import annotations

import datetime
import math

from ..times import to_tdb_seconds
from .chords import DEFAULT_TIMING_SIGMA_S, SINGLE_CHORD_SIDES, Chord, ChordError, ObservedOccultation
from .stars import Star

EVENT_KEYS = {"name", "body", "radius_km", "radius_sigma_km", "shape_sigma_km", "oblateness",
              "pole_position_angle_deg", "side", "fit_radius", "star", "chords", "source", "notes", "published"}
STAR_KEYS = {"ra_deg", "dec_deg", "ra_hms", "dec_dms", "pmra_mas_yr", "pmdec_mas_yr", "parallax_mas",
             "radial_velocity_km_s", "epoch", "source_id", "mag", "sigma_ra_mas", "sigma_dec_mas", "corr", "source"}
CHORD_KEYS = {"name", "site", "start", "end", "sigma_s", "positive", "observers", "source", "notes"}
MAX_SITE_HEIGHT_KM = 20.0      # a station on a mountain or an aircraft (SOFIA flew at 13-14 km); 3305 is metres
PUBLISHED_KEYS = {"utc", "ra_hms", "dec_dms", "ra_deg", "dec_deg", "sigma_ra_mas", "sigma_dec_mas", "source"}
EVENT_EXAMPLE = '''name = "Kallichore 2025-12-15"
body = 544                     # NAIF id, or a name ("Kallichore")
radius_km = 1.0               # equatorial radius; optional: oblateness, pole_position_angle_deg (N->E),
                               # radius_sigma_km, shape_sigma_km, side (+1/-1), fit_radius (>= 3 chords);
                               # no radius_km: the body's embedded shape (Io, Europa, Ganymede, Himalia)
source = "where the numbers come from"   # optional, as notes
[star]                         # Gaia DR3: position at the epoch, proper motion, parallax; sigmas at the event
ra_deg = 23.456789012          # or ra_hms = "01 33 49.62930" and dec_dms = "+08 45 55.5556"
dec_deg = 8.765432101
pmra_mas_yr = 1.2
pmdec_mas_yr = -3.4
parallax_mas = 0.5
epoch = 2016.0
sigma_ra_mas = 0.2
sigma_dec_mas = 0.2
[[chords]]
name = "Station A"
site = [149.0661, -31.2733, 1.165]   # east longitude deg, latitude deg, height km (WGS84), or an MPC code
start = "2025-12-15T13:20:01.20"     # UTC: disappearance (negative chord: start of the watch); a positive
end = "2025-12-15T13:20:01.50"       # chord may lack one.  UTC: reappearance (negative: end of the watch)
sigma_s = 0.05                       # or [sigma_start, sigma_end]
positive = true
[[chords]]                           # a negative chord: the span watched without an event (none: the whole passage)
name = "Station B"
site = ["149 03 58.0 E", "31 16 24.0 S", 1.1]   # sexagesimal "d m s E/W", "d m s N/S" also read
start = "2025-12-15T13:19:00"
end = "2025-12-15T13:21:00"
positive = false
# optional [published]: a published result to compare with (utc, ra_hms/dec_dms or ra_deg/dec_deg, sigma_*_mas)'''


def _angle(value, where, hemispheres):
    """Degrees from a number or a sexagesimal "d m s [E/W/N/S]" string (W and S negative)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected degrees or 'd m s {hemispheres}', got {value!r}")
    text = value.replace("°", " ").replace("\u2032", " ").replace("\u2033", " ").replace("'", " ")
    text = text.replace('"', " ").replace("\u2212", "-").split()
    sign = 1.0
    if text and text[-1].upper() in hemispheres:
        sign = -1.0 if text.pop().upper() in "WS" else 1.0
    try:
        parts = [float(v) for v in text]
    except ValueError:
        raise ValueError(f"{where}: cannot read the angle {value!r}") from None
    if not 1 <= len(parts) <= 3 or any(v < 0 for v in parts[1:]) or any(v >= 60 for v in parts[1:]):
        raise ValueError(f"{where}: cannot read the angle {value!r}")
    negative = parts[0] < 0 or text[0].startswith("-")
    degrees = abs(parts[0]) + sum(v / 60.0 ** (i + 1) for i, v in enumerate(parts[1:]))
    return sign * (-degrees if negative else degrees)


def _published(path, table):
    """The [published] result: {tdb, ra_deg, dec_deg, sigma_ra_mas, sigma_dec_mas, source}."""
    from ..observations.fields import Reject, sexagesimal_dec, sexagesimal_ra
    unknown = set(table) - PUBLISHED_KEYS
    if unknown:
        raise ChordError(f"{path}: [published]: unknown keys {sorted(unknown)}; "
                         f"allowed: {', '.join(sorted(PUBLISHED_KEYS))}")
    try:
        ra = sexagesimal_ra(str(table["ra_hms"])) if "ra_hms" in table else float(table["ra_deg"])
        dec = sexagesimal_dec(str(table["dec_dms"])) if "dec_dms" in table else float(table["dec_deg"])
        return {"tdb": to_tdb_seconds(str(table["utc"])), "ra_deg": ra, "dec_deg": dec,
                "sigma_ra_mas": float(table["sigma_ra_mas"]), "sigma_dec_mas": float(table["sigma_dec_mas"]),
                "source": str(table.get("source", ""))}
    except (KeyError, ValueError, TypeError, Reject) as exc:
        raise ChordError(f"{path}: [published]: {exc}") from None


def read_event(path):
    """An ObservedOccultation and its options {"side", "fit_radius", "published" (a dict or None), "source"} from a
    TOML file; see EVENT_EXAMPLE. Errors name the file and the entry."""
    from ..observations.fields import Reject, sexagesimal_dec, sexagesimal_ra
    from ..observations.observers import site_itrs_km
    from ..bodies import NAIF_BY_NAME
    from ..files import read_toml
    data = read_toml(path, ChordError, "occultation file")

    def check_keys(table, allowed, where):
        unknown = set(table) - allowed
        if unknown:
            raise ChordError(f"{path}: {where}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")

    def number(table, key, where, default=None):
        if key not in table:
            if default is None:
                raise ChordError(f"{path}: {where}: missing '{key}'")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ChordError(f"{path}: {where}.{key}: expected a number, got {value!r}")
        return float(value)

    check_keys(data, EVENT_KEYS, "top level")
    body = data.get("body")
    if isinstance(body, str):
        if body.lower() not in NAIF_BY_NAME:
            raise ChordError(f"{path}: body {body!r} is not a known satellite name; give its NAIF id")
        body = NAIF_BY_NAME[body.lower()]
    if not isinstance(body, int) or isinstance(body, bool):
        raise ChordError(f"{path}: 'body' must be a NAIF id or a satellite name, got {body!r}")
    star_table = data.get("star")
    if not isinstance(star_table, dict):
        raise ChordError(f"{path}: missing [star] table (ra_deg, dec_deg, pmra_mas_yr, ... epoch)")
    check_keys(star_table, STAR_KEYS, "[star]")
    epoch = star_table.get("epoch", 2016.0)
    if not isinstance(epoch, str):                   # a Julian year; a date string is read by Time below
        epoch = number(star_table, "epoch", "[star]", 2016.0)
    star_sigma = (number(star_table, "sigma_ra_mas", "[star]", 0.0), number(star_table, "sigma_dec_mas", "[star]", 0.0))
    star_corr = number(star_table, "corr", "[star]", 0.0)
    if min(star_sigma) < 0 or not -1.0 <= star_corr <= 1.0:
        raise ChordError(f"{path}: [star]: sigma_ra_mas, sigma_dec_mas must be >= 0 and corr within [-1, 1], got "
                         f"{star_sigma[0]}, {star_sigma[1]}, {star_corr}")
    try:
        if "ra_hms" in star_table:
            star_table = dict(star_table, ra_deg=sexagesimal_ra(str(star_table["ra_hms"])))
        if "dec_dms" in star_table:
            star_table = dict(star_table, dec_deg=sexagesimal_dec(str(star_table["dec_dms"])))
    except Reject as exc:
        raise ChordError(f"{path}: [star]: {exc}") from None
    try:
        star = Star(number(star_table, "ra_deg", "[star]"), number(star_table, "dec_deg", "[star]"),
                    number(star_table, "pmra_mas_yr", "[star]", 0.0), number(star_table, "pmdec_mas_yr", "[star]", 0.0),
                    number(star_table, "parallax_mas", "[star]", 0.0),
                    number(star_table, "radial_velocity_km_s", "[star]", 0.0), epoch,
                    number(star_table, "mag", "[star]", math.nan), [str(star_table.get("source_id", "star"))])
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ChordError):
            raise
        raise ChordError(f"{path}: [star]: {exc}") from None
    chord_list = []
    entries = data.get("chords", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ChordError(f"{path}: 'chords' must be [[chords]] tables, got {entries!r}"[:300])
    for i, entry in enumerate(entries):
        where = f"chords[{i}]"
        check_keys(entry, CHORD_KEYS, where)
        positive = entry.get("positive", True)
        if not isinstance(positive, bool):
            raise ChordError(f"{path}: {where}.positive: expected true or false, got {positive!r}")
        if "site" not in entry:
            raise ChordError(f"{path}: {where}: missing 'site'")
        if positive and "start" not in entry and "end" not in entry:
            raise ChordError(f"{path}: {where}: missing 'start' and 'end' (a positive chord needs at least one)")
        if not positive and ("start" in entry) != ("end" in entry):
            raise ChordError(f"{path}: {where}: a negative chord needs both 'start' and 'end' (its watched span), "
                             f"or neither (the whole passage)")
        site = entry["site"]
        if isinstance(site, list) and len(site) in (2, 3):
            try:
                site = [_angle(site[0], f"{where}.site longitude", "EW"), _angle(site[1], f"{where}.site latitude",
                                                                               "NS")] + site[2:]
            except ValueError as exc:
                raise ChordError(f"{path}: {exc}") from None
        if not isinstance(site, str) and not (isinstance(site, list) and len(site) in (2, 3) and
                                              all(isinstance(v, (int, float)) for v in site)):
            raise ChordError(f"{path}: {where}.site: expected an MPC code or [lon_deg, lat_deg, height_km], "
                             f"got {site!r}")
        if isinstance(site, list) and not (-90 <= site[1] <= 90 and -360 <= site[0] <= 360):
            raise ChordError(f"{path}: {where}.site: longitude/latitude out of range: {site!r}")
        if isinstance(site, list) and len(site) == 3 and not -1.0 <= site[2] <= MAX_SITE_HEIGHT_KM:
            raise ChordError(f"{path}: {where}.site: height {site[2]!r} km is not on the ground (-1 .. "
                             f"{MAX_SITE_HEIGHT_KM:g} km); it is in km, not m")
        if isinstance(site, str):
            try:
                site_itrs_km(site)
            except (KeyError, ValueError) as exc:
                raise ChordError(f"{path}: {where}.site: {exc.args[0] if exc.args else exc}") from None
        times = []
        for key in ("start", "end"):
            if key not in entry:              # a contact the recording missed, or a negative's whole passage
                times.append(None)
                continue
            value = entry[key]
            if isinstance(value, datetime.datetime):           # an unquoted TOML date-time
                if value.tzinfo is not None:
                    value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
                value = value.isoformat()
            try:
                times.append(to_tdb_seconds(str(value)))
            except ValueError as exc:
                raise ChordError(f"{path}: {where}.{key}: cannot read the UTC time {entry[key]!r} ({exc})") from None
        if None not in times and not times[1] > times[0]:
            raise ChordError(f"{path}: {where} ({entry.get('name', '')}): 'end' {entry['end']} is not after 'start' "
                             f"{entry['start']}")
        chord = Chord(tuple(site) if isinstance(site, list) else site, times[0], times[1],
                      entry.get("sigma_s", DEFAULT_TIMING_SIGMA_S), positive,
                      str(entry.get("name", "")) or f"chord {i}")
        try:
            chord.sigmas()
        except ChordError as exc:
            raise ChordError(f"{path}: {where}: {exc}") from None
        chord_list.append(chord)
    if not chord_list:
        raise ChordError(f"{path}: no [[chords]] entries")
    radius = number(data, "radius_km", "top level") if "radius_km" in data else None
    event = ObservedOccultation(body, star, chord_list, radius,
                                number(data, "radius_sigma_km", "top level", 0.0),
                                number(data, "shape_sigma_km", "top level", 0.0),
                                star_sigma, star_corr, str(data.get("name", "occultation")),
                                number(data, "oblateness", "top level", 0.0),
                                number(data, "pole_position_angle_deg", "top level", 0.0))
    try:
        event.limb
        event.body_shape()
    except ChordError as exc:
        raise ChordError(f"{path}: {exc}") from None
    side = data.get("side")
    if side not in SINGLE_CHORD_SIDES:
        raise ChordError(f"{path}: side must be +1 or -1 (or absent), not {side!r}")
    published = data.get("published")
    if published is not None and not isinstance(published, dict):
        raise ChordError(f"{path}: 'published' must be a table")
    fit_radius = data.get("fit_radius", False)
    if not isinstance(fit_radius, bool):
        raise ChordError(f"{path}: fit_radius: expected true or false, got {fit_radius!r}")
    return event, {"side": side, "fit_radius": fit_radius,
                   "published": None if published is None else _published(path, published),
                   "source": str(data.get("source", ""))}
