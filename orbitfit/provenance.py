"""What made a result: the software versions and the force model's constants, recorded with every solution archive
and in every SPK comment area."""
from __future__ import annotations

from dynamics import constants as C


def versions():
    """{package: version} of orbitfit and the libraries that decide its numbers."""
    from importlib.metadata import PackageNotFoundError, version

    import astropy
    import numba
    import numpy
    import rebound
    try:
        own = version("orbitfit")
    except PackageNotFoundError:                 # running from a source tree that was not pip-installed
        own = "source tree"
    return {"orbitfit": own, "numpy": numpy.__version__, "rebound": rebound.__version__,
            "numba": numba.__version__, "astropy": astropy.__version__}


def constants():
    """The force model's constants with their values (sources in dynamics/constants.py)."""
    return {"GM_JUPITER_SYSTEM": C.GM_JUPITER_SYSTEM, "GM_JUPITER": C.GM_JUPITER, "J2": C.JUPITER_J2,
            "J4": C.JUPITER_J4, "J6": C.JUPITER_J6, "R_ref_km": C.JUPITER_REFERENCE_RADIUS_KM}
