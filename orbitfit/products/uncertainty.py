"""How far an ephemeris can be wrong at a date: the fitted covariance carried to any epochs, in space and on the
sky of any observer, linearly (state-transition matrices) or by Monte Carlo (clones drawn from the covariance and
integrated together, sharing the perturber evaluations).

Every sky covariance here holds, besides the orbit's, the error that every moon's prediction shares
(`FitOptions.shared_sky_error_mas`, per sky axis: one sky offset per apparition, a consider parameter of the fit,
`orbitfit.estimation.shared_error`): s^2 per axis far from precise data, less where the fit's own precise
observations of that apparition pinned it. The solution's covariance holds that error's part in the state
(`shared_error.state_part`), so the state covariances (`position_covariance`, `draw_clones`) carry it; the sky
covariances add the rest (`shared_covariance`).

Where a sky sigma comes from (`sigma_parts`, sky_uncertainty's columns sigma_s_weights_mas, sigma_s_bias_scatter_mas,
sigma_s_shared_mas, whose squares add up to sigma_s^2): the fit's weights and the biases' prior, which more data of
the kind fitted shrinks; the apparition biases' scatter beyond their prior (a consider term,
`FitOptions.apparition_bias_scatter`); and the error every moon's prediction shares, which no data of this moon
shrinks far from its precise observations.

Sky quantities (Gomes-Junior et al. 2016, Fig. 3): sigma of RA* (= sigma(alpha) cos(delta)) and Dec, their correlation,
sigma_s = sqrt(sigma_RA*^2 + sigma_Dec^2), and the 1-sigma error ellipse: semi-major and semi-minor axes and the
position angle of the major axis (from north through east), in mas and in km at the body's distance.
"""
from __future__ import annotations

import astropy.units as u
import numpy as np

from dynamics import constants as C
from ..observables import PropagatedTarget
from ..model import MAS_PER_RAD, astrometric
from ..estimation.bias_priors import scatter_parts
from ..estimation.shared_error import in_covariance_mas2, shared_sky_covariance
from ..observations.observers import Observers
from ..tables import quantity_table
from ..times import to_tdb_seconds
from ..units import to_value


def _epochs(epochs):
    """TDB seconds past J2000 (1-d array) of epochs given as Time, ISO UTC strings or TDB seconds."""
    return np.atleast_1d(np.asarray(to_tdb_seconds(epochs, "epochs"), dtype=float))


def _observer_positions(observer, epochs, ephemeris):
    codes = np.full(epochs.size, str(observer))
    return Observers(ephemeris).positions(codes, epochs)


def _nominal(epochs, observer_ssb, ephemeris):
    """Epochs minus the light time from Jupiter's barycentre: where the satellite's light left."""
    tau = np.linalg.norm(ephemeris.position(C.JUPITER_BARY, epochs) - observer_ssb, axis=1) / C.SPEED_OF_LIGHT_KM_S
    return epochs - tau


def ellipse(cov_ra_ra, cov_ra_dec, cov_dec_dec):
    """1-sigma ellipse of a 2x2 (RA*, Dec) covariance: semi-major, semi-minor, PA of major axis (deg, N->E)."""
    trace_half = 0.5 * (cov_ra_ra + cov_dec_dec)
    root = np.sqrt(np.maximum(0.25 * (cov_ra_ra - cov_dec_dec) ** 2 + cov_ra_dec ** 2, 0.0))
    major = np.sqrt(trace_half + root)
    minor = np.sqrt(np.maximum(trace_half - root, 0.0))
    # major-axis direction (east, north) components; PA = atan2(east, north)
    angle = 0.5 * np.arctan2(2 * cov_ra_dec, cov_dec_dec - cov_ra_ra)
    return major, minor, np.mod(np.degrees(angle), 180.0)


def _sky_table(epochs, ra, dec, distance, cov):
    """QTable of sky uncertainties from (n, 2, 2) covariances in mas^2."""
    s_ra, s_dec = np.sqrt(cov[:, 0, 0]), np.sqrt(cov[:, 1, 1])
    major, minor, pa = ellipse(cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1])
    km_per_mas = distance / MAS_PER_RAD
    return quantity_table({
        "tdb": epochs, "ra_deg": ra, "dec_deg": dec, "distance_km": distance,
        "sigma_ra_mas": s_ra, "sigma_dec_mas": s_dec, "corr": cov[:, 0, 1] / np.maximum(s_ra * s_dec, 1e-300),
        "sigma_s_mas": np.hypot(s_ra, s_dec), "major_mas": major, "minor_mas": minor, "pa_deg": pa,
        "major_km": major * km_per_mas, "minor_km": minor * km_per_mas,
    })


