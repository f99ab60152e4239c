"""Batches of fits: dask equals serial exactly, and one failing job does not lose the others."""
import numpy as np
import pytest

from orbitfit.estimation.batch import FitJob, gj15_jobs, run_jobs


def test_dask_run_of_gj15_fits_equals_the_serial_run():
    # three of the eight STE satellites and a job that fails between them: what the equality needs (the eight took
    # 34 s of the suite; notebook 02 runs all eight through dask)
    jobs = gj15_jobs({"night_deweighting": False})[:3]
    jobs.insert(2, FitJob("missing file", ["/no/such/observations.dat"], "seed003:Leda"))
    serial = run_jobs(jobs, scheduler="serial", progress=False)
    parallel = run_jobs(jobs, workers=2, progress=False)
    assert [r.name for r in parallel] == [j.name for j in jobs]
    for a, b in zip(serial, parallel):
        if a.name == "missing file":
            assert not a.ok and not b.ok and "/no/such/observations.dat" in b.error
            continue
        assert a.ok and b.ok
        assert np.array_equal(a.solution.state, b.solution.state)
        # the covariance to 1e-12 of sigma_i sigma_j: with the apparition biases the products that form it are large
        # enough for a multithreaded BLAS to sum in another order in another process (measured: 1e-14 of the
        # scale; the states are equal to the bit)
        scale = np.outer(a.solution.sigma, a.solution.sigma)
        np.testing.assert_allclose(a.solution.covariance / scale, b.solution.covariance / scale, rtol=0, atol=1e-12)
        assert np.array_equal(a.solution.accepted, b.solution.accepted)


def test_a_bad_start_is_reported_not_raised():
    from orbitfit.paths import data_path
    results = run_jobs([FitJob("bad start", [str(data_path("gj15", "Leda.dat"))], "guess")], scheduler="serial",
                       progress=False)
    assert not results[0].ok and results[0].solution is None
    assert results[0].error.startswith("ValueError: unknown start 'guess'")


def test_a_job_on_every_embedded_data_set_takes_a_gaia_file_as_load_all_does():
    """embedded=True fits load_all's rows with the files' rows added, and a file's Gaia DR3 CCD rows become the
    transit normal points load_all makes: NSDB jo0069, already embedded, gives Leda's 20 transits again, each
    dropped as a copy of load_all's, so the job fits load_all("Leda")'s 374 rows. (Made as Gaia gave them, without
    the visit correction, they sit up to 5 mas off load_all's: 18 of the 20 would be kept and counted twice; with 7
    mas floors they would not join load_all's table at all.)"""
    from orbitfit.paths import data_path
    job = FitJob("Leda", [str(data_path("nsdb_jupiter_outer", "jo0069.txt"))], "gomes-junior-2016:Leda", body=513,
                 embedded=True)
    result = run_jobs([job], scheduler="serial", progress=False)[0]
    assert result.ok, result.error
    copies = result.solution.meta["duplicates"]["rows"]
    assert len(result.solution.observations) == 374
    assert len(copies) == 20 and all(row.startswith("jo0069.txt:") for row in copies)
