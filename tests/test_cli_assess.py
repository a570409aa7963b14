"""`mediator assess` from the command line: checklist, JSON, and clear errors."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli_assess import register
from tests.kit import SOAP_BRIEF
from tests.kit import filemakers as fm

runner = CliRunner()


@pytest.fixture
def app():
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps `assess` a named subcommand
        pass

    return app


@pytest.fixture
def delivery(tmp_path):
    folder = tmp_path / "delivery"
    fm.photos(folder, 8)
    return folder


def run(app, *args):
    return runner.invoke(app, ["assess", *args])


def test_checklist_text(app, delivery, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no config.toml here: defaults
    res = run(
        app,
        "--brief",
        SOAP_BRIEF,
        "--delivery",
        str(delivery),
        "--agreed-at",
        "2024-03-01T10:00",
        "--delivered-at",
        "2024-03-06",
        "--approved",
        "2 samples",
    )
    assert res.exit_code == 0, res.output
    assert "100% covered" in res.stdout and "on time" in res.stdout
    assert "✓ 8 product pictures: 8 of 8 images delivered (8 JPEG 1080x1080)" in res.stdout
    assert "? natural light" in res.stdout


def test_json_and_brief_from_file(app, delivery, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    brief = tmp_path / "brief.txt"
    brief.write_text(SOAP_BRIEF, encoding="utf-8")
    extra = fm.image(tmp_path / "small.jpg", size=(800, 800))
    res = run(app, "--brief", f"@{brief}", "--delivery", str(delivery), "--delivery", str(extra), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["type"] == "assessment" and data["on_time"] is None
    assert {"requirements", "coverage", "files", "notes"} <= set(data)
    dims = next(r for r in data["requirements"] if r["kind"] == "dimensions")
    assert "1 of 9 is 800x800" in dims["evidence"]
    assert dims["verdict"] == "met" and "beyond the number agreed" in dims["evidence"]  # an extra
    assert len(data["files"]) == 9


@pytest.mark.parametrize(
    "args,message",
    [
        (["--delivery", "NOPE"], "not found: NOPE"),
        (["--delivery", "{d}", "--agreed-at", "last tuesday"], "--agreed-at: not an ISO date"),
        (["--delivery", "{d}", "--delivered-at", "2024-13-01"], "--delivered-at: not an ISO date"),
    ],
)
def test_bad_input_exits_2(app, delivery, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{d}", str(delivery)) for a in args]
    res = run(app, "--brief", SOAP_BRIEF, *args)
    assert res.exit_code == 2
    assert message in res.stderr


def test_missing_brief_file_and_empty_brief(app, delivery, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(app, "--brief", "@missing.txt", "--delivery", str(delivery))
    assert res.exit_code == 2 and "brief file not found" in res.stderr
    res = run(app, "--brief", "   ", "--delivery", str(delivery))
    assert res.exit_code == 2 and "the brief is empty" in res.stderr


def test_bad_config_exits_2(app, delivery, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(app, "--brief", SOAP_BRIEF, "--delivery", str(delivery), "--config", "nope.toml")
    assert res.exit_code == 2 and "config file not found" in res.stderr


def test_hostile_files_do_not_crash(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "d"
    folder.mkdir()
    fm.png_bomb(folder / "a.png")
    fm.zip_bomb(folder / "b.zip", unpacked_mb=5)
    fm.zip_of(folder / "c.zip", {"../../x.jpg": b"x"})
    fm.text(folder / "d.jpg", "not a picture")
    res = run(app, "--brief", SOAP_BRIEF, "--delivery", str(folder), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert next(r for r in data["requirements"] if r["kind"] == "deliverable")["verdict"] == "not_met"
    notes = " ".join(data["notes"])
    assert "zip bomb" in notes and "path traversal" in notes and "refused" in notes


def test_registered_on_the_main_command(delivery, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from bot.cli import app as main_app

    res = runner.invoke(main_app, ["assess", "--brief", "8 photos, JPG.", "--delivery", str(delivery)])
    assert res.exit_code == 0, res.output
    assert "✓ 8 photos" in res.stdout
