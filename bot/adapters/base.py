"""What every adapter offers the hub: start, stop, and send a neutral reply to an address."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..messages import Address, Reply
from ..render import Capabilities


class Adapter(Protocol):
    platform: str
    caps: Capabilities

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, reply: Reply, to: Address) -> None: ...


@runtime_checkable
class ShowsProgress(Protocol):
    """An adapter that can take a "working on it" note back once the answer is there."""

    async def show_progress(self, reply: Reply, to: Address) -> Any: ...

    async def clear_progress(self, handle: Any) -> None: ...
