"""Leave one opposition out: each apparition of Jupiter in the ground data held out in turn and predicted by a fit
of the rest (`leave_one_opposition_out`)."""
from __future__ import annotations

import numpy as np

from ..chance import HONEST_DRAWS, honest_spread
from ..estimation.bias_priors import apparition_bias_correlation, apparition_scatter_mas, default_bias_prior_mas
from ..estimation.least_squares import fit_orbit
from ..estimation.weights import (apparition_year, bias_design, group_keys, group_opposition_number, night_index,
                                  row_bias_offsets)
from ..products.uncertainty import sky_uncertainty
from ..residuals import compute_residuals
from ..tables import plain_table, quantity_table
from .held_out import _defaults
from .predictions import HarnessResult, summary


def leave_one_opposition_out(body, options=None, *, observations=None, start=None, model=None, min_rows=10,
                             kinds=("optical",), apparitions=None):
    """For each apparition with at least `min_rows` rows of `kinds` (ground astrometry by default; `apparitions`:
    only these years, `apparition_year`), fit every other row and predict the held-out rows. Only rows the full fit
    accepted are judged (a 5" blunder says nothing of the sigma).

    The prediction is what a fit without that apparition knows of its rows: the orbit plus the biases it fitted
    that the rows share with other apparitions (an observatory without a catalogue, the zenith level; `row_bias_
    offsets`), not the held-out apparition's own bias, which no other apparition measures (but may predict in part:
    below), nor a bias whose group
    the fit without it had too few rows to keep (an uncatalogued site seen in that apparition alone). So each
    residual's sigma adds in squares the observation's (as the full fit weighted it, without the night factor,
    which is about correlation, not a row's own error), the orbit's (linear, `sky_uncertainty`, geocentric) and the
    spread of each bias the prediction has no estimate of (columns sigma_unknown_bias_ra_mas and _dec_mas): its prior
    (`default_bias_prior_mas`: options.bias_prior_mas, before 1960 BIAS_PRIOR_BEFORE_1960_MAS, an uncatalogued site
    UNCATALOGUED_PRIOR_MAS) or, for an apparition where wider, the scatter the covariance considers for that year
    (options.apparition_bias_scatter). Where the prior correlates the apparitions since 1960 (options.apparition_bias_
    periodic_ra and _correlation_, the default's RA* sinusoid), the other apparitions' fitted biases predict part of
    the held-out one's own (`conditional_apparition_bias`): that prediction joins the offset subtracted and its error,
    not the whole spread, the sigma (the sinusoid's share of the prior, 0.56, leaves 0.46 of its variance unknown
    when many apparitions are fitted). The rows of one apparition share that bias and the orbit's error, so their z
    are not independent: what a moon's figure can tell is set by its number of apparitions, not of rows.

    What an honest sigma gives the z rms (summary's honest_rms_normalised_90 and p_rms_normalised, as the Gaia
    tests'): residuals drawn with that sigma, the rows of one apparition sharing its bias and (taken as one draw
    within an apparition) the orbit's error, the rows of one site's night the part of their variance the full fit
    estimated as shared (meta["night_correlation"]); RA* and Dec apart. The sharper test of the bias' spread and the
    orbit's sigma is each apparition's mean residual per axis (weighted by 1 / sigma^2, as the fit reads the
    apparition) over its own sigma from that covariance: its rms (rms_normalised_means over n_means) and the chance
    of one this large (p_rms_normalised_means, chi-square); each apparition's in notes["apparition_means"] (mean and
    its sigma, RA* and Dec, mas).

    Returns a HarnessResult whose table has one row per held-out observation (tdb, its row in the full fit's
    observations, opposition, dataset, observer, residuals, the modelled offset subtracted, sigmas, z), its summary
    over both coordinates, the full fit as its solution."""
    observations, options, model, start = _defaults(body, observations, options, model, start)
    full = fit_orbit(observations, start, options, model=model)
    observations = full.observations            # as the fit kept them (exact copies dropped), row for row
    sigma_ra, sigma_dec = full.weights.sigma_ra, full.weights.sigma_dec
    index = apparition_year(observations["tdb"])
    eligible = np.isin(np.asarray(observations["kind"]).astype(str), kinds) & full.accepted
    years = [int(k) for k in np.unique(index[eligible]) if (eligible & (index == k)).sum() >= min_rows
             and (apparitions is None or int(k) in apparitions)]
    columns = ("tdb", "row", "opposition", "dataset", "observer", "res_ra_mas", "res_dec_mas", "offset_ra_mas",
               "offset_dec_mas", "sigma_unknown_bias_ra_mas", "sigma_unknown_bias_dec_mas", "sigma_ra_mas",
               "sigma_dec_mas", "z_ra", "z_dec")
    rows = {name: [] for name in columns}
    night, _ = night_index(observations, observations["tdb"])
    rho = full.meta.get("night_correlation", {})
    shared = np.array([rho.get(key, 0.0) for key in group_keys(observations, options.weight_groups)])
    blocks = []                                 # the held-out residuals' covariance, one block per apparition and axis
    groups, group_names, _ = bias_design(observations, options.bias_groups, options.gaia_apparition_offsets,
                                         gaia_reduced_bias=options.gaia_reduced_bias)
    numbers = _opposition_numbers(observations, groups, group_names)
    means = []                                  # each block's (year, weighted mean residual, its sigma), mas
    ground = np.isin(np.asarray(observations["kind"]).astype(str), kinds)
    for year in years:
        # the whole apparition's rows of `kinds` leave the fit, its outliers too (the fit without them would
        # re-judge them and estimate the apparition's bias from them); the rows the full fit accepted are judged
        solution = fit_orbit(observations[~(ground & (index == year))], full.orbit, options, model=model)
        left_out = ground & (index == year)
        held = eligible & (index == year)
        res = plain_table(compute_residuals(observations[held], solution.orbit, model))
        # the biases the fit without the apparition estimated: the groups of the rows it used (a group of rejected
        # rows alone, e.g. the held-out apparition's own, has a prior-only value, no estimate); their offsets on the
        # whole table, so that a second level's groups are the fit's (SECOND_LEVEL_MIN_ROWS), then the held-out rows'
        used = groups[~left_out][solution.accepted]
        fitted = set() if solution.biases is None else {str(g) for g in solution.biases["group"]}
        known = {str(group_names[j]) for j in np.unique(used[used >= 0])} & fitted
        estimated = None if solution.biases is None else \
            solution.biases[np.array([str(g) in known for g in solution.biases["group"]], bool)]
        offset_ra, offset_dec = (v[held] for v in row_bias_offsets(observations, estimated, options.bias_groups,
                                                                    options.gaia_apparition_offsets,
                                                                    missing_ok=True,
                                                                    gaia_reduced_bias=options.gaia_reduced_bias))
        sky = plain_table(sky_uncertainty(solution, np.asarray(observations["tdb"], float)[held], observer="500"))
        predicted = conditional_apparition_bias(year, numbers, solution.biases, options, full.body)
        for name, (mean, _) in predicted.items():
            in_group = np.any(groups[held] == list(group_names).index(name), axis=1)
            offset_ra, offset_dec = offset_ra + mean[0] * in_group, offset_dec + mean[1] * in_group
        unknown_ra, unknown_dec = _unknown_bias_covariance(groups[held], group_names, known, options, full.body,
                                                           predicted)
        s_ra = np.sqrt(sigma_ra[held] ** 2 + sky["sigma_ra_mas"] ** 2 + np.diag(unknown_ra))
        s_dec = np.sqrt(sigma_dec[held] ** 2 + sky["sigma_dec_mas"] ** 2 + np.diag(unknown_dec))
        r_ra, r_dec = res["res_ra_mas"] - offset_ra, res["res_dec_mas"] - offset_dec
        same_night = night[held][:, None] == night[held][None, :]
        for own, orbit, residual, unknown in ((sigma_ra[held], sky["sigma_ra_mas"], r_ra, unknown_ra),
                                              (sigma_dec[held], sky["sigma_dec_mas"], r_dec, unknown_dec)):
            nightly = np.sqrt(np.outer(shared[held], shared[held])) * np.outer(own, own) * same_night
            blocks.append(nightly + np.diag(own ** 2 * (1.0 - shared[held])) + unknown + np.outer(orbit, orbit))
            # its mean weighted as the rows' sigmas weigh them, as the fit reads an apparition (an unweighted mean
            # would be the imprecise sites'): m = w^T r / sum(w), var(m) = w^T C w / sum(w)^2
            weight = 1.0 / np.diag(blocks[-1])
            means.append((year, weight @ residual / weight.sum(), np.sqrt(weight @ blocks[-1] @ weight) / weight.sum()))
        for name, values in (("tdb", res["tdb"]), ("row", np.nonzero(held)[0]),
                             ("opposition", np.full(held.sum(), year)),
                             ("dataset", np.asarray(observations["dataset"]).astype(str)[held]),
                             ("observer", np.asarray(observations["observer"]).astype(str)[held]),
                             ("res_ra_mas", r_ra), ("res_dec_mas", r_dec), ("offset_ra_mas", offset_ra),
                             ("offset_dec_mas", offset_dec),
                             ("sigma_unknown_bias_ra_mas", np.sqrt(np.diag(unknown_ra))),
                             ("sigma_unknown_bias_dec_mas", np.sqrt(np.diag(unknown_dec))),
                             ("sigma_ra_mas", s_ra), ("sigma_dec_mas", s_dec),
                             ("z_ra", r_ra / s_ra), ("z_dec", r_dec / s_dec)):
            rows[name].append(np.asarray(values))
    table = quantity_table({name: np.concatenate(v) if v else np.zeros(0) for name, v in rows.items()})
    residual = np.concatenate([table["res_ra_mas"].value, table["res_dec_mas"].value])
    normalised = np.concatenate([np.asarray(table["z_ra"]), np.asarray(table["z_dec"])])
    from scipy.stats import chi2               # here, not at the top: 0.46 s to import (measured), for this alone
    result = summary(residual, normalised)
    z_draws = _honest_z_rms(blocks)
    result.update({"honest_rms_normalised_90": tuple(float(q) for q in np.quantile(z_draws, [0.05, 0.95])),
                   "p_rms_normalised": float(np.mean(z_draws >= result["rms_normalised"]))})
    # the apparitions' mean residuals (RA* and Dec), each over its sigma: independent N(0, 1) for an honest sigma
    z_means = np.array([mean / sigma for _, mean, sigma in means])
    result.update({"n_means": int(z_means.size),
                   "rms_normalised_means": float(np.sqrt(np.mean(z_means ** 2))) if z_means.size else np.nan,
                   "p_rms_normalised_means": float(chi2.sf(np.sum(z_means ** 2), z_means.size)) if z_means.size
                   else np.nan})
    apparition_means = quantity_table({"opposition": [y for y, _, _ in means[::2]],
                                       "mean_ra_mas": [m for _, m, _ in means[::2]],
                                       "sigma_mean_ra_mas": [s for _, _, s in means[::2]],
                                       "mean_dec_mas": [m for _, m, _ in means[1::2]],
                                       "sigma_mean_dec_mas": [s for _, _, s in means[1::2]]})
    return HarnessResult(str(body), "opposition", table, result, full,
                         {"n_oppositions": len(years), "apparition_means": apparition_means})


