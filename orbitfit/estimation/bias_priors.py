"""The biases' prior (`orbitfit.estimation.options`, "Biases"): each bias's mean and sigma (`bias_prior_arrays`,
`default_bias_prior_mas`), the apparitions' correlation (`bias_prior_whitening`), and the scatter the covariance
considers beyond the prior (`considered`)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .options import (APPARITION_BIAS_SCATTER_MAS, BIAS_PRIOR_BEFORE_1960_MAS, MOON_APPARITION_SCATTER_FROM,
                      MOON_APPARITION_SCATTER_MAS, MOON_APPARITION_SCATTER_UNTIL, UNCATALOGUED_PRIOR_MAS)
from .weights import JUPITER_LONGITUDE_STEP_RAD, opposition_number, split_member_name


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
    without a named catalogue ("uncatalogued:G36") at least UNCATALOGUED_PRIOR_MAS (options module)."""
    if str(name).startswith("uncatalogued:"):
        return max(float(prior_mas), UNCATALOGUED_PRIOR_MAS)
    year = str(name).rsplit(":", 1)[-1]
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
            number = int(np.round(np.median(opposition_number(data.t_obs[data.bias_group[:, level] == j]))))
            chains.setdefault(owner, []).append((j, number))
    for chain in chains.values():
        if len(chain) < 2:
            continue
        index, number = np.array([j for j, _ in chain]), np.array([n for _, n in chain])
        lag = number[:, None] - number[None, :]
        for c, (rho, share) in enumerate(kernels):
            if rho == 0.0 and share == 0.0:
                continue
            correlation = (1.0 - share) * rho ** np.abs(lag) + share * np.cos(JUPITER_LONGITUDE_STEP_RAD * lag)
            columns = 2 * index + c
            sigma = prior_sigma[columns]
            covariance = np.outer(sigma, sigma) * correlation
            whitening[np.ix_(columns, columns)] = np.linalg.inv(np.linalg.cholesky(covariance))
    return whitening


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


def considered(fit, data, options, bias_priors=None, body=None):
    """`fit` (a GaussNewtonResult) with its covariance widened for the apparition biases since 1960 that scatter
    more than their prior says (options.apparition_bias_scatter: `apparition_scatter_mas`): consider parameters, the
    estimate unchanged.

    The estimate takes each bias's prior as a pseudo-observation of covariance L (`bias_prior_whitening`: W^T W =
    L^-1). If the biases in truth scatter by L_t, the estimator's covariance is C + C_b L^-1 (L_t - L) L^-1 C_b^T,
    C_b the columns of the covariance C for the biases: how much an apparition bias beyond its prior moves the orbit.
    L_t is L with each apparition's sigma scaled to its scatter (the correlation between apparitions kept), and left
    as it is where the prior is as wide already (before 1960, a prior given wider). No apparition bias, or
    apparition_bias_scatter None: `fit` unchanged (tests/test_bias_priors.py checks the term against Monte Carlo).
    The moon whose scatter it is (the "moon" scatter): `body`, or the NAIF id that prefixes a family's bias names
    ("506:apparition:2003")."""
    k = len(data.bias_names)
    if options.apparition_bias_scatter is None or k == 0:
        return fit
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
        return fit
    whitening = bias_prior_whitening(data, prior_sigma, options)
    information = whitening.T @ whitening                                   # L^-1
    excess = np.linalg.inv(information) * (np.outer(scale, scale) - 1.0)    # L_t - L
    lever = fit.covariance[:, -2 * k:] @ information                        # C_b L^-1
    return replace(fit, covariance=fit.covariance + lever @ excess @ lever.T)
