"""Finding occultations: a vectorised candidate search of a star catalogue (`search`, giving `Predictions`), one
star's event (`predict`) and a star placed on the body's line of sight for planning and tests (`synthetic_star`).

    import orbitfit
    from orbitfit.occultations import Star, search
    stars = Star.from_table(gaia_table)                     # Gaia DR3 columns, epoch J2016.0
    found = search(solution, stars, "2019-01-01", "2020-01-01", radius_km=75)
    print(found.table)                                      # instant, C/A, P/A, velocity, distance, ...
    event = found[0]                                        # an Occultation
"""
from __future__ import annotations

import html

import numpy as np

from dynamics import constants as C

from ..tables import quantity_table
from ..times import JULIAN_YEAR_S, tdb_to_utc_iso, to_tdb_seconds
from ..units import to_value
from .earth import EARTH_RADIUS_KM
from .event import EVENT_COLUMNS, Occultation, event_columns
from .plane import closest_approach, fundamental_plane
from .stars import MAS_PER_RAD, Star
from .target import as_target

DEFAULT_SEARCH_STEP_S = 600.0


class Predictions:
    """The events a search found, sorted by time: `table` (astropy Table, one row per event, columns of
    `event_columns`) and the events themselves (`predictions[i]` is an Occultation; iteration)."""

    def __init__(self, stars, rows, plane, target, ephemeris, solution, radius_km, body_mag, meta):
        order = np.argsort(plane.tdb, kind="stable")
        self.stars, self.rows, self.plane = stars, np.asarray(rows)[order], plane.take(order)
        self.target, self.ephemeris, self.solution = target, ephemeris, solution
        self.radius_km, self.body_mag, self.meta = radius_km, body_mag, meta

    def __len__(self):
        return self.rows.size

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return Occultation(self.stars[int(self.rows[index])], self.target, self.ephemeris,
                           self.plane.take(slice(index, index + 1 if index != -1 else None)),
                           self.radius_km, self.solution, self.body_mag)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        meta = self.meta
        return (f"Predictions({len(self)} events, {meta.get('start_utc', '?')} to {meta.get('stop_utc', '?')} UTC, "
                f"{meta.get('n_stars', '?')} stars searched)")

    def _repr_html_(self):
        """Jupyter's view: a table of the events (the columns of `table`), under a one-line caption."""
        table = self.table
        table.meta.clear()                  # the search parameters are in the caption, not above the table
        return f"<p>{html.escape(repr(self))}</p>\n" + table._repr_html_()

    @property
    def table(self):
        """QTable, one row per event: `utc` (Time), `tdb` (s) and the columns of `event_columns` with units."""
        from astropy.table import Table
        if len(self) == 0:
            table = Table(names=EVENT_COLUMNS, dtype=[object, str] + [float] * (len(EVENT_COLUMNS) - 2))
        else:
            columns = event_columns(self.plane, self.stars[self.rows], self.body_mag)
            table = Table([columns[name] for name in EVENT_COLUMNS], names=EVENT_COLUMNS)
        return quantity_table(table, meta=self.meta)


