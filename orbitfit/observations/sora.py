"""Astrometric positions from stellar occultations as SORA writes them (Gomes-Junior et al. 2022, MNRAS 511, 1167).

SORA's `Occultation.new_astrometric_position()` prints, and `Occultation.to_log()` writes after the fitted ellipse
(riogroup/SORA, sora/occultation/core.py):

    Stellar occultation of star Gaia-DR3 6872... by Europa.          (first line of to_log)
    ...
    Astrometric object position at time 2019-06-04 02:26:00.000 for reference 'geocenter'
    RA = 17 16 59.8940000 +/- 1.100 mas; DEC = -22 28 06.537500 +/- 1.100 mas

The time is `Time.iso` of the occultation epoch (UTC); RA/Dec are ICRS (the star's frame); the errors combine the
ellipse-centre and star-position uncertainties along RA*cos(Dec) and Dec (no correlation is printed). SORA
versions up to 0.2 omit "for reference ..." and always use the geocentre. Confirmed from SORA's source code only:
no log file written by SORA was available to check against.
"""
from __future__ import annotations

import os
import re

from ..bodies import NAIF_BY_NAME
from .core import (GEOCENTRE, RECORD_ERRORS, ObservationFormatError, ReadReport, Records, Reject, Rejection,
                   calendar_time_to_jd, catalog_from_text, number, record_error_reason, sexagesimal_dec,
                   sexagesimal_ra)

DATASET = "sora"
_HEADER = re.compile(r"^Stellar occultation of star (?P<star>.*?) by (?P<body>.+?)\.\s*$")
_POSITION = re.compile(r"^Astrometric object position at time (?P<date>\d{4})-(?P<month>\d\d)-(?P<day>\d\d) "
                       r"(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d(?:\.\d*)?)(?: for reference (?P<ref>.+?))?\s*$")
_RADEC = re.compile(r"^RA = (?P<ra>[^+]+?) \+/- (?P<era>\S+) mas; DEC = (?P<dec>.+?) \+/- (?P<edec>\S+) mas\s*$")
_GEOCENTER_NAMES = ("'geocenter'", '"geocenter"', "geocenter")


def _body_from_name(text: str) -> int | None:
    """NAIF id from a SORA body name ("Europa", "(502) Europa", "Himalia")."""
    for word in re.findall(r"[A-Za-z]+", text):
        if word.lower() in NAIF_BY_NAME:
            return NAIF_BY_NAME[word.lower()]
    m = re.search(r"\b(5\d\d)\b", text)
    return int(m.group(1)) if m else None


def _parse_position(m_pos, m_radec, lineno, body, catalog, records):
    reference = (m_pos.group("ref") or "'geocenter'").strip()
    if reference not in _GEOCENTER_NAMES:
        raise Reject(f"reference observer {reference} not supported (only the geocenter)")
    jd1, jd2 = calendar_time_to_jd(*m_pos.group("date", "month", "day", "h", "m", "s"))
    records.add(line=lineno, body=body, jd1=jd1, jd2=jd2, scale="utc", observer=GEOCENTRE,
                ra_deg=sexagesimal_ra(m_radec.group("ra")), dec_deg=sexagesimal_dec(m_radec.group("dec")),
                sigma_ra_mas=number(m_radec.group("era"), "RA error"),
                sigma_dec_mas=number(m_radec.group("edec"), "Dec error"), kind="occultation", catalog=catalog)


def read_sora_occultation(path, body: int | None = None):
    """Read SORA occultation positions (log or printed text). Returns (Observations, ReadReport).

    The moon is taken from `body=` or from the log's "Stellar occultation of star ... by <name>." line.
    """
    name = os.path.basename(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [raw.rstrip("\r\n") for raw in f]
    records, report = Records(name, DATASET), ReadReport()
    current_body, catalog, header_line = body, "", 1
    for i, line in enumerate(lines):
        m = _HEADER.match(line.strip())
        if m:
            catalog = catalog_from_text(m.group("star"))
            header_line = i + 1
            if body is None:
                current_body = _body_from_name(m.group("body"))
            continue
        m_pos = _POSITION.match(line.strip())
        if not (m_pos or line.strip().startswith("Astrometric object position")):
            continue
        report.read += 1
        if current_body is None:
            raise ObservationFormatError(f"{name}:{header_line}: expected 'Stellar occultation of star ... by "
                                         f"<moon>.' naming a known moon, or body=<NAIF id>, got none")
        following = next((text for text in lines[i + 1:i + 3] if text.strip()), "")
        try:
            m_radec = _RADEC.match(following.strip())
            if not (m_pos and m_radec):
                raise Reject("expected 'Astrometric object position at time YYYY-MM-DD hh:mm:ss' followed by "
                             "'RA = ... +/- ... mas; DEC = ... +/- ... mas'")
            _parse_position(m_pos, m_radec, i + 1, current_body, catalog, records)
        except RECORD_ERRORS as exc:
            report.rejected.append(Rejection(name, i + 1, record_error_reason(exc)))
    if report.read == 0:
        raise ObservationFormatError(f"{name}:1: expected SORA 'Astrometric object position at time ...' lines, "
                                     f"got none")
    return report.finish(name, records)
