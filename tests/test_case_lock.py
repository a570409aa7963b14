"""One case lock however the case is found: double commands from chats with no case binding (a
private chat, where offers belong) apply once on PostgreSQL, with two engines (as two processes
would) racing in real threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import col, select

from bot.messages import Incoming
from mediation.models import Agreement, Approval, Case, ChangeRequest, Proposal, ProposalVote
from tests.kit import SOAP_BRIEF, expect
from tests.kit.engine import make_engine

RUNS = 24


def _say(engine, user: str, text: str, chat: str, private: bool = False):
    return engine.handle_sync(
        Incoming(platform="memory", chat_id=chat, user_id=user, user_name=user, text=text, private=private)
    )


def _at_once(*calls):
    """Run the calls in threads released together by a barrier; their replies, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _new_disputed_case(engine, n: int) -> tuple[str, str]:
    group = f"group-{n}"
    created = expect(
        _say(engine, "maya", "/case new Soap amount=88 currency=USD role=freelancer", group), "case_created"
    )
    _say(engine, "clara", f"/case join {created['invite_code']} role=client", group)
    _say(engine, "clara", f"/brief {SOAP_BRIEF}", group)
    _say(engine, "maya", "/brief agree", group)
    proposals = expect(_say(engine, "clara", "/dispute not what I wanted", group), "proposals")
    first = next(p["id"] for p in proposals["items"] if p["kind"] != "escalate")
    return created["case_id"], first


@pytest.mark.model  # engines made here, not by a fixture: /request checks the scope on the real model
def test_double_commands_from_unbound_chats_apply_once_on_postgres(settings, clock, pg_url, capsys):
    settings.database.url = pg_url
    a, b = make_engine(settings, clock), make_engine(settings, clock)  # two processes' worth of engines
    wrong: list[str] = []
    try:
        for n in range(RUNS):
            cid, label = _new_disputed_case(a, n)
            # the same approval and the same request, twice at once, from private chats (no binding)
            approvals = _at_once(
                lambda: _say(a, "clara", "/approve the samples", "clara", True),
                lambda: _say(b, "clara", "/approve the samples", "clara", True),
            )
            requests = _at_once(
                lambda: _say(a, "clara", "/request add a model", "clara", True),
                lambda: _say(b, "clara", "/request add a model", "clara", True),
            )
            # both parties accept the same proposal at the same moment, each from a private chat
            accepts = _at_once(
                lambda: _say(a, "clara", f"/accept {label}", "clara", True),
                lambda: _say(b, "maya", f"/accept {label}", "maya", True),
            )
            for replies in approvals + requests + accepts:
                if any(r.data.get("code") == "internal" for r in replies):
                    wrong.append(f"run {n}: internal error")
            with a.store.transaction() as s:
                case = s.get(Case, cid)
                n_approvals = len(s.exec(select(Approval).where(Approval.case_id == cid)).all())
                n_requests = len(s.exec(select(ChangeRequest).where(ChangeRequest.case_id == cid)).all())
                n_agreements = len(s.exec(select(Agreement).where(Agreement.case_id == cid)).all())
                votes = s.exec(
                    select(ProposalVote)
                    .join(Proposal, Proposal.id == ProposalVote.proposal_id)
                    .where(Proposal.case_id == cid, Proposal.label == label, col(ProposalVote.accepted).is_(True))
                ).all()
            if n_approvals != 1:
                wrong.append(f"run {n}: {n_approvals} approvals")
            if n_requests != 1:
                wrong.append(f"run {n}: {n_requests} requests")
            if len(votes) == 2 and case.status != "settled":
                wrong.append(f"run {n}: both accepted, case still {case.status}")
            if case.status != "settled" or n_agreements != 1:
                wrong.append(f"run {n}: status {case.status}, {n_agreements} agreements")
    finally:
        a.store.close()
        b.store.close()
    with capsys.disabled():
        print(f"\ncase lock on PostgreSQL: {RUNS} runs x 3 double commands, {len(wrong)} wrong")
    assert wrong == []
