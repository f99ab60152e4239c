"""MPC astrometry: the 80-column optical format, and the CSV files derived from MPC publications in data/.

80-column layout (MPC "Format for optical astrometric observations of comets, minor planets and natural
satellites"; second-line layouts as in IAU-ADES/ADES-Master Python/bin/mpc80coltoxml.py):
   1-5  natural satellite: planet letter, 3-digit number, 'S' ("J044S" = Jupiter XLIV)
   5-12 provisional satellite designation packed as 'S' + century letter + year + planet + number + '0'
        ("    SK03J110" = S/2003 J 11)
   15   note 2 / observation type ('S'/'s' space-based pair, 'V'/'v' roving pair, 'E' occultation-derived,
        'A' B1950 reduction, 'X'/'x' deleted, 'R'/'r' radar, 'O' offset)
   16-32 UTC date "YYYY MM DD.dddddd"; 33-44 RA "HH MM SS.ddd"; 45-56 Dec "sDD MM SS.dd"
   72   star-catalogue code; 78-80 observatory code
 second line of a space-based observation ('s'): 33 units ('1' km, '2' AU); 35-45, 47-57, 59-69 geocentric x, y, z
 second line of a roving observation ('v'): 35-44 E longitude (deg), 46-55 latitude (deg), 57-61 altitude (m)
"""
from __future__ import annotations

import csv
import os
import re

from dynamics.constants import AU_KM

from ..bodies import PLANET_INDEX, provisional_naif, satellite_naif
from .core import (MPC_CATALOG_CODES, RECORD_ERRORS, ObservationFormatError, ReadReport, Records, Reject, Rejection,
                   check_file, record_error_reason)
from .fields import calendar_day_to_jd, integer, number, sexagesimal_dec, sexagesimal_ra
from .frames import fk4_to_icrs, geodetic_to_gcrs_km

DATASET = "mpc"
_HEADER = re.compile(r"^(COD|CON|OBS|MEA|TEL|NET|BND|COM|NUM|ACK|AC2) ")
_PERMANENT = re.compile(r"^([MJSUN])([0-9]{3})S$")
_PACKED_PROVISIONAL = re.compile(r"^S([IJK])([0-9][0-9])([MJSUN])([0-9][0-9])0$")
_CENTURY = {"I": 1800, "J": 1900, "K": 2000}
_REJECTED_TYPES = {"X": "deleted observation (note 'X')", "x": "deleted observation (note 'x')",
                   "R": "radar observation (not supported)", "r": "radar observation (not supported)",
                   "O": "offset observation, satellite relative to its planet (relative positions not supported)"}


def _col(line: str, first: int, last: int) -> str:
    """Columns first..last, 1-based inclusive, as in the MPC documentation."""
    return line[first - 1:last]


def mpc_designation_naif(field: str) -> int:
    """NAIF id from columns 1-12 of an 80-column record of a natural satellite."""
    m = _PERMANENT.match(field[0:5])
    if m:
        return satellite_naif(PLANET_INDEX[m.group(1)], int(m.group(2)))
    m = _PACKED_PROVISIONAL.match(field[4:12])
    if m and not field[0:4].strip():
        year = _CENTURY[m.group(1)] + int(m.group(2))
        return provisional_naif(f"S/{year} {m.group(3)} {int(m.group(4))}")
    raise Reject(f"columns 1-12 {field!r}: not a natural-satellite designation")


def _second_line_space(line2: str):
    """Geocentric position (km) from the second line of a space-based observation."""
    unit = _col(line2, 33, 33)
    if unit not in "12" or not unit.strip():
        raise Reject(f"second line column 33: expected '1' (km) or '2' (AU), got {unit!r}")
    scale = 1.0 if unit == "1" else AU_KM
    xyz = []
    for first, last, axis in ((35, 45, "x"), (47, 57, "y"), (59, 69, "z")):
        text = _col(line2, first, last).strip()
        if text[:1] not in "+-" or not text:
            raise Reject(f"second line {axis} (columns {first}-{last}): expected a signed number, got {text!r}")
        xyz.append(number(text[0] + text[1:].strip(), f"observer {axis}") * scale)
    return tuple(xyz)


