"""Do the Jupiter system's constants need to enter sigma? Each moon's held-out Gaia prediction
(`orbitfit.validation.gaia_cut`, default options, transits as Gaia gave them) refitted with Jupiter's GM, J2, J4 or
the Galilean moons' GMs changed far beyond their uncertainty (`dynamics.ForceModel`'s constants) or the Galilean
moons displaced, and the change of each held-out transit's predicted along-scan position set against the orbit's own
sigma there.

The changes are large, so that a linear effect stands far above the fits' convergence (1e-3 sigma); the script
prints the largest move of a held-out prediction and that move per unit of the constant, for any uncertainty one
takes for it:
  * Jupiter's GM +1000 km^3/s^2: 400 times the 2.5 km^3/s^2 gap between DE440's system GM minus the Galileans'
    (what the force model uses) and NAIF's BODY599_GM (dynamics/constants.py);
  * J2 +1e-6 and J4 +1e-6 (unnormalised, reference radius 71492 km): Juno measures both to better than 1e-7 (Iess et
    al. 2018, Nature 555, 220, the values embedded);
  * every Galilean moon's GM +1 km^3/s^2;
  * every Galilean moon moved 400 km away from Jupiter, or 400 km along its orbit (`DisplacedGalileans`): the
    built-in L1.2 theory's distance from JPL's JUP365.

    python benchmarks/model_constants.py                              # cut 2016-06-01 (~12 min)
    python benchmarks/model_constants.py --cut 2008-01-01             # 6.5-9.5 years past the data

Measured 2026-12-06 (one BLAS thread; ~8 min each). The largest move over the 8 moons, per unit change, one year
ahead (cut 2016-06-01) and 6.5-9.5 years ahead (cut 2008-01-01): Jupiter's GM 0.053 and 0.20 mas per km^3/s^2
(Lysithea, Elara); J2 0.006 and 0.018 mas per 1e-6; J4 < 1e-5 mas per 1e-6; the four Galilean GMs 0.10 and 0.59
mas per km^3/s^2 each (Pasiphae, Elara). The GM acts through Kepler's third law: the data fix each moon's mean
motion, so a GM changed by dGM rescales the fitted orbit by dGM / (3 GM), +30 km for +1000 km^3/s^2 at Himalia's
distance, ~9 mas from the Earth. At 2.5 km^3/s^2 (the gap above) the GM moves a prediction by 0.5 mas at most
(Elara from 2008, where its orbit sigma is 13 - 41 mas); J2, J4 and the Galilean GMs by less than 0.02 mas for
changes of 1e-6 and 0.01 km^3/s^2. None of them needs to enter sigma. Nor do the Galilean moons' places (the
built-in L1.2 theory is 100 - 400 km from JUP365): every moon moved 400 km away from Jupiter moves a prediction by
0.10 mas at most one year ahead (Lysithea) and 0.33 from 2008 (Leda); 400 km along their orbits by 0.001 at most
(`--changes "Galileans 400 km outward" "Galileans 400 km ahead"`, ~8 min each).
"""
import argparse
import time
from dataclasses import replace

import numpy as np

from dynamics import constants as C
from dynamics.ephemeris import Ephemeris
from dynamics.force_model import ForceModel
from orbitfit.bodies import naif_id
from orbitfit.companions import default_model
from orbitfit.observations.datasets import load_all
from orbitfit.validation import DEFAULT_CUT, gaia_cut

MOONS = ("Himalia", "Elara", "Lysithea", "Leda", "Pasiphae", "Sinope", "Carme", "Ananke")
GALILEAN_GMS = np.array([C.GM_GALILEAN[body] for body in C.GALILEANS])
GALILEAN_OFFSET_KM = 400.0        # the built-in L1.2 theory's distance from JPL's JUP365 is 100 - 400 km (README)


