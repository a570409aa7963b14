"""The `mediator` command line."""

from __future__ import annotations

import asyncio
import sys

import typer

from mediation.config import ConfigError, Settings, load_settings
from mediation.i18n import SUPPORTED, _, choose, normalize, reading_as
from mediation.vocabulary import Platform

app = typer.Typer(
    help="Mediator: a chat bot that mediates disputes between clients and freelancers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOpt = typer.Option(None, "--config", help="Config file (default: ./config.toml if present).")
DbOpt = typer.Option(None, "--db", help="Database URL; overrides the config and MEDIATOR_DATABASE_URL.")


def settings_or_exit(config: str | None, db: str | None = None) -> Settings:
    try:
        return load_settings(config, db_url=db)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)


def _store(settings: Settings, migrate: bool = False):
    """The database, migrated; one that cannot be opened is a clear start-up error, not a traceback."""
    from mediation.db import Store, safe_url

    try:
        return Store.from_url(
            settings.database.url,
            echo=settings.database.echo,
            migrate=settings.database.auto_migrate or migrate,
            audit_key_file=settings.audit.key_file,
        )
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        typer.echo(
            f"cannot open the database {safe_url(settings.database.url)}: {exc.__class__.__name__}: {first}", err=True
        )
        raise typer.Exit(2)


def _engine(settings: Settings):
    from .bootstrap import bootstrap

    return bootstrap(settings, store=_store(settings))


@app.command()
def console(
    json_mode: bool = typer.Option(False, "--json", help='One JSON line per reply, then {"done": n}.'),
    user: str | None = typer.Option(
        None, "--user", help="Who speaks by default (else default_user from the console table of the config)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="The language the bot answers in: en, es or ru (each person may still choose with /lang)."
    ),
    config: str | None = ConfigOpt,
    db: str | None = DbOpt,
) -> None:
    """Talk to Mediator in this terminal (or drive it from a script through stdin)."""
    from .adapters.console import ConsoleAdapter
    from .bootstrap import setup_logging
    from .hub import Hub

    settings = settings_or_exit(config, db)
    setup_logging(settings, quiet=True)
    engine = _engine(settings)
    engine.services.scope.preload()  # the model loads while the first lines are typed
    hub = Hub(engine)
    if lang is not None and normalize(lang) is None:
        typer.echo(f"--lang {lang}: not a language Mediator speaks ({', '.join(SUPPORTED)})", err=True)
        raise typer.Exit(2)
    adapter = ConsoleAdapter(
        hub,
        user=user or settings.console.default_user,
        chat_id=settings.console.chat_id,
        json_mode=json_mode,
        lang=lang,
    )
    if sys.stdin.isatty() and not json_mode:
        with reading_as(choose(lang)):
            typer.echo(
                _("Mediator console. Type /help; start a line with @name to speak as someone else. Ctrl-D quits.")
            )
    from .runner import run_console

    asyncio.run(run_console(hub, adapter))


@app.command()
def run(
    platform: str = typer.Option(
        "console", "--platform", help="console, telegram, discord, or several: telegram,discord"
    ),
    config: str | None = ConfigOpt,
    db: str | None = DbOpt,
) -> None:
    """Run the bot on one or more platforms over one engine."""
    from .bootstrap import setup_logging
    from .runner import run_platforms

    settings = settings_or_exit(config, db)
    names = [p.strip().lower() for p in platform.split(",") if p.strip()]
    unknown = [p for p in names if p not in {Platform.CONSOLE, Platform.TELEGRAM, Platform.DISCORD}]
    if unknown or not names:
        typer.echo(f"unknown platform: {', '.join(unknown) or '(none)'}; use console, telegram or discord", err=True)
        raise typer.Exit(2)
    setup_logging(settings, quiet=names == [Platform.CONSOLE])
    try:
        asyncio.run(run_platforms(_engine(settings), settings, names))
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    config: str | None = ConfigOpt,
    db: str | None = typer.Option("sqlite:///:memory:", "--db", help="Database URL (default: in memory)."),
) -> None:
    """Play the founding story through the console and show the bot's answers."""
    from .demo import play

    settings = settings_or_exit(config, db)
    asyncio.run(play(_engine(settings)))


