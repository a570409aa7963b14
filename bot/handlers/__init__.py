"""Command handlers, one small function per command word, grouped by what they act on."""

from ..commands import Registry


def build_registry() -> Registry:
    from . import brief, case, console, moderation, negotiation, prefs, scope, settlement, work

    return Registry.from_modules(case, brief, work, scope, settlement, negotiation, moderation, prefs, console)
