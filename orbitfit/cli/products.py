"""orbitfit ephem and orbitfit sigma: SPK kernels, ephemeris tables and sky uncertainties from a saved solution."""
from __future__ import annotations

import json

from .common import UsageError, checked_number, date_span, load_solution, output_file, requested_epochs


def command_ephem(args):
    """SPK kernel and/or ephemeris table (RA, Dec with sigma, distance) from a saved solution."""
    from ..products import export
    from spiceypy.utils.exceptions import SpiceyError
    output_file(args.spk, "--spk")                 # unwritable outputs fail before the solution is propagated
    output_file(args.table, "--table")
    solution = load_solution(args.solution)
    outputs = {}
    if args.spk:
        span = date_span(args) if args.start or args.stop else None
        try:
            report = solution.to_spk(args.spk, naif_id=args.naif_id, span=span, spk_type=args.spk_type)
        except SpiceyError as exc:                 # a SPICE message runs over a dozen lines; its short form names it
            raise UsageError(f"--spk {args.spk}: SPICE cannot write the kernel ({exc.short or 'error'})") from None
        outputs["spk"] = {"path": report.path, "naif_id": report.naif_id, "center": report.center,
                          "records": report.n_records, "interpolation_error_m": report.max_error_km * 1e3,
                          "start_tdb_s": report.start_tdb, "stop_tdb_s": report.stop_tdb}
    if args.table:
        table = export.ephemeris_table(solution, requested_epochs(args, solution), observer=args.observer)
        export.write_table(table, args.table)
        outputs["table"] = {"path": args.table, "rows": len(table), "observer": args.observer}
    if not outputs:
        raise UsageError("nothing to do: give --spk FILE and/or --table FILE")
    if args.json:
        print(json.dumps(outputs, indent=2))
    else:
        for kind, info in outputs.items():
            print(f"written {kind}: {info['path']}  " + ", ".join(f"{k}={v}" for k, v in info.items() if k != "path"))
    return 0


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
    table.meta.update({"body": int(solution.body), "observer": args.observer})
    if args.plot:
        from ..products.plots import plot_sigma
        plot_sigma(table, path=args.plot)
    if args.ellipses:
        from ..products.plots import plot_sky_ellipses
        plot_sky_ellipses(table, path=args.ellipses)
    columns = ["tdb", "sigma_ra_mas", "sigma_dec_mas", "sigma_s_mas", "major_mas", "minor_mas", "pa_deg",
               "major_km", "minor_km", "distance_km"]
    if args.json:
        print(json.dumps({"body": int(solution.body), "observer": args.observer,
                          "method": f"monte carlo ({args.clones} clones)" if args.clones else "linear",
                          "rows": [{c: float(row[c]) for c in columns} for row in table]}, indent=2))
    else:
        from ..times import iso_utc
        print(f"body {solution.body}, observer {args.observer}, "
              f"{'Monte Carlo, %d clones' % args.clones if args.clones else 'linear'} 1-sigma:")
        print(f"{'UTC':23s} {'RA* mas':>8s} {'Dec mas':>8s} {'s mas':>7s} {'major':>7s} {'minor':>7s} {'PA':>6s} "
              f"{'major km':>9s}")
        for row in table:
            utc = iso_utc(row["tdb"], 3, fmt="iso")
            print(f"{utc:23s} {row['sigma_ra_mas']:8.2f} {row['sigma_dec_mas']:8.2f} {row['sigma_s_mas']:7.2f} "
                  f"{row['major_mas']:7.2f} {row['minor_mas']:7.2f} {row['pa_deg']:6.1f} {row['major_km']:9.1f}")
        for plot in (args.plot, args.ellipses):
            if plot:
                print(f"written plot: {plot}")
    return 0
