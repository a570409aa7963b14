"""Operations: health and metrics for the running bot (`[ops] listen`).

`GET /healthz` answers 200 with a JSON body when the database answers, the model is loaded (or
still loading) and every adapter is connected, else 503 with the same body saying what is wrong.
`GET /metrics` is Prometheus text. Every engine has its own `CollectorRegistry`: nothing is kept
in the library's global registry, so two engines in one process (tests, several bots) never mix.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger("mediator.ops")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "mediator_commands", "Messages handled, by platform, command and outcome (ok, refused, error)",
            ["platform", "command", "outcome"], registry=r,
        )  # fmt: skip
        self.command_seconds = Histogram(
            "mediator_command_seconds", "Time to handle one message, database and model work included",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=r,
        )  # fmt: skip
        self.outbox_pending = Gauge("mediator_outbox_pending", "Notices waiting in the outbox", registry=r)
        self.deadlines = Counter(
            "mediator_deadlines_fired", "Deadlines (and reminders) fired by this process", ["kind"], registry=r
        )
        self.scope_checks = Counter("mediator_scope_checks", "Scope classifications run by this process", registry=r)
        self.notices = Counter(
            "mediator_outbox_sends", "Outbox send attempts by platform and result", ["platform", "result"], registry=r
        )

    def command(self, platform: str, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(platform, command, outcome).inc()
        self.command_seconds.observe(seconds)

    def deadline_fired(self, kind: str) -> None:
        self.deadlines.labels(kind).inc()

    def notice(self, platform: str, result: str) -> None:
        self.notices.labels(platform, result).inc()

    def scope_check(self) -> None:
        self.scope_checks.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CountingScope:
    """The scope service as the engine sees it, counting each check."""

    def __init__(self, inner: Any, metrics: Metrics):
        self.inner = inner
        self.metrics = metrics

    def check(self, brief: str, request: str):
        self.metrics.scope_check()
        return self.inner.check(brief, request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def model_state(scope: Any) -> str:
    if scope is None:
        return "absent"
    return getattr(scope, "state", "loaded")


class OpsServer:
    def __init__(self, hub: Any, listen: str):
        self.hub = hub
        host, _, port = listen.rpartition(":")
        self.host, self.port = host.strip("[]") or "127.0.0.1", int(port)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self) -> tuple[bool, dict]:
        engine = self.hub.engine
        began = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.to_thread(engine.store.ping), 3)
            database = "ok"
        except Exception as exc:
            database = f"unreachable: {exc.__class__.__name__}"
        model = model_state(engine.services.scope)
        adapters = {
            p: ("connected" if getattr(a, "connected", True) else "disconnected") for p, a in self.hub.adapters.items()
        }
        ok = (
            database == "ok"
            and model in ("loaded", "loading")
            and all(v == "connected" for v in adapters.values())
            and self.hub.accepting
        )
        body = {
            "status": "ok" if ok else "unavailable",
            "database": database,
            "model": model,
            "adapters": adapters,
            "stopping": not self.hub.accepting,
            "checked_in_ms": round((time.perf_counter() - began) * 1000, 1),
        }
        return ok, body

    async def healthz(self, request: web.Request) -> web.Response:
        ok, body = await self.health()
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        engine = self.hub.engine
        try:
            pending = await asyncio.wait_for(asyncio.to_thread(engine.outbox.pending_count), 3)
            engine.metrics.outbox_pending.set(pending)
        except Exception as exc:
            log.warning("could not count the outbox for /metrics: %s", exc)
        return web.Response(body=engine.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
