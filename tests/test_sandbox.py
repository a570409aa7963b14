"""Hostile files are read in a worker with CPU, wall-clock and memory limits, never inside a
command's transaction; the evidence store keeps nothing for a refused command, and the hash it
records is the hash of the bytes it kept."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli_assess import register
from bot.messages import Attachment, Incoming
from tests.kit import case_at, expect
from tests.kit import filemakers as fm

TOO_COSTLY = "could not be checked (too costly)"


def _problems(facts: dict) -> list[str]:
    return facts.get("problems", [])


def _stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


# ------------------------------------------------------------------------------ costly files


def test_costly_pdf_is_too_costly_within_the_wall_limit_and_the_rest_is_assessed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "delivery"
    fm.photos(folder, 2)
    fm.costly_pdf(folder / "catalogue.pdf", unpacked_mb=3)  # ~6 KB; about 20 s of CPU unguarded
    (tmp_path / "config.toml").write_text("[inspection]\ncpu_seconds = 1\nwall_seconds = 3\n")
    app = typer.Typer()
    register(app)
    app.command("other")(lambda: None)
    t0 = time.monotonic()
    res = CliRunner().invoke(
        app,
        ["assess", "--brief", "2 product photos, square 1080x1080 JPG.", "--delivery", str(folder), "--json"],
    )
    elapsed = time.monotonic() - t0
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert elapsed < 3 + 3  # the wall limit, plus starting a worker on a busy machine
    by_name = {f["name"]: f for f in out["files"]}
    pdf = by_name["catalogue.pdf"]
    assert pdf["type"] == "pdf" and len(pdf["sha256"]) == 64
    # over the CPU limit, or over the wall limit first when the machine is busy
    assert any(p.startswith(TOO_COSTLY) and ("CPU" in p or "longer than 3 s" in p) for p in _problems(pdf)), pdf
    photos = [f for f in out["files"] if f["name"].endswith(".jpg")]
    assert [(f["width"], f["height"]) for f in photos] == [(1080, 1080)] * 2
    verdicts = {r["kind"]: r["verdict"] for r in out["requirements"]}
    assert verdicts["deliverable"] == "met" and verdicts["dimensions"] == "met"
    assert any(TOO_COSTLY in n for n in out["notes"])


async def test_a_too_costly_deliverable_is_left_to_a_person_not_failed(settings, new_chat, tmp_path):
    settings.inspection.cpu_seconds = 1
    settings.inspection.wall_seconds = 3
    chat = new_chat()
    await case_at(chat)
    photos = fm.photos(tmp_path / "d", 8)
    catalogue = fm.costly_pdf(tmp_path / "catalogue.pdf", unpacked_mb=3)
    files = [str(p) for p in [*photos, catalogue]]
    assert (await chat.say("maya", "/deliver all 8", files=files)).expect("delivery")
    t0 = time.monotonic()
    result = (await chat.say("clara", "/assess")).expect("assessment")
    assert time.monotonic() - t0 < 3 + 6  # the wall limit, plus reading 8 photos on a busy machine
    pdf = next(f for f in result["files"] if f["name"] == "catalogue.pdf")
    assert any(p.startswith(TOO_COSTLY) for p in _problems(pdf))
    deliverable = next(r for r in result["requirements"] if r["kind"] == "deliverable" and "8" in r["label"])
    assert deliverable["verdict"] == "met"  # the 8 photos are still counted
    assert result["coverage"] is not None and result["coverage"] > 0.5


def test_memory_bomb_is_contained(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "delivery"
    fm.photos(folder, 1)
    fm.png_memory_bomb(folder / "banner.png")  # ~190 KB that decodes to 192 MB of pixels
    (tmp_path / "config.toml").write_text("[inspection]\nmemory_mb = 160\ncpu_seconds = 20\nwall_seconds = 30\n")
    app = typer.Typer()
    register(app)
    app.command("other")(lambda: None)
    t0 = time.monotonic()
    res = CliRunner().invoke(app, ["assess", "--brief", "2 pictures.", "--delivery", str(folder), "--json"])
    assert res.exit_code == 0, res.output
    assert time.monotonic() - t0 < 20
    by_name = {f["name"]: f for f in json.loads(res.output)["files"]}
    bomb = by_name["banner.png"]
    assert any(p.startswith(TOO_COSTLY) and "memory" in p for p in _problems(bomb)), bomb
    assert "width" not in bomb
    assert by_name["photo1.jpg"]["width"] == 1080


# ------------------------------------------------------------------------------ no transaction while inspecting


async def test_files_are_inspected_with_no_transaction_open(db_url, settings, new_chat, tmp_path):
    settings.inspection.cpu_seconds = 3
    settings.inspection.wall_seconds = 5
    chat = new_chat(db_url)  # on SQLite, and on PostgreSQL
    engine = chat.hub.engine
    await case_at(chat)
    files = [*fm.photos(tmp_path / "d", 4), fm.costly_pdf(tmp_path / "slow.pdf", unpacked_mb=3)]
    assert (await chat.say("maya", "/deliver all", files=[str(p) for p in files])).expect("delivery")

    seen: list[int] = []

    def progress(text: str) -> None:  # said just before the files are read
        seen.append(engine.store.engine.pool.checkedout())

    incoming = Incoming(platform="memory", chat_id="chat", user_id="clara", user_name="Clara", text="/assess")
    done: list = []
    worker = threading.Thread(target=lambda: done.append(engine.handle_sync(incoming, progress)))
    worker.start()
    time.sleep(1.0)  # the costly PDF is being read now
    if db_url.startswith("sqlite"):
        probe = sqlite3.connect(settings.database.url.removeprefix("sqlite:///"), timeout=0.5)
        probe.isolation_level = None
        probe.execute("BEGIN IMMEDIATE")  # raises "database is locked" if a command holds the write lock
        probe.execute("ROLLBACK")
        probe.close()
    else:
        assert engine.store.engine.pool.checkedout() == 0
    t0 = time.monotonic()
    other = (await chat.say("bob", "/case new Logo amount=50 currency=USD role=client", chat="other")).expect(
        "case_created"
    )
    assert other["case_id"] and time.monotonic() - t0 < 2.0
    worker.join(30)
    assert seen == [0]
    assert expect(done[0], "assessment")["coverage"] is not None


# ------------------------------------------------------------------------------ evidence store


async def test_a_refused_deliver_stores_no_file(chat, settings, tmp_path):
    await case_at(chat, "joined")
    photo = fm.image(tmp_path / "p.jpg")
    err = (await chat.say("maya", "/deliver here", files=[str(photo)])).expect("error")
    assert err["code"] == "no_agreed_brief"
    assert _stored_files(settings.storage.files_dir) == []


async def test_a_deliver_with_one_bad_file_stores_none_of_them(chat, settings, tmp_path):
    await case_at(chat)
    photo = fm.image(tmp_path / "p.jpg")
    err = (await chat.say("maya", "/deliver here", files=[str(photo), f"{tmp_path}/missing.jpg"])).expect("error")
    assert err["code"] == "bad_file"
    assert _stored_files(settings.storage.files_dir) == []
    assert (await chat.say("maya", "/case status")).expect("case_status")["deliveries"] == 0


async def test_the_recorded_hash_is_the_hash_of_the_stored_bytes_while_the_source_changes(chat, settings, tmp_path):
    await case_at(chat)
    src = tmp_path / "moving.bin"
    size = 8 * 1024 * 1024
    src.write_bytes(b"A" * size)
    stop = threading.Event()

    def rewrite() -> None:  # another program keeps saving over the file while it is delivered
        fd = os.open(src, os.O_WRONLY)
        n = 0
        try:
            while not stop.is_set():
                n += 1
                os.pwrite(fd, (b"A" if n % 2 else b"B") * (1 << 20), (n % 8) << 20)
        finally:
            os.close(fd)

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        delivered = []
        for i in range(6):
            msg = Incoming(
                platform="memory",
                chat_id="chat",
                user_id="maya",
                user_name="Maya",
                text=f"/deliver version {i}",
                attachments=[Attachment(name="moving.bin", path=str(src))],
            )
            delivered.append(expect(await chat.hub.engine.handle(msg), "delivery"))
    finally:
        stop.set()
        writer.join()
    for d in delivered:
        f = d["files"][0]
        stored = Path(settings.storage.files_dir) / f["sha256"][:2] / f["sha256"]
        body = stored.read_bytes()
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
        assert len(body) == f["size"]
