"""The `Observations` table, the `ReadReport`, and the parsing helpers every reader shares.

Conventions (README, "Conventions"): time inside is TDB seconds past J2000 TDB (JD 2451545.0 TDB); UTC/TT/TCB appear
only here, converted with astropy.time. RA/Dec are ICRF degrees; sigma_ra_mas is the sigma of RA*cos(Dec) ("RA*").
A reader never invents a sigma: NaN means "the source gives none" (the fitter chooses defaults later).

Error policy: a bad *record* (malformed number, impossible value, unsupported kind) is rejected and listed in the
`ReadReport` with file:line and reason; a *structural* problem (unknown format, missing columns, missing unit
description) raises `ObservationFormatError` whose message starts with "file:line:".
"""
from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from astropy.table import Table, vstack

from ..bodies import UnknownBody, body_name
from ..times import UTC_START_JD, convert_jd, iso_utc
from .gaia import FLOORS_META_KEY, TRANSIT_KIND
from .observers import needs_explicit_position

# --- constants ----------------------------------------------------------------------------------------------------
from dynamics.constants import J2000_JD, SECONDS_PER_DAY
MAS_PER_ARCSEC = 1000.0
# UTC begins on 1960-01-01 (times.UTC_START_JD); a time labelled UTC before it is read as UT and converted with
# Delta T (orbitfit.times: scale "ut"; the utc_jd columns then hold that UT)
# Years a reader accepts at all: a sanity bound against corrupted dates (earliest Jovian irregular astrometry: 1894).
YEAR_MIN, YEAR_MAX = 1800, 2100

GEOCENTRE = "500"                          # MPC code of the geocentre
GAIA = "258"                               # MPC code of Gaia
OBS_FRAMES = ("", "barycentric", "geocentric")

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


