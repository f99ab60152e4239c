"""TOML input files (fit configurations, occultation events): read with errors that name the file."""
from __future__ import annotations

import tomllib


def read_toml(path, error=ValueError, what="file"):
    """The TOML file at `path` as a dict; a missing file or bad TOML raises `error` naming it ("<what> not found")."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
