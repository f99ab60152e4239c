"""orbitfit: orbits and special-tailored ephemerides of planetary satellites from astrometry.

    import orbitfit
    observations, report = orbitfit.read("data/gj15/Himalia.dat")
    solution = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"))
    print(solution.summary())

Heavy modules load on first use, so `import orbitfit` stays quick. Importing orbitfit changes no global state (in
particular none of astropy's settings: orbitfit's own astropy calls run offline in a scope, `orbitfit.offline`).
"""
_LAZY = {
    "fit": ("estimation.least_squares", "fit_orbit"),
    "refit": ("estimation.least_squares", "refit"),
    "fit_family": ("estimation.family", "fit_family"),
    "FitOptions": ("estimation.options", "FitOptions"),
    "FitError": ("estimation.gauss_newton", "FitError"),
    "Orbit": ("orbit", "Orbit"),
    "OrbitModel": ("orbit", "OrbitModel"),
    "Solution": ("solution", "Solution"),
    "read": ("observations", "read"),
    "Observations": ("observations", "Observations"),
    "compute_residuals": ("residuals", "compute_residuals"),
    "gomes_junior_2016_orbit": ("estimation.published", "gomes_junior_2016_orbit"),
    "seed003_orbit": ("estimation.published", "seed003_orbit"),          # deprecated alias
    "initial_orbit": ("estimation.ranging", "initial_orbit"),
    "tdb_seconds": ("times", "tdb_seconds"),
    "iso_utc": ("times", "iso_utc"),
    "load_all": ("observations.datasets", "load_all"),
    "sky_uncertainty": ("products.uncertainty", "sky_uncertainty"),
    "monte_carlo_sky": ("products.uncertainty", "monte_carlo_sky"),
    "Star": ("occultations.stars", "Star"),
    "search_occultations": ("occultations.prediction", "search"),
    "predict_occultation": ("occultations.prediction", "predict"),
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        module, attribute = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    if name == "__version__":
        global __version__
        from .provenance import orbitfit_version
        __version__ = orbitfit_version()        # on first use: the metadata lookup takes ~50 ms
        return __version__
    raise AttributeError(f"module 'orbitfit' has no attribute {name!r}")


def __dir__():
    """The lazy public names too (tab completion in Jupyter/IPython offers them)."""
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


__all__ = list(_LAZY)
