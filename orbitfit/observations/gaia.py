"""Gaia DR3 solar-system astrometry as the 1-D measurements it is: one normal point per transit with its full
covariance, long across the scan and short along it.

Gaia measures a transit on up to 9 CCDs within ~45 s. Along the scan (AL) each CCD position is good to a fraction
of a mas; across it (AC) only to tens or hundreds of mas (Tanga et al. 2023, A&A 674, A12, sect. 3). The NSDB copy
of the DR3 SSO table (unit jo0069) keeps the positions but not their errors, and with isotropic weights the fit
would use Gaia at ~100 mas. The transit itself tells the geometry: after removing the body's linear motion over the
~45 s, the CCD positions scatter along one direction (AC) by ~60 mas and across it (AL) by ~0.3 mas (measured on
Himalia's 23 transits: median 56 and 0.3 mas). So for every transit of >= 3 CCDs:

* the normal point is the linear motion's position at the transit's mean epoch (the observer, Gaia, likewise);
* AL is the direction of the scan at the body, which Gaia's scanning law allows two ways (spin axis 45 deg from
  the Sun) and the residual scatter picks (its principal axes; `scan_axes`); AC is perpendicular to it;
  sigma_AC = sqrt((scatter AC)^2 / n + ac_floor^2);
* sigma_AL = sqrt((scatter AL)^2 / n + al_floor^2); the floors stand for what the scatter within a transit cannot
  show, errors shared by its CCDs (photocentre of a resolved body, scattered light, calibration) and by the moons'
  transits of one Gaia visit: `AL_FLOOR_MAS` (or, as an option, each moon's own: `transit_al_floor_mas`) and
  `AC_FLOOR_MAS`, measured (below);
* the row keeps kind "gaia_transit": the fit uses its covariance as given (no weight floor) and, as for every Gaia
  position, the model includes the Sun's light deflection.
Transits of fewer than 3 CCDs are kept as they are (isotropic, weighted by their group's floor).
"""
from __future__ import annotations

import numpy as np