def shared_sky_variance_mas2(solution):
    """s^2 (mas^2): the variance per sky axis of the error every moon's prediction shares, its options'
    `shared_sky_error_mas` squared (0 for options without it)."""
    options = getattr(solution, "options", None)
    return float(getattr(options, "shared_sky_error_mas", 0.0)) ** 2


def shared_covariance(solution, epochs, jacobian, pairwise=False, whole=False):
    """What the shared error adds (mas^2) to the sky covariance J P J^T of `solution`'s predictions at `epochs` (TDB
    s) with partials `jacobian` (`sky_jacobian`): (n, 2, 2), or (n, 2, n, 2) between every two epochs; P holds its
    state part already. whole=True: its whole share, as if P held none of it (`shared_error.shared_sky_covariance`)."""
    return shared_sky_covariance(solution, epochs, jacobian, shared_sky_variance_mas2(solution), pairwise, whole)


def sky_jacobian(solution, epochs, observer="500"):
    """The astrometric model at `epochs` (Time, ISO UTC or TDB s) seen by `observer` (MPC code) and the (n, 2, 6)
    derivatives of RA* and Dec (mas) with respect to the solution's state at its epoch (km, km/s): what carries the
    covariance to the sky, at one epoch (`sky_uncertainty`) or between epochs (J_i P J_j^T, the correlation of two
    predictions, `orbitfit.validation.along_scan`)."""
    ephemeris = solution.model.ephemeris
    epochs = _epochs(epochs)
    observer_ssb = _observer_positions(observer, epochs, ephemeris)
    nominal = _nominal(epochs, observer_ssb, ephemeris)
    run = solution.model.propagate(solution.state, solution.epoch, nominal, stm=True)
    result = astrometric(epochs, observer_ssb, PropagatedTarget(nominal, run.states[:, 0], ephemeris),
                         partials=True)
    return result, np.einsum("nij,njk->nik", result.partials, run.stm[:, 0]) * MAS_PER_RAD   # mas per state unit


def sky_uncertainty(solution, epochs, observer="500"):
    """Linear propagation of the solution's covariance to the sky of `observer` (MPC code) at `epochs`, plus the
    error every moon's prediction shares (`shared_covariance`; its s in meta["shared_sky_error_mas"]).

    epochs: astropy Time(s), ISO date string(s) (UTC), or TDB seconds past J2000. Returns a QTable: `utc` (Time),
    `tdb` (s), RA/Dec (deg), distance (km), 1-sigma RA* and Dec (mas), their correlation, sigma_s and the ellipse
    (semi-axes in mas and km, PA in deg from north through east), and sigma_s of each part of the covariance
    (`sigma_parts`): sigma_s_weights_mas, sigma_s_bias_scatter_mas, sigma_s_shared_mas (their squares add up to
    sigma_s's)."""
    epochs = _epochs(epochs)
    result, jacobian = sky_jacobian(solution, epochs, observer)
    parts = sigma_parts(solution, epochs, jacobian)
    cov = sum(parts.values())
    table = _sky_table(epochs, result.ra_deg, result.dec_deg, result.distance_km, cov)
    for name, part in parts.items():
        table[f"sigma_s_{name}_mas"] = np.sqrt(np.maximum(np.trace(part, axis1=1, axis2=2), 0.0)) * u.mas
    table.meta.update({"body": int(solution.body), "observer": str(observer), "method": "linear",
                       "shared_sky_error_mas": np.sqrt(shared_sky_variance_mas2(solution))})
    return table


# the parts of a predicted sky covariance, in the order `sigma_parts` gives them
SIGMA_PARTS = ("weights", "bias_scatter", "shared")