def _honest_z_rms(blocks, draws=HONEST_DRAWS):
    """Draws of the z rms over independent blocks of residuals, each block's covariance (mas^2) as given: each
    block drawn with its own seed (`honest_spread`), its squared z summed."""
    total, n = np.zeros(draws), 0
    for seed, covariance in enumerate(blocks):
        z_rms, _ = honest_spread(covariance, draws, seed=seed)
        total += z_rms ** 2 * covariance.shape[0]
        n += covariance.shape[0]
    return np.sqrt(total / n) if n else np.full(draws, np.nan)


def _unknown_bias_covariance(groups, names, known, options, body, predicted=None):
    """(RA*, Dec) covariances, each (n, n) mas^2: the offsets of the n held-out rows that the fit without them has
    no estimate of, each bias group (`bias_design`'s `groups` of those rows, `names`) not in `known` (the names it
    estimated) adding its spread to the rows it holds (`_truth_spread_mas`), or for a group in `predicted`
    ({name: (mean, variance per axis)}, `conditional_apparition_bias`) the variance of that prediction's error. The
    zenith level (k tan z, every position with a known zenith) is always known."""
    covariance = np.zeros((2, len(groups), len(groups)))
    for j in np.unique(groups[groups >= 0]):
        name = str(names[j])
        if name in known:
            continue
        variance = (predicted[name][1] if predicted and name in predicted else
                    np.full(2, _truth_spread_mas(name, options, body) ** 2))
        rows = np.any(groups == j, axis=1)
        covariance += variance[:, None, None] * np.outer(rows, rows)[None]
    return covariance[0], covariance[1]


