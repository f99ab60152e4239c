"""The weights of a fit: which observations share a floor (weight groups), nights and site biases (`FitData`),
the per-observation sigmas (`Weights`), and their estimation from the residuals: group floors, the intra-night
correlation, outlier flags (what each does: `orbitfit.estimation.options`).

Rows the fit cannot weight are refused before it starts (`unweightable_rows`: a sigma that is given but not
finite or below MIN_SIGMA_MAS, a sigma for one coordinate only, |corr| >= 1). An occultation or Gaia-transit row
without its sigmas (an MPC 80-column 'E' record, an ADES OCC record with blank rmsRA) has no covariance of its own:
by default it is weighted as a position of its weight group (its sigma is the group's estimated floor, as for
every position without a given sigma) and counted in Solution.meta["no_own_covariance"].

Nothing here changes its inputs: `fit_data` derives the estimator's view of the prepared observations, and every
estimate returns new arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dynamics import constants as C

from ..observations.gaia import TRANSIT_KIND
from ..observations.motion import apparent_rates
from ..observations.refraction import zenith_geometry

NIGHT_REFERENCE_COUNT = 4         # Veres et al. 2017: sigma grows as sqrt(N / 4) beyond 4 observations per night
A_PRIORI_SIGMA_MAS = 500.0        # first-pass sigma of groups that give none, before their floor is estimated
# smallest sigma a row may give: no astrometry of a moon is better than ~0.1 mas (Gaia's best transits, occultation
# chords); below 1 uas a sigma is a typing or unit error, and its square would underflow the weights (1e-200 mas)
MIN_SIGMA_MAS = 1e-3
# kinds that may carry a site bias (FitOptions.bias_groups): positions reduced against a star catalogue
BIASED_KINDS = ("optical",)
# what the positions reduced against a Gaia catalogue have of the apparition level (FitOptions.gaia_reduced_bias):
# their apparition's bias, one of their own per apparition ("gaia-reduced:2016"), or none
GAIA_REDUCED_BIASES = ("apparition", "own", "none")
GAIA_REDUCED = "gaia-reduced"
BIAS_GROUPINGS = ("apparition+uncatalogued", "apparition", "apparition+season", "apparition+observatory", "season",
                  "site", "dataset", "observatory", "uncatalogued", "apparition+uncatalogued+ground",
                  "apparition+uncatalogued+zenith", "apparition+uncatalogued+zenith+timing")
# two levels or more ("apparition+uncatalogued", "apparition+observatory", "apparition+season"): a group of the second
# level (an observatory, a season) gets a bias of its own on top of its apparition's only with this many positions; a
# few nights' mean offset is already in the night correlation and the floors. A third level "ground" is one group, all
# the ground-based positions of the moon (what they share against the transits and the dynamics, whatever the year)
SECOND_LEVEL_MIN_ROWS = 20
# Jupiter's apparitions, for season biases and the harness: a mean opposition (2000-11-28 00:00 TDB, JD 2451876.5)
# and the mean synodic period (398.88 d). An apparition runs from conjunction to conjunction, so its boundaries fall
# where Jupiter is near the Sun and nobody observes it (true oppositions stray from the mean ones by < 3 weeks).
JUPITER_OPPOSITION_TDB_S = (2451876.5 - C.J2000_JD) * C.SECONDS_PER_DAY
JUPITER_SYNODIC_S = 398.88 * C.SECONDS_PER_DAY
# ... and Jupiter's sidereal period (4332.59 d): from one mean opposition to the next its heliocentric longitude, and
# the stars around it, move by 33.1 deg; after 11 oppositions (11.9 years) it is back among the same stars
JUPITER_LONGITUDE_STEP_RAD = 2.0 * np.pi * 398.88 / 4332.59


def opposition_number(tdb):
    """The number of each epoch's apparition of Jupiter, counted in mean oppositions from 2000-11-28 (integers)."""
    return np.floor((np.asarray(tdb, dtype=float) - JUPITER_OPPOSITION_TDB_S) / JUPITER_SYNODIC_S + 0.5).astype(int)


