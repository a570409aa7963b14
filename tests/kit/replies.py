"""Reading what the bot answered: the replies to one input (a turn), and a driver's history of turns.

`expect(kind)` looks only at the replies to the last input, so a test cannot pass on an older reply of
the same kind; `expect(kind, turns=n)` looks back over the last n inputs, `turns=None` over the test.
"""

from __future__ import annotations

import itertools
from typing import Any


def kind_of(reply: Any) -> str | None:
    data = reply.data if hasattr(reply, "data") else reply.get("data", {})
    return (data or {}).get("type")


def data_of(reply: Any) -> dict:
    return reply.data if hasattr(reply, "data") else reply["data"]


def expect(replies, kind: str | None = None) -> dict:
    """The data of the first reply (of a kind) among `replies`."""
    for r in replies:
        if kind is None or kind_of(r) == kind:
            return data_of(r)
    raise AssertionError(f"no {kind} reply in {[kind_of(r) for r in replies]}")


class Turn(list):
    """The replies to one input, in order; a list, so `turn == []` still says "no answer"."""

    def expect(self, kind: str | None = None) -> dict:
        return expect(self, kind)

    def all(self, kind: str) -> list[dict]:
        return [data_of(r) for r in self if kind_of(r) == kind]

    @property
    def kinds(self) -> list[str | None]:
        return [kind_of(r) for r in self]


class History:
    """What a driver said and heard, one `Turn` per input. A driver appends turns; tests read them."""

    _turns: list[Turn]

    @property
    def turns(self) -> list[Turn]:
        return self._turns

    def replies(self, turns: int | None = 1) -> list:
        """The replies to the last `turns` inputs (None: all of them), newest input first."""
        chosen = self.turns if turns is None else self.turns[-turns:] if turns else []
        return [r for t in reversed(chosen) for r in t]

    def expect(self, kind: str | None = None, turns: int | None = 1) -> dict:
        """The data of the reply of a kind to the last input; `turns=n` looks back over n inputs
        (the newest match wins), `turns=None` over the whole test."""
        found = self.replies(turns)
        for r in found:
            if kind is None or kind_of(r) == kind:
                return data_of(r)
        where = "the last input" if turns == 1 else f"the last {turns} inputs" if turns else "this test"
        raise AssertionError(f"no {kind} reply to {where}; got {[kind_of(r) for r in found]}")

    def count(self, kind: str) -> int:
        """How many replies of a kind the whole test has seen."""
        return sum(kind_of(r) == kind for r in self.replies(None))


class Recording(History):
    """A history read from what the engine answered, recorded at the hub: a turn is everything
    answered since an input was sent, late answers included (an album is answered after its last
    photo). Subclasses hold `dispatched` (incoming, replies) and `marks` (where each input began)."""

    dispatched: list
    marks: list[int]

    @property
    def turns(self) -> list[Turn]:
        bounds = self.marks + [len(self.dispatched)]
        return [Turn(r for _, out in self.dispatched[a:b] for r in out) for a, b in itertools.pairwise(bounds)]

    def mark(self) -> int:
        """An input is about to be sent: a new turn starts here."""
        self.marks.append(len(self.dispatched))
        return self.marks[-1]

    def record(self, hub, platform: str | None = None) -> None:
        """Record what `hub` answers (to `platform`'s inputs only, if given)."""
        dispatch = hub.dispatch

        async def recording(incoming):
            out = await dispatch(incoming)
            if platform is None or incoming.platform == platform:
                self.dispatched.append((incoming, list(out)))
            return out

        hub.dispatch = recording
