"""Named presets in config: the file adds to or replaces built-in presets, never removes them."""

from __future__ import annotations

from collections.abc import Callable


def with_builtins(data, builtins: Callable[[], dict]):
    """For a `mode="before"` validator: merge the file's presets over the built-in ones."""
    if isinstance(data, dict) and "presets" in data:
        merged = dict(builtins())
        merged.update(data["presets"] or {})
        data = {**data, "presets": merged}
    return data


def named(presets: dict) -> None:
    """Each preset carries the name it is filed under."""
    for key, preset in list(presets.items()):
        if preset.name != key:
            presets[key] = preset.model_copy(update={"name": key})
