"""The occulting body as a `target_state_ssb` callable: a fitted Solution turned into Chebyshev records
(`SolutionTarget`), a body of the ephemeris itself (`EphemerisTarget`: the Galilean moons), or any callable used as
it is (`as_target`)."""
from __future__ import annotations

import numpy as np

from dynamics import constants as C
from dynamics.chebyshev import ChebyshevRecords

from ..times import tdb_to_utc_iso


def _default_ephemeris():
    from dynamics.propagation import default_ephemeris
    return default_ephemeris()


class SolutionTarget:
    """`target_state_ssb` callable for a fitted Solution over [start, stop] (TDB s): the orbit integrated once to
    the Chebyshev nodes of 4-day records (the SPK export's record type, < 1 mm from the integrator) plus the Jupiter
    barycentre from the solution's own DE ephemeris. Evaluating it costs a polynomial, not an integration."""

    def __init__(self, solution, start, stop, record_days=4.0, degree=12):
        self.solution = solution
        self.ephemeris = solution.model.ephemeris
        self.record_s = record_days * C.SECONDS_PER_DAY
        self.start, self.stop = float(start), float(stop)
        nodes = ChebyshevRecords.node_epochs(self.start, self.stop, self.record_s, degree)
        states = solution.model.propagate(solution.state, solution.epoch, nodes.ravel()).states[:, 0]
        self.records = ChebyshevRecords.fit(self.start, self.record_s, states.reshape(*nodes.shape, 6))

    def __repr__(self):
        return f"SolutionTarget(body {self.solution.body}, {tdb_to_utc_iso(self.start, 0)} .. " \
               f"{tdb_to_utc_iso(self.stop, 0)} UTC)"

    def __call__(self, tdb_seconds):
        t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        lo, hi = self.records.t_start, self.records.t_end
        if np.any((t < lo) | (t > hi)):
            raise ValueError(f"epoch outside this SolutionTarget's span {tdb_to_utc_iso(lo, 0)} .. "
                             f"{tdb_to_utc_iso(hi, 0)} UTC")
        return self.records.evaluate(t) + self.ephemeris.state(C.JUPITER_BARY, t)


class EphemerisTarget:
    """`target_state_ssb` callable of a body the ephemeris holds (NAIF id; the default ephemeris has the Galilean
    moons 501-504: de440 + its Galilean theory), e.g. to reduce an occultation by Europa without a fitted orbit."""

    def __init__(self, body, ephemeris=None):
        self.body = int(body)
        self.ephemeris = ephemeris or _default_ephemeris()

    def __repr__(self):
        return f"EphemerisTarget(body {self.body}, {self.ephemeris!r})"

    def __call__(self, tdb_seconds):
        return self.ephemeris.state(self.body, np.atleast_1d(np.asarray(tdb_seconds, dtype=float)))


def as_target(body, start, stop, ephemeris=None):
    """(target callable, ephemeris for the Earth and Sun, solution or None) from a Solution or a callable.

    A Solution becomes a SolutionTarget over [start - 2 d, stop + 2 d] with the solution's own DE ephemeris; any
    other callable (e.g. `orbitfit.model.spk_target(...)`) is used as it is, with `ephemeris` (default de440) for
    the Earth and the Sun.
    """
    from ..solution import Solution
    if isinstance(body, Solution):
        target = SolutionTarget(body, start - 2 * C.SECONDS_PER_DAY, stop + 2 * C.SECONDS_PER_DAY)
        return target, ephemeris or target.ephemeris, body
    if isinstance(body, SolutionTarget):
        return body, ephemeris or body.ephemeris, body.solution
    if not callable(body):
        raise TypeError("body must be a Solution or a target_state_ssb callable ((n,) TDB s -> (n, 6) km, km/s)")
    return body, ephemeris or _default_ephemeris(), None
