"""The language an article is written in, with py3langid (a maintained fork of langid.py).

py3langid was chosen because its model (97 languages, 4.6 MB) ships inside the wheel, so it
works offline with nothing downloaded at run time; it needs only numpy, is BSD-licensed, takes
about a millisecond per article, and is the detector trafilatura itself offers. (fasttext-
langdetect fetches its model from the network on first use; lingua-language-detector is more
accurate on short text but its wheel carries every language's models, far larger.)

The model is loaded on first use, not at import time.
"""

from __future__ import annotations

import functools

UNDETERMINED = "und"  # ISO 639-2's code for "undetermined"
# Below this many letters, or this confidence, a guess is not worth acting on.
MIN_LETTERS = 40
MIN_CONFIDENCE = 0.7
# The start of a long article says as much as the whole of it.
SAMPLE_CHARS = 5000


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the text's language ("en", "de"), or "und" when the text is too
    short or the detector is unsure."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNDETERMINED
    language, confidence = _identifier().classify(sample)
    return language if confidence >= MIN_CONFIDENCE else UNDETERMINED
