"""The unit of work's own record of what it changed, kept apart from storage so the audit trail and
the engine can both read it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session


@dataclass
class Changes:
    """What one unit of work changed, recorded as it happens: the cases whose state (and so whose
    deadlines) may have moved."""

    cases: set[str] = field(default_factory=set)

    def touch(self, case_id: str) -> None:
        self.cases.add(case_id)

    def take_cases(self) -> list[str]:
        """The touched cases, once: a second call returns only what was touched since."""
        out = sorted(self.cases)
        self.cases.clear()
        return out


class UnitOfWork(Session):
    """A session that also keeps the list of what it changed (`changes`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes = Changes()


def changes_of(session: Session) -> Changes | None:
    """The change record of the unit of work `session` belongs to; None for a bare session
    (a script or a test working on storage directly), where nobody follows up."""
    return session.changes if isinstance(session, UnitOfWork) else None
