"""The body's centre measured by an occultation's chords (`CentreFit`, made by `chords.ObservedOccultation.reduce`):
its offset from the prediction on the fundamental plane with its covariance, the geocentric astrometric position
that offset gives (`radec`, `observations`: the row a refit takes), the negative chords' clearances and, for a
single chord, what each mirror centre makes of them (`negative_report`), a summary and a figure."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dynamics import constants as C

from ..times import tdb_to_utc_iso, to_tdb_seconds
from .stars import MAS_PER_RAD


@dataclass
class CentreFit:
    """The body's centre in the fundamental plane, measured by the chords against a prediction."""
    event: object                   # the ObservedOccultation
    prediction: object              # event.Occultation used to reduce the chords
    tdb: float                      # reference instant (TDB s past J2000)
    offset_km: np.ndarray           # (2,) true minus predicted centre (east, north), km
    covariance_km: np.ndarray       # (2, 2) km^2
    radius_km: float
    radius_sigma_km: float | None   # when the radius was fitted
    chi2: float
    dof: int
    method: str                     # "single chord", "single chord, side +1", "chords"
    along_unit: np.ndarray          # (2,) along the chord (single chord: the shadow's motion), east/north
    limb_points_km: np.ndarray      # (n, 2) contact points relative to the predicted centre
    limb_residuals_km: np.ndarray   # (n,) radial distance of each contact outside the limb (|p - delta| - R)
    negative: list = field(default_factory=list)    # per negative chord: (label, clearance km, consistent)
    # single chord: per negative chord (label, {side: clearance km from that mirror centre}, its track's distance
    # from the positive chord across the motion, km, + left of the shadow's motion): why a side was chosen
    negative_by_side: list = field(default_factory=list)
    side_probabilities: dict | None = None          # single chord: {+1: P, -1: P} of the mirror centres
    mirror_offsets_km: dict | None = None           # single chord: {+1: (2,), -1: (2,)} the two peaks
    shape: str = ""                                 # where the limb came from
    contact_labels: list = field(default_factory=list)      # the chord of each contact (limb_points_km's rows)

    @property
    def across_unit(self):
        """(2,) east/north unit vector across the chord, 90 deg counter-clockwise from `along_unit` (for a single
        chord: the left of the shadow's motion, the side +1 of `negative_by_side`'s distances)."""
        return np.array([-self.along_unit[1], self.along_unit[0]])

    @property
    def sigmas_along_across_km(self):
        """(sigma along the chord, sigma across it), km."""
        u, n = self.along_unit, self.across_unit
        return float(np.sqrt(u @ self.covariance_km @ u)), float(np.sqrt(n @ self.covariance_km @ n))

    def radec(self, tdb=None):
        """Geocentric astrometric RA, Dec (deg) of the measured centre at the reference instant (or at `tdb`: TDB s,
        Time or ISO UTC, within the event's minutes - the offset from the prediction is constant over them), with
        the 2x2 covariance in mas^2 (RA*, Dec) including the star's own position covariance."""
        from ..model import radec_from_unit
        plane = self.prediction.plane_at([self.tdb if tdb is None else to_tdb_seconds(tdb)])
        f = plane.f[0] + self.offset_km[0]
        g = plane.g[0] + self.offset_km[1]
        along_star = float(plane.rho[0] @ plane.star[0])
        vector = f * plane.east[0] + g * plane.north[0] + along_star * plane.star[0]
        ra, dec = radec_from_unit(vector[None, :] / np.linalg.norm(vector))
        mas_per_km = MAS_PER_RAD / float(np.linalg.norm(vector))
        cov = self.covariance_km * mas_per_km ** 2 + self.event.star_covariance_mas()
        return float(np.degrees(ra[0]) % 360.0), float(np.degrees(dec[0])), cov

    def observations(self):
        """The measured centre as one Observations row: kind "occultation", observer 500 (geocentre), data set
        "occultation:<event name>", with its 2x2 covariance (the fit uses it as given, with no floor)."""
        from ..observations.core import Records
        ra, dec, cov = self.radec()
        sigma_ra, sigma_dec = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
        records = Records(self.event.name, f"occultation:{self.event.name}")
        jd1, jd2 = C.J2000_JD, self.tdb / C.SECONDS_PER_DAY
        records.add(line=1, body=self.event.body, jd1=jd1, jd2=jd2, scale="tdb", ra_deg=ra, dec_deg=dec,
                    observer="500", sigma_ra_mas=sigma_ra, sigma_dec_mas=sigma_dec,
                    corr=float(np.clip(cov[0, 1] / (sigma_ra * sigma_dec), -1.0, 1.0)), kind="occultation",
                    catalog=self.event.star_catalog)
        return records.to_table()

    def plot(self, filename=None, title=None):
        """The chords on the fundamental plane (east left, north up, as on the sky) relative to the fitted centre,
        with the limb, the negative stations' tracks near it and, for a single chord, both mirror centres. A
        matplotlib Figure (Agg); `filename` (.png/.pdf/.svg) saves it atomically (`chord_plots.plot_centre_fit`)."""
        from .chord_plots import plot_centre_fit
        return plot_centre_fit(self, filename, title)

    def summary(self):
        along, across = self.sigmas_along_across_km
        ra, dec, cov = self.radec()
        lines = [f"{self.event.name}: {self.method}, reference {tdb_to_utc_iso(self.tdb)} UTC",
                 f"  centre - prediction: east {self.offset_km[0]:+.3f} km, north {self.offset_km[1]:+.3f} km "
                 f"(sigma along the chord {along:.3f} km, across {across:.3f} km)",
                 f"  radius {self.radius_km:.3f} km" + ("" if self.radius_sigma_km is None else
                                                        f" +- {self.radius_sigma_km:.3f} km (fitted)") +
                 (f" ({self.shape})" if self.shape else ""),
                 f"  chi2 {self.chi2:.2f} for {self.dof} degrees of freedom",
                 f"  astrometric (geocentre) RA {ra:.9f} deg, Dec {dec:+.9f} deg, sigma RA* "
                 f"{math.sqrt(cov[0, 0]):.2f} mas, Dec {math.sqrt(cov[1, 1]):.2f} mas, "
                 f"corr {cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]):+.3f}"]
        if self.side_probabilities:
            lines.append("  single chord's side: " + ", ".join(f"P({side:+d}) = {p:.4f}" for side, p in
                                                             sorted(self.side_probabilities.items(), reverse=True)))
        normal = self.across_unit
        by_side = {label: (sides, across) for label, sides, across in self.negative_by_side}
        for label, clearance, consistent in self.negative:
            lines.append(f"  negative chord {label}: passes {abs(clearance):.2f} km "
                         f"{'outside the limb (consistent)' if consistent else 'INSIDE the limb: inconsistent'}")
            if label in by_side:                     # a single chord: what each mirror centre makes of the track
                sides, across = by_side[label]
                passes = ", ".join(f"centre {side:+d} {abs(c):.2f} km {'outside' if c > 0 else 'INSIDE'}"
                                   for side, c in sorted(sides.items(), reverse=True))
                lines.append(f"    its track is {abs(across):.1f} km {compass_point(across * normal)} of the chord "
                             f"across the motion; it passes the limb of {passes}")
        return "\n".join(lines)

    def negative_report(self):
        """The negative chords as JSON-ready dicts: name, clearance_km (+ outside the fitted limb), consistent; for
        a single chord also clearance_km_by_side ({"+1": km, "-1": km} from each mirror centre) and km_from_chord
        (across the motion, + left of it)."""
        by_side = {label: (sides, across) for label, sides, across in self.negative_by_side}
        report = []
        for name, clearance, consistent in self.negative:
            row = {"name": name, "clearance_km": clearance, "consistent": consistent}
            if name in by_side:
                sides, row["km_from_chord"] = by_side[name]
                row["clearance_km_by_side"] = {f"{side:+d}": c for side, c in sides.items()}
            report.append(row)
        return report


def compass_point(east_north):
    """The 8-point compass direction (N, NE, E, ...) of a vector given as (east, north)."""
    angle = math.degrees(math.atan2(east_north[0], east_north[1])) % 360.0            # from north through east
    return ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[int((angle + 22.5) // 45.0) % 8]