def _second_line_rover(line2: str, jd1: float, jd2: float):
    """Geocentric GCRS position (km) of a roving observer from its second line."""
    lon = number(_col(line2, 35, 44), "rover longitude")
    lat = number(_col(line2, 46, 55), "rover latitude")
    alt = number(_col(line2, 57, 61), "rover altitude")
    if not (0.0 <= lon <= 360.0 and -90.0 <= lat <= 90.0 and -500.0 < alt < 10000.0):
        raise Reject(f"rover site lon {lon}, lat {lat}, alt {alt} m: out of range")
    return geodetic_to_gcrs_km(lon, lat, alt, jd1, jd2)


def _parse_pair(line: str, line2: str | None, lineno: int, records: Records):
    """One observation: an 80-column line and, for 'S'/'V' types, its second line."""
    kind_code = _col(line, 15, 15)
    if kind_code in _REJECTED_TYPES:
        raise Reject(_REJECTED_TYPES[kind_code])
    if kind_code in ("s", "v"):
        raise Reject(f"second line (type {kind_code!r}) without its first line")
    body = mpc_designation_naif(_col(line, 1, 12))
    jd1, jd2 = calendar_day_to_jd(_col(line, 16, 19), _col(line, 21, 22), _col(line, 24, 32))
    ra = sexagesimal_ra(_col(line, 33, 44))
    dec = sexagesimal_dec(_col(line, 45, 56))
    if kind_code == "A":      # reduced to B1950.0 (FK4): convert, never mix
        ra, dec = (float(v) for v in fk4_to_icrs(ra, dec, jd1, jd2))
    observer = _col(line, 78, 80)
    extra = {}
    if kind_code in ("S", "V"):
        if line2 is None:
            raise Reject(f"type {kind_code!r} observation without its second line")
        xyz = _second_line_space(line2) if kind_code == "S" else _second_line_rover(line2, jd1, jd2)
        extra = dict(xyz_km=xyz, obs_frame="geocentric")
    records.add(line=lineno, body=body, jd1=jd1, jd2=jd2, scale="utc", ra_deg=ra, dec_deg=dec, observer=observer,
                kind="occultation" if kind_code == "E" else "optical",
                catalog=MPC_CATALOG_CODES.get(_col(line, 72, 72), ""), **extra)


def _parse_record(line: str, line2: str | None, lineno: int, records: Records):
    """One record as read from the file (trailing blanks are often stripped by editors: padded to 80 columns)."""
    if len(line) > 80:
        raise Reject(f"{len(line)} columns (the format has 80)")
    _parse_pair(line.ljust(80), line2, lineno, records)


def _is_second_line_of(line: str, line2: str) -> bool:
    return (_col(line2, 15, 15) == _col(line, 15, 15).lower() and _col(line2, 1, 12) == _col(line, 1, 12)
            and _col(line2, 16, 32) == _col(line, 16, 32))


def read_mpc80(path):
    """Read MPC 80-column optical records (natural satellites). Returns (Observations, ReadReport)."""
    name = check_file(path)
    records, report = Records(name, DATASET), ReadReport()
    with open(path, encoding="ascii", errors="replace") as f:
        lines = [raw.rstrip("\r\n") for raw in f]
    i = 0
    while i < len(lines):
        line, lineno = lines[i], i + 1
        i += 1
        if not line.strip() or _HEADER.match(line):
            continue
        line2 = None
        if line[14:15] in ("S", "V") and len(line) <= 80 and i < len(lines) and len(lines[i]) <= 80 and \
                _is_second_line_of(line.ljust(80), lines[i].ljust(80)):
            line2, i = lines[i].ljust(80), i + 1
        report.attempt(name, lineno, _parse_record, line, line2, lineno, records)
    return report.finish(name, records)


# --- CSV ----------------------------------------------------------------------------------------------------------
REQUIRED_CSV = ("utc_date", "ra_hms", "dec_dms", "obs_code")
RADEC_CONSISTENCY_DEG = 1e-6     # ra_deg/dec_deg columns are printed to 1e-7 deg; strings to 0.01 s / 0.1"


def _field_names(text):
    """CSV header fields without unit/format annotations: "utc_date(YYYY-MM-DD.ddddd)" -> "utc_date"."""
    return [f.split("(")[0].strip() for f in next(csv.reader([text]))]


