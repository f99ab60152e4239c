"""What made a result: the software versions and the force model's constants, recorded with every solution archive
and in every SPK comment area."""
from __future__ import annotations

from dynamics import constants as C


def versions():
    """{package: version} of orbitfit and the libraries that decide its numbers."""
    import astropy
    import numba
    import numpy
    import rebound
    return {"orbitfit": orbitfit_version(), "numpy": numpy.__version__, "rebound": rebound.__version__,
            "numba": numba.__version__, "astropy": astropy.__version__}


def orbitfit_version():
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



def constants():
    """The force model's constants with their values (sources in dynamics/constants.py)."""
    return {"GM_JUPITER_SYSTEM": C.GM_JUPITER_SYSTEM, "GM_JUPITER": C.GM_JUPITER, "J2": C.JUPITER_J2,
            "J4": C.JUPITER_J4, "J6": C.JUPITER_J6, "R_ref_km": C.JUPITER_REFERENCE_RADIUS_KM}
