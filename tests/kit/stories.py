"""Story builders: a case at any stage in one call, on any driver with `say(who, line)` and `expect(kind)`.

    case = await case_at(chat, "disputed", files=photos)     # maya (freelancer) and clara (client)
    await chat.say("clara", f"/accept {case.proposals[0]['id']}")

Stages, in order: opened, joined, proposed (the client proposed the brief), agreed, delivered,
disputed (the client disputes: proposals), escalated, taken (by the moderator), decided, settled
(both parties accept the first proposal). Each step checks that it worked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.memory import MemoryAdapter
from tests.kit.console import ConsoleDriver
from tests.kit.texts import SOAP_BRIEF

STAGES = ("opened", "joined", "proposed", "agreed", "delivered", "disputed", "escalated", "taken", "decided", "settled")


@dataclass
class Case:
    case_id: str
    invite_code: str
    created: dict
    proposals: list[dict] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:  # reads like the case_created data it came from
        return self.created[key]


async def case_at(
    driver,
    stage: str = "agreed",
    *,
    title: str = "Soap photos",
    amount: str = "88",
    currency: str = "USD",
    brief: str = SOAP_BRIEF,
    note: str = "all 8 pictures",
    files: list[Path] = (),
    dispute: str = "I expected something else",
    escalate: str = "we cannot agree",
    outcome: str = "release_full",
    decision: str = "delivered as briefed",
    freelancer: str = "maya",
    client: str = "clara",
    moderator: str = "mod",
    **where: Any,
) -> Case:
    """The case of `freelancer` (who opens it) and `client`, brought to `stage`. `where` goes to every
    `say()` (chat=..., channel_id=...); `files` go with the delivery as a chat platform sends them, as
    attachments (`files=`) on the in-memory adapter, and as file= tokens on the console, the one place
    a server path is taken."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {STAGES}")
    reached = STAGES.index(stage)

    async def step(who: str, line: str, kind: str, **attached: Any) -> dict:
        await driver.say(who, line, **where, **attached)
        return driver.expect(kind)

    created = await step(
        freelancer, f"/case new {title} amount={amount} currency={currency} role=freelancer", "case_created"
    )
    case = Case(created["case_id"], created["invite_code"], created)
    if reached >= STAGES.index("joined"):
        status = await step(client, f"/case join {case.invite_code} role=client", "case_status")
        assert status["parties"]["client"]["name"] in (client.capitalize(), client)  # the console keeps the handle
    if reached >= STAGES.index("proposed"):
        assert (await step(client, f"/brief {brief}", "brief"))["client_agreed"] is True
    if reached >= STAGES.index("agreed"):
        assert (await step(freelancer, "/brief agree", "brief"))["agreed"] is True
    if reached >= STAGES.index("delivered"):
        if isinstance(driver, MemoryAdapter):
            delivered = await step(freelancer, f"/deliver {note}", "delivery", files=[str(p) for p in files])
        elif isinstance(driver, ConsoleDriver):
            tokens = "".join(f" file={p}" for p in files)
            delivered = await step(freelancer, f"/deliver {note}{tokens}", "delivery")
        elif files:
            raise NotImplementedError(f"case_at cannot attach files on {type(driver).__name__}; attach them by hand")
        else:
            delivered = await step(freelancer, f"/deliver {note}", "delivery")
        assert len(delivered["files"]) == len(files)
    if reached >= STAGES.index("disputed"):
        case.proposals = (await step(client, f"/dispute {dispute}", "proposals"))["items"]
    if stage == "settled":
        first = case.proposals[0]["id"]
        await step(client, f"/accept {first}", "proposal_vote")
        assert (await step(freelancer, f"/accept {first}", "case_status"))["status"] == "settled"
        return case
    if reached >= STAGES.index("escalated"):
        assert (await step(client, f"/escalate {escalate}", "escalated"))["case_id"] == case.case_id
    if reached >= STAGES.index("taken"):
        assert (await step(moderator, f"/mod take {case.case_id}", "mod_taken"))["case_id"] == case.case_id
    if reached >= STAGES.index("decided"):
        decided = await step(moderator, f"/mod decide {case.case_id} {outcome} reason={decision}", "decision")
        assert decided["outcome"] == outcome
    return case
