"""Turning a neutral reply into platform text: escaping user text, degrading buttons, splitting."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from mediation.i18n import _, reading_as

from .messages import Reply


@dataclass(frozen=True)
class Capabilities:
    max_length: int = 4000
    buttons: bool = False
    private_messages: bool = True
    markup: str = "plain"  # plain | html | markdown
    max_file_bytes: int = 25 * 1024 * 1024


def escape(text: str, markup: str) -> str:
    if markup == "html":
        return html.escape(text, quote=False)
    if markup == "markdown":
        return "".join("\\" + ch if ch in "\\*_~`|>#[]()" else ch for ch in text)
    return text


def copyable(text: str, values: list[str], markup: str) -> str:
    """Values a person copies (an invite code, the command that uses it) set as code: one tap copies
    them on Telegram. `text` is already escaped; so is each value before it is looked for, and each
    place is wrapped once (the command is not wrapped again around the code inside it)."""
    values = [v for v in values if v and "`" not in v]
    if markup not in ("html", "markdown") or not values:
        return text
    raw = {escape(v, markup): v for v in values}
    pattern = re.compile("|".join(re.escape(e) for e in sorted(raw, key=len, reverse=True)))
    if markup == "html":
        return pattern.sub(lambda m: f"<code>{m.group(0)}</code>", text)
    return pattern.sub(lambda m: f"`{raw[m.group(0)]}`", text)


def render(reply: Reply, caps: Capabilities) -> str:
    """Title, text and fields; buttons become command hints when the platform has none."""
    m = caps.markup
    parts = []
    if reply.title:
        t = escape(reply.title, m)
        parts.append({"html": f"<b>{t}</b>", "markdown": f"**{t}**"}.get(m, t))
    if reply.text:
        parts.append(copyable(escape(reply.text, m), reply.data.get("copy") or [], m))
    for name, value in reply.fields:
        n, v = escape(name, m), escape(value, m)
        parts.append({"html": f"<b>{n}</b>: {v}", "markdown": f"**{n}**: {v}"}.get(m, f"{n}: {v}"))
    if reply.options and not caps.buttons:
        listing = " | ".join(escape(f"{o.label} ({o.command})", m) for o in reply.options)
        with reading_as(reply.locale):
            parts.append(_("Options: {options}", options=listing))
    return "\n".join(parts)


def split(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut on line boundaries where possible."""
    if len(text) <= limit:
        return [text]
    chunks, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return [c.rstrip("\n") or c for c in chunks]
