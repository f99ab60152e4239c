"""The massive neighbours a satellite's orbit feels by default: Himalia's pull on the moons of its group.

Gomes-Junior et al. (2016, MNRAS 462, 1351, eq. 1) integrate Himalia's GM acting on Elara, Lysithea and Leda. With
positions back to 1905 it matters: in orbitfit's orbits fitted to every embedded data set, Elara passed 64 000 km
from Himalia in 1949.5 (notebooks/06_himalia_gm.py), Lysithea ~240 000 km in 1954.9. A fit of Elara alone must
then give one mean motion to the plates before and after the encounter. Measured with the harness
(orbitfit.validation.gaia_cut, default options, 2026-12-02), Elara's fit of the data before the cut predicting the
Gaia DR3 transits of 2014-2017 (AL rms, z = residual / predicted sigma):

    cut          alone               with Himalia (GM 0.163)
    2016-06      7.8 mas, z 0.91     7.2 mas, z 0.85
    2012-01     39.4 mas, z 2.23    15.0 mas, z 1.08
    2008-01     77.3 mas, z 3.28    14.9 mas, z 0.93

(with GM 0.28, Emelyanov's, 49.1 and 65.7 mas in 2012 and 2008). Lysithea, whose closest approach is four times
farther, changes within its sigma (2016: 14.6 -> 15.2 mas; 2008: 12.2 -> 22.4 mas at z 0.64 -> 0.81).

Himalia enters as an `OrbitModel` companion (integrated alongside at a fixed state, the target massless, so its
6x6 state-transition matrix stays exact): the state and GM of the family fit of Himalia and Elara to every
embedded data set (benchmarks/himalia_gm.py --companion-file), embedded as data/companions/himalia.toml. Its GM is
0.163 +- 0.022 (formal), +- 0.160 from the data sets' systematics (the jackknife); that uncertainty is not carried
into the satellites' covariance. Measured what it would do (benchmarks/himalia_gm_sensitivity.py, harness cuts,
default options, 2026-12-04; the GM raised by the jackknife's 0.16, the along-scan change of the held-out
predictions): Elara 4.1 mas (cut 2016), 58 mas (cut 2012), 91 mas (cut 2008), where the nominal GM predicts the
held-out transits at z 0.77, 0.81, 0.81 and the raised one misses them by 61 and 85 mas (z 3.1, 3.5); Lysithea 1.1,
8.2, 20 mas (z 0.76 and 0.93 at the early cuts); Leda 0.4 - 7.8 mas. The held-out transits thus confirm the GM far
better than the jackknife says (they were in the family fit that gave it, but no data set but NSDB jo0010 moves it
by more than 0.005: benchmarks/himalia_gm.py), and a consider parameter of 0.16 would make Elara's sigma years ahead
three times too large (z 0.31 - 0.38); of the formal 0.022, it would add ~8 - 13 mas to Elara's 17 - 22 mas there.
Neither is where the sigmas are too small.

`default_model(body)` is the model every fit, residual, simulation, export and harness run uses when none is given;
`OrbitModel()` (no companions) or a model of one's own overrides it.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache

import numpy as np

from .orbit import Orbit, OrbitModel
from .paths import data_path

HIMALIA = 506
HIMALIA_GROUP = (507, 510, 513)          # Elara, Lysithea, Leda (Gomes-Junior et al. 2016, eq. 1)
COMPANION_FILE = ("companions", "himalia.toml")


@lru_cache(maxsize=1)
def himalia_companion():
    """(Orbit, GM km^3/s^2) of Himalia as embedded (data/companions/himalia.toml); the file is read once."""
    path = data_path(*COMPANION_FILE)
    with open(path, "rb") as handle:
        record = tomllib.load(handle)
    state = np.asarray(record.get("state_km_kms", ()), dtype=float)
    gm = float(record.get("gm_km3_s2", np.nan))
    if record.get("body") != HIMALIA or record.get("centre") != 5 or state.shape != (6,) or not np.all(
            np.isfinite(state)) or not np.isfinite(gm):
        raise ValueError(f"{path}: expected body = {HIMALIA}, centre = 5, a finite state_km_kms of 6 numbers and a "
                         f"finite gm_km3_s2")
    return Orbit(HIMALIA, float(record["epoch_tdb_s"]), state), gm


def default_companions(body):
    """The ((Orbit, GM), ...) that a fit of `body` (NAIF id) integrates by default: Himalia for Elara, Lysithea and
    Leda, nothing for any other body."""
    return (himalia_companion(),) if int(body) in HIMALIA_GROUP else ()


def default_model(body, ephemeris=None):
    """The OrbitModel of `body` when the caller gives none: the full force model with its default companions."""
    return OrbitModel(ephemeris=ephemeris, companions=default_companions(body))