def search(body, stars, start, stop, radius_km, *, ephemeris=None, step_s=DEFAULT_SEARCH_STEP_S, max_ca_km=None,
           margin_km=0.0, max_ca_arcsec=None, body_mag=None, return_stats=False):
    """Occultation candidates of `stars` by `body` between `start` and `stop`.

    body : a Solution or a target callable ((n,) TDB s -> (n, 6) SSB states, e.g. `model.spk_target`).
    stars : a Star (catalogue) or a table with Gaia columns (see Star.from_table).
    start, stop : TDB seconds, astropy Times or UTC strings.
    radius_km : the body's radius. An event is kept when its geocentric C/A in the fundamental plane is below
        max_ca_km (default: Earth's equatorial radius + radius + margin_km, i.e. the shadow +- margin touches the
        Earth's disk). max_ca_arcsec: keep events with the angular C/A below this instead (the tables of Gomes-Junior et al. 2016
        list every C/A < 2", up to 8900 km, so they need max_ca_arcsec=2).
    step_s : spacing of the coarse ephemeris grid.
    body_mag : the body's magnitude, for the magnitude drop.
    Lengths, angles and durations may be astropy Quantities (radius_km=75 * u.km, max_ca_arcsec=2 * u.arcsec,
    step_s=10 * u.min); plain numbers are in the units the names say.

    Method: (1) the body's geocentric, light-time corrected direction on a grid of step_s; (2) a k-d tree of the grid
    directions; each star (carried by its proper motion to mid-span) is matched to its nearest grid direction with a
    bound = the angular C/A limit + half the largest grid step + the star's own proper-motion drift over the half
    span + its parallax (stars grouped by that bound, one query per group); (3) for the few stars within their
    bound, all grid points within it, split into runs of consecutive points, and every local minimum of the
    distance along a run is an encounter (a star can be approached twice near a stationary point, even without
    the body leaving the bound in between); (4) Newton refinement of each encounter on the exact geometry (two
    guesses that converge on the same instant count once).
    """
    from scipy.spatial import cKDTree
    radius_km, margin_km = to_value(radius_km, "km", "radius_km"), to_value(margin_km, "km", "margin_km")
    step_s = to_value(step_s, "s", "step_s")
    max_ca_km = to_value(max_ca_km, "km", "max_ca_km")
    max_ca_arcsec = to_value(max_ca_arcsec, "arcsec", "max_ca_arcsec")
    body_mag = to_value(body_mag, "mag", "body_mag")
    t_start, t_stop = to_tdb_seconds(start), to_tdb_seconds(stop)
    if not t_stop > t_start:
        raise ValueError("search: stop must be after start")
    if not isinstance(stars, Star):
        stars = Star.from_table(stars)
    target, ephemeris, solution = as_target(body, t_start, t_stop, ephemeris)
    limit_km = max_ca_km if max_ca_km is not None else EARTH_RADIUS_KM + radius_km + margin_km

    # (1) coarse grid of the body's geocentric direction
    from ..model import solve_light_time
    n_grid = int(np.ceil((t_stop - t_start) / step_s)) + 1
    grid = t_start + np.arange(n_grid) * step_s
    grid[-1] = min(grid[-1], t_stop)
    earth = ephemeris.position(C.EARTH, grid)
    _, state = solve_light_time(grid, earth, target)
    rho = state[:, :3] - earth
    distance = np.linalg.norm(rho, axis=1)
    u = rho / distance[:, None]
    limit_rad = float(np.arcsin(min(limit_km / distance.min(), 1.0))) if max_ca_arcsec is None else \
        max_ca_arcsec * 1000.0 / MAS_PER_RAD
    half_step = 0.5 * float(np.linalg.norm(np.diff(u, axis=0), axis=1).max()) if n_grid > 1 else 0.0

    # (2) stars at mid-span, nearest grid point within each star's bound
    mid = 0.5 * (t_start + t_stop)
    v = stars.direction(mid)
    half_span_yr = 0.5 * (t_stop - t_start) / JULIAN_YEAR_S
    pm_total = np.hypot(stars.pmra_mas_yr, stars.pmdec_mas_yr)
    parallax = np.nan_to_num(np.maximum(stars.parallax_mas, 0.0))
    extra = (pm_total * half_span_yr * 1.01 + parallax * 1.02) / MAS_PER_RAD     # Earth <= 1.017 au from the SSB
    base = (limit_rad + half_step) * 1.001 + 1e-9
    tree = cKDTree(u)
    group = np.ceil(np.log2(1.0 + extra / base)).astype(int)
    near = np.zeros(len(stars), dtype=bool)
    for level in np.unique(group):
        sel = np.nonzero(group == level)[0]
        d, _ = tree.query(v[sel], distance_upper_bound=base * 2.0 ** level)
        near[sel] = d <= base + extra[sel]
    candidates = np.nonzero(near)[0]

    # (3) every encounter of each nearby star: runs of consecutive grid points within its bound
    rows, guesses = [], []
    if candidates.size:
        balls = tree.query_ball_point(v[candidates], r=base + extra[candidates])
        for star_index, points in zip(candidates, balls):
            points = np.sort(np.asarray(points, dtype=int))
            if points.size == 0:
                continue
            breaks = np.nonzero(np.diff(points) > 1)[0] + 1
            for run in np.split(points, breaks):
                # every local minimum of the grid distance: the body may turn back without leaving the bound
                d = np.linalg.norm(u[run] - v[star_index], axis=1)
                padded = np.concatenate([[np.inf], d, [np.inf]])
                minima = np.nonzero((d <= padded[:-2]) & (d < padded[2:]))[0]
                rows.extend([star_index] * minima.size)
                guesses.extend(grid[run[minima]])
    rows, guesses = np.asarray(rows, dtype=int), np.asarray(guesses, dtype=float)

    # (4) refine on the exact geometry and keep what passes the limit inside [start, stop]
    meta = {"start_utc": tdb_to_utc_iso(t_start, 0), "stop_utc": tdb_to_utc_iso(t_stop, 0),
            "radius_km": float(radius_km), "max_ca_km": None if max_ca_arcsec is not None else float(limit_km),
            "max_ca_arcsec": max_ca_arcsec, "n_stars": len(stars),
            "step_s": float(step_s)}
    if rows.size:
        plane, converged = closest_approach(target, stars, guesses, ephemeris, rows=rows, bracket_s=step_s)
        close = plane.ca_km <= limit_km if max_ca_arcsec is None else plane.ca_mas <= max_ca_arcsec * 1000.0
        keep = converged & close & (plane.tdb >= t_start) & (plane.tdb <= t_stop)
        keep = np.nonzero(keep)[0]
        # two runs of one star converging on the same minimum count once
        _, unique = np.unique(np.stack([rows[keep], np.round(plane.tdb[keep])], axis=1), axis=0, return_index=True)
        keep = keep[np.sort(unique)]
        plane, kept_rows = plane.take(keep), rows[keep]
    else:
        plane = fundamental_plane(target, stars, np.zeros(0), ephemeris, rows=np.zeros(0, dtype=int))
        kept_rows = rows
    result = Predictions(stars, kept_rows, plane, target, ephemeris, solution, float(radius_km), body_mag, meta)
    if return_stats:
        return result, {"n_grid": n_grid, "n_near": int(candidates.size), "n_refined": int(rows.size)}
    return result


