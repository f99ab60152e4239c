"""The result of an orbit fit: state and covariance at epoch, elements with 1-sigma, residuals with flags,
statistics per site and per year, the iteration log, and a self-contained HDF5 archive."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np
from astropy.table import Table

from dynamics import constants as C
from dynamics.elements import barycentric_to_jovicentric, state_to_elements

ARCHIVE_FORMAT = "orbitfit-solution"
ARCHIVE_VERSION = 2            # 2: companions keep their states (a refit or an SPK needs them)
ELEMENT_NAMES = ("a_km", "e", "inclination_deg", "node_deg", "periapsis_deg", "true_anomaly_deg")


class ArchiveError(ValueError):
    """An HDF5 file that is not a complete orbitfit solution."""


def versions():
    import astropy
    import numba
    import rebound
    from importlib.metadata import PackageNotFoundError, version
    try:
        own = version("orbitfit")
    except PackageNotFoundError:                 # running from a source tree that was not pip-installed
        own = "source tree"
    return {"orbitfit": own, "numpy": np.__version__, "rebound": rebound.__version__,
            "numba": numba.__version__, "astropy": astropy.__version__}


@dataclass
class Solution:
    orbit: object                     # fit.Orbit: body, epoch, state (relative to 5)
    covariance: np.ndarray            # 6x6, km and km/s
    observations: Table
    prepared: object = None
    evaluation: object = None
    weights: object = None
    accepted: np.ndarray = None
    options: object = None
    history: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    samples: dict | None = None       # sampled states and covariances (see sample())
    biases: Table | None = None       # fitted site biases (FitOptions.bias_groups): group, n, value and sigma, mas

    # --- numbers --------------------------------------------------------------------------------------------------
    @property
    def body(self):
        return self.orbit.body

    @property
    def epoch(self):
        return self.orbit.epoch

    @property
    def state(self):
        return self.orbit.state

    @property
    def sigma(self):
        return np.sqrt(np.diag(self.covariance))

    def residuals(self):
        """Table of O-C per observation: RA*, Dec (mas), sigmas used, normalised chi2, accepted flag, origin.

        With fitted site biases (FitOptions.bias_groups) the O-C is against the orbit plus the row's bias, given in
        bias_ra_mas/bias_dec_mas (O-C of the orbit alone = res + bias; see `statistics(orbit_only=True)`)."""
        obs = self.observations
        w = self.weights
        from .estimation.least_squares import chi2_per_observation
        chi2 = chi2_per_observation(self.evaluation.res_ra, self.evaluation.res_dec, w)
        bias_ra, bias_dec = self.row_biases()
        columns = {
            "tdb": np.asarray(obs["tdb"], float),
            "year": 2000.0 + np.asarray(obs["tdb"], float) / (365.25 * C.SECONDS_PER_DAY),
            "dataset": np.asarray(obs["dataset"]).astype(str), "observer": np.asarray(obs["observer"]).astype(str),
            "kind": np.asarray(obs["kind"]).astype(str),
            "res_ra_mas": self.evaluation.res_ra, "res_dec_mas": self.evaluation.res_dec,
            "sigma_ra_mas": w.sigma_ra, "sigma_dec_mas": w.sigma_dec, "chi2": chi2, "accepted": self.accepted,
            "source": np.asarray(obs["source"]).astype(str), "line": np.asarray(obs["line"], int),
            "bias_ra_mas": bias_ra, "bias_dec_mas": bias_dec,
        }
        return Table(columns)

    def row_biases(self):
        """Each observation's fitted site bias (RA*, Dec mas; 0 where none was fitted)."""
        n = len(self.observations)
        bias_ra, bias_dec = np.zeros(n), np.zeros(n)
        if self.biases is not None and len(self.biases):
            from .estimation.least_squares import bias_index
            index, names = bias_index(self.observations, self.fit_options().bias_groups)
            lookup = {str(g): k for k, g in enumerate(self.biases["group"])}
            for j, name in enumerate(names):
                rows = index == j
                k = lookup[name]
                bias_ra[rows], bias_dec[rows] = self.biases["bias_ra_mas"][k], self.biases["bias_dec_mas"][k]
        return bias_ra, bias_dec

    @property
    def chi2(self):
        return float(self.residuals()["chi2"][self.accepted].sum())

    @property
    def dof(self):
        return int(2 * self.accepted.sum() - 6)

    def statistics(self, by="observer", include_rejected=False, orbit_only=False):
        """Mean and standard deviation of O-C (mas) per group ("observer", "dataset", "year", or None = all).
        orbit_only: O-C of the orbit alone, the fitted site biases added back (the same without biases)."""
        from .residuals import residual_statistics
        table = self.residuals()
        if orbit_only:
            table["res_ra_mas"] = table["res_ra_mas"] + table["bias_ra_mas"]
            table["res_dec_mas"] = table["res_dec_mas"] + table["bias_dec_mas"]
        return residual_statistics(table if include_rejected else table[table["accepted"]], by)

    def elements(self, plane="icrf", centre="jupiter"):
        """Osculating elements at the epoch, and their 1-sigma (linear propagation of the covariance).

        centre "jupiter" (599 with Jupiter's own GM, the convention of seed 003's Table 2) or "barycentre" (5, with
        the Jupiter-system GM).
        """
        from dynamics.propagation import default_ephemeris
        ephemeris = (self.options.ephemeris if self.options is not None and self.options.ephemeris is not None
                     else default_ephemeris())

        def convert(state):
            if centre == "jupiter":
                s, gm = barycentric_to_jovicentric(state, self.epoch, ephemeris), C.GM_JUPITER
            elif centre == "barycentre":
                s, gm = state, C.GM_JUPITER_SYSTEM
            else:
                raise ValueError(f"centre must be 'jupiter' or 'barycentre', not {centre!r}")
            el = state_to_elements(s, gm, plane=plane, epoch=self.epoch)
            return el.as_array(), el

        values, elements = convert(self.state)
        jac = np.zeros((6, 6))
        steps = np.maximum(self.sigma * 1e-3, np.array([1e-3, 1e-3, 1e-3, 1e-9, 1e-9, 1e-9]))
        for k in range(6):
            d = np.zeros(6)
            d[k] = steps[k]
            diff = convert(self.state + d)[0] - convert(self.state - d)[0]
            diff[2:] = (diff[2:] + 180.0) % 360.0 - 180.0          # angles wrap
            jac[:, k] = diff / (2 * steps[k])
        sigma = np.sqrt(np.diag(jac @ self.covariance @ jac.T))
        return elements, sigma

    def summary(self):
        """A short text report: iterations, chi2, residual statistics, elements."""
        lines = []
        table = self.residuals()
        n_rej = int((~self.accepted).sum())
        lines.append(f"body {self.body}: {len(table)} observations, {n_rej} rejected "
                     f"({100.0 * n_rej / max(len(table), 1):.2f}%), chi2/dof = {self.chi2 / max(self.dof, 1):.3f}, "
                     f"{len(self.history)} iterations")
        for label, rejected in (("accepted", False), ("all, incl. rejected", True)):
            s = self.statistics(by=None, include_rejected=rejected)[0]
            lines.append(f"  O-C {label:20s}: RA* {s['mean_ra_mas']:+7.1f} +- {s['std_ra_mas']:5.1f} mas, "
                         f"Dec {s['mean_dec_mas']:+7.1f} +- {s['std_dec_mas']:5.1f} mas (n={s['n']})")
        if "night_correlation" in self.meta:
            lines.append("  intra-night correlation of the residuals (night de-weighting): " + ", ".join(
                f"{name} {rho:.2f}" for name, rho in self.meta["night_correlation"].items()))
        if self.biases is not None:
            s = self.statistics(by=None, orbit_only=True)[0]
            lines.append(f"  O-C {'orbit alone':20s}: RA* {s['mean_ra_mas']:+7.1f} +- {s['std_ra_mas']:5.1f} mas, "
                         f"Dec {s['mean_dec_mas']:+7.1f} +- {s['std_dec_mas']:5.1f} mas (the site biases added back)")
            lines.append(f"  site biases (prior sigma {self.fit_options().bias_prior_mas:g} mas):")
            for row in self.biases:
                lines.append(f"    {row['group']:24s} n={row['n']:5d} RA* {row['bias_ra_mas']:+7.1f} +- "
                             f"{row['sigma_ra_mas']:4.1f}  Dec {row['bias_dec_mas']:+7.1f} +- {row['sigma_dec_mas']:4.1f}")
        el, sig = self.elements()
        lines.append("  osculating elements at epoch (jovicentric, ICRF equator, 1 sigma):")
        for name, value, err in zip(ELEMENT_NAMES, el.as_array(), sig):
            lines.append(f"    {name:18s} {value:16.6f} +- {err:.6f}")
        return "\n".join(lines)

    # --- export ---------------------------------------------------------------------------------------------------
    def fit_options(self):
        """FitOptions of this solution (restored from the archive for a loaded one)."""
        if self.options is not None:
            return self.options
        from .estimation.least_squares import options_from_description
        self.options = options_from_description(self.meta.get("archive_options", {}),
                                                 self.meta.get("archive_ephemeris_paths"))
        return self.options

    def refit(self, new_observations, log=None, **option_changes):
        """This solution refitted with `new_observations` added (an occultation's `CentreFit.observations()`, a new
        batch of astrometry): the same options (changed by `option_changes`, e.g. chi2_reject=...), starting from
        this orbit, floors and flags, so it converges in two or three iterations. Returns a new Solution."""
        from dataclasses import replace
        from .estimation.least_squares import fit_orbit
        from .observations.core import Observations
        if new_observations is None or len(new_observations) == 0:
            raise ValueError("refit: no new observations given")
        bodies = set(np.asarray(new_observations["body"]).tolist())
        if bodies != {self.body}:
            raise ValueError(f"refit: the new observations are of bodies {sorted(bodies)}, this solution is of "
                             f"{self.body}")
        options = replace(self.fit_options(), **option_changes)
        combined = Observations.concatenate([self.observations, new_observations])
        return fit_orbit(combined, self.orbit, options, log=log, warm_start=self)

    def compare(self, other, epochs, observer="500"):
        """How `other` (e.g. a refit) moves the predicted positions at `epochs` (TDB s): a table per epoch of
        other - self in RA* and Dec (mas), and both solutions' 1-sigma (sky_uncertainty), plus
        `meta["state_change_sigma"]`: the change of the state at epoch in units of this solution's sigma."""
        from .times import iso_utc
        from .products.uncertainty import sky_uncertainty
        epochs = np.atleast_1d(np.asarray(epochs, float))
        mine = sky_uncertainty(self, epochs, observer=observer)
        theirs = sky_uncertainty(other, epochs, observer=observer)
        ra, dec = np.asarray(mine["ra_deg"], float), np.asarray(mine["dec_deg"], float)
        d_ra = (np.asarray(theirs["ra_deg"], float) - ra + 180.0) % 360.0 - 180.0
        mas_per_deg = 3.6e6
        table = Table({"tdb": epochs, "utc": np.atleast_1d(iso_utc(epochs, 0)),
                       "d_ra_mas": d_ra * np.cos(np.radians(dec)) * mas_per_deg,
                       "d_dec_mas": (np.asarray(theirs["dec_deg"], float) - dec) * mas_per_deg,
                       "sigma_ra_before_mas": mine["sigma_ra_mas"], "sigma_dec_before_mas": mine["sigma_dec_mas"],
                       "sigma_ra_after_mas": theirs["sigma_ra_mas"], "sigma_dec_after_mas": theirs["sigma_dec_mas"]})
        other_state = other.state
        if other.epoch != self.epoch:
            from .estimation.least_squares import propagate_orbit
            other_state = propagate_orbit(other.state, other.epoch, [self.epoch], other.fit_options(),
                                          dense=False).states[0, 0]
        table.meta["state_change_sigma"] = ((other_state - self.state) / self.sigma).tolist()
        return table

    def default_span(self):
        """From the year of the first observation to 20 years after the last (TDB s)."""
        t = np.asarray(self.observations["tdb"], float)
        year = 365.25 * C.SECONDS_PER_DAY
        return float(np.floor(t.min() / year) * year), float(t.max() + 20 * year)

    def to_spk(self, path, naif_id=None, span=None, spk_type=2, record_days=None, degree=None):
        """Write this solution as an SPK kernel (centre 5, J2000, TDB) with its provenance in the comment area.

        Returns an export.SPKExport whose max_error_km is the file's interpolation error against the integrator.
        """
        from .products import export
        record_days = record_days or export.DEFAULT_RECORD_DAYS
        degree = degree or export.DEFAULT_DEGREE
        start, stop = span if span is not None else self.default_span()
        options = self.fit_options()
        return export.write_spk(path, self.orbit, start, stop, naif_id=naif_id or self.body, spk_type=spk_type,
                                record_days=record_days, degree=degree, model=options.model,
                                ephemeris=options.ephemeris, step=options.step, companions=options.companions,
                                comment=export.provenance_comment(self, spk_type, record_days, degree))

    # --- archive --------------------------------------------------------------------------------------------------
    SAMPLE_DAYS = 10.0

    def sample(self, span=None, every_days=SAMPLE_DAYS):
        """States and 6x6 state covariances every `every_days` over the span (default: default_span()),
        kept in the archive so uncertainties can be looked up without integrating."""
        from .estimation.least_squares import propagate_orbit
        start, stop = span if span is not None else self.default_span()
        epochs = np.arange(start, stop + 1.0, every_days * C.SECONDS_PER_DAY)
        run = propagate_orbit(self.state, self.epoch, epochs, self.fit_options(), stm=True)
        phi = run.stm[:, 0]
        self.samples = {"tdb": epochs, "states": run.states[:, 0],
                        "covariances": np.einsum("nik,kl,njl->nij", phi, self.covariance, phi)}
        return self.samples

    def sampled_position_sigma_km(self, tdb):
        """1-sigma position error (km, square root of the covariance trace) looked up in the samples."""
        if not getattr(self, "samples", None):
            raise ValueError("this solution carries no samples: call sample() (save() does it)")
        trace = np.trace(self.samples["covariances"][:, :3, :3], axis1=1, axis2=2)
        t = np.asarray(tdb, dtype=float)
        if np.any((t < self.samples["tdb"][0]) | (t > self.samples["tdb"][-1])):
            raise ValueError("epoch outside the sampled span of this solution")
        return np.sqrt(np.interp(t, self.samples["tdb"], trace))

    def save(self, path, samples=True):
        """Write the whole solution to HDF5 atomically (temporary file, then rename), with sampled states and
        covariances over default_span() unless samples=False."""
        import h5py
        path = os.fspath(path)
        if samples and not getattr(self, "samples", None):
            self.sample()
        tmp = path + ".tmp"
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = ARCHIVE_FORMAT
            f.attrs["format_version"] = ARCHIVE_VERSION
            f.attrs["versions"] = json.dumps(versions())
            f.attrs["options"] = json.dumps(self.options.describe() if self.options is not None else
                                            self.meta.get("archive_options", {}))
            f.attrs["ephemeris"] = (self.options.ephemeris.description if self.options is not None and
                                    self.options.ephemeris is not None else self.meta.get("archive_ephemeris", ""))
            paths = (self.options.ephemeris_paths() if self.options is not None else
                     self.meta.get("archive_ephemeris_paths", {}))
            f.attrs["ephemeris_paths"] = json.dumps(paths)
            f.attrs["constants"] = json.dumps({"GM_JUPITER_SYSTEM": C.GM_JUPITER_SYSTEM, "GM_JUPITER": C.GM_JUPITER,
                                               "J2": C.JUPITER_J2, "J4": C.JUPITER_J4, "J6": C.JUPITER_J6,
                                               "R_ref_km": C.JUPITER_REFERENCE_RADIUS_KM})
            f.attrs["history"] = json.dumps(self.history)
            f.attrs["meta"] = json.dumps({k: v for k, v in self.meta.items() if not k.startswith("archive_")})
            g = f.create_group("orbit")
            g.attrs["body"] = int(self.body)
            g.attrs["epoch_tdb_s"] = float(self.epoch)
            g.create_dataset("state", data=self.state)
            g.create_dataset("covariance", data=self.covariance)
            _write_table(f.create_group("observations"), self.observations)
            r = f.create_group("residuals")
            for name in ("res_ra", "res_dec", "calc_ra", "calc_dec", "distance_km"):
                r.create_dataset(name, data=getattr(self.evaluation, name))
            for name in ("sigma_ra", "sigma_dec", "corr", "floor_ra", "floor_dec", "night_factor"):
                r.create_dataset("weight_" + name, data=getattr(self.weights, name))
            r.create_dataset("accepted", data=self.accepted)
            if self.biases is not None:
                _write_table(f.create_group("biases"), self.biases)
            if getattr(self, "samples", None):
                g = f.create_group("samples")
                for name, values in self.samples.items():
                    g.create_dataset(name, data=values)
            f.attrs["sha256"] = _digest(f)            # written last: a truncated or altered file fails the check
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path):
        """Read a solution written by `save`; a truncated or foreign file raises ArchiveError."""
        import h5py
        from .estimation.least_squares import Evaluation, Orbit, Weights
        path = os.fspath(path)
        try:
            f = h5py.File(path, "r")
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: not a readable HDF5 file ({exc})") from None
        with f:
            if f.attrs.get("format") != ARCHIVE_FORMAT:
                raise ArchiveError(f"{path}: not an orbitfit solution archive (format={f.attrs.get('format')!r})")
            try:
                stored = f.attrs.get("sha256")
                if stored is None:
                    raise ArchiveError(f"{path}: incomplete archive (no checksum: the write was interrupted)")
                if _digest(f) != stored:
                    raise ArchiveError(f"{path}: checksum mismatch: the archive was altered or damaged")
                orbit = Orbit(int(f["orbit"].attrs["body"]), float(f["orbit"].attrs["epoch_tdb_s"]),
                              f["orbit/state"][()])
                covariance = f["orbit/covariance"][()]
                observations = _read_table(f["observations"])
                r = f["residuals"]
                evaluation = Evaluation(r["res_ra"][()], r["res_dec"][()], None, r["calc_ra"][()],
                                        r["calc_dec"][()], r["distance_km"][()])
                weights = Weights(*(r["weight_" + n][()] for n in ("sigma_ra", "sigma_dec", "corr", "floor_ra",
                                                                  "floor_dec", "night_factor")))
                accepted = r["accepted"][()]
                samples = {k: f["samples"][k][()] for k in f["samples"]} if "samples" in f else None
                biases = _read_table(f["biases"]) if "biases" in f else None
                history = json.loads(f.attrs["history"])
                meta = json.loads(f.attrs["meta"])
                meta["archive_options"] = json.loads(f.attrs["options"])
                meta["archive_versions"] = json.loads(f.attrs["versions"])
                meta["archive_ephemeris"] = str(f.attrs["ephemeris"])
                meta["archive_ephemeris_paths"] = json.loads(f.attrs.get("ephemeris_paths", "{}"))
            except ArchiveError:
                raise
            except (KeyError, OSError, ValueError, TypeError, RuntimeError) as exc:
                raise ArchiveError(f"{path}: damaged archive ({exc})") from None
        if covariance.shape != (6, 6) or orbit.state.shape != (6,) or len(accepted) != len(observations):
            raise ArchiveError(f"{path}: inconsistent shapes in archive")
        solution = cls(orbit=orbit, covariance=covariance, observations=observations, evaluation=evaluation,
                       weights=weights, accepted=accepted, history=history, meta=meta, biases=biases)
        solution.samples = samples
        return solution


