"""Published starting orbits: seed 003 (Gomes-Junior et al. 2016, MNRAS 462, 1351) Table 2, the STE initial
osculating elements of the 8 main irregular satellites at JD 2451545.0 (jovicentric, ICRF equator, true anomaly).

The paper does not state the GM behind its osculating elements. Measured (tests/test_starting_orbits.py): with
Jupiter's own GM (599, without the Galileans) the elements reproduce the GJ15 positions to ~1-9 arcsec rms; with
the Jupiter-system GM the same numbers are 13-65 arcsec off (the 2e-4 GM difference shifts the osculating a by
~2300 km). So they are osculating elements about Jupiter's centre with GM(599), which we use. The epoch is taken
as TDB (TT-TDB < 2 ms moves Himalia by < 7 m). The elements are rounded (a to 100 km, angles to 0.01 deg): a
starting guess at the arcsecond level, not a solution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynamics import constants as C
from dynamics.elements import Elements, elements_to_state, jovicentric_to_barycentric

from .paths import data_path

SEED003_ELEMENTS_FILE = ("gj16_ste", "gj16_STE_initial_osculating_elements.txt")
SEED003_GM = C.GM_JUPITER           # see the module docstring: the GM that reproduces the observations
NAIF_ID = {"Himalia": 506, "Elara": 507, "Pasiphae": 508, "Sinope": 509, "Lysithea": 510, "Carme": 511,
           "Ananke": 512, "Leda": 513, "Kallichore": 544}


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


def seed003_orbits(path=None):
    """All rows of seed 003 Table 2 as {name: PublishedOrbit}."""
    path = path or data_path(*SEED003_ELEMENTS_FILE)
    orbits = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith("# Mean offsets"):
                break                       # the file's second table (seed 003 Table 3) follows
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
            orbits[name] = PublishedOrbit(name, NAIF_ID[name], count, fields[2],
                                          Elements(a, e, inc, node, peri, nu, SEED003_GM, "icrf", 0.0),
                                          np.array(values[1::2]))
    return orbits


def seed003_orbit(name, ephemeris=None):
    """Seed 003's starting orbit of `name` as a least_squares.Orbit (state relative to 5 at J2000 TDB)."""
    from dynamics.propagation import default_ephemeris
    from .least_squares import Orbit
    orbits = seed003_orbits()
    if name not in orbits:
        raise KeyError(f"seed 003 has no orbit for {name!r}; it has {sorted(orbits)}")
    published = orbits[name]
    return Orbit(published.naif_id, published.elements.epoch,
                 published.state_from_barycentre(ephemeris or default_ephemeris()))
