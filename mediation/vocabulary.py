"""One vocabulary: the words the domain stores and answers with, and the rules that tie them together.

Every enum is a `StrEnum` whose values are the strings already stored in the database and carried in
reply payloads, so a member compares equal to its string and no migration is needed. The case
lifecycle is one table (`TRANSITIONS`): which event moves which state to which; the code that
changes a case's state goes through `advance`. An outcome's refund is one rule (`refund_for`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from .i18n import N_, Msg


class Role(StrEnum):
    CLIENT = "client"
    FREELANCER = "freelancer"

    @property
    def other(self) -> Role:
        return Role.FREELANCER if self is Role.CLIENT else Role.CLIENT


ROLES: tuple[Role, Role] = (Role.CLIENT, Role.FREELANCER)

# the sides as a person reads them ("the {role} accepted P1"): a noun, without an article
ROLE_NAMES: dict[str, str] = {Role.CLIENT: N_("client"), Role.FREELANCER: N_("freelancer")}


def role_name(role: str | None) -> Msg | str:
    """A side's name in the reader's language (worded when shown); an unknown word as it is."""
    name = ROLE_NAMES.get(role or "")
    return Msg(name) if name else (role or "")


class Platform(StrEnum):
    """The platforms an adapter speaks for; `system` is the bot itself (deadlines)."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    DISCORD = "discord"
    SYSTEM = "system"


def is_local(platform: str) -> bool:
    """The console: the one shared chat that scripts, demos and tests drive. Only there may a command
    move the clock, and a "private" message there is still the same chat."""
    return platform == Platform.CONSOLE


class CaseState(StrEnum):
    OPEN = "open"  # created; waiting for the other party to join
    BRIEFING = "briefing"  # both parties are in; the brief (or an amendment) is not agreed yet
    ACTIVE = "active"  # the brief is agreed; nothing delivered yet
    DELIVERED = "delivered"  # work was handed in against the agreed brief
    DISPUTED = "disputed"  # a party opened mediation
    ESCALATED = "escalated"  # waiting for a moderator (the parties may still settle)
    SETTLED = "settled"  # closed on agreed terms (both accepted, offers met, or review deadline)
    DECIDED = "decided"  # closed by a moderator's decision (may be appealed once)
    CANCELLED = "cancelled"  # closed before the brief was agreed: in time (a deadline) or by a party


CLOSED: frozenset[CaseState] = frozenset({CaseState.SETTLED, CaseState.DECIDED, CaseState.CANCELLED})

STATE_NAMES: dict[str, str] = {
    CaseState.OPEN: N_("open"),
    CaseState.BRIEFING: N_("briefing"),
    CaseState.ACTIVE: N_("active"),
    CaseState.DELIVERED: N_("delivered"),
    CaseState.DISPUTED: N_("disputed"),
    CaseState.ESCALATED: N_("escalated"),
    CaseState.SETTLED: N_("settled"),
    CaseState.DECIDED: N_("decided"),
    CaseState.CANCELLED: N_("cancelled"),
}


def state_name(state: str) -> Msg | str:
    name = STATE_NAMES.get(state)
    return Msg(name) if name else state


OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - CLOSED


class CaseEvent(StrEnum):
    """What moves a case: the command or deadline behind each transition."""

    JOINED = "case.joined"  # /case join
    BRIEF_AMENDED = "brief.amended"  # /brief <text> after a brief was agreed
    BRIEF_AGREED = "brief.agreed"  # /brief agree by the second party
    DELIVERED = "delivery.added"  # /deliver (or a brief agreed after work was delivered)
    DISPUTE_OPENED = "dispute.opened"  # /dispute
    ESCALATED = "case.escalated"  # /escalate, both accepting escalation, a missed deadline
    APPEALED = "decision.appealed"  # /appeal
    SETTLED = "case.settled"  # both accepted a proposal, blind offers met, the review deadline
    DECIDED = "moderation.decided"  # /mod decide
    BRIEF_EXPIRED = "deadline.cancelled"  # the brief was not agreed in time
    WITHDRAWN = "case.withdrawn"  # /case close by a party before the brief was agreed


