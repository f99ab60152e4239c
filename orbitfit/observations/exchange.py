"""Observations and residuals written in the community's exchange formats: IAU ADES (PSV or XML) and an MPC-style
residual listing.

ADES field names, order and value patterns follow IAU-ADES/ADES-Master xsd/general.xsd (version 2022): an
<optical> record is OpticalID (permID), mode, stn, the optional Location group (sys, ctr, pos1-3), obsTime, ra, dec,
rmsRA, rmsDec, rmsCorr, astCat, then the optional OpticalResiduals group (orbProd, orbID, resRA, resDec, selAst,
sigRA, sigDec, ..., biasRA, biasDec). `orbitfit.observations.ades.read_ades` reads the files back row for row.
"""
from __future__ import annotations

import math
import os
import re
from xml.sax.saxutils import escape

import erfa
import numpy as np

from ..bodies import PLANET_NAMES, body_name
from ..files import atomic_path
from ..tables import plain_table
from ..times import iso_tdb
from .ades import GEOCENTRIC_OCCULTATION
from .core import ADES_CATALOG_NAMES, GEOCENTRE, MAS_PER_ARCSEC

ADES_VERSION = "2022"
_ADES_NAME = {name: ades for ades, name in ADES_CATALOG_NAMES.items()}
_CAT_TYPE = re.compile(r"^[.A-Za-z0-9_]{1,8}$")      # general.xsd CatType
UNKNOWN_CATALOG = "UNK"               # astCat is required in <optical>; ADES's code of an unknown catalogue
ORBIT_PRODUCER = "orbitfit"

# The fields in general.xsd's sequence order (XML must keep it; PSV uses the same order for readability).
_ID_FIELDS = ("permID", "mode", "stn")
_LOCATION_FIELDS = ("sys", "ctr", "pos1", "pos2", "pos3")
_MEASURE_FIELDS = ("obsTime", "ra", "dec", "rmsRA", "rmsDec", "rmsCorr", "astCat")
_RESIDUAL_FIELDS = ("orbProd", "orbID", "resRA", "resDec", "selAst", "sigRA", "sigDec", "biasRA", "biasDec")


# --- number formats fitted to the schema's widths --------------------------------------------------------------------
def _fixed(value: float, width: int, decimals: int) -> str:
    """`value` with as many of `decimals` decimals as fit in `width` characters of digits and point (the schema's
    DecimalTypeW*/PosDecimalTypeW* patterns; the sign is not counted)."""
    digits = len(str(int(abs(round(value)))))
    return f"{value:.{max(0, min(decimals, width - digits - 1))}f}"


def _arcsec(mas: float, width: int = 7, decimals: int = 5) -> str:
    return "" if not math.isfinite(mas) else _fixed(mas / MAS_PER_ARCSEC, width, decimals)


def _correlation(corr: float) -> str:
    """CorrDecimalType: "0.12", "-0.5", "0" (no exponent, no trailing zeros)."""
    text = f"{corr:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _where(row) -> str:
    return f"{row['source']}:{row['line']}"


