"""NSDB (Natural Satellites Data Base, IMCCE/SAI; Emelyanov & Arlot 2008) data units: joNNNN.txt + joNNNN.html.

Each unit's .html says what its .txt holds ("Informations": frame, centre, equinox, time scale, reduction;
"Contents": satellites and observatories; "Format": a numbered list of the whitespace-separated columns). The
reader parses that description, maps every numbered column to a role by its wording (`classify_column`), decides
for the whole unit what it can and cannot read (`plan_unit`), then reads the lines:

* absolute astrometric J2000/ICRF positions, topocentric, geocentric or Gaia-centric: kept;
* B1950/FK4 positions: converted to ICRS (astropy FK4 -> ICRS at the observation epoch); "1950.0" is read as
  B1950.0 and said so in the report notes; the mean equinox of another year before 1984 ("1951.0", "1952.0": the
  Yale zone catalogues of jo0011 are in the FK3/FK4 system) as FK4 at that Besselian equinox, said so too; the
  equinox "of date" is rejected;
* relative positions, astrographic positions, unknown centres or time scales: the whole unit is rejected;
* UTC before 1960 (really UT): read as UT, TT = UT + Delta T (orbitfit.times.delta_t_seconds).

Satellite codes differ between units (IAU numbers, unit-local indices "311 = S/2003 J 11", yyyynn codes, NAIF
ids); `SatelliteResolver` reads the unit's own "Contents" list to map them.

This module is over 500 lines because the NSDB is not one format but ~100 self-described ones: reading the
description (sections, numbered columns), the wording rules that give each column its role, the unit plan and the
line reader are one chain that only makes sense together, and splitting it would scatter the rules a reader of a
rejected unit needs to see side by side.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from dynamics.constants import AU_KM

from ..bodies import UnknownBody, provisional_naif, satellite_naif
from .core import (GAIA, GEOCENTRE, MAS_PER_ARCSEC, RECORD_ERRORS, ObservationFormatError, ReadReport,
                   Records, Reject, Rejection, catalog_from_text, check_file, check_radec, record_error_reason)
from .fields import (calendar_day_to_jd, calendar_time_to_jd, clean_minus, dms_to_deg, hms_to_deg, integer,
                     jd_string_to_jd, number, split_decimal)
from .frames import fk4_to_icrs, tcb_to_tdb_coordinates

MAS_PER_1E5_DEG = 36.0            # 1e-5 deg = 0.036 arcsec (jo0013 "Unsertainty (10^-5 degrees)")


# --- the unit description (.html) ---------------------------------------------------------------------------------
@dataclass
class UnitDescription:
    unit: str
    satellites: str = ""
    observatory: str = ""
    reference: str = ""
    comments: str = ""
    info: dict = field(default_factory=dict)     # "relative to", "reference frame", "centre of frame", ...
    columns: list = field(default_factory=list)  # the numbered "Format" items, in order


_SECTION = re.compile(r"^\s*(Contents|References?|Informations|Comments|Format)\b\.?(.*)$")
_KEY = re.compile(r"[A-Za-z][A-Za-z .]*")       # a key, matched whole against the text before the first ':'


def _html_text(path: str) -> str:
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    # strip real tags only: descriptions contain bare '<' ("for declinations < -10 degrees", jo0018)
    # (?:\s*/)? rather than \s*/?\s*: two adjacent \s* made a '<' before a long blank run quadratic
    return re.sub(r"<(?:\s*/)?\s*[A-Za-z!][^<>]*>", "", text)


def parse_description(html_path: str) -> UnitDescription:
    """Sections of an NSDB unit description; raises ObservationFormatError when it has no Format list."""
    name = os.path.basename(html_path)
    desc = UnitDescription(os.path.splitext(name)[0])
    sections: dict = {}
    current = None
    for line in _html_text(html_path).splitlines():
        m = _SECTION.match(line)
        if m:
            current = m.group(1).rstrip("s") if m.group(1).startswith("Reference") else m.group(1)
            sections.setdefault(current, [])
            line = m.group(2)
        if current:
            sections[current].append(line)
    desc.info = _key_values(sections.get("Informations", []))
    contents = _key_values(sections.get("Contents", []))
    desc.satellites, desc.observatory = contents.get("satellites", ""), contents.get("observatory", "")
    desc.reference = " ".join(" ".join(sections.get("Reference", [])).split())
    desc.comments = " ".join(" ".join(sections.get("Comments", [])).split())
    desc.columns = _format_items(sections.get("Format", []))
    if not desc.columns:
        raise ObservationFormatError(f"{name}:1: expected a 'Format.' section with numbered columns, got none")
    return desc


def _key_values(lines) -> dict:
    """'key: value' lines with continuation lines appended to the previous value."""
    values, key = {}, None
    for line in lines:
        # partition, not one regex: "key<blanks>: value" as a regex backtracks quadratically on long blank runs
        before, colon, after = line.partition(":")
        candidate = before.strip()
        if colon and _KEY.fullmatch(candidate) and len(candidate) < 40:
            key = candidate.lower()
            values[key] = after.strip()
        elif key and line.strip():
            values[key] += "\n" + line.strip()
    return values


def _format_items(lines) -> list:
    items = []
    for line in lines:
        if re.match(r"^\s*-{5,}", line):
            break
        m = re.match(r"^\s*([0-9]+)\.\s*(.*)$", line)
        if m:
            items.append(m.group(2).strip())
        elif items and line.strip():
            items[-1] += " " + line.strip()
    return items


# --- column roles -------------------------------------------------------------------------------------------------
@dataclass
class Column:
    role: str | None                 # None: a column orbitfit does not use (magnitude, O-C, MPC reference, ...)
    sigma_scale: float = 1.0         # mas per unit, for sigma columns
    axis: int = -1                   # 0/1/2 for observer x/y/z
    xyz_scale: float = 1.0           # km per unit
    xyz_frame: str = ""
    equinox: str = ""                # "B1950" / "J2000" when the column says so (jo0017 has both)
    epoch_base: float = 0.0          # JD the "relative epoch" is counted from (Gaia units)


def _sigma_scale(d: str) -> float | None:
    if "10^-5 deg" in d:
        return MAS_PER_1E5_DEG
    if re.search(r"\bmas\b", d):
        return 1.0
    if "arcsec" in d:
        return MAS_PER_ARCSEC
    return None


def _angle_column(d: str, prefix: str, words: tuple, is_sigma: bool, equinox: str) -> Column:
    """Role of an item about one coordinate ("ra" or "dec"): its sigma, its sexagesimal parts (named by `words`,
    e.g. "hour", "minute", "second"), or its value in degrees; parallax and O-C columns are not used."""
    if is_sigma:
        return Column(f"sigma_{prefix}", sigma_scale=_sigma_scale(d) or 0.0)
    if re.search(r"parallax|residual|o-c", d):
        return Column(None)
    for word, part in zip(words, "hms" if prefix == "ra" else "dms"):
        if d.startswith(word):
            return Column(f"{prefix}_{part}", equinox=equinox)
    if re.search(r"\bdeg", d):
        return Column(f"{prefix}_deg", equinox=equinox)
    return Column(None)


def classify_column(text: str) -> Column:
    """Role of one numbered NSDB format item, from its wording."""
    d = " ".join(text.lower().split())
    equinox = "B1950" if "b1950" in d else ("J2000" if "j2000" in d else "")
    is_sigma = re.search(r"uncertaint|unsertaint|error", d) is not None
    # "Unsertainty in Delta(alpha) cos(delta)" (jo0017) is about RA: test "(alpha)" before any "delta"
    for about, prefix, words in (
            ("right ascension" in d or re.search(r"\bin alpha\b|\(alpha\)", d), "ra", ("hour", "minute", "second")),
            ("declination" in d or re.search(r"\bin delta\b", d), "dec", ("degree", "minute", "second"))):
        if about:
            return _angle_column(d, prefix, words, is_sigma, equinox)
    if is_sigma and re.match(r"^(uncertainty|unsertainty)\b", d):
        return Column("sigma_both", sigma_scale=_sigma_scale(d) or 0.0)
    m = re.search(r"\b([xyz]) (coordinate|position)\b", d)
    if m:
        frame = "barycentric" if "barycentric" in d else ("geocentric" if "geocentric" in d else "")
        scale = AU_KM if re.search(r"\bau\b", d) else (1.0 if re.search(r"\bkm\b", d) else 0.0)
        return Column("xyz", axis="xyz".index(m.group(1)), xyz_scale=scale, xyz_frame=frame)
    if "gaia-centric epoch" in d or "epoch_tcb" in d:
        base = re.search(r"relative to ([0-9]+\.?[0-9]*)", d)
        return Column("tcb_rel", epoch_base=float(base.group(1)) if base else 0.0)
    if re.match(r"^(satellite\b|(number|index) +of (the )?satellite|number of satellite|satellite id)", d) or \
            d.startswith("number of the satellite"):
        return Column("sat")
    if "julian date" in d or re.search(r"\bjd\b", d):
        return Column("jd")
    for word, role in (("year", "year"), ("month", "month"), ("day", "day"), ("date of", "day"),
                       ("hour", "hour"), ("minute", "minute"), ("second", "second")):
        if d.startswith(word):
            return Column(role)
    if "observatory" in d:
        return Column("obs")
    if ("catalog" in d or "catalogue" in d) and "number of" not in d:
        return Column("catalog")
    return Column(None)


# --- satellites ---------------------------------------------------------------------------------------------------
_DESIGNATION = re.compile(r"S/?\s*([0-9]{4})[\s_]*J[\s_]*0*([0-9]{1,3})")
_JNUMBER = re.compile(r"\bJ\s*-?\s*([0-9]{1,3})\b")


def _satellite_entries(text: str, counted: bool) -> list:
    """(code, IAU number, provisional designation) from a satellites list ("8 - S/2003 J 8 - Hegemone J-39: 14")."""
    text = " ".join(text.split())
    if counted and re.search(r":\s*[0-9]+", text):
        parts = re.split(r":\s*[0-9]+\s*[,;]?", text)
    else:
        parts = re.split(r"[,;(]", text)
    entries = []
    for part in parts:
        part = re.sub(r"^\s*\(.*?\)", "", part).strip(" .)")     # "( = S/1975 J 1) 4 - S/2000 J 4 ..." (jo1005)
        if not part or part.startswith("..."):
            continue
        m = re.match(r"^([0-9]{1,6})\s*-\s*(.*)$", part)
        code, rest = (int(m.group(1)), m.group(2)) if m else (None, part)
        designations = [f"S/{y} J {int(n)}" for y, n in _DESIGNATION.findall(rest)]
        jnum = _JNUMBER.search(_DESIGNATION.sub(" ", rest))
        jnum = int(jnum.group(1)) if jnum else None
        if jnum is None and not designations:
            continue
        entries.append((code if code is not None else jnum, jnum, designations[0] if designations else None))
    return entries


class SatelliteResolver:
    """Maps a unit's satellite codes to NAIF ids using the unit's own Contents (then its Format item)."""

    def __init__(self, desc: UnitDescription, sat_item: str):
        after_colon = sat_item.split(":", 1)[1] if ":" in sat_item else sat_item
        self.entries = _satellite_entries(desc.satellites, counted=True)
        self.codes: dict = {}
        for code, jnum, designation in self.entries + _satellite_entries(after_colon, counted=False):
            if code is not None and code not in self.codes:
                self.codes[code] = (jnum, designation)
        # A unit numbering its moons with its own indices (jo1003: 2 = S/2000 J 2 = J23) must not have a code it
        # does not list read as an IAU number.
        self.local = any(c >= 1 and (j != c) for c, (j, _) in self.codes.items())
        self.naif_codes = re.search(r"\b5[0-9][0-9]\s*-\s*[A-Za-z]", sat_item) is not None

    def naif(self, code: int) -> int:
        if self.naif_codes and 501 <= code <= 599:
            return code
        if code in self.codes:
            jnum, designation = self.codes[code]
            return satellite_naif(5, jnum) if jnum else provisional_naif(designation)
        if code >= 180000:                      # yyyynn = S/yyyy J nn (jo1048, jo1058, jo1059)
            return provisional_naif(f"S/{code // 100} J {code % 100}")
        if 1 <= code <= 99 and not self.local:
            return satellite_naif(5, code)
        raise Reject(f"satellite code {code} is not described in the unit")

    def single(self) -> int | None:
        """The unit's only satellite, for units without a satellite column."""
        if len(self.entries) != 1:
            return None
        _, jnum, designation = self.entries[0]
        return satellite_naif(5, jnum) if jnum else provisional_naif(designation)


