"""Negative chords in the likelihood (`NegativeSpans`): a station that watched the star without losing it says the
limb never crossed its track over the watched span. That is a one-sided constraint on the centre: for a trial
offset delta of the centre and a limb, the span's clearance c(delta) = min over the watched instants of the
station's radial distance outside the limb (`Limb.radial_residual`); the likelihood is Phi(c / sigma) (the chance
that the true limb, within its topography sigma and the centre's sigma, stays off the track), and in a least-squares
score the penalty (min(c, 0) / sigma)^2.

A single positive chord leaves two mirror centres, one each side of it (`chords`); the negative spans and the prior
orbit decide between them (`side_probabilities`): P(side) is proportional to the prior density of that centre (the
prediction's cross-track sigma, when known; else equal priors) times the product of Phi(c_k / sigma_k) over the
negative spans.
"""
from __future__ import annotations

import math

import numpy as np

from .sites import relative_to_sites, sites_itrs

SPAN_STEP_KM = 2.0          # the watched track is sampled every <= 2 km: a limb grazing it is found to ~0.3 m


def log_normal_cdf(x):
    """log Phi(x), also far in the lower tail (a limb crossing a watched track by 100 sigma: log Phi = -5000), where
    Phi itself underflows: the asymptotic series -x^2/2 - log(-x sqrt(2 pi)) - log(1 - 1/x^2 + 3/x^4)."""
    if x > -30.0:
        return math.log(0.5 * math.erfc(-x / math.sqrt(2.0)))
    return -0.5 * x * x - math.log(-x * math.sqrt(2.0 * math.pi)) + math.log1p(-1.0 / x ** 2 + 3.0 / x ** 4)


class NegativeSpans:
    """The tracks of the negative stations relative to the predicted centre, sampled over their watched spans.

    chords: negative `Chord`s with their watched spans (TDB s) in `spans` ((n, 2)); prediction: event.Occultation."""

    def __init__(self, chords, spans, prediction):
        self.labels = [c.label() for c in chords]
        self.tracks = []
        for chord, (start, end) in zip(chords, spans):
            _, itrs = sites_itrs([chord.site])
            speed = abs(float(prediction.velocity_km_s)) or 1.0
            n = int(min(max(201, (end - start) * speed / SPAN_STEP_KM), 20001))
            t = np.linspace(start, end, n)
            rel, _, _, _ = relative_to_sites(prediction, np.repeat(itrs, t.size, axis=0), t)
            self.tracks.append(-rel)                   # the station relative to the predicted centre, km

    def __len__(self):
        return len(self.tracks)

    def clearances_km(self, offset_km, limb):
        """Per span: its least radial distance outside `limb` centred at `offset_km` (negative: it cuts the limb)."""
        return np.array([float(limb.radial_residual(track - offset_km).min()) for track in self.tracks])

    def penalty(self, offset_km, limb, sigma_km):
        """Sum of (min(c, 0) / sigma)^2: the chi2 a limb pays for crossing watched tracks."""
        c = self.clearances_km(offset_km, limb)
        return float(np.sum((np.minimum(c, 0.0) / sigma_km) ** 2))

    def log_likelihood(self, offset_km, limb, sigma_km):
        """Sum of log Phi(c / sigma) over the spans."""
        return float(sum(log_normal_cdf(c / sigma_km) for c in self.clearances_km(offset_km, limb)))


def side_probabilities(centres, limb, negatives, sigma_km, normal, prior_sigma_km=None):
    """{+1: p, -1: p} for the two mirror centres {side: offset (2,)}: prior (a Gaussian of the offset across the
    track with `prior_sigma_km`, none if None) times the negative spans' Phi(c / sigma)."""
    logs = {}
    for side, centre in centres.items():
        log_p = 0.0 if negatives is None else negatives.log_likelihood(centre, limb, sigma_km)
        if prior_sigma_km:
            log_p -= 0.5 * (float(centre @ normal) / prior_sigma_km) ** 2
        logs[side] = log_p
    top = max(logs.values())
    weights = {side: math.exp(v - top) for side, v in logs.items()}
    total = sum(weights.values())
    return {side: w / total for side, w in weights.items()}
