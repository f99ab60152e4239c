"""Could an averaged field replace the Galilean moons as point masses? (printed, not asserted)

    python benchmarks/averaged_galileans.py          # ~2 min on one core

The moons' sub-day forcing costs IAS15 ~10 more force evaluations per 1-day step (24.8 against 15.3 without them),
so a field averaged over their orbits would make every propagation ~30% faster. This measures how far such a field
leaves Himalia from the full model (dynamics.ForceModel()) over 1894-2022, once Himalia's state is refitted to the
full model's positions (a fit absorbs what a state can):

1. galileans=False (the moons' mass at the barycentre 5) with zonal J2, J4, J6 that add the moons' time-averaged
   moments (L1.2 positions, 1960-2020; a point mass at distance rho and latitude phi has J_n = -(m/M)(rho/R)^n
   P_n(sin phi)) to Jupiter's own, about Jupiter's IAU pole;
2. the same J_n about the axis of the system's quadrupole (Jupiter's J2 and the moons' mean orbits, 1-yr means,
   interpolated) put in the perturber tables' pole column instead of Jupiter's pole (patched here, in this process
   only).

Measured 2026-12-07: (1) 13.1 km rms (3-D), 36 km at most; (2) 3.4 km rms, 7 km at most; the axis 0.08-0.19 deg
from Jupiter's pole, turning over decades; 130 yr of Himalia with its STM 1.60 s with the moons, 1.05 s without
(1.56 s and 1.07 s in a run of the same measurement before this script).
So the moons stay point masses (dynamics.ForceModel's docstring): a field good to < 1 km would need that axis and
the J_n tabulated as slowly varying functions.
"""
import time
from unittest import mock

import numpy as np
from numpy.polynomial.legendre import legval

from dynamics import ForceModel, propagate, tables
from dynamics import constants as C
from dynamics.ephemeris import Ephemeris, default_de_kernel_path
from orbitfit.estimation.published import gomes_junior_2016_orbit

DAY, YEAR = 86400.0, 365.25 * 86400.0


def legendre(n, x):
    return legval(x, np.eye(n + 1)[n])


def system_axis(ephemeris, years):
    """Unit vector (per year) of the axis of the Jupiter system's quadrupole: Jupiter's J2 about its pole plus each
    moon's mean moment <|r|^2 / 2 I - r r^T> over the year (a ring of radius a gives a^2 / 2 n n^T)."""
    gm = [C.GM_GALILEAN[b] for b in C.GALILEANS]
    out = []
    for year in years:
        t = (year - 2000.0) * YEAR + np.arange(0.0, 365.25, 0.31) * DAY
        states = ephemeris.jupiter_system_states(t)
        pole = C.jupiter_pole_unit_vector(t).mean(axis=0)
        pole /= np.linalg.norm(pole)
        moment = C.GM_JUPITER * C.JUPITER_J2 * C.JUPITER_REFERENCE_RADIUS_KM ** 2 * np.outer(pole, pole)
        for k in range(4):
            r = states[k + 1, :, :3]
            moment += gm[k] * (np.mean(np.sum(r * r, axis=1)) / 2 * np.eye(3) - r.T @ r / t.size)
        axis = np.linalg.eigh(moment)[1][:, -1]
        out.append(axis * np.sign(axis @ pole))
    return np.array(out)