def _truth_spread_mas(name, options, body):
    """The spread (mas) a bias group's value has about zero: its prior (`default_bias_prior_mas`) or, for an
    apparition where wider, the scatter the covariance considers for that year (options.apparition_bias_scatter)."""
    spread = default_bias_prior_mas(name, options.bias_prior_mas)
    kind, _, year = name.partition(":")
    if kind == "apparition" and year.isdigit():
        spread = max(spread, apparition_scatter_mas(int(year), options.apparition_bias_scatter, body) or 0.0)
    return spread


def _opposition_numbers(observations, groups, names):
    """{year: opposition number} of each apparition bias group "apparition:YYYY" of the table, as the prior's
    correlation counts them (`bias_prior_whitening`: the median `opposition_number` of the group's rows)."""
    tdb = np.asarray(observations["tdb"], float)
    out = {}
    for j, name in enumerate(str(n) for n in names):
        kind, _, year = name.partition(":")
        rows = np.any(groups == j, axis=1)
        if kind == "apparition" and year.isdigit() and rows.any():
            out[int(year)] = group_opposition_number(tdb[rows])
    return out


def conditional_apparition_bias(year, numbers, biases, options, body=None):
    """What the fit without apparition `year` predicts of that apparition's own bias where the prior correlates the
    apparitions since 1960 (`bias_prior_whitening`: per axis c, corr = (1 - f_c) rho_c^|lag| + f_c cos(dlambda lag)
    over the opposition numbers, `numbers` {year: number}): {"apparition:YYYY": (mean, variance)}, each (RA*, Dec) in
    mas and mas^2; {} where the prior says nothing (before 1960, independent priors, no fitted apparition since 1960).

    With L the covariance of the held-out bias b_Y and the fitted ones b_o (each sigma the spread that apparition's
    bias has, `_truth_spread_mas`: the prior, or the scatter the covariance considers where wider; the prior's
    correlation), the prediction is its regression on the fitted values, m = K b_o_hat, K = L_Yo L_oo^-1, and its
    error's variance L_YY - K L_oY + K P K^T, with P the fit's joint covariance of those biases (their errors taken
    as independent of the biases themselves: the apparitions that are well measured). The regression is the truth's,
    not the fit's prior's (every sigma 30 mas): with the fitted apparitions of 1960-1994 scattering by 320-432 mas,
    the prior's regression would carry their spread into the prediction (Leda 2009: 110 mas of error where its own
    bias spreads by 30). An axis without correlation gives m = 0 and var = L_YY: the held-out bias's whole spread,
    as an independent prior would."""
    name = f"apparition:{int(year)}"
    kernels = [(options.apparition_bias_correlation_ra, options.apparition_bias_periodic_ra),
               (options.apparition_bias_correlation_dec, options.apparition_bias_periodic_dec)]
    if int(year) < 1960 or int(year) not in numbers or biases is None or not any(r or f for r, f in kernels):
        return {}
    fitted, years = [], []
    for j, group in enumerate(str(g) for g in biases["group"]):
        kind, _, other = group.partition(":")
        if kind == "apparition" and other.isdigit() and int(other) >= 1960 and int(other) in numbers:
            fitted.append(j)
            years.append(int(other))
    if not fitted:
        return {}
    every = [int(year), *years]
    number = np.array([numbers[y] for y in every])
    lag = number[:, None] - number[None, :]
    spread = np.array([_truth_spread_mas(f"apparition:{y}", options, body) for y in every])
    joint = np.asarray(biases.meta["covariance_mas2"], float)
    mean, variance = np.zeros(2), np.zeros(2)
    for c, (rho, share) in enumerate(kernels):
        covariance = np.outer(spread, spread) * apparition_bias_correlation(lag, rho, share)
        gain = np.linalg.solve(covariance[1:, 1:], covariance[1:, 0])          # K^T (L_oo symmetric)
        estimate = np.asarray(biases["bias_ra_mas" if c == 0 else "bias_dec_mas"], float)[fitted]
        coordinates = 2 * np.array(fitted) + c
        error = joint[np.ix_(coordinates, coordinates)]
        mean[c] = gain @ estimate
        variance[c] = covariance[0, 0] - gain @ covariance[1:, 0] + gain @ error @ gain
    return {name: (mean, variance)}


