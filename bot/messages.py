"""The neutral types that cross the adapter boundary: one incoming message, one reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediation.i18n import Join, Msg, Said, current_locale, from_json, render, to_json


@dataclass(frozen=True)
class Address:
    """Where a reply goes: a chat on a platform, or a user's private chat when `user_id` is set."""

    platform: str
    chat_id: str
    user_id: str | None = None


@dataclass
class Attachment:
    """A file that came with a message, already saved to a local path by the adapter."""

    name: str
    path: str
    size: int = 0
    mime: str = ""


@dataclass
class Incoming:
    platform: str
    chat_id: str
    user_id: str
    user_name: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    private: bool = False
    # a platform's id for this event (update id, interaction id): the same id is applied only once
    message_id: str | None = None
    # set by adapters that know platform roles (e.g. a Discord moderator role), checked server side
    moderator: bool = False
    # a plain message someone asked to have checked (a Discord message menu): the asker's neutral id.
    # The message is still its author's (user_id); the check answers even when nothing is flagged.
    requested_by: str | None = None
    # the language the platform says the person uses ("es-ES", "ru"; console --lang): a hint that a
    # choice made with /lang overrides
    locale: str | None = None


@dataclass
class Option:
    """A button: pressing it sends `command` as if typed."""

    label: str
    command: str

    def __post_init__(self) -> None:
        self.label = render(self.label)  # a Msg is worded for the reader now


@dataclass
class OutFile:
    name: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass
class Reply:
    text: str
    title: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    attachments: list[OutFile] = field(default_factory=list)
    private: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    to: Address | None = None  # None: the chat the message came from
    outbox_id: int | None = None  # the outbox row this reply is delivered from, when it has one
    locale: str = field(default_factory=current_locale.get)  # the language it is worded in
    # the text as a message (`Msg`) when it was given as one: worded again for another reader (a
    # moderators' channel that reads its own language); not part of the payload
    wording: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Messages (`mediation.i18n.Msg`) given for text, title or field are worded now, for the
        reader in whose language the reply is being made."""
        if self.wording is None and isinstance(self.text, (Msg, Join, Said)):
            self.wording = self.text
        self.text = render(self.text)
        self.title = None if self.title is None else render(self.title)
        self.fields = [(render(name), render(value)) for name, value in self.fields]

    @property
    def type(self) -> str:
        return self.data.get("type", "text")

    def to_dict(self) -> dict[str, Any]:
        """For the outbox: everything but file bytes (a chart is not worth keeping for later)."""
        return {
            "text": self.text,
            "title": self.title,
            "fields": [list(f) for f in self.fields],
            "options": [[o.label, o.command] for o in self.options],
            "private": self.private,
            "data": self.data,
            "locale": self.locale,
            **({"wording": to_json(self.wording)} if self.wording is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], to: Address) -> Reply:
        return cls(
            text=d["text"],
            title=d.get("title"),
            fields=[tuple(f) for f in d.get("fields", [])],
            options=[Option(*o) for o in d.get("options", [])],
            private=d.get("private", False),
            data=d.get("data", {}),
            to=to,
            locale=d.get("locale") or "en",
            wording=from_json(d["wording"]) if d.get("wording") is not None else None,
        )


class Undeliverable(Exception):
    """A platform will not take a message as things stand. `needs_start`: a private message to
    someone who has not opened a private chat with the bot (it waits until they do); `blocked`
    (the person blocked the bot) and `gone` (chat deleted, bot removed) are for good."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason

    @property
    def permanent(self) -> bool:
        return self.reason != "needs_start"
