"""Which language a text is written in: ISO 639-1 codes from lingua over a restricted set of
languages (a restricted set keeps the detector fast and small, and the languages freelance briefs
name are these). Shared by the brief reader (translation jobs) and the assessment of delivered text.
"""

from __future__ import annotations

import re
import threading

# Languages a brief can name, by ISO 639-1 code; the detector only chooses among these.
LANGUAGES = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "pl": "polish",
    "ru": "russian",
    "uk": "ukrainian",
    "tr": "turkish",
    "ar": "arabic",
    "zh": "chinese",
    "ja": "japanese",
    "ko": "korean",
    "hi": "hindi",
    "ms": "malay",
    "id": "indonesian",
    "vi": "vietnamese",
    "tl": "tagalog",
    "el": "greek",
    "cs": "czech",
    "ro": "romanian",
    "hu": "hungarian",
    "fi": "finnish",
    "he": "hebrew",
    "th": "thai",
}
NAMES = {name: code for code, name in LANGUAGES.items()}
MIN_LETTERS = 20  # shorter text says too little to name its language
MIN_CONFIDENCE = 0.4

_detector = None
_lock = threading.Lock()


def _get():
    global _detector
    with _lock:
        if _detector is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES if hasattr(IsoCode639_1, code.upper())]
            _detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
        return _detector


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when the text is too short
    or too mixed to say (or the detector is not installed)."""
    words = [w for w in re.findall(r"\w+", text or "") if not any(ch.isdigit() or ch == "_" for ch in w)]
    if sum(len(w) for w in words) < MIN_LETTERS or len(set(words)) < 3:
        return None
    try:
        detector = _get()
    except ImportError:
        return None
    sample = " ".join(words)[:4000]
    values = detector.compute_language_confidence_values(sample)
    if not values:
        return None
    best = values[0]
    if best.value < MIN_CONFIDENCE:
        return None
    return best.language.iso_code_639_1.name.lower()


def language_code(name: str) -> str | None:
    """'German' -> 'de'; None for a name outside the supported set."""
    return NAMES.get(name.strip().lower())
