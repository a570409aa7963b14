"""Cases and their lifecycle: parties, invitations, briefs, deliveries, approvals, requests.

Functions take an open session and return table rows or plain data; they raise MediationError for
anything a person did wrong, so the caller can roll the whole command back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from . import audit
from .errors import MediationError
from .i18n import L_, N_, Msg, Text, en, worded, wording
from .models import (
    Approval,
    AuditEntry,
    BriefVersion,
    Case,
    CaseMember,
    ChangeRequest,
    ChatBinding,
    Delivery,
    DeliveryFile,
    Escalation,
    Identity,
    Party,
    get_row,
    key,
)
from .vocabulary import (
    BRIEF_FROZEN,
    CLOSED,
    ESCALATION_PENDING,
    ROLES,
    CaseEvent,
    ReplyKind,
    Role,
    is_local,
    next_state,
    role_name,
    state_name,
)

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def cases_of_user(s: Session, platform: str, user_id: str) -> list[tuple[str, str, str]]:
    """(case id, title, status) of every case the platform user is a party to."""
    ident = s.exec(select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)).first()
    if ident is None:
        return []
    rows = s.exec(
        select(Case).join(CaseMember, col(CaseMember.case_id) == Case.id).where(CaseMember.party_id == ident.party_id)
    ).all()
    return [(c.id, c.title, c.status) for c in rows]


@dataclass(frozen=True)
class Actor:
    """Who is acting, where: neutral ids only."""

    platform: str
    user_id: str
    name: str
    chat_id: str
    private: bool = False

    @property
    def tag(self) -> str:
        return f"{self.platform}:{self.user_id}"


def _code(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def other_role(role: str) -> Role:
    return Role(role).other


def check_role(role: str | None) -> Role:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise MediationError("bad_role", L_("role must be client or freelancer (role=client or role=freelancer)"))
    return Role(role)


def advance(case: Case, event: CaseEvent) -> bool:
    """Move the case along the lifecycle table; an event that does not apply changes nothing."""
    to = next_state(case.status, event)
    if to is None:
        return False
    case.status = to
    return True


def party_for(s: Session, actor: Actor, now: datetime) -> Party:
    ident = s.exec(
        select(Identity).where(Identity.platform == actor.platform, Identity.user_id == actor.user_id)
    ).first()
    if ident:
        if actor.name and ident.display_name != actor.name:
            ident.display_name = actor.name
            s.add(ident)
        return get_row(s, Party, ident.party_id)
    party = Party(display_name=actor.name or actor.user_id, created_at=now)
    s.add(party)
    s.flush()
    s.add(
        Identity(
            party_id=key(party.id),
            platform=actor.platform,
            user_id=actor.user_id,
            display_name=actor.name or actor.user_id,
        )
    )
    return party


def lock_case(s: Session, case_id: str) -> Case | None:
    """The case row, locked for this transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers) and read afresh after the lock is granted. Every
    command acting on a case comes through here, however the case was found, so two commands on one
    case take turns instead of racing."""
    return s.get(Case, case_id, with_for_update=True, populate_existing=True)


def get_case(s: Session, case_id: str) -> Case:
    """The case, locked (see `lock_case`)."""
    key = " ".join((case_id or "").split()).upper()
    case = lock_case(s, key) if key and len(key) <= 20 else None
    if case is None:
        raise MediationError("unknown_case", L_("There is no case {case_id}.", case_id=repr((case_id or "")[:20])))
    return case


def members(s: Session, case: Case) -> dict[str, CaseMember]:
    rows = s.exec(select(CaseMember).where(CaseMember.case_id == case.id))
    return {m.role: m for m in rows}


def role_of(s: Session, case: Case, party: Party) -> str | None:
    for role, m in members(s, case).items():
        if m.party_id == party.id:
            return role
    return None


def require_party(s: Session, case: Case, party: Party, role: str | None = None, action: str = N_("do that")) -> str:
    """The party's role in the case; refuses strangers and the wrong side. `action` is a message id
    (marked with `N_`), worded for whoever reads the refusal."""
    mine = role_of(s, case, party)
    if mine is None:
        raise MediationError(
            "not_a_party", L_("Only the parties of case {case_id} can {action}.", case_id=case.id, action=Msg(action))
        )
    if role and mine != role:
        raise MediationError(
            "wrong_role", L_("Only the {role} can {action}.", role=role_name(role), action=Msg(action))
        )
    return mine


def require_open(case: Case) -> None:
    if case.status in CLOSED:
        raise MediationError(
            "case_closed",
            L_("Case {case_id} is {status}; nothing more can change.", case_id=case.id, status=state_name(case.status)),
        )


def require_may_bind(
    s: Session, actor: Actor, party: Party, moderator: bool = False, target: Case | None = None
) -> None:
    """A shared chat speaks for its case: only that case's parties or a moderator may point it at
    another one (else a stranger's /case new would stop the parties' messages being evidence).
    The console is the operator's own terminal and private chats bind nothing."""
    if actor.private or is_local(actor.platform) or moderator:
        return
    binding = s.get(ChatBinding, (actor.platform, actor.chat_id))
    if binding is None or (target is not None and binding.case_id == target.id):
        return  # joining the chat's own case changes nothing
    bound = s.get(Case, binding.case_id)
    if bound is not None and role_of(s, bound, party) is None:
        raise MediationError(
            "chat_bound",
            L_(
                "This chat belongs to case {case_id}; only its parties or a moderator can start or join another "
                "case here. Use another chat, or a private chat with the bot.",
                case_id=bound.id,
            ),
        )