_S = CaseState
_UNDISPUTED = (_S.OPEN, _S.BRIEFING, _S.ACTIVE, _S.DELIVERED)

# event -> {from state: to state}. An event that does not apply to the current state changes nothing.
TRANSITIONS: dict[CaseEvent, dict[CaseState, CaseState]] = {
    CaseEvent.JOINED: {_S.OPEN: _S.BRIEFING},
    CaseEvent.BRIEF_AMENDED: {s: _S.BRIEFING for s in (_S.BRIEFING, _S.ACTIVE, _S.DELIVERED)},
    CaseEvent.BRIEF_AGREED: {_S.OPEN: _S.ACTIVE, _S.BRIEFING: _S.ACTIVE},
    CaseEvent.DELIVERED: {_S.ACTIVE: _S.DELIVERED, _S.BRIEFING: _S.DELIVERED},
    CaseEvent.DISPUTE_OPENED: {s: _S.DISPUTED for s in _UNDISPUTED + (_S.DISPUTED,)},
    CaseEvent.ESCALATED: {s: _S.ESCALATED for s in OPEN_STATES},
    CaseEvent.APPEALED: {_S.DECIDED: _S.ESCALATED},
    CaseEvent.SETTLED: {s: _S.SETTLED for s in OPEN_STATES},
    CaseEvent.DECIDED: {s: _S.DECIDED for s in OPEN_STATES},
    CaseEvent.BRIEF_EXPIRED: {s: _S.CANCELLED for s in OPEN_STATES},
    CaseEvent.WITHDRAWN: {_S.OPEN: _S.CANCELLED, _S.BRIEFING: _S.CANCELLED},
}

# States in which the brief is frozen (it is the yardstick of the dispute).
BRIEF_FROZEN: frozenset[CaseState] = frozenset({_S.DISPUTED, _S.ESCALATED})


def next_state(current: str, event: CaseEvent) -> CaseState | None:
    """The state `event` moves a case in `current` to, or None when it does not apply."""
    return TRANSITIONS[event].get(CaseState(current))


class EscalationStatus(StrEnum):
    QUEUED = "queued"  # waiting for a moderator
    TAKEN = "taken"  # a moderator is on it
    DECIDED = "decided"  # the moderator decided
    WITHDRAWN = "withdrawn"  # the parties settled before a decision


ESCALATION_PENDING: tuple[EscalationStatus, EscalationStatus] = (EscalationStatus.QUEUED, EscalationStatus.TAKEN)


class Outcome(StrEnum):
    """How a dispute can end; ESCALATE leaves it to a moderator. In ranking order for ties."""

    RELEASE_FULL = "release_full"
    CHANGE_ORDER = "change_order"
    PARTIAL_REFUND = "partial_refund"
    FULL_REFUND = "full_refund"
    MUTUAL_CANCEL = "mutual_cancel"
    ESCALATE = "escalate"


OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)

# outcomes as people say them
OUTCOME_NAMES: dict[str, str] = {
    Outcome.RELEASE_FULL: N_("release in full"),
    Outcome.CHANGE_ORDER: N_("change order"),
    Outcome.PARTIAL_REFUND: N_("partial refund"),
    Outcome.FULL_REFUND: N_("full refund"),
    Outcome.MUTUAL_CANCEL: N_("mutual cancellation"),
    Outcome.ESCALATE: N_("a moderator decides"),
}


def outcome_name(outcome: str | None) -> Msg | str:
    name = OUTCOME_NAMES.get(outcome or "")
    return Msg(name) if name else (outcome or "")


# What a moderator may decide (everything but handing it to a moderator again).
DECISIONS: tuple[Outcome, ...] = tuple(o for o in Outcome if o is not Outcome.ESCALATE)
PAID_IN_FULL: frozenset[Outcome] = frozenset({Outcome.RELEASE_FULL, Outcome.CHANGE_ORDER})
REFUNDED_IN_FULL: frozenset[Outcome] = frozenset({Outcome.FULL_REFUND, Outcome.MUTUAL_CANCEL})