# --- the unit plan ------------------------------------------------------------------------------------------------
@dataclass
class UnitPlan:
    roles: dict                       # role -> column index (sigma/xyz roles -> list of (index, Column))
    columns: list
    scale: str
    equinox: str
    centre: str                       # "topocentre" / "geocentre" / "gaia"
    kind: str
    catalog: str
    default_observer: str | None
    observer_aliases: dict
    default_body: int | None
    resolver: SatelliteResolver
    notes: list
    max_fields: int = 0               # fields a line may have (set from the data when the Format list is short)


class UnitRejected(Exception):
    """The whole unit cannot be read; the message is the reason given for every line."""


def _observatory_codes(text: str) -> list:
    """MPC codes listed in the Contents "observatory" entry, one per line ("689 - Flagstaff", "690 Lowell ...")."""
    return sorted({m for m in re.findall(r"(?m)^\s*([0-9A-Z][0-9][0-9])\b(?!\.)", text)})


def _observatory_aliases(text: str) -> dict:
    """Unit-local observatory numbers standing for MPC codes: "1029 - (H29) - Ivywood Observatory" (jo0022)."""
    return dict(re.findall(r"(?m)^\s*([0-9]{4,})\s*-\s*\(([0-9A-Z][0-9][0-9])\)", text))


