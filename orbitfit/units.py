"""astropy Quantities in, plain numbers in orbitfit's documented units inside (`to_value`).

Every public parameter has a documented unit (degrees, mas, mas/yr, km, km/s, seconds). A Quantity (or a table
column with a unit) is converted to it (7.14 hourangle -> 107.1 deg; 1 arcsec/yr -> 1000 mas/yr), one of the
wrong kind is an astropy.units.UnitConversionError naming the parameter, and a plain number is taken as already
in that unit. Never `np.asarray(quantity, dtype=float)`: that strips the unit and silently reads radians as degrees.
"""
from __future__ import annotations

import numpy as np


def _plain(value):
    if isinstance(value, np.ma.MaskedArray):            # masked table cells (e.g. Gaia's missing RV) are NaN
        value = np.ma.filled(value.astype(float), np.nan)
    return np.asarray(value, dtype=float) if np.ndim(value) else float(value)


def to_value(x, unit, name):
    """`x` as a float or float array in `unit` (a string astropy parses: "deg", "mas/yr", "km", "mag", "" for
    dimensionless). A Quantity or a table column with a unit is converted (the unit must be equivalent; a
    dimensionless quantity is accepted as magnitudes); anything else is read as a number already in `unit`.
    None stays None (an optional parameter left out). Raises astropy.units.UnitConversionError naming `name` for
    a unit of the wrong kind."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and any(getattr(v, "unit", None) is not None for v in x):
        import astropy.units as u
        x = u.Quantity(x)                               # (1 * u.mas, 2 * u.mas): np.asarray would strip the units
    if getattr(x, "unit", None) is None:
        return _plain(x)
    import astropy.units as u
    target = u.Unit(unit)
    if not hasattr(x, "to_value"):                      # an astropy Column: its values with its unit
        x = u.Quantity(_plain(x), x.unit)
    if target == u.mag and x.unit == u.dimensionless_unscaled:
        return _plain(x.value)
    try:
        return _plain(x.to_value(target))
    except u.UnitConversionError as error:
        raise u.UnitConversionError(f"{name}: expected a quantity in {target or 'dimensionless'} (or a plain number "
                                    f"in it), got unit {x.unit or 'dimensionless'!s}: {error}") from None
