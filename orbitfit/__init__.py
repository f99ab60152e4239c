"""orbitfit: orbits of Jupiter's irregular moons from astrometry (see shared/DESIGN.md)."""
from . import _offline

_offline.configure()
