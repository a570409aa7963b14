"""Help that reads whole: the CLI's option texts lose no words, /help explains how to address things."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from bot.cli import app


def _help(*args: str) -> str:
    out = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())


def test_cli_help_loses_no_words():
    console = _help("console")
    assert "(else default_user from the console table of the config)" in console
    scope = _help("scope-check")
    assert "config.toml (its nlp table names model_path)" in scope
    for text in (console, scope):
        assert "( " not in text and " )" not in text


async def test_help_explains_names_cases_and_outcomes(chat):
    reply = next(r for r in await chat.say("maya", "/help") if r.data.get("type") == "help")
    for words in ("case=<id>", "release_full", "partial_refund", "full_refund", "mutual_cancel", "change_order"):
        assert words in reply.text, words
    assert "@name" not in reply.text  # console only


async def test_console_help_explains_speaking_as_someone(settings, clock):
    from tests.test_replies import InProcessConsole

    console = InProcessConsole(settings, clock)
    try:
        [reply] = await console.say("@Zoë🎨 /help")
        assert "@name" in reply["text"] and "/as name" in reply["text"]
        assert "help" == reply["data"]["type"]
    finally:
        console.engine.store.close()


def test_readme_examples_use_files_that_ship():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "../shared" not in readme
    for path in re.findall(r"`((?:nlp|mediation|bot)/[\w./-]+\.(?:jsonl|toml|json))`", readme):
        assert (Path(__file__).parent.parent / path).exists(), path