def group_opposition_number(tdb):
    """The opposition number of a group of positions (one apparition's bias): the median of theirs, rounded, so that
    a stray row across the boundary does not move it (the apparitions' prior correlation counts lags with it)."""
    return int(np.round(np.median(opposition_number(tdb))))


def apparition_year(tdb):
    """The calendar year of the (mean) opposition of each epoch's apparition of Jupiter (TDB s past J2000)."""
    opposition = JUPITER_OPPOSITION_TDB_S + opposition_number(tdb) * JUPITER_SYNODIC_S
    return np.floor(2000.0 + opposition / (365.25 * C.SECONDS_PER_DAY)).astype(int)


@dataclass(frozen=True)
class FitData:
    """The prepared observations as the estimator weighs them: the sources' sigmas it starts from (NaN where none
    is given, or everywhere but occultations and Gaia transits with use_given_sigma=False), the weight group, night
    and site-bias group of each row. Built by `fit_data`; read-only."""
    t_obs: np.ndarray
    sigma_ra: np.ndarray            # mas, NaN: no given sigma
    sigma_dec: np.ndarray
    corr: np.ndarray
    full_covariance: np.ndarray     # occultations and Gaia transits: their own 2x2 covariance, no floor
    group: np.ndarray               # index into group_names of each row
    group_names: list
    night: np.ndarray               # index of each row's (site, night)
    night_count: np.ndarray         # positions of that site in that night
    bias_group: np.ndarray          # (rows, levels): index into bias_names of each row's biases, -1 for none
    bias_names: list = field(default_factory=list)
    # (rows, levels, 2, 2): a row's offset from the bias pair b of a level is M @ b (`bias_coefficients`); None: the
    # identity for every level (a constant RA*/Dec offset)
    bias_coefficients: np.ndarray = None


def member_name(body, name):
    """The name a family fit gives member `body`'s (NAIF id) weight group, bias or data set `name`:
    "506:apparition:2003" (orbitfit.estimation.family joins the members' FitData so)."""
    return f"{int(body)}:{name}"


def split_member_name(name):
    """(NAIF id, the member's own name) of a family fit's `member_name`; (None, name) for a single fit's name."""
    head, colon, rest = str(name).partition(":")
    return (int(head), rest) if colon and head.isdigit() else (None, str(name))


def fit_data(prepared, options):
    """The estimator's view of `prepared` (observables.PreparedObservations) under `options` (FitOptions)."""
    table = prepared.table
    keys = group_keys(table, options.weight_groups)
    group_names = sorted(set(keys))
    index = {name: k for k, name in enumerate(group_names)}
    group = np.array([index[k] for k in keys], dtype=int)
    night, counts = night_index(table, prepared.t_obs)
    sigma_ra, sigma_dec = prepared.sigma_ra, prepared.sigma_dec
    full_covariance = own_covariance(prepared)
    if not options.use_given_sigma:                     # uniform weights within a group (occultations keep theirs)
        sigma_ra = np.where(full_covariance, sigma_ra, np.nan)
        sigma_dec = np.where(full_covariance, sigma_dec, np.nan)
    bias_group, bias_names, coefficients = bias_design(
        table, options.bias_groups, options.gaia_apparition_offsets,
        gaia_reduced_bias=options.gaia_reduced_bias)
    return FitData(prepared.t_obs, sigma_ra, sigma_dec, prepared.corr, full_covariance, group, group_names,
                   night, counts, bias_group, bias_names,
                   coefficients)


def own_covariance(prepared):
    """Rows weighted by their own 2x2 covariance: occultations and Gaia transits that give both sigmas (the others
    are weighted as positions of their group, module docstring)."""
    return prepared.full_covariance & np.isfinite(prepared.sigma_ra) & np.isfinite(prepared.sigma_dec)


