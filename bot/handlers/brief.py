"""/brief: propose, amend, show, and agree the brief of a case."""

from __future__ import annotations

from dataclasses import asdict

from mediation import cases
from mediation.models import BriefVersion, Case
from mediation.vocabulary import ROLES, ReplyKind
from nlp.brief import parse_brief

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply


def brief_reply(ctx: Ctx, case: Case, version: BriefVersion, headline: str) -> Reply:
    parsed = parse_brief(version.text)
    reqs = [{k: v for k, v in asdict(r).items() if v not in (None, [], False)} for r in parsed.requirements]
    agreed = case.agreed_brief_id == version.id
    lines = [headline, "", version.text, ""]
    lines += [f"{r['id']}. [{r['kind']}] {r['text']}" for r in reqs] or ["(no requirement recognised)"]
    waiting = [role for role in ROLES if getattr(version, f"{role}_agreed_at") is None]
    if agreed:
        lines.append(f"\nAgreed by both parties (version {version.version}).")
    elif waiting:
        lines.append(f"\nWaiting for the {' and '.join(waiting)} to agree: /brief agree")
    options = [] if agreed else [Option("Agree this brief", "/brief agree")]
    return Reply(
        text="\n".join(lines),
        title=f"Brief of case {case.id}, version {version.version}",
        options=options,
        data={
            "type": ReplyKind.BRIEF,
            "case_id": case.id,
            "version": version.version,
            "text": version.text,
            "agreed": agreed,
            "client_agreed": version.client_agreed_at is not None,
            "freelancer_agreed": version.freelancer_agreed_at is not None,
            "requirements": reqs,
        },
    )


@command("brief", "/brief <text>", "propose or amend the brief (or show it, with no text)", keys=("case",))
def brief(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if not cmd.text:
        cases.require_party(ctx.s, case, ctx.party, action="see the brief")
        version = cases.latest_brief(ctx.s, case)
        if version is None:
            return [
                Reply(
                    text=f"Case {case.id} has no brief yet: propose one with /brief <text>.",
                    data={"type": ReplyKind.BRIEF, "case_id": case.id, "version": None},
                )
            ]
        return [brief_reply(ctx, case, version, f"The current brief of case {case.id}:")]
    version = cases.propose_brief(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    headline = f"The {role} proposed version {version.version} of the brief."
    return [brief_reply(ctx, case, version, headline)] + ctx.notify_others(
        case, lambda: brief_reply(ctx, case, version, headline)
    )


@command("brief agree", "/brief agree", "accept the brief as it stands (both parties must)", keys=("case",))
def brief_agree(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    version = cases.agree_brief(ctx.s, ctx.actor, ctx.party, case, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    done = case.agreed_brief_id == version.id
    headline = (
        f"The brief is agreed (version {version.version}). The freelancer can deliver with /deliver."
        if done
        else f"The {role} agreed version {version.version}."
    )
    return [brief_reply(ctx, case, version, headline)] + ctx.notify_others(
        case, lambda: brief_reply(ctx, case, version, headline)
    )