def open_case_here(s: Session, actor: Actor) -> Case | None:
    """The open case a shared chat holds, if any. One case per place: a group or channel on a chat
    platform holds one open case at a time (the console is one shared terminal; private chats bind
    nothing)."""
    if actor.private or is_local(actor.platform):
        return None
    binding = s.get(ChatBinding, (actor.platform, actor.chat_id))
    bound = s.get(Case, binding.case_id) if binding else None
    return bound if bound is not None and bound.status not in CLOSED else None


def may_withdraw(s: Session, case: Case) -> bool:
    """Whether a party may still close the case on their own: nothing was agreed or delivered yet."""
    return case.status not in CLOSED and case.agreed_brief_id is None and not deliveries(s, case)


def require_free_chat(s: Session, actor: Actor, target: Case | None = None) -> None:
    """Refuses a second open case in a shared chat (see `open_case_here`)."""
    bound = open_case_here(s, actor)
    if bound is None or (target is not None and bound.id == target.id):
        return
    how = (
        L_("close it first (/case close {case_id}: its brief is not agreed yet)", case_id=bound.id)
        if may_withdraw(s, bound)
        else L_("let it finish first (it ends by agreement or a moderator's decision)")
    )
    raise MediationError(
        "chat_has_case",
        L_(
            "This chat already holds case {case_id} ({title}, {status}), and a chat holds one open "
            "case at a time. Either {how}, or continue in a private chat with me.",
            case_id=bound.id,
            title=bound.title,
            status=state_name(bound.status),
            how=how,
        ),
        case_id=bound.id,
        closable=may_withdraw(s, bound),
    )


def withdraw(s: Session, actor: Actor, party: Party, case: Case, now: datetime) -> None:
    """A party closes a case before anything was agreed or delivered (a mistake, a deal that fell through)."""
    require_party(s, case, party, action=N_("close it"))
    require_open(case)
    if not may_withdraw(s, case):
        raise MediationError(
            "case_under_way",
            L_(
                "Case {case_id} has an agreed brief or a delivery: it ends by agreement (/dispute, /proposals) "
                "or a moderator's decision, not by closing it.",
                case_id=case.id,
            ),
        )
    advance(case, CaseEvent.WITHDRAWN)
    s.add(case)
    audit.record(s, case.id, actor.tag, CaseEvent.WITHDRAWN, {"status": case.status}, now)


def user_binding_key(chat_id: str, user_id: str) -> str:
    """The binding row of one person's current case in one chat (kept beside the chat's own row)."""
    return f"{chat_id}#user:{user_id}"


def _bind(s: Session, platform: str, chat_id: str, case: Case) -> None:
    binding = s.get(ChatBinding, (platform, chat_id), with_for_update=True)
    if binding:
        binding.case_id = case.id
    else:
        binding = ChatBinding(platform=platform, chat_id=chat_id, case_id=case.id)
    s.add(binding)


def bind_chat(s: Session, actor: Actor, case: Case) -> None:
    """The case becomes the sender's current case in this chat, and the chat's case (the one its
    plain messages are evidence for). Others in the chat keep their own current case."""
    _bind(s, actor.platform, user_binding_key(actor.chat_id, actor.user_id), case)
    if actor.private and not is_local(actor.platform):
        return
    _bind(s, actor.platform, actor.chat_id, case)


