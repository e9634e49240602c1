"""Loading the spaCy pipeline. The model name is a setting; nothing is loaded at import time."""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING

from claims import DEFAULT_MODEL

if TYPE_CHECKING:  # spaCy takes seconds to import: only where a pipeline is loaded
    from spacy.language import Language

__all__ = ["BLANK", "DEFAULT_MODEL", "ModelFallbackWarning", "load_pipeline", "model_label"]

BLANK = "blank:en"


class ModelFallbackWarning(UserWarning):
    """The configured spaCy model is not installed; a blank English pipeline is used instead."""


@functools.lru_cache(maxsize=4)
def load_pipeline(model: str = DEFAULT_MODEL) -> Language:
    """Load ``model`` (a package name or a path), or ``blank:en`` with a sentencizer.

    Where the model is not installed, warn and fall back to the blank pipeline: sentences are
    still split, but there are no entities, tags or lemmas, so scores rest on surface cues only.
    """
    import spacy

    if model == BLANK:
        return _blank()
    try:
        return spacy.load(model)
    except OSError:
        warnings.warn(
            f"spaCy model {model!r} is not installed; using a blank English pipeline with a "
            "sentencizer (no entities, so check-worthiness scores are rougher). "
            "Install the model or set CLAIMFLOW_SPACY_MODEL.",
            ModelFallbackWarning,
            stacklevel=2,
        )
        return _blank()


def _blank() -> Language:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def model_label(nlp: Language) -> str:
    """``name-version`` of a loaded pipeline, recorded with every claim it produced."""
    meta = nlp.meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