TRANSIT_GAP_S = 120.0         # CCD records of one transit span ~45 s; the next transit is >= 1.5 h later
MIN_CCDS = 3                  # a direction and a scatter need at least 3 positions after a 2-parameter fit per axis
# Per-transit systematics, measured on Himalia's 23 DR3 transits (2014-2017): after fitting an orbit to the
# transits alone the AL residuals scatter by 6.4-6.8 mas (with AL floor 2 mas), the two field-of-view transits of
# one epoch agreeing to ~1 mas (a per-epoch effect: photocentre, scattered light from Jupiter 1 deg away, or
# calibration); AC residuals scatter by ~100 mas, where the CCD scatter alone (errors shared within a transit) says
# ~60 mas. With these floors the transits alone fit to 3.3-7.0 mas AL for all 8 moons
# (benchmarks/gaia_transits.py). That 7 mas holds everything a transit shares with others, the visit's error
# common to the moons included, and stays when a transit is freed of that error (orbitfit.observations.gaia_visits):
# every body's floor until 2026-12-05, now `load_all(..., gaia_floors="common")`.
# Against Gaia DR3's own error model (DR3 documentation, sect. 8.3.4 "Error model for Astrometry", Pauwels, Dell'Oro,
# Spoto and Tanga; Tanga et al. 2023, A&A 674, A12): DR3 writes a transit's covariance as a random part per CCD,
# independent from CCD to CCD, plus a systematic part common to every CCD of the transit (sso_observation's
# ra/dec_error_random and ra/dec_error_systematic), and assumes no correlation from one transit to another. The normal
# point above has that structure: scatter / sqrt(n) is the random part averaged over the CCDs, the floor the
# systematic part. The NSDB copy keeps neither field, so the floor cannot be checked transit by transit against DR3's
# systematic sigma. What the moons' residuals show beyond DR3's model is the correlation between transits: the moons'
# transits of one visit share ~3.2 mas along the scan (orbitfit.observations.gaia_visits), part of the 7 mas here
AL_FLOOR_MAS = 7.0
AC_FLOOR_MAS = 100.0
# That error common to the moons of one Gaia visit, along the scan (mas): the embedded table of visit offsets
# measures 3.20 mas (method of moments, orbitfit.observations.gaia_visits; tests/test_gaia_visits.py holds the two
# together).
VISIT_COMMON_AL_MAS = 3.2
# Each moon's own AL floor once its transits are freed of the visit's common error (NAIF id: mas), from its
# transits' residuals in its fit to every embedded data set (default options, scanning-law axes, transits corrected
# by the embedded visit offsets; leverage-corrected, one step from 7 mas: benchmarks/gaia_floors.py, 2026-12-05).
# Used with al_floor_mas=OWN_FLOORS (`load_all(..., gaia_floors="own")`): a transit as Gaia gave it then has floor
# sqrt(f^2 + VISIT_COMMON_AL_MAS^2), and `GaiaVisitOffsets.correct` takes the common error out again. The default
# since 2026-12-05 evening, with the error every moon's prediction shares in sigma (FitOptions.shared_sky_error_mas),
# which mends the folds below (z 1.05 inside 0.84 - 1.18). Alone, on the harness (docs/validation.md, "Each
# moon's own floor"; against 7 mas for every transit): one year ahead sharper and still honest (cut 8.6 -> 7.7 mas,
# z 0.81 -> 1.11, inside an honest sigma's 0.80 - 1.22; all 8.5 -> 7.5, z 0.83 -> 1.09; Leda 13.3 -> 9.2), but one
# apparition away sigma too small (folds 10.9 -> 9.9 mas,
# z 1.04 -> 1.36 where an honest sigma gives 0.86 - 1.16; Himalia 1.04 -> 1.58: its transits' residuals in a fit
# say 3.0 mas, its held-out apparitions 8, on the visits every moon misses alike). A first try of 2026-12-03
# (each transit's own axis, the visit's error left out of the held-out transits' sigma) gave z 1.48 one year ahead.
CORRECTED_AL_FLOOR_MAS = {506: 3.2, 507: 3.9, 508: 2.8, 509: 3.3, 510: 5.0, 511: 4.3, 512: 2.5, 513: 1.7}
OWN_FLOORS = "own"
# the table meta key that says a table's transit normal points carry the moons' own floors (its value OWN_FLOORS;
# absent: one floor for every transit); `Observations.concatenate` keeps it only where every part agrees
FLOORS_META_KEY = "gaia_al_floors"
MAS_PER_DEG = 3.6e6
# Which way the scan runs. Gaia's nominal scanning law keeps the spin axis at a solar aspect angle of 45 deg,
# precessing about the Sun in 63 days (Gaia Collaboration, Prusti et al. 2016, A&A 595, A1; Gaia EDR3 documentation
# sect. 1.1.4; the realised attitude within ~30" of the commanded, ESA's notes to the published scanning law), and a
# body crosses the astrometric field within ~0.35 deg of the scan's great circle (7 CCD rows, ~0.7 deg across the
# scan; sigma of a uniform spread 0.2 deg).
# So the scan direction at the body is known up to two candidates. Measured on the 8 moons' 202 transits
# (2026-12-05): where the CCD records' own axis is good to < 0.6 deg (126 transits) it implies a solar aspect angle
# of 44.95 deg (scatter 0.33 deg, what the field angle and the records' noise give); where the records scatter
# too little across the scan to show an axis (Leda 2014-12-13, Sinope and Ananke 2016-07-04: their own axis 30-67
# deg off) the records' axis would lay the transit's 100 mas across-scan error along the 7 mas axis.
SOLAR_ASPECT_DEG = 45.0
FIELD_ANGLE_SIGMA_DEG = 0.2
ATTITUDE_SIGMA_DEG = 30.0 / 3600.0
# the records' own axis scatters about the scanning law's by more than its formal sigma (normalised rms 1.38 over
# the 191 transits with sigma < 3 deg); a floor of 0.2 deg makes its median |z| 0.68 (Gaussian: 0.67)
RECORDS_AXIS_FLOOR_DEG = 0.2
NEIGHBOUR_DAYS = 0.5
SUN_NAIF_ID = 10
TRANSIT_KIND = "gaia_transit"   # the kind of a transit normal point (the estimator and the harness find them by it)