def unweightable_rows(table):
    """[(row, why)] of the rows of an Observations table no fit can weight: a sigma given (not NaN) but infinite or
    below MIN_SIGMA_MAS (zero and negative included), a sigma for one coordinate only, a correlation that is not
    finite or has |corr| >= 1 (NaN means none given). Occultations without sigmas are weighted (module docstring)."""
    sigma_ra = np.asarray(table["sigma_ra_mas"], float)
    sigma_dec = np.asarray(table["sigma_dec_mas"], float)
    corr = np.asarray(table["corr"], float)
    out = []
    for row in range(len(table)):
        given = [(name, v) for name, v in (("sigma_ra_mas", sigma_ra[row]), ("sigma_dec_mas", sigma_dec[row]))
                 if not np.isnan(v)]
        why = [f"{name} = {v!r} (expected a finite sigma >= {MIN_SIGMA_MAS:g} mas, or none)" for name, v in given
               if not (np.isfinite(v) and v >= MIN_SIGMA_MAS)]
        if len(given) == 1:
            why.append(f"{given[0][0]} given without the other coordinate's (expected both or none)")
        if not np.isnan(corr[row]) and not (np.isfinite(corr[row]) and abs(corr[row]) < 1):
            why.append(f"corr = {corr[row]!r} (expected -1 < corr < 1, or none)")
        if why:
            out.append((row, "; ".join(why)))
    return out


def night_index(table, tdb):
    """(index of each row's night, positions in that night): a night is one site's ("dataset:observer")
    observations of one TDB day, noon to noon at Greenwich (a site rarely straddles it); tdb in s past J2000."""
    day = np.floor(np.asarray(tdb, float) / C.SECONDS_PER_DAY + 0.5).astype(np.int64)
    _, night, counts = np.unique(np.char.add(np.array(group_keys(table, "site"), dtype=str), day.astype(str)),
                                 return_inverse=True, return_counts=True)
    return night.ravel(), counts[night.ravel()]


def group_keys(table, weight_groups="site"):
    """The weight group of each observation: "dataset:observer", the data set, or "all"."""
    datasets, sites = np.asarray(table["dataset"]).astype(str), np.asarray(table["observer"]).astype(str)
    if weight_groups == "site":
        return [f"{d}:{o}" for d, o in zip(datasets, sites)]
    if weight_groups == "dataset":
        return list(datasets)
    if weight_groups == "all":
        return ["all"] * len(table)
    raise ValueError(f"weight_groups must be 'site', 'dataset' or 'all', not {weight_groups!r}")

def bias_index(table, bias_groups, gaia_apparitions=False, zenith=None, *, gaia_reduced_bias="own"):
    """(index of each row's biases, shape (rows, levels), -1 for none; the bias names) for FitOptions.bias_groups:
    "apparition" (one per apparition of Jupiter, shared by every data set and site: "apparition:2016"), "site",
    "dataset", "season" (per data set, site and apparition: "nsdb:jo0059:G36:2016"), "observatory" (per MPC code,
    whatever the data set: "observatory:G36"), "uncatalogued" (per MPC code, for the positions whose source names
    no reference catalogue: "uncatalogued:G36"), or two levels: "apparition+uncatalogued", "apparition+observatory",
    "apparition+season" (the apparition's bias, and the observatory's or season's own where it has
    SECOND_LEVEL_MIN_ROWS rows), or three: "apparition+uncatalogued+ground" (and one bias shared by all the
    ground-based positions, "ground"), "apparition+uncatalogued+zenith" (and one displacement towards the zenith
    proportional to tan z shared by all the ground-based positions, "zenith": `bias_coefficients`), or None; only
    BIASED_KINDS rows get one. With `gaia_apparitions`
    (FitOptions.gaia_apparition_offsets) the Gaia DR3 transits get one more level: their apparition's offset
    ("gaia:2016"). A row's computed position is the orbit's plus the sum of its biases. zenith: the table's
    `zenith_geometry` when already computed (`bias_design`). `gaia_reduced_bias` (FitOptions.gaia_reduced_bias):
    the positions reduced against a Gaia catalogue (`reduced_against_gaia`) share their apparition's bias
    ("apparition"), have one of their own ("own": "gaia-reduced:2016") or none ("none"); their other levels stay."""
    index, names = _ground_bias_index(table, bias_groups, zenith, gaia_reduced_bias)
    if not gaia_apparitions:
        return index, names
    transit = np.asarray(table["kind"]).astype(str) == TRANSIT_KIND
    years = apparition_year(table["tdb"]) if len(table) else np.zeros(0, dtype=int)
    column = np.full(len(table), -1)
    for year in sorted(set(years[transit])):
        column[transit & (years == year)] = len(names)
        names = names + [f"gaia:{year}"]
    return np.column_stack([index, column]), names


