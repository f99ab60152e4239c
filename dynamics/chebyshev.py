"""Piecewise Chebyshev polynomials on records of equal length: the perturber tables the compiled force reads
(dynamics/tables.py) and the records of SPK types 2 and 3 (orbitfit/products/export.py) are the same thing.

Record i covers [t_start + i L, t_start + (i + 1) L] (L = record_s); like an SPK record it is described by its
midpoint and half-length, and is evaluated at x = (t - mid) / (L / 2) in [-1, 1]. A fit interpolates exactly the
values at the degree + 1 Chebyshev nodes (roots of T_{degree+1}) of each record.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def chebyshev_nodes(degree):
    """The degree + 1 roots of T_{degree+1} on [-1, 1], increasing."""
    return np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))[::-1]


@dataclass
class ChebyshevRecords:
    """Records of several components: coefficients (n_records, n_components, degree + 1), lowest order first.

    This memory layout (C order) is the one dynamics/forces.py copies into the compiled force's buffer and the one
    spiceypy's spkw02 / spkw03 take raveled (components x, y, z [, vx, vy, vz])."""
    t_start: float          # TDB s past J2000: start of the first record
    record_s: float         # record length, s
    coefficients: np.ndarray

    @property
    def n_records(self):
        return self.coefficients.shape[0]

    @property
    def degree(self):
        return self.coefficients.shape[2] - 1

    @property
    def t_end(self):
        return self.t_start + self.record_s * self.n_records

    @property
    def mids(self):
        """(n_records,) record midpoints, TDB s."""
        return record_mids(self.t_start, self.record_s, self.n_records)

    @staticmethod
    def node_epochs(t_start, t_stop, record_s, degree):
        """(n_records, degree + 1) epochs at which to sample the records covering [t_start, t_stop].

        Written t_start + (i + (x + 1) / 2) L, the perturber tables' historical rounding, which keeps every
        propagation bit-identical to the tables before this module existed. The former SPK-export formula
        mid_i + x L / 2 rounds differently (4305 of the 700 800 node epochs of 600 64-d chunks); with it the slow
        table changed by 1e-6 km and a 10-yr Himalia orbit by 4e-8 km, while this choice changed a 5-yr Leda SPK
        export's coefficients by at most 2.3e-8 km (measured; the readers' tests allow 1e-3 km)."""
        n_records = max(1, int(np.ceil((t_stop - t_start) / record_s)))
        return t_start + (np.arange(n_records)[:, None] + 0.5 * (chebyshev_nodes(degree)[None, :] + 1.0)) * record_s

    @classmethod
    def fit(cls, t_start, record_s, node_values):
        """Records interpolating node_values (n_records, degree + 1, n_components) sampled at `node_epochs`."""
        node_values = np.asarray(node_values, dtype=float)
        degree = node_values.shape[1] - 1
        inverse = np.linalg.inv(np.polynomial.chebyshev.chebvander(chebyshev_nodes(degree), degree))
        coefficients = np.einsum("cn,rnk->rkc", inverse, node_values)
        return cls(float(t_start), float(record_s), np.ascontiguousarray(coefficients))

    @classmethod
    def from_function(cls, sample, t_start, t_stop, record_s, degree):
        """Fit `sample(tdb_array) -> (n, n_components)` on records of `record_s` seconds covering [t_start, t_stop]."""
        epochs = cls.node_epochs(t_start, t_stop, record_s, degree)
        values = np.asarray(sample(epochs.ravel())).reshape(epochs.shape[0], degree + 1, -1)
        return cls.fit(t_start, record_s, values)

    def evaluate(self, tdb_seconds):
        """(n, n_components) values at TDB epochs (an epoch outside the span uses the nearest record)."""
        t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        index = np.clip(np.floor((t - self.t_start) / self.record_s).astype(int), 0, self.n_records - 1)
        x = (t - self.mids[index]) / (0.5 * self.record_s)
        basis = np.polynomial.chebyshev.chebvander(x, self.degree)                  # (n, degree + 1)
        return np.einsum("nc,nkc->nk", basis, self.coefficients[index])


def record_mids(t_start, record_s, n_records):
    return t_start + (np.arange(n_records) + 0.5) * record_s
