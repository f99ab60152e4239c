"""The result of an orbit fit: state and covariance at epoch, elements with 1-sigma, residuals with flags,
statistics per site and per year, and the model and options that made it.

A Solution is a record: one life, fresh from a fit or loaded from an archive, with the same fields. The verbs that
need more than the record live with the module that owns them (thin methods here delegate): writing an SPK kernel
(`orbitfit.products.export`), comparing predictions (`orbitfit.products.uncertainty`), saving and loading
(`orbitfit.archive`); refitting with more data is the estimator's (`orbitfit.refit`,
`orbitfit.estimation.least_squares.refit`), which builds a new Solution.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from astropy.table import Table

from dynamics import constants as C
from dynamics.elements import barycentric_to_jovicentric, state_to_elements

from .bodies import body_name
from .display import html_table, significant
from .estimation.options import (APPARITION_BIAS_SCATTER_MAS, MOON_APPARITION_SCATTER_FROM,
                                 MOON_APPARITION_SCATTER_MAS, MOON_APPARITION_SCATTER_UNTIL, FitOptions, TIMING_PRIOR_S)
from .estimation.weights import GAIA_REDUCED, Weights, chi2_per_observation, row_bias_offsets
from .observables import Evaluation
from .observations.refraction import MIN_ALTITUDE_DEG, rows_below_altitude
from .orbit import Orbit, OrbitModel
from .residuals import residual_statistics
from .tables import plain_table, quantity_table
from .times import iso_tdb, iso_utc, tdb_time

ELEMENT_NAMES = ("a_km", "e", "inclination_deg", "node_deg", "periapsis_deg", "true_anomaly_deg")
SAMPLE_DAYS = 10.0
MAX_BIAS_LINES = 12          # the summary lists at most this many biases (Himalia's default fit has 94: apparitions,
                             # uncatalogued sites)


@dataclass
class Solution:
    """A fitted orbit with everything needed to use, judge and reproduce it.

    orbit: the fitted state (relative to NAIF 5, ICRF) at its epoch; covariance: 6x6, km and km/s (the estimator's,
    with what the apparition biases' scatter and the error every moon's prediction shares do to the state:
    `estimation.bias_priors.considered`, `estimation.shared_error.state_part`).
    observations: every observation used, rejected ones included; evaluation: O-C and computed positions per row
    (mas, deg); weights: the sigmas the fit used; accepted: False for flagged outliers.
    options: the estimator's FitOptions; model: the OrbitModel (forces, ephemeris, step, companions).
    history: one entry per Gauss-Newton iteration; meta: fit date, software versions, estimated night correlations.
    biases: fitted site biases (FitOptions.bias_groups): group, n, value and sigma in mas; None without.
    samples: states and 6x6 covariances sampled over a span (`sample`), kept in the archive.
    """
    orbit: Orbit
    covariance: np.ndarray
    observations: Table
    evaluation: Evaluation
    weights: Weights
    accepted: np.ndarray
    options: FitOptions
    model: OrbitModel
    history: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    biases: Table | None = None
    samples: dict | None = None

    # the explicit __repr__ keeps the dataclass from writing one (11 kB of raw arrays in Jupyter)
    def __repr__(self):
        return (f"Solution(body {self.body} {body_name(self.body)}, epoch {iso_tdb(self.epoch, 0)} TDB, "
                f"{len(self.observations)} observations, {int((~self.accepted).sum())} rejected, "
                f"chi2/dof {self.chi2 / max(self.dof, 1):.3f})")

    def _repr_html_(self):
        """Jupyter's view: body, epoch (UTC and TDB), observations, chi2/dof, O-C statistics, elements +- 1 sigma."""
        n_rej = int((~self.accepted).sum())
        rows = [("body", f"{self.body} {body_name(self.body)}", ""),
                ("epoch", f"{self.epoch_utc} UTC", f"{iso_tdb(self.epoch, 0)} TDB"),
                ("observations", f"{len(self.observations)}", f"{n_rej} rejected"),
                ("chi2/dof", f"{self.chi2 / max(self.dof, 1):.3f}", f"dof {self.dof}")]
        for label, rejected in (("O-C accepted", False), ("O-C all", True)):
            s = plain_table(self.statistics(by=None, include_rejected=rejected))[0]
            rows.append((f"{label} (mas, n={s['n']})", f"RA* {s['mean_ra_mas']:+.1f} +- {s['std_ra_mas']:.1f}",
                         f"Dec {s['mean_dec_mas']:+.1f} +- {s['std_dec_mas']:.1f}"))
        el, sig = self.elements()
        rows += [(name, f"{value:.6f}", f"+- {significant(err)}")
                 for name, value, err in zip(ELEMENT_NAMES, el.as_array(), sig)]
        return html_table(rows, caption=f"orbitfit Solution: {body_name(self.body)} (osculating elements "
                          "jovicentric, ICRF equator, 1 sigma)")

    # --- numbers --------------------------------------------------------------------------------------------------
    @property
    def body(self):
        return self.orbit.body

    @property
    def epoch(self):
        return self.orbit.epoch

    @property
    def epoch_time(self):
        """The epoch as an astropy Time (scale TDB)."""
        return tdb_time(self.epoch)

    @property
    def epoch_utc(self):
        """The epoch as an ISO UTC string, to the second."""
        return iso_utc(self.epoch, 0)

    @property
    def state(self):
        return self.orbit.state

    @property
    def sigma(self):
        return np.sqrt(np.diag(self.covariance))

    def residuals(self, time=True):
        """QTable of O-C per observation: the instant (`utc` Time, `tdb` s), RA*, Dec (mas), sigmas used, normalised
        chi2, accepted flag, origin (file and line).

        With fitted site biases (FitOptions.bias_groups) the O-C is against the orbit plus the row's bias, given in
        bias_ra_mas/bias_dec_mas (O-C of the orbit alone = res + bias; see `statistics(orbit_only=True)`).
        time=False leaves out the `utc` Time column (its UTC conversion is most of the cost: 44 of 52 ms for 5138
        rows), for the statistics that do not need it."""
        obs = self.observations
        w = self.weights
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
        return quantity_table(columns, time=time)

    def row_biases(self):
        """Each observation's fitted offset (RA*, Dec mas; with several levels, e.g. the default
        "apparition+uncatalogued+zenith", the sum of all, the "zenith" level's k tan z along the row's vertical; 0
        where none was fitted). Two new arrays."""
        return tuple(np.array(offsets) for offsets in self._row_bias_offsets)

    @cached_property
    def _row_bias_offsets(self):
        # Computed once per Solution: the zenith level's geometry costs ~0.2 s for Himalia's 5559 rows (the sites'
        # ITRS -> GCRS at every instant), and residuals(), statistics() and summary() each need every row's bias
        # (measured 2026-12-05: one summary, statistics and residuals made 13 such calls, 1.6 of their 2.0 s). A
        # Solution is not changed after its fit (refit and replace build new ones), so the cache cannot go stale.
        return row_bias_offsets(self.observations, self.biases, self.options.bias_groups,
                                self.options.gaia_apparition_offsets,
                                gaia_reduced_bias=self.options.gaia_reduced_bias)

    @property
    def chi2(self):
        """chi^2 of the accepted observations with the sigmas the fit used (without the night factor)."""
        per_row = chi2_per_observation(self.evaluation.res_ra, self.evaluation.res_dec, self.weights)
        return float(per_row[self.accepted].sum())

    @property
    def dof(self):
        """Degrees of freedom of chi2: two per accepted observation, less the six of the state and what the fitted
        biases take: each bias coordinate counts 1 - sigma_posterior^2 / sigma_prior^2 (1 if the data fix it, 0
        if only its prior does), rounded."""
        used = 0.0
        if self.biases is not None and len(self.biases):
            prior2 = (np.asarray(self.biases["prior_sigma_mas"], float) if "prior_sigma_mas" in self.biases.colnames
                      else self.options.bias_prior_mas) ** 2
            for column in ("sigma_ra_mas", "sigma_dec_mas"):
                sigma = np.asarray(self.biases[column], float)
                used += float(np.sum(np.clip(1.0 - sigma ** 2 / prior2, 0.0, 1.0)))
        return int(round(2 * self.accepted.sum() - 6 - used))

    def statistics(self, by="observer", include_rejected=False, orbit_only=False):
        """QTable of the mean and standard deviation of O-C (mas) per group ("observer", "dataset", "year", or None =
        all).
        orbit_only: O-C of the orbit alone, the fitted site biases added back (the same without biases)."""
        table = self.residuals(time=False)
        if orbit_only:
            table["res_ra_mas"] = table["res_ra_mas"] + table["bias_ra_mas"]
            table["res_dec_mas"] = table["res_dec_mas"] + table["bias_dec_mas"]
        return residual_statistics(table if include_rejected else table[table["accepted"]], by)

    def elements(self, plane="icrf", centre="jupiter"):
        """Osculating elements at the epoch, and their 1-sigma (linear propagation of the covariance).

        centre "jupiter" (599 with Jupiter's own GM, the convention of Table 2 of Gomes-Junior et al. 2016) or "barycentre" (5, with
        the Jupiter-system GM).
        """
        ephemeris = self.model.ephemeris

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
        # central differences of 1e-2 sigma: the rounding error of the difference is ~3e-7 of sigma(a) (1e-3 sigma
        # gave 3e-6 to 1.2e-5: a is known ~400 times better than the state components it is made of), and the
        # curvature of the elements over 1e-2 sigma is far below that (tests/test_element_sigma.py)
        steps = np.maximum(self.sigma * 1e-2, np.array([1e-3, 1e-3, 1e-3, 1e-9, 1e-9, 1e-9]))
        for k in range(6):
            d = np.zeros(6)
            d[k] = steps[k]
            diff = convert(self.state + d)[0] - convert(self.state - d)[0]
            diff[2:] = (diff[2:] + 180.0) % 360.0 - 180.0          # angles wrap
            jac[:, k] = diff / (2 * steps[k])
        sigma = np.sqrt(np.diag(jac @ self.covariance @ jac.T))
        return elements, sigma

    def elements_table(self, plane="icrf", centre="jupiter"):
        """`elements` as a one-row QTable: the epoch (`utc` Time, `tdb` s), each element and its 1-sigma
        (`sigma_a_km`, ...) with units; centre, plane and GM in meta."""
        elements, sigma = self.elements(plane=plane, centre=centre)
        columns = {"tdb": [self.epoch]}
        for name, value, err in zip(ELEMENT_NAMES, elements.as_array(), sigma):
            columns[name], columns[f"sigma_{name}"] = [value], [err]
        return quantity_table(columns, meta={"body": int(self.body), "centre": centre, "plane": plane,
                                             "elements": "osculating, at the epoch; angles in the plane's frame"})

    def summary(self):
        """A short text report: iterations, chi2, residual statistics, elements."""
        lines = []
        table = self.residuals()
        n_rej = int((~self.accepted).sum())
        lines.append(f"body {self.body}: {len(table)} observations, {n_rej} rejected "
                     f"({100.0 * n_rej / max(len(table), 1):.2f}%), chi2/dof = {self.chi2 / max(self.dof, 1):.3f}, "
                     f"{len(self.history)} iterations")
        for label, rejected in (("accepted", False), ("all, incl. rejected", True)):
            s = plain_table(self.statistics(by=None, include_rejected=rejected))[0]
            lines.append(f"  O-C {label:20s}: RA* {s['mean_ra_mas']:+7.1f} +- {s['std_ra_mas']:5.1f} mas, "
                         f"Dec {s['mean_dec_mas']:+7.1f} +- {s['std_dec_mas']:5.1f} mas (n={s['n']})")
        if self.model.companions:
            lines.append("  massive companions integrated alongside: " + ", ".join(
                f"{orbit.body} (GM {gm:.4g} km^3/s^2)" for orbit, gm in self.model.companions))
        lines += self._data_notes()
        if "night_correlation" in self.meta:
            rho = self.meta["night_correlation"]
            if len(rho) <= 8:
                lines.append("  intra-night correlation of the residuals (night de-weighting): " + ", ".join(
                    f"{name} {value:.2f}" for name, value in rho.items()))
            else:                   # every data set's sites: a line per group would drown the report
                values = np.array(list(rho.values()))
                lines.append(f"  intra-night correlation of the residuals (night de-weighting), {len(rho)} weight "
                             f"groups: median {np.median(values):.2f}, {values.min():.2f} .. {values.max():.2f} "
                             "(each in solution.meta['night_correlation'])")
        if self.biases is not None:
            s = plain_table(self.statistics(by=None, orbit_only=True))[0]
            lines.append(f"  O-C {'orbit alone':20s}: RA* {s['mean_ra_mas']:+7.1f} +- {s['std_ra_mas']:5.1f} mas, "
                         f"Dec {s['mean_dec_mas']:+7.1f} +- {s['std_dec_mas']:5.1f} mas (the biases added back)")
            rows = list(self.biases)
            shown = rows
            if len(rows) > MAX_BIAS_LINES:    # dozens of apparitions: the best-measured ones, in their order
                strength = [np.hypot(r["bias_ra_mas"] / r["sigma_ra_mas"], r["bias_dec_mas"] / r["sigma_dec_mas"])
                            for r in rows]
                keep = sorted(set(np.argsort(strength)[::-1][:MAX_BIAS_LINES]) |     # and a moon-wide level's
                              {k for k, r in enumerate(rows) if r["group"] in ("ground", "zenith")})
                shown = [rows[k] for k in keep]
            kind = "site" if self.options.bias_groups in ("site", None) else self.options.bias_groups
            timing = np.char.startswith(np.asarray(self.biases["group"]).astype(str), "timing:")
            priors = (sorted({float(v) for v in self.biases["prior_sigma_mas"][~timing]}) if "prior_sigma_mas" in
                      self.biases.colnames else [float(self.options.bias_prior_mas)])
            said = (", ".join(f"{v:g}" for v in priors) if len(priors) <= 3 else f"{priors[0]:g} to {priors[-1]:g}")
            said += f" mas; timing {TIMING_PRIOR_S:g} s" if timing.any() else " mas"
            scatter = self.options.apparition_bias_scatter
            if scatter is not None and any(str(g).startswith("apparition:") for g in self.biases["group"]):
                eras = ", ".join(f"{mas:g} mas from {first}" for first, mas in APPARITION_BIAS_SCATTER_MAS[scatter])
                if scatter == "moon" and self.body in MOON_APPARITION_SCATTER_MAS:
                    eras += (f"; this moon's own {MOON_APPARITION_SCATTER_MAS[self.body]:g} mas in "
                             f"{MOON_APPARITION_SCATTER_FROM}-{MOON_APPARITION_SCATTER_UNTIL}")
                lines.append(f"  sigma considers the apparition biases' scatter ({scatter}): {eras}")
            own = [g for g in self.biases["group"] if str(g).startswith(f"{GAIA_REDUCED}:")]
            if own:
                lines.append(f"  the positions reduced against Gaia have an apparition bias of their own "
                             f"({GAIA_REDUCED}:{str(own[0]).partition(':')[2]} ...; {len(own)} apparitions; "
                             f"gaia_reduced_bias='own')")
            lines.append(f"  {kind} biases (prior sigma {said})" +
                         (f", the {len(shown)} most significant of {len(rows)} (all in solution.biases):"
                          if len(shown) < len(rows) else ":"))
            for row in shown:
                if row["group"] == "zenith":     # weights.bias_coefficients: mas per unit tan z, not RA*/Dec
                    lines.append(f"    {'zenith (per tan z)':24s} n={row['n']:5d} up  {row['bias_ra_mas']:+7.1f} +- "
                                 f"{row['sigma_ra_mas']:4.1f}  across {row['bias_dec_mas']:+7.1f} +- "
                                 f"{row['sigma_dec_mas']:4.1f}")
                    continue
                if str(row["group"]).startswith("timing:"):     # an epoch error in s along the motion
                    lines.append(f"    {row['group']:24s} n={row['n']:5d} dt  {row['bias_ra_mas']:+7.1f} +- "
                                 f"{row['sigma_ra_mas']:4.1f} s")
                    continue
                lines.append(f"    {row['group']:24s} n={row['n']:5d} RA* {row['bias_ra_mas']:+7.1f} +- "
                             f"{row['sigma_ra_mas']:4.1f}  Dec {row['bias_dec_mas']:+7.1f} +- {row['sigma_dec_mas']:4.1f}")
        shared = getattr(self.options, "shared_sky_error_mas", 0.0)
        if shared > 0:
            lines.append(f"  predicted positions' sigma also holds the error every moon's prediction shares: {shared:g} "
                         "mas per sky axis and apparition, less where this fit's data pinned it (shared_sky_error_mas; "
                         "its part in the fitted state is in the elements' sigma too)")
        if self.meta.get("inflated_by", 1.0) != 1.0:
            lines.append(f"  every sigma inflated by a factor {self.meta['inflated_by']:g} (Solution.inflated)")
        el, sig = self.elements()
        lines.append(f"  osculating elements at {self.epoch_utc} UTC ({iso_tdb(self.epoch, 0)} TDB) (jovicentric, "
                     "ICRF equator, 1 sigma):")
        for name, value, err in zip(ELEMENT_NAMES, el.as_array(), sig):
            # two significant digits: sigma(e) ~ 6e-7 would read 0.000001 with six decimals
            lines.append(f"    {name:18s} {value:16.6f} +- {significant(err)}")
        return "\n".join(lines)

    def _data_notes(self):
        """Summary lines on what the fit did to its data beyond the outlier test: copies dropped (or kept), gross
        outliers screened against the start orbit, the outlier cap binding, ground positions too low for the zenith
        level, occultations weighted without a covariance of their own (see fit_orbit)."""
        lines = []
        duplicates = self.meta.get("duplicates")
        if duplicates:
            rows = duplicates["rows"]
            what = "dropped before the fit" if duplicates["dropped"] else \
                "KEPT (keep_duplicates): each measurement counted twice"
            lines.append(f"  {len(rows)} observations copy another of the fit, {what}: " + ", ".join(rows[:3])
                         + (", ..." if len(rows) > 3 else ""))
        screened = self.meta.get("screened")
        if screened:
            rows = screened["rows"]
            kept_out = sum(row["still_flagged"] for row in rows)
            lines.append(f"  {len(rows)} gross outliers screened before the fit (> {screened['threshold_arcsec']:g}\" "
                         f"off their neighbours against the start orbit; {kept_out} still flagged): " +
                         ", ".join(f"{row['where']} {row['offset_arcsec']:.0f}\"" for row in rows[:3]) +
                         (", ..." if len(rows) > 3 else ""))
        cap = self.meta.get("rejection_cap")
        if cap:
            lines.append(f"  WARNING: the outlier cap (max_rejected_fraction {cap['max_rejected_fraction']:g}) binds: "
                         f"{cap['left_in']} observations above chi2_reject {self.options.chi2_reject:g} stay in the "
                         f"fit, {cap['rejected']} flagged")
        if self.options.bias_groups and "zenith" in self.options.bias_groups.split("+"):
            low = rows_below_altitude(self.observations)
            if low.size:
                where = [f"{self.observations['source'][k]}:{self.observations['line'][k]}" for k in low[:3]]
                lines.append(f"  {low.size} ground positions below {MIN_ALTITUDE_DEG:g} deg altitude (a wrong time or "
                             f"site?) carry no displacement towards the zenith: " + ", ".join(where)
                             + (", ..." if low.size > 3 else ""))
        defaulted = self.meta.get("no_own_covariance")
        if defaulted:
            lines.append(f"  {len(defaulted)} occultation/Gaia rows without sigmas, weighted with their group's "
                         f"floor: " + ", ".join(defaulted[:3]) + (", ..." if len(defaulted) > 3 else ""))
        return lines

    # --- delegating verbs -------------------------------------------------------------------------------------------
    def fit_options(self):
        """Deprecated: the estimator's options are `solution.options`, the dynamical model `solution.model`."""
        import warnings
        warnings.warn("Solution.fit_options() is now Solution.options (and Solution.model)", DeprecationWarning,
                      stacklevel=2)
        return self.options

    def default_span(self):
        """From the year of the first observation to 20 years after the last (TDB s)."""
        t = np.asarray(self.observations["tdb"], float)
        year = 365.25 * C.SECONDS_PER_DAY
        return float(np.floor(t.min() / year) * year), float(t.max() + 20 * year)

    def inflated(self, factor):
        """A copy whose every sigma is `factor` times this one's (a researcher's safety margin, or a covariance
        rescaled by chi2/dof): the state covariance and its samples by factor^2, the biases' sigmas, and the error
        every moon's prediction shares (its size in the options and the part the covariance holds), so that every
        sky, shadow and Monte Carlo sigma the copy predicts is `factor` times this one's. The fit itself (state,
        residuals, weights) is not touched; the copy's meta["inflated_by"] records the factor (archives keep it).
        A refit of the copy keeps the inflated shared error's size in its options; refit the original to start
        afresh."""
        import copy
        from .estimation.bias_priors import SCATTER_RESPONSE, scaled_scatter_record
        from .estimation.shared_error import META_KEY, scaled_record
        factor = float(factor)
        if not (np.isfinite(factor) and factor > 0):
            raise ValueError(f"inflated: factor must be a positive number, not {factor!r}")
        twin = copy.copy(self)
        twin.covariance = self.covariance * factor ** 2
        twin.options = self.options.changed(shared_sky_error_mas=self.options.shared_sky_error_mas * factor)
        meta = dict(self.meta)
        if meta.get(META_KEY):
            meta[META_KEY] = scaled_record(meta[META_KEY], factor)
        if meta.get(SCATTER_RESPONSE):
            meta[SCATTER_RESPONSE] = scaled_scatter_record(meta[SCATTER_RESPONSE], factor)
        meta["inflated_by"] = float(meta.get("inflated_by", 1.0)) * factor
        twin.meta = meta
        if self.biases is not None:
            twin.biases = self.biases.copy(copy_data=True)
            for name in ("sigma_ra_mas", "sigma_dec_mas"):
                twin.biases[name] = self.biases[name] * factor
            if "covariance_mas2" in self.biases.meta:
                twin.biases.meta["covariance_mas2"] = np.asarray(self.biases.meta["covariance_mas2"]) * factor ** 2
        if self.samples:
            twin.samples = {**self.samples, "covariances": np.asarray(self.samples["covariances"]) * factor ** 2}
        return twin

    def to_spk(self, path, naif_id=None, span=None, spk_type=2, record_days=None, degree=None, center=5):
        """Write this solution as an SPK kernel (J2000, TDB) with its provenance in the comment area
        (`orbitfit.products.export.write_solution_spk`). `center` 5 (the Jupiter barycentre: read it with the
        planetary ephemeris of the fit, DE440 by default) or 10 (the Sun: any DE reads it alike, to 0.12 mas).
        Returns an SPKExport whose max_error_km is the file's interpolation error against the integrator."""
        from .products.export import write_solution_spk
        return write_solution_spk(self, path, naif_id=naif_id, span=span, spk_type=spk_type,
                                  record_days=record_days, degree=degree, center=center)

    def compare(self, other, epochs, observer="500"):
        """How `other` (e.g. a refit) moves the predicted positions at `epochs` (TDB s), with both 1-sigma
        (`orbitfit.products.uncertainty.compare_solutions`)."""
        from .products.uncertainty import compare_solutions
        return compare_solutions(self, other, epochs, observer=observer)

    def sample(self, span=None, every_days=SAMPLE_DAYS):
        """States and 6x6 state covariances every `every_days` over the span (default: default_span()), kept in
        the archive so uncertainties can be looked up without integrating."""
        start, stop = span if span is not None else self.default_span()
        epochs = np.arange(start, stop + 1.0, every_days * C.SECONDS_PER_DAY)
        run = self.model.propagate(self.state, self.epoch, epochs, stm=True)
        phi = run.stm[:, 0]
        self.samples = {"tdb": epochs, "states": run.states[:, 0],
                        "covariances": np.einsum("nik,kl,njl->nij", phi, self.covariance, phi)}
        return self.samples

    def sampled_position_sigma_km(self, tdb):
        """1-sigma position error (km, square root of the covariance trace) looked up in the samples."""
        if not self.samples:
            raise ValueError("this solution carries no samples: call sample() (save() does it)")
        trace = np.trace(self.samples["covariances"][:, :3, :3], axis1=1, axis2=2)
        t = np.asarray(tdb, dtype=float)
        if np.any((t < self.samples["tdb"][0]) | (t > self.samples["tdb"][-1])):
            raise ValueError("epoch outside the sampled span of this solution")
        return np.sqrt(np.interp(t, self.samples["tdb"], trace))

    def save(self, path, samples=True):
        """Write the whole solution to an HDF5 archive atomically (`orbitfit.archive`), with sampled states and
        covariances over default_span() unless samples=False. Returns the path."""
        from .archive import save_solution
        if samples and not self.samples:
            self.sample()
        return save_solution(self, path)

    @classmethod
    def load(cls, path):
        """A solution written by `save`; a truncated, altered or foreign file raises archive.ArchiveError."""
        from .archive import read_solution
        return cls(**read_solution(path))
