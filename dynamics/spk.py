"""The one reader of SPK (NAIF) kernels: any body of one or more kernels, chained through its centres to the SSB.

A thin layer over jplephem (which evaluates the Chebyshev records of SPK types 2 and 3): kernels are given in
priority order (later ones override earlier ones where their segments overlap), a body may have several segments
(e.g. one per time span), and each epoch uses the highest-priority segment that covers it.
Epochs are TDB seconds past J2000 TDB; states are km and km/s, ICRF (SPICE's J2000 frame).
"""
from __future__ import annotations

import os

import numpy as np

from . import constants as C


class SPKError(ValueError):
    """A kernel that cannot be read, or a body or epoch it does not provide."""


class SPKChainError(SPKError):
    """The kernels do not link a body to the SSB (a centre is missing, or the centres loop)."""


def tdb_seconds_to_iso(tdb_seconds):
    """Human-readable TDB calendar date for error messages."""
    from astropy.time import Time
    return Time(C.J2000_JD, np.asarray(tdb_seconds) / C.SECONDS_PER_DAY, format="jd", scale="tdb").iso


class SPK:
    """Bodies of SPK kernels `paths` (priority order: later kernels win), states relative to the SSB.

    Holds the files open (memory-mapped) until `close()`; usable as a context manager.
    """

    def __init__(self, paths):
        from jplephem.spk import SPK as JplSPK
        self.paths = [os.fspath(p) for p in paths]
        self._kernels = []
        for path in self.paths:
            if not os.path.isfile(path):
                self.close()
                raise FileNotFoundError(f"SPK kernel not found: {path!r}")
            try:
                self._kernels.append(JplSPK.open(path))
            except Exception as exc:
                self.close()
                raise SPKError(f"{path}: not a readable SPK kernel ({exc})") from exc
        self._segments = {}          # body -> its segments, highest priority first
        for kernel in reversed(self._kernels):
            for segment in reversed(kernel.segments):
                self._segments.setdefault(segment.target, []).append(segment)

    def __repr__(self):
        return f"SPK({self.paths!r})"

    def close(self):
        for kernel in self._kernels:
            kernel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __contains__(self, body):
        return body in self._segments

    def bodies(self):
        """NAIF ids of every body with a segment, and the SSB."""
        return set(self._segments) | {C.SSB}

    def check_chain(self, body, _start=None, _seen=()):
        """Raise SPKChainError unless every segment of `body` leads, through centres the kernels hold, to the SSB."""
        start = body if _start is None else _start
        if body == C.SSB:
            return
        if body in _seen:
            raise SPKChainError(f"SPK centre loop through body {body} in {self.paths}")
        if body not in self._segments:
            raise SPKChainError(f"body {body} (on the way from {start} to the SSB) is in none of {self.paths}: "
                                f"add a kernel that holds it, e.g. a DE file for planetary barycentres")
        for segment in self._segments[body]:
            self.check_chain(segment.center, start, _seen + (body,))

    def span_seconds(self, body):
        """(first, last) TDB s past J2000 of the span over which `body`'s chain to the SSB has segments.

        With several segments per body this is their hull; an epoch in a gap raises SPKError in `state`."""
        if body == C.SSB:
            return -np.inf, np.inf
        if body not in self._segments:
            raise SPKChainError(f"body {body} is in none of {self.paths}")
        lo, hi = np.inf, -np.inf
        for segment in self._segments[body]:
            a, b = self.span_seconds(segment.center)
            lo, hi = min(lo, max(a, segment.start_second)), max(hi, min(b, segment.end_second))
        return lo, hi

    def state(self, body, tdb_seconds):
        """(n, 6) state of `body` relative to the SSB at TDB seconds past J2000: km and km/s."""
        tdb = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        out = np.zeros((tdb.size, 6))
        if body == C.SSB:
            return out
        if body not in self._segments:
            raise SPKChainError(f"body {body} is in none of {self.paths}")
        todo = np.ones(tdb.size, dtype=bool)
        for segment in self._segments[body]:
            use = todo & (tdb >= segment.start_second) & (tdb <= segment.end_second)
            if not use.any():
                continue
            todo &= ~use
            every = use.all()                       # the common case: one segment covers every epoch
            t = tdb if every else tdb[use]
            pos, vel = segment.compute_and_differentiate(C.J2000_JD, t / C.SECONDS_PER_DAY)  # split date: sub-mm
            part = np.empty((t.size, 6))
            part[:, :3] = np.asarray(pos).reshape(3, -1).T
            part[:, 3:] = np.asarray(vel).reshape(3, -1).T / C.SECONDS_PER_DAY
            part += self.state(segment.center, t)
            if every:
                return part
            out[use] = part
        if todo.any():
            raise SPKError(f"epoch {tdb_seconds_to_iso(tdb[todo][0])} TDB: body {body} not covered by {self.paths}")
        return out
