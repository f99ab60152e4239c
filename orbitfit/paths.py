"""Where the embedded data live (the repository's data/ folder; the package never downloads anything)."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def data_path(*parts):
    """Path of an embedded data file, with a clear error if the checkout is incomplete."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"embedded data file missing: {path} (is this a complete orbitfit checkout?)")
    return path
