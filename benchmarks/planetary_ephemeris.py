"""How much the planetary ephemeris (JPL DE) matters: for a kernel that a reader pairs with another DE than the fit's,
and for the fit itself, judged on held-out Gaia transits.

1. Pairing. An orbitfit SPK centred on 5 (the Jupiter barycentre) holds the moon's jovicentric orbit, fitted with
   DE440's Jupiter; a reader adds its own DE's Jupiter. Centred on 10 (the Sun) it holds the heliocentric place, and
   a reader's DE adds only the Earth's heliocentric place (`orbitfit.products.export`). This prints how far the
   geocentric direction of the Jupiter barycentre moves when DE421 (PyPI skyfield-data) or DE438 (SORA's 2017
   sample, embedded in data/spk_samples) stands in for DE440, read each way (and centred on the SSB, 0).
2. The fit. `orbitfit.validation.gaia_cut` (default options, transits as Gaia gave them, no visit correction) with
   DE440 and with DE421 as the model's planetary ephemeris: the held-out Gaia DR3 transits' AL rms and mean per moon.

    python benchmarks/planetary_ephemeris.py                 # pairing (~2 s), then 8 moons x 2 DEs x cut/all (~15 min)
    python benchmarks/planetary_ephemeris.py --pairing-only
    python benchmarks/planetary_ephemeris.py --moons Himalia Elara --modes cut

Measured 2026-12-06. Pairing: DE421 for DE440 moves the Jupiter barycentre's geocentric direction by 1.4 - 21.1 mas
at 5-year steps over 1960-2030 (22.8 at most, every 10 days), DE438 by 0.64 mas at most in 2017. Read through a
Sun-centred kernel the same DEs move it by 0.12 and 0.03 mas; through an SSB-centred one by 40 and 11 mas (the DEs'
barycentres differ by ~120 km). The fits (~9 min; Himalia's 11 plates of 1894-99 left out of both, as DE421 starts
in 1899): the held-out transits' AL rms over the moons, cut 8.58 mas with DE440 and 15.47 with DE421, all 8.59 and
15.09; the moons' mean residual -4.0 and -13.0 mas (cut). Every moon predicts worse with DE421 (Carme 6.9 -> 23.7,
Leda 9.3 -> 21.3, Pasiphae 6.8 -> 19.6, Elara 6.4 -> 12.6, Ananke 6.5 -> 11.4, Himalia 6.2 -> 10.0, Sinope 3.7 ->
7.2, cut) but Lysithea (16.5 -> 8.8): its held-out transits sit -13 mas off with DE440, and DE421's Jupiter moves
them by +6 along their scans where it moves the other moons' by -6 to -14. So the held-out Gaia transits tell the
planetary ephemerides apart, DE440 the better by far. DE438 -> DE440 moved Jupiter's place by only 0.6 mas in 2017:
a hint, not a measure, that DE440's own error there is below the 3.8 mas that the moons' predictions share
(FitOptions.shared_sky_error_mas).
"""
import argparse
import time

import numpy as np

from dynamics import constants as C
from dynamics.ephemeris import Ephemeris, de421_kernel_path
from orbitfit.bodies import naif_id
from orbitfit.companions import default_model
from orbitfit.observations.datasets import load_all
from orbitfit.paths import data_path
from orbitfit.validation import DEFAULT_CUT, gaia_cut

MOONS = ("Himalia", "Elara", "Lysithea", "Leda", "Pasiphae", "Sinope", "Carme", "Ananke")
MAS_PER_RAD = 180.0 / np.pi * 3.6e6
YEAR_DAYS = 365.25
DE421_FROM_TDB = -100 * YEAR_DAYS * 86400.0          # 1900-01-01 12:00 TDB


