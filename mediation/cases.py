"""Cases and their lifecycle: parties, invitations, briefs, deliveries, approvals, requests.

Functions take an open session and return table rows or plain data; they raise MediationError for
anything a person did wrong, so the caller can roll the whole command back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from . import audit
from .errors import MediationError
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
)

ROLES = ("client", "freelancer")
CLOSED = {"settled", "decided", "cancelled"}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def cases_of_user(s: Session, platform: str, user_id: str) -> list[tuple[str, str, str]]:
    """(case id, title, status) of every case the platform user is a party to."""
    ident = s.exec(select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)).first()
    if ident is None:
        return []
    rows = s.exec(
        select(Case).join(CaseMember, CaseMember.case_id == Case.id).where(CaseMember.party_id == ident.party_id)
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


def other_role(role: str) -> str:
    return "freelancer" if role == "client" else "client"


def check_role(role: str | None) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise MediationError("bad_role", "role must be client or freelancer (role=client or role=freelancer)")
    return role


def party_for(s: Session, actor: Actor, now: datetime) -> Party:
    ident = s.exec(
        select(Identity).where(Identity.platform == actor.platform, Identity.user_id == actor.user_id)
    ).first()
    if ident:
        if actor.name and ident.display_name != actor.name:
            ident.display_name = actor.name
            s.add(ident)
        return s.get(Party, ident.party_id)
    party = Party(display_name=actor.name or actor.user_id, created_at=now)
    s.add(party)
    s.flush()
    s.add(
        Identity(
            party_id=party.id, platform=actor.platform, user_id=actor.user_id, display_name=actor.name or actor.user_id
        )
    )
    return party


def get_case(s: Session, case_id: str) -> Case:
    """The case, locked for this transaction where the database can (two commands on one case
    take turns instead of racing for the audit chain)."""
    case = s.get(Case, (case_id or "").strip().upper(), with_for_update=True)
    if case is None:
        raise MediationError("unknown_case", f"There is no case {case_id!r}.")
    return case


def members(s: Session, case: Case) -> dict[str, CaseMember]:
    rows = s.exec(select(CaseMember).where(CaseMember.case_id == case.id))
    return {m.role: m for m in rows}


def role_of(s: Session, case: Case, party: Party) -> str | None:
    for role, m in members(s, case).items():
        if m.party_id == party.id:
            return role
    return None


def require_party(s: Session, case: Case, party: Party, role: str | None = None, action: str = "do that") -> str:
    """The party's role in the case; refuses strangers and the wrong side."""
    mine = role_of(s, case, party)
    if mine is None:
        raise MediationError("not_a_party", f"Only the parties of case {case.id} can {action}.")
    if role and mine != role:
        raise MediationError("wrong_role", f"Only the {role} can {action}.")
    return mine


def require_open(case: Case) -> None:
    if case.status in CLOSED:
        raise MediationError("case_closed", f"Case {case.id} is {case.status}; nothing more can change.")


def bind_chat(s: Session, actor: Actor, case: Case) -> None:
    if actor.private and actor.platform != "console":
        return
    binding = s.get(ChatBinding, (actor.platform, actor.chat_id))
    if binding:
        binding.case_id = case.id
    else:
        binding = ChatBinding(platform=actor.platform, chat_id=actor.chat_id, case_id=case.id)
    s.add(binding)


def bound_case(s: Session, actor: Actor) -> Case | None:
    binding = s.get(ChatBinding, (actor.platform, actor.chat_id))
    return s.get(Case, binding.case_id, with_for_update=True) if binding else None


def resolve_case(s: Session, actor: Actor, party: Party, case_id: str | None = None) -> Case:
    """The case a command is about: named, else the chat's, else the sender's only open case."""
    if case_id:
        return get_case(s, case_id)
    bound = bound_case(s, actor)
    if bound:
        return bound
    mine = s.exec(
        select(Case).join(CaseMember, CaseMember.case_id == Case.id).where(CaseMember.party_id == party.id)
    ).all()
    open_ = [c for c in mine if c.status not in CLOSED]
    if len(open_) == 1:
        return open_[0]
    if not open_:
        raise MediationError("no_case", "This chat has no case yet: start one with /case new or join with /case join.")
    ids = ", ".join(sorted(c.id for c in open_))
    raise MediationError("which_case", f"You are in several cases ({ids}); add case=<id>.")


def create_case(
    s: Session, actor: Actor, party: Party, title: str, amount: str, currency: str, role: str, now: datetime
) -> Case:
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
        created_by=party.id,
        invite_code=f"{_code(5)}-{_code(5)}",
        invite_role=other_role(role),
    )
    s.add(case)
    s.flush()
    s.add(
        CaseMember(
            case_id=case.id, party_id=party.id, role=role, platform=actor.platform, chat_id=actor.chat_id, joined_at=now
        )
    )
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


