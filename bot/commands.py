"""Command words: parsing a typed line, and the registry that maps each word to one handler.

The same words arrive from every platform (typed, slash command or button), so parsing lives here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mediation.errors import MediationError
from mediation.i18n import L_


@dataclass
class Command:
    word: str  # "case new", "brief", "mod decide" ...
    text: str  # free text after the word, keyword arguments removed
    kv: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # console `file=PATH` tokens

    @property
    def args(self) -> list[str]:
        return self.text.split()


@dataclass
class Spec:
    word: str
    usage: str
    summary: str
    fn: Callable
    keys: tuple[str, ...] = ()
    console_only: bool = False
    moderator: bool = False
    files: bool = False  # takes attachments (and, in the console only, file=PATH)


def command(word: str, usage: str, summary: str, keys: tuple[str, ...] = (), **flags) -> Callable:
    """Marks a handler; `Registry.from_modules` collects the marked functions in module order."""

    def mark(fn: Callable) -> Callable:
        fn.__command_spec__ = Spec(word, usage, summary, fn, keys, **flags)
        return fn

    return mark


class Registry:
    def __init__(self) -> None:
        self.specs: dict[str, Spec] = {}

    @classmethod
    def from_modules(cls, *modules) -> Registry:
        reg = cls()
        for module in modules:
            for value in vars(module).values():
                spec = getattr(value, "__command_spec__", None)
                if spec is not None:
                    reg.add(spec)
        return reg

    def add(self, spec: Spec) -> None:
        self.specs[spec.word] = spec

    def groups(self) -> set[str]:
        return {w.split()[0] for w in self.specs if " " in w}

    def lookup(self, line: str) -> tuple[Spec | None, str]:
        """The spec for a line starting with '/', and the rest of the line after the word."""
        body = line.strip()[1:]
        head, _, rest = body.partition(" ")
        head = head.split("@", 1)[0].lower()  # Telegram's /cmd@botname
        if head in self.groups():
            sub, _, rest2 = rest.strip().partition(" ")
            spec = self.specs.get(f"{head} {sub.lower()}")
            if spec:
                return spec, rest2
            if head in self.specs:  # a group word that also works alone, e.g. "/brief agree" vs "/brief <text>"
                return self.specs[head], rest
            return None, rest
        return self.specs.get(head), rest


_FILE = re.compile(r"(?:^|\s)file=(\"[^\"]+\"|\S+)", re.I)


def names_a_file(rest: str) -> bool:
    """Whether a line carries a `file=` token (which only the operator's console may use)."""
    return _FILE.search(rest) is not None


def parse(spec: Spec, rest: str, local_files: bool = False) -> Command:
    """Split `key=value` arguments from free text. A value runs to the next known key, so
    `/scope brief=8 photos, JPG request=can you add two more?` needs no quoting.
    `file=PATH` tokens become `files` only with `local_files` (the console); elsewhere they stay text.
    A key given twice is an error: which one was meant cannot be guessed."""
    files: list[str] = []
    if local_files:
        files = [m.strip('"') for m in _FILE.findall(rest)]
        rest = _FILE.sub(" ", rest)
    kv: dict[str, str] = {}
    if spec.keys:
        pattern = re.compile(r"(?:^|\s)(" + "|".join(map(re.escape, spec.keys)) + r")=", re.I)
        marks = list(pattern.finditer(rest))
        free = rest[: marks[0].start()] if marks else rest
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(rest)
            key = m.group(1).lower()
            if key in kv:
                raise MediationError("repeated_key", L_("{key}= is given more than once; give it once.", key=key))
            kv[key] = rest[m.end() : end].strip()
    else:
        free = rest
    return Command(
        word=spec.word, text=" ".join(free.split()) if "\n" not in free else free.strip(), kv=kv, files=files
    )
