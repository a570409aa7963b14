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
from tests.kit.engine import make_chat
from tests.kit.replies import expect

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
    assert expect(in_flight.result(), "case_created")["case_id"].startswith("C")
    refused = expect(await hub.dispatch(Incoming("memory", "g", "maya", "Maya", "/case status")), "error")
    assert refused["code"] == "stopping"
    engine.store.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_run_serves_health_and_metrics_then_exits_0_on_sigterm(tmp_path):
    import json

    port = free_port()
    proc = start_run(tmp_path, f'[ops]\nlisten = "127.0.0.1:{port}"\n')
    try:
        proc.stdin.write("@maya /case new Logo amount=300 currency=EUR role=freelancer\n")
        proc.stdin.flush()
        assert "Case C" in proc.stdout.readline()
        deadline = time.monotonic() + 30
        while True:
            status, body = get(f"http://127.0.0.1:{port}/healthz")
            health = json.loads(body)
            if health["model"] != "loading" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # the database answers and the console is connected; this config has no model to load
        assert health["database"] == "ok" and health["adapters"] == {"console": "connected"}
        assert (status, health["model"], health["status"]) == (503, "failed", "unavailable")
        status, text = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'mediator_commands_total{command="case new",outcome="ok",platform="console"} 1.0' in text
        assert "mediator_command_seconds_bucket" in text and "mediator_outbox_pending 0.0" in text
        assert "mediator_deadlines_fired_total" in text and "mediator_scope_checks_total 0.0" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=12) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_healthz_is_200_when_all_is_well_and_503_when_the_database_is_not(settings, clock):
    import json

    import aiohttp

    from bot.ops import OpsServer

    chat = make_chat(settings, clock)
    hub = chat.hub
    hub.engine.services.scope.inner = type("Loaded", (), {"state": "loaded"})()
    await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer")
    await chat.say("maya", "/nonsense")
    port = free_port()
    ops = OpsServer(hub, f"127.0.0.1:{port}")
    await ops.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 200
                assert json.loads(await r.text())["status"] == "ok"
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                text = await r.text()
                assert 'mediator_commands_total{command="case new",outcome="ok",platform="memory"} 1.0' in text
                assert 'mediator_commands_total{command="unknown",outcome="refused",platform="memory"} 1.0' in text

            def broken():
                raise ConnectionError("database down")

            hub.engine.store.ping = broken
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 503
                assert json.loads(await r.text())["database"].startswith("unreachable")
    finally:
        await ops.stop()
        hub.engine.store.close()


def test_each_engine_has_its_own_metrics(settings, clock):
    a, b = make_chat(settings, clock), make_chat(settings, clock)
    assert a.hub.engine.metrics.registry is not b.hub.engine.metrics.registry
    a.hub.engine.metrics.command("memory", "case", "ok", 0.01)
    assert b"mediator_commands_total{" not in b.hub.engine.metrics.render()
    a.hub.engine.store.close()
    b.hub.engine.store.close()


async def test_json_logs_carry_case_platform_command_outcome_and_duration_never_the_text(settings, clock):
    import io
    import json
    import logging

    from bot.bootstrap import setup_logging

    settings.logging.format = "json"
    setup_logging(settings)
    stream = io.StringIO()
    root = logging.getLogger()
    root.handlers[0].setStream(stream)
    try:
        chat = make_chat(settings, clock)
        await chat.say("maya", "/case new Secret project amount=300 currency=EUR role=freelancer")
        chat.hub.engine.store.close()
    finally:
        root.handlers[:] = []
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [handled] = [r for r in lines if r.get("command") == "case new"]
    assert handled["platform"] == "memory" and handled["outcome"] == "ok" and handled["level"] == "info"
    assert handled["case_id"].startswith("C") and handled["duration_ms"] >= 0
    assert "Secret project" not in stream.getvalue()
