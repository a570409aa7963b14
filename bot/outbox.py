"""The outbox: notices on their way to a chat, kept in the database.

Every row is its own unit of work. One is claimed (`SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL), sent, and marked delivered in that same transaction, so with any number of processes
each notice is sent by one of them. What stays at-least-once is the platform call itself: a process
that dies after the platform took a message and before its commit leaves the row to be sent again
by another process (a crash window of one send; chat platforms have no idempotency key for sends).

A failure is the row's own business: a temporary one (network, server error, flood limit) is
retried with exponential backoff per row, while the others go on; a private notice for someone who
never started the bot waits (`waiting`) until they write to it; a permanent one (bot blocked, chat
gone) or one still failing after `[outbox] give_up_after_hours` is recorded in the case's audit
trail and told to the other party (and to the moderators when the case is with them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from mediation import audit, cases, prefs
from mediation.clock import Clock, as_utc
from mediation.config import Settings
from mediation.db import Store
from mediation.i18n import L_, reading_as, render
from mediation.models import Case, OutboxMessage
from mediation.vocabulary import OUTBOX_OPEN, CaseState, OutboxState, ReplyKind

from .messages import Address, Reply, Undeliverable

log = logging.getLogger("mediator.outbox")
MODERATORS = "@moderators"  # outbox address of a platform's moderators' channel
UNDELIVERABLE = "undeliverable"  # data["about"] of the notice that tells about a failed one


def reply_of(row: OutboxMessage) -> Reply:
    reply = Reply.from_dict(row.reply, Address(row.platform, row.chat_id, row.user_id))
    reply.outbox_id = row.id
    return reply


class Outbox:
    def __init__(self, store: Store, clock: Clock, settings: Settings):
        self.store = store
        self.clock = clock
        self.settings = settings
        # SQLite has one writer: a send must not hold it, so rows are claimed in this process only
        self.hold_lock = store.engine.dialect.name != "sqlite"
        self._busy: set[int] = set()
        self._busy_lock = threading.Lock()

    # --- adding ------------------------------------------------------------------------------
    def add(
        self, s: Session, reply: Reply, state: str = OutboxState.PENDING, error: str | None = None
    ) -> OutboxMessage:
        """A row in the caller's transaction (a deadline's notices commit with the deadline)."""
        to = reply.to
        now = self.clock.now()
        row = OutboxMessage(
            platform=to.platform,
            chat_id=to.chat_id,
            user_id=to.user_id,
            reply=reply.to_dict(),
            created_at=now,
            state=state,
            next_attempt_at=now,
            last_error=error,
            case_id=reply.data.get("case_id"),
        )
        s.add(row)
        s.flush()
        reply.outbox_id = row.id
        return row

    def keep(self, reply: Reply, error: BaseException | None = None) -> None:
        """A reply that could not be sent directly: kept, and tried again at the next pass (or, for
        someone who has not started the bot, when they do; for good failures, reported at once)."""
        with self.store.transaction() as s:
            if reply.outbox_id is not None:  # already a row: it follows its own schedule
                row = s.get(OutboxMessage, reply.outbox_id, with_for_update=True)
                if row is not None and row.state == OutboxState.PENDING:
                    self._failed(s, row, error or ConnectionError("not sent"))
                return
            row = self.add(s, reply, error=_text(error) if error else None)
            if isinstance(error, Undeliverable):
                self._failed(s, row, error)

    # --- sending -----------------------------------------------------------------------------
    def _claim(self, s: Session, platform: str, row_id: int | None) -> OutboxMessage | None:
        query = select(OutboxMessage).where(
            OutboxMessage.platform == platform, OutboxMessage.state == OutboxState.PENDING
        )
        if row_id is not None:
            query = query.where(OutboxMessage.id == row_id)
        else:
            now = self.clock.now()
            query = query.where(or_(OutboxMessage.next_attempt_at == None, OutboxMessage.next_attempt_at <= now))  # noqa: E711
        with self._busy_lock:
            busy = list(self._busy)
        if busy:
            query = query.where(OutboxMessage.id.not_in(busy))
        query = query.order_by(OutboxMessage.id).limit(1).execution_options(populate_existing=True)
        if self.hold_lock:
            query = query.with_for_update(skip_locked=True)
        return s.exec(query).first()

    def deliver_one(self, platform: str, send: Callable[[Reply], None], row_id: int | None = None) -> str | None:
        """Claim one due row of `platform` (or row `row_id`), send it with `send` (blocking; raises
        on failure) and record the result. Returns "sent", "failed", or None when there was nothing
        free to claim (none due, or another process is sending it)."""
        if self.hold_lock:
            with self.store.transaction() as s:
                row = self._claim(s, platform, row_id)
                if row is None:
                    return None
                try:
                    send(reply_of(row))
                except Exception as exc:
                    self._failed(s, row, exc)
                    return "failed"
                self._delivered(row)
                return "sent"
        with self.store.transaction() as s:
            row = self._claim(s, platform, row_id)
            if row is None:
                return None
            reply, rid = reply_of(row), row.id
        with self._busy_lock:
            if rid in self._busy:
                return None
            self._busy.add(rid)
        try:
            try:
                send(reply)
            except Exception as exc:
                with self.store.transaction() as s:
                    row = s.get(OutboxMessage, rid)
                    if row.state == OutboxState.PENDING:
                        self._failed(s, row, exc)
                return "failed"
            with self.store.transaction() as s:
                row = s.get(OutboxMessage, rid)
                self._delivered(row)
                s.add(row)
            return "sent"
        finally:
            with self._busy_lock:
                self._busy.discard(rid)

    def _delivered(self, row: OutboxMessage) -> None:
        row.state = OutboxState.DELIVERED
        row.delivered_at = self.clock.now()
        row.last_error = None

    # --- failures ----------------------------------------------------------------------------
    def backoff(self, attempts: int) -> timedelta:
        cfg = self.settings.outbox
        return timedelta(seconds=min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** max(0, attempts - 1)))

    def _failed(self, s: Session, row: OutboxMessage, exc: BaseException) -> None:
        now = self.clock.now()
        row.last_error = _text(exc)
        if isinstance(exc, Undeliverable) and not exc.permanent:
            row.state = OutboxState.WAITING
            log.info("a %s notice waits for its person to start the bot", row.platform)
            s.add(row)
            return
        row.attempts += 1
        too_old = now - as_utc(row.created_at) >= timedelta(hours=self.settings.outbox.give_up_after_hours)
        if isinstance(exc, Undeliverable) or too_old:
            row.state = OutboxState.FAILED
            s.add(row)
            reason = exc.reason if isinstance(exc, Undeliverable) else "retried too long"
            log.warning("a %s notice cannot be delivered (%s); given up", row.platform, reason)
            self._report(s, row, reason, now)
            return
        row.next_attempt_at = now + self.backoff(row.attempts)
        s.add(row)
        log.warning(
            "a %s notice could not be sent (%s); attempt %d, next in %ds",
            row.platform,
            exc.__class__.__name__,
            row.attempts,
            (row.next_attempt_at - now).total_seconds(),
        )

    def _report(self, s: Session, row: OutboxMessage, reason: str, now: datetime) -> None:
        """A notice that will never arrive is evidence (audit trail) and news for the other side."""
        data = row.reply.get("data", {})
        case = s.get(Case, row.case_id) if row.case_id else None
        if case is None:
            return
        kind = data.get("type", "notice")
        audit.record(
            s,
            case.id,
            "system:outbox",
            "notice.undeliverable",
            {"platform": row.platform, "notice": kind, "reason": reason, "private": bool(row.user_id)},
            now,
        )
        if data.get("about") == UNDELIVERABLE:  # never a notice about a notice about a notice
            return
        failed = Address(row.platform, row.chat_id, row.user_id)
        text = (
            L_(
                "Mediator could not deliver a {kind} notice about case {case_id} to a party on {platform} ({reason}): "
                "they may not know of it. If it matters, tell them, or ask a moderator.",
                kind=kind.replace("_", " "),
                case_id=case.id,
                platform=row.platform.capitalize(),
                reason=reason.replace("_", " "),
            )
            if row.user_id
            else L_(
                "Mediator could not deliver a {kind} notice about case {case_id} to a chat of this case on {platform} "
                "({reason}): they may not know of it. If it matters, tell them, or ask a moderator.",
                kind=kind.replace("_", " "),
                case_id=case.id,
                platform=row.platform.capitalize(),
                reason=reason.replace("_", " "),
            )
        )
        targets = [
            Address(m.platform, m.chat_id)
            for m in cases.members(s, case).values()
            if Address(m.platform, m.chat_id) != Address(failed.platform, failed.chat_id)
        ]
        if case.status == CaseState.ESCALATED or kind in (ReplyKind.ESCALATED, ReplyKind.DECISION):
            targets += [
                Address(platform, uid, uid)
                for platform, uids in self.settings.moderators.items()
                for uid in uids
                if Address(platform, uid, uid) != failed
            ]
        for to in dict.fromkeys(targets):
            reader = prefs.chat_reader(s, case, to.platform, to.chat_id, to.user_id)
            with reading_as(reader.locale, reader.zone or "UTC"):
                notice = Reply(
                    text=render(text),
                    private=bool(to.user_id),
                    data={"type": "notice", "about": UNDELIVERABLE, "case_id": case.id, "reason": reason},
                    to=to,
                )
            self.add(s, notice)

    # --- people who start the bot, counts ----------------------------------------------------
    def release_waiting(self, platform: str, user_id: str) -> int:
        """`user_id` wrote to the bot privately: what waited for them is due now."""
        now = self.clock.now()
        with self.store.transaction() as s:
            result = s.exec(
                update(OutboxMessage)
                .where(
                    OutboxMessage.platform == platform,
                    OutboxMessage.state == OutboxState.WAITING,
                    or_(
                        OutboxMessage.user_id == user_id,
                        (OutboxMessage.user_id == None) & (OutboxMessage.chat_id == user_id),  # noqa: E711
                    ),
                )
                .values(state=OutboxState.PENDING, next_attempt_at=now)
            )
            return result.rowcount or 0

    def has_waiting(self, platform: str, user_id: str) -> bool:
        with self.store.transaction() as s:
            return (
                s.exec(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.platform == platform,
                        OutboxMessage.state == OutboxState.WAITING,
                        or_(OutboxMessage.user_id == user_id, OutboxMessage.chat_id == user_id),
                    )
                    .limit(1)
                ).first()
                is not None
            )

    def pending_count(self) -> int:
        with self.store.transaction() as s:
            return s.exec(
                select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.state).in_(OUTBOX_OPEN))
            ).one()


def _text(exc: BaseException | None) -> str:
    """What went wrong, short; never a message body or a token (exceptions here carry neither)."""
    if exc is None:
        return ""
    return f"{exc.__class__.__name__}: {str(exc)[:200]}"