def _csv_header(path, lines):
    """Column names (from the last '#' line naming utc_date, or a first non-comment header) and comment text."""
    name = os.path.basename(path)
    comments, header = [], None
    for lineno, line in enumerate(lines, start=1):
        if line.startswith("#"):
            comments.append(line)
            fields = _field_names(line.lstrip("#"))
            if "utc_date" in fields:
                header = (fields, lineno)
        elif line.strip():
            if "utc_date" in line:
                header = (_field_names(line), lineno)
            break
    if header is None:
        raise ObservationFormatError(f"{name}:1: expected a CSV header naming {', '.join(REQUIRED_CSV)}, "
                                     f"got no line with 'utc_date'")
    missing = [c for c in REQUIRED_CSV if c not in header[0]]
    if missing:
        raise ObservationFormatError(f"{name}:{header[1]}: expected columns {', '.join(REQUIRED_CSV)}, "
                                     f"missing {', '.join(missing)}")
    return header, "\n".join(comments)


def _csv_body(fields, row, default_body):
    if "sat_num" in fields:
        n = integer(row["sat_num"], "sat_num")
        if not 1 <= n <= 99:
            raise Reject(f"sat_num {n}: not a Jovian satellite number")
        return satellite_naif(5, n)          # the files number Jupiter's moons by IAU number (6 = Himalia)
    return default_body


def _parse_csv_row(fields, values, lineno, default_body, records):
    if len(values) != len(fields):
        raise Reject(f"expected {len(fields)} comma-separated fields, got {len(values)}")
    row = dict(zip(fields, (v.strip() for v in values)))
    date = row["utc_date"].split("-")
    if len(date) != 3:
        raise Reject(f"utc_date: expected YYYY-MM-DD.ddddd, got {row['utc_date']!r}")
    jd1, jd2 = calendar_day_to_jd(*date)
    ra, dec = sexagesimal_ra(row["ra_hms"]), sexagesimal_dec(row["dec_dms"])
    # The derived degrees must agree with the published strings: a disagreement means a corrupted row.
    for column, value in (("ra_deg", ra), ("dec_deg", dec)):
        if row.get(column):
            if abs(number(row[column], column) - value) > RADEC_CONSISTENCY_DEG:
                raise Reject(f"{column} {row[column]} disagrees with the sexagesimal position ({value:.7f})")
    records.add(line=lineno, body=_csv_body(fields, row, default_body), jd1=jd1, jd2=jd2, scale="utc",
                ra_deg=ra, dec_deg=dec, observer=row["obs_code"])


def read_mpc_csv(path, body: int | None = None):
    """Read the MPC-derived CSV files (DERIVED_mpc_astrometry_*.csv, kallichore_nsdb_astrometry.csv).

    The moon comes from a `sat_num` column (Jovian IAU number), else from `body=`, else from "NAIF <id>" in the
    file's comment lines. Returns (Observations, ReadReport).
    """
    name = check_file(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [raw.rstrip("\r\n") for raw in f]
    (fields, header_line), comments = _csv_header(path, lines)
    if body is None and "sat_num" not in fields:
        m = re.search(r"NAIF\s+([0-9]{3,})", comments)
        if not m:
            raise ObservationFormatError(f"{name}:{header_line}: expected a sat_num column, body=<NAIF id> or "
                                         f"'NAIF <id>' in the comments, got none")
        body = int(m.group(1))
    records, report = Records(name, DATASET), ReadReport()
    for lineno, line in enumerate(lines, start=1):
        if lineno <= header_line or not line.strip():
            continue
        # A comment after the header with as many fields as a row is a row whose first byte was damaged: counted
        # and rejected, never skipped as a comment.
        if line.startswith("#") and line.count(",") != len(fields) - 1:
            continue
        report.read += 1
        try:
            if line.startswith("#"):
                raise Reject("a row starting with '#' (a damaged first byte, or a commented-out record)")
            _parse_csv_row(fields, next(csv.reader([line])), lineno, body, records)
        except (csv.Error, *RECORD_ERRORS) as exc:
            report.rejected.append(Rejection(name, lineno, record_error_reason(exc)))
    return report.finish(name, records)


__all__ = ["read_mpc80", "read_mpc_csv", "mpc_designation_naif"]
