"""Command handlers, one small function per command word, grouped by what they act on."""
from ..commands import Registry


def build_registry() -> Registry:
    from . import case, brief, work, moderation, later, console
    return Registry.from_modules(case, brief, work, moderation, later, console)
