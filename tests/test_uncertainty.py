"""Uncertainty on the sky: the ellipse algebra, the linear chain against finite differences of full
propagations, and linear against Monte Carlo (1000 clones) over Himalia's next 10 years."""
import astropy.units as u
import numpy as np
import pytest

from dynamics import constants as C
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.products.uncertainty import (compare_linear_and_monte_carlo, ellipse, monte_carlo_sky, position_covariance,
                                  sky_uncertainty)

YEAR = 365.25 * 86400.0
LAST_GJ15 = 14.5 * YEAR          # mid-2014, the end of the GJ15 data


def test_ellipse_matches_eigen_decomposition():
    rng = np.random.default_rng(1)
    for _ in range(50):
        a = rng.normal(size=(2, 2))
        cov = a @ a.T
        major, minor, pa = ellipse(cov[0, 0], cov[0, 1], cov[1, 1])
        values, vectors = np.linalg.eigh(cov)
        assert major == pytest.approx(np.sqrt(values[1]), rel=1e-10)
        assert minor == pytest.approx(np.sqrt(values[0]), rel=1e-10, abs=1e-12)
        east, north = vectors[:, 1]
        assert np.isclose((np.degrees(np.arctan2(east, north)) - pa + 90) % 180 - 90, 0, atol=1e-8)


@pytest.fixture(scope="module")
def himalia(ephemeris):
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    return fit_orbit(observations, gomes_junior_2016_orbit("Himalia", ephemeris),
                     FitOptions(night_deweighting=False, epoch=LAST_GJ15))


def orbit_alone(solution):
    """The solution without the error every moon's prediction shares: its covariance without the state part s0^2 Q
    that the fit put in (shared_error.state_part), no response, and s = 0, so its sky sigma is the orbit's alone."""
    from dataclasses import replace
    from orbitfit.estimation.shared_error import META_KEY, in_covariance_mas2, state_part
    record = solution.meta.get(META_KEY)
    covariance = solution.covariance
    if record:
        covariance = covariance - state_part(np.asarray(record["state_per_mas"]), in_covariance_mas2(solution))
    meta = {key: value for key, value in solution.meta.items() if key != META_KEY}
    return replace(solution, options=solution.options.changed(shared_sky_error_mas=0.0), covariance=covariance,
                   meta=meta)


def test_linear_sky_sigma_equals_finite_differences_of_the_whole_chain(himalia, ephemeris):
    """J C J^T with J from partials x STM, against J from central differences of propagate + astrometric."""
    from orbitfit.observables import PropagatedTarget
    from orbitfit.model import astrometric
    from dynamics import propagate
    epochs = np.array([LAST_GJ15 + 3 * YEAR, LAST_GJ15 + 8 * YEAR])
    alone = orbit_alone(himalia)
    linear = sky_uncertainty(alone, epochs)
    earth = ephemeris.position(C.EARTH, epochs)

    def radec(state):
        nominal = epochs - 2400.0
        run = propagate(state, himalia.epoch, nominal, ephemeris=ephemeris)
        result = astrometric(epochs, earth, PropagatedTarget(nominal, run.states[:, 0], ephemeris))
        return np.stack([result.ra_deg, result.dec_deg], axis=1) * 3.6e6
    jac = np.zeros((2, 2, 6))
    for k, h in enumerate([1.0, 1.0, 1.0, 1e-6, 1e-6, 1e-6]):
        d = np.zeros(6)
        d[k] = h
        jac[:, :, k] = (radec(himalia.state + d) - radec(himalia.state - d)) / (2 * h)
    jac[:, 0] *= np.cos(linear["dec_deg"])[:, None]                     # RA* = cos(dec) d(alpha)
    cov = np.einsum("nik,kl,njl->nij", jac, alone.covariance, jac)
    assert np.allclose(np.sqrt(cov[:, 0, 0]), linear["sigma_ra_mas"].to_value(u.mas), rtol=1e-4)
    assert np.allclose(np.sqrt(cov[:, 1, 1]), linear["sigma_dec_mas"].to_value(u.mas), rtol=1e-4)


def test_position_covariance_is_consistent_with_the_sky(himalia):
    epochs = np.array([LAST_GJ15 + 5 * YEAR])
    cov = position_covariance(orbit_alone(himalia), epochs)[0]
    sky = sky_uncertainty(orbit_alone(himalia), epochs)[0]
    # the largest sky axis (km at the body's distance) cannot exceed the largest 3-D axis
    assert sky["major_km"] <= np.sqrt(np.linalg.eigvalsh(cov).max()) * (1 + 1e-6) * u.km


