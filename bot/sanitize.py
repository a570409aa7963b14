"""What people type, made safe to store and show: bad input is refused with a code, and characters
that only change how text is displayed (terminal escapes, bidi overrides) are removed."""

from __future__ import annotations

import re
import unicodedata

from mediation.errors import MediationError
from mediation.i18n import L_

# bidi embeddings, overrides and isolates, and the invisible direction marks: they make text read
# differently from what it says ("Logo\u202egnp.exe" shows as "Logoexe.png")
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINES = re.compile("[\r\u2028\u2029\x85]\n?")


def input_problem(text: str) -> MediationError | None:
    """A NUL byte or text that is not valid Unicode: refused, not cleaned (the sender should know)."""
    if "\x00" in text:
        return MediationError("bad_input", L_("That message contains a NUL character; send plain text."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return MediationError("bad_encoding", L_("That message is not valid UTF-8 text; send it again as plain text."))
    return None


def clean(text: str, newlines: bool = True) -> str:
    """Control characters (but newlines and tabs) and bidi controls removed."""
    text = _LINES.sub("\n", text)
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch if newlines else " ")
        elif ch in _BIDI or unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean_name(name: str) -> str:
    """A display name from a platform: one line, nothing invisible, never invalid text."""
    name = name.encode("utf-8", "replace").decode("utf-8")
    return " ".join(clean(name.replace("\x00", ""), newlines=False).split())
