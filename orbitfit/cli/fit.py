"""orbitfit demo and orbitfit fit: the fit commands, with the fit options generated from FitOptions' fields."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..progress import fit_logger
from ..times import JULIAN_YEAR_S
from ..files import strict_json
from .common import (UsageError, body_id, output_folder, parse_date, print_report, read_observations, save_outputs,
                     solution_report, utf8_input, write_atomic)

PRESETS = ("default", "gomes-junior-2016")      # FitOptions() and FitOptions.gomes_junior_2016()
STARTS = ("gomes-junior-2016", "auto")           # published STE elements, or an automatic initial orbit
# the keys of a fit configuration (TOML) with their types and what the error says is expected; [options] is checked
# by FitOptions itself
CONFIG_KEYS = {"files": (list, "a list of file names"), "body": ((int, str), "a NAIF id (513) or a name (\"Leda\")"),
               "start": (str, "a string: " + " or ".join(STARTS)), "epoch": (str, "an ISO date string (quoted)"),
               "out": (str, "a folder name"), "preset": (str, "a string: " + " or ".join(PRESETS)),
               "seed003_weighting": (bool, "true or false"), "options": (dict, "a table [options]"),
               "de_kernel": (str, "a file name (a JPL DE SPK)"),
               "moons_kernel": (str, "a file name (an SPK with 501-504 relative to 5)"),
               "embedded": (bool, "true or false"), "check": (bool, "true or false")}


def command_demo(args):
    """Fit Himalia to every embedded data set (1894-2022, Gaia DR3 transits as normal points) with the default
    weighting, then check what its sigma means: the Gaia DR3 transits after 2016-06-01 predicted by a fit of the
    data before, every transit as Gaia gave it (`orbitfit.validation.check_solution`)."""
    from ..estimation.least_squares import fit_orbit
    from ..estimation.options import FitOptions
    from ..estimation.published import gomes_junior_2016_orbit
    from ..observations.datasets import load_all
    from ..products.uncertainty import SIGMA_PARTS, sky_uncertainty
    from ..validation import check_solution
    output_folder(args.out)                                    # fail before the fit, not after it
    start = time.perf_counter()
    observations, report = load_all("Himalia")
    # the defaults: per-site floors, estimated night correlation, biases and refraction, each moon's own Gaia floor
    # (load_all), a sigma that considers the apparition biases' measured scatter and the error every moon's
    # prediction shares
    options = FitOptions()
    log, bar = fit_logger("fitting Himalia", enabled=not args.json)
    solution = fit_orbit(observations, gomes_junior_2016_orbit("Himalia"), options, log=log)
    bar.close()
    elapsed = time.perf_counter() - start
    # the check under the harness' rule, every transit as Gaia gave it (check_solution says why)
    check = check_solution(solution, load_all("Himalia", gaia_visit_offsets=None)[0]).summary
    outputs = save_outputs(solution, args.out, "himalia")
    result = solution_report(solution, elapsed, outputs)
    # what was read and what became of it: rows = deduplicated + duplicates dropped; then Gaia's CCD rows become
    # transit normal points (kept: the rows fitted); the notes name the units rejected whole and why
    result["read"] = {"data_sets": len(report.sources), "rows": report.rows, "duplicates_dropped":
                      len(report.duplicates), "deduplicated": report.kept, "kept": len(observations),
                      "notes": list(report.notes)}
    result["held_out_check"] = _check_report(check)
    # where the 1-sigma comes from today (products.uncertainty.sigma_parts): what more data would shrink and not
    today = time.strftime("%Y-%m-%d", time.gmtime())
    sky = sky_uncertainty(solution, today)[0]
    result["sigma_today"] = {"utc": today, "observer": "500", "sigma_s_mas": float(sky["sigma_s_mas"].value),
                             **{f"sigma_s_{p}_mas": float(sky[f"sigma_s_{p}_mas"].value) for p in SIGMA_PARTS}}
    write_atomic(Path(args.out) / "himalia.json", strict_json(result) + "\n")
    if args.json:
        print(strict_json(result))
    else:
        years = 2000.0 + np.asarray(observations["tdb"], float)[[0, -1]] / JULIAN_YEAR_S
        print(f"orbitfit demo: Himalia from {len(observations)} positions of {len(report.sources)} embedded data "
              f"sets ({int(years[0])}-{int(years[1])}, Gaia DR3 as transit normal points), default weighting, in "
              f"{elapsed:.1f} s")
        print(f"read {report.rows} rows: {len(report.duplicates)} duplicates dropped, {report.kept} left; "
              f"{len(observations)} fitted" + "".join(f"\n  {note}" for note in report.notes))
        print_report(result, solution)
        print(_check_sentence(check))
        part = result["sigma_today"]
        print(f"where it comes from, today ({today}, geocentric): sigma_s {part['sigma_s_mas']:.1f} mas = "
              f"{part['sigma_s_weights_mas']:.1f} from the fit's weights and the biases' prior, "
              f"{part['sigma_s_bias_scatter_mas']:.1f} from the apparition biases' scatter beyond it and "
              f"{part['sigma_s_shared_mas']:.1f} from the error every moon's prediction shares, in squares (more "
              f"astrometry shrinks the first; an occultation pins all three at its epoch; orbitfit sigma prints them "
              f"at any date)")
        print("the same fit of another moon, or with a new batch of astrometry added: orbitfit fit --embedded "
              "--body Elara [files]")
    return 0


def _check_report(check):
    from ..validation import DEFAULT_CUT
    return {"test": f"Gaia DR3 transits after {DEFAULT_CUT} predicted by a fit of the data before, every transit as "
                    "Gaia gave it (orbitfit.validation.check_solution)", **check}


def _check_sentence(check):
    """The held-out check (`check_solution`'s summary) said in one sentence."""
    from ..validation import DEFAULT_CUT
    if not check["n"]:
        return (f"no held-out check: no Gaia DR3 transit of this body after {DEFAULT_CUT} among the observations "
                "(--embedded brings the embedded ones)")
    low, high = check["honest_rms_normalised_90"]
    return (f"what the 1-sigma means, checked on data no fit saw: the {check['n']} Gaia DR3 transits after "
            f"{DEFAULT_CUT}, predicted by a fit of the data before (every transit as Gaia gave it), are off by "
            f"{check['rms_mas']:.1f} mas rms along the scan, {check['rms_normalised']:.2f} times the predicted sigma "
            f"(rms; an honest sigma gives {low:.2f}-{high:.2f} for these {check['visits']} Gaia visits, 90%), "
            f"{100 * check['within_1sigma']:.0f}% within 1 sigma")


def _load_config(path):
    from ..estimation.options import option_fields
    from ..files import read_toml
    with utf8_input(path):
        config = read_toml(path, UsageError, "config file")
    unknown = set(config) - set(CONFIG_KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown keys {sorted(unknown)}; allowed: {', '.join(CONFIG_KEYS)}")
    for key, value in config.items():
        kind, expected = CONFIG_KEYS[key]
        wrong = not isinstance(value, kind) or isinstance(value, bool) and kind is not bool    # True is an int
        if wrong or key == "files" and not all(isinstance(name, str) for name in value):
            raise UsageError(f"{path}: {key} must be {expected}, not {value!r}")
    names = [name for name, *_ in option_fields()]
    bad = set(config.get("options", {})) - set(names)
    if bad:
        raise UsageError(f"{path}: unknown [options] {sorted(bad)}; allowed: {', '.join(names)}")
    return config


def _option_value(name, value, where):
    """A FitOptions value from a command-line or TOML word ("estimated", "none") or value."""
    from ..estimation.options import option_fields
    choices = {n: c for n, _, _, _, c in option_fields()}[name]
    if choices and isinstance(value, str) and value in choices:
        return choices[value]
    if choices and value not in choices.values():
        raise UsageError(f"{where}: {name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _fit_options(args, config):
    """FitOptions from the preset, then the config's [options], then the command line: built once, so every value
    is validated by FitOptions itself; its error is prefixed with where the option came from."""
    import dataclasses
    from ..estimation.options import FitOptions, option_fields
    preset = getattr(args, "preset", None) or config.get("preset", "default")
    if args.seed003_weighting or config.get("seed003_weighting"):
        print("orbitfit fit: --seed003-weighting is now --preset gomes-junior-2016", file=sys.stderr)
        preset = "gomes-junior-2016"
    if preset not in PRESETS:
        where_preset = "--preset" if getattr(args, "preset", None) else f"{args.config}: preset"
        raise UsageError(f"{where_preset}: unknown preset {preset!r}: use one of {', '.join(PRESETS)}")
    where = {name: f"{args.config}: [options]" for name in config.get("options", {})}
    values = {name: _option_value(name, value, args.config) for name, value in config.get("options", {}).items()}
    for name, *_ in option_fields():
        value = getattr(args, name, None)
        if value is not None:
            values[name] = _option_value(name, value, "command line")
            where[name] = "--" + name.replace("_", "-") + ":"
    epoch = args.epoch or config.get("epoch")
    if epoch:
        values["epoch"] = parse_date(epoch, name="--epoch" if args.epoch else f"{args.config}: epoch")
    base = FitOptions.gomes_junior_2016() if preset == "gomes-junior-2016" else FitOptions()
    try:
        return dataclasses.replace(base, **values)
    except ValueError as exc:                # FitOptions' messages start with the option's name
        name = str(exc).split()[0]
        raise UsageError(f"{where[name]} {exc}" if name in where else str(exc)) from None


def command_fit(args):
    """Fit one satellite to observation files (with --embedded, every embedded data set of it too)."""
    from ..estimation.least_squares import fit_orbit
    from ..observations import Observations
    config = _load_config(args.config) if args.config else {}
    files = list(args.files) or list(config.get("files", []))
    embedded = args.embedded if args.embedded is not None else config.get("embedded", False)
    if not files and not embedded:
        raise UsageError("no observation files given (positional FILE arguments or 'files' in the config; "
                         "--embedded fits the embedded data sets of --body)")
    body = body_id(args.body) if args.body is not None else body_id(config.get("body"), f"{args.config}: body")
    tables, rejected = [], []
    for name in files:
        table, report = read_observations(name, args.format, body)
        if not args.json:
            print(report)
        tables.append(table)
        rejected.extend(report.rejected)
    observations = Observations.concatenate(tables)
    bodies = sorted(set(np.asarray(observations["body"]).tolist()))
    if body is None:
        if len(bodies) > 1:
            raise UsageError(f"the files hold several bodies {bodies}: choose one with --body")
        if not bodies:
            raise UsageError(f"no observation kept from {', '.join(files)}: {len(rejected)} rejected"
                             + (f", the first {rejected[0]}" if rejected else "") if files
                             else "--embedded needs the body: --body NAME or a 'body' in the config")
        body = bodies[0]
    observations = observations[np.asarray(observations["body"]) == int(body)]
    if len(observations) == 0 and files:
        raise UsageError(f"no observations of body {body} in the files (bodies present: {bodies})")
    options = _fit_options(args, config)                      # bad options fail before anything long is done
    file_rows, gaia = observations, None
    with_transits = not args.gaia_ccd and (np.asarray(observations["kind"]).astype(str) == "gaia").any()
    if with_transits:
        # a Gaia transit is one measurement, precise along the scan only (orbitfit.observations.gaia), taken as
        # load_all takes it: the moon's own floor, freed of its visit's error common to the moons
        from ..observations.gaia_visits import as_gaia_transits
        table, notes, gaia = as_gaia_transits(observations, int(body))
        observations = Observations(table, copy=False)
        if not args.json:
            print("\n".join([notes[0] + "; --gaia-ccd keeps the CCD rows", *notes[1:]]))
    read = None
    if embedded:
        observations, read = _with_embedded(observations, int(body), quiet=args.json)
    model = _orbit_model(args, config, int(body), observations)             # and a bad kernel
    out = output_folder(args.out or config.get("out", "orbitfit-fit"))      # and a bad folder before the fit
    start_spec = args.start or config.get("start", STARTS[0])
    initial = _initial_orbit(start_spec, int(body), observations)
    begin = time.perf_counter()
    log, bar = fit_logger(f"fitting {body}", enabled=not args.json, max_iterations=options.max_iterations)
    solution = fit_orbit(observations, initial, options, log=log, model=model)
    bar.close()
    elapsed = time.perf_counter() - begin
    outputs = save_outputs(solution, out, f"fit_{body}")
    result = solution_report(solution, elapsed, outputs)
    if gaia is not None:
        result["gaia_transits"] = gaia
    if read is not None:
        result["embedded"] = read
    checked = args.check or config.get("check", False)
    if checked:
        check = _held_out_check(solution, file_rows, with_transits, embedded)
        result["held_out_check"] = _check_report(check)
    if args.json:
        print(strict_json(result))
    else:
        print_report(result, solution)
        if checked:
            print(_check_sentence(check))
    return 0


def _held_out_check(solution, file_rows, with_transits, embedded):
    """`check_solution` for a fit of the command: the files' rows (and with --embedded every embedded data set) with
    the Gaia transits as Gaia gave them."""
    from ..observations import Observations
    from ..observations.datasets import load_all
    from ..observations.gaia_visits import as_gaia_transits
    from ..validation import check_solution
    rows = Observations(as_gaia_transits(file_rows, solution.body, visit_offsets=None)[0], copy=False) \
        if with_transits else file_rows
    if embedded:
        rows = Observations.concatenate([load_all(solution.body, gaia_visit_offsets=None)[0], rows])
    return check_solution(solution, rows).summary


def _with_embedded(observations, body, quiet=False):
    """Every embedded data set of `body` (`load_all`, as `orbitfit demo` reads Himalia's) with the files' rows after
    them; a file's row that copies an embedded one is dropped by the fit (`fit_orbit`'s duplicate rule) and listed in
    its report; an embedded Gaia transit that the files' Gaia records of another release (FPR) observe again is
    replaced by them (`gaia_archive.without_superseded`) and said. Returns (observations, what was read as a dict
    for the JSON report)."""
    from ..bodies import NAIF_NAMES
    from ..observations import Observations
    from ..observations.datasets import load_all
    from ..observations.gaia_archive import without_superseded
    embedded, report = load_all(body)
    if len(embedded) == 0:
        raise UsageError(f"--embedded: no embedded data set holds body {body} ({NAIF_NAMES.get(body, 'unknown')})")
    # a file's Gaia records of another release (FPR) that observe an embedded DR3 transit again replace it
    embedded, superseded = without_superseded(embedded, observations)
    notes = list(report.notes) + ([f"{len(superseded)} embedded Gaia transits observed again by the files' Gaia "
                                   f"records of another release, which replace them: {', '.join(superseded)}"]
                                  if superseded else [])
    read = {"data_sets": len(report.sources), "rows": report.rows, "duplicates_dropped": len(report.duplicates),
            "deduplicated": report.kept, "kept": len(embedded), "superseded": superseded, "notes": notes}
    if not quiet:
        print(f"embedded: {len(embedded)} positions of {NAIF_NAMES.get(body, body)} from {len(report.sources)} data "
              f"sets ({report.rows} rows read, {len(report.duplicates)} duplicates among them dropped)"
              + "".join(f"\n  {note}" for note in notes))
    return Observations.concatenate([embedded, observations]), read


def _orbit_model(args, config, body, observations):
    """The body's default model (its companions), with the planetary ephemeris and the moons' kernel the command
    line or the config names; None for the defaults (fit_orbit's own rule). A kernel that is missing, is not the
    kind asked for, or does not cover the observations is a UsageError before the fit."""
    from dynamics.ephemeris import Ephemeris, EphemerisError
    from ..companions import default_model
    from ..times import iso_tdb
    chosen = {}
    for key, flag in (("de_kernel", "--de-kernel"), ("moons_kernel", "--moons-kernel")):
        path = getattr(args, key, None) or config.get(key)
        if path is not None:
            where = flag if getattr(args, key, None) else f"{args.config}: {key}"
            if not Path(path).is_file():
                raise UsageError(f"{where} {path}: " + ("is not a file" if Path(path).exists() else "not found"))
            chosen[key] = (path, where)
    if not chosen:
        return None
    de_path, de_where = chosen.get("de_kernel", (None, None))
    moons_path, moons_where = chosen.get("moons_kernel", ("astronomy-engine", None))
    # the planetary kernel alone first, so that an error is blamed on the file that has it
    for paths, where in (((de_path,), de_where), ((de_path, moons_path), moons_where)):
        try:
            ephemeris = Ephemeris(*paths)
        except EphemerisError as exc:
            raise UsageError(f"{where}: {exc}") from None
    lo, hi = ephemeris.span_seconds()
    tdb = np.asarray(observations["tdb"], float)
    if tdb.min() < lo or tdb.max() > hi:
        raise UsageError(f"{' and '.join(where for _, where in chosen.values())}: the kernels cover "
                         f"{iso_tdb(lo, 0)} .. {iso_tdb(hi, 0)} TDB, the observations {iso_tdb(tdb.min(), 0)} .. "
                         f"{iso_tdb(tdb.max(), 0)}: leave out what they do not cover, or give a longer kernel")
    return default_model(body, ephemeris=ephemeris)


def _initial_orbit(spec, body, observations):
    from ..bodies import body_name
    from ..estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
    if spec in ("gomes-junior-2016", "seed003"):          # seed003: the deprecated name
        if body_name(body) not in gomes_junior_2016_orbits():
            raise UsageError(f"Gomes-Junior et al. (2016) give no starting orbit for {body_name(body)} ({body}): "
                             f"use --start auto (an initial orbit from the observations)")
        return gomes_junior_2016_orbit(body_name(body))
    if spec == "auto":
        import logging
        from ..estimation.ranging import InitialOrbitOptions, initial_orbit
        # `orbitfit -v` (INFO) shows the search's stages; without it they stay at DEBUG (`-vv`)
        verbose = logging.getLogger("orbitfit").isEnabledFor(logging.INFO)
        return initial_orbit(observations, options=InitialOrbitOptions(verbose=verbose))
    raise UsageError(f"unknown --start {spec!r}: use {' or '.join(STARTS)}")


def add_fit_options(parser):
    """One flag per FitOptions field (the schema is the dataclass: orbitfit.estimation.options)."""
    from ..estimation.options import option_fields
    group = parser.add_argument_group("fit options (FitOptions; the same names in a config's [options] table)")
    for name, _, default, text, choices in option_fields():
        flag = "--" + name.replace("_", "-")
        if choices:
            word = next((w for w, v in choices.items() if v == default), default)
            group.add_argument(flag, dest=name, choices=list(choices), default=None,
                               help=f"{text} (default {word})".replace("%", "%%"))
        elif isinstance(default, bool):
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None,
                               help=f"{text} (default {'yes' if default else 'no'})".replace("%", "%%"))
        else:
            group.add_argument(flag, dest=name, type=type(default), default=None,
                               help=f"{text} (default {default:g})".replace("%", "%%"))