def sigma_parts(solution, epochs, jacobian):
    """The sky covariance of `solution`'s predictions at `epochs` (TDB s; partials `jacobian`, `sky_jacobian`) split
    by where it comes from, {part: (n, 2, 2) mas^2}, parts that add up to `sky_uncertainty`'s covariance:
    "weights", the fit's weights and the biases' prior (J P J^T less the two consider terms: what more data of the
    kind fitted shrinks); "bias_scatter", the apparition biases' scatter beyond their prior (J S E S^T J^T from the
    fit's record, `bias_priors.scatter_parts`; zero without it); "shared", the error every moon's prediction shares,
    its whole share (`shared_covariance(..., whole=True)`, the state's part included). tests/test_uncertainty.py
    checks each against fits without the consider terms."""
    orbit = np.einsum("nik,kl,njl->nij", jacobian, solution.covariance, jacobian)
    total = orbit + shared_covariance(solution, epochs, jacobian)
    shared = shared_covariance(solution, epochs, jacobian, whole=True)
    scatter = scatter_parts(solution)
    biases = np.zeros_like(total)
    if scatter is not None:
        _, state_per_mas, excess = scatter
        sky_per_mas = np.einsum("nik,km->nim", jacobian, state_per_mas)
        biases = np.einsum("nim,mp,njp->nij", sky_per_mas, excess, sky_per_mas)
    return dict(zip(SIGMA_PARTS, (total - shared - biases, biases, shared)))


def position_covariance(solution, epochs):
    """(n, 3, 3) covariance (km^2) of the position relative to NAIF 5 at `epochs` (Time, ISO UTC or TDB s), ICRF
    axes."""
    run = solution.model.propagate(solution.state, solution.epoch, _epochs(epochs), stm=True)
    phi = run.stm[:, 0, :3, :]
    return np.einsum("nik,kl,njl->nij", phi, solution.covariance, phi)


def draw_clones(solution, n_clones, rng):
    """(n_clones, 6) states drawn from N(state, covariance)."""
    return rng.multivariate_normal(solution.state, solution.covariance, size=n_clones, method="cholesky")


MC_BATCH = 128         # clones per integration: larger batches spill IAS15's arrays out of the CPU cache
MC_STEP_FACTOR = 2     # Monte Carlo integrates with twice the fit's step: 19 m over 20 yr, far below any sigma


def propagate_clones(solution, states, epochs, batch=MC_BATCH, map_function=None, progress=False):
    """States (n_states, 6) at the solution's epoch -> (n_epochs, n_states, 6), in batches that share the
    perturber evaluations. Batches run on a thread per core (REBOUND integrates without the GIL), or through
    `map_function` (e.g. a dask client's map); the results are identical either way."""
    import os
    from concurrent.futures import ThreadPoolExecutor
    model = solution.model
    step = model.step_s * MC_STEP_FACTOR
    chunks = [states[i:i + batch] for i in range(0, len(states), batch)]

    def run(chunk):
        return model.propagate(chunk, solution.epoch, epochs, step_s=step).states
    if map_function is not None:
        return np.concatenate(list(map_function(run, chunks)), axis=1)
    from ..progress import bar
    ticker = bar(len(states), "Monte Carlo clones", "clone", progress)
    results = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for chunk, result in zip(chunks, pool.map(run, chunks)):
            results.append(result)
            ticker.update(len(chunk))
    ticker.close()
    return np.concatenate(results, axis=1)


