"""Gaia's epoch astrometry of solar-system objects as the Gaia archive serves it: the `sso_observation` table of
Gaia DR3 (`gaiadr3.sso_observation`, 2014-08 ... 2017-05) or of the Focused Product Release (`gaiafpr.sso_observation`,
66 months, to 2020-01), one row per CCD, saved as CSV, ECSV, VOTable or FITS, or an astropy Table from a query
(astroquery's `Gaia.launch_job(...).get_results()`).

    obs, report = read_gaia_sso("himalia_fpr.csv")       # or orbitfit.read(...), which recognises the columns
    obs, report = gaia_sso_from_table(table)              # the same from a Table in a notebook

Columns used (Gaia DR3 and FPR data models, sso_observation): `epoch` (TCB at Gaia, JD - 2455197.5, day), `ra`, `dec`
(deg, ICRS astrometric direction from Gaia, corrected for aberration but not for light deflection: orbitfit's model of
a Gaia position includes the Sun's deflection, gaia.py), `x_gaia`, `y_gaia`, `z_gaia` (Gaia's barycentric ICRS position,
au, TCB-compatible: scaled by 1 - L_B as NSDB's copy of DR3 is), `denomination` (for a natural satellite its name
followed by the planet's letter and the satellite's Roman numeral, "Himalia (JVI)"), and where present
`ra_error_random`, `dec_error_random` (mas) and `ra_dec_correlation_random` (each CCD's own error: what `--gaia-ccd`
fits use; the transit normal points take their covariance from the CCDs' scatter, as for the NSDB copy, gaia.py) and
FPR's `is_rejected` (Gaia's own orbit fit rejected the record: rejected here too, with that reason). The release is
"Gaia FPR" for a table with FPR's `is_rejected` column, "Gaia DR3" for one with DR3's `g_mag`, else `release=`.
A table that states its units (an ECSV header, a Table's or VOTable's columns) is converted to the archive's
(`ARCHIVE_UNITS`) or refused; a plain CSV is in the archive's units.

Each row becomes a record of kind "gaia" from observer 258 (Gaia) at its barycentric position, epoch in TCB; the rows
of one transit become one normal point as the embedded DR3 transits do (`gaia.to_normal_points`). The Gaia
visits' common error (`gaia_visits`) was measured on DR3's transits and corrects only rows of catalogue "Gaia DR3".
A record the reader cannot use is rejected with file, line (CSV, ECSV; the row number in a VOTable, a FITS file
or a Table) and why.
"""
from __future__ import annotations

import csv
import difflib
import math
import re

import numpy as np

from dynamics.constants import AU_KM

from ..bodies import NAIF_BY_NAME, PLANET_INDEX, satellite_naif
from .core import GAIA, ObservationFormatError, ReadReport, Records, Reject, check_file
from .fields import split_decimal
from .frames import tcb_to_tdb_coordinates
from .gaia import TRANSIT_GAP_S

DATASET = "gaia_archive"
EPOCH_BASE_JD = 2455197.5               # the archive's epochs count days from J2010.0 (2010-01-01T00:00 TCB)
REQUIRED = ("epoch", "ra", "dec", "x_gaia", "y_gaia", "z_gaia")
# the archive's units of the columns read (its data models); a table that states others is converted, or refused
ARCHIVE_UNITS = {"epoch": "d", "ra": "deg", "dec": "deg", "x_gaia": "AU", "y_gaia": "AU", "z_gaia": "AU",
                 "ra_error_random": "mas", "dec_error_random": "mas"}
# every column of the two releases' sso_observation (Gaia DR3 documentation sect. 20.11.2; FPR documentation sect.
# 2.1.8): a name outside them (a typing error in a header, "ra_error_randon") is a format error naming the closest,
# never a column silently ignored
KNOWN_COLUMNS = frozenset((
    "solution_id", "source_id", "denomination", "transit_id", "observation_id", "number_mp", "epoch", "epoch_err",
    "epoch_utc", "ra", "dec", "ra_error_systematic", "dec_error_systematic", "ra_dec_correlation_systematic",
    "ra_error_random", "dec_error_random", "ra_dec_correlation_random", "g_mag", "g_flux", "g_flux_error", "x_gaia",
    "y_gaia", "z_gaia", "vx_gaia", "vy_gaia", "vz_gaia", "x_gaia_geocentric", "y_gaia_geocentric",
    "z_gaia_geocentric", "vx_gaia_geocentric", "vy_gaia_geocentric", "vz_gaia_geocentric", "position_angle_scan",
    "astrometric_outcome_ccd", "astrometric_outcome_transit", "fov", "is_rejected"))