def _equinox(text: str, notes: list, unit: str) -> str:
    t = text.strip().rstrip(",").lower()
    if re.match(r"^j2000(\.0)?$", t):
        return "J2000"
    if re.match(r"^b1950(\.0)?$", t):
        return "B1950"
    if re.match(r"^1950(\.0)?$", t):
        notes.append(f"{unit}: equinox '{text.strip()}' read as B1950.0 (FK4), converted to ICRS")
        return "B1950"
    year = re.match(r"^b?(1[89][0-9]{2}(\.[0-9]+)?)$", t)
    if year and float(year.group(1)) < 1984.0:            # FK4 was the reference system of reductions until 1984
        notes.append(f"{unit}: equinox '{text.strip()}' read as the FK4 mean equinox B{float(year.group(1)):.1f}, "
                     f"converted to ICRS")
        return f"B{float(year.group(1)):.1f}"
    if "b1950" in t and "j2000" in t:
        return "both"
    raise UnitRejected(f"equinox '{text.strip()}' not supported (only J2000 and FK4 mean equinoxes before 1984)")


def _centre(text: str) -> str:
    t = text.lower().replace(" ", "")
    if t.startswith("topocent"):
        return "topocentre"
    if t.startswith("geo"):                 # "geocentre", "geocenter", "geo centre", "geoocentre"
        return "geocentre"
    if t == "gaia":
        return "gaia"
    raise UnitRejected(f"centre of frame '{text.strip()}' not supported")


