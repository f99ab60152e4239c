"""Progress bars: shown on a terminal, silent in pipes, CI logs and --json output."""
import io

import numpy as np

from orbitfit.progress import NoProgress, bar, fit_logger


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_fit_progress_on_a_terminal_shows_iterations_and_chi2():
    screen = Terminal()
    log, progress = fit_logger("fitting Himalia", max_iterations=25, file=screen)
    log({"chi2": 874.46, "step_in_sigma": 0.00027})
    progress.close()
    text = screen.getvalue()
    assert "fitting Himalia" in text and "chi2 874.5" in text and "1/25" in text


def test_no_bar_in_a_pipe_or_when_disabled(capsys):
    assert isinstance(bar(10, "x", "clone", enabled=False), NoProgress)
    pipe = io.StringIO()                             # not a terminal: tqdm's disable=None turns the bar off
    progress = bar(10, "Monte Carlo clones", "clone", file=pipe)
    progress.update(10)
    progress.close()
    assert pipe.getvalue() == ""


def test_monte_carlo_progress_counts_every_clone(himalia_gj15, monkeypatch):
    import orbitfit.progress as progress_module
    from orbitfit.products.uncertainty import monte_carlo_sky
    ticks = []

    class Counter(NoProgress):
        def update(self, n=1):
            ticks.append(n)
    monkeypatch.setattr(progress_module, "bar", lambda *args, **kwargs: Counter())
    epochs = [himalia_gj15.epoch + 3.0e7]
    with_bar, _ = monte_carlo_sky(himalia_gj15, epochs, n_clones=300, progress=True)
    assert sum(ticks) == 301                                 # the clones and the nominal orbit riding with them
    without, _ = monte_carlo_sky(himalia_gj15, epochs, n_clones=300)
    np.testing.assert_array_equal(with_bar["sigma_ra_mas"], without["sigma_ra_mas"])
