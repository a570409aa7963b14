"""The process lifecycle: a graceful stop on SIGTERM/SIGINT, health and metrics while running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.messages import Incoming
from tests.conftest import data, make_chat

MEDIATOR = [sys.executable, "-m", "bot"]


def start_run(tmp_path: Path, extra_config: str = "") -> subprocess.Popen:
    config = tmp_path / "config.toml"
    config.write_text(
        '[nlp]\nbackend = "onnx"\nonnx_path = "no-such-onnx-export"\n'
        f'[logging]\nfile = "{tmp_path}/mediator.log"\n' + extra_config
    )
    return subprocess.Popen(
        MEDIATOR + ["run", "--platform", "console", "--config", str(config), "--db", f"sqlite:///{tmp_path}/m.db"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_gracefully_and_exits_0_on_a_signal(tmp_path, sig):
    proc = start_run(tmp_path)
    try:
        proc.stdin.write("@maya /case new Logo amount=300 currency=EUR role=freelancer\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert "Case C" in line, line + proc.stderr.read()
        began = time.monotonic()
        proc.send_signal(sig)  # stdin stays open: the console is waiting for a line when it comes
        code = proc.wait(timeout=15)
        took = time.monotonic() - began
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "mediator.log").read_text()
    assert code == 0, proc.stderr.read()
    assert took < 10
    assert f"{sig.name}: stopping" in log and "stopped" in log


async def test_a_stopping_hub_finishes_commands_in_flight_and_takes_no_new_ones(settings, clock, monkeypatch):
    chat = make_chat(settings, clock)
    hub, engine = chat.hub, chat.hub.engine
    real = engine.handle_sync

    def slow(incoming, progress=None):
        time.sleep(0.5)
        return real(incoming, progress)

    monkeypatch.setattr(engine, "handle_sync", slow)
    incoming = Incoming("memory", "g", "maya", "Maya", "/case new Logo amount=300 currency=EUR role=freelancer")
    in_flight = asyncio.create_task(hub.dispatch(incoming))
    await asyncio.sleep(0.1)
    assert await hub.drain(5) is True  # waited for the command
    assert data(in_flight.result(), "case_created")["case_id"].startswith("C")
    refused = data(await hub.dispatch(Incoming("memory", "g", "maya", "Maya", "/case status")), "error")
    assert refused["code"] == "stopping"
    engine.store.close()