MAX_BAD_INVITES = 5  # per hour and person: enough for typos, far too few to guess a 50-bit code


def join_case(s: Session, actor: Actor, party: Party, code: str, role: str, now: datetime) -> Case:
    code = (code or "").strip().upper()
    recent = s.exec(
        select(AuditEntry).where(
            AuditEntry.actor == actor.tag, AuditEntry.action == "refused", AuditEntry.at >= now - timedelta(hours=1)
        )
    )
    if sum(1 for e in recent if e.detail.get("code") == "bad_invite") >= MAX_BAD_INVITES:
        raise MediationError("too_many_attempts", "Too many wrong invite codes; try again in an hour.")
    case = s.exec(select(Case).where(Case.invite_code == code)).first()
    if case is None:
        raise MediationError("bad_invite", "That invite code is not valid. Check it with the person who sent it.")
    if case.invite_used_at is not None:
        raise MediationError("invite_used", "That invite code has already been used.")
    if role_of(s, case, party) is not None:
        raise MediationError("already_party", f"You are already a party of case {case.id}.")
    if role != case.invite_role:
        raise MediationError("wrong_role", f"This invitation is for the {case.invite_role} of case {case.id}.")
    require_open(case)
    case.invite_used_at = now
    case.status = "briefing"
    s.add(case)
    s.add(
        CaseMember(
            case_id=case.id, party_id=party.id, role=role, platform=actor.platform, chat_id=actor.chat_id, joined_at=now
        )
    )
    bind_chat(s, actor, case)
    audit.record(s, case.id, actor.tag, "case.joined", {"role": role}, now)
    return case


def briefs(s: Session, case: Case) -> list[BriefVersion]:
    return list(s.exec(select(BriefVersion).where(BriefVersion.case_id == case.id).order_by(BriefVersion.version)))


def latest_brief(s: Session, case: Case) -> BriefVersion | None:
    versions = briefs(s, case)
    return versions[-1] if versions else None


def agreed_brief(s: Session, case: Case) -> BriefVersion | None:
    return s.get(BriefVersion, case.agreed_brief_id) if case.agreed_brief_id else None


def propose_brief(s: Session, actor: Actor, party: Party, case: Case, text: str, now: datetime) -> BriefVersion:
    role = require_party(s, case, party, action="propose the brief")
    require_open(case)
    if case.status in {"disputed", "escalated"}:
        raise MediationError("case_disputed", "The brief cannot change while the case is in dispute.")
    last = latest_brief(s, case)
    version = BriefVersion(
        case_id=case.id, version=(last.version + 1) if last else 1, text=text, proposed_by=party.id, created_at=now
    )
    setattr(version, f"{role}_agreed_at", now)  # proposing a text is agreeing to it
    s.add(version)
    if case.agreed_brief_id is not None:
        case.status = "briefing"  # an amendment needs a new agreement; the old one stays pinned until then
        s.add(case)
    s.flush()
    audit.record(s, case.id, actor.tag, "brief.proposed", {"version": version.version, "text": text}, now)
    return version


def agree_brief(s: Session, actor: Actor, party: Party, case: Case, now: datetime) -> BriefVersion:
    role = require_party(s, case, party, action="agree the brief")
    require_open(case)
    last = latest_brief(s, case)
    if last is None:
        raise MediationError("no_brief", "There is no brief to agree yet: propose one with /brief <text>.")
    if len(members(s, case)) < 2:
        raise MediationError("waiting_for_party", "The other party has not joined yet; share the invite code.")
    if getattr(last, f"{role}_agreed_at") is not None:
        raise MediationError(
            "already_agreed", f"You already agreed version {last.version}; waiting for the other party."
        )
    setattr(last, f"{role}_agreed_at", now)
    s.add(last)
    if last.client_agreed_at and last.freelancer_agreed_at:
        case.agreed_brief_id = last.id
        if case.status in {"open", "briefing"}:
            case.status = "delivered" if deliveries(s, case) else "active"
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


def deliver(
    s: Session, actor: Actor, party: Party, case: Case, note: str, files: list[StoredFile], now: datetime
) -> Delivery:
    require_party(s, case, party, role="freelancer", action="deliver")
    require_open(case)
    if not case.agreed_brief_id:
        raise MediationError("no_agreed_brief", "Agree the brief with /brief agree before delivering.")
    if not note and not files:
        raise MediationError("empty_delivery", "A delivery needs a note or at least one file.")
    delivery = Delivery(case_id=case.id, party_id=party.id, note=note, created_at=now)
    s.add(delivery)
    s.flush()
    for f in files:
        s.add(
            DeliveryFile(
                delivery_id=delivery.id,
                name=f.name,
                size=f.size,
                mime=f.mime,
                sha256=f.sha256,
                stored_path=f.stored_path,
            )
        )
    if case.status in {"active", "briefing"}:
        case.status = "delivered"
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
    for d in s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(Delivery.id)):
        out.append(
            (d, list(s.exec(select(DeliveryFile).where(DeliveryFile.delivery_id == d.id).order_by(DeliveryFile.id))))
        )
    return out


