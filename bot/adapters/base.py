"""What every adapter offers the hub: start, stop, and send a neutral reply to an address."""

from __future__ import annotations

from typing import Protocol

from ..messages import Address, Reply
from ..render import Capabilities


class Adapter(Protocol):
    platform: str
    caps: Capabilities

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, reply: Reply, to: Address) -> None: ...
