"""Chebyshev tables of perturber positions, evaluated inside the compiled force.

Positions of the perturbing bodies relative to the Jupiter-system barycentre (NAIF 5) are fitted once per
propagation span with piecewise Chebyshev polynomials (chebyshev.ChebyshevRecords: components x, y, z of each
body in turn), so the force never calls back into Python.
Two groups with their own segment length: the fast Jupiter system (599 and the Galileans: Io's period is 1.77 d)
and the slow outer world (Sun, planets, Earth, Moon, Pluto, and Jupiter's pole direction).
"""
from __future__ import annotations

import threading
import weakref

import numpy as np

from . import constants as C
from .chebyshev import ChebyshevRecords

# Bodies of each group, in the order the force reads them. Slow group: GM bodies first, the pole vector last.
FAST_BODIES = (C.JUPITER, *C.GALILEANS)
SLOW_BODIES = (C.SUN, C.MERCURY_BARY, C.VENUS_BARY, C.EARTH, C.MOON, C.MARS_BARY,
               C.SATURN_BARY, C.URANUS_BARY, C.NEPTUNE_BARY, C.PLUTO_BARY)
POLE = "pole"

# Segment lengths and degrees, measured (tests/test_ephemeris.py): fast 1 d / degree 14 -> Io within 2 cm
# (degree 12: 0.6 m); slow 4 d / degree 12 -> every body within 5 mm (16 d segments left the Moon 0.7 km off).
FAST_SEGMENT_S, FAST_DEGREE = 1.0 * C.SECONDS_PER_DAY, 14
SLOW_SEGMENT_S, SLOW_DEGREE = 4.0 * C.SECONDS_PER_DAY, 12
TABLE_GRAIN_S = 64 * C.SECONDS_PER_DAY       # tables cover whole multiples of this (both segment lengths divide it)


def fast_table(ephemeris, t_start, t_end):
    """Jupiter's centre and the Galilean moons relative to NAIF 5."""
    def sample(t):
        states = ephemeris.jupiter_system_states(t)           # (5, n, 6)
        return np.transpose(states[:, :, :3], (1, 0, 2)).reshape(t.size, -1)
    return ChebyshevRecords.from_function(sample, t_start, t_end, FAST_SEGMENT_S, FAST_DEGREE)


def slow_table(ephemeris, t_start, t_end):
    """Sun, planets, Earth, Moon, Pluto relative to NAIF 5, plus Jupiter's pole unit vector (ICRF)."""
    def sample(t):
        return np.concatenate([ephemeris.positions(SLOW_BODIES, t, center=C.JUPITER_BARY),
                               C.jupiter_pole_unit_vector(t)], axis=1)
    return ChebyshevRecords.from_function(sample, t_start, t_end, SLOW_SEGMENT_S, SLOW_DEGREE)


class PerturberTables:
    """The (fast, slow) tables of one Ephemeris, assembled from fixed 64-day chunks built on demand and kept.

    Each chunk is fitted on its own, so a segment's coefficients are bit-identical whatever span was asked for
    (fitting a whole span at once changes the last bits with the array shapes), which keeps every propagation,
    and every fit, independent of what the process computed before (serial and dask runs agree exactly).
    Owned by its Ephemeris (created in Ephemeris.__init__, so also after unpickling); a lock makes concurrent
    propagations build each chunk once and share it, so callers need not build anything before starting threads.
    """

    def __init__(self, ephemeris):
        self._ephemeris = weakref.ref(ephemeris)     # owned by the ephemeris: no reference cycle
        self._lock = threading.Lock()
        self._chunks = {}                            # chunk index k -> (fast, slow) over [k, k + 1) * TABLE_GRAIN_S
        self._assembled = {}                         # (first, last) -> (fast, slow), the last few spans asked for

    def __call__(self, t_lo, t_hi):
        """(fast, slow) ChebyshevRecords covering [t_lo, t_hi] (TDB s past J2000)."""
        ephemeris = self._ephemeris()
        lo_span, hi_span = ephemeris.span_seconds()
        first, last = int(np.floor(t_lo / TABLE_GRAIN_S)), int(np.ceil(t_hi / TABLE_GRAIN_S))
        if first * TABLE_GRAIN_S < lo_span or last * TABLE_GRAIN_S > hi_span:
            # at the very edge of the kernel: one table for the clipped span (deterministic for a given request)
            lo, hi = max(first * TABLE_GRAIN_S, lo_span), min(last * TABLE_GRAIN_S, hi_span)
            return fast_table(ephemeris, lo, hi), slow_table(ephemeris, lo, hi)
        with self._lock:
            if (first, last) in self._assembled:
                return self._assembled[(first, last)]
            for k in range(first, last):
                if k not in self._chunks:
                    start = k * TABLE_GRAIN_S
                    self._chunks[k] = (fast_table(ephemeris, start, start + TABLE_GRAIN_S),
                                       slow_table(ephemeris, start, start + TABLE_GRAIN_S))
            pair = tuple(ChebyshevRecords(first * TABLE_GRAIN_S, self._chunks[first][g].record_s,
                                          np.concatenate([self._chunks[k][g].coefficients for k in range(first, last)]))
                         for g in (0, 1))
            self._assembled[(first, last)] = pair
            while len(self._assembled) > 4:              # a fit loop reuses one or two spans
                self._assembled.pop(next(iter(self._assembled)))
            return pair
