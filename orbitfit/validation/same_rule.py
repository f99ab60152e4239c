"""Every moon's Gaia test under one held-out rule, so that no moon learns the epochs it must predict from another
moon's fit: apparition biases with the other moons' as prior (`shared_bias_harness`), fitted transits freed of their
visit's error common to the moons (`common_visit_harness`, `rule_visit_offsets`), and what the moons' held-out
transits share in each visit (`rule_held_out_offsets`)."""
from __future__ import annotations

from ..estimation.least_squares import fit_orbit
from ..estimation.options import FitOptions
from ..estimation.shared_biases import apparition_priors
from ..observations.datasets import load_all
from ..observations.gaia_visits import GaiaVisitOffsets
from .held_out import DEFAULT_CUT, gaia_cut, gaia_folds
from .predictions import along_scan

# a held-out transit further off than this is left out of its visit's common error (`rule_held_out_offsets`): the
# held-out residuals are larger than fitted ones (Leda's -32 mas in the cut), so only blunders
# (benchmarks/gaia_held_out_common.py)
HELD_OUT_GROSS_MAS = 80.0


class _SameRule:
    """Every body's harness test under one held-out rule (`shared_bias_harness`, `common_visit_harness`): `run` one
    body (extra keywords to `gaia_cut` or `gaia_folds`), and the `rule_solutions` of every body that others' priors
    or offsets may come from."""

    def __init__(self, bodies, options, test, cut, observations, starts, model):
        from ..estimation.published import gomes_junior_2016_orbit
        self.bodies, self.options, self.test, self.cut, self.model = bodies, options or FitOptions(), test, cut, model
        self.observations = observations or {b: load_all(b, gaia_transits=True, gaia_visit_offsets=None)[0]
                                             for b in bodies}
        self.starts = starts or {b: gomes_junior_2016_orbit(b) for b in bodies}

    def run(self, body, **extra):
        if self.test == "folds":
            return gaia_folds(body, self.options, observations=self.observations[body], start=self.starts[body],
                              model=self.model, min_transits=1, **extra)
        return gaia_cut(body, self.options, self.cut, mode=self.test, observations=self.observations[body],
                        start=self.starts[body], model=self.model, **extra)

    def rule_solutions(self, alone):
        """[Solution per body] of the rule (cut, all), or {apparition year: [Solution per body]} for the folds, where
        a body without transits in that apparition contributes its all-data fit, which is that rule."""
        if self.test != "folds":
            return [alone[b].solution for b in self.bodies]
        years = sorted({y for r in alone.values() for y in r.notes["solutions"]})
        lacking = {b for b in self.bodies if any(y not in alone[b].notes["solutions"] for y in years)}
        whole = {b: fit_orbit(self.observations[b], self.starts[b], self.options, model=self.model) for b in lacking}
        return {y: [alone[b].notes["solutions"][y] if y in alone[b].notes["solutions"] else whole[b]
                    for b in self.bodies] for y in years}


def shared_bias_harness(bodies, options=None, test="folds", *, observations=None, starts=None, model=None):
    """The Gaia harness for fits whose apparition biases take the other moons' as prior
    (`orbitfit.estimation.shared_biases.apparition_priors`), with every moon's fit under the same held-out rule, so
    that no moon learns the held-out epochs from another's transits: first each body alone (`gaia_cut` with
    mode=test, or `gaia_folds` with test="folds", min_transits=1), then each body again with the priors from the
    others' fits of the same rule (in a fold, a moon without transits in that apparition contributes its all-data
    fit, which is that rule). observations, starts: {body: table}, {body: Orbit} (default load_all, transits as
    Gaia gave them, and the published orbits). Returns ({body: HarnessResult alone}, {body: HarnessResult with
    shared priors})."""
    rule = _SameRule(bodies, options, test, DEFAULT_CUT, observations, starts, model)
    alone = {b: rule.run(b) for b in bodies}
    solutions = rule.rule_solutions(alone)
    if test == "folds":
        shared = {b: rule.run(b, bias_priors={y: apparition_priors(solutions[y], alone[b].notes["solutions"][y].body)
                                              for y in alone[b].notes["solutions"]}) for b in bodies}
    else:
        shared = {b: rule.run(b, bias_priors=apparition_priors(solutions, alone[b].solution.body)) for b in bodies}
    return alone, shared