def transit_al_floor_mas(body):
    """The AL floor (mas) of a transit normal point of `body` (NAIF id) as Gaia gave it, with the moons' own floors
    (al_floor_mas=OWN_FLOORS): its own (`CORRECTED_AL_FLOOR_MAS`) and the visit's common error
    (`VISIT_COMMON_AL_MAS`) in quadrature, or AL_FLOOR_MAS (7 mas, measured with the common error in it) for a body
    without one."""
    floor = CORRECTED_AL_FLOOR_MAS.get(int(body))
    return AL_FLOOR_MAS if floor is None else float(np.hypot(floor, VISIT_COMMON_AL_MAS))


def transits(table):
    """Row indices of each Gaia transit: consecutive records of one body and data set less than TRANSIT_GAP_S
    apart. Returns a list of index arrays (rows of kind "gaia" only)."""
    kind = np.asarray(table["kind"]).astype(str)
    rows = np.nonzero(kind == "gaia")[0]
    if rows.size == 0:
        return []
    keys = np.array([f"{b}|{d}" for b, d in zip(np.asarray(table["body"])[rows],
                                                 np.asarray(table["dataset"]).astype(str)[rows])])
    t = np.asarray(table["tdb"], dtype=float)[rows]
    order = np.lexsort((t, keys))
    rows, keys, t = rows[order], keys[order], t[order]
    breaks = np.nonzero((np.diff(t) > TRANSIT_GAP_S) | (keys[1:] != keys[:-1]))[0] + 1
    return np.split(rows, breaks)


