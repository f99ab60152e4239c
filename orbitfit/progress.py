"""Progress bars (tqdm) for the operations that take more than a few seconds: fits, Monte Carlo clones, batches.

A bar appears only when asked for and when stderr is a terminal (tqdm's `disable=None`), so scripts, pipes, CI
logs and `--json` output stay clean.
"""
from __future__ import annotations


class NoProgress:
    """Stands in for a bar when none is wanted."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


def bar(total, desc, unit, enabled=True, file=None):
    """A tqdm bar (tqdm.auto: a widget in notebooks, text on a terminal; `file` default stderr) or a NoProgress."""
    if not enabled:
        return NoProgress()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, disable=None, leave=False, file=file)


def fit_logger(description, enabled=True, max_iterations=25, file=None):
    """(log callback for orbitfit.fit, bar): one tick per Gauss-Newton iteration with chi2 and the step size."""
    progress = bar(max_iterations, description, "iteration", enabled, file)

    def log(entry):
        progress.update(1)
        progress.set_postfix_str(f"chi2 {entry['chi2']:.1f}, step {entry['step_in_sigma']:.2g} sigma")
    return log, progress
