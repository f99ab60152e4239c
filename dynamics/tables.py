"""Chebyshev tables of perturber positions, evaluated inside the compiled force.

Positions of the perturbing bodies relative to the Jupiter-system barycentre (NAIF 5) are fitted once per
propagation span with piecewise Chebyshev polynomials, so the force never calls back into Python.
Two groups with their own segment length: the fast Jupiter system (599 and the Galileans: Io's period is 1.77 d)
and the slow outer world (Sun, planets, Earth, Moon, Pluto, and Jupiter's pole direction).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import constants as C

# Bodies of each group, in the order the force reads them. Slow group: GM bodies first, the pole vector last.
FAST_BODIES = (C.JUPITER, *C.GALILEANS)
SLOW_BODIES = (C.SUN, C.MERCURY_BARY, C.VENUS_BARY, C.EARTH, C.MOON, C.MARS_BARY,
               C.SATURN_BARY, C.URANUS_BARY, C.NEPTUNE_BARY, C.PLUTO_BARY)
POLE = "pole"

# Segment lengths and degrees, measured (tests/test_ephemeris.py): fast 1 d / degree 14 -> Io within 2 cm
# (degree 12: 0.6 m); slow 4 d / degree 12 -> every body within 5 mm (16 d segments left the Moon 0.7 km off).
FAST_SEGMENT_S, FAST_DEGREE = 1.0 * C.SECONDS_PER_DAY, 14
SLOW_SEGMENT_S, SLOW_DEGREE = 4.0 * C.SECONDS_PER_DAY, 12


@dataclass
class ChebyshevTable:
    """Piecewise Chebyshev fit of several 3-vectors: coefficients (n_segments, n_bodies * 3, degree + 1)."""
    t_start: float          # TDB s past J2000 of the first segment's start
    segment: float          # segment length, s
    coefficients: np.ndarray

    @property
    def n_segments(self):
        return self.coefficients.shape[0]

    @property
    def t_end(self):
        return self.t_start + self.segment * self.n_segments

    def evaluate(self, tdb_seconds):
        """(n, n_bodies, 3) positions at TDB epochs (Python-side twin of the compiled evaluation)."""
        t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        index = np.clip(np.floor((t - self.t_start) / self.segment).astype(int), 0, self.n_segments - 1)
        x = 2.0 * (t - self.t_start - index * self.segment) / self.segment - 1.0
        basis = np.polynomial.chebyshev.chebvander(x, self.coefficients.shape[2] - 1)     # (n, n_coef)
        values = np.einsum("nc,nvc->nv", basis, self.coefficients[index])
        return values.reshape(t.size, -1, 3)


def fit_table(sample, t_start, t_end, segment, degree):
    """Fit `sample(tdb_array) -> (n, n_vectors * 3)` on segments of `segment` seconds covering [t_start, t_end]."""
    n_segments = max(1, int(np.ceil((t_end - t_start) / segment)))
    k = np.arange(degree + 1)
    nodes = np.cos(np.pi * (k + 0.5) / (degree + 1))[::-1]             # Chebyshev roots on [-1, 1]
    times = (t_start + (np.arange(n_segments)[:, None] + (nodes[None, :] + 1.0) / 2.0) * segment).ravel()
    values = np.asarray(sample(times)).reshape(n_segments, degree + 1, -1)
    inverse = np.linalg.inv(np.polynomial.chebyshev.chebvander(nodes, degree))       # exact interpolation
    coefficients = np.einsum("cn,snv->svc", inverse, values)
    return ChebyshevTable(t_start, float(segment), np.ascontiguousarray(coefficients))


def fast_table(ephemeris, t_start, t_end):
    """Jupiter's centre and the Galilean moons relative to NAIF 5."""
    def sample(t):
        states = ephemeris.jupiter_system_states(t)           # (5, n, 6)
        return np.transpose(states[:, :, :3], (1, 0, 2)).reshape(t.size, -1)
    return fit_table(sample, t_start, t_end, FAST_SEGMENT_S, FAST_DEGREE)


def slow_table(ephemeris, t_start, t_end):
    """Sun, planets, Earth, Moon, Pluto relative to NAIF 5, plus Jupiter's pole unit vector (ICRF)."""
    def sample(t):
        columns = [ephemeris.position(body, t, center=C.JUPITER_BARY) for body in SLOW_BODIES]
        columns.append(C.jupiter_pole_unit_vector(t))
        return np.concatenate(columns, axis=1)
    return fit_table(sample, t_start, t_end, SLOW_SEGMENT_S, SLOW_DEGREE)
