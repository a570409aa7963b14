"""`mediator assess`: check delivered files against a brief from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _read_brief(value: str) -> str:
    """The brief itself, or `@FILE` to read it from a file."""
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise _fail(f"brief file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read the brief file {path}: {exc}") from None
    return value


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _fail(
            f"{option}: not an ISO date or time: {value!r} (use e.g. 2024-03-01 or 2024-03-01T10:00+01:00)"
        ) from None


def _limits(config: str | None):
    """Inspection limits and the sandbox's limits from the config's [inspection] table."""
    from mediation.config import ConfigError, load_settings
    from mediation.settlement import limits, sandbox_limits

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    return limits(settings), sandbox_limits(settings)


def assess_command(
    brief: str = typer.Option(..., "--brief", help="The agreed brief, or @FILE to read it."),
    delivery: list[str] = typer.Option(..., "--delivery", help="A delivered file or folder (repeatable)."),
    delivered_at: str | None = typer.Option(None, "--delivered-at", help="When it was delivered (ISO 8601)."),
    agreed_at: str | None = typer.Option(None, "--agreed-at", help="When the brief was agreed (ISO 8601)."),
    approval: list[str] = typer.Option(
        [], "--approved", help="What the client approved, e.g. '2 samples' (repeatable)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the assessment as JSON."),
    config: str | None = typer.Option(None, "--config", help="Config file (default: ./config.toml if present)."),
) -> None:
    """Check delivered files against a brief, requirement by requirement."""
    from mediation.assessment import assess
    from mediation.sandbox import inspect_paths
    from nlp.brief import parse_brief

    text = _read_brief(brief)
    if not text.strip():
        raise _fail("the brief is empty")
    missing = [p for p in delivery if not Path(p).exists()]
    if missing:
        raise _fail("not found: " + ", ".join(missing))
    delivered = _parse_time(delivered_at, "--delivered-at")
    agreed = _parse_time(agreed_at, "--agreed-at")
    limits, sandbox = _limits(config)
    facts = inspect_paths(delivery, limits, sandbox)  # each file in a worker with CPU, time and memory caps
    result = assess(parse_brief(text), facts, delivered_at=delivered, agreed_at=agreed, approvals=approval)
    if json_out:
        typer.echo(json.dumps(result.to_data(), ensure_ascii=False))
    else:
        typer.echo(result.to_text())


def register(app: typer.Typer) -> None:
    """Add `assess` to the `mediator` command."""
    app.command("assess")(assess_command)
