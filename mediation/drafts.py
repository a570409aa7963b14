"""A case opened step by step: `/case new` with nothing after it asks for the title, the amount, the
currency and the side, one at a time, like a ConversationHandler, but with the answers in the
database (a restart, or another process, carries on where the person left off)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from .models import CaseDraft
from .vocabulary import DraftStep

STEPS: tuple[DraftStep, ...] = tuple(DraftStep)
LIFETIME = timedelta(hours=1)  # an abandoned draft stops catching the person's messages after this


def current(s: Session, platform: str, chat_id: str, user_id: str, now: datetime) -> CaseDraft | None:
    """The person's draft in this chat, if one is under way (a stale one is dropped)."""
    draft = s.get(CaseDraft, (platform, chat_id, user_id), with_for_update=True)
    if draft is None:
        return None
    updated = draft.updated_at if draft.updated_at.tzinfo else draft.updated_at.replace(tzinfo=now.tzinfo)
    if now - updated > LIFETIME:
        s.delete(draft)
        return None
    return draft


def start(s: Session, platform: str, chat_id: str, user_id: str, now: datetime) -> CaseDraft:
    """A fresh draft (an earlier one in this chat is replaced)."""
    draft = s.get(CaseDraft, (platform, chat_id, user_id), with_for_update=True)
    if draft is None:
        draft = CaseDraft(platform=platform, chat_id=chat_id, user_id=user_id, answers={}, updated_at=now)
    draft.answers, draft.updated_at = {}, now
    s.add(draft)
    return draft


def answer(s: Session, draft: CaseDraft, now: datetime, **given: str) -> DraftStep | None:
    """Record answers; the next step still open, or None when the draft is complete."""
    draft.answers = {**draft.answers, **{k: v for k, v in given.items() if v}}
    draft.updated_at = now
    s.add(draft)
    return next_step(draft)


def next_step(draft: CaseDraft) -> DraftStep | None:
    return next((step for step in STEPS if not draft.answers.get(step)), None)


def finish(s: Session, draft: CaseDraft) -> dict:
    """The complete answers; the draft is gone."""
    answers = dict(draft.answers)
    s.delete(draft)
    return answers