def _transit_fit(table, rows):
    """The CCD records of one transit fitted by linear motion: (t0, ra0_deg, dec0_deg, observer xyz km at t0,
    2x2 (east, north) scatter of the residuals about the motion, mas^2, n records)."""
    t = np.asarray(table["tdb"], dtype=float)[rows]
    ra = np.radians(np.asarray(table["ra_deg"], dtype=float)[rows])
    dec = np.radians(np.asarray(table["dec_deg"], dtype=float)[rows])
    t0 = t.mean()
    unit = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1)
    centre = unit.mean(axis=0)
    centre /= np.linalg.norm(centre)
    east = np.array([-centre[1], centre[0], 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    # gnomonic coordinates (mas) about the mean direction
    x = unit @ east / (unit @ centre) * (180 / np.pi) * MAS_PER_DEG
    y = unit @ north / (unit @ centre) * (180 / np.pi) * MAS_PER_DEG
    design = np.column_stack([np.ones_like(t), t - t0])
    (x0, _), *_ = np.linalg.lstsq(design, x, rcond=None)
    (y0, _), *_ = np.linalg.lstsq(design, y, rcond=None)
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    scatter = np.cov(np.vstack([rx, ry]), ddof=2)
    point = centre + (x0 * east + y0 * north) / ((180 / np.pi) * MAS_PER_DEG)
    point /= np.linalg.norm(point)
    ra0 = np.degrees(np.arctan2(point[1], point[0])) % 360.0
    dec0 = np.degrees(np.arcsin(point[2]))
    xyz = np.column_stack([np.asarray(table[c], dtype=float)[rows] for c in ("obs_x_km", "obs_y_km", "obs_z_km")])
    observer = np.array([np.polyval(np.polyfit(t - t0, xyz[:, k], 1), 0.0) for k in range(3)])
    return t0, ra0, dec0, observer, scatter, rows.size


def normal_point(table, rows, al_floor_mas=AL_FLOOR_MAS, ac_floor_mas=AC_FLOOR_MAS, al_direction=None):
    """(tdb, ra_deg, dec_deg, sigma_ra_mas, sigma_dec_mas, corr, observer xyz km, sigma_al, sigma_ac, pa_al) of
    one transit: the linear motion's position at the mean epoch and the AL/AC covariance (module docstring).
    al_direction: the (east, north) unit vector along the scan (`scan_axes`); None takes the short axis of the CCD
    records' own scatter."""
    t0, ra0, dec0, observer, scatter, n = _transit_fit(table, rows)
    if al_direction is None:
        al_dir = _ccd_axis(scatter, n)[0]
    else:
        al_dir = np.asarray(al_direction, dtype=float) / np.linalg.norm(al_direction)
    ac_dir = np.array([-al_dir[1], al_dir[0]])
    sigma_al = np.sqrt(max(al_dir @ scatter @ al_dir, 0.0) / n + al_floor_mas ** 2)
    sigma_ac = np.sqrt(max(ac_dir @ scatter @ ac_dir, 0.0) / n + ac_floor_mas ** 2)
    cov = sigma_al ** 2 * np.outer(al_dir, al_dir) + sigma_ac ** 2 * np.outer(ac_dir, ac_dir)
    s_ra, s_dec = np.sqrt(cov[0, 0]), np.sqrt(cov[1, 1])
    pa_al = np.degrees(np.arctan2(al_dir[0], al_dir[1])) % 180.0
    return t0, ra0, dec0, s_ra, s_dec, cov[0, 1] / (s_ra * s_dec), observer, sigma_al, sigma_ac, pa_al


def scan_candidates(ra_deg, dec_deg, gaia_to_sun):
    """The two directions along the scan that Gaia's scanning law allows for a body at (ra, dec) seen from Gaia
    with the Sun in direction `gaia_to_sun` (3-vector, any length): ((2, 2) (east, north) unit vectors, (2, 3)
    spin axes, sigma of each direction in degrees). The spin axis z lies at the solar aspect angle SOLAR_ASPECT_DEG
    from the Sun and, up to the body's field angle across the scan, perpendicular to the body's direction; the scan
    runs along z x p. Where the body's solar elongation allows only one axis (near 45 or 135 deg) the two coincide
    and their sigma grows (the field angle and the attitude's deviation move them most there)."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    p = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    east = np.array([-np.sin(ra), np.cos(ra), 0.0])
    north = np.cross(p, east)
    sun = np.asarray(gaia_to_sun, dtype=float) / np.linalg.norm(gaia_to_sun)
    a, b = east @ sun, north @ sun
    size = np.hypot(a, b)                                          # sin(solar elongation)
    phi0 = np.arctan2(b, a)
    xi = np.radians(SOLAR_ASPECT_DEG)
    # cos(phi - phi0) = (cos xi - eta (p . sun)) / size, eta the field angle across the scan: its uncertainty
    rhs_sigma = np.hypot(np.radians(FIELD_ANGLE_SIGMA_DEG) * (p @ sun),
                         np.radians(ATTITUDE_SIGMA_DEG) * np.sin(xi)) / size
    ratio = min(np.cos(xi) / size, 1.0)
    dphi = np.arccos(ratio)
    sigma_deg = np.degrees(rhs_sigma / max(np.sin(dphi), np.sqrt(2.0 * rhs_sigma)))
    phis = np.array([phi0 + dphi, phi0 - dphi])
    directions = np.column_stack([np.sin(phis), -np.cos(phis)])    # z x p with z = cos(phi) east + sin(phi) north
    axes = np.outer(np.cos(phis), east) + np.outer(np.sin(phis), north)
    return directions, axes, sigma_deg


def _axis_angle_deg(u, v):
    """Signed angle from axis v to axis u (2-vectors, sign-free), degrees in (-90, 90]."""
    angle = np.degrees(np.arctan2(v[0] * u[1] - v[1] * u[0], v @ u))
    return (angle + 90.0) % 180.0 - 90.0


def _ccd_axis(scatter, n):
    """The short axis of a transit's CCD scatter and its sigma in degrees (the eigenvector's standard error for
    n records, lambda1 lambda2 / ((n - 2) (lambda2 - lambda1)^2), with RECORDS_AXIS_FLOOR_DEG; capped at 90)."""
    values, vectors = np.linalg.eigh(scatter)
    spread = max(values[1] - values[0], 1e-12)
    sigma = np.degrees(np.sqrt(max(values[0], 0.0) * values[1] / (max(n - 2, 1) * spread ** 2)))
    return vectors[:, 0], min(np.hypot(sigma, RECORDS_AXIS_FLOOR_DEG), 90.0)


def scan_axes(fits, gaia_to_sun):
    """Along-scan (east, north) unit vector of each transit and how it was chosen: the scanning law's candidate
    (`scan_candidates`) that the CCD records' own axis points to, refined by the two's sigmas; when the records
    cannot tell the two candidates apart, the one whose spin axis agrees with the transits decided within
    NEIGHBOUR_DAYS (Gaia's spin axis moves ~4 deg a day); when the records disagree with both by more than 5
    sigma and 5 deg (not Gaia's nominal scanning law), or when Gaia's position is missing, the records' own
    axis. fits: `_transit_fit` results; gaia_to_sun: (n, 3). Returns ((n, 2) unit vectors, list of how each was
    decided)."""
    n = len(fits)
    axes, how, spin = np.zeros((n, 2)), [""] * n, [None] * n
    pending = []
    for i, (t0, ra0, dec0, _, scatter, count) in enumerate(fits):
        u, sigma_u = _ccd_axis(scatter, count)
        if not np.all(np.isfinite(gaia_to_sun[i])):                    # no Gaia position: no geometry
            axes[i], how[i] = u, "records (no Gaia position)"
            continue
        directions, spins, sigma_g = scan_candidates(ra0, dec0, gaia_to_sun[i])
        delta = np.array([_axis_angle_deg(u, d) for d in directions])
        chi2 = delta ** 2 / (sigma_u ** 2 + sigma_g ** 2)
        best = int(np.argmin(chi2))
        candidate = (u, sigma_u, directions, spins, sigma_g, delta)
        if chi2[best] > 25.0 and abs(delta[best]) > 5.0:                  # 5 sigma and 5 deg from both
            axes[i], how[i] = u, "records"
        elif (abs(chi2[1 - best] - chi2[best]) >= 9.0                     # the records prefer one by 3 sigma
              or abs(_axis_angle_deg(directions[0], directions[1])) < sigma_g):  # or the two are one
            axes[i], spin[i], how[i] = _refined(candidate, best), spins[best], "scanning law"
        else:
            pending.append((i, candidate))
    times = np.array([f[0] for f in fits])
    for i, candidate in pending:
        decided = [j for j in range(n) if spin[j] is not None and abs(times[j] - times[i]) < NEIGHBOUR_DAYS * 86400]
        spins = candidate[3]
        if decided:
            misfit = [np.median([np.arccos(np.clip(s @ spin[j], -1, 1)) for j in decided]) for s in spins]
            best, how[i] = int(np.argmin(misfit)), "scanning law, spin axis of neighbours"
        else:
            best, how[i] = int(np.argmin(np.abs(candidate[5]))), "scanning law, nearest to the records (ambiguous)"
        axes[i] = _refined(candidate, best)
    return axes, how


def _refined(candidate, best):
    """The candidate direction moved towards the records' axis by the weight of their sigmas."""
    u, sigma_u, directions, _, sigma_g, delta = candidate
    shift = np.radians(delta[best] * sigma_g ** 2 / (sigma_g ** 2 + sigma_u ** 2))
    d = directions[best]
    return np.array([np.cos(shift) * d[0] - np.sin(shift) * d[1], np.sin(shift) * d[0] + np.cos(shift) * d[1]])


def to_normal_points(table, al_floor_mas=AL_FLOOR_MAS, ac_floor_mas=AC_FLOOR_MAS, ephemeris=None, scan_law=True):
    """The table with every Gaia transit of >= MIN_CCDS records replaced by its normal point (kind
    "gaia_transit", `line` = the transit's first line); other rows unchanged. al_floor_mas: one AL floor for every
    transit (mas), or OWN_FLOORS for each row's body's `transit_al_floor_mas` (the table's meta[FLOORS_META_KEY]
    then says so, which `GaiaVisitOffsets.correct` reads: such a floor holds the visit's common error). The
    direction along the scan comes from Gaia's scanning law and the records (`scan_axes`; the Sun from `ephemeris`,
    dynamics' default de440); scan_law=False takes the records' own axis alone (orbitfit before 2026-12-05).
    Returns (table, report dict)."""
    from astropy.table import vstack
    from ..times import utc_jd
    own = isinstance(al_floor_mas, str)
    if own and al_floor_mas != OWN_FLOORS:
        raise ValueError(f"al_floor_mas must be a number of mas or {OWN_FLOORS!r}, not {al_floor_mas!r}")
    groups = [rows for rows in transits(table) if rows.size >= MIN_CCDS]
    if not groups:
        return table, {"transits": 0, "records": 0, "kept_as_is": int((np.asarray(table["kind"]) == "gaia").sum())}
    fits = [_transit_fit(table, rows) for rows in groups]
    if scan_law:
        if ephemeris is None:
            from dynamics.propagation import default_ephemeris
            ephemeris = default_ephemeris()
        epochs = np.array([f[0] for f in fits])
        gaia_to_sun = ephemeris.position(SUN_NAIF_ID, epochs) - np.array([f[3] for f in fits])
        directions, how = scan_axes(fits, gaia_to_sun)
    else:
        directions, how = [None] * len(fits), ["records"] * len(fits)
    replaced = np.concatenate(groups)
    points = table[[int(rows[np.argmin(np.asarray(table["tdb"])[rows])]) for rows in groups]]
    ac, al = [], []
    for i, rows in enumerate(groups):
        floor = transit_al_floor_mas(table["body"][rows[0]]) if own else al_floor_mas
        t0, ra0, dec0, s_ra, s_dec, corr, observer, sigma_al, sigma_ac, _ = normal_point(
            table, rows, floor, ac_floor_mas, al_direction=directions[i])
        points["tdb"][i], points["ra_deg"][i], points["dec_deg"][i] = t0, ra0, dec0
        points["utc_jd1"][i], points["utc_jd2"][i] = utc_jd(t0)
        points["sigma_ra_mas"][i], points["sigma_dec_mas"][i], points["corr"][i] = s_ra, s_dec, corr
        for k, column in enumerate(("obs_x_km", "obs_y_km", "obs_z_km")):
            points[column][i] = observer[k]
        al.append(sigma_al)
        ac.append(sigma_ac)
    points.replace_column("kind", np.full(len(points), TRANSIT_KIND))
    keep = np.ones(len(table), dtype=bool)
    keep[replaced] = False
    out = vstack([table[keep], points], join_type="exact", metadata_conflicts="silent")
    out = out[np.argsort(np.asarray(out["tdb"], float), kind="stable")]
    if own:
        out.meta[FLOORS_META_KEY] = OWN_FLOORS
    report = {"transits": len(groups), "records": int(replaced.size),
              "kept_as_is": int((np.asarray(table["kind"]) == "gaia").sum() - replaced.size),
              "median_sigma_al_mas": float(np.median(al)), "median_sigma_ac_mas": float(np.median(ac)),
              "scan_axis": {way: how.count(way) for way in sorted(set(how))}}
    return table.__class__(out), report


def along_scan_direction(covariance):
    """Unit (RA*, Dec) vector of the short axis of a 2x2 covariance (a Gaia transit's: along the scan), pointing
    north, or east when it lies along the equator's direction."""
    along = np.linalg.eigh(covariance)[1][:, 0]
    if along[1] < -1e-12 or (abs(along[1]) <= 1e-12 and along[0] < 0):
        along = -along
    return along


def along_scan_directions(table):
    """(rows, 2) unit (RA*, Dec) vectors along the scan of each row of `table` (Gaia transit normal points): the
    short axis of the row's own covariance (sigma_ra_mas, sigma_dec_mas, corr), as `along_scan_direction`."""
    return np.array([along_scan_direction(covariance_2x2(s_ra, s_dec, corr)) for s_ra, s_dec, corr in
                     zip(table["sigma_ra_mas"], table["sigma_dec_mas"], table["corr"])]).reshape(len(table), 2)


def covariance_2x2(s_ra, s_dec, corr):
    """The 2x2 (RA*, Dec) covariance, mas^2, of sigmas and a correlation (a missing correlation is 0)."""
    s_ra, s_dec, corr = float(s_ra), float(s_dec), float(corr) if np.isfinite(corr) else 0.0
    return np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])