class DisplacedGalileans(Ephemeris):
    """The default ephemeris with every Galilean moon moved by `radial_km` away from Jupiter's centre and `along_km`
    along its motion (Jupiter's centre moved with them, so that 5 stays their barycentre): what an error of the
    moons' theory of that size does to the force on a distant satellite (the perturber tables are built from these
    states). Not for pickling (a benchmark's stand-in)."""

    def __init__(self, radial_km=0.0, along_km=0.0):
        super().__init__()
        self.radial_km, self.along_km = float(radial_km), float(along_km)

    def jupiter_system_states(self, tdb_seconds):
        states = super().jupiter_system_states(tdb_seconds).copy()
        jovicentric = states[1:, :, :3] - states[0][None, :, :3]
        radial = jovicentric / np.linalg.norm(jovicentric, axis=-1, keepdims=True)
        along = states[1:, :, 3:] - np.sum(states[1:, :, 3:] * radial, axis=-1, keepdims=True) * radial
        along /= np.linalg.norm(along, axis=-1, keepdims=True)
        jovicentric = jovicentric + self.radial_km * radial + self.along_km * along
        centre = -np.einsum("m,mnk->nk", GALILEAN_GMS, jovicentric) / C.GM_JUPITER_SYSTEM
        states[0, :, :3] = centre
        states[1:, :, :3] = jovicentric + centre[None]
        return states


# name: (the model from the moon's default model, the size of the change in the unit the rate is given per, the unit)
CHANGES = {
    "GM Jupiter +1000 km^3/s^2": (lambda base: replace(base, forces=ForceModel(
        gm_jupiter_km3_s2=C.GM_JUPITER + 1000.0)), 1000.0, "km^3/s^2"),
    "J2 +1e-6": (lambda base: replace(base, forces=ForceModel(
        zonal_j246=(C.JUPITER_J2 + 1e-6, C.JUPITER_J4, C.JUPITER_J6))), 1.0, "1e-6"),
    "J4 +1e-6": (lambda base: replace(base, forces=ForceModel(
        zonal_j246=(C.JUPITER_J2, C.JUPITER_J4 + 1e-6, C.JUPITER_J6))), 1.0, "1e-6"),
    "Galilean GMs +1 km^3/s^2": (lambda base: replace(base, forces=ForceModel(
        gm_galileans_km3_s2=tuple(GALILEAN_GMS + 1.0))), 1.0, "km^3/s^2 each"),
    "Galileans 400 km outward": (lambda base: replace(base, ephemeris=DisplacedGalileans(
        radial_km=GALILEAN_OFFSET_KM)), GALILEAN_OFFSET_KM, "km"),
    "Galileans 400 km ahead": (lambda base: replace(base, ephemeris=DisplacedGalileans(
        along_km=GALILEAN_OFFSET_KM)), GALILEAN_OFFSET_KM, "km"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut", default=DEFAULT_CUT)
    parser.add_argument("--mode", default="cut", choices=["cut", "all"])
    parser.add_argument("--moons", nargs="*", default=list(MOONS))
    parser.add_argument("--changes", nargs="*", default=list(CHANGES), choices=list(CHANGES))
    args = parser.parse_args()
    print(f"cut {args.cut}, mode {args.mode}; each change's largest move of a held-out prediction (AL, mas), and that "
          "per unit of the constant")
    worst = {name: 0.0 for name in args.changes}
    for name in args.moons:
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None)[0]
        base = default_model(naif_id(name))
        started = time.perf_counter()
        reference = gaia_cut(name, cut=args.cut, mode=args.mode, observations=observations, model=base)
        al, sigma = reference.table["al_mas"].value, reference.table["sigma_orbit_al_mas"].value
        print(f"{name:9s} {al.size:3d} held-out transits, AL rms {np.sqrt(np.mean(al ** 2)):5.1f} mas, orbit sigma "
              f"{sigma.min():5.1f} - {sigma.max():5.1f}", flush=True)
        for change in args.changes:
            changed, size, unit = CHANGES[change]
            run = gaia_cut(name, cut=args.cut, mode=args.mode, observations=observations, model=changed(base))
            shift = np.abs(run.table["al_mas"].value - al).max()
            worst[change] = max(worst[change], shift / size)
            print(f"    {change:26s} moves the prediction by {shift:8.3f} mas at most: {shift / size:.1e} mas per "
                  f"{unit}", flush=True)
        print(f"    ({time.perf_counter() - started:.0f} s)")
    print("the largest over the moons: " + "; ".join(f"{change}: {value:.1e} mas per {CHANGES[change][2]}"
                                                     for change, value in worst.items()))


if __name__ == "__main__":
    main()