def bias_design(table, bias_groups, gaia_apparitions=False, *, gaia_reduced_bias="own"):
    """(index, names, coefficients) of `bias_index` and `bias_coefficients` together, the zenith level's geometry
    computed once (`zenith_geometry`: ~0.2 s for Himalia's 5559 rows, the sites' ITRS -> GCRS at every instant)."""
    zenith = (zenith_geometry(table) if bias_groups is not None and "zenith" in bias_groups.split("+")
              else None)
    index, names = bias_index(table, bias_groups, gaia_apparitions, zenith,
                              gaia_reduced_bias=gaia_reduced_bias)
    return index, names, bias_coefficients(table, bias_groups, index, zenith)


def row_bias_offsets(table, biases, bias_groups, gaia_apparitions=False, *, missing_ok=False,
                     gaia_reduced_bias="own"):
    """(RA*, Dec) mas: each row's offset under a fit's `biases` (a table with columns group, bias_ra_mas,
    bias_dec_mas, as `Solution.biases`), the sum over its levels (the "zenith" level's k tan z along the row's
    vertical); 0 where the row has no group. A group the table does not hold is an error, or with `missing_ok` an
    offset of 0: the rows of an apparition a fit did not see (`leave_one_opposition_out`), whose bias it has no
    estimate of. `gaia_reduced_bias`: as the fit's options (`bias_index`). Two new arrays."""
    n = len(table)
    bias_ra, bias_dec = np.zeros(n), np.zeros(n)
    if biases is None or not len(biases):
        return bias_ra, bias_dec
    index, names, coefficients = bias_design(table, bias_groups, gaia_apparitions,
                                             gaia_reduced_bias=gaia_reduced_bias)
    lookup = {str(g): k for k, g in enumerate(biases["group"])}
    for j, name in enumerate(names):                   # a row with biases at two levels has their sum
        if name not in lookup and missing_ok:
            continue
        k = lookup[name]
        b = np.array([biases["bias_ra_mas"][k], biases["bias_dec_mas"][k]], float)
        for level in range(index.shape[1]):
            rows = index[:, level] == j
            offset = b if coefficients is None else coefficients[rows, level] @ b
            bias_ra[rows] += offset[..., 0]
            bias_dec[rows] += offset[..., 1]
    return bias_ra, bias_dec