def separation_mas(a, b):
    """Angles between the rows of two (n, 3) vectors, mas (atan2: exact for small angles, where arccos is not)."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.einsum("ij,ij->i", a, b)) * MAS_PER_RAD


def geocentric_jupiter(de440, kernel, tdb, center):
    """Geocentric vector (km) of the Jupiter barycentre read through a kernel centred on `center`: the vector
    5 - center from DE440 (what that kernel would hold), the centre and the Earth from the DE `kernel`."""
    held = de440.position(C.JUPITER_BARY, tdb, center=center)
    return held + kernel.position(center, tdb) - kernel.position(C.EARTH, tdb)


def pairing(de440):
    sample = data_path("spk_samples", "de438_small_sora.bsp")
    de421, de438 = Ephemeris(de421_kernel_path()), Ephemeris(sample)
    years = np.arange(1960, 2031, 5)
    tdb = (years - 2000.0) * YEAR_DAYS * 86400.0
    truth = de440.position(C.JUPITER_BARY, tdb) - de440.position(C.EARTH, tdb)
    moved = separation_mas(truth, geocentric_jupiter(de440, de421, tdb, C.JUPITER_BARY))
    print("DE421 in place of DE440, the Jupiter barycentre's geocentric direction (mas):")
    print("  " + "  ".join(f"{y} {m:4.1f}" for y, m in zip(years, moved)))
    spans = {"DE421": (de421, np.arange(-40 * YEAR_DAYS, 31 * YEAR_DAYS, 10.0) * 86400.0),
             # the sample covers 2016-12-22 .. 2018-01-10 for the planets, 2016-12-30 .. 2018-01-02 for the Earth
             "DE438": (de438, np.arange(6211.0, 6574.0, 2.0) * 86400.0)}
    print("read through a kernel centred on (max over the span, mas):")
    for name, (kernel, epochs) in spans.items():
        truth = de440.position(C.JUPITER_BARY, epochs) - de440.position(C.EARTH, epochs)
        worst = {center: separation_mas(truth, geocentric_jupiter(de440, kernel, epochs, center)).max()
                 for center in (C.SSB, C.JUPITER_BARY, C.SUN)}
        span = f"{2000 + epochs[0] / 86400 / YEAR_DAYS:.1f} - {2000 + epochs[-1] / 86400 / YEAR_DAYS:.1f}"
        print(f"  {name} for DE440, {span}: the SSB (0) {worst[C.SSB]:5.2f}, the Jupiter barycentre (5) "
              f"{worst[C.JUPITER_BARY]:5.2f}, the Sun (10) {worst[C.SUN]:5.3f}")


def fits(de440, moons, modes, cut):
    de421 = Ephemeris(de421_kernel_path())
    rows = {}
    for name in moons:
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None)[0]
        # DE421 starts in 1899-07: both fits leave out what is before 1900 (Himalia's plates of 1894-99)
        early = np.asarray(observations["tdb"], float) < DE421_FROM_TDB
        observations = observations[~early]
        if early.any():
            print(f"{name}: {early.sum()} positions before 1900 left out of both fits")
        for mode in modes:
            for label, ephemeris in (("DE440", de440), ("DE421", de421)):
                started = time.perf_counter()
                run = gaia_cut(name, cut=cut, mode=mode, observations=observations,
                               model=default_model(naif_id(name), ephemeris=ephemeris))
                al = run.table["al_mas"].value
                rows[name, mode, label] = al
                print(f"{name:9s} {mode:4s} {label}: {al.size:3d} held-out transits, AL rms "
                      f"{np.sqrt(np.mean(al ** 2)):5.1f} mean {al.mean():+5.1f} mas, z rms "
                      f"{run.summary['rms_normalised']:.2f} ({time.perf_counter() - started:.0f} s)", flush=True)
    for mode in modes:
        for label in ("DE440", "DE421"):
            per_moon = [rows[m, mode, label] for m in moons if rows[m, mode, label].size]
            rms = np.sqrt(np.mean([np.mean(al ** 2) for al in per_moon]))
            print(f"{mode:4s} {label}: rms over the moons of their AL rms {rms:5.2f} mas; mean of the moons' mean "
                  f"{np.mean([al.mean() for al in per_moon]):+5.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moons", nargs="*", default=list(MOONS))
    parser.add_argument("--modes", nargs="*", default=["cut", "all"], choices=["cut", "all"])
    parser.add_argument("--cut", default=DEFAULT_CUT)
    parser.add_argument("--pairing-only", action="store_true")
    args = parser.parse_args()
    de440 = Ephemeris()
    pairing(de440)
    if not args.pairing_only:
        fits(de440, args.moons, args.modes, args.cut)


if __name__ == "__main__":
    main()
