"""Physical constants of the force model, each with its source.

Units: km, s, km^3/s^2, degrees for angles given in IAU formulae. Times: TDB.
"""
import numpy as np

# --- time -------------------------------------------------------------------------------------------------------
J2000_JD = 2451545.0            # JD of J2000.0 (TDB); our internal clock is TDB seconds past this instant
SECONDS_PER_DAY = 86400.0
DAYS_PER_JULIAN_CENTURY = 36525.0
SPEED_OF_LIGHT_KM_S = 299792.458    # IAU 1976 / SI definition
AU_KM = 149597870.700               # IAU 2012 Resolution B2

# --- NAIF ids ---------------------------------------------------------------------------------------------------
SSB, SUN = 0, 10
MERCURY_BARY, VENUS_BARY, EARTH_MOON_BARY, MARS_BARY = 1, 2, 3, 4
JUPITER_BARY, SATURN_BARY, URANUS_BARY, NEPTUNE_BARY, PLUTO_BARY = 5, 6, 7, 8, 9
EARTH, MOON, JUPITER = 399, 301, 599
IO, EUROPA, GANYMEDE, CALLISTO = 501, 502, 503, 504
GALILEANS = (IO, EUROPA, GANYMEDE, CALLISTO)

# --- GM values (km^3/s^2) -----------------------------------------------------------------------------------------
# Sun and planetary systems: DE440 (Park et al. 2021, AJ 161, 105, Table 8; also the DE440 header constants).
GM_DE440 = {
    SUN: 132712440041.279419,
    MERCURY_BARY: 22031.868551,
    VENUS_BARY: 324858.592000,
    EARTH: 398600.435507,
    MOON: 4902.800118,
    MARS_BARY: 42828.375816,
    JUPITER_BARY: 126712764.100000,     # the whole Jupiter system (planet + satellites)
    SATURN_BARY: 37940584.841800,
    URANUS_BARY: 5794556.400000,
    NEPTUNE_BARY: 6836527.100580,
    PLUTO_BARY: 975.500000,
}
# Galilean satellites: NAIF gm_de440.tpc (BODY501..504_GM, from JPL's JUP365 satellite solution).
GM_GALILEAN = {
    IO: 5959.915466180539,
    EUROPA: 3202.712099607295,
    GANYMEDE: 9887.832752719638,
    CALLISTO: 7179.283402579837,
}
# Jupiter's own GM = system GM minus the Galileans. gm_de440.tpc's BODY599_GM is 126686531.900;
# the 2.5 km^3/s^2 gap (2e-8 relative) is the inner moons and rounding, far below anything our data can see.
GM_JUPITER = GM_DE440[JUPITER_BARY] - sum(GM_GALILEAN.values())    # = 1.26686534e8 km^3/s^2
GM_JUPITER_SYSTEM = GM_DE440[JUPITER_BARY]

# Satellite GMs that Gomes-Junior et al. (2016, eq. 1) let act inside a family. Himalia: Emelyanov 2005 (A&A 438, L33) mass
# 4.2e18 kg -> GM = 0.28 km^3/s^2 (G = 6.6743e-20 km^3 kg^-1 s^-2, CODATA 2018). Others are not measured.
GM_HIMALIA = 4.2e18 * 6.6743e-20

# --- Jupiter's figure -------------------------------------------------------------------------------------------
# Juno gravity field, Iess et al. 2018 (Nature 555, 220), Table 1, unnormalised, reference radius 71492 km.
JUPITER_REFERENCE_RADIUS_KM = 71492.0
JUPITER_J2 = 14696.5063e-6
JUPITER_J4 = -586.6085e-6
JUPITER_J6 = 34.2007e-6

# Jupiter's north pole in ICRF, Archinal et al. 2018 (Celest. Mech. Dyn. Astr. 130:22), Table 2:
#   alpha0 = 268.056595 - 0.006499 T + sum(a_k sin J_k), delta0 = 64.495303 + 0.002413 T + sum(d_k cos J_k)
#   J_k = phase_k + rate_k T,  T in Julian centuries of TDB past J2000.
JUPITER_POLE_RA0_DEG, JUPITER_POLE_RA_RATE_DEG_PER_CY = 268.056595, -0.006499
JUPITER_POLE_DEC0_DEG, JUPITER_POLE_DEC_RATE_DEG_PER_CY = 64.495303, 0.002413
JUPITER_POLE_NUTATION = np.array([
    # phase deg, rate deg/cy, sin-amplitude in RA deg, cos-amplitude in Dec deg   (Ja .. Je)
    [99.360714, 4850.4046, 0.000117, 0.000050],
    [175.895369, 1191.9605, 0.000938, 0.000404],
    [300.323162, 262.5475, 0.001432, 0.000617],
    [114.012305, 6070.2476, 0.000030, -0.000013],
    [49.511251, 64.3000, 0.002150, 0.000926],
])


def jupiter_pole_radec_deg(tdb_seconds):
    """IAU (Archinal et al. 2018) right ascension and declination of Jupiter's north pole, degrees, ICRF."""
    T = np.asarray(tdb_seconds, dtype=float) / (SECONDS_PER_DAY * DAYS_PER_JULIAN_CENTURY)
    ra = JUPITER_POLE_RA0_DEG + JUPITER_POLE_RA_RATE_DEG_PER_CY * T
    dec = JUPITER_POLE_DEC0_DEG + JUPITER_POLE_DEC_RATE_DEG_PER_CY * T
    for phase, rate, a_ra, a_dec in JUPITER_POLE_NUTATION:
        angle = np.radians(phase + rate * T)
        ra = ra + a_ra * np.sin(angle)
        dec = dec + a_dec * np.cos(angle)
    return ra, dec


def jupiter_pole_unit_vector(tdb_seconds):
    """Unit vector(s) of Jupiter's north pole in ICRF axes, shape (..., 3)."""
    ra, dec = np.radians(jupiter_pole_radec_deg(tdb_seconds))
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


# Obliquity of the ecliptic at J2000 used to define the "ecliptic" plane of elements: IAU 2006, 84381.406 arcsec.
OBLIQUITY_J2000_DEG = 84381.406 / 3600.0