def _ground_bias_index(table, bias_groups, zenith=None, gaia_reduced_bias="own"):
    """bias_index of the ground-based positions (BIASED_KINDS) alone."""
    n = len(table)
    if bias_groups is None:
        return np.full((n, 0), -1), []
    if bias_groups not in BIAS_GROUPINGS:
        raise ValueError(f"bias_groups must be one of {', '.join(map(repr, BIAS_GROUPINGS))} or None, not "
                         f"{bias_groups!r}")
    biased = np.isin(np.asarray(table["kind"]).astype(str), BIASED_KINDS)
    levels = [_bias_keys(table, level, zenith) for level in bias_groups.split("+")]
    if gaia_reduced_bias not in GAIA_REDUCED_BIASES:
        raise ValueError(f"gaia_reduced_bias must be one of {', '.join(map(repr, GAIA_REDUCED_BIASES))}, not "
                         f"{gaia_reduced_bias!r}")
    if gaia_reduced_bias != "apparition" and "apparition" in bias_groups.split("+"):
        column = bias_groups.split("+").index("apparition")
        gaia = reduced_against_gaia(table)
        keys = levels[column].copy()
        keys[gaia] = ("" if gaia_reduced_bias == "none" else
                      np.array([k.replace("apparition:", f"{GAIA_REDUCED}:") for k in keys[gaia]], dtype=object))
        levels[column] = keys
    for column, level in enumerate(bias_groups.split("+")):
        # a second level's (or a site's timing) own bias only where it has the rows to show it
        if column == 1 or level == "timing":
            names, counts = np.unique(levels[column][biased], return_counts=True)
            small = names[counts < SECOND_LEVEL_MIN_ROWS]
            levels[column] = np.where(np.isin(levels[column], small), "", levels[column])
    index = np.full((n, len(levels)), -1)
    names = []
    for column, keys in enumerate(levels):
        for name in sorted(set(keys[biased & (keys != "")])):
            index[biased & (keys == name), column] = len(names)
            names.append(name)
    return index, names


def reduced_against_gaia(table):
    """Whether each row's position was reduced against a Gaia catalogue (its `catalog` names a Gaia release: "Gaia
    DR2", "Gaia EDR3", ...; the readers' names, observations.core). A table without a catalog column has none."""
    if "catalog" not in table.colnames:
        return np.zeros(len(table), dtype=bool)
    return np.char.startswith(np.char.lower(np.asarray(table["catalog"]).astype(str)), "gaia")


def _bias_keys(table, level, zenith=None):
    """The bias group name of each row at one level ("apparition", "season", "observatory", "uncatalogued", "site",
    "dataset", "ground": one name for every row); "" for a row without a group at that level (a position with a
    named catalogue has no "uncatalogued" bias)."""
    if level in ("apparition", "season"):
        years = apparition_year(table["tdb"]) if len(table) else np.zeros(0, dtype=int)
        if level == "apparition":
            return np.array([f"apparition:{year}" for year in years], dtype=object)
        return np.array([f"{key}:{year}" for key, year in zip(group_keys(table, "site"), years)], dtype=object)
    if level == "ground":
        return np.full(len(table), "ground", dtype=object)
    if level == "zenith":                     # only the rows whose zenith is known (a place on the Earth)
        tan_z = (zenith_geometry(table) if zenith is None else zenith)[0]
        return np.where(np.isfinite(tan_z), "zenith", "").astype(object)
    if level == "observatory":
        return np.array([f"observatory:{code}" for code in np.asarray(table["observer"]).astype(str)], dtype=object)
    if level == "timing":                     # an epoch error per observatory, along the apparent motion
        return np.array([f"timing:{code}" for code in np.asarray(table["observer"]).astype(str)], dtype=object)
    if level == "uncatalogued":
        catalogue = (np.asarray(table["catalog"]).astype(str) if "catalog" in table.colnames
                     else np.full(len(table), ""))
        return np.array([f"uncatalogued:{code}" if not cat.strip() else "" for code, cat in
                         zip(np.asarray(table["observer"]).astype(str), catalogue)], dtype=object)
    return np.array(group_keys(table, level), dtype=object)


