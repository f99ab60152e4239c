import socket

import numpy as np
import pytest

from dynamics import constants as C
from dynamics.elements import Elements, elements_to_state, jovicentric_to_barycentric
from dynamics.propagation import default_ephemeris

YEAR_S = 365.25 * C.SECONDS_PER_DAY


def pytest_configure(config):
    """Test configuration (not a package side effect): the tests call astropy directly to compare with it, and must
    not download IERS or leap-second tables, so the whole session runs with orbitfit's offline settings.
    tests/test_offline.py checks orbitfit itself in fresh interpreters, with astropy's own settings."""
    import importlib

    from orbitfit.offline import OFFLINE_SETTINGS
    for module, item, value in OFFLINE_SETTINGS:
        setattr(importlib.import_module(module).conf, item, value)


# Himalia at JD 2451545.0: seed 003 Table 2 (STE initial osculating elements, jovicentric, ICRF equator).
HIMALIA_ELEMENTS_ICRF = dict(a=11372100.0, e=0.166, inclination=45.14, node=39.77, periapsis=351.48,
                             true_anomaly=97.35)


def himalia_state_bary(ephemeris=None):
    """Himalia's state relative to NAIF 5 at J2000 from seed 003's elements (system GM)."""
    elements = Elements(**HIMALIA_ELEMENTS_ICRF, gm=C.GM_JUPITER_SYSTEM)
    return jovicentric_to_barycentric(elements_to_state(elements), 0.0, ephemeris or default_ephemeris())


@pytest.fixture(scope="session")
def ephemeris():
    return default_ephemeris()


@pytest.fixture(scope="session")
def himalia0(ephemeris):
    return himalia_state_bary(ephemeris)


@pytest.fixture(scope="session")
def himalia_gj15(ephemeris):
    """Himalia fitted to its GJ15 positions from seed 003's elements (shared by the occultation tests)."""
    from orbitfit.estimation.least_squares import fit_orbit
    from orbitfit.estimation.options import FitOptions
    from orbitfit.paths import data_path
    from orbitfit.observations.gj15 import read_gj15
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    return fit_orbit(observations, gomes_junior_2016_orbit("Himalia", ephemeris), FitOptions())


@pytest.fixture(scope="session")
def template():
    """Real epochs and sites for closed loops: GJ15 Himalia 2007-2012 (874: 483, 809: 23, 511: 3 positions),
    5 yr, on ~50 nights."""
    from orbitfit.paths import data_path
    from orbitfit.observations.gj15 import read_gj15
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    t = observations["tdb"]
    return observations[(t > 2.3e8) & (t < 3.9e8)]


@pytest.fixture(scope="session")
def truth(ephemeris):
    """Himalia (seed 003's orbit) at 3.0e8 s TDB (2009.5), the truth of the closed loops on `template`."""
    from dynamics import propagate
    from orbitfit.orbit import Orbit
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    orbit = gomes_junior_2016_orbit("Himalia", ephemeris)
    return Orbit(506, 3.0e8, propagate(orbit.state, 0.0, [3.0e8]).states[0, 0])


@pytest.fixture(scope="session")
def leda_gj15():
    """Leda's 98 GJ15 positions: the small real data set of the fast tests."""
    from orbitfit.observations.gj15 import read_gj15
    from orbitfit.paths import data_path
    observations, _ = read_gj15(data_path("gj15", "Leda.dat"))
    return observations


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