def approve(s: Session, actor: Actor, party: Party, case: Case, what: str, now: datetime) -> Approval:
    require_party(s, case, party, role="client", action="approve work")
    require_open(case)
    if not what:
        raise MediationError("missing_argument", "Say what you approve, e.g. /approve 2 samples")
    last = s.exec(select(Delivery).where(Delivery.case_id == case.id).order_by(Delivery.id.desc())).first()
    same = s.exec(
        select(Approval).where(
            Approval.case_id == case.id, Approval.what == what, Approval.delivery_id == (last.id if last else None)
        )
    ).first()
    if same is not None:  # a second press of the same button, or the same words again
        raise MediationError("already_approved", f"“{what}” is already approved on case {case.id}.")
    approval = Approval(
        case_id=case.id, party_id=party.id, what=what, created_at=now, delivery_id=last.id if last else None
    )
    s.add(approval)
    s.flush()
    audit.record(s, case.id, actor.tag, "approval.added", {"what": what, "delivery": approval.delivery_id}, now)
    return approval


def approvals(s: Session, case: Case) -> list[Approval]:
    return list(s.exec(select(Approval).where(Approval.case_id == case.id).order_by(Approval.id)))


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
    require_party(s, case, party, role="client", action="raise a change request")
    require_open(case)
    latest = s.exec(
        select(ChangeRequest).where(ChangeRequest.case_id == case.id).order_by(ChangeRequest.id.desc())
    ).first()
    if latest is not None and latest.text.strip() == text.strip():  # a second press, or the same words again
        raise MediationError(
            "already_requested", f"That request is already recorded on case {case.id} (change request {latest.id})."
        )
    req = ChangeRequest(case_id=case.id, party_id=party.id, text=text, source=source, scope=scope or {}, created_at=now)
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
    return list(s.exec(select(ChangeRequest).where(ChangeRequest.case_id == case.id).order_by(ChangeRequest.id)))


def escalate(s: Session, actor: Actor, party: Party | None, case: Case, reason: str, now: datetime) -> Escalation:
    if party is not None:
        require_party(s, case, party, action="escalate it")
    require_open(case)
    if not reason:
        raise MediationError("missing_argument", "Say why, e.g. /escalate the client stopped answering")
    if active_escalation(s, case):
        raise MediationError("already_escalated", f"Case {case.id} is already with the moderators.")
    return queue_for_moderators(s, actor, party, case, reason, now)


def queue_for_moderators(
    s: Session, actor: Actor, party: Party | None, case: Case, reason: str, now: datetime, appeal_of: int | None = None
) -> Escalation:
    esc = Escalation(
        case_id=case.id, party_id=party.id if party else None, reason=reason, created_at=now, appeal_of=appeal_of
    )
    s.add(esc)
    case.status = "escalated"
    s.add(case)
    s.flush()
    audit.record(
        s,
        case.id,
        actor.tag,
        "decision.appealed" if appeal_of else "case.escalated",
        {"reason": reason, "escalation": esc.id},
        now,
    )
    return esc


def active_escalation(s: Session, case: Case) -> Escalation | None:
    return s.exec(
        select(Escalation)
        .where(Escalation.case_id == case.id, Escalation.status.in_(("queued", "taken")))
        .order_by(Escalation.id.desc())
    ).first()


def status_data(s: Session, case: Case) -> dict:
    ms = members(s, case)
    parties = {}
    for role in ROLES:
        m = ms.get(role)
        if m:
            p = s.get(Party, m.party_id)
            parties[role] = {"name": p.display_name, "platform": m.platform}
        else:
            parties[role] = None
    last = latest_brief(s, case)
    return {
        "type": "case_status",
        "case_id": case.id,
        "title": case.title,
        "status": case.status,
        "amount": case.amount,
        "currency": case.currency,
        "brief_agreed": brief_is_agreed(s, case),
        "brief_version": last.version if last else None,
        "agreed_version": agreed_brief(s, case).version if case.agreed_brief_id else None,
        "parties": parties,
        "deliveries": len(deliveries(s, case)),
        "approvals": len(approvals(s, case)),
        "requests": len(requests(s, case)),
    }