def bias_coefficients(table, bias_groups, index, zenith=None):
    """(rows, levels, 2, 2) matrices M, a row's offset (RA*, Dec mas) from the bias pair b of each level being M @ b,
    for `bias_index`'s index; None when every level is a constant offset (M the identity). At the level "zenith"
    (bias_groups "apparition+uncatalogued+zenith") the pair is (k_up, k_across) in mas per unit tan z: a
    displacement k_up tan z towards the zenith, as differential colour refraction gives
    (`orbitfit.observations.refraction`), and k_across tan z at right angles to it (position angle q + 90 deg),
    which refraction does not give: M = tan z [[sin q, cos q], [cos q, -sin q]]. zenith: as `bias_index`'s."""
    named = [] if bias_groups is None else bias_groups.split("+")
    if "zenith" not in named and "timing" not in named:
        return None
    n, levels = index.shape
    out = np.zeros((n, levels, 2, 2))
    out[:, :, 0, 0] = out[:, :, 1, 1] = 1.0
    if "zenith" in named:
        level = named.index("zenith")
        tan_z, sin_q, cos_q = (np.nan_to_num(v) for v in (zenith_geometry(table) if zenith is None else zenith))
        out[:, level] = (tan_z[:, None, None] * np.stack([np.stack([sin_q, cos_q], -1),
                                                          np.stack([cos_q, -sin_q], -1)], 1))
    if "timing" in named:
        # the pair is (dt, unused) in s: a row moves by v dt, v Jupiter's apparent rate from the geocentre (mas/s;
        # the moon's own motion about Jupiter adds ~1 of ~4 mas/s: benchmarks/site_timing.py)
        level = named.index("timing")
        v_ra, v_dec = apparent_rates(table)
        out[:, level] = 0.0
        out[:, level, 0, 0], out[:, level, 1, 0] = v_ra, v_dec
    return out


@dataclass
class Weights:
    sigma_ra: np.ndarray           # mas, per observation: given sigma and group floor (what outliers are judged by)
    sigma_dec: np.ndarray
    corr: np.ndarray
    floor_ra: np.ndarray           # per group, mas
    floor_dec: np.ndarray
    night_factor: np.ndarray = None   # sigma multiplier in the normal equations (correlated errors within a night)

    def for_normal_equations(self):
        factor = 1.0 if self.night_factor is None else self.night_factor
        return Weights(self.sigma_ra * factor, self.sigma_dec * factor, self.corr, self.floor_ra, self.floor_dec)

def build_weights(data, floor_ra, floor_dec, rho, options):
    """Per-observation sigmas: the given sigma and the group floor in quadrature (occultations and Gaia transits:
    their own), and the night factor (rho: each group's intra-night correlation, for night_deweighting="estimated")."""
    given_ra = np.nan_to_num(data.sigma_ra, nan=0.0)
    given_dec = np.nan_to_num(data.sigma_dec, nan=0.0)
    sig_ra = np.sqrt(given_ra ** 2 + floor_ra[data.group] ** 2)
    sig_dec = np.sqrt(given_dec ** 2 + floor_dec[data.group] ** 2)
    occ = data.full_covariance & np.isfinite(data.sigma_ra) & np.isfinite(data.sigma_dec)
    sig_ra[occ], sig_dec[occ] = data.sigma_ra[occ], data.sigma_dec[occ]
    factor = np.ones_like(sig_ra)
    if options.night_deweighting == "estimated":
        factor = np.sqrt(1.0 + (data.night_count - 1) * rho[data.group])
        factor[occ] = 1.0
    elif options.night_deweighting:
        factor = np.sqrt(np.maximum(1.0, data.night_count / NIGHT_REFERENCE_COUNT))
        factor[occ] = 1.0
    return Weights(sig_ra, sig_dec, data.corr, floor_ra, floor_dec, factor)

def whiten(res_ra, res_dec, weights, design=None):
    """Residuals (and design rows) multiplied by the inverse Cholesky factor of each 2x2 covariance."""
    rho = weights.corr
    scale = np.sqrt(1.0 - rho ** 2)
    w_ra = res_ra / weights.sigma_ra
    w_dec = (res_dec / weights.sigma_dec - rho * w_ra) / scale
    if design is None:
        return w_ra, w_dec
    d_ra = design[:, 0] / weights.sigma_ra[:, None]
    d_dec = (design[:, 1] / weights.sigma_dec[:, None] - rho[:, None] * d_ra) / scale[:, None]
    return w_ra, w_dec, d_ra, d_dec

