"""orbitfit's dynamics: the force model of Jupiter's irregular satellites and its numerical propagation.

Knows nothing of observations or fitting (orbitfit imports dynamics, never the reverse).
Conventions: TDB seconds past J2000 TDB; ICRF axes; origin the Jupiter-system barycentre (NAIF 5); km, km/s.
The names below load their module on first use: `import dynamics.constants` (as orbitfit's readers do) does not
load the compiled force model (0.45 s from numba's cache), so `orbitfit --help` and the readers start quickly.
"""
_LAZY = {
    "Ephemeris": "ephemeris",
    "EphemerisError": "ephemeris",
    "ForceModel": "force_model",
    "Propagation": "propagation",
    "propagate": "propagation",
    "default_ephemeris": "propagation",
    "Elements": "elements",
    "elements_to_state": "elements",
    "state_to_elements": "elements",
    "kepler_propagate": "elements",
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'dynamics' has no attribute {name!r}")


def __dir__():
    """The lazy public names too (tab completion offers them)."""
    return sorted(set(globals()) | set(_LAZY))


__all__ = list(_LAZY)
