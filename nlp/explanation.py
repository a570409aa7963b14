"""Explaining a verdict: the reason sentence, which brief clause it cites, and which of a
message's asks each finding came from."""

from __future__ import annotations

from nlp.brief import Brief
from nlp.scope_signals import Signals


def reason(kind: str, sig: Signals, brief: Brief, match: str | None, oos: bool) -> str:
    ev = sig.evidence
    quote = f" ('{short(match)}')" if match else ""

    def pair(name):
        detail = ev[name][0]
        new, _, old = detail.partition("|")
        return new.strip(), old.strip()

    if kind == "quantity" and "qty_more" in ev:
        new, old = pair("qty_more")
        return f"Asks for {new}; the brief agrees {old}{quote}."
    if kind == "attribute" and "len_more" in ev:
        new, old = pair("len_more")
        return f"Asks for {new} per item; the brief sets {old}{quote}."
    if kind == "subset" and ("qty_less" in ev or "len_less" in ev):
        new, old = pair("qty_less" if "qty_less" in ev else "len_less")
        return f"Asks for less than agreed ({new} against {old}{quote}), which needs no extra work."
    if kind == "extra_revisions" and "rev_over" in ev:
        said, _, allowed = ev["rev_over"][0].partition("|")
        return f"Asks for another revision ('{said}') beyond the {allowed} round(s) the brief allows{quote}."
    if kind == "revision_within_allowance":
        rounds = brief.revisions
        return (
            f"A change to delivered work within the brief's revision allowance"
            f"{f' of {rounds}' if rounds is not None else ''}{quote}."
        )
    if kind == "deadline":
        said = ev.get("deadline_shorter", ev.get("deadline", ("an earlier date", None)))[0]
        return f"Asks for delivery earlier than agreed ('{said}'){'; the brief says' + quote if match else ''}."
    if kind == "usage_rights":
        said = ev.get("usage_new", ev.get("usage", ("a wider use", None)))[0]
        return f"Asks for a use beyond the licence ('{said}'); the brief grants{quote or ' no such use'}."
    if kind == "new_deliverable" and ("excluded" in ev or "excluded_sem" in ev):
        excluded = ev.get("excluded") or ev["excluded_sem"]
        return f"Asks for {excluded[0]}, which the brief excludes{quote}."
    if kind == "platform_or_format":
        said = ev.get("plat_new", ev.get("fmt_new", ev.get("res_up", ("another platform or format", None))))[0]
        return f"Asks for the deliverable on another platform or format ('{said}'); the brief specifies{quote or ' otherwise'}."
    if kind == "new_deliverable":
        return f"Asks for an item or task the brief does not list; nearest brief clause{quote or ': none'}."
    if kind == "quantity":
        return f"Asks for more units of something the brief counts{quote}."
    if kind == "attribute":
        return f"Asks to change or add a property of the agreed items that costs effort{quote}."
    if kind == "correction":
        return f"Asks to fix delivered work that misses the brief{quote}."
    if kind == "clarification":
        return "A question that asks for no work and no rights."
    if kind == "subset":
        return f"Asks for fewer or lesser items than agreed{quote}."
    return f"Asks for something the brief already includes{quote}."


def short(text: str, n: int = 90) -> str:
    text = text.strip().rstrip(".")
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


KIND_SIGNALS = {
    "quantity": ("qty_more",),
    "attribute": ("len_more",),
    "subset": ("qty_less", "len_less"),
    "extra_revisions": ("rev_over",),
    "deadline": ("deadline_shorter",),
    "usage_rights": ("usage_new",),
    "new_deliverable": ("excluded", "excluded_sem"),
    "platform_or_format": ("fmt_new",),
    "revision_within_allowance": ("rev_within",),
}
_ASK_SIGNALS = {
    "qty_more",
    "qty_less",
    "len_more",
    "len_less",
    "excluded",
    "rev_over",
    "rev_within",
    "deadline",
    "deadline_shorter",
    "usage_new",
    "plat_new",
    "fmt_new",
    "correction",
    "subset",
    "clarify",
    "asks_only",
}


def ask_signals(ask, sig: Signals) -> list[str]:
    """Which of the message's findings come from this ask (by their evidence text)."""
    low = ask.text.lower()
    found = []
    for name in sorted(_ASK_SIGNALS):
        if not sig.values.get(name):
            continue
        detail = sig.evidence.get(name, ("", None))[0].split("|")[0].strip().lower()
        if (detail and detail in low) or (name in ("clarify", "asks_only") and ask.asks_only):
            found.append(name)
    return found
