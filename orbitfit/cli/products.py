"""orbitfit ephem and orbitfit sigma: SPK kernels, ephemeris tables and sky uncertainties from a saved solution."""
from __future__ import annotations

from ..bodies import body_name
from ..files import strict_json
from ..tables import plain_table
from .common import (UsageError, body_id, checked_number, date_span, dms, hms, load_solution, output_file,
                     requested_epochs, table_rows)

# the columns `orbitfit sigma` reports, in its JSON rows and (most of them) its printed table
SIGMA_COLUMNS = ("tdb", "sigma_ra_mas", "sigma_dec_mas", "sigma_s_mas", "major_mas", "minor_mas", "pa_deg",
                 "major_km", "minor_km", "distance_km")
# and, linear only, sigma_s of each part of the covariance (products.uncertainty.sigma_parts)
PART_COLUMNS = ("sigma_s_weights_mas", "sigma_s_bias_scatter_mas", "sigma_s_shared_mas")


def command_ephem(args):
    """SPK kernel and/or ephemeris table (RA, Dec with sigma, distance) from a saved solution; without --spk or
    --table the ephemeris is printed (a Horizons-like table, or JSON rows with --json)."""
    from ..products import export
    from ..times import iso_utc
    from spiceypy.utils.exceptions import SpiceyError
    output_file(args.spk, "--spk")                 # unwritable outputs fail before the solution is propagated
    output_file(args.table, "--table")
    naif = body_id(args.naif_id, "--naif-id")
    if args.spk and not args.table and (args.dates or args.date_list):  # a kernel spans --start..--stop, not dates
        raise UsageError("dates are for tables: the kernel spans --start .. --stop (or the fit's arc); add --table "
                         "for rows at the dates")
    solution = load_solution(args.solution)
    if not (args.spk or args.table):
        table = plain_table(export.ephemeris_table(solution, requested_epochs(args, solution), observer=args.observer))
        if args.json:
            print(strict_json({"body": int(solution.body), "observer": args.observer, "rows": table_rows(table)}))
        else:
            print_ephemeris(table, solution.body, args.observer)
        return 0
    outputs = {}
    if args.spk:
        span = date_span(args) if args.start or args.stop else None
        try:
            report = solution.to_spk(args.spk, naif_id=naif, span=span, spk_type=args.spk_type,
                                     center=args.spk_center)
        except SpiceyError as exc:                 # a SPICE message runs over a dozen lines; its short form names it
            raise UsageError(f"--spk {args.spk}: SPICE cannot write the kernel ({exc.short or 'error'})") from None
        outputs["spk"] = {"path": report.path, "naif_id": report.naif_id, "center": report.center,
                          "records": report.n_records, "interpolation_error_m": report.max_error_km * 1e3,
                          "start_utc": iso_utc(report.start_tdb, 0), "stop_utc": iso_utc(report.stop_tdb, 0),
                          "start_tdb_s": report.start_tdb, "stop_tdb_s": report.stop_tdb}
    if args.table:
        table = export.ephemeris_table(solution, requested_epochs(args, solution), observer=args.observer)
        export.write_table(table, args.table)
        outputs["table"] = {"path": args.table, "rows": len(table), "observer": args.observer}
    if args.json:
        print(strict_json(outputs))
    else:
        for kind, info in outputs.items():      # the TDB seconds are for scripts (--json); people read UTC
            print(f"written {kind}: {info['path']}  " + ", ".join(f"{k}={_short(v)}" for k, v in info.items()
                                                                   if k != "path" and not k.endswith("_tdb_s")))
    return 0


def _short(value):
    return f"{value:.3g}" if isinstance(value, float) else value


