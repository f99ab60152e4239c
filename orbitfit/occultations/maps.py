"""A day/night map of an event's shadow path with sites and their chord probabilities (`plot_map`)."""
from __future__ import annotations

import numpy as np

from dynamics import constants as C

from ..tables import plain_table
from ..units import to_value
from .earth import altitude_deg, geodetic_from_itrs
from .sites import site_predictions, sites_itrs


LINE_STYLES = {"centre": ("#D55E00", "-", 1.6), "body": ("#0072B2", "-", 1.0), "1 sigma": ("#009E73", "--", 0.9),
               "3 sigma": ("#009E73", ":", 0.9)}


def wrap_breaks(lon, lat):
    """Insert NaN where the longitude jumps across the antimeridian, so a line is not drawn across the map."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    jumps = np.nonzero(np.abs(np.diff(lon)) > 180.0)[0] + 1
    return np.insert(lon, jumps, np.nan), np.insert(lat, jumps, np.nan)


def plot_map(event, path, sites=None, filename=None, title=None, sigma_km=None, central_longitude=None):
    """Equirectangular lon/lat map centred on `central_longitude` (default: the sub-body longitude at C/A, to 15
    deg): day/night shading from the solar altitude at C/A (day, civil, nautical, astronomical twilight, night),
    the path's lines (thick where visible: star up, Sun down; thin elsewhere), dots every 60 s on the centre line,
    the C/A point, and sites (MPC codes or (lon, lat[, height_km])) with their chord probabilities. No coastlines
    (no cartopy needed). Returns the matplotlib Figure (Agg); saves it if `filename`."""
    from ..observations.observers import gcrs_matrix_and_pole
    from ..products.plots import RC, new_figure, save_figure
    import matplotlib
    sigma_km = to_value(sigma_km, "km", "sigma_km")
    central_longitude = to_value(central_longitude, "deg", "central_longitude")
    if central_longitude is None:
        central_longitude = 15.0 * np.round(event.sub_body_longitude_deg / 15.0)
    centre_lon = (central_longitude + 180.0) % 360.0 - 180.0
    shift = lambda lon: (np.asarray(lon, dtype=float) - centre_lon + 180.0) % 360.0 - 180.0
    with matplotlib.rc_context(RC):
        fig = new_figure((8.0, 4.6))
        ax = fig.add_subplot(1, 1, 1)
        x_grid, lat_grid = np.meshgrid(np.linspace(-180, 180, 361), np.linspace(-90, 90, 181))
        matrix, _ = gcrs_matrix_and_pole([event.tdb])
        sun = event.ephemeris.position(C.SUN, [event.tdb])[0] - event.plane.earth_ssb[0, :3]
        sun_itrs = matrix[0].T @ (sun / np.linalg.norm(sun))
        sun_alt = altitude_deg(sun_itrs, x_grid + centre_lon, lat_grid)
        ax.contourf(x_grid, lat_grid, sun_alt, levels=[-90, -18, -12, -6, 0, 90],
                    colors=["0.55", "0.65", "0.75", "0.85", "1.0"], zorder=0)
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        ticks = np.arange(-180, 181, 30)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{(t + centre_lon + 180) % 360 - 180:.0f}" for t in ticks])
        ax.set_yticks(np.arange(-90, 91, 30))
        ax.grid(color="0.4", lw=0.3, alpha=0.6)
        ax.set_xlabel("east longitude (deg)")
        ax.set_ylabel("geodetic latitude (deg)")
        ax.set_aspect("equal")
        for i, label in enumerate(path.labels):
            key = ("centre" if label == "centre" else "body" if label.startswith("body") else
                   " ".join(label.split()[:2]) if "sigma" in label else "other")
            colour, style, width = LINE_STYLES.get(key, ("0.2", "-.", 0.8))
            x, y = wrap_breaks(shift(path.lon_deg[i]), path.lat_deg[i])
            ax.plot(x, y, color=colour, ls=style, lw=0.5 * width, alpha=0.5)
            visible = path.visible[i]
            x, y = wrap_breaks(np.where(visible, shift(path.lon_deg[i]), np.nan),
                                np.where(visible, path.lat_deg[i], np.nan))
            legend = key if (label == "centre" or label.endswith("+") or key == "other") else None
            ax.plot(x, y, color=colour, ls=style, lw=width * 1.5, label=legend if key != "other" else label)
        centre = path.labels.index("centre")
        on_earth = np.isfinite(path.lon_deg[centre])
        if on_earth.sum() > 1:
            # a dot every minute (geocentric-frame instants) on the centre line
            minutes = np.arange(np.ceil(path.tdb[on_earth][0] / 60.0), np.floor(path.tdb[on_earth][-1] / 60.0) + 1)
            lon_u = np.degrees(np.unwrap(np.radians(path.lon_deg[centre][on_earth])))
            x_m = shift(np.interp(minutes * 60.0, path.tdb[on_earth], lon_u))
            y_m = np.interp(minutes * 60.0, path.tdb[on_earth], path.lat_deg[centre][on_earth])
            ax.plot(x_m, y_m, "o", color=LINE_STYLES["centre"][0], ms=2.5)
        k = int(np.argmin(np.abs(path.tdb - event.tdb)))
        if np.isfinite(path.lon_deg[centre, k]):
            ax.plot(shift(path.lon_deg[centre, k]), path.lat_deg[centre, k], "o", color="#CC0000", ms=7, mec="k",
                    label="C/A")
        if sites is not None:
            sigma = path.sigma_km if sigma_km is None else sigma_km
            table = site_predictions(event, sites, sigma or 0.0)
            names, itrs = sites_itrs(sites)
            lon, lat = geodetic_from_itrs(itrs)
            for name, x, y, p in zip(names, shift(lon), lat, table["probability"]):
                ax.plot(x, y, "^", color="k", ms=4)
                ax.annotate(f"{name} {100 * p:.0f}%", (x, y), xytext=(3, 3), textcoords="offset points",
                            fontsize=7)
        sigma_text = "" if path.sigma_km is None else f"  1σ {path.sigma_km:.0f} km"
        ax.set_title(title or (f"{event.utc[:19]} UTC  star {event.star.source_id[0]}  C/A {event.ca_arcsec:.3f}\"  "
                               f"P/A {event.pa_deg:.1f}  v {event.velocity_km_s:+.1f} km/s  "
                               f"D {event.distance_au:.2f} au{sigma_text}"))
        ax.legend(loc="lower left", fontsize=7, frameon=True)
        if filename is not None:
            save_figure(fig, filename)
    return fig


MOTION_COLOUR = "#D55E00"


def plot_track_ellipse(event, solution=None, ax=None, colour="#0072B2", label="1σ ellipse", motion=True,
                       path=None, title=None):
    """The 1-sigma sky error ellipse at an occultation's closest approach, in km at the body's distance, with the
    cross-track 1-sigma across the shadow's motion: what decides whether the shadow reaches a station.

    - `event`: an `orbitfit.occultations.Occultation` (from `predict` or `search`); the ellipse is the linear
      geocentric `sky_uncertainty` of `solution` (default: the event's own) at the event's C/A, the bar is
      `event.cross_track_sigma_km(solution)` along `event.cross_track_unit()`, drawn on both sides of the centre.
      Passing another solution (e.g. after a refit) draws its ellipse on the same geometry.
    - `motion`: also an arrow along the apparent motion of the shadow (direction of `event.plane` df, dg).
    - `ax`: None (a new figure) or an Axes to draw into (several ellipses on one panel: the limits grow to hold
      the largest, 1.25 semi-major axes).

    Axes: east (km) to the LEFT, north (km) up, equal scales, centred on the predicted position. The lines have
    gids "track-ellipse" (x = east, y = north, km) and "cross-track-sigma". Returns the Figure.
    """
    import matplotlib
    from ..model import MAS_PER_RAD
    from ..products.plots import RC, ellipse_points, new_figure, save_figure
    from ..products.uncertainty import sky_uncertainty
    solution = solution if solution is not None else event.solution
    if solution is None:
        raise ValueError("plot_track_ellipse: the event has no solution; pass solution=...")
    row = plain_table(sky_uncertainty(solution, [event.tdb], observer="500"))[0]
    s_ra, s_dec, corr = float(row["sigma_ra_mas"]), float(row["sigma_dec_mas"]), float(row["corr"])
    km_per_mas = float(event.plane.distance_km[0]) / MAS_PER_RAD
    points = ellipse_points(s_ra ** 2, corr * s_ra * s_dec, s_dec ** 2) * km_per_mas
    across = event.cross_track_unit()                          # (east, north), left of the motion
    sigma_km = event.cross_track_sigma_km(solution)
    major_km = float(row["major_km"])

    with matplotlib.rc_context(RC):
        if ax is None:
            fig = new_figure((4.6, 4.4))
            ax = fig.add_subplot(1, 1, 1)
            previous = 0.0
        else:
            fig = ax.figure
            previous = abs(ax.get_ylim()[1]) if ax.lines else 0.0
        line, = ax.plot(points[:, 0], points[:, 1], color=colour, lw=1.5, label=label)
        line.set_gid("track-ellipse")
        bar, = ax.plot([-sigma_km * across[0], sigma_km * across[0]], [-sigma_km * across[1], sigma_km * across[1]],
                       color=colour, lw=3, alpha=0.5, label=f"σ cross-track {sigma_km:.0f} km")
        bar.set_gid("cross-track-sigma")
        reach = max(1.25 * major_km, previous)
        if motion:
            along = np.array([across[1], -across[0]])          # the motion: 90 deg clockwise from `across`
            ax.annotate("", xy=tuple(0.9 * reach * along), xytext=(0.0, 0.0),
                        arrowprops=dict(arrowstyle="->", color=MOTION_COLOUR, lw=1.5))
            ax.plot([], [], color=MOTION_COLOUR, label="apparent motion")
        ax.set_aspect("equal")
        ax.set_xlim(reach, -reach)                             # east to the left, as on the sky
        ax.set_ylim(-reach, reach)
        ax.set_xlabel("east (km)")
        ax.set_ylabel("north (km)")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=7.5, loc="lower left")
        if title is not None:
            ax.set_title(title, fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
