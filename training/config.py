"""The hyperparameters of each model, in a TOML file of ``training/configs/`` (or another file of
the same shape). Data paths are never in a config: they are passed in with the command (as in
explosion/projects), so one config trains on any data.

Values are read when a training starts, never at import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from training.errors import ConfigError

CONFIGS = Path(__file__).resolve().parent / "configs"
CHECKWORTHY_TFIDF = CONFIGS / "checkworthy-tfidf.toml"
CHECKWORTHY_ENCODER = CONFIGS / "checkworthy-encoder.toml"
MATCHER = CONFIGS / "matcher.toml"
NLI = CONFIGS / "nli.toml"
NLI_NEWS = CONFIGS / "nli-news.toml"


def read(path: str | Path) -> dict:
    """The TOML file at ``path`` as a dict (tables as nested dicts)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not a valid TOML config: {e}") from e


def flat(path: str | Path) -> dict:
    """The options of a config whose tables only group them for the reader: one flat dict, in
    the file's order. An option named twice raises :class:`ConfigError`."""
    out: dict = {}
    for key, value in read(path).items():
        for name, option in (value.items() if isinstance(value, dict) else [(key, value)]):
            if name in out:
                raise ConfigError(f"{path}: option {name!r} is set twice")
            out[name] = option
    return out


def options(default: Path, config: str | Path | None = None, overrides: Mapping | None = None) -> dict:
    """The options a training runs with: those of the ``default`` config, replaced by those of
    ``config`` (a file of the same shape) and then by ``overrides``. A name the default config
    does not know raises TypeError (a misspelt option never passes unnoticed)."""
    known = flat(default)
    given = {**(flat(config) if config is not None else {}), **(overrides or {})}
    unknown = set(given) - set(known)
    if unknown:
        raise TypeError(f"unknown training options: {sorted(unknown)}")
    return {**known, **given}
