"""Chats that change their id: a Telegram group upgraded to a supergroup is the same conversation
under a new id. Its case binding, the parties' addresses and the notices waiting for it move along,
and the move is kept on each case's audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from . import audit
from .cases import user_binding_key
from .models import CaseMember, ChatBinding, OutboxMessage

CHAT_MOVED = "chat.moved"  # the audit action


def move_chat(s: Session, platform: str, old: str, new: str, actor: str, now: datetime) -> list[str]:
    """Move everything addressed to chat `old` on `platform` to `new`; the ids of the cases it moved.
    Safe to repeat (Telegram announces a migration in both chats): a second call finds nothing."""
    if not old or not new or old == new:
        return []
    moved: set[str] = set()
    binding = s.get(ChatBinding, (platform, old), with_for_update=True)
    if binding is not None:
        if s.get(ChatBinding, (platform, new)) is None:  # a case opened in the new chat already keeps it
            s.add(ChatBinding(platform=platform, chat_id=new, case_id=binding.case_id))
            moved.add(binding.case_id)
        s.delete(binding)
    prefix = user_binding_key(old, "")  # each person's current case in the chat moves with it
    for current in s.exec(
        select(ChatBinding)
        .where(ChatBinding.platform == platform, col(ChatBinding.chat_id).startswith(prefix))
        .with_for_update()
    ).all():
        user = current.chat_id[len(prefix) :]
        if s.get(ChatBinding, (platform, user_binding_key(new, user))) is None:
            s.add(ChatBinding(platform=platform, chat_id=user_binding_key(new, user), case_id=current.case_id))
        s.delete(current)
    for member in s.exec(
        select(CaseMember).where(CaseMember.platform == platform, CaseMember.chat_id == old).with_for_update()
    ):
        member.chat_id = new
        s.add(member)
        moved.add(member.case_id)
    waiting = s.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.platform == platform,
            OutboxMessage.chat_id == old,
            col(OutboxMessage.delivered_at).is_(None),
        )
        .with_for_update()
    )
    notices = 0
    for row in waiting:
        row.chat_id = new
        s.add(row)
        notices += 1
    for case_id in sorted(moved):
        audit.record(
            s, case_id, actor, CHAT_MOVED, {"platform": platform, "from": old, "to": new, "notices": notices}, now
        )
    return sorted(moved)