def fitted_transit_residuals(solution):
    """(tdb s, AL residual mas) of the Gaia transits `solution` fitted, as `along_scan` measures them (the input of
    `GaiaVisitOffsets.from_residuals`). The transits as the fit saw them: a corrected table's are corrected."""
    table = along_scan(solution, solution.observations)
    return table["tdb"].value, table["al_mas"].value


def common_visit_harness(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                         model=None):
    """The Gaia harness for fits whose transits are freed of their visit's error common to the moons
    (`orbitfit.observations.gaia_visits`), under one held-out rule for every moon, so that no moon's correction
    comes from epochs it must predict: first each body alone with its transits as Gaia gave them (`gaia_cut` with
    mode=test, or `gaia_folds` with test="folds", min_transits=1), then the visits' offsets from those fits' fitted
    transits (`GaiaVisitOffsets.from_residuals`; in a fold, a moon without transits in that apparition contributes
    its all-data fit, which is that rule), then each body again with its fitted transits corrected by the other
    moons' offsets (cut: as `gaia_cut`'s). observations, starts: {body: table} (transits as Gaia gave them, default
    `load_all(body, gaia_visit_offsets=None)`) and {body: Orbit} (default the published orbits). Returns ({body:
    HarnessResult alone}, {body: HarnessResult corrected}, offsets: GaiaVisitOffsets, or {year: ...} for folds)."""
    rule = _SameRule(bodies, options, test, cut, observations, starts, model)
    alone, offsets = _alone_and_offsets(rule)
    return alone, {b: rule.run(b, gaia_offsets=offsets) for b in bodies}, offsets


def rule_visit_offsets(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                       model=None):
    """The Gaia visit offsets of one held-out rule (`common_visit_harness`'s first step; arguments as its): a
    GaiaVisitOffsets from the bodies' fits of that rule, or {apparition year: ...} for the folds; what
    `gaia_cut(..., gaia_offsets=)` and `dataset_influence(..., gaia_offsets=)` take for one moon."""
    return _alone_and_offsets(_SameRule(bodies, options, test, cut, observations, starts, model))[1]


def _alone_and_offsets(rule):
    """({body: HarnessResult with transits as Gaia gave them}, the visit offsets from those fits) of one rule."""
    def offsets_of(solutions):
        return GaiaVisitOffsets.from_residuals({s.body: fitted_transit_residuals(s) for s in solutions},
                                               meta={"rule": f"harness {rule.test}"})

    alone = {b: rule.run(b) for b in rule.bodies}
    solutions = rule.rule_solutions(alone)
    return alone, {y: offsets_of(v) for y, v in solutions.items()} if rule.test == "folds" else offsets_of(solutions)


def rule_held_out_offsets(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                          model=None, gaia_offsets=None):
    """What the bodies' held-out Gaia transits share in each visit under one held-out rule ("cut" or "all"): a
    GaiaVisitOffsets from every body's `gaia_cut` residuals of that rule (fitted transits corrected by `gaia_offsets`
    when given, as `rule_visit_offsets` makes them; transits beyond HELD_OUT_GROSS_MAS left out). The moons'
    orbit errors are independent of each other, so what their held-out residuals share in a visit is an error of
    the reference or one every moon's fit makes alike: measured 2026-12-05 (all, transits as Gaia gave them),
    the other seven moons' mean in the last DR3 visit (2017-02-22 ... 28) is -11.2 mas, where Gaia's own common
    error fitted is ~3 mas; not every moon shares it (Elara +4: docs/validation.md). Returns (GaiaVisitOffsets,
    {body as given: its HarnessResult}): the offsets for `dataset_influence(..., held_out_offsets=)`, and each
    body's fit of the rule, which is that call's `base` (so that it is not fitted twice).""" 
    if test not in ("cut", "all"):
        raise ValueError(f"test must be 'cut' or 'all', not {test!r}")
    rule = _SameRule(bodies, options, test, cut, observations, starts, model)
    results = {body: rule.run(body, gaia_offsets=gaia_offsets) for body in bodies}
    residuals = {r.solution.body: (r.table["tdb"].value, r.table["al_mas"].value) for r in results.values()}
    offsets = GaiaVisitOffsets.from_residuals(residuals, gross_mas=HELD_OUT_GROSS_MAS,
                                              meta={"rule": f"held-out transits, harness {test}"})
    return offsets, results
