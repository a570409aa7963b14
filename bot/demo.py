"""The founding story, played through the console: what the bot says at each step."""
from __future__ import annotations

import sys

from .adapters.console import ConsoleAdapter
from .engine import Engine
from .hub import Hub

BRIEF = ("Looking for a photographer for 8 product pictures of my handmade soaps for our Instagram feed. "
         "Flat lay or plain surface, natural light, square 1080x1080 JPG. You send 2 samples first for my "
         "approval, then the remaining 6. Budget $88, delivery within 1 week.")

STORY = [
    "@maya /case new Soap product photos amount=88 currency=USD role=freelancer",
    "@clara /case join {invite} role=client",
    f"@clara /brief {BRIEF}",
    "@maya /brief agree",
    "@maya /deliver 2 samples for approval",
    "@clara /approve 2 samples",
    "@maya /clock advance 5d",
    "@maya /deliver all 8 pictures",
    "@clara /request Hi, I got all 8, they are ok but honestly I wanted pictures with people in them. "
    "Like a model holding the soap, outside somewhere pretty. Can you redo them like that?",
    "@maya /clock advance 90d",
    "@maya /escalate The client went silent for three months after delivery of all 8 pictures.",
    "@mod /mod queue",
    "@mod /mod take {case}",
    "@mod /mod decide {case} release_full reason=8 of 8 delivered on time, samples approved; "
    "models and a location were never in the brief.",
    "@maya /case status {case}",
]


async def play(engine: Engine, out=None) -> None:
    out = out or sys.stdout
    hub = Hub(engine)
    console = ConsoleAdapter(hub, stdout=out)
    found: dict[str, str] = {}
    for number, line in enumerate(STORY, 1):
        line = line.format(invite=found.get("invite", "?"), case=found.get("case", "?"))
        out.write(f"> {line}\n")
        incoming = console.incoming(line)
        for reply in await hub.dispatch(incoming):
            if reply.data.get("type") == "case_created":
                found["invite"], found["case"] = reply.data["invite_code"], reply.data["case_id"]
            console._print(reply, reply.to)