def print_ephemeris(table, body, observer):
    """A Horizons-like ephemeris on stdout: UTC, astrometric RA/Dec (ICRF, sexagesimal), distance (au), 1-sigma
    RA* and Dec (mas) and the 1-sigma error ellipse (mas, PA from north through east, and km)."""
    from dynamics.constants import AU_KM
    print(f"body {body} {body_name(body)}, observer {observer}: astrometric ICRF RA/Dec (light time, no "
          f"aberration), 1-sigma")
    header = (f"{'Date__(UT)__HR:MN:SS':20s}  {'R.A._(ICRF)':>13s}  {'DEC_(ICRF)':>13s}  {'delta_au':>12s}  "
              f"{'sRA*_mas':>9s} {'sDec_mas':>9s}  {'maj_mas':>8s} {'min_mas':>8s} {'PA_deg':>6s}  "
              f"{'maj_km':>8s} {'min_km':>8s}")
    print(header)
    print("*" * len(header))
    utc = table["utc"] if len(table) else []
    for row, when in zip(table, utc):
        print(f"{when[:19].replace('T', ' '):20s}  {hms(row['ra_deg']):>13s}  {dms(row['dec_deg']):>13s}  "
              f"{row['distance_km'] / AU_KM:12.9f}  {row['sigma_ra_mas']:9.2f} {row['sigma_dec_mas']:9.2f}  "
              f"{row['major_mas']:8.2f} {row['minor_mas']:8.2f} {row['pa_deg']:6.1f}  {row['major_km']:8.1f} "
              f"{row['minor_km']:8.1f}")
    print("*" * len(header))


def command_sigma(args):
    """1-sigma on the sky (RA*, Dec, sigma_s, ellipse in mas and km) at dates, linear or Monte Carlo."""
    from ..products.uncertainty import monte_carlo_sky, sky_uncertainty
    output_file(args.plot, "--plot")
    output_file(args.ellipses, "--ellipses")
    if args.clones:
        checked_number(args.clones, "--clones")
    solution = load_solution(args.solution)
    epochs = requested_epochs(args, solution)
    if args.clones:
        table, _ = monte_carlo_sky(solution, epochs, n_clones=args.clones, observer=args.observer,
                                   progress=not args.json)
    else:
        table = sky_uncertainty(solution, epochs, observer=args.observer)
    table = plain_table(table)
    table.meta.update({"body": int(solution.body), "observer": args.observer})
    if args.plot:
        from ..products.plots import plot_sigma
        plot_sigma(table, path=args.plot)
    if args.ellipses:
        from ..products.plots import plot_sky_ellipses
        plot_sky_ellipses(table, path=args.ellipses)
    from ..times import iso_utc
    if args.json:
        utc = iso_utc(table["tdb"], 3)                  # people and scripts read UTC; tdb stays for exactness
        columns = SIGMA_COLUMNS + (() if args.clones else PART_COLUMNS)
        print(strict_json({"body": int(solution.body), "observer": args.observer,
                           "method": f"monte carlo ({args.clones} clones)" if args.clones else "linear",
                           "rows": [{"utc": u, **row} for u, row in zip(utc, table_rows(table, columns))]}))
    else:
        print(f"body {solution.body} {body_name(solution.body)}, observer {args.observer}, "
              f"{'Monte Carlo, %d clones' % args.clones if args.clones else 'linear'} 1-sigma:")
        parts = "" if args.clones else f" {'weights':>8s} {'biases':>7s} {'shared':>7s}"
        print(f"{'UTC':23s} {'RA* mas':>8s} {'Dec mas':>8s} {'s mas':>7s} {'major':>7s} {'minor':>7s} {'PA':>6s} "
              f"{'major km':>9s}{parts}")
        for row in table:
            utc = iso_utc(row["tdb"], 3, fmt="iso")
            parts = "" if args.clones else "".join(f" {row[c]:{w}.2f}" for c, w in zip(PART_COLUMNS, (8, 7, 7)))
            print(f"{utc:23s} {row['sigma_ra_mas']:8.2f} {row['sigma_dec_mas']:8.2f} {row['sigma_s_mas']:7.2f} "
                  f"{row['major_mas']:7.2f} {row['minor_mas']:7.2f} {row['pa_deg']:6.1f} {row['major_km']:9.1f}"
                  f"{parts}")
        if not args.clones:
            print("weights, biases, shared: s of the parts of the covariance, which add in squares:\n"
                  "  weights  the fit's weights and the biases' prior (more data of the kind fitted shrinks it)\n"
                  "  biases   the apparition biases' scatter beyond their prior\n"
                  "  shared   the error every moon's prediction shares (no data of this moon shrinks it, except\n"
                  "           at the epochs of its precise observations, an occultation's)")
        for plot in (args.plot, args.ellipses):
            if plot:
                print(f"written plot: {plot}")
    return 0
