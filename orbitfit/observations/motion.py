"""The apparent motion of the Jupiter system on the sky: what an error of an observation's epoch moves it by (the
bias level "timing", `orbitfit.estimation.weights`; benchmarks/site_timing.py)."""
from __future__ import annotations

import numpy as np

from dynamics import constants as C


def apparent_rates(table):
    """(RA*, Dec) mas/s: Jupiter's apparent motion from the geocentre at each row's epoch (central differences over
    +- 10 min of the DE positions, light time left out: it changes the rate by < 1e-3)."""
    from dynamics.propagation import default_ephemeris
    t = np.asarray(table["tdb"], float)
    if t.size == 0:
        return np.zeros(0), np.zeros(0)
    ephemeris = default_ephemeris()
    step = 600.0
    ra_dec = []
    for dt in (-step, step):
        x = ephemeris.position(C.JUPITER_BARY, t + dt) - ephemeris.position(C.EARTH, t + dt)
        ra_dec.append((np.arctan2(x[:, 1], x[:, 0]), np.arcsin(x[:, 2] / np.linalg.norm(x, axis=1))))
    (ra0, dec0), (ra1, dec1) = ra_dec
    mas = np.degrees(1.0) * 3.6e6
    d_ra = (ra1 - ra0 + np.pi) % (2 * np.pi) - np.pi
    return d_ra * np.cos(0.5 * (dec0 + dec1)) * mas / (2 * step), (dec1 - dec0) * mas / (2 * step)
