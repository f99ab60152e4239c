"""The figure of a chord reduction (`plot_centre_fit`, behind `CentreFit.plot`): the chords on the fundamental plane
relative to the fitted centre, with the limb, the negative stations' tracks near it and, for a single chord, both
mirror centres with their probabilities."""
from __future__ import annotations

import math

import numpy as np


def plot_centre_fit(fit, filename=None, title=None):
    """`fit` (centre.CentreFit) drawn east left, north up (as on the sky), in km; a matplotlib Figure (Agg);
    `filename` (.png/.pdf/.svg) saves it atomically."""
    from ..products.plots import new_figure, save_figure
    fig = new_figure((5.2, 5.0))
    ax = fig.add_subplot()
    limb = fit.event.limb_at(fit.prediction, fit.tdb)[0].scaled(fit.radius_km)
    angle = np.linspace(0.0, 2.0 * np.pi, 721)
    theta = math.radians(limb.pole_position_angle_deg)
    pole = np.array([math.sin(theta), math.cos(theta)])
    equator = np.array([pole[1], -pole[0]])
    outline = (np.outer(limb.equatorial_radius_km * np.cos(angle), equator) +
               np.outer(limb.polar_radius_km * np.sin(angle), pole))
    ax.plot(outline[:, 0], outline[:, 1], color="0.2", lw=0.9, label="fitted limb")
    points = fit.limb_points_km - fit.offset_km
    labels = np.array(fit.contact_labels or [str(k // 2) for k in range(len(points))])
    for label in dict.fromkeys(labels):
        chord = points[labels == label]
        if len(chord) == 2:
            ax.plot(chord[:, 0], chord[:, 1], color="C0", lw=1.2)
    ax.plot(points[:, 0], points[:, 1], "o", color="C0", ms=2.5, label="contacts")
    negatives = fit.event.negative_spans(fit.prediction)
    for k, track in enumerate([] if negatives is None else negatives.tracks):
        # the track is sampled every <= 2 km (`negative.SPAN_STEP_KM`), coarse beside a small body: its part
        # near the limb, one sample beyond each end, interpolated (straight at that scale)
        near = track - fit.offset_km
        distance = np.hypot(*near.T)
        inside = np.nonzero(distance < 1.6 * fit.radius_km)[0]
        lo, hi = (inside[0], inside[-1]) if inside.size else (int(np.argmin(distance)),) * 2
        segment = near[max(lo - 1, 0):hi + 2]
        fine = np.linspace(0.0, len(segment) - 1.0, min(max(200, 4 * len(segment)), 20000))
        near = np.stack([np.interp(fine, np.arange(len(segment)), segment[:, i]) for i in (0, 1)], axis=1)
        near = near[np.hypot(*near.T) < 1.6 * fit.radius_km]
        if len(near):
            ax.plot(near[:, 0], near[:, 1], color="C1", lw=1.0, ls="--",
                    label="negative" if k == 0 else None)
    if fit.mirror_offsets_km:
        for side, centre in fit.mirror_offsets_km.items():
            q = centre - fit.offset_km
            p = fit.side_probabilities[side]
            colour = "C3" if p < 0.5 else "C2"
            ax.plot(*q, "x", color=colour, label=f"centre, side {side:+d} (P = {p:.3g})")
            if p < 0.5:                                       # the mirror limb the data exclude
                ax.plot(outline[:, 0] + q[0], outline[:, 1] + q[1], color=colour, lw=0.7, ls=":")
    ax.plot(0, 0, "+", color="k")
    ax.set_aspect("equal")
    ax.invert_xaxis()
    ax.set_xlabel("f (km, east)")
    ax.set_ylabel("g (km, north)")
    ax.set_title(title or f"{fit.event.name}: {fit.method}")
    ax.legend(loc="best", fontsize=7)
    if filename:
        save_figure(fig, filename)
    return fig