def bound_case(s: Session, actor: Actor) -> Case | None:
    """The chat's case: what its plain messages are about."""
    binding = s.get(ChatBinding, (actor.platform, actor.chat_id))
    return lock_case(s, binding.case_id) if binding else None


def current_case(s: Session, actor: Actor) -> Case | None:
    """The sender's current case here: the last one they opened or joined in this chat, else the chat's."""
    binding = s.get(ChatBinding, (actor.platform, user_binding_key(actor.chat_id, actor.user_id)))
    if binding is not None:
        return lock_case(s, binding.case_id)
    return bound_case(s, actor)


def resolve_case(s: Session, actor: Actor, party: Party, case_id: str | None = None) -> Case:
    """The case a command is about: named, else the sender's current case in this chat (the last
    they opened or joined here; else the chat's), else the sender's only open case."""
    if case_id:
        return get_case(s, case_id)
    bound = current_case(s, actor)
    if bound:
        return bound
    mine = s.exec(
        select(Case).join(CaseMember, col(CaseMember.case_id) == Case.id).where(CaseMember.party_id == party.id)
    ).all()
    open_ = [c for c in mine if c.status not in CLOSED]
    if len(open_) == 1:
        case = lock_case(s, open_[0].id)  # the same lock as a bound chat or case= takes, then fresh state
        assert case is not None  # case rows are never deleted
        if case.status in CLOSED:  # closed by the command we waited for
            raise MediationError(
                "case_closed",
                L_(
                    "Case {case_id} is {status}; nothing more can change.",
                    case_id=case.id,
                    status=state_name(case.status),
                ),
            )
        return case
    if not open_:
        raise MediationError(
            "no_case",
            L_("This chat has no case yet: start one with /case new or join with /case join."),
            hint="case_new",
        )
    ids = ", ".join(sorted(c.id for c in open_))
    raise MediationError(
        "which_case", L_("You are in several cases ({ids}); add case=<id>.", ids=ids), hint="case_option"
    )


def _add_member(s: Session, case: Case, party: Party, actor: Actor, role: str, now: datetime) -> None:
    """The party joins the case in the role, reachable where they spoke from."""
    s.add(
        CaseMember(
            case_id=case.id,
            party_id=key(party.id),
            role=role,
            platform=actor.platform,
            chat_id=actor.chat_id,
            joined_at=now,
        )
    )


def create_case(
    s: Session,
    actor: Actor,
    party: Party,
    *,
    title: str,
    amount: str,
    currency: str,
    role: str,
    now: datetime,
    moderator: bool = False,
) -> Case:
    require_may_bind(s, actor, party, moderator)
    require_free_chat(s, actor)
    while True:
        case_id = "C" + _code(5)
        if s.get(Case, case_id) is None:
            break
    case = Case(
        id=case_id,
        title=title,
        amount=amount,
        currency=currency,
        created_at=now,
        created_by=key(party.id),
        invite_code=f"{_code(5)}-{_code(5)}",
        invite_role=other_role(role),
    )
    s.add(case)
    s.flush()
    _add_member(s, case, party, actor, role, now)
    bind_chat(s, actor, case)
    audit.record(
        s,
        case.id,
        actor.tag,
        "case.created",
        {"title": title, "amount": amount, "currency": currency, "role": role},
        now,
    )
    return case


def refusals_since(s: Session, case_id: str, actor_tag: str, since: datetime) -> int:
    """How many of one person's commands on a case were refused since a moment."""
    rows = s.exec(
        select(AuditEntry.id).where(
            AuditEntry.chain == case_id,
            AuditEntry.actor == actor_tag,
            AuditEntry.action == "refused",
            AuditEntry.at >= since,
        )
    )
    return len(rows.all())


def has_entry(s: Session, case_id: str, action: str) -> bool:
    """Whether the case's audit trail records `action` at all (e.g. a note given once per case)."""
    return (
        s.exec(select(AuditEntry.id).where(AuditEntry.chain == case_id, AuditEntry.action == action)).first()
        is not None
    )


MAX_BAD_INVITES = 5  # per hour and person: enough for typos, far too few to guess a 50-bit code


