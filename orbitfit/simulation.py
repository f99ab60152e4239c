"""Synthetic observations of a known orbit, at the epochs and sites of a template table (closed-loop tests,
planning: what would these observations constrain?)."""
from __future__ import annotations

import numpy as np

from .companions import default_model
from .estimation.bias_priors import apparition_bias_correlation
from .estimation.weights import bias_index, fit_data, group_opposition_number
from .observables import evaluate, prepare
from .observations.gaia import covariance_2x2
from .units import to_value


def simulate_observations(orbit, template, sigma_ra_mas, sigma_dec_mas, rng, model=None, given_sigma=True,
                          corr=0.0):
    """Copy of `template` with RA/Dec replaced by the orbit's computed positions plus Gaussian noise.

    sigma_*_mas: noise (scalar or per row). corr: RA*/Dec noise correlation. given_sigma: write the sigmas into the
    table (else NaN, so the fit must estimate them). model: the OrbitModel (default the body's,
    `orbitfit.companions.default_model`); the computed positions are exactly those the fit uses.
    """
    model = model or default_model(orbit.body)
    sigma_ra_mas, sigma_dec_mas = to_value(sigma_ra_mas, "mas", "sigma_ra_mas"), to_value(sigma_dec_mas, "mas",
                                                                                         "sigma_dec_mas")
    table = template.copy()
    table["body"] = orbit.body
    computed = evaluate(orbit, model, prepare(table, model.ephemeris), partials=False)
    n = len(table)
    sigma_ra = np.broadcast_to(np.asarray(sigma_ra_mas, float), (n,))
    sigma_dec = np.broadcast_to(np.asarray(sigma_dec_mas, float), (n,))
    u1, u2 = rng.standard_normal(n), rng.standard_normal(n)
    noise_ra = sigma_ra * u1
    noise_dec = sigma_dec * (corr * u1 + np.sqrt(1.0 - corr ** 2) * u2)
    _place(table, computed, noise_ra, noise_dec)
    table["sigma_ra_mas"] = sigma_ra if given_sigma else np.nan
    table["sigma_dec_mas"] = sigma_dec if given_sigma else np.nan
    table["corr"] = corr
    table.replace_column("dataset", np.full(n, "synthetic"))        # in-place assignment would truncate
    return table


