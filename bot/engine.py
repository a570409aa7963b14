"""The engine: one entry point, `handle(incoming) -> list[Reply]`, the same for every adapter.

Each incoming message is one transaction in a worker thread (database and model work never runs on
the event loop). A refused command changes nothing; the refusal itself is kept in the audit trail.
Delivered files are never read inside that transaction: a command that needs them asks for them
(`FilesToInspect`), the transaction is rolled back, the files are read in sandboxed workers with
no transaction open, and the command runs again with their facts (`Ctx.inspected`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from mediation import audit, cases, chats, claims, prefs, settlement, timers
from mediation.cases import Actor
from mediation.clock import Clock
from mediation.config import Settings
from mediation.db import Store
from mediation.errors import MediationError
from mediation.i18n import L_, _, choose, current_locale, current_zone, en, reading_as
from mediation.models import Case, Party, SeenEvent
from mediation.unit import UnitOfWork
from mediation.vocabulary import DeadlineAction, ReplyKind, is_local

from . import replies
from .commands import Command, Registry, names_a_file, parse
from .messages import Address, Incoming, Reply
from .outbox import Outbox
from .sanitize import clean, clean_name, input_problem

log = logging.getLogger("mediator.engine")
ATTEMPTS = 5
HOUR = timedelta(hours=1)
SERVER_PATH_REFUSED = L_(
    "Attach the files to your message instead: file=PATH names a file on the bot's own server, which "
    "only the operator's console may do. Nothing was delivered."
)


@dataclass
class Services:
    """Optional parts built by bootstrap; a handler says plainly when one is missing."""

    scope: Any = None  # nlp.scope.ScopeClassifier, loaded lazily
    signals: Any = None  # nlp.conversation.ConversationReader: what chat messages say
    files: Any = None  # bot.files.FileStore


@dataclass
class Ctx:
    """What a handler needs for one command: the open session, who acts, the time."""

    s: Session
    actor: Actor
    incoming: Incoming
    now: datetime
    settings: Settings
    clock: Clock
    services: Services
    registry: Registry
    progress: Callable[[str], None] = lambda text: None  # a "working on it" note, sent at once
    inspected: dict = dataclasses.field(default_factory=dict)  # file facts by SHA-256, read before the transaction
    staged: list = dataclasses.field(default_factory=list)  # copies kept only if the command commits
    _party: Party | None = None
    _to_seal: list[tuple[str, Reply]] = dataclasses.field(default_factory=list)

    def sealed(self, case: Case, reply: Reply) -> Reply:
        """A notice that ends a case (settled, decided): it will carry the audit trail's seal as it
        stands once this command is written, so a party can tell later if the trail was cut short."""
        self._to_seal.append((case.id, reply))
        return reply

    def store_file(self, path: str, name: str | None = None):
        """Copy a delivered file into the evidence store; kept only if this command commits."""
        staged = self.services.files.stage(path, name)
        self.staged.append(staged)
        return staged.stored

    @property
    def party(self) -> Party:
        if self._party is None:
            self._party = cases.party_for(self.s, self.actor, self.now)
        return self._party

    def case(self, cmd: Command | None = None) -> Case:
        case_id = cmd.kv.get("case") if cmd else None
        return cases.resolve_case(self.s, self.actor, self.party, case_id)

    def is_moderator(self) -> bool:
        return self.incoming.moderator or self.actor.user_id in self.settings.moderators.get(self.actor.platform, [])

    def notify_others(self, case: Case, reply_factory: Callable[[], Reply]) -> list[Reply]:
        """Copies of a reply for parties who are reachable somewhere other than this chat, each
        worded for whoever reads that chat (see `mediation.prefs.chat_reader`)."""
        here = Address(self.actor.platform, self.actor.chat_id)
        out = []
        for to in party_chats(self.s, case):
            if to != here:
                r = self.worded_for(case, to, reply_factory)
                r.to = to
                out.append(r)
        return out

    def worded_for(self, case: Case | None, to: Address, reply_factory: Callable[[], Reply]) -> Reply:
        """The reply made for the reader(s) of `to`: one person in their language and time zone, a
        chat both parties share in the case's language."""
        reader = prefs.chat_reader(self.s, case, to.platform, to.chat_id, to.user_id)
        with reading_as(reader.locale, reader.zone or "UTC"):
            return reply_factory()

    def to_parties(self, case: Case, reply_factory: Callable[[], Reply]) -> list[Reply]:
        """A case message: the one for this chat, then copies for the parties' other chats. In a
        chat both parties read it is in the case's language, elsewhere in each reader's own."""
        if prefs.shared(self.s, case, self.actor.platform, self.actor.chat_id):
            here = self.worded_for(case, Address(self.actor.platform, self.actor.chat_id), reply_factory)
        else:
            here = reply_factory()
        return [here] + self.notify_others(case, reply_factory)