@pytest.mark.slow
def test_linear_and_monte_carlo_agree_over_the_next_ten_years(himalia):
    epochs = np.linspace(LAST_GJ15, LAST_GJ15 + 10 * YEAR, 41)
    linear = sky_uncertainty(himalia, epochs)
    monte_carlo, offsets = monte_carlo_sky(himalia, epochs, n_clones=1000, rng=np.random.default_rng(2014))
    report = compare_linear_and_monte_carlo(linear, monte_carlo)
    ratio = monte_carlo["sigma_s_mas"] / linear["sigma_s_mas"]
    print(f"\nHimalia 2014-2024, 1000 clones: sigma_s MC/linear within {report['max_relative_sigma_s']:.1%}, "
          f"ellipse axes within {report['max_relative_axis']:.1%}; first epoch beyond 10%: "
          f"{report['first_epoch_beyond']}; sigma_s linear {linear['sigma_s_mas'].min():.1f}-"
          f"{linear['sigma_s_mas'].max():.1f} mas, MC/linear ratio {ratio.min():.3f}-{ratio.max():.3f}")
    assert report["max_relative_sigma_s"] < 0.10 and report["max_relative_axis"] < 0.10
    # 1000 clones: the sampling error of a sigma is ~2.2 %, so a systematic drift would show as a trend
    assert abs(np.polyfit(np.arange(len(ratio)), ratio, 1)[0] * len(ratio)) < 0.05


def test_monte_carlo_through_a_dask_client_equals_the_threads(himalia):
    """`map_function` sends the clone batches through a dask client (here an in-process one; a cluster's
    scheduler address works the same): the result is bit-identical to the default threads."""
    from dask.distributed import Client
    epochs = [LAST_GJ15 + 2 * YEAR, LAST_GJ15 + 5 * YEAR]
    clones = np.random.default_rng(5).multivariate_normal(himalia.state, himalia.covariance, size=300)
    threads, offsets_threads = monte_carlo_sky(himalia, epochs, clones=clones)
    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        via_dask, offsets_dask = monte_carlo_sky(
            himalia, epochs, clones=clones, map_function=lambda f, xs: client.gather(client.map(f, xs)))
    np.testing.assert_array_equal(offsets_dask, offsets_threads)
    np.testing.assert_array_equal(via_dask["major_mas"], threads["major_mas"])


def test_the_shared_error_moves_the_fit_as_a_refit_of_offset_data_does(ephemeris):
    """The error every moon's prediction shares is one sky offset per apparition that the fit follows as far as its
    data let it (orbitfit.estimation.shared_error): the state's response to 1 mas of one apparition's offset, as
    the fit's weights give it, against a refit of the same data with that apparition's positions moved 20 mas in RA*
    (weights held: floors, flags and nights not re-estimated, so the estimator is linear)."""
    from orbitfit.estimation.shared_error import responses
    from orbitfit.estimation.weights import apparition_year
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    options = FitOptions(night_deweighting=False, estimate_floors=False, reject_outliers=False, epoch=LAST_GJ15)
    start = gomes_junior_2016_orbit("Himalia", ephemeris)
    base = fit_orbit(observations, start, options)
    years = apparition_year(np.asarray(observations["tdb"], float))
    year = int(np.bincount(years - years.min()).argmax() + years.min())          # the apparition of most positions
    moved = observations.copy()
    here = years == year
    moved["ra_deg"][here] += 20.0 / np.cos(np.radians(moved["dec_deg"][here])) / 3.6e6
    refit = fit_orbit(moved, start, options)
    by_year, q = responses(base)
    expected = by_year[year][:, 0]                                              # state per mas of RA* offset
    measured = (refit.state - base.state) / 20.0
    print(f"\napparition {year} ({here.sum()} positions): response / refit - 1 per state component "
          f"{np.round(expected / measured - 1, 4)}")
    np.testing.assert_allclose(expected, measured, rtol=0.02, atol=1e-3 * np.abs(measured).max())
    assert np.allclose(q, sum(g @ g.T for g in by_year.values()))


