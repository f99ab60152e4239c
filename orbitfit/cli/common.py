"""What the commands share: usage errors, checked numbers and dates, solution archives, the fit report and atomic
outputs whose folders are checked before any work starts."""
from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

import numpy as np

from ..tables import plain_table


class UsageError(ValueError):
    """Bad command-line or configuration input."""


def parse_date(text, scale="tdb", name="date"):
    """TDB seconds of an ISO date given as `name` (a flag or a config key); UsageError naming it otherwise."""
    from ..times import tdb_seconds
    if not isinstance(text, str):           # a number would silently be taken for a Julian date
        raise UsageError(f"{name}: expected an ISO date string like 2000-01-01T12:00, not {text!r}")
    try:
        return tdb_seconds(text, scale=scale)
    except ValueError:                      # astropy lists its eleven formats over eleven lines: one is enough here
        raise UsageError(f"{name}: cannot read the date {text!r}; use ISO like 2000-01-01T12:00") from None


def checked_number(value, flag, minimum=0.0):
    """`value` if it is a finite number > `minimum`, else UsageError naming the flag (argparse takes nan and inf)."""
    if value is not None and not (math.isfinite(value) and value > minimum):
        raise UsageError(f"{flag} must be a finite number > {minimum:g}, not {value}")
    return value


def output_file(path, flag):
    """Check, before any work, that `path` (given as `flag`) can be written: not a folder, in an existing, writable
    folder. Returns the path (None stays None)."""
    if path is not None:
        if os.path.isdir(path):
            raise UsageError(f"{flag} {path}: is a folder, give a file name")
        folder = os.path.dirname(os.path.abspath(path))
        _check_writable(folder, f"{flag} {path}: the folder {folder}")
    return path


def output_folder(path, flag="--out"):
    """Make the output folder `path` (given as `flag`) and check it is writable, before any work. Returns a Path."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot make the folder ({exc.strerror})") from None
    _check_writable(path, f"{flag} {path}: the folder")
    return Path(path)


def _check_writable(folder, what):
    # by writing: permission bits say nothing for root or on special file systems (/proc); an unnamed temporary
    # file leaves nothing behind, even if the process is killed
    import tempfile
    if not os.path.isdir(folder):
        raise UsageError(f"{what} is not an existing folder")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise UsageError(f"{what} cannot be written to ({exc.strerror})") from None


@contextlib.contextmanager
def utf8_input(path):
    """Turn a decoding error while reading the text file `path` into a UsageError naming the file (Python's own
    message names only the codec)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from None


def write_atomic(path, text):
    from ..files import atomic_path
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def solution_report(solution, elapsed, outputs):
    residuals = solution.residuals()
    el, sig = solution.elements()
    stats = lambda t: [dict(zip(t.colnames, [v.item() if hasattr(v, "item") else v for v in row]))
                       for row in plain_table(t)]
    return {
        "body": int(solution.body),
        "epoch_utc": solution.epoch_utc,
        "epoch_tdb_s": solution.epoch,
        "n_observations": len(residuals),
        "n_rejected": int((~solution.accepted).sum()),
        "chi2_per_dof": solution.chi2 / max(solution.dof, 1),
        "iterations": len(solution.history),
        "seconds": round(elapsed, 3),
        "state_km_kms": solution.state.tolist(),
        "sigma_km_kms": solution.sigma.tolist(),
        "elements": {"centre": "Jupiter (599)", "plane": "ICRF equator", "gm_km3_s2": el.gm,
                     **{k: {"value": float(v), "sigma": float(s)} for k, v, s in
                        zip(("a_km", "e", "inclination_deg", "node_deg", "periapsis_deg", "true_anomaly_deg"),
                            el.as_array(), sig)}},
        "statistics_accepted": stats(solution.statistics(None))[0],
        "statistics_all": stats(solution.statistics(None, include_rejected=True))[0],
        "per_observer": stats(solution.statistics("observer")),
        "per_dataset": stats(solution.statistics("dataset")),
        "site_biases": None if solution.biases is None else stats(solution.biases),
        "statistics_orbit_only": stats(solution.statistics(None, orbit_only=True))[0],
        # rows the fit dropped as copies of another ("source:line repeats source:line"), or kept with
        # keep_duplicates: what the fit did with them is said, never silent
        "duplicates": solution.meta.get("duplicates", {"dropped": True, "rows": []}),
        "outputs": outputs,
    }


PRINTED_GROUPS = 15         # a terminal report lists the largest groups; the JSON report has every one


def print_report(report, solution):
    print(solution.summary())
    rows = sorted(report["per_observer"], key=lambda row: -row["n"])
    print("per site (accepted)" + (f", the {PRINTED_GROUPS} largest of {len(rows)}" if len(rows) > PRINTED_GROUPS
                                   else "") + ":")
    for row in rows[:PRINTED_GROUPS]:
        print(f"  {row['observer']:>6s} n={row['n']:5d}  RA* {row['mean_ra_mas']:+7.1f} +- {row['std_ra_mas']:5.1f}  "
              f"Dec {row['mean_dec_mas']:+7.1f} +- {row['std_dec_mas']:5.1f} mas")
    for name, path in report["outputs"].items():
        print(f"written {name}: {path}")