def by_group(result, column="dataset"):
    """One row per value of `column` ("dataset", "observer" or "opposition") of a `leave_one_opposition_out`
    result's table: rows, apparitions, rms and mean of the residuals in RA* and Dec (mas), rms of the z over both
    coordinates. An astropy QTable."""
    table = result.table
    keys = np.asarray(table[column]).astype(str)
    out = {column: [], "n": [], "apparitions": [], "rms_ra_mas": [], "rms_dec_mas": [], "mean_ra_mas": [],
           "mean_dec_mas": [], "rms_normalised": []}
    for key in sorted(set(keys)):
        m = keys == key
        ra, dec = table["res_ra_mas"].value[m], table["res_dec_mas"].value[m]
        z = np.concatenate([np.asarray(table["z_ra"])[m], np.asarray(table["z_dec"])[m]])
        for name, value in ((column, key), ("n", int(m.sum())),
                            ("apparitions", int(np.unique(np.asarray(table["opposition"])[m]).size)),
                            ("rms_ra_mas", np.sqrt(np.mean(ra ** 2))), ("rms_dec_mas", np.sqrt(np.mean(dec ** 2))),
                            ("mean_ra_mas", np.mean(ra)), ("mean_dec_mas", np.mean(dec)),
                            ("rms_normalised", np.sqrt(np.mean(z ** 2)))):
            out[name].append(value)
    return quantity_table(out)
