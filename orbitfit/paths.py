"""Where the embedded data live (the package never downloads anything).

The data are the repository's top-level data/ folder (provenance: data/README.md). The wheel and the sdist carry
it: a normal install puts it inside the package as orbitfit/data/ (pyproject.toml maps data/ there), while a source
tree or an editable install reads <repo>/data next to the package. `DATA_DIR` is whichever exists, the installed
copy first.
"""
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_DATA_DIR = _PACKAGE_DIR / "data"              # wheel / non-editable install
SOURCE_DATA_DIR = _PACKAGE_DIR.parent / "data"          # source tree, editable install
# A folder called "data" next to an installed package (site-packages/data) may belong to anything else: the source
# tree's is recognised by its provenance file.
_MARKER = "README.md"


def _find_data_dir():
    for candidate in (INSTALLED_DATA_DIR, SOURCE_DATA_DIR):
        if (candidate / _MARKER).is_file():
            return candidate
    return None


_FOUND = _find_data_dir()
DATA_DIR = _FOUND if _FOUND is not None else INSTALLED_DATA_DIR


def data_path(*parts):
    """Path of an embedded data file, with a clear error naming what is missing."""
    if _FOUND is None:
        raise FileNotFoundError(
            f"orbitfit's embedded data folder is missing: neither {INSTALLED_DATA_DIR} (installed package) nor "
            f"{SOURCE_DATA_DIR} (source tree) has the data ({_MARKER} and the data folders); reinstall orbitfit "
            f"(`pip install .` from a complete clone) or restore the clone's data/ folder")
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"embedded data file missing: {path} (orbitfit's data folder {DATA_DIR} exists but "
                                f"lacks {Path(*parts)})")
    return path
