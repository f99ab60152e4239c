"""Published starting orbits: Gomes-Junior et al. (2016, MNRAS 462, 1351) Table 2, the STE initial osculating
elements of the 8 main irregular satellites at JD 2451545.0 (jovicentric, ICRF equator, true anomaly)
(`gomes_junior_2016_orbit`), and the MPC's natural-satellite orbit elements (`read_mpc_natsat_elements`).

The paper does not state the GM behind its osculating elements. Measured (tests/test_gj15_fits.py): with
Jupiter's own GM (599, without the Galileans) the elements reproduce the GJ15 positions to ~1-9 arcsec rms; with
the Jupiter-system GM the same numbers are 13-65 arcsec off (the 2e-4 GM difference shifts the osculating a by
~2300 km). So they are osculating elements about Jupiter's centre with GM(599), which we use. The epoch is taken
as TDB (TT-TDB < 2 ms moves Himalia by < 7 m). The elements are rounded (a to 100 km, angles to 0.01 deg): a
starting guess at the arcsecond level, not a solution.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dynamics import constants as C
from dynamics.elements import Elements, elements_to_state, jovicentric_to_barycentric

from dynamics.propagation import default_ephemeris

from ..bodies import naif_id
from ..observations.fields import julian_day_number
from ..orbit import Orbit
from ..times import convert_jd
from ..paths import data_path

GOMES_JUNIOR_2016_FILE = ("gj16_ste", "gj16_STE_initial_osculating_elements.txt")
GOMES_JUNIOR_2016_GM = C.GM_JUPITER     # see the module docstring: the GM that reproduces the observations


@dataclass
class PublishedOrbit:
    name: str
    naif_id: int
    n_observations: int
    span: str
    elements: Elements
    sigma: np.ndarray        # 1-sigma of (a km, e, i, node, periapsis, true anomaly deg)

    def state_from_barycentre(self, ephemeris):
        """State (6,) relative to the Jupiter-system barycentre (NAIF 5) at the elements' epoch."""
        return jovicentric_to_barycentric(elements_to_state(self.elements), self.elements.epoch, ephemeris)


def gomes_junior_2016_orbits(path=None):
    """All rows of Gomes-Junior et al. (2016) Table 2 as {name: PublishedOrbit}."""
    path = path or data_path(*GOMES_JUNIOR_2016_FILE)
    orbits = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith("# Mean offsets"):
                break                       # the file's second table (the paper's Table 3) follows
            fields = line.split()
            if not fields or line.startswith("#"):
                continue
            if len(fields) != 15:
                raise ValueError(f"{path}:{number}: expected 15 columns (name N span a sig e sig I sig node sig "
                                 f"omega sig v sig), got {len(fields)}")
            try:
                values = [float(x) for x in fields[3:]]
                count = int(fields[1])
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
            a, e, inc, node, peri, nu = values[0::2]
            name = fields[0]
            orbits[name] = PublishedOrbit(name, naif_id(name), count, fields[2],
                                          Elements(a, e, inc, node, peri, nu, GOMES_JUNIOR_2016_GM, "icrf", 0.0),
                                          np.array(values[1::2]))
    return orbits


def gomes_junior_2016_orbit(name, ephemeris=None):
    """The STE starting orbit of `name` (e.g. "Himalia", "himalia", 506 or "506", as `load_all` takes a body) from
    Gomes-Junior et al. (2016) Table 2, as an Orbit (state relative to 5 at J2000 TDB; `ephemeris` places Jupiter's
    centre, default de440)."""
    orbits = gomes_junior_2016_orbits()
    try:
        wanted = naif_id(name)
    except (TypeError, ValueError):                  # bodies.UnknownBody is a ValueError
        wanted = None
    published = next((orbit for orbit in orbits.values() if orbit.naif_id == wanted), None)
    if published is None:
        raise KeyError(f"Gomes-Junior et al. (2016) have no orbit for {name!r}; they have {sorted(orbits)}")
    return Orbit(published.naif_id, published.elements.epoch,
                 published.state_from_barycentre(ephemeris or default_ephemeris()))