def effective_zonals(ephemeris, pole_of):
    """(J2, J4, J6) of Jupiter and the moons together about the axis pole_of(t), per the system GM, 1960-2020."""
    t = np.arange(-40 * 365.25, 20 * 365.25, 0.37) * DAY
    states, axis, jupiter_pole = ephemeris.jupiter_system_states(t), pole_of(t), C.jupiter_pole_unit_vector(t)
    gm = [C.GM_GALILEAN[b] for b in C.GALILEANS]
    radius = C.JUPITER_REFERENCE_RADIUS_KM
    out = []
    for n, own in ((2, C.JUPITER_J2), (4, C.JUPITER_J4), (6, C.JUPITER_J6)):
        total = C.GM_JUPITER * own * np.mean(legendre(n, np.einsum("ij,ij->i", jupiter_pole, axis)))
        for k in range(4):
            r = states[k + 1, :, :3]
            rho = np.linalg.norm(r, axis=1)
            total += np.mean(-gm[k] * (rho / radius) ** n * legendre(n, np.einsum("ij,ij->i", r, axis) / rho))
        out.append(total / (C.GM_JUPITER + sum(gm)))
    return tuple(out)


def refit_distance(reference, state, epoch, grid, model, ephemeris):
    """3-D distances (km) from `reference` after fitting the initial state to it (4 Gauss-Newton steps)."""
    x = np.array(state, dtype=float)
    for _ in range(4):
        run = propagate(x, epoch, grid, model=model, ephemeris=ephemeris, stm=True)
        design = run.stm[:, 0, :3, :].reshape(-1, 6)
        scale = np.linalg.norm(design, axis=0)
        x = x + np.linalg.lstsq(design / scale, (reference - run.states[:, 0, :3]).ravel(), rcond=None)[0] / scale
    run = propagate(x, epoch, grid, model=model, ephemeris=ephemeris)
    return np.linalg.norm(reference - run.states[:, 0, :3], axis=1)


def main():
    ephemeris = Ephemeris(default_de_kernel_path())
    orbit = gomes_junior_2016_orbit("Himalia", ephemeris)
    grid = np.arange(-106 * 365.25, 23 * 365.25, 10.0) * DAY
    reference = propagate(orbit.state, orbit.epoch, grid, model=ForceModel(), ephemeris=ephemeris).states[:, 0, :3]
    for model in (ForceModel(), ForceModel(galileans=False)):
        start = time.perf_counter()
        propagate(orbit.state, orbit.epoch, grid, model=model, ephemeris=ephemeris, stm=True)
        print(f"130 yr of Himalia with its STM, galileans={model.galileans}: {time.perf_counter() - start:.2f} s")

    zonals = effective_zonals(ephemeris, C.jupiter_pole_unit_vector)
    distance = refit_distance(reference, orbit.state, orbit.epoch, grid,
                              ForceModel(galileans=False, zonal_j246=zonals), ephemeris)
    print(f"(1) J2, J4, J6 = {zonals[0]:.5f}, {zonals[1]:.4g}, {zonals[2]:.5g} about Jupiter's pole: "
          f"{np.sqrt(np.mean(distance ** 2)):.1f} km rms, {distance.max():.1f} km at most")

    years = np.arange(1890.0, 2031.0)
    axes = system_axis(ephemeris, years)
    middle = (years + 0.5 - 2000.0) * YEAR
    tilt = np.degrees(np.arccos(np.einsum("ij,ij->i", axes, C.jupiter_pole_unit_vector(middle))))
    print(f"the system's quadrupole axis from Jupiter's pole: {tilt.min():.2f} - {tilt.max():.2f} deg")

    def axis_of(t):
        v = np.stack([np.interp(np.atleast_1d(t), middle, axes[:, j]) for j in range(3)], axis=1)
        return v / np.linalg.norm(v, axis=1)[:, None]

    zonals = effective_zonals(ephemeris, axis_of)
    with mock.patch.object(tables.C, "jupiter_pole_unit_vector", axis_of):
        tilted = Ephemeris(default_de_kernel_path())          # its tables are built with the patched pole
        distance = refit_distance(reference, orbit.state, orbit.epoch, grid,
                                  ForceModel(galileans=False, zonal_j246=zonals), tilted)
    print(f"(2) the same about the system's axis: {np.sqrt(np.mean(distance ** 2)):.1f} km rms, "
          f"{distance.max():.1f} km at most")


if __name__ == "__main__":
    main()
