"""Which reader reads a file: `detect_format` from its name and first lines, `read` for a file or a folder."""
from __future__ import annotations

import os
import re

from .ades import read_ades
from ..bodies import NAIF_BY_NAME
from .core import ObservationFormatError, Observations, ReadReport
from .gaia_archive import binary_format, read_gaia_sso
from .gj15 import read_gj15
from .mpc import read_mpc80, read_mpc_csv
from .nsdb import read_nsdb
from .sora import read_sora_occultation

__all__ = ["read", "detect_format", "READERS"]

READERS = {"gj15": read_gj15, "nsdb": read_nsdb, "mpc80": read_mpc80, "mpc_csv": read_mpc_csv, "ades": read_ades,
           "sora": read_sora_occultation, "gaia_sso": read_gaia_sso}
# the columns that make a CSV or ECSV file a Gaia archive sso_observation table
_GAIA_SSO = re.compile(r"(?<![\w])x_gaia(?![\w])")
_GJ15_LINE = re.compile(r"^ \d\d \d\d [ \d]\d\.\d{4} [+-]\d\d \d\d [ \d]\d\.\d{3} ", re.ASCII)
_MPC80_LINE = re.compile(r"^.{14}[ A-Za-z]\d{4} \d\d \d\d\.\d+ *\d\d \d\d \d\d\.?\d* *[+-]\d\d \d\d",
                         re.ASCII)


def detect_format(path) -> str | None:
    """Reader name for a file ("gj15", "nsdb", ...), or None for files that are not astrometry (descriptions,
    provenance notes, ReadMe)."""
    name = os.path.basename(path)
    stem, ext = os.path.splitext(name)
    if name.endswith(".source.txt") or ext.lower() in (".html", ".htm", ".bsp", ".md"):
        return None
    if ext.lower() in (".xml", ".vot", ".fits", ".fit") and binary_format(path):
        return "gaia_sso"                        # the Gaia archive's VOTable or FITS download
    if ext.lower() in (".xml", ".psv"):
        return "ades"
    if ext.lower() == ".txt" and os.path.exists(os.path.splitext(path)[0] + ".html"):
        return "nsdb"
    with open(path, "rb") as f:
        head = f.read(8192).decode("utf-8", errors="replace")
    lines = [line for line in head.splitlines() if line.strip()]
    if ext.lower() in (".csv", ".ecsv") and _GAIA_SSO.search(head) and "epoch" in head:
        return "gaia_sso"
    if ext.lower() == ".csv":
        return "mpc_csv" if "utc_date" in head else None
    if "Astrometric object position at time" in head:
        return "sora"
    if head.lstrip("\ufeff \t\r\n").startswith("<"):
        return "ades"
    if any("|" in line and "obsTime" in line for line in lines):
        return "ades"
    data = [line for line in lines if not line.startswith("#")][:20]
    if data and stem.lower() in NAIF_BY_NAME and _all_gj15(data):
        return "gj15"
    if data and sum(bool(_MPC80_LINE.match(line)) for line in data) >= max(1, len(data) // 2):
        return "mpc80"
    return None


def _all_gj15(lines):
    return all(_GJ15_LINE.match(line) for line in lines)


def _unnamed_gj15(path):
    """True for a file whose first rows are GJ15's but whose name is not a moon's (GJ15 rows do not name the moon)."""
    with open(path, "rb") as f:
        lines = [line for line in f.read(8192).decode("utf-8", errors="replace").splitlines()[:20] if line.strip()]
    return bool(lines) and _all_gj15(lines[:-1] or lines)      # the last line of the 8 kB may be cut


def read(path, **kwargs):
    """Read any supported file, or every supported file of a folder (concatenated). Returns (Observations, report).

    Raises ObservationFormatError for a file whose format is not recognised; in a folder, such files are skipped
    and named in the report's notes.
    """
    if os.path.isdir(path):
        return _read_folder(path)
    kind = detect_format(path)
    if kind is None:
        what = "an empty file" if os.path.getsize(path) == 0 else "an unrecognised file"
        if what != "an empty file" and _unnamed_gj15(path):
            what = ("GJ15 rows in a file not named after a moon (the rows do not name it): rename the file "
                    "(Leda.dat) or give the moon (--format gj15 --body Leda; read_gj15(path, body=513))")
        raise ObservationFormatError(f"{os.path.basename(path)}:1: expected one of the formats "
                                     f"{', '.join(READERS)}, got {what}")
    return READERS[kind](path, **kwargs)


def _read_folder(folder):
    tables, reports, skipped = [], [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            continue
        kind = detect_format(path)
        if kind is None:
            if not (name.endswith((".source.txt", ".html")) or name.startswith(("SOURCE", "README", "ReadMe"))):
                skipped.append(name)     # descriptions and provenance notes are expected; name anything else
            continue
        table, report = READERS[kind](path)
        tables.append(table)
        reports.append(report)
    report = ReadReport.merged(reports)
    if skipped:
        report.notes.append(f"{os.path.basename(os.path.normpath(folder))}: not astrometry, skipped: "
                            f"{', '.join(skipped)}")
    return Observations.concatenate(tables), report
