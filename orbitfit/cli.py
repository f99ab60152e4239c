"""The orbitfit command line: `orbitfit demo`, `orbitfit propagate`."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

YEAR_S = 365.25 * 86400.0


def _tdb_seconds(iso):
    from astropy.time import Time
    from dynamics import constants as C
    t = Time(iso, scale="tdb")
    return (t.jd1 - C.J2000_JD + t.jd2) * C.SECONDS_PER_DAY


def command_demo(args):
    """Propagate seed 003's eight STE starting orbits 1995-2025 and report them (becomes the Himalia fit)."""
    from dynamics import ForceModel, propagate, state_to_elements, constants as C
    from dynamics.elements import barycentric_to_jovicentric
    from dynamics.propagation import default_ephemeris
    from .starting_orbits import seed003_orbits

    ephemeris = default_ephemeris()
    orbits = seed003_orbits()
    names = list(orbits)
    states = np.array([orbits[n].state_from_barycentre(ephemeris) for n in names])
    epochs = np.array([_tdb_seconds(f"{year}-01-01") for year in range(1995, 2026)])
    start = time.perf_counter()
    result = propagate(states, 0.0, epochs, model=ForceModel())
    elapsed = time.perf_counter() - start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for s, name in enumerate(names):
        jovicentric = barycentric_to_jovicentric(result.states[-1, s], epochs[-1], ephemeris)
        el = state_to_elements(jovicentric, C.GM_JUPITER_SYSTEM, plane="icrf", epoch=epochs[-1])
        rows.append({"name": name, "naif_id": orbits[name].naif_id, "a_km": el.a, "e": el.e,
                     "inclination_deg": el.inclination, "node_deg": el.node, "periapsis_deg": el.periapsis,
                     "true_anomaly_deg": el.true_anomaly})
    report = {"epoch": "2025-01-01 TDB", "centre": "Jupiter (599)", "plane": "ICRF equator",
              "model": ForceModel().describe(), "ephemeris": ephemeris.description,
              "propagation_seconds": round(elapsed, 3), "satellites": rows}
    _write_json_atomic(out / "demo_elements.json", report)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"orbitfit demo: 8 irregular satellites of seed 003 propagated 1995-2025 in {elapsed:.2f} s")
        print(f"model: {report['model']}; {report['ephemeris']}")
        print("osculating elements at 2025-01-01 TDB, jovicentric, ICRF equator:")
        print(f"{'satellite':10s} {'a (km)':>12s} {'e':>7s} {'i (deg)':>8s} {'node':>8s} {'peri':>8s} {'nu':>8s}")
        for r in rows:
            print(f"{r['name']:10s} {r['a_km']:12.0f} {r['e']:7.4f} {r['inclination_deg']:8.3f} {r['node_deg']:8.3f} "
                  f"{r['periapsis_deg']:8.3f} {r['true_anomaly_deg']:8.3f}")
        print(f"written: {out / 'demo_elements.json'}")
    return 0


def _write_json_atomic(path, payload):
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="orbitfit", description="Orbits and special-tailored ephemerides of "
                                     "planetary satellites for stellar-occultation work.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on embedded data")
    demo.add_argument("--out", default="orbitfit-demo", help="output directory (default: ./orbitfit-demo)")
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")
    demo.set_defaults(func=command_demo)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"orbitfit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