def invitation(s: Session, actor: Actor, code: str, now: datetime) -> Case:
    """The case an unused invite code opens, locked; wrong codes count against the person (guessing)."""
    code = (code or "").strip().upper()
    recent = s.exec(
        select(AuditEntry).where(
            AuditEntry.actor == actor.tag, AuditEntry.action == "refused", AuditEntry.at >= now - timedelta(hours=1)
        )
    )
    if sum(1 for e in recent if e.detail.get("code") == "bad_invite") >= MAX_BAD_INVITES:
        raise MediationError("too_many_attempts", L_("Too many wrong invite codes; try again in an hour."))
    found = s.exec(select(Case.id).where(Case.invite_code == code)).first()
    case = lock_case(s, found) if found else None
    if case is None:
        raise MediationError("bad_invite", L_("That invite code is not valid. Check it with the person who sent it."))
    if case.invite_used_at is not None:
        raise MediationError("invite_used", L_("That invite code has already been used."))
    return case


def invite_chats(s: Session, code: str, platform: str) -> tuple[str, list[str]] | None:
    """For an adapter that gives each case a place of its own (a Discord thread): the title of the
    case an unused invite opens, and the chats on `platform` that hold it. None for any other code
    (the join itself refuses it, and counts it)."""
    found = s.exec(select(Case).where(Case.invite_code == (code or "").strip().upper())).first()
    if found is None or found.invite_used_at is not None or found.status in CLOSED:
        return None
    bound = s.exec(select(ChatBinding.chat_id).where(ChatBinding.platform == platform, ChatBinding.case_id == found.id))
    return found.title, list(bound)


def join_case(
    s: Session, actor: Actor, party: Party, code: str, role: str, now: datetime, moderator: bool = False
) -> Case:
    case = invitation(s, actor, code, now)
    if role_of(s, case, party) is not None:
        raise MediationError("already_party", L_("You are already a party of case {case_id}.", case_id=case.id))
    if role != case.invite_role:
        raise MediationError(
            "wrong_role",
            L_(
                "This invitation is for the {role} of case {case_id}.",
                role=role_name(case.invite_role),
                case_id=case.id,
            ),
        )
    require_open(case)
    require_may_bind(s, actor, party, moderator, target=case)
    require_free_chat(s, actor, target=case)
    case.invite_used_at = now
    advance(case, CaseEvent.JOINED)
    s.add(case)
    _add_member(s, case, party, actor, role, now)
    bind_chat(s, actor, case)
    audit.record(s, case.id, actor.tag, "case.joined", {"role": role}, now)
    return case


def briefs(s: Session, case: Case) -> list[BriefVersion]:
    return list(s.exec(select(BriefVersion).where(BriefVersion.case_id == case.id).order_by(col(BriefVersion.version))))


def latest_brief(s: Session, case: Case) -> BriefVersion | None:
    versions = briefs(s, case)
    return versions[-1] if versions else None


def agreed_brief(s: Session, case: Case) -> BriefVersion | None:
    return s.get(BriefVersion, case.agreed_brief_id) if case.agreed_brief_id else None


def propose_brief(s: Session, actor: Actor, party: Party, case: Case, text: str, now: datetime) -> BriefVersion:
    role = require_party(s, case, party, action=N_("propose the brief"))
    require_open(case)
    if case.status in BRIEF_FROZEN:
        raise MediationError("case_disputed", L_("The brief cannot change while the case is in dispute."))
    last = latest_brief(s, case)
    version = BriefVersion(
        case_id=case.id, version=(last.version + 1) if last else 1, text=text, proposed_by=key(party.id), created_at=now
    )
    setattr(version, f"{role}_agreed_at", now)  # proposing a text is agreeing to it
    s.add(version)
    if case.agreed_brief_id is not None:
        advance(
            case, CaseEvent.BRIEF_AMENDED
        )  # an amendment needs a new agreement; the old one stays pinned until then
        s.add(case)
    s.flush()
    audit.record(s, case.id, actor.tag, "brief.proposed", {"version": version.version, "text": text}, now)
    return version


def agree_brief(s: Session, actor: Actor, party: Party, case: Case, now: datetime) -> BriefVersion:
    role = require_party(s, case, party, action=N_("agree the brief"))
    require_open(case)
    last = latest_brief(s, case)
    if last is None:
        raise MediationError(
            "no_brief", L_("There is no brief to agree yet: propose one with /brief <text>."), hint="brief_propose"
        )
    if len(members(s, case)) < 2:
        raise MediationError("waiting_for_party", L_("The other party has not joined yet; share the invite code."))
    if getattr(last, f"{role}_agreed_at") is not None:
        if last.client_agreed_at and last.freelancer_agreed_at:
            raise MediationError(
                "already_agreed",
                L_(
                    "You already agreed, and so did the other party: version {version} is the agreed brief.",
                    version=last.version,
                ),
                hint="deliver",
            )
        other = other_role(role)
        raise MediationError(
            "already_agreed",
            L_(
                "You already agreed version {version}; waiting for the {other} to agree.",
                version=last.version,
                other=role_name(other),
            ),
        )
    setattr(last, f"{role}_agreed_at", now)
    s.add(last)
    if last.client_agreed_at and last.freelancer_agreed_at:
        case.agreed_brief_id = last.id
        if advance(case, CaseEvent.BRIEF_AGREED) and deliveries(s, case):
            advance(case, CaseEvent.DELIVERED)
        s.add(case)
    audit.record(s, case.id, actor.tag, "brief.agreed", {"version": last.version, "role": role}, now)
    return last