def save_outputs(solution, out_dir, stem):
    from ..products.export import write_table
    out = output_folder(out_dir)
    archive = solution.save(out / f"{stem}.h5")
    residuals = write_table(solution.residuals(), out / f"{stem}_residuals.ecsv")
    return {"solution": str(archive), "residuals": str(residuals)}


def load_solution(path):
    from ..archive import ArchiveError
    from ..solution import Solution
    if not Path(path).exists():
        raise UsageError(f"solution archive not found: {path}")
    if not Path(path).is_file():
        raise UsageError(f"{path}: is not a file (a solution archive .h5 is expected)")
    try:
        return Solution.load(path)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from None


def requested_epochs(args, solution):
    """TDB epochs from --dates (comma-separated ISO, UTC) or --start/--stop/--step-days. The steps are taken in UTC
    (whole UTC days from --start): steps in TDB drift against the clock (TDB - UTC changes by leap seconds and by
    1.7 ms over a year), so rows meant for midnight would read 23:59:59.999."""
    from dynamics import constants as C
    from ..times import convert_jd
    listed = getattr(args, "date_list", None)            # `orbitfit sigma SOLUTION.h5 2027-01-01 2027-06-01`
    if listed and args.dates:                            # as --dates: before --start/--stop (an SPK's span)
        raise UsageError(f"dates given twice: {' '.join(listed)} and --dates {args.dates}; give one of them")
    if listed:
        return np.array([parse_date(d.strip().rstrip(","), "utc", "DATE") for d in listed])
    if args.dates:
        return np.array([parse_date(d.strip(), "utc", "--dates") for d in args.dates.split(",") if d.strip()])
    if not (args.start and args.stop):
        raise UsageError("give --dates D1,D2,... or --start and --stop (ISO dates, UTC)")
    start, stop = date_span(args)
    step_days = checked_number(args.step_days, "--step-days")
    if (stop - start) / (step_days * 86400.0) > 1e6:
        raise UsageError(f"--step-days {args.step_days} gives more than a million epochs")
    utc1, utc2, _ = convert_jd(C.J2000_JD, start / C.SECONDS_PER_DAY, "tdb")          # --start as a UTC JD
    steps = np.arange(0.0, (stop - start) / 86400.0 + 1e-6, step_days)                 # UTC days from --start
    _, _, tdb = convert_jd(utc1 + np.zeros_like(steps), utc2 + steps, "utc")
    return tdb[tdb <= stop + 1e-3]


def body_id(value, flag="--body"):
    """NAIF id of a satellite given by number (513, "513") or name ("Leda"); UsageError naming `flag` otherwise."""
    from ..bodies import naif_id
    if value is None:
        return None
    try:
        return naif_id(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {value}: {exc}; give a NAIF id (513) or a name (Leda)") from None


def read_observations(path, fmt=None, body=None):
    """(Observations, ReadReport) of an observation file; `fmt` (a key of observations.formats.READERS) overrides
    the detection, and for GJ15 files `body` (NAIF id) names the moon of a file not named after it."""
    from ..observations import read
    from ..observations.core import ObservationFormatError
    from ..observations.formats import READERS
    from ..observations.gj15 import body_from_filename
    if not Path(path).exists():
        raise UsageError(f"observation file not found: {path}")
    if not Path(path).is_file():
        raise UsageError(f"{path}: is not a file (an observation file is expected)")
    if fmt is None:
        return read(path)
    if fmt == "gj15":
        if body is None:
            try:
                body_from_filename(path)
            except ObservationFormatError:
                raise UsageError(f"{path}: --format gj15 needs --body (the moon's name or NAIF id) for a file not "
                                 f"named after its moon") from None
        return READERS[fmt](path, body=body)
    return READERS[fmt](path)


def table_rows(table, columns=None):
    """Rows of an astropy table as dicts (for strict_json)."""
    columns = columns or table.colnames
    return [{name: row[name] for name in columns} for row in table]


def hms(ra_deg, decimals=4):
    """Sexagesimal RA, "HH MM SS.ssss" (Horizons' form)."""
    from astropy.coordinates import Angle
    last = 15.0 * 10.0 ** -decimals / 3600.0        # rounded first, so 23 59 59.99999 prints 00 00 00.0000, not 24
    return Angle(np.mod(np.round(np.asarray(ra_deg, dtype=float) / last) * last, 360.0), unit="deg").to_string(unit="hourangle", sep=" ", precision=decimals, pad=True)


def dms(dec_deg, decimals=3):
    """Sexagesimal Dec, "+DD MM SS.sss"."""
    from astropy.coordinates import Angle
    return Angle(dec_deg, unit="deg").to_string(unit="deg", sep=" ", precision=decimals, pad=True, alwayssign=True)


def date_span(args):
    """TDB seconds of --start and --stop (UTC), checked in order."""
    if not (args.start and args.stop):           # one of them alone would be ignored
        raise UsageError("give both --start and --stop (ISO dates, UTC)")
    start, stop = parse_date(args.start, "utc", "--start"), parse_date(args.stop, "utc", "--stop")
    if stop <= start:
        raise UsageError(f"--stop {args.stop} is not after --start {args.start}")
    return start, stop