# --- MPC natural-satellite orbit elements ---------------------------------------------------------------------------
# The MPC "Export Format for Natural Satellite Orbits" (https://minorplanetcenter.org/iau/info/SatOrbitFormat.html;
# quoted in data/mpc_obscodes/MPC_NatSats_element_line_example.source.txt). One line per orbit, fixed columns
# (1-based, inclusive), Fortran formats as the MPC gives them:
#     1 -  12  a12    number or provisional designation, packed ("J006S" = Jupiter VI; "    SK03J040" = S/2003 J 4)
#    14 -  18  a5     epoch of osculation, packed date, 0h TT ("K2669" = 2026-06-09.0 TT)
#    20 -  32  f13.5  time of pericentre passage, JD (TT)
#    34 -  42  f9.5   argument of pericentre, J2000.0 ecliptic, deg
#    44 -  52  f9.5   longitude of the ascending node, J2000.0 ecliptic, deg
#    54 -  62  f9.5   inclination to the J2000.0 ecliptic, deg
#    64 -  72  f9.7   eccentricity
#    74 -  82  f9.7   pericentre distance q, au
#    84 -  85  i2     central body: 05 Jupiter, 06 Saturn, 07 Uranus, 08 Neptune
#    87 -  91  f5.2   absolute magnitude H
#    93 -  98  i6     observed arc, days
#   100 - 104  i5     number of observations
#   106 - 108  a3     orbit computer
#   110 - 118  a9     publication reference
#   120 - 124  a5     date (UT) of the first included observation, packed
#   126 - 130  a5     date (UT) of the last included observation, packed
#   132 - 136  f5.2   rms residual, arcsec
#   138 - 140  a3     coarse indicator of perturbers
#   142 - 144  a3     precise indicator of perturbers
#   146 -      a      name of the satellite (may be absent)
# The MPC states that natural-satellite elements are planet-barycentric: the centre is the planet-system barycentre
# (NAIF 5 for Jupiter), so the state needs no 599 -> 5 shift. The format does not give the GM behind the mean motion;
# `MPCNatSatOrbit.elements` uses the system GM of that barycentre (the GM a barycentric two-body orbit has), and the
# choice is checked against observations in tests/test_mpc_natsat_elements.py.
MPC_CENTRAL_BODY = {5: 5, 6: 6, 7: 7, 8: 8}          # MPC code -> NAIF barycentre id
_PACKED_CENTURY = {"I": 1800, "J": 1900, "K": 2000, "L": 2100}


def unpack_mpc_date(packed):
    """MPC packed date "K2669" -> (2026, 6, 9): century letter, two-digit year, month and day as 1-9, A=10 ... V=31."""
    packed = packed.strip()
    if len(packed) != 5 or packed[0] not in _PACKED_CENTURY:
        raise ValueError(f"not an MPC packed date: {packed!r}")

    def digit(c):
        if c.isdigit():
            return int(c)
        if "A" <= c <= "V":
            return ord(c) - ord("A") + 10
        raise ValueError(f"not an MPC packed date: {packed!r}")

    year = _PACKED_CENTURY[packed[0]] + int(packed[1:3])
    month, day = digit(packed[3]), digit(packed[4])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"not an MPC packed date: {packed!r}")
    return year, month, day


@dataclass
class MPCNatSatOrbit:
    """One line of MPC natural-satellite elements: osculating, J2000 ecliptic, centred on the planet-system
    barycentre, epoch and pericentre time in TT (converted to TDB here)."""
    designation: str
    name: str
    central_body: int             # NAIF id of the barycentre (5 for Jupiter)
    epoch_tt: tuple               # (year, month, day) at 0h TT
    epoch: float                  # TDB s past J2000
    pericentre_time: float        # TDB s past J2000 (JD TT in the line)
    periapsis_deg: float
    node_deg: float
    inclination_deg: float        # to the J2000 ecliptic
    e: float
    q_au: float
    h_mag: float | None
    arc_days: int | None
    n_observations: int | None
    computer: str
    reference: str
    first_observation: tuple | None   # (year, month, day) UT
    last_observation: tuple | None
    rms_arcsec: float | None
    perturbers: str
    line: str

    @property
    def a_km(self):
        return self.q_au * C.AU_KM / (1.0 - self.e)

    def elements(self, gm=None):
        """dynamics Elements at the epoch (plane "ecliptic", centre the planet-system barycentre, true anomaly from
        the mean anomaly n (epoch - pericentre time)). gm default: the system GM of the barycentre (DE440)."""
        from dynamics.elements import mean_to_true
        gm = C.GM_DE440[self.central_body] if gm is None else gm
        a = self.a_km
        mean_anomaly = np.sqrt(gm / a ** 3) * (self.epoch - self.pericentre_time)
        nu = np.degrees(mean_to_true(np.mod(mean_anomaly, 2 * np.pi), self.e))
        return Elements(a, self.e, self.inclination_deg, self.node_deg, self.periapsis_deg, float(np.mod(nu, 360.0)),
                        gm, "ecliptic", self.epoch)

    def orbit(self, body=None, gm=None):
        """An Orbit: ICRF state relative to the barycentre (NAIF 5 for Jupiter) at the epoch (TDB).
        body: default the NAIF id of a numbered moon, -1 for a provisional designation."""
        return Orbit(body if body is not None else naif_from_mpc_designation(self.designation),
                     self.epoch, elements_to_state(self.elements(gm)))


