"""Tables. Neutral ids only: a party is known by (platform, user id), never by a platform object."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel

from .vocabulary import CaseState, EscalationStatus, OutboxState, TimerState


def _ts(index: bool = False, **kw) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), index=index, **kw))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def _wording() -> Any:
    """How to word a stored text again for each reader (`mediation.i18n.to_json`); None for text a
    person wrote, which is shown as written."""
    return Field(default=None, sa_column=Column(JSON, nullable=True))


def key(row_id: int | None) -> int:
    """A written row's id. SQLModel types an autoincrement key as optional because it is None until
    the row is flushed; this says the row has been."""
    if row_id is None:
        raise ValueError("the row has no id yet: flush the session first")
    return row_id


Row = TypeVar("Row", bound=SQLModel)


def get_row(s: Session, model: type[Row], ident: Any, **kw: Any) -> Row:
    """A row that must exist (one a foreign key or a claimed timer points to)."""
    row = s.get(model, ident, **kw)
    if row is None:
        raise LookupError(f"no {model.__name__} {ident!r}")
    return row


class Party(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    created_at: datetime = _ts(nullable=False)


class Identity(SQLModel, table=True):
    """How a party is reached on one platform."""

    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id", index=True)
    platform: str
    user_id: str
    display_name: str


class Case(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    amount: str  # Decimal as text, exact in the currency's minor units
    currency: str
    status: str = CaseState.OPEN  # a CaseState; it moves only along vocabulary.TRANSITIONS
    created_at: datetime = _ts(nullable=False)
    created_by: int = Field(foreign_key="party.id")
    invite_code: str = Field(index=True, unique=True)
    invite_role: str  # a Role
    invite_used_at: datetime | None = _ts(nullable=True)
    agreed_brief_id: int | None = Field(default=None)


class CaseMember(SQLModel, table=True):
    """A party's role in a case, and the chat where they are reachable for it."""

    __table_args__ = (UniqueConstraint("case_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    party_id: int = Field(foreign_key="party.id", index=True)
    role: str  # a Role
    platform: str
    chat_id: str
    joined_at: datetime = _ts(nullable=False)


class ChatBinding(SQLModel, table=True):
    """A chat (group, channel, console) speaks about one case at a time."""

    platform: str = Field(primary_key=True)
    chat_id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="case.id")


class BriefVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    proposed_by: int = Field(foreign_key="party.id")
    created_at: datetime = _ts(nullable=False)
    client_agreed_at: datetime | None = _ts(nullable=True)
    freelancer_agreed_at: datetime | None = _ts(nullable=True)


class Delivery(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)


class DeliveryFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    name: str
    size: int
    mime: str
    sha256: str
    stored_path: str


class Approval(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    what: str = Field(sa_column=Column(Text, nullable=False))
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    created_at: datetime = _ts(nullable=False)


class ChangeRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    source: str = "command"  # command | chat
    scope: dict = _json()  # the classifier's verdict, kept as evidence
    created_at: datetime = _ts(nullable=False)


class Proposal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    label: str  # P1, P2 ... within a round
    round: int = 1
    kind: str  # an Outcome
    data: dict = _json()
    superseded: bool = False
    created_at: datetime = _ts(nullable=False)


class ProposalVote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("proposal_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    role: str  # a Role
    accepted: bool
    reason: str = ""  # English, or a code ("feedback=waive")
    reason_text: dict | None = _wording()  # a system-written reason, to be worded for each reader
    created_at: datetime = _ts(nullable=False)


class Agreement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    kind: str  # an Outcome
    terms: dict = _json()
    created_at: datetime = _ts(nullable=False)


class Escalation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    party_id: int | None = Field(default=None, foreign_key="party.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))  # English, for the record
    reason_text: dict | None = _wording()  # a system-written reason, to be worded for each reader
    status: str = EscalationStatus.QUEUED  # queued | taken | decided | withdrawn (the parties settled first)
    moderator_platform: str | None = None
    moderator_user_id: str | None = None
    created_at: datetime = _ts(nullable=False)
    taken_at: datetime | None = _ts(nullable=True)
    appeal_of: int | None = Field(default=None)  # the escalation whose decision is appealed


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    escalation_id: int = Field(foreign_key="escalation.id")
    moderator_platform: str
    moderator_user_id: str
    outcome: str  # an Outcome (never escalate)
    amount: str | None = None  # client refund, Decimal as text
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)


class AuditEntry(SQLModel, table=True):
    """Append-only; each entry holds the hash of the previous one of the same case."""

    __table_args__ = (UniqueConstraint("chain", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(index=True)  # the case id, or "-" for events outside any case
    seq: int
    at: datetime = _ts(nullable=False)
    actor: str
    action: str
    detail: dict = _json()
    prev_hash: str
    hash: str  # HMAC-SHA256 under the audit key (plain SHA-256 for entries written before keys)
    state: str | None = None  # digest of the case's state rows after the transaction that wrote it


class SeenEvent(SQLModel, table=True):
    """Platform event ids already applied: a redelivered update or a double press does nothing."""

    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    at: datetime = _ts(nullable=False)


class Offer(SQLModel, table=True):
    """A blind offer: the refund the client would accept, or the freelancer would give."""

    __table_args__ = (UniqueConstraint("case_id", "round", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    round: int
    role: str  # a Role
    amount: str
    created_at: datetime = _ts(nullable=False)


class Timer(SQLModel, table=True):
    """A deadline kept in the database, so it survives restarts; the scheduler fires it."""

    __table_args__ = (Index("ix_timer_state_due", "state", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    kind: str  # a TimerKind: brief_agreement | review | dispute_answer | offer_round | moderator_decision
    due_at: datetime = _ts(nullable=False, index=True)
    remind_at: datetime | None = _ts(nullable=True)
    reminded: bool = False
    state: str = TimerState.PENDING  # pending | fired | cancelled
    created_at: datetime = _ts(nullable=False)


class OutboxMessage(SQLModel, table=True):
    """A notice on its way to a chat. Each row is claimed by one process at a time and retried on
    its own schedule, so a notice that cannot go out never holds up the others.

    state: pending (due at `next_attempt_at`) | waiting (for its person to open a private chat with
    the bot) | delivered | failed (for good: bot blocked, chat gone, or retried past the limit)."""

    __table_args__ = (Index("ix_outboxmessage_due", "platform", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(index=True)
    chat_id: str
    user_id: str | None = None
    reply: dict = _json()
    attempts: int = 0
    created_at: datetime = _ts(nullable=False)
    delivered_at: datetime | None = _ts(nullable=True)
    state: str = Field(default=OutboxState.PENDING, sa_column_kwargs={"server_default": OutboxState.PENDING.value})
    next_attempt_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None
    case_id: str | None = None


class AuditHead(SQLModel, table=True):
    """The last entry of each chain, so a deleted tail shows too; sealed under the audit key."""

    chain: str = Field(primary_key=True)
    seq: int
    hash: str
    state: str | None = None  # the case's state digest when the head was last sealed
    legacy_until: int = 0  # entries up to this seq were written before audit keys (plain hashes)
    mac: str | None = None  # HMAC-SHA256 of the fields above under the audit key


class ModeratorNote(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    moderator_platform: str
    moderator_user_id: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(nullable=False)


class CaseDraft(SQLModel, table=True):
    """A case being opened step by step (`/case new` with nothing after it): what one person has
    answered so far in one chat. Kept here, not in the process, so a restart loses nothing."""

    platform: str = Field(primary_key=True)
    chat_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    answers: dict = _json()  # title, amount, currency, role as far as given
    updated_at: datetime = _ts(nullable=False)


class UserPref(SQLModel, table=True):
    """What one person chose for how the bot talks to them, per platform identity: the language
    (`/lang`), the time zone (`/tz`), and the language their platform last said they use (`hint`,
    which a choice overrides). Not part of any case, so not in the audit digest."""

    platform: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    locale: str | None = None
    hint: str | None = None
    zone: str | None = None
    updated_at: datetime = _ts(nullable=False)