def plan_unit(desc: UnitDescription) -> UnitPlan:
    """Decide how to read a unit, or raise UnitRejected with the reason."""
    info, notes = desc.info, []
    relative = info.get("relative to", "").lower()
    coords = info.get("coordinates", "").lower()
    if (relative and "absolute" not in relative) or re.search(r"relative|differen|separation|position angle", coords):
        raise UnitRejected("relative positions are not supported")
    frame = info.get("reference frame", "").lower()
    if not (frame.startswith("astrometric") or frame == "bcrs"):
        raise UnitRejected(f"reference frame '{info.get('reference frame', '')}' not supported")
    centre = _centre(info.get("centre of frame", ""))
    scale = (info.get("time scale", "").split() or [""])[0].lower()
    if scale not in ("utc", "tt", "tcb"):
        raise UnitRejected(f"time scale '{info.get('time scale', '')}' not supported")
    equinox = _equinox(info.get("epoch of equinox", ""), notes, desc.unit)

    columns = [classify_column(text) for text in desc.columns]
    if equinox == "both":     # keep the J2000 columns, ignore the B1950 ones (jo0017)
        columns = [Column(None) if c.equinox == "B1950" else c for c in columns]
        equinox = "J2000"
    roles: dict = {}
    for i, col in enumerate(columns):
        if col.role in ("sigma_ra", "sigma_dec", "sigma_both", "xyz"):
            roles.setdefault(col.role, []).append(i)
        elif col.role and col.role not in roles:
            roles[col.role] = i
    _check_roles(roles, columns, desc)

    sat_item = desc.columns[roles["sat"]] if "sat" in roles else ""
    resolver = SatelliteResolver(desc, sat_item)
    default_body = None
    if "sat" not in roles:
        try:
            default_body = resolver.single()
        except (Reject, UnknownBody) as exc:
            raise UnitRejected(str(exc)) from None
        if default_body is None:
            raise UnitRejected("no satellite column and not exactly one satellite in the unit's Contents")

    codes = _observatory_codes(desc.observatory)
    default_observer = codes[0] if len(codes) == 1 else None
    if centre == "geocentre":
        default_observer = GEOCENTRE
        if any("parallax" in text.lower() for text in desc.columns):
            notes.append(f"{desc.unit}: centre declared '{info.get('centre of frame')}' although a geo-topo "
                         f"parallax column is given; read as geocentric (observer 500) per the unit description")
    elif centre == "gaia":
        default_observer = GAIA
    elif "obs" not in roles and default_observer is None:
        raise UnitRejected("topocentric positions without an observatory column or a single observatory")

    text = f"{desc.reference} {desc.comments}".lower()
    kind = "gaia" if centre == "gaia" else ("occultation" if "occultation" in text else "optical")
    catalog = catalog_from_text(info.get("reduction", ""))
    if centre == "gaia" and not catalog:
        catalog = catalog_from_text(desc.reference)
    return UnitPlan(roles, columns, scale, equinox, centre, kind, catalog, default_observer,
                    _observatory_aliases(desc.observatory), default_body, resolver, notes)


