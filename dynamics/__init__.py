"""orbitfit's dynamics: the force model of Jupiter's irregular satellites and its numerical propagation.

Knows nothing of observations or fitting (orbitfit imports dynamics, never the reverse).
Conventions: TDB seconds past J2000 TDB; ICRF axes; origin the Jupiter-system barycentre (NAIF 5); km, km/s.
"""
from .ephemeris import Ephemeris, EphemerisError
from .force_model import ForceModel
from .propagation import Propagation, propagate, default_ephemeris
from .elements import Elements, elements_to_state, state_to_elements, kepler_propagate

__all__ = ["Ephemeris", "EphemerisError", "ForceModel", "Propagation", "propagate", "default_ephemeris",
           "Elements", "elements_to_state", "state_to_elements", "kepler_propagate"]
