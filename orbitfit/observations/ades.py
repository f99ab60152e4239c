"""IAU ADES (Astrometry Data Exchange Standard) optical records, PSV and XML.

Field names and types from IAU-ADES/ADES-Master (xsd/general.xsd, tests/psv/validpsv/*):
  permID "Jupiter 13" (planet name + IAU number) or provID "S/2003 J 11"; stn (MPC code); mode ("CCD", "OCC" =
  occultation-derived, ...); obsTime ISO-8601 UTC with 'Z' (23:59:60 allowed on leap-second days); ra, dec in
  decimal degrees; rmsRA (arcsec, of RA*cos(Dec)), rmsDec (arcsec), rmsCorr; astCat; for observers without a fixed
  site sys/ctr/pos1/pos2/pos3: sys ICRF_KM or ICRF_AU with ctr 399 = geocentric x, y, z; sys WGS84 = E longitude
  (deg), latitude (deg), altitude (m).
Occultation astrometry (MPC): stn 244 = geocentric occultation observation (the position is geocentric: stored with
observer "500"), stn 275 = non-geocentric occultation observation (position of the reference point in sys/pos).
Offset records (deltaRA/deltaDec: a moon relative to its planet) and radar records are rejected.
"""
from __future__ import annotations

import math
import os
import re
from xml.parsers import expat

import erfa

from dynamics.constants import AU_KM

from ..bodies import PLANET_INDEX, normalize_provisional, provisional_naif, satellite_naif
from .core import (ADES_CATALOG_NAMES, GEOCENTRE, MAS_PER_ARCSEC, RECORD_ERRORS, ObservationFormatError,
                   ReadReport, Records, Reject, Rejection, calendar_time_to_jd, julian_day_number, number,
                   optional_number, record_error_reason)
from .frames import geodetic_to_gcrs_km

DATASET = "ades"
GEOCENTRIC_OCCULTATION = "244"
_PERM_SATELLITE = re.compile(r"^(Mars|Jupiter|Saturn|Uranus|Neptune) (\d{1,3})$")
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}(?:\.\d{1,9})?)Z$")


def ades_naif(rec: dict) -> int:
    perm, prov = rec.get("permID", "").strip(), rec.get("provID", "").strip()
    m = _PERM_SATELLITE.match(perm)
    if m:
        return satellite_naif(PLANET_INDEX[m.group(1)[0]], int(m.group(2)))
    if not perm and prov:
        designation = normalize_provisional(prov)
        if designation:
            return provisional_naif(designation)
    raise Reject(f"permID {perm!r} / provID {prov!r}: not a natural satellite")


def ades_time(text: str) -> tuple[float, float]:
    """obsTime "2017-03-31T06:44:00.000Z" (UTC) -> (JD of 0h, fraction of day); handles 23:59:60 leap seconds."""
    m = _TIME.match(text.strip())
    if not m:
        raise Reject(f"obsTime: expected YYYY-MM-DDThh:mm:ss.sssZ, got {text.strip()!r}")
    if float(m.group(6)) < 60.0:
        return calendar_time_to_jd(*m.groups())
    # a leap second: only 23:59:60.x on a day whose TAI-UTC grows by one second at its end
    y, mo, d = (int(g) for g in m.groups()[:3])
    next_day = erfa.jd2cal(julian_day_number(y, mo, d) - 0.5, 1.0)
    if not (m.group(4, 5) == ("23", "59") and float(m.group(6)) < 61.0
            and erfa.dat(*next_day[:3], 0.0) - erfa.dat(y, mo, d, 0.0) == 1.0):
        raise Reject(f"obsTime {text.strip()!r}: second 60 outside a leap second")
    d1, d2 = erfa.dtf2d("UTC", y, mo, d, 23, 59, float(m.group(6)))
    return d1, d2


def _observer_position(rec: dict, jd1: float, jd2: float) -> dict:
    """Explicit observer position from sys/ctr/pos1-3, or {} when the record gives none."""
    system = rec.get("sys", "").strip()
    if not system:
        return {}
    pos = [number(rec.get(f"pos{i}", ""), f"pos{i}") for i in (1, 2, 3)]
    if system in ("ICRF_KM", "ICRF_AU"):
        if rec.get("ctr", "").strip() != "399":
            raise Reject(f"sys {system} with ctr {rec.get('ctr', '')!r}: only geocentric (399) positions supported")
        scale = 1.0 if system == "ICRF_KM" else AU_KM
        return dict(xyz_km=tuple(p * scale for p in pos), obs_frame="geocentric")
    if system == "WGS84":
        lon, lat, alt = pos
        if not (-180.0 <= lon <= 360.0 and -90.0 <= lat <= 90.0 and -500.0 < alt < 10000.0):
            raise Reject(f"WGS84 site lon {lon}, lat {lat}, alt {alt} m: out of range")
        return dict(xyz_km=geodetic_to_gcrs_km(lon, lat, alt, jd1, jd2), obs_frame="geocentric")
    raise Reject(f"observer position system {system!r} not supported")


