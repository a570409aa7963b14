"""Words, not Python: no reply a person reads may carry a Python literal (`True`, `None`), an arrow
from a missing value (`—→`), or an object's repr. Every reply the engine makes in any test is read
by the autouse fixture here (registered in tests/conftest.py), and a test whose replies read like
Python fails."""

from __future__ import annotations

import re

import pytest

PYTHON_IN_TEXT = re.compile(
    r"\b(?:True|False|None)\b|—→|→—|\bDecimal\(|\bdatetime\.|\bobject at 0x|\{'|\['|<class '"
    r"|\b(?:Outcome|ReplyKind|CaseState|Role|EscalationStatus)\.[A-Z_]+\b"
)


def python_in_reply(reply) -> list[str]:
    """The Python literals and reprs in what a person reads of a reply (title, text, fields, buttons)."""
    parts = [reply.title or "", reply.text or ""]
    parts += [f"{name}: {value}" for name, value in reply.fields]
    parts += [option.label for option in reply.options]
    return [m.group(0) for part in parts for m in PYTHON_IN_TEXT.finditer(part)]


@pytest.fixture(autouse=True)
def replies_in_words(monkeypatch):
    """Reads every reply the engine makes (commands and deadlines) and fails the test on Python."""
    from bot.engine import Engine

    found: list[tuple[str, list[str]]] = []
    real_handle, real_tick = Engine.handle_sync, Engine.tick

    def check(out):
        for reply in out:
            bad = python_in_reply(reply)
            if bad:
                found.append(((reply.title or reply.text or "")[:80], bad))
        return out

    monkeypatch.setattr(Engine, "handle_sync", lambda self, *a, **k: check(real_handle(self, *a, **k)))
    monkeypatch.setattr(Engine, "tick", lambda self, *a, **k: check(real_tick(self, *a, **k)))
    yield found
    assert not found, f"replies read like Python: {found}"