def refund_for(outcome: str, amount: Decimal, given: Decimal | None = None) -> Decimal | None:
    """The client's refund an outcome implies: nothing when the freelancer is paid in full, everything
    when the money goes back; otherwise (a partial refund, an escalation) the amount `given`."""
    if outcome in PAID_IN_FULL or outcome in REFUNDED_IN_FULL:
        return fixed_refund(outcome, amount)
    return given


def fixed_refund(outcome: str, amount: Decimal) -> Decimal:
    """`refund_for` an outcome that fixes the money itself (not a partial refund, not an escalation)."""
    if outcome in PAID_IN_FULL:
        return Decimal(0)
    if outcome in REFUNDED_IN_FULL:
        return amount
    raise ValueError(f"{outcome} does not fix the refund by itself")


def outcome_for_refund(refund: Decimal, amount: Decimal) -> Outcome:
    """The outcome a bare refund amounts to (blind offers that met)."""
    if refund == 0:
        return Outcome.RELEASE_FULL
    if refund == amount:
        return Outcome.FULL_REFUND
    return Outcome.PARTIAL_REFUND


class DraftStep(StrEnum):
    """What a case opened step by step asks for, in order."""

    TITLE = "title"
    AMOUNT = "amount"
    CURRENCY = "currency"
    ROLE = "role"


class TimerKind(StrEnum):
    BRIEF_AGREEMENT = "brief_agreement"
    REVIEW = "review"
    DISPUTE_ANSWER = "dispute_answer"
    OFFER_ROUND = "offer_round"
    MODERATOR_DECISION = "moderator_decision"


class TimerState(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class OutboxState(StrEnum):
    """Where a notice waiting in the outbox stands."""

    PENDING = "pending"  # due at its next attempt
    WAITING = "waiting"  # for its person to open a private chat with the bot (/start)
    DELIVERED = "delivered"
    FAILED = "failed"  # refused for good, or failing past the limit; recorded in the case's trail


OUTBOX_OPEN: tuple[OutboxState, OutboxState] = (OutboxState.PENDING, OutboxState.WAITING)


class ProposalChangeKind(StrEnum):
    """What a new round of proposals did to a proposal of an earlier round."""

    NEW = "new"
    UPDATED = "updated"
    WITHDRAWN = "withdrawn"


class DeadlineAction(StrEnum):
    """What a deadline did when it fell due (or its reminder did)."""

    REMINDER = "reminder"
    CANCELLED = "cancelled"
    RELEASED = "released"
    ESCALATED = "escalated"
    MODERATORS_REMINDED = "moderators_reminded"


class ReplyKind(StrEnum):
    """The `type` of a reply's machine-readable `data` payload."""

    TEXT = "text"
    ERROR = "error"
    HELP = "help"
    PROGRESS = "progress"
    NOTICE = "notice"
    CASE_CREATED = "case_created"
    INVITATION = "invitation"
    CASE_DRAFT = "case_draft"
    CASE_STATUS = "case_status"
    CASE_FILE = "case_file"
    BRIEF = "brief"
    DELIVERY = "delivery"
    APPROVAL = "approval"
    REQUEST = "request"
    SCOPE = "scope"
    FEEDBACK_THREAT = "feedback_threat"
    ASSESSMENT = "assessment"
    PROPOSALS = "proposals"
    PROPOSAL = "proposal"  # one proposal in full (/proposals <id>)
    PROPOSAL_VOTE = "proposal_vote"
    OFFER_RECEIVED = "offer_received"
    OFFER_WAITING = "offer_waiting"
    OFFERS_NOT_MET = "offers_not_met"
    FEEDBACK_PREVIEW = "feedback_preview"
    ESCALATED = "escalated"
    DEADLINE = "deadline"
    DECISION = "decision"
    MOD_QUEUE = "mod_queue"
    MOD_TAKEN = "mod_taken"
    MOD_RELEASED = "mod_released"
    MOD_TRANSFERRED = "mod_transferred"
    MOD_NOTE = "mod_note"
    MOD_ESCALATION = "mod_escalation"
    CLOCK = "clock"
    PREFERENCES = "preferences"  # /lang, /tz
