"""The founding story, played through the console: what the bot says at each step.

A photographer agrees 8 product pictures for $88; the client approves 2 samples, receives all 8,
then asks for pictures with models at an outdoor location, and goes silent for three months.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .adapters.console import ConsoleAdapter
from .engine import Engine
from .hub import Hub

BRIEF = (
    "Looking for a photographer for 8 product pictures of my handmade soaps for our Instagram feed. "
    "Flat lay or plain surface, natural light, square 1080x1080 JPG. You send 2 samples first for my "
    "approval, then the remaining 6. Budget $88, delivery within 1 week."
)

STORY = [
    "@maya /case new Soap product photos amount=88 currency=USD role=freelancer",
    "@clara /case join {invite} role=client",
    f"@clara /brief {BRIEF}",
    "@maya /brief agree",
    "@maya /clock advance 2d",
    "@maya /deliver 2 samples for approval {samples}",
    "@clara /approve 2 samples",
    "@maya /clock advance 3d",
    "@maya /deliver the remaining 6 {rest}",
    "@clara Hi, I got all 8, they are ok but honestly I wanted pictures with people in them. Like a model "
    "holding the soap, outside somewhere pretty, maybe a garden or beach. Can you redo them like that?",
    "@maya Happy to do a shoot with a model as new work; I'll send you a quote.",
    "@maya /clock advance 10d",
    "@maya /dispute The client asked for a different shoot and then stopped answering.",
    "@maya /feedback preview full_refund",
    "@maya /clock advance 80d",
    "@mod /mod queue",
    "@mod /mod take {case}",
    "@mod /mod decide {case} release_full reason=8 of 8 pictures delivered on time as briefed, samples approved; "
    "models and an outdoor location were never part of the brief.",
    "@maya /case status {case}",
]


def _pictures(folder: Path) -> list[Path]:
    from PIL import Image

    paths = []
    for i in range(8):
        path = folder / f"soap-{i + 1}.jpg"
        Image.new("RGB", (1080, 1080), (200 + i * 5, 180, 160)).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


async def play(engine: Engine, out=None) -> None:
    out = out or sys.stdout
    hub = Hub(engine)
    with tempfile.TemporaryDirectory(prefix="mediator-demo-") as tmp:
        pics = _pictures(Path(tmp))
        console = ConsoleAdapter(hub, stdout=out, out_dir=str(Path("var") / "demo"))
        found = {"samples": " ".join(f"file={p}" for p in pics[:2]), "rest": " ".join(f"file={p}" for p in pics[2:])}
        for _number, line in enumerate(STORY, 1):
            line = line.format(
                invite=found.get("invite", "?"),
                case=found.get("case", "?"),
                samples=found["samples"],
                rest=found["rest"],
            )
            shown = line if "file=" not in line else line.split(" file=")[0] + " [files]"
            out.write(f"> {shown}\n")
            for reply in await hub.dispatch(console.incoming(line)):
                if reply.data.get("type") == "case_created":
                    found["invite"], found["case"] = reply.data["invite_code"], reply.data["case_id"]
                console.show(reply)
