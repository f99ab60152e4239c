"""The perturber tables an Ephemeris owns: concurrent propagations build each 64-day chunk once and get results
bit-identical to serial runs on fresh ephemerides, with no table building beforehand."""
import pickle
import threading
import time

import numpy as np

from dynamics import Ephemeris, propagate, tables

DAY_S = 86400.0


def test_two_threads_on_a_fresh_ephemeris_build_each_chunk_once_and_match_serial_runs(himalia0, monkeypatch):
    # overlapping spans: A needs chunks -1..3 (-2 d .. 202 d), B chunks -1..4 (-2 d .. 302 d)
    spans = {"A": np.linspace(0.0, 200.0, 41) * DAY_S, "B": np.linspace(100.0, 300.0, 41) * DAY_S}
    serial = {name: propagate(himalia0, 0.0, epochs, ephemeris=Ephemeris()).states for name, epochs in spans.items()}

    builds = []
    fast_table = tables.fast_table

    def counted_fast_table(ephemeris, t_start, t_end):
        builds.append(t_start)
        time.sleep(0.05)                     # widen the window in which the other thread could build it too
        return fast_table(ephemeris, t_start, t_end)
    monkeypatch.setattr(tables, "fast_table", counted_fast_table)

    shared = Ephemeris()
    barrier = threading.Barrier(len(spans))
    results, errors = {}, []

    def run(name):
        try:
            barrier.wait()
            results[name] = propagate(himalia0, 0.0, spans[name], ephemeris=shared).states
        except Exception as exc:             # reported below: an exception in a thread would pass silently
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(name,)) for name in spans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for name in spans:
        assert np.array_equal(results[name], serial[name]), name
    chunks = sorted(round(t / tables.TABLE_GRAIN_S) for t in builds)
    assert chunks == list(range(-1, 5))      # every chunk needed, each built once

    again = pickle.loads(pickle.dumps(shared))       # unpickled: its own, empty cache, same results
    assert np.array_equal(propagate(himalia0, 0.0, spans["B"], ephemeris=again).states, serial["B"])