def chi2_per_observation(res_ra, res_dec, weights):
    w_ra, w_dec = whiten(res_ra, res_dec, weights)
    return w_ra ** 2 + w_dec ** 2

MIN_GROUP_SIZE = 10     # groups with fewer accepted observations share one pooled floor (3 points justify anything)

def estimate_floors(data, evaluation, accepted, floor_ra, floor_dec, leverage=None):
    """Per group and coordinate, the floor f with mean(r^2 / (sigma_given^2 + f^2)) = 1 - mean(h) over accepted rows.

    h is each row's leverage (hat-matrix diagonal, `leverages`): the share of its own error the fit absorbs, so that
    E[r^2] = sigma^2 (1 - h). It matters for small groups with a parameter of their own (a site bias fitted from 3
    positions absorbs a third of their scatter); without it (leverage None) the target is 1.
    Groups with fewer than MIN_GROUP_SIZE accepted observations are pooled and share one floor, so a handful of
    grossly wrong positions cannot justify themselves with a floor of their own. If that pool itself has fewer than
    MIN_GROUP_SIZE rows, it takes the typical floor of the large groups (their size-weighted RMS): a variance from
    3 residuals is too noisy to weight by (with a floor from its own 3 positions, a site's fitted bias fell within
    its 1 sigma in 54% of 100 synthetic draws instead of 68%; with the typical floor, 69%).
    """
    new_ra, new_dec = floor_ra.copy(), floor_dec.copy()
    usable = accepted & ~data.full_covariance
    sizes = np.bincount(data.group[usable], minlength=len(data.group_names))
    small = np.nonzero(sizes < MIN_GROUP_SIZE)[0]
    large = np.nonzero(sizes >= MIN_GROUP_SIZE)[0]
    for members in [[g] for g in large] + ([list(small)] if small.size else []):
        rows = usable & np.isin(data.group, members)
        if rows.sum() < 3 or (rows.sum() < MIN_GROUP_SIZE and large.size):
            continue                       # too few to estimate: keep the current value, or see below
        for c, (res, given, out) in enumerate(((evaluation.res_ra, data.sigma_ra, new_ra),
                                               (evaluation.res_dec, data.sigma_dec, new_dec))):
            target = 1.0 if leverage is None else max(1.0 - float(np.mean(leverage[c][rows])), 0.1)
            out[members] = _floor(res[rows] ** 2, np.nan_to_num(given[rows], nan=0.0) ** 2, target)
    if small.size and large.size and sizes[small].sum() < MIN_GROUP_SIZE:
        weight = sizes[large] / sizes[large].sum()
        new_ra[small] = np.sqrt(np.sum(weight * new_ra[large] ** 2))
        new_dec[small] = np.sqrt(np.sum(weight * new_dec[large] ** 2))
    return new_ra, new_dec

MIN_NIGHTS = 5          # nights with >= 2 positions needed to estimate a group's intra-night correlation