def test_the_shared_error_in_sky_sigma_linear_and_monte_carlo(himalia):
    """FitOptions.shared_sky_error_mas enters every predicted sky covariance as s^2 (I + J Q J^T - J G_k - G_k^T
    J^T) (shared_error), built here from the responses, over the orbit's own: the fit's covariance holds s0^2 Q
    and the sky adds the rest, also for an s other than the fit's (5 mas here, 3.8 fitted); far from the data
    (2030, an apparition without positions) at least s^2 per axis; the pairwise form's diagonal is the per-epoch
    one; Monte Carlo adds the same; the orbit (state, covariance) untouched by the option; a Quantity is taken in
    mas and a negative size refused."""
    from dataclasses import replace
    from orbitfit.estimation.shared_error import responses
    from orbitfit.estimation.weights import apparition_year
    from orbitfit.products.uncertainty import shared_covariance, sky_jacobian
    epochs = np.array([LAST_GJ15 - 2 * YEAR, LAST_GJ15 + 16 * YEAR])
    shared = replace(himalia, options=himalia.options.changed(shared_sky_error_mas=5.0 * u.mas))
    assert shared.options.shared_sky_error_mas == 5.0
    before, after = sky_uncertainty(orbit_alone(himalia), epochs), sky_uncertainty(shared, epochs)
    _, jacobian = sky_jacobian(shared, epochs)
    by_year, q = responses(himalia)
    g = np.stack([by_year.get(int(y), np.zeros((6, 2))) for y in apparition_year(epochs)])
    jg = np.einsum("nik,nkj->nij", jacobian, g)
    whole = 25.0 * (np.eye(2) + np.einsum("nik,kl,njl->nij", jacobian, q, jacobian) - jg - np.swapaxes(jg, 1, 2))
    assert np.abs(jg[0]).max() > 0.005               # 2012: an apparition of GJ15 positions, which it follows a little
    for axis, k in (("sigma_ra_mas", 0), ("sigma_dec_mas", 1)):
        np.testing.assert_allclose(after[axis].value ** 2 - before[axis].value ** 2, whole[:, k, k], rtol=1e-9)
    extra = shared_covariance(shared, epochs, jacobian)
    pairwise = shared_covariance(shared, epochs, jacobian, pairwise=True)
    np.testing.assert_allclose(pairwise[[0, 1], :, [0, 1], :], extra, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(whole[1]) >= 25.0 * (1 - 1e-9))       # no data in 2030's apparition
    assert after.meta["shared_sky_error_mas"] == 5.0 and before.meta["shared_sky_error_mas"] == 0.0
    clones = np.random.default_rng(7).multivariate_normal(himalia.state, himalia.covariance, size=50)
    mc_before, _ = monte_carlo_sky(orbit_alone(himalia), epochs, clones=clones)
    mc_after, _ = monte_carlo_sky(shared, epochs, clones=clones)
    np.testing.assert_allclose(mc_after["sigma_dec_mas"].value ** 2 - mc_before["sigma_dec_mas"].value ** 2,
                               extra[:, 1, 1], rtol=1e-9)
    np.testing.assert_array_equal(position_covariance(shared, epochs), position_covariance(himalia, epochs))
    with pytest.raises(ValueError, match="shared_sky_error_mas must be >= 0"):
        FitOptions(shared_sky_error_mas=-1.0)


def test_an_inflated_solution_predicts_every_sigma_that_many_times_larger(himalia, tmp_path):
    """Solution.inflated(k): every sky sigma (inside the data, where the fit pinned the shared error, and 16 years
    past it), every element's and bias's sigma k times the original's; had the part of the shared error that the
    covariance holds (in_covariance_mas2) not been scaled with it, the sky sigma would not be (checked: scaling the
    covariance and s alone misses by > 1e-4); the apparition biases' excess scatter it holds scaled too; the original
    untouched; the factor in the summary and the archive."""
    from dataclasses import replace
    from orbitfit.estimation.shared_error import META_KEY
    from orbitfit.solution import Solution
    epochs = np.array([LAST_GJ15 - 2 * YEAR, LAST_GJ15 + 16 * YEAR])
    before = sky_uncertainty(himalia, epochs)
    wider = himalia.inflated(3.0)
    after = sky_uncertainty(wider, epochs)
    for axis in ("sigma_ra_mas", "sigma_dec_mas"):
        np.testing.assert_allclose(after[axis].value, 3.0 * before[axis].value, rtol=1e-9)
    np.testing.assert_allclose(wider.elements()[1], 3.0 * himalia.elements()[1], rtol=1e-5)    # numerical partials
    np.testing.assert_allclose(wider.biases["sigma_dec_mas"], 3.0 * himalia.biases["sigma_dec_mas"], rtol=1e-12)
    naive = replace(himalia, covariance=9.0 * himalia.covariance,
                    options=himalia.options.changed(shared_sky_error_mas=3.0 * himalia.options.shared_sky_error_mas))
    off = sky_uncertainty(naive, epochs)["sigma_ra_mas"].value / (3.0 * before["sigma_ra_mas"].value) - 1
    assert np.abs(off).max() > 1e-4                 # 7e-4 (GJ15 data pin the shared error little): 1e5 x the rtol
    assert sky_uncertainty(himalia, epochs)["sigma_ra_mas"].value == pytest.approx(before["sigma_ra_mas"].value)
    assert himalia.meta[META_KEY]["in_covariance_mas2"] == pytest.approx(himalia.options.shared_sky_error_mas ** 2)
    assert "inflated by a factor 3" in wider.summary() and "inflated" not in himalia.summary()
    # how the apparition biases' excess scatter moves the state (a fit's own map) stays; that excess is 9 x larger
    from orbitfit.estimation.bias_priors import scatter_parts
    (names, moved, excess), (names_3, moved_3, excess_3) = scatter_parts(himalia), scatter_parts(wider)
    assert names == names_3 and len(names) >= 2 and np.array_equal(moved, moved_3)
    np.testing.assert_allclose(excess_3, 9.0 * excess, rtol=1e-12)
    loaded = Solution.load(wider.save(tmp_path / "wider.h5"))
    assert loaded.meta["inflated_by"] == 3.0
    np.testing.assert_allclose(scatter_parts(loaded)[2], excess_3, rtol=1e-12)
    np.testing.assert_allclose(sky_uncertainty(loaded, epochs)["sigma_dec_mas"].value, after["sigma_dec_mas"].value,
                               rtol=1e-9)
    with pytest.raises(ValueError, match="positive"):
        himalia.inflated(0.0)