def ades_perm_id(naif: int) -> str:
    """ADES permID of a planetary satellite from its NAIF id: 506 -> "Jupiter 6"."""
    naif = int(naif)
    planet = PLANET_NAMES.get(naif // 100)
    if planet is None or not 1 <= naif % 100 <= 99:
        raise ValueError(f"NAIF id {naif}: not a numbered planetary satellite (no ADES permID)")
    return f"{planet} {naif % 100}"


def ades_catalog(name: str) -> str:
    """ADES astCat of an orbitfit catalogue name ("Gaia DR3" -> "Gaia3", "USNO-B1" -> "USNOB1"; "" -> "UNK")."""
    if not name:
        return UNKNOWN_CATALOG
    code = _ADES_NAME.get(name, name.replace("-", "").replace(" ", ""))
    if not _CAT_TYPE.match(code):
        raise ValueError(f"catalogue {name!r}: no ADES astCat name (expected up to 8 of [.A-Za-z0-9_])")
    return code


def ades_time(jd1: float, jd2: float) -> str:
    """ISO UTC with 'Z' to the microsecond (general.xsd allows 6 decimals; 23:59:60.x on a leap second)."""
    y, mo, d, (h, mi, s, frac) = erfa.d2dtf("UTC", 6, jd1, jd2)
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{frac:06d}Z"


def _record(row) -> dict:
    """The ADES fields of one Observations row (a ValueError naming source:line for a row ADES cannot carry)."""
    kind, frame = str(row["kind"]), str(row["obs_frame"])
    if kind not in ("optical", "occultation"):
        raise ValueError(f"{_where(row)}: kind {kind!r} has no ADES optical record (expected optical or "
                         f"occultation)")
    if frame == "barycentric":
        raise ValueError(f"{_where(row)}: a barycentric observer position (e.g. Gaia) is not written: orbitfit "
                         f"reads and writes only geocentric ADES positions (ctr 399); select these rows out")
    observer = str(row["observer"])
    occultation = kind == "occultation"
    ra = float(row["ra_deg"]) % 360.0
    rec = {"permID": ades_perm_id(row["body"]), "mode": "OCC" if occultation else "CCD",
           "stn": GEOCENTRIC_OCCULTATION if occultation and observer == GEOCENTRE else observer,
           "obsTime": ades_time(float(row["utc_jd1"]), float(row["utc_jd2"])),
           "ra": f"{0.0 if round(ra, 9) >= 360.0 else ra:.9f}", "dec": f"{float(row['dec_deg']):.9f}",
           "rmsRA": _arcsec(float(row["sigma_ra_mas"])), "rmsDec": _arcsec(float(row["sigma_dec_mas"])),
           "astCat": ades_catalog(str(row["catalog"]))}
    if rec["rmsRA"] and rec["rmsDec"]:
        rec["rmsCorr"] = _correlation(float(row["corr"]))
    if frame == "geocentric":
        rec.update(sys="ICRF_KM", ctr="399", **{f"pos{i}": _fixed(float(row[f"obs_{c}_km"]), 13, 6)
                                                for i, c in zip((1, 2, 3), "xyz")})
    return rec


def _residual_fields(res, orbit_id: str) -> dict:
    """ADES OpticalResiduals of one row of `Solution.residuals()` (arcsec; selAst A accepted, D rejected)."""
    rec = {"orbProd": ORBIT_PRODUCER, "orbID": orbit_id,
           "resRA": _fixed(float(res["res_ra_mas"]) / MAS_PER_ARCSEC, 6, 3),
           "resDec": _fixed(float(res["res_dec_mas"]) / MAS_PER_ARCSEC, 6, 3),
           "selAst": "A" if res["accepted"] else "D",
           "sigRA": _arcsec(float(res["sigma_ra_mas"])), "sigDec": _arcsec(float(res["sigma_dec_mas"]))}
    if res["bias_ra_mas"] or res["bias_dec_mas"]:
        rec.update(biasRA=_arcsec(float(res["bias_ra_mas"])), biasDec=_arcsec(float(res["bias_dec_mas"])))
    return rec


def ades_records(observations, residuals=None, orbit_id: str = "orbitfit") -> list:
    """One dict of ADES field -> text per row (the content `write_ades` writes)."""
    if residuals is not None and len(residuals) != len(observations):
        raise ValueError(f"residuals: expected one row per observation ({len(observations)}), got {len(residuals)}")
    records = [_record(row) for row in observations]
    if residuals is not None:
        for rec, res in zip(records, plain_table(residuals)):       # a QTable's mas columns as numbers in mas
            rec.update(_residual_fields(res, orbit_id))
    return records


def _psv(records, fields) -> str:
    widths = {f: max([len(f)] + [len(r.get(f, "")) for r in records]) for f in fields}
    lines = [f"# version={ADES_VERSION}", "|".join(f.ljust(widths[f]) for f in fields)]
    lines += ["|".join(r.get(f, "").ljust(widths[f]) for f in fields) for r in records]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _xml(records, fields) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<ades version="{ADES_VERSION}">']
    for rec in records:
        lines.append("  <optical>")
        lines += [f"    <{f}>{escape(rec[f])}</{f}>" for f in fields if rec.get(f, "")]
        lines.append("  </optical>")
    lines.append("</ades>")
    return "\n".join(lines) + "\n"


def write_ades(observations, path, residuals=None, orbit_id: str = "orbitfit"):
    """Write an `Observations` table as ADES (version 2022, general format): PSV for ".psv", XML for ".xml".

    One <optical> record (one PSV line) per row, in the table's order: permID "Jupiter 13" (from the NAIF id), mode
    CCD (optical) or OCC (occultation), stn (the MPC code; a geocentric occultation position, observer "500", is stn
    244 as in the reader), obsTime ISO UTC with 'Z' to the microsecond (from utc_jd1/utc_jd2), ra/dec in degrees
    with 9 decimals (3 microarcsec), rmsRA (of RA*cos(Dec)) and rmsDec in arcsec with 5 decimals (empty when the
    table's sigma is NaN), rmsCorr when both are given, astCat (orbitfit names mapped back to ADES names: "Gaia DR3"
    -> "Gaia3"; an empty catalogue is written "UNK").

    Explicit observer positions: a geocentric one (obs_frame "geocentric") is written as sys ICRF_KM, ctr 399,
    pos1-3 in km with 6 decimals. Barycentric rows (Gaia) are refused with a ValueError naming file:line, as are
    kinds other than optical/occultation and bodies without a permID: the reader takes only geocentric positions,
    so a file it cannot read back is never written. Select those rows out first.

    residuals: a `Solution.residuals()` table, row for row with `observations` (else ValueError). It adds the ADES
    OpticalResiduals fields of general.xsd: orbProd "orbitfit", orbID (`orbit_id`), resRA (O-C of RA*cos(Dec)) and
    resDec in arcsec with 3 decimals, selAst A (accepted) / D (rejected), sigRA/sigDec (the sigmas the fit used,
    arcsec) and, where a site bias was fitted, biasRA/biasDec. sigCorr is not written (the fit's weights carry no
    per-row correlation in the residuals table).

    The file is written atomically (`orbitfit.files.atomic_path`). Returns the number of records written.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in (".psv", ".xml"):
        raise ValueError(f"{path}: expected an ADES file name ending in .psv or .xml, got {ext or 'no extension'!r}")
    records = ades_records(observations, residuals, orbit_id)
    fields = list(_ID_FIELDS)
    if any("sys" in r for r in records):
        fields += _LOCATION_FIELDS
    fields += [f for f in _MEASURE_FIELDS if any(f in r for r in records)]
    fields += [f for f in _RESIDUAL_FIELDS if any(f in r for r in records)]
    text = _psv(records, fields) if ext == ".psv" else _xml(records, fields)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    return len(records)


# --- MPC-style residual listing --------------------------------------------------------------------------------------
def mpc_date(jd1: float, jd2: float) -> str:
    """UTC date as the MPC writes it, "YYYY MM DD.dddddd" (fraction of day to 1e-6 d = 0.09 s)."""
    y, mo, d, frac = erfa.jd2cal(jd1, jd2)
    day = round(d + frac, 6)
    if day >= d + 1:                      # rounded up to the next day: carry through the calendar
        y, mo, d, _ = erfa.jd2cal(jd1, jd2 + 0.5e-6)
        day = float(d)
    return f"{y:4d} {mo:02d} {day:09.6f}"


def write_mpc_residuals(solution, path):
    """Write an MPC-style residual listing of `solution` (text, atomic). Returns the number of observation lines.

    Layout: '#' header lines naming the body (name and NAIF id), the epoch (TDB), the counts (observations,
    accepted, rejected), chi2, dof, chi2/dof and the RMS of the accepted O-C; then one line per observation in the
    Solution's order, whitespace-separated columns:

        date (UTC, "YYYY MM DD.dddddd", 3 columns)  site (MPC code)  O-C RA*cos(Dec) (arcsec, 3 decimals, signed)
        O-C Dec (arcsec, 3 decimals, signed)  flag ("R" rejected, "-" accepted)  kind  source:line

    e.g. "1996 06 26.144861  874  +0.123  -0.045  -  optical  Leda.dat:1". After a "# per-site summary" line, one
    "#" line per site: site, n, n rejected, mean and standard deviation of the accepted O-C in RA* and Dec (arcsec).
    """
    res, obs = plain_table(solution.residuals(time=False)), solution.observations
    accepted = np.asarray(res["accepted"], bool)
    ra, dec = np.asarray(res["res_ra_mas"]) / MAS_PER_ARCSEC, np.asarray(res["res_dec_mas"]) / MAS_PER_ARCSEC
    rms_ra = float(np.sqrt(np.mean(ra[accepted] ** 2))) if accepted.any() else float("nan")
    rms_dec = float(np.sqrt(np.mean(dec[accepted] ** 2))) if accepted.any() else float("nan")
    lines = [f"# orbitfit residuals: {body_name(solution.body)} (NAIF {int(solution.body)})",
             f"# epoch {iso_tdb(solution.epoch, 3)} TDB",
             f"# observations {len(res)}, accepted {int(accepted.sum())}, rejected {int((~accepted).sum())}",
             f"# chi2 {solution.chi2:.3f}, dof {solution.dof}, chi2/dof {solution.chi2 / max(solution.dof, 1):.4f}",
             f"# rms of accepted O-C (arcsec): RA* {rms_ra:.4f}, Dec {rms_dec:.4f}",
             "# date (UTC)          site    O-C RA*  O-C Dec  flag  kind  source:line"]
    for i in range(len(res)):
        date = mpc_date(float(obs["utc_jd1"][i]), float(obs["utc_jd2"][i]))
        lines.append(f"{date}  {res['observer'][i]:>4}  {ra[i]:+7.3f}  {dec[i]:+7.3f}  "
                     f"{'-' if accepted[i] else 'R'}  {res['kind'][i]}  {res['source'][i]}:{res['line'][i]}")
    lines.append("# per-site summary: site, n, rejected, mean and std of accepted O-C RA*, Dec (arcsec)")
    sites = np.asarray(res["observer"]).astype(str)
    for site in sorted(set(sites)):
        sel, good = sites == site, (sites == site) & accepted
        stats = [float(f(x[good])) if good.any() else float("nan") for x in (ra, dec) for f in (np.mean, np.std)]
        lines.append(f"# {site:>4}  {int(sel.sum()):5d}  {int((sel & ~accepted).sum()):4d}  "
                     f"{stats[0]:+7.3f} {stats[1]:6.3f}  {stats[2]:+7.3f} {stats[3]:6.3f}")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return len(res)
