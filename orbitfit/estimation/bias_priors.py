"""The biases' prior (`orbitfit.estimation.options`, "Biases"): each bias's mean and sigma (`bias_prior_arrays`,
`default_bias_prior_mas`), the apparitions' correlation (`bias_prior_whitening`), and the scatter the covariance
considers beyond the prior (`scatter_excess`, `considered`, `scatter_response`)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .options import (APPARITION_BIAS_SCATTER_MAS, BIAS_PRIOR_BEFORE_1960_MAS, GAIA_REDUCED_PRIOR_MAS,
                      MOON_APPARITION_SCATTER_FROM, MOON_APPARITION_SCATTER_MAS, MOON_APPARITION_SCATTER_UNTIL,
                      TIMING_PRIOR_S, UNCATALOGUED_PRIOR_MAS)
from .weights import GAIA_REDUCED, JUPITER_LONGITUDE_STEP_RAD, group_opposition_number, split_member_name


SCATTER_RESPONSE = "bias_scatter_response"     # Solution.meta: `scatter_record`


def bias_prior_arrays(names, prior_mas, bias_priors=None):
    """(mean, sigma) of the prior of each bias coordinate [ra(0), dec(0), ra(1), ...], mas: zero and `prior_mas`
    (for an apparition or season before 1960 at least BIAS_PRIOR_BEFORE_1960_MAS), or for a group named in
    `bias_priors` its {name: (mean_ra_mas, mean_dec_mas, sigma_mas)}."""
    mean = np.zeros(2 * len(names))
    sigma = np.repeat([default_bias_prior_mas(name, prior_mas) for name in names], 2).astype(float)
    for k, name in enumerate(names):
        if bias_priors and name in bias_priors:
            m_ra, m_dec, s = (float(v) for v in bias_priors[name])
            if not (np.isfinite(m_ra) and np.isfinite(m_dec) and np.isfinite(s) and s > 0):
                raise ValueError(f"bias_priors[{str(name)!r}] = {bias_priors[name]!r}: expected (mean_ra_mas, "
                                 f"mean_dec_mas, sigma_mas) with a finite sigma > 0")
            mean[2 * k:2 * k + 2], sigma[2 * k:2 * k + 2] = (m_ra, m_dec), s
    return mean, sigma


def default_bias_prior_mas(name, prior_mas):
    """The default prior sigma of the bias group `name`: `prior_mas`, or for a group of one apparition before 1960
    ("apparition:1905", a season "...:1905") at least BIAS_PRIOR_BEFORE_1960_MAS, for an observatory's positions
    without a named catalogue ("uncatalogued:G36") at least UNCATALOGUED_PRIOR_MAS, for the positions reduced
    against Gaia of one apparition since 1960 ("gaia-reduced:2016") at most GAIA_REDUCED_PRIOR_MAS (options
    module)."""
    if str(name).startswith("uncatalogued:"):
        return max(float(prior_mas), UNCATALOGUED_PRIOR_MAS)
    if split_member_name(str(name))[1].startswith("timing:"):
        return TIMING_PRIOR_S                            # seconds, not mas: the pair is (dt, unused)
    year = str(name).rsplit(":", 1)[-1]
    if split_member_name(str(name))[1].startswith(f"{GAIA_REDUCED}:") and year.isdigit() and int(year) >= 1960:
        return min(float(prior_mas), GAIA_REDUCED_PRIOR_MAS)
    if year.isdigit() and len(year) == 4 and int(year) < 1960:
        return max(float(prior_mas), BIAS_PRIOR_BEFORE_1960_MAS)
    return float(prior_mas)


def bias_prior_whitening(data, prior_sigma, options=None):
    """W (2k x 2k) with W^T W the inverse of the biases' prior covariance, ordered as their parameters [ra(0),
    dec(0), ra(1), ...]. Independent (diag(1 / prior_sigma)) unless `options` (FitOptions) correlate the biases of
    the apparitions since 1960 ("apparition:YYYY"); then, for each coordinate c, within one moon (a family fit's
    "506:..." and "507:..." apart), with n the `opposition_number` of each group's positions:
    corr(b_i, b_j) = (1 - f_c) rho_c^|n_i - n_j| + f_c cos(dlambda (n_i - n_j)),
    rho_c = apparition_bias_correlation_ra/_dec (an AR(1) sequence over the oppositions), f_c =
    apparition_bias_periodic_ra/_dec (the share of the prior variance that is a sinusoid of Jupiter's heliocentric
    longitude, which advances by dlambda = JUPITER_LONGITUDE_STEP_RAD from one opposition to the next: a bias that
    belongs to the sky region, not to the year). The other groups stay independent."""
    whitening = np.diag(1.0 / prior_sigma)
    if options is None:
        return whitening
    kernels = [(options.apparition_bias_correlation_ra, options.apparition_bias_periodic_ra),
               (options.apparition_bias_correlation_dec, options.apparition_bias_periodic_dec)]
    if not any(rho or share for rho, share in kernels):
        return whitening
    chains = {}                                   # None or 506 -> [(bias index, opposition number)]
    for j, name in enumerate(str(name) for name in data.bias_names):
        owner, own_name = split_member_name(name)
        kind, _, year = own_name.partition(":")
        if kind == "apparition" and year.isdigit() and int(year) >= 1960:
            level = np.nonzero(np.any(data.bias_group == j, axis=0))[0][0]
            number = group_opposition_number(data.t_obs[data.bias_group[:, level] == j])
            chains.setdefault(owner, []).append((j, number))
    for chain in chains.values():
        if len(chain) < 2:
            continue
        index, number = np.array([j for j, _ in chain]), np.array([n for _, n in chain])
        lag = number[:, None] - number[None, :]
        for c, (rho, share) in enumerate(kernels):
            if rho == 0.0 and share == 0.0:
                continue
            correlation = apparition_bias_correlation(lag, rho, share)
            columns = 2 * index + c
            sigma = prior_sigma[columns]
            covariance = np.outer(sigma, sigma) * correlation
            whitening[np.ix_(columns, columns)] = np.linalg.inv(np.linalg.cholesky(covariance))
    return whitening


def apparition_bias_correlation(lag, rho, share):
    """The prior correlation of two apparitions' biases on one axis, `lag` oppositions apart (an array of integer
    lags): (1 - share) rho^|lag| + share cos(dlambda lag), an AR(1) sequence over the oppositions and a sinusoid of
    Jupiter's heliocentric longitude, which advances by dlambda = JUPITER_LONGITUDE_STEP_RAD from one opposition to
    the next (`bias_prior_whitening`; FitOptions.apparition_bias_correlation_ra/_dec and _periodic_ra/_dec)."""
    lag = np.asarray(lag)
    return (1.0 - share) * float(rho) ** np.abs(lag) + share * np.cos(JUPITER_LONGITUDE_STEP_RAD * lag)


def apparition_scatter_mas(year, scatter, body=None):
    """The scatter (mas) that the covariance considers for the apparition bias of `year` of moon `body` (a NAIF id)
    under FitOptions.apparition_bias_scatter (`scatter`: a key of APPARITION_BIAS_SCATTER_MAS, or None), or None
    where it says nothing (None, or a year before its first era). "moon" is "era" but for the years of
    MOON_APPARITION_SCATTER_MAS, where a moon it names has its own."""
    if (scatter == "moon" and body in MOON_APPARITION_SCATTER_MAS
            and MOON_APPARITION_SCATTER_FROM <= year <= MOON_APPARITION_SCATTER_UNTIL):
        return MOON_APPARITION_SCATTER_MAS[body]
    value = None
    for first, mas in APPARITION_BIAS_SCATTER_MAS.get(scatter, ()):
        if year >= first:
            value = mas
    return value


def scatter_excess(data, options, bias_priors=None, body=None):
    """(L^-1, L_t - L), each (2k, 2k) over the bias coordinates [ra(0), dec(0), ra(1), ...]: the information of the
    biases' prior (`bias_prior_whitening`) and how much more the apparition biases since 1960 scatter than it says
    (options.apparition_bias_scatter: `apparition_scatter_mas`; L_t is L with each such apparition's sigma scaled to
    its scatter, the correlation between apparitions kept, left as it is where the prior is as wide already). None
    where nothing is considered (no apparition bias, apparition_bias_scatter None, or every prior as wide). The moon
    whose scatter it is (the "moon" scatter): `body`, or the NAIF id that prefixes a family's bias names
    ("506:apparition:2003")."""
    k = len(data.bias_names)
    if options.apparition_bias_scatter is None or k == 0:
        return None
    _, prior_sigma = bias_prior_arrays(data.bias_names, options.bias_prior_mas, bias_priors)
    scale = np.ones(2 * k)
    for j, name in enumerate(str(name) for name in data.bias_names):
        member, own_name = split_member_name(name)
        kind, _, year = own_name.partition(":")
        if kind == "apparition" and year.isdigit():
            owner = body if member is None else member
            scatter = apparition_scatter_mas(int(year), options.apparition_bias_scatter, owner)
            if scatter is not None:
                scale[2 * j:2 * j + 2] = np.maximum(1.0, scatter / prior_sigma[2 * j:2 * j + 2])
    if np.all(scale == 1.0):
        return None
    whitening = bias_prior_whitening(data, prior_sigma, options)
    information = whitening.T @ whitening                                   # L^-1
    return information, np.linalg.inv(information) * (np.outer(scale, scale) - 1.0)


def considered(fit, data, options, bias_priors=None, body=None):
    """`fit` (a GaussNewtonResult) with its covariance widened for the apparition biases since 1960 that scatter
    more than their prior says (`scatter_excess`): consider parameters, the estimate unchanged.

    The estimate takes each bias's prior as a pseudo-observation of covariance L (`bias_prior_whitening`: W^T W =
    L^-1). If the biases in truth scatter by L_t, the estimator's covariance is C + C_b L^-1 (L_t - L) L^-1 C_b^T,
    C_b the columns of the covariance C for the biases: how much an apparition bias beyond its prior moves the orbit
    (`scatter_response`). Nothing considered: `fit` unchanged (tests/test_bias_priors.py checks the term against
    Monte Carlo)."""
    response = scatter_response(fit, data, options, bias_priors, body)
    if response is None:
        return fit
    _, lever, excess = response
    return replace(fit, covariance=fit.covariance + lever @ excess @ lever.T)


def scatter_response(fit, data, options, bias_priors=None, body=None):
    """(coordinates (m,), lever (p, m), excess (m, m)): how the fitted parameters move with the apparition biases'
    departure from their prior, C_b L^-1 (the estimate's error holds -C_b L^-1 b for true biases b), and L_t - L
    (`scatter_excess`), kept to the m bias coordinates ("apparition:2003:ra", ...) where L_t - L is not zero. The
    consider term of `considered` is lever @ excess @ lever.T; two fits of overlapping data share the biases of the
    coordinates they both name, so the term between them is lever_1 @ excess_12 @ lever_2.T
    (`orbitfit.chance.influence_spread`). None where nothing is considered."""
    parts = scatter_excess(data, options, bias_priors, body)
    if parts is None:
        return None
    information, excess = parts
    k = len(data.bias_names)
    keep = np.nonzero(np.any(excess != 0.0, axis=1))[0]
    coordinates = [f"{data.bias_names[c // 2]}:{('ra', 'dec')[c % 2]}" for c in keep]
    lever = fit.covariance[:, -2 * k:] @ information[:, keep]
    return coordinates, lever, excess[np.ix_(keep, keep)]


def scatter_record(coordinates, state_per_mas, excess_mas2):
    """The Solution.meta record of `scatter_response` (JSON-able; archives keep it): the coordinates, the state's
    move per mas of each (6, m; at the solution's epoch) and their excess scatter L_t - L (m, m), mas^2, whose
    state_per_mas @ excess @ state_per_mas.T the solution's covariance holds."""
    return {"coordinates": [str(c) for c in coordinates],
            "state_per_mas": np.asarray(state_per_mas, float).tolist(),
            "excess_mas2": np.asarray(excess_mas2, float).tolist()}


def scaled_scatter_record(record, factor):
    """The `scatter_record` of a solution whose every sigma is `factor` times the original's (Solution.inflated):
    the state's move per mas of a bias is the fit's own map, the excess scatter it holds scales by factor^2."""
    return {**record, "excess_mas2": (np.asarray(record["excess_mas2"], float) * float(factor) ** 2).tolist()}


def scatter_parts(solution):
    """(coordinates (m,), state_per_mas (6, m), excess (m, m)) of a solution's `scatter_record`, or None for one
    without it (nothing considered, or an archive written before 2026-12-06)."""
    record = (getattr(solution, "meta", None) or {}).get(SCATTER_RESPONSE)
    if not record:
        return None
    m = len(record["coordinates"])
    return (list(record["coordinates"]), np.asarray(record["state_per_mas"], float).reshape(6, m),
            np.asarray(record["excess_mas2"], float).reshape(m, m))