def test_sigma_parts_are_the_fits_without_each_consider_term(ephemeris):
    """sky_uncertainty's parts of sigma_s (`sigma_parts`), against fits that leave each consider term out (the same
    estimate: a consider term changes only the covariance): "weights" is the sigma_s of the fit with neither the
    apparition biases' scatter nor the shared error, "shared" what the shared error adds to it, "bias_scatter" what
    the scatter adds; the squares add up to sigma_s^2. GJ15 Himalia (1995-2014) under the default apparition biases:
    its apparitions since 2010 consider the era's 46 mas beyond the 30 mas prior."""
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    start = gomes_junior_2016_orbit("Himalia", ephemeris)
    common = dict(night_deweighting=False, epoch=LAST_GJ15)
    full = fit_orbit(observations, start, FitOptions(**common))
    no_scatter = fit_orbit(observations, start, FitOptions(**common, apparition_bias_scatter=None))
    bare = fit_orbit(observations, start, FitOptions(**common, apparition_bias_scatter=None,
                                                     shared_sky_error_mas=0.0))
    np.testing.assert_allclose(full.state, bare.state, rtol=0, atol=1e-9)
    epochs = LAST_GJ15 + np.array([-3.0, 2.0, 12.0]) * YEAR
    table, without_scatter, alone = (sky_uncertainty(s, epochs) for s in (full, no_scatter, bare))
    s = {name: table[f"sigma_s_{name}_mas"].value for name in ("weights", "bias_scatter", "shared")}
    print("\nsigma_s (mas) and its parts weights / bias scatter / shared:",
          [f"{t:.2f} = {w:.2f} / {b:.2f} / {h:.2f}" for t, w, b, h in
           zip(table["sigma_s_mas"].value, s["weights"], s["bias_scatter"], s["shared"])])
    np.testing.assert_allclose(s["weights"], alone["sigma_s_mas"].value, rtol=1e-6)
    np.testing.assert_allclose(s["shared"] ** 2, without_scatter["sigma_s_mas"].value ** 2
                               - alone["sigma_s_mas"].value ** 2, rtol=1e-6)
    np.testing.assert_allclose(s["bias_scatter"] ** 2, table["sigma_s_mas"].value ** 2
                               - without_scatter["sigma_s_mas"].value ** 2, rtol=1e-6)
    np.testing.assert_allclose(s["weights"] ** 2 + s["bias_scatter"] ** 2 + s["shared"] ** 2,
                               table["sigma_s_mas"].value ** 2, rtol=1e-9)
    assert np.all(s["bias_scatter"] > 0.05 * table["sigma_s_mas"].value)        # each part is there
    # at least s: GJ15's ground positions hardly pin the shared offset (their apparition biases take it up)
    assert np.all(s["shared"] > 3.8)
    assert np.all(alone["sigma_s_bias_scatter_mas"].value == 0) and np.all(alone["sigma_s_shared_mas"].value == 0)