def check_file(path) -> str:
    """The file's basename; a missing path is FileNotFoundError, a directory (or other non-file) a format error."""
    name = os.path.basename(os.path.normpath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if not os.path.isfile(path):
        raise ObservationFormatError(f"{name}:1: expected a file, got a directory or special file")
    return name


class Reject(Exception):
    """Raised inside a reader for one record; caught per record and listed in the ReadReport (never escapes)."""


# Exceptions a malformed record can provoke in the standard library / numpy while being parsed; a reader turns them
# into a rejection of that record (with file:line) instead of letting them escape from deep inside the parsing.
RECORD_ERRORS = (Reject, ValueError, IndexError, KeyError, ArithmeticError, TypeError, UnicodeError)


def record_error_reason(exc: Exception) -> str:
    """Reason text of a rejected record."""
    return str(exc) if isinstance(exc, (Reject, UnknownBody)) else f"cannot parse ({type(exc).__name__}: {exc})"


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

    def attempt(self, source: str, line: int, parse, *args):
        """Count one record as read and run `parse(*args)`; a malformed record (RECORD_ERRORS) becomes a rejection
        naming source:line and the reason, so nothing is dropped without a trace."""
        self.read += 1
        try:
            parse(*args)
        except RECORD_ERRORS as exc:
            self.rejected.append(Rejection(source, line, record_error_reason(exc)))

    def finish(self, source: str, records) -> tuple:
        """(Observations, this report) once a file is read: kept = the records collected, counts per file."""
        self.kept = len(records)
        self.sources[source] = [self.read, self.kept, len(self.rejected)]
        return records.to_table(), self

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
    ("utc_jd1", np.float64, "UTC of the observation (UT before 1960), two-part JD (part 1), astropy convention"),
    ("utc_jd2", np.float64, "UTC of the observation (UT before 1960), two-part JD (part 2)"),
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
        """One table of the rows of `tables` (None skipped), in their order. The meta key that says Gaia transits
        carry the moons' own floors (`gaia.FLOORS_META_KEY`) is kept only where every part holding transits says so;
        parts that disagree raise ValueError (the visit correction reads it for the whole table)."""
        tables = [t for t in tables if t is not None]
        if not tables:
            return cls.empty()
        for t in tables:
            missing = set(COLUMN_NAMES) - set(t.colnames)
            if missing:
                raise ValueError(f"cannot concatenate: a table lacks columns {sorted(missing)}")
        out = cls(vstack([Table(t[COLUMN_NAMES]) for t in tables], join_type="exact", metadata_conflicts="silent"))
        out.meta.pop(FLOORS_META_KEY, None)
        floors = {t.meta.get(FLOORS_META_KEY) for t in tables
                  if (np.asarray(t["kind"]).astype(str) == TRANSIT_KIND).any()}
        if len(floors) > 1:
            # astropy's merge would keep whichever value came last: the transits of the other part would then lose
            # (or keep) the visit's common error in `GaiaVisitOffsets.correct` by the order of the parts
            raise ValueError("cannot concatenate Gaia transit normal points built with different along-scan floors "
                             f"(meta[{FLOORS_META_KEY!r}]: {sorted(map(str, floors))}, None meaning one floor "
                             "for every transit): build them with one al_floor_mas")
        if floors and None not in floors:
            out.meta[FLOORS_META_KEY] = floors.pop()
        return out

    def select(self, body=None, kind=None, dataset=None, observer=None) -> "Observations":
        """Rows matching every given criterion; each may be one value or a list of values."""
        mask = np.ones(len(self), dtype=bool)
        for column, wanted in (("body", body), ("kind", kind), ("dataset", dataset), ("observer", observer)):
            if wanted is not None:
                mask &= np.isin(np.asarray(self[column]), np.atleast_1d(wanted))
        return self[mask]

    def describe(self) -> str:
        """One line: how many positions of which bodies, from when to when (UTC), from how many data sets and sites
        ("98 observations of 513 Leda, 1996-06-24 .. 2009-05-24 UTC, 1 data set (gj15), 3 sites"); the parts whose
        columns a selection left out are left out too."""
        parts = [f"{len(self)} observations"]
        if len(self) and "body" in self.colnames:
            parts[0] += " of " + ", ".join(f"{b} {body_name(b)}" for b in sorted(self.counts("body")))
        if len(self) and "tdb" in self.colnames:
            tdb = np.asarray(self["tdb"], dtype=float)
            parts.append(f"{iso_utc(tdb.min(), 0)[:10]} .. {iso_utc(tdb.max(), 0)[:10]} UTC")
        if len(self) and "dataset" in self.colnames:
            sets = sorted(self.counts("dataset"))
            parts.append(f"{len(sets)} data set{'s' * (len(sets) > 1)} ({', '.join(sets[:4])}"
                         f"{', ...' * (len(sets) > 4)})")
        if len(self) and "observer" in self.colnames:
            parts.append(f"{len(self.counts('observer'))} sites")
        return ", ".join(parts)

    def _repr_html_(self):
        """Jupyter's view: the one-line description above astropy's (truncated) table."""
        import html
        return f"<p>{html.escape(self.describe())}</p>\n" + super()._repr_html_()

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
        scale = check_time(jd1, jd2, scale)
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


def convert_times(jd1, jd2, scales):
    """UTC two-part JD and TDB seconds past J2000 for times given in mixed scales (one conversion per scale;
    dates are range-checked already)."""
    utc1, utc2, tdb = np.empty(jd1.size), np.empty(jd1.size), np.empty(jd1.size)
    for scale in np.unique(scales):
        sel = scales == scale
        utc1[sel], utc2[sel], tdb[sel] = convert_jd(jd1[sel], jd2[sel], scale)
    return utc1, utc2, tdb


# --- validation ---------------------------------------------------------------------------------------------------
def check_time(jd1, jd2, scale):
    """The scale the time is converted from: "ut" for UTC (or UT) before 1960, else `scale`; Reject if unusable."""
    if scale not in ("utc", "ut", "tt", "tcb", "tdb", "tai"):
        raise Reject(f"unsupported time scale {scale!r}")
    jd = jd1 + jd2
    if not math.isfinite(jd):
        raise Reject("time is not a finite number")
    if not 2378496.5 <= jd < 2488069.5:          # 1800-01-01 .. 2100-01-01
        raise Reject(f"date JD {jd:.5f} outside {YEAR_MIN}-{YEAR_MAX}")
    if scale in ("utc", "ut") and jd < UTC_START_JD:
        return "ut"
    if scale == "ut":
        raise Reject("UT after 1960: give the time in UTC")
    return scale


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


# --- catalogues ----------------------------------------------------------------------------------------
def catalog_from_text(text: str) -> str:
    """Reference catalogue(s) named in free text ("the PRAIA software, the UCAC4 catalog" -> "UCAC4")."""
    low = text.lower()
    found = [name for name, pattern in _CATALOG_PATTERNS if re.search(pattern, low)]
    return "+".join(found)