def _check_roles(roles: dict, columns: list, desc: UnitDescription):
    has = roles.__contains__
    if not (has("jd") or has("tcb_rel") or (has("year") and has("month") and has("day"))):
        raise UnitRejected("format not understood: no observation time column")
    if not (all(map(has, ("ra_h", "ra_m", "ra_s"))) or has("ra_deg")):
        raise UnitRejected("format not understood: no right ascension columns")
    if not (all(map(has, ("dec_d", "dec_m", "dec_s"))) or has("dec_deg")):
        raise UnitRejected("format not understood: no declination columns")
    sigmas = [i for key in ("sigma_ra", "sigma_dec", "sigma_both") for i in roles.get(key, [])]
    if any(columns[i].sigma_scale == 0.0 for i in sigmas):
        raise UnitRejected("uncertainty column without a recognisable unit")
    xyz = roles.get("xyz", [])
    if xyz:
        axes = sorted(columns[i].axis for i in xyz)
        frames = {columns[i].xyz_frame for i in xyz}
        if axes != [0, 1, 2] or len(frames) != 1 or "" in frames or any(columns[i].xyz_scale == 0 for i in xyz):
            raise UnitRejected("observer x/y/z columns without a clear frame or unit")


# --- reading the lines --------------------------------------------------------------------------------------------
def _token(tokens, index, what):
    if index >= len(tokens):
        raise Reject(f"missing {what} (column {index + 1}); the line has {len(tokens)} fields")
    return tokens[index]


