"""Predict what was not fitted: the harness that judges orbitfit's weighting and covariance.

A fit's own residuals cannot tell a good weighting from an over-confident one; data the fit never saw can. Two
tests, both on embedded data only:

* **Gaia cut** (`gaia_cut`): the Gaia DR3 transit normal points (`orbitfit.observations.gaia`, one per transit,
  precise to ~7 mas along the scan) after a cut date are held out; the orbit is fitted either to everything before
  the cut ("cut": a prediction forward in time) or to everything but the held-out transits ("all": later ground data
  included, as a user's fit would). Each held-out transit gives its along-scan (AL) residual, the short axis of its
  own covariance, where Gaia is precise, and that residual divided by the combined 1-sigma along the scan, the
  transit's own and the orbit's (its covariance carried linearly to the transit's epoch). A covariance that predicts
  well gives normalised residuals of rms ~1.
* **Gaia folds** (`gaia_folds`): each apparition's transits held out in turn and predicted by a fit of everything
  else: the user's fit, judged on three apparitions of transits rather than one interval.
* **Leave one opposition out** (`leave_one_opposition_out`): each apparition of Jupiter in the ground data
  (`orbitfit.estimation.weights.apparition_year`, conjunction to conjunction) is held out in turn and predicted by a
  fit of the rest, the orbit and the biases the rows share with other apparitions (`row_bias_offsets`); the
  residuals are normalised by the observation's sigma (as the fit weighted it), the orbit's and the spread of the
  apparition's own bias combined, and read against what an honest sigma gives them (the rows of an apparition share
  its bias, those of a night part of their error); `oppositions.by_group` per data set, site or apparition.

* **Gaia visits** (`common_visit_harness`): the Gaia tests with every moon under one held-out rule, the fitted
  transits freed of their visit's error common to the moons (`orbitfit.observations.gaia_visits`, what `load_all`
  does by default) as the other moons' fits of that rule measure it. The single-moon tests above take the
  transits as Gaia gave them: a correction from fits that saw the held-out epochs would leak them.

* **Data-set influence** (`dataset_influence`): the Gaia cut test repeated without each data set in turn; a data set
  whose addition makes the held-out prediction worse by more than an honestly weighted one would by chance
  (`influence_spread`), with the moon's data sets read together (`beyond_chance_together`: of twenty honest ones,
  one is beyond its own 95% by chance), is weighted or modelled wrongly. Optionally on the held-out transits freed of
  what the other moons' held-out transits share in each visit (`rule_held_out_offsets`): an error every moon's
  prediction meets alike (Gaia's, or a frame error common to the ground data) is no data set's fault.

`summary` reduces either to the figures the project quotes: n, rms, mean (bias), rms of the normalised residuals,
and the fractions within 1 and 2 sigma (0.68 and 0.95 for honest Gaussian errors); for the Gaia tests also what an
honest sigma would give them (`honest_spread`: the held-out residuals drawn from the covariance the fit predicts for
them, the orbit's error shared by the transits of one visit), so that a moon's figures can be told from the noise of
its one to four held-out visits. Those yardsticks of chance live in `orbitfit.chance`.

* **A solution's own check** (`check_solution`): the cut test for one solution's options and model, what `orbitfit
  demo` and `orbitfit fit --check` print.

The modules: `predictions` (along_scan, summary, free_predictions, joint_covariance, HarnessResult,
Resamplings), `held_out` (gaia_cut, gaia_folds, check_solution), `same_rule` (every moon under one held-out rule),
`oppositions` (leave one opposition out), `influence` (dataset_influence). Every public name is importable from
`orbitfit.validation`.
"""
from .held_out import DEFAULT_CUT, check_solution, gaia_cut, gaia_folds
from .influence import dataset_influence
from .oppositions import leave_one_opposition_out
from .predictions import (GAIA_TRANSIT, OUTLIER_Z, VISIT_GAP_DAYS, HarnessResult, Resamplings, along_scan,
                          free_predictions, gaia_visit_tau_mas, joint_covariance, summary)
from .same_rule import (HELD_OUT_GROSS_MAS, common_visit_harness, fitted_transit_residuals, rule_held_out_offsets,
                        rule_visit_offsets, shared_bias_harness)

__all__ = ["DEFAULT_CUT", "GAIA_TRANSIT", "HELD_OUT_GROSS_MAS", "OUTLIER_Z", "VISIT_GAP_DAYS", "HarnessResult",
           "Resamplings", "along_scan", "check_solution", "common_visit_harness", "dataset_influence",
           "fitted_transit_residuals", "free_predictions", "gaia_cut", "gaia_folds", "gaia_visit_tau_mas",
           "joint_covariance", "leave_one_opposition_out", "rule_held_out_offsets", "rule_visit_offsets",
           "shared_bias_harness", "summary"]
