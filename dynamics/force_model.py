"""`ForceModel`: which terms of the force act on a satellite and with which constants (the compiled force that
evaluates it, and its buffer: dynamics.forces)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import constants as C


@dataclass
class ForceModel:
    """Which terms act. Defaults: the full model of Gomes-Junior et al. (2016) with Juno's zonal field.

    satellite_gm: GM (km^3/s^2) per integrated satellite, in the order of the states given to propagate();
        a GM of 0 (default) makes that satellite massless.
    With galileans=False the moons' mass is lumped into Jupiter: one point mass (system GM) at the barycentre 5,
    so that ForceModel.two_body() is exactly the Kepler problem about the origin.
    Why the moons stay point masses (measured 2026-12-07): an averaged field would cut IAS15's work (24.8 force
    evaluations per 1-day step with them, 15.3 without; 130 yr of Himalia with its STM 1.60 -> 1.05 s), but the
    moons' time-averaged moments as zonal terms about Jupiter's pole (galileans=False, zonal_j246 = 0.0450, -11.8,
    6188 from L1.2 over 1960-2020) leave Himalia 13 km rms (3-D), 36 km at most, from the full model over 1894-2022
    once its state is refitted (~4-11 mas). Most of it is the axis: the system's quadrupole (Jupiter's J2 and the
    moons' mean orbits) points 0.08-0.19 deg from Jupiter's pole, turning over decades. With that axis (1-yr means,
    interpolated) as the zonal terms' pole, the same refit leaves 3.4 km rms, 7 km at most (~1-2 mas): such a field
    would need a tabulated, slowly varying axis (and J_n) of its own before it could replace the point masses
    (benchmarks/averaged_galileans.py).
    gm_jupiter_km3_s2, zonal_j246, gm_galileans_km3_s2: other values of Jupiter's own GM, of its (J2, J4, J6)
        (unnormalised, reference radius 71492 km) and of the Galilean moons' GMs (Io .. Callisto) than the constants
        module's (None, the default: DE440, Iess et al. 2018, JUP365), e.g. to measure what their uncertainty does
        to a prediction (benchmarks/model_constants.py). Jupiter's reflex about 5 in the perturber tables stays the
        constants' (GM_moon / GM_system of the moon's distance: 0.1 km^3/s^2 more of Callisto's GM would move it
        by 1.5 m).
    """
    jupiter: bool = True
    zonal_degrees: tuple = (2, 4, 6)
    galileans: bool = True
    sun: bool = True
    planets: bool = True          # Mercury..Neptune, Earth and Moon separately
    pluto: bool = True
    satellite_gm: tuple = field(default_factory=tuple)
    gm_jupiter_km3_s2: float | None = None
    zonal_j246: tuple | None = None
    gm_galileans_km3_s2: tuple | None = None

    def __post_init__(self):
        for name, size in (("zonal_j246", 3), ("gm_galileans_km3_s2", 4)):
            values = getattr(self, name)
            if values is not None:
                values = tuple(float(v) for v in values)
                if len(values) != size or not all(np.isfinite(values)):
                    raise ValueError(f"{name} must be {size} finite numbers, not {getattr(self, name)!r}")
                setattr(self, name, values)
        if self.gm_jupiter_km3_s2 is not None:
            gm = float(self.gm_jupiter_km3_s2)          # a Quantity with units is refused here (TypeError), not later
            if not (np.isfinite(gm) and gm > 0):
                raise ValueError(f"gm_jupiter_km3_s2 must be a positive number, not {self.gm_jupiter_km3_s2!r}")
            self.gm_jupiter_km3_s2 = gm

    def jupiter_gm(self):
        """Jupiter's own GM (km^3/s^2): the given one, or DE440's system GM minus the Galileans'."""
        return C.GM_JUPITER if self.gm_jupiter_km3_s2 is None else self.gm_jupiter_km3_s2

    def zonal_coefficients(self):
        """(J2, J4, J6) of Jupiter, unnormalised (reference radius C.JUPITER_REFERENCE_RADIUS_KM)."""
        return (C.JUPITER_J2, C.JUPITER_J4, C.JUPITER_J6) if self.zonal_j246 is None else self.zonal_j246

    def galilean_gms(self):
        """GMs (km^3/s^2) of Io, Europa, Ganymede and Callisto."""
        if self.gm_galileans_km3_s2 is None:
            return tuple(C.GM_GALILEAN[body] for body in C.GALILEANS)
        return self.gm_galileans_km3_s2

    @classmethod
    def two_body(cls):
        """One point mass with the Jupiter-system GM at the origin 5: the Kepler problem."""
        return cls(zonal_degrees=(), galileans=False, sun=False, planets=False, pluto=False)

    def describe(self):
        terms = []
        if self.jupiter:
            terms.append("Jupiter GM" + "".join(f" J{n}" for n in self.zonal_degrees))
        for flag, name in ((self.galileans, "Galileans"), (self.sun, "Sun"), (self.planets, "planets+Moon"),
                           (self.pluto, "Pluto")):
            if flag:
                terms.append(name)
        if any(self.satellite_gm):
            terms.append(f"mutual (GM {list(self.satellite_gm)})")
        for name in ("gm_jupiter_km3_s2", "zonal_j246", "gm_galileans_km3_s2"):
            if getattr(self, name) is not None:
                terms.append(f"{name} {getattr(self, name)}")
        return ", ".join(terms)
