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

import difflib
import re

from ..bodies import NAIF_BY_NAME
from .core import (GEOCENTRE, RECORD_ERRORS, ObservationFormatError, ReadReport, Records, Reject, Rejection,
                   catalog_from_text, check_file, record_error_reason)
from .fields import calendar_time_to_jd, number, sexagesimal_dec, sexagesimal_ra

DATASET = "sora"
HEADER = "Stellar occultation of star "
KEYWORD = "Astrometric object position"
# Linear-time by construction: fixed-width fields, then one greedy group running to the end of the (stripped) line.
_POSITION = re.compile(r"^Astrometric object position at time ([0-9]{4})-([0-9]{2})-([0-9]{2}) "
                       r"([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]*)?)(?: for reference (.+))?$")
_GEOCENTER_NAMES = ("'geocenter'", '"geocenter"', "geocenter")
NEAR_MISS = 0.8       # difflib ratio above which a line start is taken for a damaged header or keyword


def _body_from_name(text: str) -> int | None:
    """NAIF id from a SORA body name ("Europa", "(502) Europa", "Himalia")."""
    for word in re.findall(r"[A-Za-z]+", text):
        if word.lower() in NAIF_BY_NAME:
            return NAIF_BY_NAME[word.lower()]
    m = re.search(r"\b(5[0-9][0-9])\b", text)
    return int(m.group(1)) if m else None


def _near(text: str, keyword: str) -> bool:
    """Whether a line starts with `keyword` or a damaged copy of it (a fixed-length comparison: linear overall)."""
    start = text[:len(keyword)]
    return start == keyword or difflib.SequenceMatcher(None, start, keyword).ratio() >= NEAR_MISS


def _header(text: str):
    """(star, body name) of "Stellar occultation of star <star> by <body>." (split at the first " by ", as
    SORA writes it), or None when the line is not exactly that."""
    if not (text.startswith(HEADER) and text.endswith(".")):
        return None
    star, sep, body = text[len(HEADER):-1].partition(" by ")
    return (star, body) if sep and body else None


def _radec(text: str):
    """(ra, sigma_ra, dec, sigma_dec) strings of "RA = <ra> +/- <e> mas; DEC = <dec> +/- <e> mas", else Reject."""
    ra_part, sep, dec_part = text[len("RA = "):].partition(" mas; DEC = ")
    ra, sep_ra, era = ra_part.partition(" +/- ")
    dec, sep_dec, edec = dec_part.rpartition(" +/- ")
    if not (text.startswith("RA = ") and sep and sep_ra and sep_dec and edec.endswith(" mas")):
        raise Reject("expected 'RA = ... +/- ... mas; DEC = ... +/- ... mas' after the position line")
    return ra, era, dec, edec[:-len(" mas")]


def _parse_position(m_pos, radec_line, lineno, body, catalog, records):
    reference = (m_pos.group(7) or "'geocenter'").strip()
    if reference not in _GEOCENTER_NAMES:
        raise Reject(f"reference observer {reference} not supported (only the geocenter)")
    ra, era, dec, edec = _radec(radec_line)
    jd1, jd2 = calendar_time_to_jd(*m_pos.groups()[:6])
    records.add(line=lineno, body=body, jd1=jd1, jd2=jd2, scale="utc", observer=GEOCENTRE,
                ra_deg=sexagesimal_ra(ra), dec_deg=sexagesimal_dec(dec), sigma_ra_mas=number(era, "RA error"),
                sigma_dec_mas=number(edec, "Dec error"), kind="occultation", catalog=catalog)


class _Event:
    """The latest "Stellar occultation of star ... by <moon>." header: where, which moon, and why it is unusable."""

    def __init__(self, line, body=None, catalog="", damage=""):
        self.line, self.body, self.catalog, self.damage, self.used_by = line, body, catalog, damage, None


def _event_from(text: str, line: int) -> _Event:
    parsed = _header(text)
    if parsed is None:
        return _Event(line, damage=f"expected 'Stellar occultation of star ... by <moon>.', got {text[:60]!r}")
    body = _body_from_name(parsed[1])
    damage = "" if body is not None else f"names no known moon ({parsed[1][:40]!r})"
    return _Event(line, body, catalog_from_text(parsed[0]), damage)


def _moon(event, body, lineno):
    """Moon and catalogue of the position at `lineno`, or Reject when its event header cannot give them."""
    if body is not None:
        return body, event.catalog if event else ""
    if event.damage:
        raise Reject(f"the event header at line {event.line} is damaged ({event.damage}): the moon is unknown")
    if event.used_by is not None:
        raise Reject(f"a second position after the event header at line {event.line} (the first is at line "
                     f"{event.used_by}): expected its own 'Stellar occultation of star ... by <moon>.' line")
    event.used_by = lineno
    return event.body, event.catalog


def read_sora_occultation(path, body: int | None = None):
    """Read SORA occultation positions (log or printed text). Returns (Observations, ReadReport).

    The moon is taken from `body=` or from the log's "Stellar occultation of star ... by <name>." line; with the
    moon from the log, each position needs its own such line (SORA writes one per event), so a damaged or missing
    header rejects the position instead of crediting it to the previous event's moon. A damaged position keyword,
    or an "RA = ..." line without its position line, is a rejected record too: no position vanishes unreported.
    """
    name = check_file(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [raw.strip() for raw in f]
    records, report = Records(name, DATASET), ReadReport()
    event, radec_lines = None, set()
    for i, line in enumerate(lines):
        if _near(line, HEADER):
            event = _event_from(line, i + 1)
            continue
        is_radec = line.startswith("RA =") or "mas; DEC" in line     # either survives one damaged byte
        if not (_near(line, KEYWORD) or (is_radec and i not in radec_lines)):
            continue
        if event is None and body is None:
            raise ObservationFormatError(f"{name}:1: expected 'Stellar occultation of star ... by <moon>.' "
                                         f"before the first position, or body=<NAIF id>, got none")
        report.read += 1
        try:
            if is_radec:
                raise Reject("an 'RA = ... DEC = ...' line without its 'Astrometric object position at time ...' "
                             "line (damaged keyword)")
            following = next((k for k in (i + 1, i + 2) if k < len(lines) and lines[k]), None)
            radec_lines.add(following)
            m_pos = _POSITION.match(line)
            if not m_pos:
                raise Reject("expected 'Astrometric object position at time YYYY-MM-DD hh:mm:ss'")
            moon, catalog = _moon(event, body, i + 1)
            _parse_position(m_pos, lines[following] if following else "", i + 1, moon, catalog, records)
        except RECORD_ERRORS as exc:
            report.rejected.append(Rejection(name, i + 1, record_error_reason(exc)))
    if report.read == 0:
        raise ObservationFormatError(f"{name}:1: expected SORA 'Astrometric object position at time ...' lines, "
                                     f"got none")
    return report.finish(name, records)
