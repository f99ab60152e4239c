"""Every usable embedded data set of one satellite, read with the readers and deduplicated.

    from orbitfit.observations.datasets import load_all
    obs, report = load_all(506)                  # or load_all("Himalia")
    print(report)                                # read / rejected / rows / duplicates / kept per source

Sources (under data/): the GJ15 catalogue (gj15/<Name>.dat), every NSDB unit of nsdb_jupiter_outer/ (Gaia DR3
jo0069 included; units the reader rejects stay rejected), the MPC-derived CSV next to them, and for Kallichore (544)
the two files of kallichore/. Readers keep what a file says; pre-1960 UT times, unsupported equinoxes etc. are
rejected by them and only counted here.

The `dataset` column names the data set of each row: "gj15", "nsdb:joNNNN" (one NSDB unit; "nsdb:jo0069" is Gaia
DR3), "mpc" (DERIVED_mpc_astrometry_J6-J13_2005-2022.csv), "kallichore:csv", "kallichore:mpc80". The fitter groups
weights by (dataset, observer).

Duplicates
----------
The same measurement is printed in several sources: NSDB jo0056 *is* GJ15; the MPC CSV was extracted from NSDB units
jo0054-jo0074; the Kallichore files from NSDB units jo10xx; NSDB units overlap each other (USNO FASTT in jo0034,
jo0040, jo0046; WISE in jo0049/jo0051 and jo0075; MPC batches). Two rows are copies of one measurement when

  1. same body, and |t_a - t_b| <= `TIME_TOL_S` (1 s): the coarsest time printed in these files is 1e-5 day
     (0.86 s), so two printings of one instant differ by less than 1 s, while distinct exposures of one site are
     never that close (the closest pairs of distinct records are Gaia's CCD transits, 4.4 s apart, and G45 frames
     5.2 s apart);
  2. same observer, or one row geocentric (observer 500, a unit that removed the parallax) and the other from a
     site with a known position: the geocentric row is then moved to that site (parallax computed from the DE
     Earth, the site's ITRS position and the Jupiter-barycentre distance) before comparing;
  3. positions equal to printing precision: |dRA*| <= u_a + u_b + 20 mas and |dDec| <= v_a + v_b + 20 mas, where u,
     v are the rounding units of each printed value (0.01 s of RA = 150 cos(Dec) mas and 0.1" in MPC-style records,
     down to 0.0001 s / 0.001" in GJ15), inferred from the values; u + v instead of (u + v)/2 because some units
     truncate rather than round (WISE jo0049 prints 19.6" where jo0075 prints 19.69"). 20 mas covers the motion of
     the moon during 1 s (Jupiter's geocentric rate is below 10 mas/s). A geo/topo pair gets 4% of the parallax more
     (the moon is up to 0.16 au from Jupiter's barycentre, at >= 4 au from the Earth).
  Within one source only verbatim repetitions (same instant to 1 ms, same position to 0.5 mas) are copies: a
  catalogue's distinct rows at one instant are the authors' distinct measurements (GJ15 has pairs from the OPD
  Boller & Chivens and Zeiss telescopes at the same instant, 1-7 mas apart), but GJ15 Himalia.dat line 309 repeats
  line 308 character for character, as do a few NSDB lines (jo0010, jo0043).
  With ``drop_remeasurements=True`` a conflict (below) counts as a copy too.

Which copy is kept: rows are ranked GJ15 > Gaia DR3 (jo0069) > NSDB units > derived compilations (MPC CSV, then
the Kallichore CSV, then its MPC 80-column copy); ties are broken by a given per-observation sigma, finer printed
precision, a topocentric (not parallax-corrected) position, then dataset name and line. Why: GJ15 is the original
catalogue with per-night uncertainties at full precision; Gaia rows carry their own covariance and observer
position; an NSDB unit is the published record (or its transcription) with the observing site; the compilations
were extracted from those NSDB units (their .source.txt says so) and add nothing of their own. A row that matches
any better-ranked row (kept or itself a copy) is dropped; every dropped row is listed in `report.duplicates` with the
row it repeats.

Rows of one site at the same instant whose positions differ by more than the tolerance are not copies; they are kept
and listed in `report.conflicts` (different reductions of one exposure, or an error in one source: e.g. NSDB jo0050
puts Carme 2.9" away from GJ15 at the same instant from the same site).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..bodies import NAIF_NAMES, naif_id
from .core import GEOCENTRE, Observations, ReadReport
from .gj15 import read_gj15
from .mpc import read_mpc80, read_mpc_csv
from .nsdb import parse_description, read_nsdb

TIME_TOL_S = 1.0                 # see the module docstring, rule 1
MOTION_SLACK_MAS = 20.0          # rule 3: motion of the moon within TIME_TOL_S, plus float noise
PARALLAX_SLACK = 0.04            # rule 2: relative error of the parallax computed at Jupiter's distance
VERBATIM_TIME_S = 1e-3           # within one source: same instant ...
VERBATIM_MAS = 0.5               # ... and same position

MPC_CSV = "DERIVED_mpc_astrometry_J6-J13_2005-2022.csv"
KALLICHORE_CSV = "kallichore_nsdb_astrometry.csv"
KALLICHORE_MPC80 = "kallichore_nsdb_astrometry_mpc80.txt"
GAIA_DATASETS = ("nsdb:jo0069",)
TIER_NAMES = {0: "GJ15", 1: "Gaia", 2: "NSDB unit", 3: "compilation"}

# rounding units tried, coarsest first: seconds of time for RA, arcseconds for Dec
_RA_UNITS_S = (0.01, 0.001, 0.0001)
_DEC_UNITS_AS = (0.1, 0.01, 0.001)


# --- the report -----------------------------------------------------------------------------------------------------
@dataclass
class SourceCount:
    source: str          # file name
    dataset: str
    tier: int
    read: int            # records in the file (all bodies), as counted by its reader
    rejected: int        # records the reader rejected (all bodies)
    rows: int            # rows of this body the reader kept
    duplicates: int      # of those, dropped as copies of a better-ranked row
    kept: int


@dataclass
class Pair:
    """A dropped copy (or a conflict) and the better-ranked row it was compared with."""
    dataset: str
    source: str
    line: int
    other_dataset: str
    other_source: str
    other_line: int
    dt_s: float
    d_ra_mas: float      # RA* difference after moving a geocentric row to the site, mas
    d_dec_mas: float
    geo_topo: bool = False

    def __str__(self):
        how = " (geocentric vs topocentric)" if self.geo_topo else ""
        return (f"{self.source}:{self.line} [{self.dataset}] vs {self.other_source}:{self.other_line} "
                f"[{self.other_dataset}]: dt {self.dt_s:.3f} s, dRA* {self.d_ra_mas:+.0f} mas, "
                f"dDec {self.d_dec_mas:+.0f} mas{how}")


@dataclass
class DatasetReport:
    """What `load_all` read, rejected, dropped as duplicate and kept, per source file, for one body."""
    body: int
    sources: list = field(default_factory=list)        # SourceCount per file with rows of this body
    duplicates: list = field(default_factory=list)     # Pair per dropped row
    conflicts: list = field(default_factory=list)      # Pair per same-site same-instant disagreement
    reader: ReadReport = field(default_factory=ReadReport)
    notes: list = field(default_factory=list)

    @property
    def kept(self):
        return sum(s.kept for s in self.sources)

    @property
    def rows(self):
        return sum(s.rows for s in self.sources)

    def dropped_by_pair(self) -> dict:
        """{(dropped dataset, kept-or-better dataset): count}."""
        out: dict = {}
        for p in self.duplicates:
            key = (p.dataset, p.other_dataset)
            out[key] = out.get(key, 0) + 1
        return out

    def table(self) -> str:
        width = max([24] + [len(f"{s.dataset} ({s.source})") for s in self.sources])
        head = (f"{'source':<{width}} {'tier':<11} {'read*':>6} {'rej.*':>6} {'rows':>6} {'dupl.':>6} "
                f"{'kept':>6}")
        lines = [head]
        for s in self.sources:
            label = s.dataset if s.dataset in s.source else f"{s.dataset} ({s.source})"
            lines.append(f"{label:<{width}} {TIER_NAMES[s.tier]:<11} {s.read:6d} {s.rejected:6d} {s.rows:6d} "
                         f"{s.duplicates:6d} {s.kept:6d}")
        lines.append(f"{'total':<{width}} {'':<11} {sum(s.read for s in self.sources):6d} "
                     f"{sum(s.rejected for s in self.sources):6d} {self.rows:6d} "
                     f"{sum(s.duplicates for s in self.sources):6d} {self.kept:6d}")
        lines.append("* read / rejected: records of the whole file (all bodies), as counted by its reader; rows, "
                     "duplicates, kept: this body")
        return "\n".join(lines)

    def __str__(self):
        name = NAIF_NAMES.get(self.body, str(self.body))
        out = [f"{name} ({self.body}): {self.kept} observations kept of {self.rows} read for this body "
               f"({len(self.duplicates)} duplicates dropped, {len(self.conflicts)} same-site same-instant "
               f"conflicts kept)", self.table()]
        pairs = self.dropped_by_pair()
        if pairs:
            out.append("duplicates dropped, by (dropped data set <- data set it repeats):")
            out += [f"  {n:6d}  {a} <- {b}" for (a, b), n in sorted(pairs.items(), key=lambda kv: -kv[1])]
        if self.conflicts:
            out.append("conflicts (same site, |dt| <= 1 s, positions differ beyond rounding; both kept):")
            out += [f"  {c}" for c in self.conflicts[:10]]
            if len(self.conflicts) > 10:
                out.append(f"  ... {len(self.conflicts) - 10} more")
        if self.notes:
            out.append("notes:")
            out += [f"  {n}" for n in self.notes]
        return "\n".join(out)


# --- reading --------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _read_shared(data_dir: str):
    """Every multi-body source under data_dir, read once per process: [(table, report, tier, dataset label)]."""
    outer = os.path.join(data_dir, "nsdb_jupiter_outer")
    out = []
    for name in sorted(os.listdir(outer)):
        path = os.path.join(outer, name)
        if name.endswith(".txt") and not name.endswith(".source.txt") and \
                os.path.exists(os.path.splitext(path)[0] + ".html"):
            table, report = read_nsdb(path)
            dataset = f"nsdb:{os.path.splitext(name)[0]}"
            out.append((table, report, 1 if dataset in GAIA_DATASETS else 2, dataset))
    path = os.path.join(outer, MPC_CSV)
    if os.path.exists(path):
        table, report = read_mpc_csv(path)
        out.append((table, report, 3, "mpc"))
    return out


@lru_cache(maxsize=16)
def _read_one(path: str, reader: str):
    return {"gj15": read_gj15, "mpc_csv": read_mpc_csv, "mpc80": read_mpc80}[reader](path)


def _sources(body: int, data_dir: str):
    """[(table of this body, reader report, tier, dataset label)] in a fixed order."""
    out = []
    gj15 = os.path.join(data_dir, "gj15", f"{NAIF_NAMES.get(body, '')}.dat")
    if body in NAIF_NAMES and os.path.exists(gj15):
        table, report = _read_one(gj15, "gj15")
        out.append((table, report, 0, "gj15"))
    out += list(_read_shared(data_dir))
    if body == 544:
        for name, reader, label, tier in ((KALLICHORE_CSV, "mpc_csv", "kallichore:csv", 3),
                                          (KALLICHORE_MPC80, "mpc80", "kallichore:mpc80", 3)):
            path = os.path.join(data_dir, "kallichore", name)
            if os.path.exists(path):
                table, report = _read_one(path, reader)
                out.append((table, report, tier, label))
    selected = []
    for table, report, tier, label in out:
        rows = table[np.asarray(table["body"]) == body] if len(table) else table
        rows = Observations(rows, copy=True)
        if len(rows):
            rows["dataset"] = np.array([label] * len(rows), dtype=object).astype(str)
        selected.append((rows, report, tier, label))
    return selected


# --- precision and matching -----------------------------------------------------------------------------------------
def printed_units_mas(ra_deg, dec_deg):
    """Rounding units (mas, RA* and Dec) of positions printed in sexagesimal, inferred from the values.

    The coarsest of 0.01/0.001/0.0001 s (RA) and 0.1/0.01/0.001" (Dec) of which the value is a multiple; 0 when it
    is a multiple of none (degrees with many digits, FK4-converted positions). A value that happens to end in a
    zero is read as one digit coarser: that only widens the tolerance, never narrows it.
    """
    ra_s = np.asarray(ra_deg, float) * 240.0
    dec_as = np.abs(np.asarray(dec_deg, float)) * 3600.0
    u_ra, u_dec = np.zeros(ra_s.shape), np.zeros(ra_s.shape)
    for units, values, out, scale in ((_RA_UNITS_S, ra_s, u_ra, 15000.0), (_DEC_UNITS_AS, dec_as, u_dec, 1000.0)):
        unset = np.ones(values.shape, dtype=bool)
        for u in units:
            q = values / u
            hit = unset & (np.abs(q - np.round(q)) < 1e-3)
            out[hit] = u * scale
            unset &= ~hit
    u_ra *= np.cos(np.radians(np.asarray(dec_deg, float)))
    return u_ra, u_dec


def _candidate_pairs(body, t, tol):
    """Index pairs (i, j), i != j, of rows with the same body and |t_i - t_j| <= tol (each pair once)."""
    order = np.lexsort((t, body))
    bs, ts = body[order], t[order]
    first, second = [], []
    n = len(order)
    for k in range(1, n):
        # compare row k with the rows before it in the same body within tol
        m = k - 1
        while m >= 0 and bs[m] == bs[k] and ts[k] - ts[m] <= tol:
            first.append(order[m])
            second.append(order[k])
            m -= 1
    return np.array(first, dtype=int), np.array(second, dtype=int)


def _offsets_mas(ra_a, dec_a, ra_b, dec_b):
    """(RA* b - a, Dec b - a) in mas (small differences)."""
    d_ra = (np.asarray(ra_b) - np.asarray(ra_a) + 180.0) % 360.0 - 180.0
    cos = np.cos(np.radians(0.5 * (np.asarray(dec_a) + np.asarray(dec_b))))
    return d_ra * cos * 3.6e6, (np.asarray(dec_b) - np.asarray(dec_a)) * 3.6e6


def _parallax_shift_mas(table, geo_rows, site_rows, ephemeris):
    """(RA*, Dec) shift in mas from the geocentre to the site of `site_rows`, for the moon in the direction of the
    geocentric rows at Jupiter-barycentre distance."""
    from dynamics import constants as C
    from .observers import Observers
    observers = Observers(ephemeris)
    t = np.asarray(table["tdb"], float)[geo_rows]
    site = table[site_rows]
    xyz = np.column_stack([np.asarray(site[c], float) for c in ("obs_x_km", "obs_y_km", "obs_z_km")])
    r_site = observers.positions(np.asarray(site["observer"]).astype(str), t, xyz,
                                 np.asarray(site["obs_frame"]).astype(str))
    r_geo = observers.positions([GEOCENTRE] * len(t), t)
    distance = np.linalg.norm(ephemeris.position(C.JUPITER_BARY, t) - r_geo, axis=1)
    ra = np.radians(np.asarray(table["ra_deg"], float)[geo_rows])
    dec = np.radians(np.asarray(table["dec_deg"], float)[geo_rows])
    u = np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    moon = r_geo + distance[:, None] * u
    v = moon - r_site
    v /= np.linalg.norm(v, axis=1)[:, None]
    ra_t, dec_t = np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0, np.degrees(np.arcsin(v[:, 2]))
    return _offsets_mas(np.degrees(ra) % 360.0, np.degrees(dec), ra_t, dec_t)


def find_duplicates(table, rank, time_tol_s=TIME_TOL_S, ephemeris=None, drop_remeasurements=False):
    """Rows of `table` that copy a better-ranked row (lower `rank`), by the rules of the module docstring.

    drop_remeasurements: also drop the worse-ranked row of a conflict (same site, same instant, positions differ
    beyond rounding: another reduction of the same exposure), instead of keeping both.

    Returns (dropped mask, {dropped row: (better row, dt, dRA*, dDec, geo_topo)}, [conflicts as the same tuples
    (row, other row, ...)]).
    """
    n = len(table)
    dropped = np.zeros(n, dtype=bool)
    if n == 0:
        return dropped, {}, []
    t = np.asarray(table["tdb"], float)
    body = np.asarray(table["body"], int)
    observer = np.asarray(table["observer"]).astype(str)
    dataset = np.asarray(table["dataset"]).astype(str)
    frame = np.asarray(table["obs_frame"]).astype(str)
    ra, dec = np.asarray(table["ra_deg"], float), np.asarray(table["dec_deg"], float)
    u_ra, u_dec = printed_units_mas(ra, dec)
    i, j = _candidate_pairs(body, t, time_tol_s)
    # orient every pair so that i is the better-ranked row
    swap = rank[j] < rank[i]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    same_observer = observer[i] == observer[j]
    geo_i, geo_j = observer[i] == GEOCENTRE, observer[j] == GEOCENTRE
    has_site = lambda k: (observer[k] != GEOCENTRE) & ((frame[k] != "") | _fixed_site(observer[k]))
    geo_topo = ~same_observer & ((geo_i & has_site(j)) | (geo_j & has_site(i)))
    keep = same_observer | geo_topo
    i, j, geo_topo, same_observer = i[keep], j[keep], geo_topo[keep], same_observer[keep]
    d_ra, d_dec = _offsets_mas(ra[i], dec[i], ra[j], dec[j])
    slack_ra = np.full(i.size, MOTION_SLACK_MAS)
    slack_dec = slack_ra.copy()
    if geo_topo.any():
        from dynamics.propagation import default_ephemeris
        ephemeris = ephemeris or default_ephemeris()
        k = np.nonzero(geo_topo)[0]
        gi = np.where(observer[i[k]] == GEOCENTRE, i[k], j[k])       # the geocentric row of each pair
        si = np.where(observer[i[k]] == GEOCENTRE, j[k], i[k])
        p_ra, p_dec = _parallax_shift_mas(table, gi, si, ephemeris)
        sign = np.where(gi == i[k], 1.0, -1.0)                         # d = j - i; expected = site - geo
        d_ra[k] -= sign * p_ra
        d_dec[k] -= sign * p_dec
        p = np.hypot(p_ra, p_dec)
        slack_ra[k] += PARALLAX_SLACK * p
        slack_dec[k] += PARALLAX_SLACK * p
    dt = np.abs(t[j] - t[i])
    same_source = dataset[i] == dataset[j]
    within_rounding = (np.abs(d_ra) <= u_ra[i] + u_ra[j] + slack_ra) & \
        (np.abs(d_dec) <= u_dec[i] + u_dec[j] + slack_dec)
    verbatim = (dt <= VERBATIM_TIME_S) & (np.hypot(d_ra, d_dec) <= VERBATIM_MAS) & same_observer
    copy = np.where(same_source, verbatim, within_rounding)
    matches: dict = {}
    # best (lowest-ranked) partner first, so each dropped row names the best copy it repeats
    for a, b, dtt, x, y, g in sorted(zip(i[copy], j[copy], dt[copy], d_ra[copy], d_dec[copy], geo_topo[copy]),
                                     key=lambda p: (rank[p[1]], rank[p[0]])):
        if b not in matches:
            matches[int(b)] = (int(a), float(dtt), float(x), float(y), bool(g))
    dropped[list(matches)] = True
    conflict = ~same_source & ~within_rounding
    conflicts = [(int(a), int(b), float(dtt), float(x), float(y), bool(g)) for a, b, dtt, x, y, g in
                 sorted(zip(i[conflict], j[conflict], dt[conflict], d_ra[conflict], d_dec[conflict],
                            geo_topo[conflict]), key=lambda p: (rank[p[0]], rank[p[1]]))
                 if not (dropped[a] or dropped[b])]         # a dropped row's conflict is its original's
    if drop_remeasurements:
        for a, b, dtt, x, y, g in conflicts:
            if not dropped[b]:
                matches[b] = (a, dtt, x, y, g)
                dropped[b] = True
        conflicts = []
    return dropped, matches, conflicts


@lru_cache(maxsize=None)
def _fixed_site_code(code: str) -> bool:
    from .observers import has_fixed_site
    try:
        return bool(has_fixed_site(code))
    except Exception:         # unknown code: not usable for a parallax
        return False


def _fixed_site(codes):
    return np.array([_fixed_site_code(str(c)) for c in np.atleast_1d(codes)], dtype=bool)


def preference_rank(table, tiers):
    """Rank of every row (0 = best): tier, then a given sigma, finer printed precision, topocentric, dataset, line."""
    u_ra, u_dec = printed_units_mas(table["ra_deg"], table["dec_deg"])
    no_sigma = ~np.isfinite(np.asarray(table["sigma_ra_mas"], float))
    geocentric = np.asarray(table["observer"]).astype(str) == GEOCENTRE
    order = np.lexsort((np.asarray(table["line"], int), np.asarray(table["dataset"]).astype(str), geocentric,
                        np.round(u_ra + u_dec, 3), no_sigma, np.asarray(tiers)))
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return rank


# --- the entry point ------------------------------------------------------------------------------------------------
def load_all(body, data_dir=None, *, time_tol_s=TIME_TOL_S, ephemeris=None, drop_remeasurements=False,
             gaia_transits=True, gaia_visit_offsets="embedded", gaia_floors="own"):
    """Every embedded observation of one satellite (NAIF id or name), deduplicated. Returns (Observations, report).

    Rows keep their reader's values; `dataset` names the data set (module docstring). The table is sorted by time.
    drop_remeasurements=True also drops the worse-ranked row of each conflict (two reductions of one exposure:
    WISE jo0049 vs its re-reduction jo0075, up to 0.9" apart); by default both are kept and listed in
    `report.conflicts`. `ephemeris` (dynamics.Ephemeris, default de440) is used only for geocentric/topocentric
    pairs and for the Sun's direction from Gaia (a transit's scan direction). Gaia DR3's per-CCD positions become
    one normal point per transit with its AL/AC covariance (`orbitfit.observations.gaia`; counts in
    `report.notes`): a transit is one measurement, precise along the scan only; gaia_transits=False keeps the
    per-CCD rows as read. gaia_visit_offsets: "embedded" (default: the table of data/gaia_visits/) or a
    `GaiaVisitOffsets` frees the transit normal points of their Gaia visit's error common to the moons, as the other
    moons measure it (`orbitfit.observations.gaia_visits`; counts in `report.notes`); None leaves them as Gaia gave
    them. gaia_floors: "own" (default since 2026-12-05: each moon's own AL floor, `gaia.CORRECTED_AL_FLOOR_MAS`,
    with the visit's error in quadrature until a correction takes it out) or "common" (every transit 7 mas,
    `gaia.AL_FLOOR_MAS`, kept when freed of the visit's error; the default before; docs/validation.md, "Each moon's
    own floor").
    """
    if gaia_floors not in ("common", "own"):
        raise ValueError(f"gaia_floors must be 'common' or 'own', not {gaia_floors!r}")
    from ..paths import DATA_DIR
    body = naif_id(body)
    data_dir = os.fspath(data_dir or DATA_DIR)
    sources = _sources(body, data_dir)
    report = DatasetReport(body, reader=ReadReport.merged([r for _, r, _, _ in sources]))
    tables = [tbl for tbl, _, _, _ in sources if len(tbl)]
    table = Observations.concatenate(tables)
    tiers = np.concatenate([np.full(len(tbl), tier) for tbl, _, tier, _ in sources if len(tbl)]) \
        if tables else np.zeros(0, dtype=int)
    rank = preference_rank(table, tiers) if len(table) else np.zeros(0, dtype=int)
    dropped, matches, conflicts = find_duplicates(table, rank, time_tol_s, ephemeris, drop_remeasurements)

    def pair(a, b, dtt, x, y, g):
        return Pair(str(table["dataset"][a]), str(table["source"][a]), int(table["line"][a]),
                    str(table["dataset"][b]), str(table["source"][b]), int(table["line"][b]), dtt, x, y, g)

    report.duplicates = [pair(row, *m) for row, m in sorted(matches.items(), key=lambda kv: rank[kv[0]])]
    report.conflicts = [pair(b, a, dtt, -x, -y, g) for a, b, dtt, x, y, g in conflicts]
    datasets = np.asarray(table["dataset"]).astype(str) if len(table) else np.array([], dtype=str)
    for tbl, rep, tier, label in sources:
        if not len(tbl):
            continue
        mine = datasets == label
        name = str(tbl["source"][0])
        file_read, file_kept, file_rej = rep.sources.get(name, [rep.read, rep.kept, len(rep.rejected)])
        report.sources.append(SourceCount(name, label, tier, file_read, file_rej, int(mine.sum()),
                                          int((mine & dropped).sum()), int((mine & ~dropped).sum())))
    report.sources.sort(key=lambda s: (s.tier, s.dataset))
    report.notes += _rejected_unit_notes(body, data_dir, sources)
    kept = table[~dropped]
    if len(kept):
        kept = kept[np.argsort(np.asarray(kept["tdb"], float), kind="stable")]
    if gaia_transits:
        from .gaia_visits import as_gaia_transits
        kept, notes, _ = as_gaia_transits(kept, body, ephemeris=ephemeris, floors=gaia_floors,
                                          visit_offsets=gaia_visit_offsets, data_dir=data_dir)
        report.notes += notes
    return Observations(kept, copy=False), report


def _rejected_unit_notes(body, data_dir, sources):
    """Whole NSDB units the reader rejected whose description lists this body."""
    name = NAIF_NAMES.get(body, "").lower()
    notes = []
    for tbl, rep, tier, label in sources:
        if not label.startswith("nsdb:") or rep.kept or not rep.rejected:
            continue
        unit = label.split(":", 1)[1]
        try:
            satellites = parse_description(os.path.join(data_dir, "nsdb_jupiter_outer", unit + ".html")).satellites
        except Exception:                 # a description the reader could not parse: its reason is in the report
            satellites = ""
        if name and name in satellites.lower():
            notes.append(f"{unit}: rejected whole by the reader ({rep.rejected[0].reason.split(': ', 1)[-1]}); "
                         f"{rep.read} records, some of {NAIF_NAMES[body]}")
    return notes


__all__ = ["load_all", "DatasetReport", "SourceCount", "Pair", "find_duplicates", "printed_units_mas",
           "preference_rank", "TIME_TOL_S"]