def stamp_seals(heads: dict, notices: list[tuple[str, Reply]]) -> None:
    """Add each case's audit seal (its newest entry's number and hash, short) to its notices."""
    for case_id, reply in notices:
        head = heads.get(case_id)
        if head is None:
            continue
        with reading_as(reply.locale):
            seal = _("Audit seal: {seal} (keep it; `mediator audit verify` checks it).", seal=audit.seal_text(head))
        reply.text = f"{reply.text}\n{seal}"
        reply.data["audit_seal"] = {"seq": head.seq, "hash": head.hash[: audit.SHORT]}


def reader_id(incoming: Incoming) -> str:
    """Who reads the answer: the sender, or whoever asked to have someone's message checked."""
    if incoming.requested_by:
        return incoming.requested_by.rpartition(":")[2]
    return str(incoming.user_id)


def party_chats(s: Session, case: Case) -> list[Address]:
    """Each chat where a party of the case is reachable, once (both may share one)."""
    return list(dict.fromkeys(Address(m.platform, m.chat_id) for m in cases.members(s, case).values()))


class Engine:
    def __init__(
        self, store: Store, settings: Settings, clock: Clock, registry: Registry, services: Services | None = None
    ):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.registry = registry
        self.services = services or Services()
        self.chat_hooks: list[Callable[[Ctx], list[Reply]]] = []
        self.outbox = Outbox(store, clock, settings)
        self.metrics: Any = None  # bot.ops.Metrics when the running bot exposes them

    async def handle(self, incoming: Incoming, progress: Callable[[str], None] | None = None) -> list[Reply]:
        return await asyncio.to_thread(self.handle_sync, incoming, progress)

    def handle_sync(self, incoming: Incoming, progress: Callable[[str], None] | None = None) -> list[Reply]:
        """Everything is worded for the sender (their language and time zone, see `mediation.prefs`),
        and each copy for another chat for its own reader."""
        with reading_as(choose(incoming.locale), "UTC"):
            return self._handle(incoming, progress)

    def reader(self, platform: str, user_id: str, hint: str | None = None) -> prefs.Reader:
        """The language and time zone one person reads in (their choice, else their platform's hint)."""
        with self.store.transaction() as s:
            return prefs.reader(s, platform, str(user_id), hint)

    def _word_for_sender(self, incoming: Incoming) -> None:
        """Before a command's transaction (an early refusal): the sender's stored choice applies too."""
        try:
            r = self.reader(incoming.platform, reader_id(incoming), incoming.locale)
        except Exception:
            log.exception("could not read the sender's language")
            return
        current_locale.set(r.locale)
        current_zone.set(r.zone or "UTC")

    def _early(self, incoming: Incoming, code: str, message, **extra) -> list[Reply]:
        self._word_for_sender(incoming)
        return [replies.error(code, message, **extra)]

    def _handle(self, incoming: Incoming, progress: Callable[[str], None] | None = None) -> list[Reply]:
        text = incoming.text or ""
        limit = self.settings.limits.max_message_chars
        typed = len(re.sub(r"(?:^|\s)file=\S+", "", text).strip())  # console attachments are files, not typed text
        if typed > limit:
            return self._early(
                incoming,
                "too_long",
                L_("That message is {typed} characters; the limit is {limit}.", typed=typed, limit=limit),
            )
        problem = input_problem(text)
        if problem is not None:
            return self._early(incoming, problem.code, problem.msg)
        text = clean(text).strip()
        incoming = dataclasses.replace(
            incoming,
            text=text,
            user_name=clean_name(incoming.user_name or ""),
            attachments=[dataclasses.replace(a, name=clean_name(a.name)) for a in incoming.attachments],
        )
        if not text.startswith("/"):
            return self._chat(incoming) if text else []
        spec, rest = self.registry.lookup(text)
        local = is_local(incoming.platform)  # the operator's own terminal
        if spec is None or (spec.console_only and not local):
            self._word_for_sender(incoming)
            return [replies.unknown_command(text, self.registry)]
        if spec.files and not local and names_a_file(rest):
            return self._early(incoming, "server_path_refused", SERVER_PATH_REFUSED)
        try:
            cmd = parse(spec, rest, local_files=local)
        except MediationError as exc:
            return self._early(incoming, exc.code, exc.msg)
        actor = self._actor(incoming)
        try:
            out = self._apply(incoming, actor, lambda ctx: spec.fn(ctx, cmd), progress)
        except MediationError as exc:
            log.info("refused %s from %s: %s", spec.word, actor.tag, exc.code)
            named = cmd.kv.get("case") or (cmd.args[0] if spec.moderator and cmd.args else None)
            exc = self._record_refusal(actor, spec.word, exc, named)
            return [replies.error(exc.code, exc.msg, **exc.data)]
        except Exception:
            log.exception("command %s failed", spec.word)
            return [
                replies.error(
                    "internal", L_("Something went wrong on our side; nothing was changed. Please try again.")
                )
            ]
        if spec.console_only:  # the console moved the clock: what fell due happens now
            out += self.tick()
        return out

    def _apply(
        self,
        incoming: Incoming,
        actor: Actor,
        fn: Callable[[Ctx], list[Reply]],
        progress: Callable[[str], None] | None = None,
    ) -> list[Reply]:
        """One message, one transaction: applied once, deadlines brought in line, all or nothing.
        A transaction that lost a race with another (same event, same new row) is run again, and so
        is one that needed delivered files read first (read here, with no transaction open)."""
        inspected: dict = {}
        attempt = rounds = 0
        while True:
            staged: list = []
            try:
                with self.store.transaction() as s:
                    if self._seen(s, incoming):
                        return []
                    self._word_for(s, incoming)
                    ctx = self._ctx(s, actor, incoming)
                    ctx.inspected, ctx.staged = inspected, staged
                    if progress is not None:
                        ctx.progress = progress
                    out = fn(ctx)
                    self._sync_deadlines(s, ctx.now)
                    stamp_seals(audit.seal(s), ctx._to_seal)
                    self._mark_seen(s, incoming)
                    # files go in just before the commit: if it fails, an unreferenced copy may be
                    # left under its hash (harmless); a refused command never gets this far
                    while staged:
                        self.services.files.keep_staged(staged.pop())
                    return out
            except settlement.FilesToInspect as need:
                rounds += 1
                if rounds > ATTEMPTS:  # files delivered faster than they can be read: give up, say so
                    raise
                self._inspect(need.files, inspected, progress)
            except (IntegrityError, OperationalError) as exc:
                attempt += 1
                if attempt >= ATTEMPTS:
                    raise
                log.info("transaction conflict (%s); trying again", exc.__class__.__name__)
                time.sleep(0.01 * attempt)
            finally:
                for leftover in staged:  # the command was refused or failed: its copies go
                    self.services.files.discard(leftover)

    def _word_for(self, s: Session, incoming: Incoming) -> None:
        """The sender's language and zone for everything this command words for them (set for the
        rest of `handle_sync`, which `reading_as` there brings back afterwards); the language their
        platform reports is kept for notices that reach them later."""
        who = reader_id(incoming)
        r = prefs.reader(s, incoming.platform, who, incoming.locale)
        current_locale.set(r.locale)
        current_zone.set(r.zone or "UTC")
        if incoming.locale:
            prefs.note_hint(s, incoming.platform, who, incoming.locale, self.clock.now())

    def _inspect(self, files: list, into: dict, progress: Callable[[str], None] | None) -> None:
        """Read delivered files in sandboxed workers; called with no transaction (and no lock) held."""
        if progress is not None and len(files) > settlement.PROGRESS_FILES:
            progress(_("checking {count} files…", count=len(files)))
        into.update(settlement.inspect_stored(files, self.settings))

    def _chat(self, incoming: Incoming) -> list[Reply]:
        """Plain messages: hooks (scope scanning) may answer; nothing else does."""
        if not self.chat_hooks:
            return []
        try:
            return self._apply(incoming, self._actor(incoming), self._hooks)
        except MediationError:
            return []
        except Exception:
            log.exception("chat scanning failed")
            return []

    def _hooks(self, ctx: Ctx) -> list[Reply]:
        """The first hook that answers a plain message has it."""
        for hook in self.chat_hooks:
            out = hook(ctx)
            if out:
                return out
        return []

    def _sync_deadlines(self, s: UnitOfWork, now: datetime) -> None:
        for case_id in s.changes.take_cases():
            case = s.get(Case, case_id)
            if case is not None:
                timers.sync(s, case, self.settings, now)

    def done_before(self, platform: str, key: str) -> bool:
        """Whether a one-off platform chore (`key`, e.g. a slash-command definition's hash) was done."""
        with self.store.transaction() as s:
            return s.get(SeenEvent, (platform, key)) is not None

    def mark_done(self, platform: str, key: str) -> None:
        with self.store.transaction() as s:
            if s.get(SeenEvent, (platform, key)) is None:
                s.add(SeenEvent(platform=platform, event_id=key, at=self.clock.now()))

    def move_chat(self, platform: str, old: str, new: str) -> list[str]:
        """A chat's id changed (a Telegram group became a supergroup): its case and waiting notices
        follow it. The ids of the cases that moved."""
        with self.store.transaction() as s:
            moved = chats.move_chat(s, platform, old, new, f"{platform}:{old}", self.clock.now())
        if moved:
            log.info("%s chat %s is now %s; moved case(s) %s", platform, old, new, ", ".join(moved))
        return moved

    def tick(self) -> list[Reply]:
        """Fire due reminders and deadlines, each in its own transaction; replies carry addresses.

        Each timer is claimed (with its case) in the transaction that fires it, and its notices are
        written to the outbox in that same transaction: with any number of processes a deadline
        fires once, and its notices survive a crash right after the commit. The replies returned
        carry their outbox row, which the hub claims to send them at once."""
        now = self.clock.now()
        out: list[Reply] = []
        tried: set[int] = set()  # a timer that failed is not tried again in this pass
        while True:
            try:
                with self.store.transaction() as s:
                    timer = claims.next_due_timer(s, now, tried)
                    if timer is None:
                        break
                    tried.add(timer.id)
                    fired = timers.fire(s, timer, self.settings, now)
                    case = s.get(Case, fired.case_id)
                    # an escalation by deadline is an escalation like any other (moderators' channels hear it)
                    kind = ReplyKind.ESCALATED if fired.action == DeadlineAction.ESCALATED else ReplyKind.DEADLINE

                    def make(kind: str = kind, fired=fired) -> Reply:
                        return replies.notice(
                            kind,
                            fired.text,
                            case_id=fired.case_id,
                            kind=fired.kind,
                            action=fired.action,
                            reason=en(fired.text),
                        )

                    self._sync_deadlines(s, now)
                    notices = []
                    for to in party_chats(s, case):  # each chat reads it in its own language
                        reader = prefs.chat_reader(s, case, to.platform, to.chat_id, to.user_id)
                        with reading_as(reader.locale, reader.zone or "UTC"):
                            notices.append(dataclasses.replace(make(), to=to))
                    if fired.action == "released":  # the case is settled by the deadline: seal the notices
                        stamp_seals(audit.seal(s), [(case.id, n) for n in notices])
                    if fired.action == DeadlineAction.MODERATORS_REMINDED:
                        for to in self._moderator_addresses():
                            reader = prefs.reader(s, to.platform, to.user_id)
                            with reading_as(reader.locale, reader.zone or "UTC"):
                                notice = replies.notice(
                                    ReplyKind.DEADLINE,
                                    fired.text,
                                    case_id=case.id,
                                    kind=fired.kind,
                                    action=fired.action,
                                )
                            notices.append(dataclasses.replace(notice, to=to, private=True))
                    for n in notices:
                        self.outbox.add(s, n)
                out += notices
                if self.metrics is not None:
                    self.metrics.deadline_fired(fired.kind if fired.action != "reminder" else "reminder")
            except Exception:
                log.exception("a deadline could not be applied")
        return out

    def _moderator_addresses(self) -> list[Address]:
        return [Address(platform, uid, uid) for platform, ids in self.settings.moderators.items() for uid in ids]

    def _seen(self, s: Session, incoming: Incoming) -> bool:
        """Whether this platform event was applied already (a redelivered update, a double press)."""
        return bool(incoming.message_id) and s.get(SeenEvent, (incoming.platform, str(incoming.message_id))) is not None

    def _mark_seen(self, s: Session, incoming: Incoming) -> None:
        """Recorded in the command's own transaction, last: exactly once, even across restarts (a
        concurrent twin fails on the key and, run again, finds it seen)."""
        if incoming.message_id:
            s.add(SeenEvent(platform=incoming.platform, event_id=str(incoming.message_id), at=self.clock.now()))

    def _actor(self, incoming: Incoming) -> Actor:
        return Actor(
            incoming.platform,
            str(incoming.user_id),
            incoming.user_name or str(incoming.user_id),
            str(incoming.chat_id),
            incoming.private,
        )

    def _ctx(self, s: Session, actor: Actor, incoming: Incoming) -> Ctx:
        return Ctx(
            s=s,
            actor=actor,
            incoming=incoming,
            now=self.clock.now(),
            settings=self.settings,
            clock=self.clock,
            services=self.services,
            registry=self.registry,
        )

    def _record_refusal(self, actor: Actor, word: str, exc: MediationError, case_id: str | None) -> MediationError:
        """Refused attempts on a case are evidence too; written after the rollback. One person's
        refusals on one case are kept up to a limit an hour, so nobody can flood a case's trail:
        past it the answer is `too_many_attempts` and nothing more is written."""
        try:
            with self.store.transaction() as s:
                now = self.clock.now()
                party = cases.party_for(s, actor, now)
                try:
                    case = cases.resolve_case(s, actor, party, case_id)
                except MediationError:
                    case = None
                limit = self.settings.limits.max_refusals_per_hour
                if case is not None and cases.refusals_since(s, case.id, actor.tag, now - HOUR) >= limit:
                    return MediationError(
                        "too_many_attempts",
                        L_(
                            "Too many refused attempts on case {case_id} in the last hour; try again later. ({reason})",
                            case_id=case.id,
                            reason=exc.msg,
                        ),
                    )
                audit.record(
                    s, case.id if case else None, actor.tag, "refused", {"command": word, "code": exc.code}, now
                )
        except Exception:
            log.exception("could not record a refused command")
        return exc