def monte_carlo_sky(solution, epochs, n_clones=1000, observer="500", rng=None, clones=None, map_function=None,
                    progress=False):
    """Sky uncertainty from clones of the solution drawn from its covariance and integrated together in batches
    (the nominal orbit rides in the first batch with the same step); the clones carry the shared error's part in the
    state (the covariance holds it), the table's covariance adds its sky part (`shared_covariance`, linear), which
    the clones' offsets do not carry. Returns (table, clone RA* / Dec offsets from the nominal in mas, shape
    (n_clones, n_epochs, 2)). progress: a tqdm bar over the clones (terminals only)."""
    ephemeris = solution.model.ephemeris
    rng = rng or np.random.default_rng(0)
    clones = draw_clones(solution, n_clones, rng) if clones is None else clones
    epochs = _epochs(epochs)
    observer_ssb = _observer_positions(observer, epochs, ephemeris)
    nominal = _nominal(epochs, observer_ssb, ephemeris)
    states = np.vstack([solution.state[None, :], clones])
    propagated = propagate_clones(solution, states, nominal, map_function=map_function,
                                  progress=progress)                                     # (n_epochs, n_sat, 6)
    n_sat = states.shape[0]
    # every (satellite, epoch) pair as one row of the astrometric model
    flat_states = np.transpose(propagated, (1, 0, 2)).reshape(-1, 6)
    target = PropagatedTarget(np.tile(nominal, n_sat), flat_states, ephemeris)
    result = astrometric(np.tile(epochs, n_sat), np.tile(observer_ssb, (n_sat, 1)), target)
    ra = result.ra_deg.reshape(n_sat, -1)
    dec = result.dec_deg.reshape(n_sat, -1)
    d_ra = ((ra[1:] - ra[0] + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec[0])) * 3.6e6
    d_dec = (dec[1:] - dec[0]) * 3.6e6
    offsets = np.stack([d_ra, d_dec], axis=-1)
    centred = offsets - offsets.mean(axis=0)
    cov = np.einsum("cni,cnj->nij", centred, centred) / (len(clones) - 1)
    # the clones carry the shared error's part in the state (the covariance's s^2 Q); its sky part is added here
    if shared_sky_variance_mas2(solution) > 0 or in_covariance_mas2(solution) > 0:
        cov = cov + shared_covariance(solution, epochs, sky_jacobian(solution, epochs, observer)[1])
    distance = result.distance_km.reshape(n_sat, -1)[0]
    table = _sky_table(epochs, ra[0], dec[0], distance, cov)
    table.meta.update({"body": int(solution.body), "observer": str(observer),
                       "method": f"monte carlo ({len(clones)} clones)",
                       "shared_sky_error_mas": np.sqrt(shared_sky_variance_mas2(solution))})
    return table, offsets


def compare_linear_and_monte_carlo(linear, monte_carlo, tolerance=0.10):
    """Relative differences of sigma_s (and the ellipse axes) and the first epoch where they exceed `tolerance`."""
    ratio = monte_carlo["sigma_s_mas"] / linear["sigma_s_mas"] - 1.0
    worst_axis = np.maximum(np.abs(monte_carlo["major_mas"] / linear["major_mas"] - 1.0),
                            np.abs(monte_carlo["minor_mas"] / linear["minor_mas"] - 1.0))
    beyond = np.nonzero(np.abs(ratio) > tolerance)[0]
    return {"max_relative_sigma_s": float(np.abs(ratio).max()), "max_relative_axis": float(worst_axis.max()),
            "first_epoch_beyond": float(to_value(linear["tdb"][beyond[0]], "s", "tdb")) if beyond.size else None}


def compare_solutions(before, after, epochs, observer="500"):
    """How `after` (e.g. a refit) moves the predicted positions of `before` at `epochs` (Time, ISO UTC or TDB s): a
    QTable per epoch of after - before in RA* and Dec (mas), and both solutions' 1-sigma (`sky_uncertainty`), plus
    `meta["state_change_sigma"]`: the change of the state at before's epoch in units of before's sigma."""
    epochs = _epochs(epochs)
    mine = sky_uncertainty(before, epochs, observer=observer)
    theirs = sky_uncertainty(after, epochs, observer=observer)
    ra, dec = np.asarray(mine["ra_deg"], float), np.asarray(mine["dec_deg"], float)
    d_ra = (np.asarray(theirs["ra_deg"], float) - ra + 180.0) % 360.0 - 180.0
    mas_per_deg = 3.6e6
    table = quantity_table({"tdb": epochs,
                   "d_ra_mas": d_ra * np.cos(np.radians(dec)) * mas_per_deg,
                   "d_dec_mas": (np.asarray(theirs["dec_deg"], float) - dec) * mas_per_deg,
                   "sigma_ra_before_mas": mine["sigma_ra_mas"], "sigma_dec_before_mas": mine["sigma_dec_mas"],
                   "sigma_ra_after_mas": theirs["sigma_ra_mas"], "sigma_dec_after_mas": theirs["sigma_dec_mas"]})
    after_state = after.model.state_at(after.orbit, before.epoch)
    table.meta["state_change_sigma"] = ((after_state - before.state) / before.sigma).tolist()
    return table
