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

Every element and field name must be one the ADES schema defines (`ADES_RECORD_FIELDS`, ...): an unknown name
(`<opticaI>`, a PSV header "rmsRa") is an ObservationFormatError naming the file and line, with the closest known
name, never a record read without the field it was meant to give.
"""
from __future__ import annotations

import codecs
import difflib
import math
import os
import re
from xml.parsers import expat

import erfa

from dynamics.constants import AU_KM

from ..bodies import PLANET_INDEX, normalize_provisional, provisional_naif, satellite_naif
from .core import (ADES_CATALOG_NAMES, GEOCENTRE, MAS_PER_ARCSEC, ObservationFormatError, ReadReport, Records, Reject,
                   check_file)
from .fields import calendar_time_to_jd, julian_day_number, number, optional_number
from .frames import geodetic_to_gcrs_km

DATASET = "ades"
GEOCENTRIC_OCCULTATION = "244"
_PERM_SATELLITE = re.compile(r"^(Mars|Jupiter|Saturn|Uranus|Neptune) ([0-9]{1,3})$")
_TIME = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]{1,9})?)Z$")


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


# --- the ADES vocabulary -----------------------------------------------------------------------------------------
# Element names of ADES 2022, IAU-ADES/ADES-Master xsd/general.xsd (the 2017 names are a subset). The fields of the
# observation records (optical, offset, occultation, radar and the residual records), which are also the PSV
# header names; this reader uses permID, provID, mode, stn, sys, ctr, pos1-3, obsTime, ra, dec, rmsRA, rmsDec,
# rmsCorr, astCat (and deltaRA, deltaDec, dist, pa to reject offsets); the others are accepted and not read.
ADES_RECORD_FIELDS = frozenset("""
    permID provID artSat trkSub obsID obsSubID trkID trkMPC mode stn trx rcv sys ctr pos1 pos2 pos3 vel1 vel2 vel3
    posCov11 posCov12 posCov13 posCov22 posCov23 posCov33 prog obsTime rmsTime ra dec raStar decStar obsCenter
    deltaRA deltaDec dist pa rmsRA rmsDec rmsDist rmsPA rmsCorr delay rmsDelay doppler rmsDoppler astCat mag rmsMag
    band fltr photCat photAp nucMag logSNR shapeOcc seeing exp rmsFit nStars com frq ref disc subFrm subFmt precTime
    precRA precDec uncTime notes remarks deprecated localUse orbProd orbID resRA resDec selAst sigRA sigDec sigCorr
    sigTime biasRA biasDec biasTime photProd resMag selPhot sigMag biasMag photMod resDelay selDelay sigDelay
    resDoppler selDoppler sigDoppler""".split())
# The elements of <obsContext> (ObservatoryType, SubmitterType, NamesType, TelescopeType, SoftwareType, CommentType).
ADES_CONTEXT_ELEMENTS = frozenset("""
    observatory mpcCode name submitter institution observers measurers telescope design aperture detector fRatio
    filter arraySize pixelScale software astrometry fitOrder photometry objectDetection coinvestigators
    collaborators fundingSource comment line""".split())
ADES_RECORDS = ("optical", "offset", "occultation", "radar", "opticalResidual", "radarResidual")
_UNSUPPORTED_RECORDS = {
    "offset": "offset record (position relative to another body) not supported",
    "occultation": "occultation record (star position and offset) not supported; give the moon's position",
    "radar": "radar observation (not supported)",
    "opticalResidual": "residual record (no measured position)",
    "radarResidual": "residual record (no measured position)"}


def did_you_mean(name: str, known) -> str:
    """" (did you mean X?)" for the closest known name, or ""."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _unknown(name: str, known) -> str:
    return f"unknown ADES name {name[:40]!r}{did_you_mean(name, known)}"


# --- PSV ----------------------------------------------------------------------------------------------------------
REQUIRED_PSV = ("stn", "obsTime")


