"""Observed occultation chords turned into a constraint on the body's centre, and that constraint into an
astrometric observation the orbit fit uses directly.

    from orbitfit.occultations import Chord, ObservedOccultation
    event = ObservedOccultation(body=544, star=star, radius_km=1.0, chords=[
        Chord(site=(149.0661, -31.2733, 1.165), start="2025-12-15T13:20:01.20", end="2025-12-15T13:20:01.50",
              sigma_s=0.05, name="Siding Spring")])
    centre = event.reduce(solution)            # where the centre was, relative to the solution's prediction
    print(centre.summary())
    refit = solution.refit(centre.observations())

The limb (`Limb`), its fit and the predicted contact instants (`contact_times`) live in `limb`; event files in
`event_files`.

The geometry is Bessel's (see `orbitfit.occultations.plane`): at each contact instant t of a station X, the prediction
gives the shadow centre relative to the station's projection on the fundamental plane, rel(t) (km, east/north,
`sites.relative_to_sites`). The station's limb point relative to the *predicted* centre is p = -rel(t). If the
true centre is offset by delta (constant over the seconds of an event: an ephemeris error moves the whole shadow),
every contact lies on the limb around delta: |p - delta| = R for a circle, or an ellipse (`Limb`: equatorial radius,
oblateness, pole position angle). Timing errors move p along the station's relative motion w, by |w| sigma_t.

* One positive chord: delta is fixed along the chord (its midpoint, sigma = |w| sqrt(sigma_1^2 + sigma_2^2) / 2),
  and across it only to the two mirror solutions +-d, d = sqrt(R^2 - L^2/4) - a two-peaked constraint, each peak
  with sigma from the timing, radius and shape sigmas. The negative chords and the prior orbit decide between them
  (`negative.side_probabilities`: the prior's cross-track sigma, when the body is a Solution or `prior_sigma_km` is
  given, times Phi(clearance / sigma) of every negative span); `CentreFit.side_probabilities` reports
  P(+1), P(-1). When one side has P >= `SIDE_DECIDED` (3 sigma), or `side` is given (+1: the station was left of
  the true centre line looking along the shadow's motion, d_km > 0 in `Occultation.sites`; -1: right), the centre
  is that peak; otherwise the observation is the two peaks' mean with their moment-matched covariance (across the
  chord sigma ~ d, not R) and the method says "undecided".
* Two or more positive chords: delta (and R, with `fit_radius` and >= 3 chords) by weighted least squares on the
  radial residuals (|p_k - delta| - R for a circle), sigma_k^2 = (sigma_t |w . n_k|)^2 + shape_sigma^2 (n_k the
  limb's normal at the contact), from several starts across the track (chords on one line - two observers at one
  site - have a mirror solution; a positive chord may lack one contact, the other still counts);
  covariance (J^T W J)^-1. For an ellipse a single chord's L and d follow the affine-circle relations of
  `Limb.chords_along` (sigma_across = the half-width across the chord).
* Negative chords are in the likelihood (`negative`): a watched span the limb crosses costs (clearance / sigma)^2 in
  the choice among the local minima (two chords' mirror solution) and Phi(clearance / sigma) in a single chord's
  side; the reduction also reports each one's clearance outside the fitted limb and flags those inside it. A
  negative chord without start/end watched the whole passage (the prediction's C/A +- the time the shadow takes
  to cross the Earth).
* The body's shape: `radius_km` (+ oblateness, pole angle) as given, or a `shapes.Shape` (`shape=`), or - when
  neither is given - the body's embedded shape (`shapes.embedded_shape`: the Galilean moons' ellipsoids with IAU
  rotation), projected on the plane at the reference instant. The size's sigma enters the centre's covariance
  (the centre refitted with the radius +- sigma; measured per km of radius: Io 2021-04-02, two chords grazing one
  limb, 1.04 km; Ganymede 2016-04-13, two chords, 2.1 km; Europa 2017-03-31, three chords on one side, 1.3 km),
  the topography's sigma enters every contact (Io's two chords, RA* / Dec: 0.26 / 0.16 mas with the shape taken as
  exact, the star's 0.24 / 0.16 included; 2.45 / 0.91 mas with Io's 5-km topography sigma).

The centre becomes the body's geocentric astrometric position at the reference instant (the mean of the positive
chords' contact instants; `CentreFit.radec(tdb)` gives it at another instant of the event): the predicted fundamental-plane position plus delta, with the covariance (km -> mas at the body's
distance) plus the star's own position covariance. Since (f, g) are the body's offsets from the star's direction,
the observation is "star + measured offset" and depends on the prediction only to second order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..times import tdb_to_utc_iso, to_tdb_seconds
from ..units import to_value
from .centre import CentreFit
from .limb import ChordError, Limb, contact_times, fit_limb  # noqa: F401 (chords.contact_times, as before the split)
from .earth import EARTH_RADIUS_KM
from .negative import NegativeSpans, side_probabilities
from .prediction import predict
from .shapes import Shape, embedded_shape
from .sites import relative_to_sites, sites_itrs
from .stars import Star

DEFAULT_TIMING_SIGMA_S = 0.1        # a video camera with GPS-stamped frames at 10 Hz; give the real value
SINGLE_CHORD_SIDES = (None, -1, 1)
SIDE_DECIDED = 0.9973               # a single chord's side is decided at 3 sigma (two-sided Gaussian 99.73%)
# how far a contact may lie outside the shadow's passage over the Earth: the prediction's along-track error. 600 s is
# 12 000 km at Ganymede's 20 km/s and 2 700 km at Kallichore's 4.5 km/s (ten times its sigma of 278 km in 2025); a
# wrong date (24 h) or a local time taken for UTC (>= 1 h) is far beyond
PASSAGE_MARGIN_S = 600.0


@dataclass
class Chord:
    """One station's observation of an occultation.

    site: MPC code, or (east longitude deg, geodetic latitude deg, height km) on WGS84.
    start, end: positive chord - the disappearance and reappearance instants (UTC string, astropy Time or TDB s;
        one may be None when the recording missed it: the other contact still counts with several chords);
        negative chord - the span watched without an event (None, None: the whole passage).
    sigma_s: 1-sigma of each instant (one value or (sigma_start, sigma_end)), seconds (or astropy Quantities).
    """
    site: object
    start: object
    end: object
    sigma_s: object = DEFAULT_TIMING_SIGMA_S
    positive: bool = True
    name: str = ""

    def sigmas(self):
        from astropy.units import UnitsError
        try:
            s = np.broadcast_to(np.asarray(to_value(self.sigma_s, "s", "sigma_s"), dtype=float), (2,))
        except UnitsError:                                          # a Quantity in another unit: its own error
            raise
        except (TypeError, ValueError):
            raise ChordError(f"chord {self.label()}: timing sigma must be seconds, one number or [start, end], "
                             f"not {self.sigma_s!r}") from None
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ChordError(f"chord {self.label()}: timing sigma must be positive seconds, not {self.sigma_s!r}")
        return s

    def label(self):
        return self.name or (self.site if isinstance(self.site, str) else
                             "{:.4f},{:.4f}".format(*tuple(self.site)[:2]))


def passage_half_width_s(prediction):
    """Half the time the shadow of `prediction` (event.Occultation) takes to sweep the Earth's disc, s."""
    return (EARTH_RADIUS_KM + 2 * prediction.radius_km) / max(abs(prediction.velocity_km_s), 1e-3)


