"""orbitfit: orbits and special-tailored ephemerides of planetary satellites from astrometry.

    import orbitfit
    observations, report = orbitfit.read("data/gj15/Himalia.dat")
    solution = orbitfit.fit(observations, orbitfit.seed003_orbit("Himalia"))
    print(solution.summary())

Heavy modules load on first use, so `import orbitfit` stays quick. Importing orbitfit changes no global state (in
particular none of astropy's settings: orbitfit's own astropy calls run offline in a scope, `orbitfit.offline`).
"""
_LAZY = {
    "fit": ("estimation.least_squares", "fit_orbit"),
    "fit_family": ("estimation.family", "fit_family"),
    "FitOptions": ("estimation.least_squares", "FitOptions"),
    "FitError": ("estimation.least_squares", "FitError"),
    "Orbit": ("estimation.least_squares", "Orbit"),
    "Solution": ("solution", "Solution"),
    "read": ("observations", "read"),
    "Observations": ("observations", "Observations"),
    "compute_residuals": ("residuals", "compute_residuals"),
    "seed003_orbit": ("estimation.published", "seed003_orbit"),
    "initial_orbit": ("estimation.ranging", "initial_orbit"),
    "tdb_seconds": ("times", "tdb_seconds"),
    "iso_utc": ("times", "iso_utc"),
    "load_all": ("observations.datasets", "load_all"),
    "sky_uncertainty": ("products.uncertainty", "sky_uncertainty"),
    "monte_carlo_sky": ("products.uncertainty", "monte_carlo_sky"),
    "Star": ("occultations.occultation", "Star"),
    "search_occultations": ("occultations.occultation", "search"),
    "predict_occultation": ("occultations.occultation", "predict"),
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        module, attribute = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    if name == "__version__":
        global __version__
        __version__ = _read_version()           # on first use: the metadata lookup takes ~50 ms
        return __version__
    raise AttributeError(f"module 'orbitfit' has no attribute {name!r}")


def __dir__():
    """The lazy public names too (tab completion in Jupyter/IPython offers them)."""
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


def _read_version():
    """orbitfit's version: pyproject.toml's [project] version, the single source of truth.

    Installed (wheel or editable install of this very copy): from the distribution's metadata, which the build
    copied from pyproject.toml. Run from a source tree that is not installed, or while the installed distribution
    is another copy (e.g. a second clone, editable-installed): read from the tree's pyproject.toml.
    """
    import json
    from importlib import metadata
    from pathlib import Path

    package_dir = Path(__file__).resolve().parent
    try:
        dist = metadata.distribution("orbitfit")
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct_url.get("dir_info", {}).get("editable"):
            from urllib.parse import unquote, urlparse
            this_copy = Path(unquote(urlparse(direct_url.get("url", "")).path)).resolve() == package_dir.parent
        else:
            this_copy = Path(dist.locate_file("orbitfit/__init__.py")).resolve() == package_dir / "__init__.py"
        if this_copy:
            return dist.version
    pyproject = package_dir.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib
        with open(pyproject, "rb") as handle:
            project = tomllib.load(handle).get("project", {})
        if project.get("name") == "orbitfit" and "version" in project:
            return project["version"]
    return "0+unknown"                          # neither installed nor a source tree (a copied folder)


__all__ = list(_LAZY)