def _psv_header(line: str, lineno: int, name: str) -> list:
    fields = [f.strip() for f in line.split("|")]
    missing = [f for f in REQUIRED_PSV if f not in fields]
    if missing or not ({"permID", "provID"} & set(fields)):
        raise ObservationFormatError(f"{name}:{lineno}: expected an ADES PSV header line with permID or provID, "
                                     f"{', '.join(REQUIRED_PSV)}, got {line.strip()[:80]!r}")
    for i, field_name in enumerate(fields):
        if field_name not in ADES_RECORD_FIELDS:
            raise ObservationFormatError(f"{name}:{lineno}: expected ADES field names in the header, got "
                                         f"{_unknown(field_name, ADES_RECORD_FIELDS)}")
        if field_name in fields[:i]:
            raise ObservationFormatError(f"{name}:{lineno}: header field {field_name!r} given twice")
    return fields


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
              (codecs.BOM_UTF16_BE, "utf-16"))


def _wide_encoding(head: bytes) -> str | None:
    """"utf-16"/"utf-32" when the bytes start with that byte-order mark (UTF-32 LE's starts like UTF-16 LE's)."""
    return next((codec for bom, codec in _WIDE_BOMS if head.startswith(bom)), None)


def _psv_record(fields, line, lineno, records):
    values = [v.strip() for v in line.split("|")]
    if len(values) != len(fields):
        raise Reject(f"expected {len(fields)} '|'-separated fields, got {len(values)}")
    parse_ades_record(dict(zip(fields, values)), lineno, records)


def _commented_record():
    raise Reject("a '#'/'!' line holding '|' (ADES text never does): a data record whose first byte was damaged")


def read_ades_psv(path):
    name = check_file(path)
    records, report = Records(name, DATASET), ReadReport()
    with open(path, "rb") as f:
        codec = _wide_encoding(f.read(4))
    if codec:
        raise ObservationFormatError(f"{name}:1: expected ADES PSV in UTF-8, got {codec.upper()} (byte-order mark)")
    fields, in_data = None, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] in "#!":
                if "|" in stripped:             # a record, not a comment: count it, never skip it
                    report.attempt(name, lineno, _commented_record)
                elif in_data:                   # a new obsBlock: its own header line follows
                    fields, in_data = None, False
                continue
            if fields is None:
                fields = _psv_header(line, lineno, name)
                continue
            in_data = True
            report.attempt(name, lineno, _psv_record, fields, line, lineno, records)
    if fields is None and report.read == 0:
        raise ObservationFormatError(f"{name}:1: expected an ADES PSV header line, got none")
    if not in_data and report.read == 0:
        raise ObservationFormatError(f"{name}:1: expected ADES records after the header line, got none")
    return report.finish(name, records)