@db_app.command("upgrade")
def db_upgrade(config: str | None = ConfigOpt, db: str | None = DbOpt) -> None:
    """Create or migrate the database schema to the latest version."""
    from mediation.db import safe_url

    settings = settings_or_exit(config, db)
    _store(settings, migrate=True).close()  # through the store: chains from before audit keys get sealed
    typer.echo(f"database {safe_url(settings.database.url)} is at the latest schema")


audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    case: str | None = typer.Argument(None, help="One case id; all chains if omitted."),
    config: str | None = ConfigOpt,
    db: str | None = DbOpt,
) -> None:
    """Recompute the keyed chains and each case's state; exit 1 on any edit, insertion or deletion."""
    from mediation import audit

    store = _store(settings_or_exit(config, db))
    with store.transaction() as s:
        problems, chains = audit.check(s, case.upper() if case else None)
    for p in problems:
        typer.echo(f"{p.chain} entry {p.seq}: {p.problem}")
    if problems:
        raise typer.Exit(1)
    entries = sum(c.entries for c in chains)
    legacy = sum(c.legacy for c in chains)
    scope = f"case {case.upper()}" if case else f"{len(chains)} chains"
    note = f"; {legacy} written before audit keys (unkeyed, sealed since)" if legacy else ""
    typer.echo(f"audit trail intact ({entries} entries of {scope}{note})")


@audit_app.command("selfcheck")
def audit_selfcheck(config: str | None = ConfigOpt) -> None:
    """Play a story on a scratch database, tamper with it in every way we know, count what verify catches."""
    from .audit_selfcheck import run

    results, clean = run(settings_or_exit(config))
    if clean:
        typer.echo("the untouched story does not verify: " + "; ".join(clean))
        raise typer.Exit(1)
    tried = [r for r in results if not r.scenario.limit]
    caught = [r for r in tried if r.detected]
    for r in results:
        mark = "detected" if r.detected else ("not detected (known limit)" if r.scenario.limit else "NOT DETECTED")
        typer.echo(f"{r.scenario.name:<15} {mark:<27} {r.scenario.what}")
    typer.echo(f"tampering scenarios: {len(tried)} tried, {len(caught)} detected; untouched case verifies clean")
    if len(caught) < len(tried):
        raise typer.Exit(1)


@app.command("export")
def export_case(
    case: str = typer.Argument(..., help="The case id."),
    out: str = typer.Option(".", "--out", help="Folder for case-<id>.json and case-<id>.md."),
    audience: str = typer.Option("party", "--for", help="party (no moderator notes or blind offers) or moderator."),
    config: str | None = ConfigOpt,
    db: str | None = DbOpt,
) -> None:
    """Write a case file (JSON plus readable Markdown) for a party or moderator."""
    from pathlib import Path

    from mediation import cases, export
    from mediation.errors import MediationError

    if audience not in export.AUDIENCES:
        typer.echo(f"--for must be one of: {', '.join(export.AUDIENCES)}", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit(config, db)
    store = _store(settings)
    with store.transaction() as s:
        try:
            doc = export.case_document(s, cases.get_case(s, case), settings, audience)
        except MediationError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2)
    for path in export.write(doc, Path(out)):
        typer.echo(f"wrote {path}")


@app.command()
def loadtest(
    db: str = typer.Option(..., "--db", help="PostgreSQL URL shared by the workers."),
    workers: int = typer.Option(2, "--workers", min=1, help="Worker processes."),
    cases: int = typer.Option(100, "--cases", min=1, help="Cases played through their lifecycle."),
    kill: bool = typer.Option(True, "--kill/--no-kill", help="Then run again with one worker SIGKILLed mid-run."),
) -> None:
    """N processes over one database play M cases with deadlines on an injected clock; prints
    commands/s, p50/p95 latency, effects applied twice and notices lost (both must be 0)."""
    import json

    from .loadtest import run as load

    failed = False
    for killing in [False, True] if kill and workers > 1 else [False]:
        report = load(db, workers, cases, kill=killing)
        typer.echo(json.dumps(report))
        failed |= report["double_applied"] > 0 or report["lost_notices"] > 0
    if failed:
        raise typer.Exit(1)


def _register_groups() -> None:
    """Command groups that live in their own modules."""
    from . import cli_assess, cli_nlp

    cli_nlp.register(app)
    cli_assess.register(app)


_register_groups()
