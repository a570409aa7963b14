"""Turning a neutral reply into platform text: escaping user text, degrading buttons, splitting."""

from __future__ import annotations

import html
from dataclasses import dataclass

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


def render(reply: Reply, caps: Capabilities) -> str:
    """Title, text and fields; buttons become command hints when the platform has none."""
    m = caps.markup
    parts = []
    if reply.title:
        t = escape(reply.title, m)
        parts.append({"html": f"<b>{t}</b>", "markdown": f"**{t}**"}.get(m, t))
    if reply.text:
        parts.append(escape(reply.text, m))
    for name, value in reply.fields:
        n, v = escape(name, m), escape(value, m)
        parts.append({"html": f"<b>{n}</b>: {v}", "markdown": f"**{n}**: {v}"}.get(m, f"{n}: {v}"))
    if reply.options and not caps.buttons:
        parts.append("Options: " + " | ".join(escape(f"{o.label} ({o.command})", m) for o in reply.options))
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