def _digest(h5file):
    """SHA-256 over every dataset (name, dtype, shape, bytes) and attribute of the archive, except the digest."""
    import hashlib
    import h5py
    digest = hashlib.sha256()
    items = []
    h5file.visititems(lambda name, obj: items.append((name, obj)))
    for name, obj in [("/", h5file)] + sorted(items, key=lambda item: item[0]):
        digest.update(name.encode())
        for key in sorted(k for k in obj.attrs if k != "sha256"):
            digest.update(key.encode() + repr(obj.attrs[key]).encode())
        if isinstance(obj, h5py.Dataset):
            data = np.ascontiguousarray(obj[()])
            digest.update(f"{data.dtype.str}{data.shape}".encode() + data.tobytes())
    return digest.hexdigest()


def _write_table(group, table):
    for name in table.colnames:
        values = np.asarray(table[name])
        if values.dtype.kind in ("U", "O"):
            values = np.array([str(v).encode("utf-8") for v in values], dtype=bytes)
            group.create_dataset(name, data=values).attrs["text"] = True
        else:
            group.create_dataset(name, data=values)
    group.attrs["columns"] = json.dumps(list(table.colnames))


def _read_table(group):
    columns = {}
    for name in json.loads(group.attrs["columns"]):
        data = group[name][()]
        columns[name] = np.array([v.decode("utf-8") for v in data]) if group[name].attrs.get("text") else data
    return Table(columns)