@dataclass
class ObservedOccultation:
    """An observed stellar occultation: the star, the chords and the body's size.

    star: stars.Star of one star (Gaia DR3 position, proper motion, parallax, epoch).
    star_sigma_mas: (sigma RA*, sigma Dec) of the star at the event, mas, and star_corr their correlation.
    radius_km: the body's equatorial (or equivalent) radius; radius_sigma_km its uncertainty; oblateness and
    pole_position_angle_deg make the limb an ellipse (`Limb`; default a circle); shape_sigma_km: the limb's departure
    from that ellipse (topography), added to every contact. Or `shape`: a `shapes.Shape` (ellipsoid + rotation)
    projected at the event; neither: the body's embedded shape (`shapes.embedded_shape`; the Galilean moons).
    Radii, sigmas and the pole angle may be astropy Quantities: they are converted to km, mas and degrees.
    """
    body: int
    star: Star
    chords: list
    radius_km: float | None = None
    radius_sigma_km: float = 0.0
    shape_sigma_km: float = 0.0
    star_sigma_mas: tuple = (0.0, 0.0)
    star_corr: float = 0.0
    name: str = "occultation"
    oblateness: float = 0.0
    pole_position_angle_deg: float = 0.0
    star_catalog: str = "Gaia DR3"
    shape: Shape | None = None

    def __post_init__(self):
        for name, unit in (("radius_km", "km"), ("radius_sigma_km", "km"), ("shape_sigma_km", "km"),
                           ("pole_position_angle_deg", "deg")):
            setattr(self, name, to_value(getattr(self, name), unit, name))
        self.star_sigma_mas = tuple(float(v) for v in np.broadcast_to(
            to_value(self.star_sigma_mas, "mas", "star_sigma_mas"), (2,)))

    @property
    def limb(self):
        """The limb given by radius_km (+ oblateness, pole angle); None when the shape comes from a Shape."""
        if self.radius_km is None:
            return None
        if not self.radius_km > 0:
            raise ChordError(f"{self.name}: the body's radius must be positive km, not {self.radius_km!r}")
        return Limb(self.radius_km, self.oblateness, self.pole_position_angle_deg)

    def body_shape(self):
        """The Shape used when no radius is given: `shape`, else the body's embedded one; None with a radius."""
        if self.radius_km is not None:
            return None
        shape = self.shape or embedded_shape(self.body)
        if shape is None:
            raise ChordError(f"{self.name}: no radius given and orbitfit has no embedded shape of body {self.body}; "
                             f"give radius_km (and radius_sigma_km)")
        return shape

    def limb_at(self, prediction, tdb):
        """(Limb, radius sigma km, topography sigma km, description) at the instant `tdb` of a prediction."""
        shape = self.body_shape()
        if shape is None:
            return self.limb, self.radius_sigma_km, self.shape_sigma_km, ""
        limb = shape.limb(prediction.plane_at([tdb]))
        radius_sigma = self.radius_sigma_km or shape.radius_sigma_km * limb.equatorial_radius_km / shape.mean_radius_km
        a, b, c = shape.radii_km
        label = (f"{shape.name or 'shape'} {a:g} x {b:g} x {c:g} km, limb {limb.equatorial_radius_km:.1f} km, "
                 f"oblateness {limb.oblateness:.5f}, pole P/A {limb.pole_position_angle_deg:.2f} deg")
        return limb, radius_sigma, self.shape_sigma_km or shape.topography_sigma_km, label

    def star_covariance_mas(self):
        s_ra, s_dec = self.star_sigma_mas
        c = self.star_corr * s_ra * s_dec
        return np.array([[s_ra ** 2, c], [c, s_dec ** 2]])

    def positive(self):
        return [c for c in self.chords if c.positive]

    def _times(self, chord):
        """(start, end) TDB s; a positive chord may lack one contact (None): a recording that began after the
        disappearance or ended before the reappearance still times the other one."""
        start = None if chord.start is None else to_tdb_seconds(chord.start)
        end = None if chord.end is None else to_tdb_seconds(chord.end)
        if start is None or end is None:
            if not chord.positive or (start is None and end is None):
                raise ChordError(f"{self.name}: chord {chord.label()} has no contact instant")
            return start, end
        if not end > start:
            raise ChordError(f"{self.name}: chord {chord.label()} ends ({tdb_to_utc_iso(end)} UTC) before it starts "
                             f"({tdb_to_utc_iso(start)} UTC)")
        return start, end

    def reduce(self, body, *, side=None, fit_radius=False, ephemeris=None, prediction=None, prior_sigma_km=None,
               passage_margin_s=PASSAGE_MARGIN_S):
        """Fit the centre to the chords against the prediction of `body` (a Solution or a target callable).
        Returns a CentreFit. `side` (+1/-1) imposes a single chord's mirror solution (see the module docstring);
        `prior_sigma_km`: the prediction's cross-track 1-sigma that weighs a single chord's sides (default: from the
        Solution's covariance and the star's sigma; none for a callable body).
        `prediction`: an event.Occultation of this star by the body near the event, if already computed.
        `passage_margin_s`: how far (s) a contact may lie outside the predicted passage of the shadow over the Earth
        before it is refused as a wrong date or time zone (a Solution's own 5-sigma along the track widens it where
        larger); widen it for a target callable known worse than ~10 minutes of the shadow's motion."""
        positive = self.positive()
        if not positive:
            raise ChordError(f"{self.name}: no positive chord; negative chords alone do not give a centre")
        if side not in SINGLE_CHORD_SIDES:
            raise ChordError(f"side must be None, +1 or -1, not {side!r}")
        shape = self.body_shape()                                                   # checks the shape or radius
        times, sites, sigma_t, labels = [], [], [], []                           # one row per contact
        for chord in positive:
            for instant, sigma in zip(self._times(chord), chord.sigmas()):
                if instant is not None:
                    times.append(instant), sites.append(chord.site), sigma_t.append(sigma)
                    labels.append(chord.label())
        times, sigma_t = np.array(times), np.array(sigma_t)
        if len(positive) == 1 and times.size != 2:
            raise ChordError(f"{self.name}: one contact alone does not give a centre")
        t_ref = float(times.mean())
        if prediction is None:
            radius = self.radius_km if shape is None else shape.mean_radius_km
            # searched near the median contact: one chord with a wrong date must not take the search off the event
            prediction = predict(body, self.star, float(np.median(times)), radius_km=radius, ephemeris=ephemeris)
        self._check_in_passage(prediction, times, labels, passage_margin_s)
        limb, radius_sigma, shape_sigma, label = self.limb_at(prediction, t_ref)
        _, itrs = sites_itrs(sites)
        rel, velocity, _, _ = relative_to_sites(prediction, itrs, times)
        points = -rel                                                               # station relative to centre
        negatives = self.negative_spans(prediction)
        # a negative span's clearance is uncertain by the topography (and at least 1 m: a sharp edge)
        sigma_negative = max(shape_sigma, 1e-3)
        if len(positive) == 1:
            if prior_sigma_km is None and prediction.solution is not None:
                prior_sigma_km = prediction.cross_track_sigma_km(prediction.solution, self.star_sigma_mas,
                                                                 self.star_corr)
            fit = self._single_chord(prediction, t_ref, points, velocity, sigma_t, side, limb, radius_sigma,
                                     shape_sigma, negatives, prior_sigma_km)
        else:
            fit = self._several_chords(prediction, t_ref, points, velocity, sigma_t, fit_radius, limb,
                                       radius_sigma, shape_sigma, negatives, sigma_negative)
        fit.shape, fit.contact_labels = label, labels
        if negatives is not None:
            clearances = negatives.clearances_km(fit.offset_km, limb.scaled(fit.radius_km))
            fit.negative = [(name, float(c), bool(c > 0)) for name, c in zip(negatives.labels, clearances)]
            if fit.mirror_offsets_km:
                scaled = limb.scaled(fit.radius_km)
                by_side = {side: negatives.clearances_km(centre, scaled)
                           for side, centre in fit.mirror_offsets_km.items()}
                normal = fit.across_unit
                chord_middle = points.mean(axis=0)
                fit.negative_by_side = [
                    (name, {side: float(c[k]) for side, c in by_side.items()},
                     float(np.median((track - chord_middle) @ normal)))
                    for k, (name, track) in enumerate(zip(negatives.labels, negatives.tracks))]
        return fit

    def negative_spans(self, prediction):
        """The negative chords' watched tracks relative to `prediction`'s centre (negative.NegativeSpans), or None."""
        negative = [c for c in self.chords if not c.positive]
        if not negative:
            return None
        # no watched span given: the whole passage of the shadow across the Earth
        half = passage_half_width_s(prediction)
        spans = [self._times(c) if c.start is not None else (prediction.tdb - half, prediction.tdb + half)
                 for c in negative]
        return NegativeSpans(negative, spans, prediction)

    def _outside_passage(self, prediction, times, labels, margin_s):
        """[(label, TDB s)] of the contacts, and of the negative chords' watched spans, outside the passage."""
        limit = passage_half_width_s(prediction) + margin_s
        wrong = [(label, t) for label, t in zip(labels, times) if abs(t - prediction.tdb) > limit]
        for chord in self.chords:
            if not chord.positive and chord.start is not None:
                start, end = self._times(chord)
                if end < prediction.tdb - limit or start > prediction.tdb + limit:
                    wrong.append((f"{chord.label()} (negative, watched from)", start))
        return wrong

    def _check_in_passage(self, prediction, times, labels, margin_s):
        """A contact, or a negative chord's whole watched span, outside the shadow's passage over the Earth (with
        `margin_s`, or 5 sigma of the shadow's instant when the body is a Solution whose orbit is known worse) is a
        wrong date, a local time taken for UTC, or another event: an error naming the chords, not a centre fitted
        thousands of km away."""
        if not prediction.converged:
            raise ChordError(f"{self.name}: the star and the body have no closest approach within an hour of the "
                             f"contacts (median {tdb_to_utc_iso(float(np.median(times)))[:19]} UTC). Check the dates, "
                             f"that the times are UTC, and the star and body")
        wrong = self._outside_passage(prediction, times, labels, margin_s)
        if wrong and prediction.solution is not None:
            # the orbit may be known worse than the margin: 5 sigma of the shadow's instant along the track
            margin_s = max(margin_s, 5.0 * prediction.along_track_sigma_km() / max(abs(prediction.velocity_km_s),
                                                                                  1e-3))
            wrong = self._outside_passage(prediction, times, labels, margin_s)
        if wrong:
            limit = passage_half_width_s(prediction) + margin_s
            hours = "; ".join(f"{label} {tdb_to_utc_iso(t)[:19]} UTC ({(t - prediction.tdb) / 3600.0:+.2f} h)"
                              for label, t in wrong)
            first, last = tdb_to_utc_iso(prediction.tdb - limit)[:19], tdb_to_utc_iso(prediction.tdb + limit)[11:19]
            raise ChordError(f"{self.name}: outside the shadow's passage over the Earth (predicted {first} - {last} "
                             f"UTC, {margin_s:.0f} s of margin for the prediction's error): {hours}. Check the "
                             f"dates, that the times are UTC, and the star and body (an orbit known worse than that: "
                             f"reduce(passage_margin_s=...))")

    def _single_chord(self, prediction, t_ref, points, velocity, sigma_t, side, limb, radius_sigma, shape_sigma,
                      negatives, prior_sigma_km):
        p1, p2 = points
        length = float(np.hypot(*(p2 - p1)))
        if length == 0:
            raise ChordError(f"{self.name}: the chord has zero length")
        motion = velocity.mean(axis=0)                       # the shadow's motion relative to the station
        w = float(np.hypot(*motion))
        along = motion / w
        normal = np.array([-along[1], along[0]])             # left of the shadow's motion (d_km > 0 in predictions)
        sigma_along = w * math.hypot(*sigma_t) / 2.0
        midpoint = 0.5 * (p1 + p2)
        central, half_width, slope = limb.chords_along(along)
        if length > central * (1 + 1e-9) and side is not None:
            raise ChordError(f"{self.name}: the chord is {length:.3f} km long, longer than the body "
                             f"({central:.3f} km along it); give a larger radius")
        # the chord's offset from the centre: L = L0 sqrt(1 - d^2/h^2); its midpoint sits at d n + k d u
        d = half_width * math.sqrt(max(1.0 - (length / central) ** 2, 0.0))
        sigma_length = w * math.hypot(*sigma_t)
        # dd/dL = -h^2 L / (L0^2 d), dd/da = h^2 / (a d); capped at h where d -> 0 (a central chord)
        small = max(d, 1e-9)
        sigma_d = math.hypot(half_width ** 2 * length * sigma_length / (central ** 2 * small),
                             half_width ** 2 * radius_sigma / (limb.equatorial_radius_km * small))
        sigma_across = min(math.hypot(sigma_d, shape_sigma), half_width)
        # side +1: the station was left of the true centre line, so the chord is at +d from the centre
        centres = {s: midpoint - s * d * normal - slope * s * d * along for s in (1, -1)}
        peak_cov = sigma_along ** 2 * np.outer(along, along) + sigma_across ** 2 * np.outer(normal, normal)
        probabilities = side_probabilities(centres, limb, negatives, math.hypot(sigma_across, shape_sigma, 1e-3),
                                           normal, prior_sigma_km)
        chosen = side if side is not None else max(probabilities, key=probabilities.get)
        if side is not None or probabilities[chosen] >= SIDE_DECIDED:
            centre, cov = centres[chosen], peak_cov
            how = "given" if side is not None else f"P = {probabilities[chosen]:.4f}"
            method = f"single chord, side {chosen:+d} ({how})"
        else:
            # undecided: the two peaks' mean and moment-matched covariance (the row the fit can take)
            centre = sum(probabilities[s] * centres[s] for s in centres)
            cov = sum(probabilities[s] * (peak_cov + np.outer(centres[s] - centre, centres[s] - centre))
                      for s in centres)
            method = "single chord, side undecided"
        residuals = limb.radial_residual(points - centre)
        return CentreFit(self, prediction, t_ref, centre, cov, limb.equatorial_radius_km, None, 0.0, 0, method,
                         along, points, residuals, side_probabilities=probabilities, mirror_offsets_km=centres)

    def _several_chords(self, prediction, t_ref, points, velocity, sigma_t, fit_radius, limb, radius_sigma,
                        shape_sigma, negatives, sigma_negative):
        n_positive = len(points) // 2
        if fit_radius and n_positive < 3:
            raise ChordError(f"{self.name}: fitting the radius needs at least 3 positive chords, not {n_positive}")
        r0 = limb.equatorial_radius_km
        motion = velocity.mean(axis=0)                       # the chords run along the shadow's motion
        along = motion / np.hypot(*motion)
        normal = np.array([-along[1], along[0]])
        mid = points.mean(axis=0)

        def fit_from(start, trial_limb):
            return fit_limb(points, velocity, sigma_t, shape_sigma, start, trial_limb, fit_radius)

        def score(result):          # chi2 of the contacts + what crossing a watched negative span costs
            return result[3] + (0.0 if negatives is None else
                                negatives.penalty(result[0], limb.scaled(result[1]), sigma_negative))
        best = None
        for shift in np.linspace(-1.5, 1.5, 13) * r0:                   # starts across the track: mirror solutions
            result = fit_from(mid + shift * normal, limb)
            if result is not None and (best is None or score(result) < score(best) - 1e-9):
                best = result
        if best is None:
            raise ChordError(f"{self.name}: the chords do not determine the centre (singular normal matrix)")
        centre, radius, cov_full, chi2, residuals = best
        cov = cov_full[:2, :2]
        if radius_sigma > 0 and not fit_radius:
            # the size's sigma: the centre refitted with the radius +- sigma, from the best centre
            moved = [fit_from(centre, limb.scaled(r0 + sign * radius_sigma)) for sign in (1, -1)]
            if all(m is not None for m in moved):
                derivative = (moved[0][0] - moved[1][0]) / 2.0          # km of centre per sigma of radius
                cov = cov + np.outer(derivative, derivative)
        dof = len(points) - (3 if fit_radius else 2)
        radius_fit_sigma = float(math.sqrt(cov_full[2, 2])) if fit_radius else None
        return CentreFit(self, prediction, t_ref, centre, cov, radius, radius_fit_sigma, chi2, dof,
                         "chords" + (" with the radius fitted" if fit_radius else ""), along, points, residuals)
