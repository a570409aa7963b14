"""Errors the domain raises for a person to read; `code` is stable for programs."""

from __future__ import annotations

from typing import Any

from .i18n import Text, render


class MediationError(Exception):
    """`message` is worded for whoever reads it (a `mediation.i18n.Msg`, or plain text); `code`
    and `data` are for programs."""

    def __init__(self, code: str, message: Text, **data: Any):
        super().__init__(message)
        self.code = code
        self.msg = message
        self.data = data  # extra facts for the reply's data payload (e.g. that a message should be deleted)

    @property
    def message(self) -> str:
        """The message in the current reader's language."""
        return render(self.msg)

    def __str__(self) -> str:
        return self.message
