"""Time to read all the shared astrometry with orbitfit's readers (target: <= 5 s on the project machines).

    python benchmarks/bench_readers.py [data folder]      # default: the repository's data/

Prints the wall time per folder (import of astropy excluded, reported separately) and the total, with the
read/kept/rejected counts. Not a timed test: timings vary with the machine.
"""
import os
import sys
import time

t0 = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from orbitfit.observations import read  # noqa: E402

IMPORT_S = time.perf_counter() - t0
TARGET_S = 5.0


def main(root):
    print(f"import orbitfit.observations (astropy included): {IMPORT_S:.2f} s")
    total_s, total_rows, total_read = 0.0, 0, 0
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        start = time.perf_counter()
        obs, report = read(folder)
        elapsed = time.perf_counter() - start
        total_s += elapsed
        total_rows += len(obs)
        total_read += report.read
        print(f"{name:<34} {elapsed:6.2f} s  read {report.read:6d}  kept {report.kept:6d}  "
              f"rejected {len(report.rejected):5d}")
    verdict = "within" if total_s <= TARGET_S else "OVER"
    print(f"{'total':<34} {total_s:6.2f} s  read {total_read:6d}  kept {total_rows:6d}   "
          f"({verdict} the {TARGET_S:.0f} s target)")


if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1].startswith("-"):      # `--help` is not a folder to read
        sys.exit(__doc__)
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "data"))
