"""Gomes-Junior et al. 2015 (A&A 580, A76; CDS J/A+A/580/A76): one fixed-width file of positions per moon.

Byte layout from the catalogue's ReadMe (data/gj15/ReadMeCT.txt, "Byte-by-byte Description of file: tables/*"):
  2-3 RAh, 5-6 RAm, 8-14 RAs; 16 sign; 17-18 DEd, 20-21 DEm, 23-28 DEs   (ICRS via UCAC4, topocentric)
  30-33 e_RA (mas), 35-38 e_DE (mas)    night-by-night dispersion of the offsets; the paper's offsets are
                                         Delta(alpha)cos(delta), so e_RA is read as the sigma of RA*
  40-55 JD (UTC, mid-exposure), 57-60 mag, 62-63 filter, 65-66 telescope, 68-70 IAU site code
The files carry no satellite column: the moon is named by the file (Himalia.dat ...), or given as `body=`.
"""
from __future__ import annotations

import os

from ..bodies import NAIF_BY_NAME
from .core import ObservationFormatError, ReadReport, Records, Reject, check_file
from .fields import dms_to_deg, hms_to_deg, jd_string_to_jd, optional_number

DATASET = "gj15"
CATALOG = "UCAC4"                 # ReadMe: "The UCAC4 catalogue represented the ICRS in the reductions"
RECORD_LENGTH = 70                # ReadMe "File Summary": Lrecl 70


def _slice(line: str, first: int, last: int) -> str:
    """Bytes first..last (1-based, inclusive) as in a CDS ReadMe."""
    return line[first - 1:last]


def _parse_line(line: str, lineno: int, body: int, records: Records):
    if len(line) < 55:
        raise Reject(f"record too short ({len(line)} bytes; RA, Dec and JD need 55)")
    if len(line) > RECORD_LENGTH:
        raise Reject(f"record longer than {RECORD_LENGTH} bytes")
    ra = hms_to_deg(_slice(line, 2, 3), _slice(line, 5, 6), _slice(line, 8, 14))
    sign = _slice(line, 16, 16)
    if sign not in "+-":
        raise Reject(f"byte 16: expected the Dec sign '+' or '-', got {sign!r}")
    dec = dms_to_deg(_slice(line, 17, 18), _slice(line, 20, 21), _slice(line, 23, 28), sign=sign)
    jd1, jd2 = jd_string_to_jd(_slice(line, 40, 55), "JD")
    site = _slice(line, 68, 70)
    if not site.strip():
        raise Reject("no IAU site code in bytes 68-70")
    records.add(line=lineno, body=body, jd1=jd1, jd2=jd2, scale="utc", ra_deg=ra, dec_deg=dec, observer=site,
                sigma_ra_mas=optional_number(_slice(line, 30, 33), "e_RA"),
                sigma_dec_mas=optional_number(_slice(line, 35, 38), "e_DE"), catalog=CATALOG)


def body_from_filename(path: str) -> int:
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    if stem not in NAIF_BY_NAME:
        raise ObservationFormatError(f"{os.path.basename(path)}:1: expected a GJ15 file named after its moon "
                                     f"(Himalia.dat, ...) or body=<NAIF id>, got file name {stem!r}")
    return NAIF_BY_NAME[stem]


def read_gj15(path, body: int | None = None):
    """Read one GJ15 table (e.g. data/gj15/Himalia.dat). Returns (Observations, ReadReport)."""
    name = check_file(path)
    body = body_from_filename(path) if body is None else int(body)
    records, report = Records(name, DATASET), ReadReport()
    with open(path, encoding="ascii", errors="replace") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            report.attempt(name, lineno, _parse_line, line, lineno, body, records)
    return report.finish(name, records)