def parse_ades_record(rec: dict, lineno: int, records: Records):
    """One ADES optical observation (a dict of field -> text) into `records`."""
    if any(rec.get(k, "").strip() for k in ("deltaRA", "deltaDec", "dist", "pa")):
        raise Reject("offset observation (position relative to another body) not supported")
    if not (rec.get("ra", "").strip() and rec.get("dec", "").strip()):
        raise Reject("no ra/dec (radar or offset record)")
    body = ades_naif(rec)
    jd1, jd2 = ades_time(rec.get("obsTime", ""))
    station = rec.get("stn", "").strip()
    observer = GEOCENTRE if station == GEOCENTRIC_OCCULTATION else station
    mode = rec.get("mode", "").strip().upper()
    catalog = rec.get("astCat", "").strip()
    corr = optional_number(rec.get("rmsCorr", ""), "rmsCorr")
    records.add(line=lineno, body=body, jd1=jd1, jd2=jd2, scale="utc", observer=observer,
                ra_deg=number(rec["ra"], "ra"), dec_deg=number(rec["dec"], "dec"),
                sigma_ra_mas=optional_number(rec.get("rmsRA", ""), "rmsRA") * MAS_PER_ARCSEC,
                sigma_dec_mas=optional_number(rec.get("rmsDec", ""), "rmsDec") * MAS_PER_ARCSEC,
                corr=0.0 if math.isnan(corr) else corr,
                kind="occultation" if mode == "OCC" else "optical",
                catalog=ADES_CATALOG_NAMES.get(catalog, catalog), **_observer_position(rec, jd1, jd2))


# --- PSV ----------------------------------------------------------------------------------------------------------
REQUIRED_PSV = ("stn", "obsTime")


def _psv_header(line: str, lineno: int, name: str) -> list:
    fields = [f.strip() for f in line.split("|")]
    missing = [f for f in REQUIRED_PSV if f not in fields]
    if missing or not ({"permID", "provID"} & set(fields)):
        raise ObservationFormatError(f"{name}:{lineno}: expected an ADES PSV header line with permID or provID, "
                                     f"{', '.join(REQUIRED_PSV)}, got {line.strip()[:80]!r}")
    return fields


def read_ades_psv(path):
    name = os.path.basename(path)
    records, report = Records(name, DATASET), ReadReport()
    fields, in_data = None, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] in "#!":
                if in_data:                     # a new obsBlock: its own header line follows
                    fields, in_data = None, False
                continue
            if fields is None:
                fields = _psv_header(line, lineno, name)
                continue
            in_data = True
            report.read += 1
            values = [v.strip() for v in line.split("|")]
            try:
                if len(values) != len(fields):
                    raise Reject(f"expected {len(fields)} '|'-separated fields, got {len(values)}")
                parse_ades_record(dict(zip(fields, values)), lineno, records)
            except RECORD_ERRORS as exc:
                report.rejected.append(Rejection(name, lineno, record_error_reason(exc)))
    if fields is None and report.read == 0:
        raise ObservationFormatError(f"{name}:1: expected an ADES PSV header line, got none")
    return report.finish(name, records)


# --- XML ----------------------------------------------------------------------------------------------------------
_OBSERVATION_TAGS = ("optical", "radar")


def _xml_observations(data: bytes, name: str) -> list:
    """(line, tag, {field: text}) of every <optical>/<radar> element, with expat's line numbers."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    found, state = [], {"current": None, "field": None, "text": [], "root": None}

    def start(tag, attrs):
        if state["root"] is None:
            state["root"] = (tag, parser.CurrentLineNumber)
        if tag in _OBSERVATION_TAGS:
            state["current"] = (parser.CurrentLineNumber, tag, {})
        elif state["current"] is not None:
            state["field"], state["text"] = tag, []

    def end(tag):
        current = state["current"]
        if tag in _OBSERVATION_TAGS and current is not None:
            found.append(current)
            state["current"] = None
        elif current is not None and tag == state["field"]:
            current[2][tag] = "".join(state["text"]).strip()
            state["field"] = None

    def chars(text):
        if state["field"] is not None:
            state["text"].append(text)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ObservationFormatError(f"{name}:{exc.lineno}: expected well-formed ADES XML, got "
                                     f"{expat.ErrorString(exc.code)}") from None
    except (LookupError, ValueError) as exc:      # e.g. an unknown encoding named in the XML declaration
        raise ObservationFormatError(f"{name}:{parser.CurrentLineNumber or 1}: expected well-formed ADES XML, "
                                     f"got {exc}") from None
    if state["root"] is None or state["root"][0] != "ades":
        got = state["root"][0] if state["root"] else "no element"
        raise ObservationFormatError(f"{name}:{state['root'][1] if state['root'] else 1}: expected root element "
                                     f"<ades>, got <{got}>")
    return found


def read_ades_xml(path):
    name = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    records, report = Records(name, DATASET), ReadReport()
    for lineno, tag, rec in _xml_observations(data, name):
        report.read += 1
        try:
            if tag == "radar":
                raise Reject("radar observation (not supported)")
            parse_ades_record(rec, lineno, records)
        except RECORD_ERRORS as exc:
            report.rejected.append(Rejection(name, lineno, record_error_reason(exc)))
    return report.finish(name, records)


def read_ades(path):
    """Read an ADES file, XML (starts with '<') or PSV. Returns (Observations, ReadReport)."""
    with open(path, "rb") as f:
        head = f.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return read_ades_xml(path) if head.startswith(b"<") else read_ades_psv(path)