def predict(body, star, near, radius_km=0.0, *, ephemeris=None, body_mag=None, bracket_s=3600.0):
    """The occultation of one `star` (Star of length 1) by `body` (Solution or target callable) closest to the
    instant `near` (TDB s, Time or UTC string); returns an Occultation (whatever its C/A). radius_km and
    bracket_s (the half-width searched, seconds) may be astropy Quantities."""
    radius_km, bracket_s = to_value(radius_km, "km", "radius_km"), to_value(bracket_s, "s", "bracket_s")
    body_mag = to_value(body_mag, "mag", "body_mag")
    t = to_tdb_seconds(near)
    if len(star) != 1:
        raise ValueError("predict: give one star (use search for catalogues)")
    target, ephemeris, solution = as_target(body, t - 2 * bracket_s, t + 2 * bracket_s, ephemeris)
    plane, converged = closest_approach(target, star, [t], ephemeris, bracket_s=bracket_s)
    return Occultation(star, target, ephemeris, plane, float(radius_km), solution, body_mag, bool(converged[0]))


def synthetic_star(body, when, ephemeris=None, source_id="SYNTHETIC"):
    """A star (no motion, epoch `when`) exactly on the body's geocentric astrometric line of sight at `when`:
    its shadow centre crosses the geocentre then. For planning ("what would an event here give?") and tests."""
    from ..model import radec_from_unit, solve_light_time
    t = to_tdb_seconds(when)
    target, ephemeris, _ = as_target(body, t - C.SECONDS_PER_DAY, t + C.SECONDS_PER_DAY, ephemeris)
    earth = ephemeris.position(C.EARTH, [t])
    _, state = solve_light_time(np.array([t]), earth, target)
    line = state[:, :3] - earth
    ra, dec = radec_from_unit(line / np.linalg.norm(line, axis=1)[:, None])
    return Star(np.degrees(ra), np.degrees(dec), epoch=2000.0 + t / JULIAN_YEAR_S, source_id=[source_id])