def simulate_like(solution, rng, apparition_scatter_mas=0.0, apparitions=(1960, 2100), night_correlation=False,
                  site_scatter_mas=0.0, sites="observatory", apparition_periodic_ra=0.0):
    """Copy of `solution.observations` at the solution's orbit (its model), with noise of the fit's settled sigmas
    (each row's RA*/Dec covariance as the fit weighed it, a Gaia transit's its own 2x2) and, for every apparition of
    Jupiter whose year lies in `apparitions` (first, last), one RA*/Dec offset drawn from N(0,
    apparition_scatter_mas^2) per axis in all of its ground positions (the rows that get an apparition bias,
    `bias_index`). night_correlation: the rows of one site's night share the part rho of their variance, rho the
    fit's estimate for their weight group (solution.meta["night_correlation"], night_deweighting="estimated"; Gaia
    transits and occultations none), each row's variance unchanged; without it the rows are independent.
    site_scatter_mas: also one RA*/Dec offset per observatory (MPC code, whatever the data set or year), drawn from
    N(0, site_scatter_mas^2) per axis, in all of its ground positions (sites="observatory": the rows that get an
    observatory bias, `bias_index`) or in its positions whose source names no catalogue (sites="uncatalogued");
    drawn after everything else, so that the draws without it are those of before. apparition_periodic_ra: the
    share of the RA* offsets' variance that is a sinusoid of Jupiter's longitude, as FitOptions.apparition_bias_
    periodic_ra puts it in the prior (corr = (1 - f) delta_ij + f cos(dlambda (n_i - n_j)), n the apparitions'
    `opposition_number`): the same standard normals, correlated by that matrix's Cholesky factor (0, the default,
    leaves every draw as it was). A closed loop on a moon's real
    sampling: benchmarks/bias_scatter_closed_loop.py, tests/test_bias_scatter.py. The sigma columns stay as given,
    so a refit estimates its floors again."""
    if not 0.0 <= apparition_periodic_ra < 1.0:              # as FitOptions.apparition_bias_periodic_ra
        raise ValueError(f"apparition_periodic_ra must be within 0..1 (1 excluded), not {apparition_periodic_ra!r}")
    apparition_scatter_mas = to_value(apparition_scatter_mas, "mas", "apparition_scatter_mas")
    site_scatter_mas = to_value(site_scatter_mas, "mas", "site_scatter_mas")
    if sites not in ("observatory", "uncatalogued"):
        raise ValueError(f"sites must be 'observatory' or 'uncatalogued', not {sites!r}")
    table = solution.observations.copy()
    model = solution.model
    prepared = prepare(table, model.ephemeris)
    computed = evaluate(solution.orbit, model, prepared, partials=False)
    w = solution.weights
    covariances = [covariance_2x2(w.sigma_ra[i], w.sigma_dec[i], w.corr[i]) for i in range(len(table))]
    if not night_correlation:        # independent rows (the draws of the closed loops measured before 2026-12-06)
        noise = np.array([rng.multivariate_normal(np.zeros(2), c) for c in covariances]).reshape(len(table), 2)
    else:
        rho = solution.meta.get("night_correlation")
        if rho is None:
            raise ValueError("simulate_like(night_correlation=True) needs a solution fitted with "
                             "night_deweighting='estimated' (its meta['night_correlation'])")
        data = fit_data(prepared, solution.options)
        shared = np.array([rho.get(name, 0.0) for name in data.group_names])[data.group]
        shared[data.full_covariance] = 0.0
        # each row's noise L (sqrt(rho) z_night + sqrt(1 - rho) z_row), L its covariance's Cholesky factor: the
        # row's covariance as the fit weighed it, rho L_i L_j^T between two rows of one night
        nights = rng.standard_normal((int(data.night.max()) + 1, 2))[data.night]
        z = np.sqrt(shared)[:, None] * nights + np.sqrt(1.0 - shared)[:, None] * rng.standard_normal((len(table), 2))
        noise = np.array([np.linalg.cholesky(c) @ zi for c, zi in zip(covariances, z)]).reshape(len(table), 2)
    index, names = bias_index(table, "apparition", gaia_reduced_bias="apparition")   # every ground position
    offsets = np.zeros((len(names), 2))
    drawn = []
    for k, name in enumerate(names):
        if apparitions[0] <= int(str(name).rsplit(":", 1)[-1]) <= apparitions[1]:
            offsets[k] = rng.normal(0.0, apparition_scatter_mas, 2)
            drawn.append(k)
    if apparition_periodic_ra and len(drawn) > 1:
        tdb = np.asarray(table["tdb"], float)
        number = np.array([group_opposition_number(tdb[index[:, 0] == k]) for k in drawn])
        lag = number[:, None] - number[None, :]
        correlation = apparition_bias_correlation(lag, 0.0, float(apparition_periodic_ra))
        offsets[drawn, 0] = np.linalg.cholesky(correlation) @ offsets[drawn, 0]
    biased = index[:, 0] >= 0
    noise[biased] += offsets[index[biased, 0]]
    if site_scatter_mas > 0:
        index, names = bias_index(table, sites)
        site_offsets = rng.normal(0.0, site_scatter_mas, (len(names), 2))
        biased = index[:, 0] >= 0
        noise[biased] += site_offsets[index[biased, 0]]
    _place(table, computed, noise[:, 0], noise[:, 1])
    return table


def _place(table, computed, noise_ra_mas, noise_dec_mas):
    """Write the computed positions (`evaluate`'s calc_ra/calc_dec, deg) plus the noise (RA* and Dec, mas) into
    `table`'s ra_deg and dec_deg, in place."""
    mas_per_deg = 3600.0e3
    table["dec_deg"] = computed.calc_dec + noise_dec_mas / mas_per_deg
    table["ra_deg"] = np.mod(computed.calc_ra + noise_ra_mas / (mas_per_deg * np.cos(np.radians(table["dec_deg"]))),
                             360.0)