# --- XML ----------------------------------------------------------------------------------------------------------
class _XmlRecords:
    """expat handlers collecting (line, tag, {field: text}, duplicated field names) of every observation record and
    checking each element name against the ADES schema (an unknown name is an ObservationFormatError)."""

    def __init__(self, parser, name):
        self.parser, self.name = parser, name
        self.found, self.stack, self.record, self.text, self.root_line = [], [], None, [], 1
        self.error = None

    def fail(self, what):
        """Keep the first schema error; it is raised once expat has read the whole file, so that a file that is
        not well-formed XML at all is reported as such."""
        if self.error is None:
            self.error = ObservationFormatError(f"{self.name}:{self.parser.CurrentLineNumber}: {what}")

    def _allowed(self, parent):
        if parent in ("ades", "obsData"):
            return ADES_RECORDS + (("obsBlock",) if parent == "ades" else ())
        if parent == "obsBlock":
            return ("obsContext", "obsData")
        if "obsContext" in self.stack:
            return sorted(ADES_CONTEXT_ELEMENTS)
        if parent in ADES_RECORDS:
            return ADES_RECORD_FIELDS
        return ()                                   # a field holds text only

    def start(self, tag, attrs):
        if not self.stack:
            if tag != "ades":
                self.fail(f"expected root element <ades>, got <{tag[:40]}>")
            self.root_line = self.parser.CurrentLineNumber
        elif "localUse" not in self.stack:          # localUse: any content (schema: processContents="lax")
            parent = self.stack[-1]
            if tag in ADES_RECORDS and self.record is not None:
                self.fail(f"<{tag}> inside <{parent}>: expected </{self.record[1]}> (line {self.record[0]}) first")
            allowed = self._allowed(parent)
            if tag not in allowed:
                known = ADES_RECORD_FIELDS | ADES_CONTEXT_ELEMENTS | set(ADES_RECORDS) | {"obsBlock", "obsData"}
                got = f"<{tag}>" if tag in known else _unknown(tag, allowed or known)
                wanted = "an ADES field" if allowed is ADES_RECORD_FIELDS else ", ".join(allowed) or "text only"
                self.fail(f"expected {wanted} in <{parent}>, got {got}")
            if tag in ADES_RECORDS:
                self.record = (self.parser.CurrentLineNumber, tag, {}, [])
            self.text = []
        self.stack.append(tag)

    def end(self, tag):
        self.stack.pop()
        if "localUse" in self.stack:
            return
        if tag in ADES_RECORDS and self.record is not None and self.record[1] == tag:
            self.found.append(self.record)
            self.record = None
        elif self.record is not None and self.stack and self.stack[-1] == self.record[1]:
            fields = self.record[2]
            if tag in fields:
                self.record[3].append(tag)
            fields[tag] = "".join(self.text).strip()

    def chars(self, text):
        if self.record is not None and self.stack[-1] in ADES_RECORD_FIELDS:
            self.text.append(text)
        elif text.strip() and not ({"obsContext", "localUse"} & set(self.stack)):
            self.fail(f"expected elements only in <{self.stack[-1]}>, got text {text.strip()[:40]!r}")


def _xml_observations(data: bytes, name: str) -> list:
    """(line, tag, {field: text}, duplicated fields) of every observation record, with expat's line numbers."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    handler = _XmlRecords(parser, name)
    parser.StartElementHandler, parser.EndElementHandler = handler.start, handler.end
    parser.CharacterDataHandler = handler.chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ObservationFormatError(f"{name}:{exc.lineno}: expected well-formed ADES XML, got "
                                     f"{expat.ErrorString(exc.code)}") from None
    except (LookupError, ValueError) as exc:      # e.g. an unknown encoding named in the XML declaration
        raise ObservationFormatError(f"{name}:{parser.CurrentLineNumber or 1}: expected well-formed ADES XML, "
                                     f"got {exc}") from None
    if handler.error is not None:
        raise handler.error
    if not handler.found:
        raise ObservationFormatError(f"{name}:{handler.root_line}: expected ADES observation records "
                                     f"(<optical>, ...), got none")
    return handler.found


def _xml_record(lineno, tag, rec, duplicated, records):
    if tag in _UNSUPPORTED_RECORDS:
        raise Reject(_UNSUPPORTED_RECORDS[tag])
    if duplicated:
        raise Reject(f"field <{duplicated[0]}> given twice in one record")
    parse_ades_record(rec, lineno, records)


def read_ades_xml(path):
    name = check_file(path)
    with open(path, "rb") as f:
        data = f.read()
    records, report = Records(name, DATASET), ReadReport()
    for lineno, tag, rec, duplicated in _xml_observations(data, name):
        report.attempt(name, lineno, _xml_record, lineno, tag, rec, duplicated, records)
    return report.finish(name, records)


def read_ades(path):
    """Read an ADES file: .xml as XML, .psv as PSV, else XML if it starts with '<' (in UTF-8, -16 or -32), else
    PSV. Returns (Observations, ReadReport)."""
    name = check_file(path)
    ext = os.path.splitext(name)[1].lower()
    if ext in (".xml", ".psv"):
        return read_ades_xml(path) if ext == ".xml" else read_ades_psv(path)
    with open(path, "rb") as f:
        head = f.read(512)
    text = head.decode(_wide_encoding(head) or "utf-8-sig", errors="ignore")
    return read_ades_xml(path) if text.lstrip().startswith("<") else read_ades_psv(path)
