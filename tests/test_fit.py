"""The orbit fit: a closed loop on synthetic data (the covariance is honest), diagnoses of bad fits,
and a solution archive that reproduces every number."""
import numpy as np
import pytest

from orbitfit.estimation.least_squares import FitError, FitOptions, Orbit, fit_orbit
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.simulation import simulate_observations
from orbitfit.solution import ArchiveError, Solution
from orbitfit.estimation.published import seed003_orbit


@pytest.mark.slow
def test_closed_loop_covariance_is_honest(template, truth, ephemeris):
    """>= 100 noise draws: the fitted state's normalised errors follow N(0, 1): 68% +- 5% within 1 sigma and
    95% +- 3% within 2 sigma. Sigmas are NOT given to the fit: it estimates them (per-site floors), as for real
    data; the noise is independent, so night de-weighting is off (it models correlated errors)."""
    rng = np.random.default_rng(42)
    options = FitOptions(ephemeris=ephemeris, night_deweighting=False)
    normalised = []
    for draw in range(100):
        data = simulate_observations(truth, template, 60.0, 45.0, rng, FitOptions(ephemeris=ephemeris),
                                     given_sigma=False)
        start = Orbit(truth.body, truth.epoch, truth.state + rng.normal(0, [30, 30, 30, 1e-5, 1e-5, 1e-5]))
        solution = fit_orbit(data, start, options)
        normalised.append((solution.state - truth.state) / solution.sigma)
    z = np.abs(np.array(normalised)).ravel()
    within1, within2 = np.mean(z < 1), np.mean(z < 2)
    print(f"closed loop, {len(normalised)} draws x 6: {100 * within1:.1f}% within 1 sigma, "
          f"{100 * within2:.1f}% within 2 sigma")
    assert abs(within1 - 0.683) < 0.05 and abs(within2 - 0.954) < 0.03


def test_fit_recovers_truth_from_a_distant_start(template, truth, ephemeris):
    """From a start 2000 km and 1 m/s off, the fit converges to the truth within 3 sigma."""
    rng = np.random.default_rng(7)
    data = simulate_observations(truth, template, 60.0, 45.0, rng, FitOptions(ephemeris=ephemeris))
    start = Orbit(truth.body, truth.epoch, truth.state + np.array([2000.0, -1500.0, 800.0, 1e-3, -5e-4, 2e-4]))
    solution = fit_orbit(data, start, FitOptions(ephemeris=ephemeris, night_deweighting=False))
    assert np.all(np.abs(solution.state - truth.state) < 3 * solution.sigma)
    assert solution.chi2 / solution.dof == pytest.approx(1.0, abs=0.15)


def test_bad_fits_stop_with_a_diagnosis(template, truth, ephemeris):
    rng = np.random.default_rng(3)
    data = simulate_observations(truth, template, 60.0, 45.0, rng, FitOptions(ephemeris=ephemeris))
    with pytest.raises(FitError, match="too few observations: 3"):
        fit_orbit(data[:3], truth, FitOptions(ephemeris=ephemeris))
    one_night = data[np.floor(data["tdb"] / 86400) == np.floor(data["tdb"][0] / 86400)]
    with pytest.raises(FitError, match="singular normal matrix"):
        fit_orbit(one_night, truth, FitOptions(ephemeris=ephemeris))
    hopeless = Orbit(truth.body, truth.epoch, truth.state * np.array([1.6, 0.4, 1.0, -1.0, 1.0, 0.3]))
    with pytest.raises(FitError, match="divergence|no convergence|singular|bound"):
        fit_orbit(data, hopeless, FitOptions(ephemeris=ephemeris, max_iterations=8))


def test_archive_reproduces_every_number_and_refuses_damaged_files(tmp_path, ephemeris):
    observations, _ = read_gj15(data_path("gj15", "Leda.dat"))
    solution = fit_orbit(observations, seed003_orbit("Leda", ephemeris), FitOptions(ephemeris=ephemeris))
    path = solution.save(tmp_path / "leda.h5")
    loaded = Solution.load(path)
    assert np.array_equal(loaded.state, solution.state) and np.array_equal(loaded.covariance, solution.covariance)
    assert loaded.epoch == solution.epoch and loaded.body == solution.body
    for column in ("res_ra_mas", "res_dec_mas", "sigma_ra_mas", "chi2", "accepted", "line"):
        assert np.array_equal(loaded.residuals()[column], solution.residuals()[column])
    assert list(loaded.observations["source"]) == list(solution.observations["source"])
    assert loaded.summary() == solution.summary()
    assert loaded.meta["archive_versions"]["orbitfit"]

    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="truncated.h5"):
        Solution.load(truncated)
    import h5py
    with h5py.File(path, "r") as f:
        state_offset = f["orbit/state"].id.get_offset()
    corrupted = tmp_path / "corrupted.h5"
    corrupted.write_bytes(data[:state_offset + 3] + b"\x7f" + data[state_offset + 4:])   # one byte of the state
    with pytest.raises(ArchiveError, match="corrupted.h5: checksum mismatch"):
        Solution.load(corrupted)
    rng = np.random.default_rng(0)
    for trial in range(25):                     # anywhere else: a clear error, or exactly the right numbers
        start = int(rng.integers(0, len(data) - 16))
        damaged = tmp_path / f"damaged{trial}.h5"
        damaged.write_bytes(data[:start] + rng.bytes(16) + data[start + 16:])
        try:
            again = Solution.load(damaged)
        except ArchiveError as exc:
            assert f"damaged{trial}.h5" in str(exc)
        else:
            assert np.array_equal(again.state, solution.state) and again.summary() == solution.summary()
    with pytest.raises(ArchiveError, match="not an orbitfit"):
        import h5py
        with h5py.File(tmp_path / "other.h5", "w") as f:
            f["x"] = 1
        Solution.load(tmp_path / "other.h5")


def test_rejection_cap_keeps_the_worst_out_and_the_rest_in():
    from orbitfit.estimation.least_squares import cap_rejections
    chi2 = np.array([1.0, 50.0, 12.5, 30.0, 2.0, 13.0, 0.5, 99.0, 3.0, 4.0])
    flagged = chi2 > 11.83                                         # 5 of 10
    capped = cap_rejections(~flagged, chi2, 0.2)                   # at most 2
    assert list(np.nonzero(~capped)[0]) == [1, 7]                  # the two largest chi2
    assert np.array_equal(cap_rejections(~flagged, chi2, 1.0), ~flagged)
    assert cap_rejections(~flagged, chi2, 0.0).all()


def test_seed003_preset_and_its_record():
    from orbitfit.estimation.least_squares import SEED003_WEIGHTING, options_from_description
    options = FitOptions.seed003(chi2_reject=20.0)
    assert (options.weight_groups, options.use_given_sigma, options.night_deweighting,
            options.max_rejected_fraction, options.chi2_reject) == ("all", False, False, 0.01, 20.0)
    restored = options_from_description(options.describe())
    assert all(getattr(restored, k) == v for k, v in SEED003_WEIGHTING.items())
