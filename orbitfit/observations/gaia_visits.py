"""Gaia DR3's error common to the moons of one visit, and its removal from a moon's transits.

Gaia's scanning law brings Jupiter's region into its fields of view in bursts of a few days, weeks apart (a
*visit*); the eight main irregular moons lie within ~2 deg of each other, so one visit sees five to eight of them
within minutes. Fitted to every embedded data set, the moons' transit normal points (`orbitfit.observations.gaia`)
leave along-scan (AL) residuals of 5.6 mas rms, and the mean over the moons of each visit scatters by 4.1 mas where
independent errors would give 2.2 (benchmarks/gaia_error_structure.py, 14 visits of 5-8 moons): an error of
~3.5 mas per visit shared by all the moons it saw (2014-12-14: all 8 between -13 and +1 mas; 2015-04-25: all 5
positive), which no orbit can absorb. Its cause is not known (calibration of that stretch of scans, the
attitude, scattered light of Jupiter); it is not an error of the epochs (the visit means do not follow their
transits' apparent rate along the scan, -4 ... +4 mas/s: an epoch late by +0.09 +- 0.19 s, tests/test_gaia_visits.py).
It is measured, not modelled.

`GaiaVisitOffsets` holds what each moon's fit says of each visit: its mean AL residual there (`from_residuals`,
written and read as data/gaia_visits/dr3_visit_offsets.csv by benchmarks/gaia_visit_offsets.py). For a fit of one
moon, `correct` takes each visit's common error as the mean of the OTHER moons' means there (a moon never corrects
itself with its own residuals; at least MIN_OTHERS of them) and moves the moon's transits of that visit along the
scan by minus it. By default the transit's covariance is left as it was: its AL floor (`gaia.AL_FLOOR_MAS`, 7 mas)
was measured with the common error in it (tau ~3.2 mas), which is more than the estimate's own error (s / sqrt(k) ~
1.5-2 mas for one moon's visit-mean scatter s ~ 4 mas and k = 4-7 other moons; `variances`, `offset`), so the floor
stays an upper bound. With the moons' own floors (a table whose meta["gaia_al_floors"] is "own",
`gaia.to_normal_points(..., al_floor_mas=gaia.OWN_FLOORS)`, `load_all(..., gaia_floors="own")`) the transit loses
the common error along the scan (`gaia.VISIT_COMMON_AL_MAS`): what is left is the moon's own floor
(`gaia.CORRECTED_AL_FLOOR_MAS`), measured on corrected transits, the estimate's own error in it. Transits of
visits seen by fewer than MIN_OTHERS other moons are left as they are. The table is
meant to hold many moons: built from three (at most 2 others per visit, s / sqrt(2) ~ 2.9 mas, close to tau) the
correction made the harness worse (Himalia, Carme, Pasiphae cut: 8.4 -> 8.7 mas, 2026-12-03).
In the embedded table the Himalia group's transits seem to share more of it than the outer moons' (~4.5 against
~2.6 mas, by chance in ~4% of a bootstrap), but that fades under today's fits and transit by transit
(benchmarks/gaia_visit_groups.py, 2026-12-07); a loading per group moved the harness by a few tenths of a mas
(cut 7.73 -> 7.66, folds 9.90 -> 9.62), so one common error for every moon stays.

Two refinements were measured and not adopted (the harness under one held-out rule for every moon,
`orbitfit.validation.common_visit_harness`; rms over the 8 moons of the AL rms, mas, 2026-12-03): the Gaussian
posterior of the common error (the mean shrunk by tau^2 / (tau^2 + s^2/k)) gave cut 11.40, all 11.06, folds 13.27
against 11.25, 10.93, 13.22 for the plain mean; taking tau^2 out of the transit's AL variance as well (and the
posterior's variance in) gave 11.3, 10.8 and 13.7 (Carme's folds 18.1 -> 21.3 mas): the floor stays (with the
moons' own floors tau is taken out: `gaia.CORRECTED_AL_FLOOR_MAS`' comment). The figures of the adopted form are
the validation table of docs/validation.md (benchmarks/validation.py --visits).

`as_gaia_transits` is the whole rule as the default fit takes it (normal points with the moons' own floors, then the
correction): `load_all` and `orbitfit fit` with a user's Gaia file both call it.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field

import numpy as np

from dynamics import constants as C

from ..bodies import naif_id
from ..paths import DATA_DIR
from .gaia import (AL_FLOOR_MAS, FLOORS_META_KEY, OWN_FLOORS, TRANSIT_KIND, VISIT_COMMON_AL_MAS,
                   along_scan_directions, covariance_2x2, to_normal_points)

GAIA_TRANSIT = TRANSIT_KIND
VISIT_GAP_DAYS = 2.0          # epochs closer than this are one visit (bursts of 1-4 days, weeks apart)
MIN_OTHERS = 2                # a visit's common error is estimated only from >= 2 other moons
RELEASE = "Gaia DR3"          # the release whose visits the table measured (its transits' catalog column)
# a transit further off than this (Lysithea's 2015-05-30: -41 mas, Leda's 2014-12-13: -30) says nothing of the visit
GROSS_MAS = 25.0
MAS_PER_DEG = 3.6e6
OFFSETS_FILE = ("gaia_visits", "dr3_visit_offsets.csv")
COLUMNS = ("visit", "start_tdb_s", "end_tdb_s", "body", "n_transits", "mean_al_mas")


def visit_index(tdb, gap_days=VISIT_GAP_DAYS):
    """The Gaia visit of each epoch (TDB s), numbered 0, 1, ... in time: epochs less than `gap_days` apart are one
    visit."""
    tdb = np.asarray(tdb, float)
    order = np.argsort(tdb, kind="stable")
    index = np.empty(tdb.size, dtype=int)
    index[order] = np.concatenate([[0], np.cumsum(np.diff(tdb[order]) > gap_days * C.SECONDS_PER_DAY)])[:tdb.size]
    return index


def _without_common_error(table, row, along, tau_mas=VISIT_COMMON_AL_MAS):
    """Take tau_mas^2 (the visit's common error) out of the AL variance (along `along`, the (RA*, Dec) unit vector)
    of one transit row of `table` in place; False (row unchanged) if its AL variance is not above it."""
    covariance = covariance_2x2(table["sigma_ra_mas"][row], table["sigma_dec_mas"][row], table["corr"][row])
    if along @ covariance @ along <= tau_mas ** 2:
        return False
    covariance = covariance - tau_mas ** 2 * np.outer(along, along)
    table["sigma_ra_mas"][row], table["sigma_dec_mas"][row] = np.sqrt(covariance[0, 0]), np.sqrt(covariance[1, 1])
    table["corr"][row] = covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1])
    return True


@dataclass
class GaiaVisitOffsets:
    """Each moon's mean AL residual (mas, `along_scan` convention: the scan direction taken northward) in each Gaia
    visit, one row per (visit, body): columns `COLUMNS`. `meta` keeps the provenance (who wrote it, when, from which
    fits)."""
    visit: np.ndarray
    start_tdb_s: np.ndarray
    end_tdb_s: np.ndarray
    body: np.ndarray
    n_transits: np.ndarray
    mean_al_mas: np.ndarray
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_residuals(cls, residuals, gap_days=VISIT_GAP_DAYS, gross_mas=GROSS_MAS, meta=None):
        """From {body (NAIF id): (tdb s, AL residual mas) of its transits as its fit leaves them}: the visits over
        all bodies (`visit_index`), and each body's mean over its transits within `gross_mas` in each visit."""
        bodies = [int(b) for b in residuals]
        tdb = np.concatenate([np.asarray(residuals[b][0], float) for b in residuals])
        al = np.concatenate([np.asarray(residuals[b][1], float) for b in residuals])
        owner = np.concatenate([np.full(len(residuals[b][0]), int(b)) for b in residuals])
        visit = visit_index(tdb, gap_days)
        rows = []
        for v in np.unique(visit):
            here = visit == v
            start, end = tdb[here].min(), tdb[here].max()
            for b in bodies:
                mine = here & (owner == b) & (np.abs(al) <= gross_mas)
                if mine.any():
                    rows.append((int(v), start, end, b, int(mine.sum()), float(al[mine].mean())))
        columns = list(zip(*rows)) if rows else [[]] * len(COLUMNS)
        return cls(*(np.asarray(c, dtype=t) for c, t in zip(columns, (int, float, float, int, int, float))),
                   meta={"gap_days": gap_days, "gross_mas": gross_mas, **(meta or {})})

    def variances(self):
        """(tau^2, s^2) in mas^2: the variance of the error common to a visit and of one moon's visit mean about it,
        by the method of moments over the visits seen by >= 2 moons (pooled within-visit variance of the moons'
        means; variance of the visits' means less its independent share)."""
        within, means, shares = [], [], []
        for v in np.unique(self.visit):
            m = self.mean_al_mas[self.visit == v]
            if m.size < 2:
                continue
            within.append((np.sum((m - m.mean()) ** 2), m.size - 1))
            means.append(m.mean())
            shares.append(1.0 / m.size)
        if len(means) < 3:
            raise ValueError(f"{self.source()}: fewer than 3 Gaia visits seen by >= 2 moons; the common error's "
                             f"variance cannot be estimated")
        s2 = sum(w for w, _ in within) / sum(d for _, d in within)
        tau2 = max(float(np.mean(np.square(means)) - s2 * np.mean(shares)), 0.0)
        return tau2, float(s2)

    def others_in_visit(self, body, tdb):
        """Which rows hold the other moons' means in the visit of the epoch `tdb` (TDB s) for a fit of `body`."""
        margin = 0.5 * self.meta.get("gap_days", VISIT_GAP_DAYS) * C.SECONDS_PER_DAY
        return (self.start_tdb_s - margin <= tdb) & (tdb <= self.end_tdb_s + margin) & (self.body != int(body))

    def offset(self, body, tdb):
        """(offset mas, sigma mas, number of other moons) of the common error at each epoch `tdb` (TDB s) for a fit
        of `body` (NAIF id): the mean of the other moons' means in the epoch's visit, and its error s / sqrt(k) (s
        from `variances`); offset NaN where the epoch falls in no visit or fewer than MIN_OTHERS other moons saw
        it."""
        tdb = np.atleast_1d(np.asarray(tdb, float))
        _, s2 = self.variances()
        offset, sigma, count = np.full(tdb.size, np.nan), np.full(tdb.size, np.nan), np.zeros(tdb.size, int)
        for i, t in enumerate(tdb):
            here = self.others_in_visit(body, t)
            k = int(here.sum())
            count[i] = k
            if k >= MIN_OTHERS:
                offset[i] = self.mean_al_mas[here].mean()
                sigma[i] = np.sqrt(s2 / k)
        return offset, sigma, count

    def correct(self, observations, body=None):
        """A copy of `observations` whose Gaia transit normal points (kind "gaia_transit") are moved along the scan
        by minus their visit's common error as the other moons measure it (`offset`), and a report dict: transits
        corrected and left, the median |offset| and its sigma, tau and s. Their covariance is kept, unless the
        table's transits have the moons' own floors (meta[FLOORS_META_KEY] == OWN_FLOORS, module docstring): then their
        AL variance loses VISIT_COMMON_AL_MAS^2 (a transit whose AL sigma is not above it keeps its covariance and is
        counted in "floor_below_common").
        `body`: the NAIF id the fit is of (default the table's `body` column, row by row). Other rows are returned
        as they are, and so are transits of another Gaia release (catalog "Gaia FPR": `gaia_archive`), whose
        reprocessing need not share DR3's visit errors: counted in "other_release"."""
        out = observations.copy()
        kind = np.asarray(out["kind"]).astype(str)
        catalog = np.asarray(out["catalog"]).astype(str)
        other_release = (kind == GAIA_TRANSIT) & np.char.startswith(catalog, "Gaia") & (catalog != RELEASE)
        rows = np.nonzero((kind == GAIA_TRANSIT) & ~other_release)[0]
        report = {"transits": int(rows.size), "corrected": 0, "left": int(rows.size), "floor_below_common": 0,
                  "other_release": int(other_release.sum()),
                  "tau_mas": np.nan, "s_mas": np.nan, "median_abs_offset_mas": np.nan, "median_sigma_mas": np.nan,
                  "source": self.source()}
        if rows.size == 0:          # nothing to correct (a fit of the data before the transits): no variance needed
            return out, report
        tau2, s2 = self.variances()
        report.update(tau_mas=float(np.sqrt(tau2)), s_mas=float(np.sqrt(s2)))
        bodies = np.asarray(out["body"], int)[rows] if body is None else np.full(rows.size, int(body))
        tdb = np.asarray(out["tdb"], float)[rows]
        offset, sigma = np.full(rows.size, np.nan), np.full(rows.size, np.nan)
        for b in np.unique(bodies):
            mine = bodies == b
            offset[mine], sigma[mine], _ = self.offset(b, tdb[mine])
        done = np.isfinite(offset)
        directions = along_scan_directions(out[rows])
        kept, own_floors = 0, out.meta.get(FLOORS_META_KEY) == OWN_FLOORS
        for i in np.nonzero(done)[0]:
            row = rows[i]
            shift = -offset[i] * directions[i]                          # mas, (RA*, Dec)
            dec = float(out["dec_deg"][row])
            out["ra_deg"][row] += shift[0] / (MAS_PER_DEG * np.cos(np.radians(dec)))
            out["dec_deg"][row] += shift[1] / MAS_PER_DEG
            if own_floors:
                kept += not _without_common_error(out, row, directions[i])
        report.update(corrected=int(done.sum()), left=int((~done).sum()), floor_below_common=kept)
        if done.any():
            report.update(median_abs_offset_mas=float(np.median(np.abs(offset[done]))),
                          median_sigma_mas=float(np.median(sigma[done])))
        return out, report

    def source(self):
        return str(self.meta.get("path", "Gaia visit offsets"))

    # --- the file ---------------------------------------------------------------------------------------------------
    def to_csv(self):
        """The table as CSV text: '# key = value' provenance lines, a header of `COLUMNS`, one row per (visit,
        body)."""
        text = io.StringIO()
        for key, value in self.meta.items():
            if key != "path":
                text.write(f"# {key} = {value}\n")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in zip(self.visit, self.start_tdb_s, self.end_tdb_s, self.body, self.n_transits, self.mean_al_mas):
            writer.writerow([int(row[0]), f"{row[1]:.3f}", f"{row[2]:.3f}", int(row[3]), int(row[4]),
                             f"{row[5]:.4f}"])
        return text.getvalue()

    def write(self, path):
        """Write `to_csv` to `path` atomically."""
        from ..files import atomic_path
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
            handle.write(self.to_csv())

    @classmethod
    def read(cls, path=None):
        """The table written by `write` (default the embedded data/gaia_visits/dr3_visit_offsets.csv); a malformed
        line raises ValueError naming the file, the line and what was expected."""
        if path is None:
            from ..paths import data_path
            path = data_path(*OFFSETS_FILE)
        meta, rows, header = {}, [], None
        kinds = (int, float, float, int, int, float)
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                line = line.strip()
                if not line:
                    continue
                if line.startswith("#"):
                    key, sep, value = line[1:].partition("=")
                    if sep:
                        meta[key.strip()] = _number_or_text(value.strip())
                    continue
                fields = next(csv.reader([line]))
                if header is None:
                    if tuple(fields) != COLUMNS:
                        raise ValueError(f"{path}, line {number}: expected the header {','.join(COLUMNS)}")
                    header = fields
                    continue
                try:
                    if len(fields) != len(COLUMNS):
                        raise ValueError
                    values = [kind(value) for kind, value in zip(kinds, fields)]
                    if not all(np.isfinite(values)):
                        raise ValueError
                except ValueError:
                    raise ValueError(f"{path}, line {number}: expected {len(COLUMNS)} finite numbers "
                                     f"({','.join(COLUMNS)}), got {line!r}") from None
                rows.append(values)
        if header is None:
            raise ValueError(f"{path}: no header line {','.join(COLUMNS)}")
        columns = list(zip(*rows)) if rows else [[]] * len(COLUMNS)
        meta["path"] = os.fspath(path)
        return cls(*(np.asarray(c, dtype=t) for c, t in zip(columns, kinds)), meta=meta)


def _number_or_text(value):
    try:
        return float(value)
    except ValueError:
        return value


def as_gaia_transits(table, body, *, ephemeris=None, floors="own", visit_offsets="embedded", data_dir=None):
    """`table` with Gaia DR3's CCD rows of `body` turned into transit normal points as the default fit takes them:
    what `load_all` does, and `orbitfit fit` with a user's files (one rule, written once).

    floors: "own" (each moon's own along-scan floor, `gaia.CORRECTED_AL_FLOOR_MAS`, with the visit's common error
    in quadrature until the correction takes it out) or "common" (7 mas for every transit, `gaia.AL_FLOOR_MAS`).
    visit_offsets: "embedded" (data/gaia_visits/ of `data_dir`, else the package's), a `GaiaVisitOffsets`, or None
    (the transits as Gaia gave them): frees each transit of its visit's error common to the moons, as the other
    moons measure it (`orbitfit.observations.gaia_visits`). Returns (table, notes: one line per step saying what it
    did, report: the normal points' counts (`gaia.to_normal_points`) with the correction's under "visit_correction").
    """
    if floors not in ("common", OWN_FLOORS):
        raise ValueError(f"floors (load_all's gaia_floors) must be 'common' or 'own', not {floors!r}")
    al_floor = OWN_FLOORS if floors == OWN_FLOORS else AL_FLOOR_MAS
    table, report = to_normal_points(table, al_floor_mas=al_floor, ephemeris=ephemeris)
    ways = "; ".join(f"{count} {way}" for way, count in report.get("scan_axis", {}).items())
    notes = [f"Gaia: {report['records']} CCD positions -> {report['transits']} transit normal points "
             f"({report['kept_as_is']} kept as they are" + (f"; scan direction: {ways}" if ways else "")
             + ("; each moon's own along-scan floor" if al_floor == OWN_FLOORS else "") + ")"]
    if visit_offsets is None or not report["transits"]:
        return table, notes, report
    offsets = visit_offsets
    if isinstance(offsets, str) and offsets == "embedded":      # the data folder's own, else the package's
        own = os.path.join(os.fspath(data_dir or DATA_DIR), *OFFSETS_FILE)
        offsets = GaiaVisitOffsets.read(own if os.path.isfile(own) else None)
    if not isinstance(offsets, GaiaVisitOffsets):
        raise ValueError("visit_offsets (load_all's gaia_visit_offsets) must be 'embedded', None or a "
                         f"GaiaVisitOffsets, not {visit_offsets!r}")
    table, visit = offsets.correct(table, naif_id(body))
    size = (f"; median offset {visit['median_abs_offset_mas']:.1f} mas, sigma "
            f"{visit['median_sigma_mas']:.1f}") if visit["corrected"] else ""
    other = (f"{visit['other_release']} transit normal points of another Gaia release left as they are (the table "
             f"measured {RELEASE}'s visits)") if visit["other_release"] else ""
    if not visit["transits"]:
        notes.append(f"Gaia: {other}")
        return table, notes, dict(report, visit_correction=visit)
    notes.append(f"Gaia: {visit['corrected']} of {visit['transits']} transit normal points freed of their visit's "
                 f"error common to the moons ({visit['source']}{size}); {visit['left']} left as they are (fewer than "
                 "2 other moons in their visit)" + (f"; {other}" if other else "")
                 + (f"; the common error taken out of the freed ones' along-scan sigma, {visit['floor_below_common']} "
                    "too small to lose it" if al_floor == OWN_FLOORS else ""))
    return table, notes, dict(report, visit_correction=visit)


__all__ = ["GaiaVisitOffsets", "as_gaia_transits", "visit_index", "VISIT_GAP_DAYS", "MIN_OTHERS",
           "OFFSETS_FILE"]
