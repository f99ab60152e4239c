"""The API reference (docs/build.py, pdoc): built offline into a temporary folder, every public module has its page
with its key names, nothing is loaded from the network, and a module that does not import (or a pdoc warning)
fails the build with a clear message. The build runs in a subprocess: it materialises orbitfit's lazy names, which
must not leak into the other tests."""
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "docs" / "build.py"

KEY_NAMES = {
    "orbitfit.html": ["fit", "Solution", "sky_uncertainty", "search_occultations"],
    "orbitfit/estimation/least_squares.html": ["fit_orbit", "refit"],
    "orbitfit/estimation/options.html": ["FitOptions", "gomes_junior_2016", "describe", "from_description"],
    "orbitfit/orbit.html": ["Orbit", "OrbitModel", "propagate"],
    "orbitfit/observables.html": ["prepare", "evaluate", "PreparedObservations"],
    "orbitfit/archive.html": ["save_solution", "read_solution", "ArchiveError"],
    "orbitfit/solution.html": ["Solution", "elements", "to_spk", "save", "load", "compare"],
    "orbitfit/occultations.html": ["search", "predict", "Star", "shadow_path", "read_event", "contact_times"],
    "orbitfit/occultations/prediction.html": ["search", "predict", "Predictions"],
    "orbitfit/occultations/shadow.html": ["shadow_path", "ShadowPath"],
    "orbitfit/occultations/chords.html": ["ObservedOccultation", "Chord"],
    "orbitfit/occultations/centre.html": ["CentreFit"],
    "orbitfit/occultations/event_files.html": ["read_event"],
    "orbitfit/estimation/ranging.html": ["initial_orbit"],
    "orbitfit/products/export.html": ["write_spk", "ephemeris_table"],
    "orbitfit/products/uncertainty.html": ["sky_uncertainty", "monte_carlo_sky", "ellipse"],
    "orbitfit/products/plots.html": ["plot_residuals", "plot_sigma", "plot_sky_ellipses"],
    "orbitfit/observations.html": ["read"],
    "orbitfit/observations/gj15.html": ["read_gj15"],
    "orbitfit/observations/core.html": ["Observations", "ReadReport"],
    "dynamics.html": ["propagate", "Ephemeris"],
    "dynamics/propagation.html": ["propagate", "Propagation"],
    "dynamics/elements.html": ["state_to_elements", "elements_to_state"],
}
# what would make a browser fetch something while reading (links <a href="https://..."> are fine)
EXTERNAL = re.compile(r"""(?:\bsrc|<link\b[^>]*\bhref)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|"""
                      r"""@import|mathjax|mermaid\.|cdn\.|googleapis|unpkg|jsdelivr""", re.IGNORECASE)


def run_build(*args, env=None):
    return subprocess.run([sys.executable, str(BUILD), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("api")
    result = run_build("--output", out)
    assert result.returncode == 0, result.stderr
    print("\n" + result.stdout.strip())
    return out


def public_module_names():
    import dynamics
    import orbitfit
    names = ["orbitfit", "dynamics"]
    for package in (orbitfit, dynamics):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.append(info.name)
    return names


def text_of(page):
    return page.read_text(encoding="utf-8")


def test_every_public_module_has_a_page(site):
    for name in public_module_names():
        page = site / (name.replace(".", "/") + ".html")
        assert page.is_file(), name
        assert f"<title>{name} API documentation</title>" in text_of(page)
    assert (site / "index.html").is_file() and (site / "search.js").is_file()


def test_key_pages_document_the_api(site):
    for page, names in KEY_NAMES.items():
        html = text_of(site / page)
        for name in names:
            assert re.search(rf'id="{re.escape(name)}"|<span class="name">{re.escape(name)}</span>', html), \
                (page, name)
    # docstrings are there, not only names
    assert "Osculating elements at the epoch" in text_of(site / "orbitfit/solution.html")
    assert "state-transition" in text_of(site / "dynamics/propagation.html").lower()


def test_package_pages_link_their_real_modules(site):
    """pdoc lists only submodules named in __all__; the template lists them all (orbitfit's __all__ is lazy names)."""
    nav = text_of(site / "orbitfit.html").split("</nav>")[0]
    for child in ("estimation", "solution", "occultations", "products", "observations", "orbit", "archive"):
        assert f'href="orbitfit/{child}.html"' in nav, child
    observations_nav = text_of(site / "orbitfit/observations.html").split("</nav>")[0]
    assert 'href="observations/gj15.html"' in observations_nav and 'href="observations/nsdb.html"' in observations_nav
    estimation_nav = text_of(site / "orbitfit/estimation.html").split("</nav>")[0]
    assert 'href="estimation/least_squares.html"' in estimation_nav
    assert 'href="dynamics/elements.html"' in text_of(site / "dynamics.html").split("</nav>")[0]


def test_index_shows_the_overview_and_its_links_resolve(site):
    html = text_of(site / "index.html")
    assert "orbitfit API reference" in html and "Conventions" in html
    links = re.findall(r'href="([^"#:]+\.html)"', html)
    assert len(links) > 30
    for link in links:
        assert (site / link).is_file(), link


def test_nothing_is_loaded_from_the_network(site):
    for page in site.rglob("*"):
        if page.suffix in (".html", ".js", ".css"):
            hits = [m.group(0) for m in EXTERNAL.finditer(text_of(page))]
            assert not hits, (page.relative_to(site), hits[:3])


def test_a_module_that_does_not_import_fails_the_build(tmp_path):
    package = tmp_path / "src" / "brokenpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A package with a broken module."""\n')
    (package / "fine.py").write_text('"""Fine."""\n\ndef f():\n    """Nothing."""\n')
    (package / "bad.py").write_text('"""Broken."""\nimport a_module_that_does_not_exist_anywhere\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "src"), os.environ.get("PYTHONPATH", "")]))
    result = run_build("--output", tmp_path / "out", "--package", "brokenpkg", env=env)
    assert result.returncode == 1
    assert "public modules that do not import" in result.stderr and "brokenpkg.bad" in result.stderr
    assert "a_module_that_does_not_exist_anywhere" in result.stderr
    assert "brokenpkg.fine" not in result.stderr.split("public modules that do not import")[1].split("---")[0]


def test_a_pdoc_warning_fails_the_build(tmp_path):
    package = tmp_path / "src" / "warnpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""__all__ names something that is not there."""\n'
                                         '__all__ = ["missing_name"]\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "src"), os.environ.get("PYTHONPATH", "")]))
    result = run_build("--output", tmp_path / "out", "--package", "warnpkg", env=env)
    assert result.returncode == 1
    assert "pdoc emitted 1 warning" in result.stderr and "missing_name" in result.stderr
    assert not (tmp_path / "out").exists()                   # nothing half-written


def test_notebook_pages_are_linked_from_the_index(site):
    """Without --notebooks each notebook has a page naming its source and how to render it (the rendered pages are
    checked by tests/test_notebooks.py, which executes the notebooks anyway)."""
    html = text_of(site / "index.html")
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert len(sources) == 6
    for source in sources:
        link = f"notebooks/{source.stem}.html"
        assert f'href="{link}"' in html, link
        page = text_of(site / link)
        assert f"notebooks/{source.name}" in page and "docs/build.py --notebooks" in page