def _time(tokens, plan: UnitPlan):
    r = plan.roles
    if "jd" in r:
        return jd_string_to_jd(_token(tokens, r["jd"], "JD"))
    if "tcb_rel" in r:
        col = plan.columns[r["tcb_rel"]]
        text = _token(tokens, r["tcb_rel"], "epoch")
        whole, frac = split_decimal(text, "epoch")
        if text.strip().startswith("-") or col.epoch_base == 0.0:
            raise Reject(f"epoch {text!r} relative to an unknown or negative base")
        return col.epoch_base + whole, frac
    ymd = [_token(tokens, r[k], k) for k in ("year", "month", "day")]
    if "hour" in r:
        hms = [_token(tokens, r[k], k) for k in ("hour", "minute", "second")]
        return calendar_time_to_jd(*ymd, *hms)
    return calendar_day_to_jd(*ymd)


def _radec(tokens, plan: UnitPlan):
    r = plan.roles
    if "ra_deg" in r:
        ra = number(_token(tokens, r["ra_deg"], "RA"), "RA")
    else:
        ra = hms_to_deg(*(_token(tokens, r[k], k) for k in ("ra_h", "ra_m", "ra_s")))
    if "dec_deg" in r:
        dec = number(_token(tokens, r["dec_deg"], "Dec"), "Dec")
    else:
        dec = dms_to_deg(*(_token(tokens, r[k], k) for k in ("dec_d", "dec_m", "dec_s")))
    return ra, dec


def _sigmas(tokens, plan: UnitPlan):
    out = {"sigma_ra_mas": np.nan, "sigma_dec_mas": np.nan}
    for role, keys in (("sigma_ra", ("sigma_ra_mas",)), ("sigma_dec", ("sigma_dec_mas",)),
                       ("sigma_both", ("sigma_ra_mas", "sigma_dec_mas"))):
        for i in plan.roles.get(role, []):
            value = number(_token(tokens, i, "uncertainty"), "uncertainty") * plan.columns[i].sigma_scale
            for key in keys:
                out[key] = value
    return out


def _observer(tokens, plan: UnitPlan) -> str:
    if plan.centre != "topocentre" or "obs" not in plan.roles:
        return plan.default_observer
    code = _token(tokens, plan.roles["obs"], "observatory code").upper()
    code = plan.observer_aliases.get(code, code)
    # Old units print numeric MPC codes without leading zeros ("94" = 094 Crimea-Simeis).
    return code.zfill(3) if code.isascii() and code.isdigit() and len(code) < 3 else code


def _parse_line(tokens, plan: UnitPlan) -> dict:
    if len(tokens) > plan.max_fields:
        raise Reject(f"{len(tokens)} fields, more than the {plan.max_fields} columns the unit describes")
    rec = {}
    if "sat" in plan.roles:
        rec["body"] = plan.resolver.naif(integer(_token(tokens, plan.roles["sat"], "satellite"), "satellite"))
    else:
        rec["body"] = plan.default_body
    rec["jd1"], rec["jd2"] = _time(tokens, plan)
    rec["ra_deg"], rec["dec_deg"] = check_radec(*_radec(tokens, plan))     # before any FK4 conversion
    rec.update(_sigmas(tokens, plan))
    rec["observer"] = _observer(tokens, plan)
    xyz = plan.roles.get("xyz")
    if xyz:
        values = [0.0, 0.0, 0.0]
        for i in xyz:
            col = plan.columns[i]
            values[col.axis] = number(_token(tokens, i, "observer position"), "observer position") * col.xyz_scale
        if plan.scale == "tcb" and plan.columns[xyz[0]].xyz_frame == "barycentric":
            values = tcb_to_tdb_coordinates(values)        # Gaia DR3 gives TCB-compatible BCRS coordinates
        rec["xyz_km"], rec["obs_frame"] = tuple(values), plan.columns[xyz[0]].xyz_frame
    catalog = plan.catalog
    if "catalog" in plan.roles and plan.roles["catalog"] < len(tokens):
        catalog = catalog_from_text(tokens[plan.roles["catalog"]]) or catalog
    rec["catalog"] = catalog
    return rec


