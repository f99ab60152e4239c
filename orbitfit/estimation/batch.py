"""Many fits at once: serially, or through dask (a LocalCluster by default, or any scheduler address), with a
progress bar. Each job is independent and deterministic, so the parallel results equal the serial ones exactly;
a job that fails is reported with its error and the others are kept.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field


@dataclass
class FitJob:
    """One fit: a name, observation files (read inside the worker), the starting orbit and options. The files'
    Gaia DR3 rows become transit normal points as the default takes them (`gaia_visits.as_gaia_transits`; gaia_ccd
    keeps one row per CCD); embedded: every embedded data set of the body (`load_all`) with the files' rows added,
    as `orbitfit fit --embedded`."""
    name: str
    files: list
    start: object                     # an Orbit, or "gomes-junior-2016:<Name>" / "auto"
    options: dict = field(default_factory=dict)
    body: int | None = None
    embedded: bool = False
    gaia_ccd: bool = False


@dataclass
class JobResult:
    name: str
    solution: object = None           # Solution, or None when the job failed
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self):
        return self.error is None


def run_job(job: FitJob) -> JobResult:
    """Read, fit, and return the solution (or the error) — the unit of work sent to a worker."""
    import time

    import numpy as np

    from ..observations import Observations, read
    from .least_squares import fit_orbit
    from .options import FitOptions
    start_time = time.perf_counter()
    try:
        tables = [read(path)[0] for path in job.files]
        observations = Observations.concatenate(tables)
        body = job.body
        if body is None:
            bodies = set(np.asarray(observations["body"]).tolist())
            if len(bodies) != 1:
                raise ValueError(f"the job's files hold bodies {sorted(bodies)}: give the job a body")
            body = bodies.pop()
        observations = observations[np.asarray(observations["body"]) == int(body)]
        if not job.gaia_ccd and (np.asarray(observations["kind"]).astype(str) == "gaia").any():
            from ..observations.gaia_visits import as_gaia_transits
            observations = Observations(as_gaia_transits(observations, int(body))[0], copy=False)
        if job.embedded:
            from ..observations.datasets import load_all
            observations = Observations.concatenate([load_all(int(body))[0], observations])
        start = job.start
        if isinstance(start, str):
            if start.startswith(("gomes-junior-2016:", "seed003:")):     # seed003: deprecated spelling
                from .published import gomes_junior_2016_orbit
                start = gomes_junior_2016_orbit(start.split(":", 1)[1])
            elif start == "auto":
                from .ranging import initial_orbit
                start = initial_orbit(observations)
            else:
                raise ValueError(f"unknown start {start!r}: use an Orbit, 'gomes-junior-2016:<Name>' or 'auto'")
        solution = fit_orbit(observations, start, FitOptions(**job.options))
        return JobResult(job.name, solution, None, time.perf_counter() - start_time)
    except Exception as exc:              # reported, never lost: the batch goes on
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return JobResult(job.name, None, detail, time.perf_counter() - start_time)


def run_jobs(jobs, scheduler=None, workers=2, progress=True):
    """Run jobs serially (scheduler="serial"), on a new dask LocalCluster (scheduler=None) with `workers`
    processes, or on the dask scheduler at the given address. Returns JobResults in the order of `jobs`."""
    jobs = list(jobs)
    bar = _progress_bar(len(jobs), progress)
    if scheduler == "serial":
        results = []
        for job in jobs:
            results.append(run_job(job))
            bar.update(1)
        bar.close()
        return results
    from dask.distributed import Client, LocalCluster, as_completed
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(run_job, job, pure=False, key=f"orbitfit-{i}-{job.name}")
                   for i, job in enumerate(jobs)]
        index = {future.key: i for i, future in enumerate(futures)}
        results = [None] * len(jobs)
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            bar.update(1)
        bar.close()
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _progress_bar(total, enabled):
    from ..progress import bar
    return bar(total, "orbitfit fits", "fit", enabled)


def embedded_jobs(options=None):
    """The eight satellites of Gomes-Junior et al. (2016) on every embedded data set (`load_all`: what `orbitfit
    demo` fits of Himalia), from the published orbits."""
    from ..bodies import naif_id
    from .published import gomes_junior_2016_orbits
    return [FitJob(name, [], f"gomes-junior-2016:{name}", dict(options or {}), body=naif_id(name), embedded=True)
            for name in gomes_junior_2016_orbits()]


def gj15_jobs(options=None):
    """The eight GJ15 satellites of Gomes-Junior et al. (2016) as fit jobs (the STE data set)."""
    from ..paths import data_path
    from .published import gomes_junior_2016_orbits
    return [FitJob(name, [str(data_path("gj15", f"{name}.dat"))], f"gomes-junior-2016:{name}", dict(options or {}))
            for name in gomes_junior_2016_orbits()]
