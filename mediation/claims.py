"""Claiming work that several processes may reach for at the same moment.

On PostgreSQL a due timer (or a notice in the outbox) is taken with `SELECT … FOR UPDATE SKIP
LOCKED` inside the transaction that applies it: a row another process holds is passed over (it is
being applied there), and once that transaction commits the row no longer matches (fired,
delivered). So each deadline fires once, whatever the number of processes. SQLite has one writer at
a time (every transaction is BEGIN IMMEDIATE), so the same query is a plain read there.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, col, select

from .models import Case, Timer
from .vocabulary import TimerState


def next_due_timer(s: Session, now: datetime, exclude: Collection[int] = ()) -> Timer | None:
    """The oldest pending timer whose reminder or deadline has come, locked with its case; None when
    no due timer is free. The case is locked too (and skipped if a command holds it), so the
    scheduler never waits behind a command: it takes the next timer and finds this one next time."""
    query = (
        select(Timer)
        .join(Case, col(Case.id) == col(Timer.case_id))
        .where(
            col(Timer.state) == TimerState.PENDING,
            or_(
                col(Timer.due_at) <= now,
                and_(col(Timer.remind_at).is_not(None), col(Timer.reminded).is_(False), col(Timer.remind_at) <= now),
            ),
        )
        .order_by(col(Timer.due_at), col(Timer.id))
        .limit(1)
        .with_for_update(skip_locked=True, of=[sa_inspect(Timer).local_table, sa_inspect(Case).local_table])
        .execution_options(populate_existing=True)
    )
    if exclude:
        query = query.where(col(Timer.id).not_in(list(exclude)))
    return s.exec(query).first()