def _convert_fk4(parsed, equinox="B1950.0"):
    """FK4 (mean equinox `equinox`, Besselian) -> ICRS for all parsed records of a unit at once."""
    if not parsed:
        return
    recs = [rec for _, rec in parsed]
    ra, dec = fk4_to_icrs([r["ra_deg"] for r in recs], [r["dec_deg"] for r in recs],
                          [r["jd1"] for r in recs], [r["jd2"] for r in recs], equinox=equinox)
    for rec, a, d in zip(recs, np.atleast_1d(ra), np.atleast_1d(dec)):
        rec["ra_deg"], rec["dec_deg"] = float(a), float(d)


def _allow_unlisted_trailing_fields(plan: UnitPlan, rows, unit):
    """Some Format lists omit a trailing column (jo1036 lists no band after the magnitude). If most lines of the
    unit have more fields than listed, accept that many (columns are counted from the left, so the listed ones
    keep their positions) and say so; a line longer than the unit's usual length is still rejected."""
    plan.max_fields = len(plan.columns)
    if rows:
        counts = np.bincount([len(r) for r in rows])
        modal = int(np.argmax(counts))
        if modal > plan.max_fields:
            plan.notes.append(f"{unit}: lines have {modal} fields, the Format lists {plan.max_fields}; "
                              f"the unlisted trailing fields are ignored")
            plan.max_fields = modal


def read_nsdb(path, description: str | None = None):
    """Read one NSDB unit (joNNNN.txt, with joNNNN.html next to it). Returns (Observations, ReadReport)."""
    name = check_file(path)
    unit = os.path.splitext(name)[0]
    html = description or os.path.splitext(path)[0] + ".html"
    if not os.path.exists(html):
        raise ObservationFormatError(f"{name}:1: expected the unit description {os.path.basename(html)} next to "
                                     f"the data file, got no such file")
    check_file(html)
    desc = parse_description(html)
    raw = open(path, "rb").read().decode("utf-8", errors="replace")
    lines = [(i, clean_minus(text)) for i, text in enumerate(raw.splitlines(), start=1) if text.strip()]
    records, report = Records(name, f"nsdb:{unit}"), ReadReport(read=len(lines))
    try:
        plan = plan_unit(desc)
        _allow_unlisted_trailing_fields(plan, [text.split() for _, text in lines], unit)
        report.notes += plan.notes
        parsed = []
        for lineno, text in lines:
            try:
                parsed.append((lineno, _parse_line(text.split(), plan)))
            except RECORD_ERRORS as exc:
                report.rejected.append(Rejection(name, lineno, record_error_reason(exc)))
        if plan.equinox.startswith("B"):
            if plan.scale != "utc":
                raise UnitRejected(f"FK4 {plan.equinox} positions with a time scale other than UTC")
            _convert_fk4(parsed, plan.equinox if "." in plan.equinox else plan.equinox + ".0")
        for lineno, rec in parsed:
            try:
                records.add(line=lineno, scale=plan.scale, kind=plan.kind, **rec)
            except RECORD_ERRORS as exc:
                report.rejected.append(Rejection(name, lineno, record_error_reason(exc)))
    except UnitRejected as exc:
        report.rejected = [Rejection(name, lineno, f"unit {unit}: {exc}") for lineno, _ in lines]
        records = Records(name, f"nsdb:{unit}")
    report.rejected.sort(key=lambda r: r.line)
    return report.finish(name, records)