def night_correlation(data, evaluation, weights, accepted, n_parameters=6):
    """Per weight group, the correlation rho of the normalised residuals of one night (both coordinates pooled):
    the one-way analysis-of-variance estimate sigma_night^2 / (sigma_night^2 + sigma_within^2) over the group's
    nights (unbalanced: n0 = (N - sum n_k^2 / N) / (K - 1)), clipped to [0, 0.99]. The fitted parameters absorb
    part of the scatter of the nightly means: about n_parameters / 2 degrees of freedom per coordinate are taken from
    the K - 1 between nights (without it rho came out 0.77 for a true 0.80 on ~50 synthetic nights). Groups with
    fewer than MIN_NIGHTS nights of two or more positions take the estimate of all such rows pooled (0 if that is
    too few)."""
    usable = accepted & ~data.full_covariance
    z = (evaluation.res_ra / weights.sigma_ra, evaluation.res_dec / weights.sigma_dec)

    def estimate(rows):
        nights, index, n_k = np.unique(data.night[rows], return_inverse=True, return_counts=True)
        K, N = nights.size, int(rows.sum())
        if np.sum(n_k >= 2) < MIN_NIGHTS:
            return None
        components = []
        for values in z:
            x = values[rows]
            means = np.bincount(index, x) / n_k
            within = np.sum((x - means[index]) ** 2) / (N - K)
            between = np.sum(n_k * (means - x.mean()) ** 2) / max(K - 1 - n_parameters / 2, 1)
            n0 = (N - np.sum(n_k ** 2) / N) / (K - 1)
            components.append((max((between - within) / n0, 0.0), within))
        night_var = np.mean([c[0] for c in components])
        within_var = np.mean([c[1] for c in components])
        return float(np.clip(night_var / max(night_var + within_var, 1e-12), 0.0, 0.99))

    pooled = estimate(usable)
    rho = np.zeros(len(data.group_names))
    for g in range(rho.size):
        own = estimate(usable & (data.group == g))
        rho[g] = own if own is not None else (pooled or 0.0)
    return rho

def leverages(d_ra, d_dec, covariance):
    """Hat-matrix diagonals of the whitened RA* and Dec rows: a_i C a_i^T with C the parameters' covariance."""
    # (a C) . a row by row: the product through BLAS; einsum's three-operand loop took 15x longer (0.08 s for 5559
    # rows and 126 parameters, 2.9 s of a 20-s Himalia fit with its apparition biases)
    return np.einsum("ij,ij->i", d_ra @ covariance, d_ra), np.einsum("ij,ij->i", d_dec @ covariance, d_dec)

def _floor(r2, s2, target=1.0):
    """f >= 0 with mean(r2 / (s2 + f^2)) = target (bisection: the mean falls monotonically with f); 0 if already
    <= target."""
    # np.add.reduce(q) / n is np.mean(q) bit for bit (the same pairwise sum, then one division) without its Python
    # wrapper: the 60 steps of ~150 groups cost 1.2 s of a 13-s all-data Himalia fit through np.mean (2026-12-07)
    n = r2.size
    if np.add.reduce(r2 / np.maximum(s2, 1e-12)) / n <= target:
        return 0.0
    lo, hi = 0.0, np.sqrt(r2.max() / target) + 1.0
    q = np.empty_like(r2)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        np.divide(r2, np.add(s2, mid * mid, out=q), out=q)
        if np.add.reduce(q) / n > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)

def cap_rejections(accepted, chi2_obs, max_fraction):
    """Flags with at most `max_fraction` of the observations rejected: beyond it only the largest chi2 stay out."""
    limit = int(np.floor(max_fraction * accepted.size))
    rejected = np.nonzero(~accepted)[0]
    if rejected.size <= limit:
        return accepted
    keep_out = rejected[np.argsort(chi2_obs[rejected])[::-1][:limit]]
    capped = np.ones_like(accepted)
    capped[keep_out] = False
    return capped

def initial_floors(data):
    """First-pass floors per group: 0, or A_PRIORI_SIGMA_MAS for groups that give no sigma."""
    groups = len(data.group_names)
    floored = ~data.full_covariance                   # rows whose sigma the group floor completes
    # a group starts at floor 0 only if every floored row gives a sigma (else a row would start with sigma 0)
    has_sigma = np.array([np.isfinite(data.sigma_ra[floored & (data.group == g)]).all() for g in range(groups)])
    floor_ra = np.where(has_sigma, 0.0, A_PRIORI_SIGMA_MAS)
    return floor_ra, floor_ra.copy()