def brief_is_agreed(s: Session, case: Case) -> bool:
    last = latest_brief(s, case)
    return bool(last and case.agreed_brief_id == last.id)


@dataclass
class StoredFile:
    name: str
    size: int
    mime: str
    sha256: str
    stored_path: str


def check_delivery(s: Session, case: Case, party: Party, note: str, has_files: bool) -> None:
    """Why this party may not deliver on this case now, as a MediationError; None if it may."""
    require_party(s, case, party, role=Role.FREELANCER, action=N_("deliver"))
    require_open(case)
    if not case.agreed_brief_id:
        raise MediationError("no_agreed_brief", L_("Agree the brief with /brief agree before delivering."))
    if not note and not has_files:
        raise MediationError("empty_delivery", L_("A delivery needs a note or at least one file."))


def deliver(
    s: Session, actor: Actor, party: Party, case: Case, note: str, files: list[StoredFile], now: datetime
) -> Delivery:
    check_delivery(s, case, party, note, bool(files))
    delivery = Delivery(case_id=case.id, party_id=key(party.id), note=note, created_at=now)
    s.add(delivery)
    s.flush()
    for f in files:
        s.add(
            DeliveryFile(
                delivery_id=key(delivery.id),
                name=f.name,
                size=f.size,
                mime=f.mime,
                sha256=f.sha256,
                stored_path=f.stored_path,
            )
        )
    if advance(case, CaseEvent.DELIVERED):
        s.add(case)
    audit.record(
        s,
        case.id,
        actor.tag,
        "delivery.added",
        {
            "delivery": delivery.id,
            "note": note,
            "links": links_in(note),
            "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files],
        },
        now,
    )
    return delivery


def links_in(text: str) -> list[str]:
    """The links a delivery note carries (a gallery, a staging site, a build, a video): kept as
    evidence of what was delivered beside the files."""
    from .facts import URL

    return [u.rstrip(".,;:!?)") for u in URL.findall(text or "")]


def deliveries(s: Session, case: Case) -> list[tuple[Delivery, list[DeliveryFile]]]:
    out = []
    for d in s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(col(Delivery.id))):
        out.append(
            (
                d,
                list(
                    s.exec(select(DeliveryFile).where(DeliveryFile.delivery_id == d.id).order_by(col(DeliveryFile.id)))
                ),
            )
        )
    return out


def approve(s: Session, actor: Actor, party: Party, case: Case, what: str, now: datetime) -> Approval:
    require_party(s, case, party, role=Role.CLIENT, action=N_("approve work"))
    require_open(case)
    if not what:
        raise MediationError("missing_argument", L_("Say what you approve, e.g. /approve 2 samples"))
    last = s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(col(Delivery.id).desc())).first()
    same = s.exec(
        select(Approval).where(
            Approval.case_id == case.id, Approval.what == what, Approval.delivery_id == (last.id if last else None)
        )
    ).first()
    if same is not None:  # a second press of the same button, or the same words again
        raise MediationError(
            "already_approved", L_("“{what}” is already approved on case {case_id}.", what=what, case_id=case.id)
        )
    approval = Approval(
        case_id=case.id, party_id=key(party.id), what=what, created_at=now, delivery_id=last.id if last else None
    )
    s.add(approval)
    s.flush()
    audit.record(s, case.id, actor.tag, "approval.added", {"what": what, "delivery": approval.delivery_id}, now)
    return approval


def approvals(s: Session, case: Case) -> list[Approval]:
    return list(s.exec(select(Approval).where(Approval.case_id == case.id).order_by(col(Approval.id))))