def naif_from_mpc_designation(designation):
    """NAIF id of a numbered satellite from its packed MPC designation ("J006S" = Jupiter VI -> 506; "S044S"...
    for Saturn -> 6nn); -1 for provisional designations (S/2003 J 4 has no NAIF id)."""
    import re
    match = re.fullmatch(r"([JSUN])(\d{3})S", designation.strip())
    if not match or not 0 < int(match.group(2)) < 100:
        return -1
    return {"J": 500, "S": 600, "U": 700, "N": 800}[match.group(1)] + int(match.group(2))


def _field(line, first, last):
    """Columns first..last (1-based, inclusive) of a fixed-width line, stripped."""
    return line[first - 1:last].strip()


def _tt_jd_to_tdb_seconds(jd1, jd2=0.0):
    return float(convert_jd(jd1, jd2, "tt")[2])


def parse_mpc_natsat_line(line):
    """One MPC natural-satellite element line -> MPCNatSatOrbit (column layout in the comment above)."""
    raw = line.rstrip("\r\n")
    if len(raw) < 136:
        raise ValueError(f"MPC natural-satellite element line too short ({len(raw)} characters, need >= 136): "
                         f"{raw!r}")

    def number(first, last, what, kind=float, optional=False):
        text = _field(raw, first, last)
        if not text and optional:
            return None
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"columns {first}-{last} ({what}): {text!r} is not a number") from None

    epoch_date = unpack_mpc_date(_field(raw, 14, 18))
    epoch_jd = julian_day_number(*epoch_date) - 0.5                     # 0h TT of the packed date
    central = number(84, 85, "central body", int)
    if central not in MPC_CENTRAL_BODY:
        raise ValueError(f"columns 84-85: unknown central body code {central:02d}")
    e = number(64, 72, "eccentricity")
    if not 0.0 <= e < 1.0:
        raise ValueError(f"columns 64-72: eccentricity {e} is not elliptic")
    observed = _field(raw, 120, 130)
    first_obs = unpack_mpc_date(observed[:5]) if observed[:5].strip() else None
    last_obs = unpack_mpc_date(observed[6:11]) if observed[6:11].strip() else None
    tp = number(20, 32, "time of pericentre")
    return MPCNatSatOrbit(
        designation=_field(raw, 1, 12), name=raw[145:].strip() if len(raw) > 145 else "",
        central_body=MPC_CENTRAL_BODY[central], epoch_tt=epoch_date, epoch=_tt_jd_to_tdb_seconds(epoch_jd),
        pericentre_time=_tt_jd_to_tdb_seconds(np.floor(tp), tp - np.floor(tp)),
        periapsis_deg=number(34, 42, "argument of pericentre"), node_deg=number(44, 52, "node"),
        inclination_deg=number(54, 62, "inclination"), e=e, q_au=number(74, 82, "pericentre distance"),
        h_mag=number(87, 91, "H", optional=True), arc_days=number(93, 98, "arc", int, optional=True),
        n_observations=number(100, 104, "number of observations", int, optional=True),
        computer=_field(raw, 106, 108), reference=_field(raw, 110, 118), first_observation=first_obs,
        last_observation=last_obs, rms_arcsec=number(132, 136, "rms", optional=True),
        perturbers=_field(raw, 138, 144), line=raw)


