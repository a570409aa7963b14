"""Every test stays on this machine: a connection or name lookup beyond 127.0.0.1 fails the test."""

from __future__ import annotations

import ipaddress
import socket

import pytest

LOOPBACK_NAMES = {None, "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1"}


def _loopback(host) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


class InternetUsed(OSError):
    """A test tried to reach beyond this machine."""


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every test: any connection or name lookup beyond 127.0.0.1 fails, and fails the test even if a
    library swallowed the error. Yields the attempts (a test of the guard itself clears them)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # python-telegram-bot's coming time type, without its notice
    attempts: list = []
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def check(address):
        if isinstance(address, tuple) and not _loopback(address[0]):
            attempts.append(address)
            raise InternetUsed(f"a test tried to reach {address[0]}:{address[1]}")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            attempts.append((host, args[0] if args else None))
            raise InternetUsed(f"a test tried to look up {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to reach the network: {attempts}"