def add_request(
    s: Session,
    actor: Actor,
    party: Party,
    case: Case,
    text: str,
    now: datetime,
    source: str = "command",
    scope: dict | None = None,
) -> ChangeRequest:
    require_party(s, case, party, role=Role.CLIENT, action=N_("raise a change request"))
    require_open(case)
    latest = s.exec(
        select(ChangeRequest).where(ChangeRequest.case_id == case.id).order_by(col(ChangeRequest.id).desc())
    ).first()
    if latest is not None and latest.text.strip() == text.strip():  # a second press, or the same words again
        raise MediationError(
            "already_requested",
            L_(
                "That request is already recorded on case {case_id} (change request {request_id}).",
                case_id=case.id,
                request_id=latest.id,
            ),
        )
    req = ChangeRequest(
        case_id=case.id, party_id=key(party.id), text=text, source=source, scope=scope or {}, created_at=now
    )
    s.add(req)
    s.flush()
    audit.record(
        s,
        case.id,
        actor.tag,
        "request.added",
        {"request": req.id, "text": text, "source": source, "scope": scope or {}},
        now,
    )
    return req


def requests(s: Session, case: Case) -> list[ChangeRequest]:
    return list(s.exec(select(ChangeRequest).where(ChangeRequest.case_id == case.id).order_by(col(ChangeRequest.id))))


def escalate(s: Session, actor: Actor, party: Party | None, case: Case, reason: Text, now: datetime) -> Escalation:
    if party is not None:
        require_party(s, case, party, action=N_("escalate it"))
    require_open(case)
    if not reason:
        raise MediationError(
            "missing_argument", L_("Say why, e.g. /escalate the client stopped answering"), hint="escalate"
        )
    if active_escalation(s, case):
        raise MediationError("already_escalated", L_("Case {case_id} is already with the moderators.", case_id=case.id))
    return queue_for_moderators(s, actor, party, case, reason=reason, now=now)


def queue_for_moderators(
    s: Session,
    actor: Actor,
    party: Party | None,
    case: Case,
    *,
    reason: Text,
    now: datetime,
    appeal_of: int | None = None,
) -> Escalation:
    """Put the case in the moderators' queue. Before a brief is agreed there is nothing to judge
    against yet: the moderator is asked to help, and the case stays where it is (the parties can
    still agree the brief, and settle) instead of waiting, frozen, for a decision."""
    how = wording(reason)  # a system-written reason is worded again for each reader who sees it
    reason = en(reason)  # the record is kept in English
    esc = Escalation(
        case_id=case.id,
        party_id=party.id if party else None,
        reason=reason,
        reason_text=how,
        created_at=now,
        appeal_of=appeal_of,
    )
    s.add(esc)
    early = appeal_of is None and is_early_escalation(case)
    if not early:
        advance(case, CaseEvent.APPEALED if appeal_of else CaseEvent.ESCALATED)
        s.add(case)
    s.flush()
    audit.record(
        s,
        case.id,
        actor.tag,
        "decision.appealed" if appeal_of else "case.escalated",
        {"reason": reason, "escalation": esc.id, **({"early": True} if early else {})},
        now,
    )
    return esc


def escalation_reason(esc: Escalation) -> Text:
    """Why a case went to the moderators, to be worded for each reader (a person's own words as
    they wrote them)."""
    return worded(esc.reason, esc.reason_text)


def is_early_escalation(case: Case) -> bool:
    """Whether an escalation now comes before any brief was agreed (it leaves the case open)."""
    return case.agreed_brief_id is None


def active_escalation(s: Session, case: Case) -> Escalation | None:
    return s.exec(
        select(Escalation)
        .where(Escalation.case_id == case.id, col(Escalation.status).in_(ESCALATION_PENDING))
        .order_by(col(Escalation.id).desc())
    ).first()


def status_data(s: Session, case: Case) -> dict:
    ms = members(s, case)
    parties: dict[str, dict[str, str] | None] = {}
    for role in ROLES:
        m = ms.get(role)
        if m:
            p = get_row(s, Party, m.party_id)
            parties[role] = {"name": p.display_name, "platform": m.platform}
        else:
            parties[role] = None
    last = latest_brief(s, case)
    return {
        "type": ReplyKind.CASE_STATUS,
        "case_id": case.id,
        "title": case.title,
        "status": case.status,
        "amount": case.amount,
        "currency": case.currency,
        "brief_agreed": brief_is_agreed(s, case),
        "brief_version": last.version if last else None,
        "agreed_version": agreed.version if (agreed := agreed_brief(s, case)) else None,
        "parties": parties,
        "deliveries": len(deliveries(s, case)),
        "approvals": len(approvals(s, case)),
        "requests": len(requests(s, case)),
    }
