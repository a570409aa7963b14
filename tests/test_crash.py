"""kill -9: a real `mediator console --json` process killed at seeded random points of a full story.

The story is two cases through every kind of command (open, join, brief, agree, deliveries with real
files, approval, change request, dispute, votes, blind offers, escalation, moderator take, note and
decision; one case settled by two accepted votes, one decided). The process is SIGKILLed between
commands, right after a reply began, or after a short random delay into a command; a fresh process
is started on the same database each time, and after every kill:

- `mediator audit verify` exits 0 (the keyed chains and the case rows they seal agree);
- each case's trail is exactly the script's entries up to the last line answered, plus all of the
  line in flight or none of it (never half a command: a dispute without its proposals, a vote
  without the settlement it completed);
- the rows agree with the trail: the case status is the one the last applied line leaves, members,
  briefs, deliveries, files (on disk, under their SHA-256), approvals, requests, proposals, votes,
  offers, escalations, notes and decisions number what the trail says, and no proposal accepted by
  both parties leaves its case open;
- the story goes on from where it stopped: the line in flight is sent again unless the trail shows it
  applied and sending it twice would apply it twice; one that is safe to send again may be refused as
  already done (and must then add nothing to the trail).

Checked that it can fail (locally, not kept): with a dispute split in two transactions (`audit.seal(s);
s.commit(); time.sleep(2)` after its `dispute.opened` entry in `mediation/settlement.open_dispute`),
seed 9206 and kill delays of 1-1.5 s, the kill in that window is reported: the trail holds
`dispute.opened` without `proposals.made` (10 of 12 checks failed, audit verify itself passed, as the
half was sealed); with `s.commit()` right after the handler in `Engine._apply` (before the seal), the
chain no longer verifies.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.kit import SOAP_BRIEF
from tests.kit.console import MEDIATOR, start_console

SEED = 9173
KILLS = 12


@dataclass(frozen=True)
class Step:
    line: str  # {A}/{B}: the case ids, {invite_A}/{invite_B}: their invite codes, {dir}: the files
    case: str  # "A" or "B"
    actions: tuple[str, ...] = ()  # the audit entries it writes, in order; () for a line that only reads
    status: str | None = None  # the case status it leaves (None: unchanged)
    again: frozenset[str] | None = None  # safe to send twice: the refusals that mean "already done"


def step(line, case, actions=(), status=None, again=None) -> Step:
    return Step(line, case, tuple(actions), status, frozenset(again) if again is not None else None)


READ = frozenset()  # a line that changes nothing is always sent again

STORY = [
    step("@maya /case new Soap photos amount=88 currency=USD role=freelancer", "A", ["case.created"], "open"),
    step("@clara /case join {invite_A} role=client", "A", ["case.joined"], "briefing", {"invite_used"}),
    step(f"@clara /brief {SOAP_BRIEF}", "A", ["brief.proposed"]),
    step("@maya /brief agree", "A", ["brief.agreed"], "active", {"already_agreed"}),
    step("@maya /deliver the 2 samples file={dir}/s1.jpg file={dir}/s2.jpg", "A", ["delivery.added"], "delivered"),
    step("@clara /approve the 2 samples", "A", ["approval.added"], again={"already_approved"}),
    step("@maya /case status", "A", again=READ),
    step("@maya /deliver the other 6 file={dir}/p3.jpg file={dir}/p4.jpg file={dir}/p5.jpg", "A", ["delivery.added"]),
    step(
        "@clara /dispute I expected pictures with people in them", "A", ["dispute.opened", "proposals.made"], "disputed"
    ),
    step("@clara /proposals", "A", again=READ),
    step("@clara /accept {settle_A}", "A", ["proposal.accepted"], again={"already_accepted"}),
    step("@maya /accept {settle_A}", "A", ["proposal.accepted", "case.settled"], "settled", {"case_closed"}),
    step("@maya /case new Logo set amount=300 currency=EUR role=freelancer", "B", ["case.created"], "open"),
    step("@clara /case join {invite_B} role=client", "B", ["case.joined"], "briefing", {"invite_used"}),
    step("@clara /brief 3 logo concepts as SVG and PNG, 2 revision rounds, within 10 days.", "B", ["brief.proposed"]),
    step("@maya /brief agree", "B", ["brief.agreed"], "active", {"already_agreed"}),
    step(
        "@maya /deliver three concepts file={dir}/logo-1.svg file={dir}/logo-2.svg",
        "B",
        ["delivery.added"],
        "delivered",
    ),
    step(
        "@clara /request add a fourth concept and a business card", "B", ["request.added"], again={"already_requested"}
    ),
    step(
        "@clara /dispute the concepts are not what I asked for", "B", ["dispute.opened", "proposals.made"], "disputed"
    ),
    step("@clara /accept {refund_B}", "B", ["proposal.accepted"], again={"already_accepted"}),
    step("@maya /reject {refund_B} the brief is met", "B", ["proposal.rejected"]),
    step("@clara /offer 150", "B", ["offer.made"]),
    step("@maya /offer 60", "B", ["offer.made", "offers.not_met"]),
    step("@clara /escalate we cannot agree", "B", ["case.escalated"], "escalated", {"already_escalated"}),
    step("@mod /mod queue", "B", again=READ),
    step("@mod /mod take {B}", "B", ["moderation.taken"], again=READ),  # taking it again is a no-op
    step("@mod /mod note {B} the client approved nothing before the dispute", "B", ["moderation.note"]),
    step("@mod /mod case {B}", "B", again=READ),
    step(
        "@mod /mod decide {B} partial_refund 100 reason=one concept is off-brief",
        "B",
        ["moderation.decided"],
        "decided",
        {"case_closed"},
    ),
    step("@clara /case status {B}", "B", again=READ),
]

# rows of a case by table, and the audit actions that add them
COUNTED = {
    "briefversion": ("brief.proposed",),
    "delivery": ("delivery.added",),
    "approval": ("approval.added",),
    "changerequest": ("request.added",),
    "proposalvote": ("proposal.accepted", "proposal.rejected"),
    "escalation": ("case.escalated",),
    "moderatornote": ("moderation.note",),
    "decision": ("moderation.decided",),
    "agreement": ("case.settled",),
}


class Console:
    """A console process that can be killed: lines written one at a time, replies read to `done`."""

    def __init__(self, cwd: Path, db: str):
        self.proc = start_console(cwd, db)
        self.n = 0

    def send(self, line: str) -> None:
        self.n += 1
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self, first_only: bool = False) -> list[dict] | None:
        """The replies to the last line (None if the process ended first); `first_only`: return after
        the first reply line, before the turn is over."""
        out = []
        while raw := self.proc.stdout.readline():
            msg = json.loads(raw)
            if "done" in msg:
                assert msg["done"] == self.n
                return out
            out.append(msg)
            if first_only:
                return None
        return None

    def kill(self) -> list[dict] | None:
        """SIGKILL; the replies to the last line if its turn was complete on stdout, else None."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        rest = [json.loads(raw) for raw in self.proc.stdout.read().splitlines() if raw.strip()]
        self._close()
        done = [i for i, m in enumerate(rest) if m.get("done") == self.n]
        return rest[: done[0]] if done else None

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        err = self.proc.stderr.read()
        self._close()
        return err

    def _close(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:  # stdin of a killed process: the pipe is broken
                pass


def make_files(folder: Path) -> None:
    folder.mkdir()
    for n, name in enumerate(["s1.jpg", "s2.jpg", "p3.jpg", "p4.jpg", "p5.jpg"]):
        (folder / name).write_bytes(b"\xff\xd8\xff\xe0\x00JFIF" + bytes([n]) * (300 + n))
    for n in (1, 2):
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{n}00" height="100"><circle r="{n}0"/></svg>'
        (folder / f"logo-{n}.svg").write_text(svg, encoding="utf-8")


@dataclass
class World:
    """What the test knows of the database: the case ids and invite codes, read from it."""

    db: str
    cwd: Path
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.engine = create_engine(self.db)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as c:
            return list(c.execute(text(sql), params))

    def learn(self) -> None:
        """The case ids and invite codes, A first: a case created by a line whose reply was lost is
        known from the database."""
        cases = self.rows('SELECT id, invite_code FROM "case" ORDER BY created_at')
        for label, (cid, invite) in zip("AB", cases, strict=False):
            self.ids[label], self.ids[f"invite_{label}"] = cid, invite
        # the proposals voted on, by kind: a partial refund both accept, a full refund only the client does
        for key, label, kind in (("settle_A", "A", "partial_refund"), ("refund_B", "B", "full_refund")):
            if label in self.ids:
                got = self.rows(
                    "SELECT label FROM proposal WHERE case_id = :c AND kind = :k", c=self.ids[label], k=kind
                )
                if got:
                    self.ids[key] = got[0].label

    def trail(self, label: str) -> list[str]:
        """The case's audit actions, refusals left out (a refused line changes nothing)."""
        if label not in self.ids:
            return []
        got = self.rows("SELECT action FROM auditentry WHERE chain = :c ORDER BY seq", c=self.ids[label])
        return [a for (a,) in got if a != "refused"]

    def verify(self) -> subprocess.Popen:
        """`mediator audit verify` started: it runs while the next console starts (nothing is written
        until a line is sent, after verify ended)."""
        return subprocess.Popen(
            MEDIATOR + ["audit", "verify", "--db", self.db],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.cwd,
        )


def expected(upto: int, label: str) -> tuple[list[str], str | None]:
    """The trail and status of a case once the story's first `upto` lines are applied."""
    actions, status = [], None
    for s in STORY[:upto]:
        if s.case == label:
            actions += s.actions
            status = s.status or status
    return actions, status


def applied_lines(world: World, answered: int) -> int:
    """How many lines are applied: `answered`, or one more if the line in flight is in the trail.
    AssertionError (a half-applied command) if the trails are neither."""
    for upto in (answered, answered + 1):
        if upto <= len(STORY) and all(world.trail(c) == expected(upto, c)[0] for c in "AB"):
            return upto
    raise AssertionError(
        f"after line {answered}: trails {[world.trail(c) for c in 'AB']} are not the script's "
        f"{[expected(answered, c)[0] for c in 'AB']}, nor those with line {answered + 1} in flight"
    )


def consistency(world: World, upto: int) -> list[str]:
    """Where the rows disagree with the trail; [] when they agree."""
    problems = []
    for label in "AB":
        actions, status = expected(upto, label)
        if label not in world.ids:
            if actions:
                problems.append(f"case {label}: created in the trail, no row")
            continue
        cid = world.ids[label]
        (row,) = world.rows('SELECT status, agreed_brief_id FROM "case" WHERE id = :c', c=cid)
        if row.status != status:
            problems.append(f"case {label}: status {row.status}, the trail says {status}")
        if (row.agreed_brief_id is not None) != ("brief.agreed" in actions):
            problems.append(f"case {label}: agreed brief {row.agreed_brief_id} against the trail")
        members = world.rows("SELECT role FROM casemember WHERE case_id = :c", c=cid)
        if len(members) != 1 + actions.count("case.joined"):
            problems.append(f"case {label}: {len(members)} members")
        for table, adding in COUNTED.items():
            if table == "proposalvote":
                sql = "SELECT v.id FROM proposalvote v JOIN proposal p ON p.id = v.proposal_id WHERE p.case_id = :c"
            else:
                sql = f"SELECT id FROM {table} WHERE case_id = :c"
            n, want = len(world.rows(sql, c=cid)), sum(actions.count(a) for a in adding)
            if n != want:
                problems.append(f"case {label}: {n} {table} rows, the trail says {want}")
        offers = world.rows("SELECT role FROM offer WHERE case_id = :c", c=cid)
        if len(offers) != actions.count("offer.made"):
            problems.append(f"case {label}: {len(offers)} offers, the trail says {actions.count('offer.made')}")
        proposals = world.rows("SELECT id FROM proposal WHERE case_id = :c", c=cid)
        if bool(proposals) != ("proposals.made" in actions):
            problems.append(f"case {label}: {len(proposals)} proposals against the trail")
        taken = world.rows("SELECT status FROM escalation WHERE case_id = :c", c=cid)
        want_taken = "moderation.taken" in actions and "moderation.decided" not in actions
        if want_taken != any(e.status == "taken" for e in taken):
            problems.append(f"case {label}: escalation {[e.status for e in taken]} against the trail")
        both = world.rows(
            "SELECT p.id FROM proposal p JOIN proposalvote v ON v.proposal_id = p.id "
            "WHERE p.case_id = :c AND v.accepted GROUP BY p.id HAVING COUNT(DISTINCT v.role) = 2",
            c=cid,
        )
        if both and row.status in ("disputed", "escalated"):
            problems.append(f"case {label}: a proposal accepted by both, and the case is still {row.status}")
        files = world.rows(
            "SELECT d.id, f.sha256, f.stored_path FROM delivery d LEFT JOIN deliveryfile f ON f.delivery_id = d.id "
            "WHERE d.case_id = :c",
            c=cid,
        )
        for f in files:
            if f.sha256 is None:
                problems.append(f"case {label}: delivery {f.id} without files")
                continue
            path = Path(f.stored_path) if Path(f.stored_path).is_absolute() else world.cwd / f.stored_path
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != f.sha256:
                problems.append(f"case {label}: delivery {f.id} file {f.stored_path} missing or changed")
    return problems


def kill_plan(seed: int) -> dict[int, tuple[str, float]]:
    """Which lines are interrupted and how: after the reply (idle), as the reply begins, or a random
    few milliseconds after the line was written (mid-command)."""
    rnd = random.Random(seed)
    at = sorted(rnd.sample(range(len(STORY)), KILLS))
    return {i: (rnd.choice(["idle", "reply", "mid", "mid", "mid"]), rnd.uniform(0.0, 0.06)) for i in at}


def fill(line: str, world: World, files: Path) -> str:
    return line.format(dir=files, **world.ids)


@pytest.mark.model  # the console process loads the model at start-up
def test_kill_9_at_random_points_leaves_no_half_applied_command(db_url, tmp_path, capsys):
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    files = tmp_path / "art"
    make_files(files)
    world = World(db_url, tmp_path)
    plan = kill_plan(SEED)
    console = Console(tmp_path, db_url)
    half, verified, problems = 0, 0, []
    landed = {"idle": 0, "applied": 0, "not applied": 0}
    i = 0
    while i < len(STORY):
        s = STORY[i]
        console.send(fill(s.line, world, files))
        if i not in plan:
            got = console.read()
            assert got is not None, f"line {i + 1} ({s.line[:40]!r}): the console ended: {console.close()}"
            assert all(r["data"].get("type") != "error" for r in got), (s.line, got)
            world.learn()
            i += 1
            continue
        mode, delay = plan.pop(i)
        if mode == "idle":
            assert console.read() is not None
            time.sleep(delay)
        elif mode == "reply":
            console.read(first_only=True)
        else:
            time.sleep(delay)
        seen = console.kill()
        answered = i + 1 if seen is not None else i  # lines whose replies were seen
        world.learn()
        try:
            upto = applied_lines(world, answered)
            found = consistency(world, upto)
        except AssertionError as exc:
            upto, found = answered, [str(exc)]
        landed["idle" if seen is not None else "applied" if upto > i else "not applied"] += 1
        verify = world.verify()
        console = Console(tmp_path, db_url)  # a fresh process on the same database
        said = verify.communicate(timeout=60)[0]
        verified += verify.returncode == 0
        if verify.returncode != 0:
            found.append(f"audit verify: {said}")
        if found:
            half += 1
            problems.append((i + 1, mode, found))
        if seen is None and (upto == i or STORY[i].again is not None):
            # the line in flight: sent again if it did not apply, or if sending twice is harmless
            before = [world.trail(c) for c in "AB"]
            console.send(fill(s.line, world, files))
            got = console.read()
            assert got is not None, console.close()
            errors = [r["data"].get("code") for r in got if r["data"].get("type") == "error"]
            if upto == i:
                assert not errors, (s.line, got)
            else:
                assert set(errors) <= s.again, (s.line, got)
                assert [world.trail(c) for c in "AB"] == before, f"{s.line!r} applied twice"
            world.learn()
        i += 1
    assert console.close() == ""
    final = [world.trail(c) for c in "AB"]
    rest = consistency(world, len(STORY))
    verify = world.verify()
    verify.wait(timeout=60)
    world.engine.dispose()
    with capsys.disabled():
        print(
            f"\nkill -9 ({backend}): {KILLS} kills ({landed['idle']} between commands, "
            f"{landed['applied'] + landed['not applied']} in flight: {landed['applied']} applied, "
            f"{landed['not applied']} not), {half} half-applied, audit verify passed {verified}/{KILLS}; "
            f"story continued to its end ({len(STORY)} lines)"
        )
    assert problems == []  # (line, how it was killed, what disagreed)
    assert final == [expected(len(STORY), c)[0] for c in "AB"], "the story did not reach its end"
    assert rest == []
    assert verify.returncode == 0, verify.stdout.read()
    verify.stdout.close()