RELEASES = ("Gaia DR3", "Gaia FPR")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_SATELLITE = re.compile(r"^\s*([A-Za-z][A-Za-z' -]*?)?\s*(?:\(\s*([MJSUN])\s*([IVXLC]+)\s*\))?\s*$")
_PLANET_ROMAN = re.compile(r"^\s*(Mars|Jupiter|Saturn|Uranus|Neptune)\s+([IVXLC]+)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TRUE, _FALSE = {"true", "t", "1", "yes"}, {"false", "f", "0", "no", ""}


def read_gaia_sso(path, body=None, release=None):
    """Read a Gaia archive `sso_observation` table saved as CSV, ECSV, VOTable or FITS (module docstring; a rejected
    row of a VOTable or FITS file is named by its row number).

    body: NAIF id for rows without a `denomination` (a table of one object queried by its number). release:
    "Gaia DR3" or "Gaia FPR" when the columns do not tell. Returns (Observations, ReadReport)."""
    name = check_file(path)
    binary = binary_format(path)
    if binary:
        return gaia_sso_from_table(_read_binary(path, name, binary), body, release, source=name)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        lines = [raw.rstrip("\r\n") for raw in f]
    header_line = next((n for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")),
                       None)
    if header_line is None:
        raise ObservationFormatError(f"{name}:1: expected a header line naming the columns "
                                     f"{', '.join(REQUIRED)}, got none")
    delimiter, units = ",", {}
    if lines[0].startswith("# %ECSV"):              # ECSV: delimiter (default a space) and units in its YAML header
        header = _ecsv_header(name, lines[1:header_line - 1])
        delimiter = header.get("delimiter", " ")
        units = {c.get("name"): c.get("unit") for c in header.get("datatype", []) if isinstance(c, dict)}
    try:
        fields = [c.strip() for c in _split(lines[header_line - 1], delimiter)]
    except Reject as exc:
        raise ObservationFormatError(f"{name}:{header_line}: expected a header line naming the columns, got {exc}") \
            from None
    rows = ((lineno, line) for lineno, line in enumerate(lines, start=1) if lineno > header_line and line.strip())
    return _read_rows(name, header_line, fields, rows, delimiter, body, release, units)


def _ecsv_header(name, comment_lines):
    """The YAML header of an ECSV file (astropy's safe loader: no code in a file is run), or a format error."""
    from astropy.table.meta import get_header_from_yaml
    try:
        header = get_header_from_yaml(line[2:] if line.startswith("# ") else line[1:] for line in comment_lines)
    except Exception as exc:                              # noqa: BLE001 -- whatever the YAML parser raises
        raise ObservationFormatError(f"{name}:2: expected an ECSV YAML header, got one that does not parse "
                                     f"({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict):
        raise ObservationFormatError(f"{name}:2: expected an ECSV YAML header, got {type(header).__name__}")
    return header


def unit_scales(units, where):
    """{column: factor to the archive's own unit (ARCHIVE_UNITS)} for the columns a table gives a unit to (an ECSV
    header, a Table's or VOTable's column units); a unit that cannot be converted to it is a format error naming the
    column: units are converted or refused, never dropped."""
    from astropy import units as u
    scales = {}
    for column, expected in ARCHIVE_UNITS.items():
        unit = units.get(column)
        if unit is None or (isinstance(unit, str) and not unit.strip()):
            continue
        try:
            scales[column] = float(u.Unit(unit).to(expected))
        except (ValueError, TypeError, u.UnitsError) as exc:
            raise ObservationFormatError(f"{where}: column {column} in {str(unit)!r}, expected {expected} or a unit "
                                         f"convertible to it ({type(exc).__name__})") from None
    return scales


def binary_format(path):
    """"votable" or "fits" for the archive's other downloads (by their first bytes), else None (CSV, ECSV)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return "votable" if text.startswith("<") and "<VOTABLE" in text.upper() else None


def _read_binary(path, name, kind):
    """The table of a VOTable or FITS file (astropy's readers: no code in a file is run); anything they refuse is
    a format error naming the file."""
    import warnings
    from astropy.table import Table
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")              # astropy's notes on VOTable units and FITS keywords
            return Table.read(path, format=kind, **({"hdu": 1} if kind == "fits" else {}))
    except Exception as exc:                              # noqa: BLE001 -- whatever astropy raises, one clear error
        raise ObservationFormatError(f"{name}:1: expected a {'VOTable' if kind == 'votable' else 'FITS'} table of "
                                     f"Gaia sso_observation rows, got one astropy cannot read "
                                     f"({type(exc).__name__}: {exc})") from None


def gaia_sso_from_table(table, body=None, release=None, source="gaia_archive_table"):
    """The same records from an astropy Table (or anything with named columns) of the `sso_observation` table, e.g.
    astroquery's `Gaia.launch_job(...).get_results()`; a rejected row is named by its row number (from 1).
    Returns (Observations, ReadReport)."""
    fields = [str(c) for c in table.colnames]
    columns = [np.asarray(table[c]) for c in fields]
    masks = [np.ma.getmaskarray(table[c]) if hasattr(table[c], "mask") else np.zeros(len(table), bool)
             for c in fields]

    def text(value, masked):
        if masked:
            return ""
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)
    rows = ((i + 1, [text(col[i], mask[i]) for col, mask in zip(columns, masks)]) for i in range(len(table)))
    units = {c: getattr(table[c], "unit", None) for c in fields}
    return _read_rows(source, 0, fields, rows, None, body, release, units)


def _read_rows(name, header_line, fields, rows, delimiter, body, release, units):
    where = f"{name}:{max(header_line, 1)}"
    scales = unit_scales(units, where)
    unknown = [c for c in fields if c not in KNOWN_COLUMNS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(KNOWN_COLUMNS), n=1)
        raise ObservationFormatError(f"{where}: expected Gaia sso_observation column names, got {unknown[0]!r}"
                                     + (f" (did you mean {close[0]!r}?)" if close else ""))
    if len(set(fields)) != len(fields):
        raise ObservationFormatError(f"{where}: column {next(c for c in fields if fields.count(c) > 1)!r} "
                                     f"named twice")
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise ObservationFormatError(f"{where}: expected the Gaia sso_observation columns "
                                     f"{', '.join(REQUIRED)}, missing {', '.join(missing)}")
    if body is None and "denomination" not in fields:
        raise ObservationFormatError(f"{where}: expected a denomination column or body=<NAIF id>, got neither")
    release = _release(name, header_line, fields, release)
    index = {c: i for i, c in enumerate(fields)}
    records, report = Records(name, DATASET), ReadReport()
    for lineno, values in rows:
        report.attempt(name, lineno, _add_row, records, lineno, index, values, delimiter, body, release, scales)
    report.notes.append(f"{name}: {release} sso_observation, one row per CCD (kind 'gaia', observer {GAIA})")
    return report.finish(name, records)


def _release(name, header_line, fields, release):
    if release is not None:
        if release not in RELEASES:
            raise ValueError(f"release must be one of {RELEASES}, got {release!r}")
        return release
    if "is_rejected" in fields:
        return "Gaia FPR"
    if "g_mag" in fields:
        return "Gaia DR3"
    raise ObservationFormatError(f"{name}:{max(header_line, 1)}: cannot tell the Gaia release (no FPR is_rejected or "
                                 f"DR3 g_mag column): give release='Gaia DR3' or 'Gaia FPR'")


def _split(text, delimiter):
    """The fields of one line of CSV or ECSV (`delimiter`); a line the csv module refuses (a NUL byte) is a Reject."""
    try:
        return next(csv.reader([text], delimiter=delimiter, skipinitialspace=delimiter == " "))
    except csv.Error as exc:
        raise Reject(f"not a CSV line ({exc})") from None


def _add_row(records, lineno, index, values, delimiter, body, release, scales):
    if delimiter is not None:
        values = _split(values, delimiter)
    if len(values) != len(index):
        raise Reject(f"{len(values)} fields where the header names {len(index)}")

    def field(column):
        return values[index[column]].strip() if column in index else ""

    def value(column):                                 # a number in the archive's unit (ARCHIVE_UNITS)
        return _value(field(column), column) * scales.get(column, 1.0)
    if "is_rejected" in index and _flag(field("is_rejected"), "is_rejected"):
        raise Reject("Gaia's own orbit fit rejected this record (is_rejected = true)")
    naif = satellite_from_denomination(field("denomination")) if field("denomination") else body
    if naif is None:
        raise Reject("no denomination and no body=<NAIF id> given")
    exact = "e" not in field("epoch").lower() and scales.get("epoch", 1.0) == 1.0    # the printed digits, split
    whole, frac = split_decimal(field("epoch"), "epoch") if exact else (0, value("epoch"))
    xyz_au = [value(c) for c in ("x_gaia", "y_gaia", "z_gaia")]
    sigmas = {}
    for key, column in (("sigma_ra_mas", "ra_error_random"), ("sigma_dec_mas", "dec_error_random")):
        sigmas[key] = value(column) if field(column) else math.nan
    corr = _value(field("ra_dec_correlation_random"), "ra_dec_correlation_random") \
        if field("ra_dec_correlation_random") and all(math.isfinite(v) for v in sigmas.values()) else 0.0
    records.add(line=lineno, body=naif, jd1=EPOCH_BASE_JD + whole, jd2=frac, scale="tcb",
                ra_deg=value("ra"), dec_deg=value("dec"), observer=GAIA,
                xyz_km=tuple(tcb_to_tdb_coordinates([v * AU_KM for v in xyz_au])), obs_frame="barycentric",
                kind="gaia", catalog=release, corr=corr, **sigmas)


def superseded_transits(embedded, new):
    """Mask of `embedded`'s Gaia rows (CCD records, kind "gaia", or transit normal points) that Gaia rows of another
    release in `new` (their catalog a Gaia release) observe again: same body, within `gaia.TRANSIT_GAP_S` (120 s)
    of one of them. A transit lasts ~45 s and the next one of a body comes >= 1.5 h later, so a reprocessed transit
    (FPR after DR3) is matched whatever CCDs each release kept, where the duplicate rule (1 s, 20 mas) would miss a
    normal point whose mean epoch moved with them; the caller drops the embedded rows and says so
    (`without_superseded`: `orbitfit fit --embedded`, `orbitfit.refit`)."""
    kinds = ("gaia", "gaia_transit")
    old_rows = np.isin(np.asarray(embedded["kind"]).astype(str), kinds)
    new_catalog = np.asarray(new["catalog"]).astype(str)
    new_rows = np.isin(np.asarray(new["kind"]).astype(str), kinds) & np.char.startswith(new_catalog, "Gaia")
    mask = np.zeros(len(embedded), dtype=bool)
    if not (old_rows.any() and new_rows.any()):
        return mask
    for body in np.unique(np.asarray(new["body"])[new_rows]):
        theirs = new_rows & (np.asarray(new["body"]) == body)
        t_new = np.sort(np.asarray(new["tdb"], float)[theirs])
        mine = np.nonzero(old_rows & (np.asarray(embedded["body"]) == body))[0]
        t_old = np.asarray(embedded["tdb"], float)[mine]
        releases = set(new_catalog[theirs])
        other = np.array([c not in releases for c in np.asarray(embedded["catalog"]).astype(str)[mine]], bool)
        k = np.clip(np.searchsorted(t_new, t_old), 1, t_new.size) - 1
        nearest = np.minimum(np.abs(t_new[k] - t_old), np.abs(t_new[np.minimum(k + 1, t_new.size - 1)] - t_old))
        mask[mine[other & (nearest <= TRANSIT_GAP_S)]] = True
    return mask


def without_superseded(embedded, new):
    """(`embedded` without the Gaia rows that `new`'s Gaia records of another release observe again
    (`superseded_transits`), the 'source:line' of each row taken out)."""
    mask = superseded_transits(embedded, new)
    taken = [f"{source}:{line}" for source, line in zip(np.asarray(embedded["source"]).astype(str)[mask],
                                                        np.asarray(embedded["line"])[mask])]
    return (embedded[~mask] if mask.any() else embedded), taken


def satellite_from_denomination(text):
    """NAIF id of a natural satellite from Gaia's denomination: "Himalia (JVI)", "himalia", "Jupiter VI"; the name
    and the numeral must agree when both are given. Reject for anything else (an asteroid's name or number)."""
    m = _PLANET_ROMAN.match(text)
    if m:
        return satellite_naif(PLANET_INDEX[m.group(1)[0].upper()], _roman(m.group(2).upper()))
    m = _SATELLITE.match(text)
    named = NAIF_BY_NAME.get(m.group(1).strip().lower()) if m and m.group(1) else None
    numbered = satellite_naif(PLANET_INDEX[m.group(2)], _roman(m.group(3))) if m and m.group(2) else None
    if named is not None and numbered is not None and named != numbered:
        raise Reject(f"denomination {text!r}: the name is NAIF {named}, the numeral NAIF {numbered}")
    if named is None and numbered is None:
        raise Reject(f"denomination {text!r}: not a natural satellite orbitfit knows")
    return numbered if numbered is not None else named


def _roman(numeral):
    values = [_ROMAN[c] for c in numeral]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    if total <= 0:
        raise Reject(f"Roman numeral {numeral!r}")
    return total


def _value(text, what):
    """A finite number, decimal or with an exponent (the archive writes both), else Reject."""
    text = text.strip()
    if not _NUMBER.match(text):
        raise Reject(f"{what}: expected a number, got {text!r}")
    return float(text)


def _flag(text, what):
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise Reject(f"{what}: expected true or false, got {text!r}")


__all__ = ["read_gaia_sso", "gaia_sso_from_table", "satellite_from_denomination", "superseded_transits",
           "without_superseded"]