def read_mpc_natsat_elements(path_or_line):
    """MPC natural-satellite element lines -> list of MPCNatSatOrbit.

    path_or_line: a file path, or the text of one or more element lines (recognised by length >= 136 or a newline).
    Blank lines and lines starting with '#' are skipped. Always returns a list (one entry per element line); use
    `parse_mpc_natsat_line` for a single line. Each entry gives `.elements()` (ecliptic, barycentric, TDB epoch) and
    `.orbit()` (an Orbit relative to NAIF 5).
    """
    import os
    text = os.fspath(path_or_line) if isinstance(path_or_line, os.PathLike) else path_or_line
    if isinstance(path_or_line, os.PathLike) or ("\n" not in text and len(text) < 136):
        with open(text, encoding="utf-8") as handle:
            lines, source = handle.read().splitlines(), os.path.basename(text)
    else:
        lines, source = text.splitlines(), "<text>"
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            out.append(parse_mpc_natsat_line(line))
        except ValueError as exc:
            raise ValueError(f"{source}:{number}: {exc}") from None
    return out


# --- Gomes-Junior et al. (2016) Table 3: O-C of the GJ15 positions against three ephemerides ------------------------------------------
GOMES_JUNIOR_2016_TABLE3_EPHEMERIDES = ("STE", "JPL", "Emelyanov")     # the file's three column groups, in order


def gomes_junior_2016_table3(path=None):
    """Table 3 of Gomes-Junior et al. (2016) ("Tab:STE-error"): mean +- standard deviation (mas) of the O-C of the
    GJ15 positions of each satellite against their STE, JPL's jup300 and Emelyanov (2005, update of 2012-02-19), as
    {satellite: {"STE": (ra_mean, ra_sd, dec_mean, dec_sd), "JPL": (...), "Emelyanov": (...)}}, RA as RA* =
    Delta(alpha) cos(delta). Read from the second table of the embedded copy of the paper's tables
    (gj16_ste/gj16_STE_initial_osculating_elements.txt of the embedded data), rows like
    `Himalia  -15+-66  -7+-54  | -19+-80  -11+-52  | -18+-72  -13+-53`; the paper excludes outliers from these
    statistics (it does not say which)."""
    path = path or data_path(*GOMES_JUNIOR_2016_FILE)
    rows, in_table = {}, False
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith("# Mean offsets"):
                in_table = True
                continue
            if not in_table or not line.strip() or line.startswith("#"):
                continue
            name, _, rest = line.strip().partition(" ")
            groups = rest.split("|")
            try:
                if len(groups) != len(GOMES_JUNIOR_2016_TABLE3_EPHEMERIDES):
                    raise ValueError(f"expected {len(GOMES_JUNIOR_2016_TABLE3_EPHEMERIDES)} groups separated by '|', "
                                     f"got {len(groups)}")
                values = {}
                for key, group in zip(GOMES_JUNIOR_2016_TABLE3_EPHEMERIDES, groups):
                    pairs = [item.split("+-") for item in group.split()]
                    if len(pairs) != 2 or any(len(pair) != 2 for pair in pairs):
                        raise ValueError(f"expected 'ra_mean+-ra_sd dec_mean+-dec_sd' for {key}, got {group.strip()!r}")
                    values[key] = tuple(float(x) for pair in pairs for x in pair)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
            rows[name] = values
    if not rows:
        raise ValueError(f"{path}: no Table 3 rows after a '# Mean offsets' line")
    return rows


def seed003_orbits(path=None):
    """Deprecated alias of `gomes_junior_2016_orbits` (removed in the next release)."""
    warnings.warn("seed003_orbits is now gomes_junior_2016_orbits", DeprecationWarning, stacklevel=2)
    return gomes_junior_2016_orbits(path)


def seed003_orbit(name, ephemeris=None):
    """Deprecated alias of `gomes_junior_2016_orbit` (removed in the next release)."""
    warnings.warn("seed003_orbit is now gomes_junior_2016_orbit", DeprecationWarning, stacklevel=2)
    return gomes_junior_2016_orbit(name, ephemeris)
