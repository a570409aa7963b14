"""Matching asks to brief clauses by meaning.

Every ask of a message is compared with every clause of the brief, and with each item the brief
excludes, by the cosine of their all-MiniLM-L6-v2 vectors. The encoder's last transformer layer is
fine-tuned for this (`python -m nlp.train`, see nlp.train_matcher) on clause/ask pairs written for
Mediator across many trades, so that "the bit that shows in the inbox before people open it"
lands on "preview text" and "business cards" stays away from "logo". What ships is only the change
to that one layer (fp16, nlp/weights/matcher_delta.npz), added to the base package's weights when
the encoder loads; the base weights are never copied.

The brief's vectors are cached with the brief; an ask's vector is the mean of its tokens' states in
the one pass the joint reader makes over the message (nlp.joint.read_requests), so matching costs a
message no encoder call of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nlp.brief import Brief

DELTA = Path(__file__).parent / "weights" / "matcher_delta.npz"
TUNED_LAYERS = (5,)  # the last of MiniLM-L6's six layers


def tuned_parameter_names(model) -> list[str]:
    prefixes = tuple(f"encoder.layer.{i}." for i in TUNED_LAYERS)
    return [n for n, _ in model.named_parameters() if n.startswith(prefixes)]


def apply_delta(model, path: str | Path | None = None) -> bool:
    """Add the fine-tuned layers' deltas to a loaded base model; False when there are none."""
    import torch

    path = Path(path) if path else DELTA
    if not path.exists():
        return False
    data = np.load(path, allow_pickle=False)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in data.files:
            if name not in params:
                raise ValueError(f"{path}: {name} is not a parameter of the base model")
            params[name].add_(torch.from_numpy(data[name].astype(np.float32)))
    return True


@dataclass
class Match:
    """How the asks of one message sit against one brief."""

    best_clause: str | None  # the included clause nearest to any ask
    sim_in: float  # best cosine of an ask to a clause that promises something
    sim_in_mean: float  # mean over asks of each ask's best cosine to a promising clause
    sim_out: float  # best cosine of an ask to an excluded item
    excluded_item: str | None  # that item
    excluded_clause: str | None  # the clause that excludes it


def match(
    ask_vecs: np.ndarray,
    clause_vecs: np.ndarray,
    clauses: list[str],
    promising: list[bool],
    item_vecs: np.ndarray,
    items: list[tuple[str, str]],
) -> Match:
    """ask_vecs: (a, d); clause_vecs: (c, d) with promising[c] false for exclusion clauses;
    item_vecs: (e, d) for items [(excluded item, its clause)]."""
    best_clause, sim_in, sim_in_mean = None, 0.0, 0.0
    if len(ask_vecs) and len(clause_vecs) and any(promising):
        keep = np.array(promising, dtype=bool)
        S = ask_vecs @ clause_vecs[keep].T
        kept = [c for c, k in zip(clauses, promising) if k]
        _, j = np.unravel_index(int(S.argmax()), S.shape)
        best_clause, sim_in, sim_in_mean = kept[j], float(S.max()), float(S.max(1).mean())
    sim_out, item, clause = 0.0, None, None
    if len(ask_vecs) and len(item_vecs):
        E = ask_vecs @ item_vecs.T
        _i, j = np.unravel_index(int(E.argmax()), E.shape)
        sim_out = float(E.max())
        item, clause = items[j]
    return Match(best_clause, sim_in, sim_in_mean, sim_out, item, clause)


EXCLUDED_SIM = 0.6  # cosine of an ask to an excluded item from which it is taken to ask for that item


def ask_texts(core: str, asks) -> list[str]:
    """What is matched for a message: each ask on its own (the core text when there is none)."""
    texts = [a.text for a in asks or [] if a.text]
    return texts or ([core] if core else [])


def ask_spans(message: str, core: str, asks) -> list[tuple[int, int]]:
    """Where each of ask_texts lies in the message, as (start, end) characters: an ask's vector is
    read from its own tokens in the context of the whole message."""
    spans, at = [], 0
    for text in ask_texts(core, asks):
        i = message.find(text, at)
        if i < 0:
            i = message.find(text)
        spans.append((i, i + len(text)) if i >= 0 else (0, len(message)))
        at = max(at, spans[-1][1])
    return spans


def excluded_items(brief: Brief) -> list[tuple[str, str]]:
    """(item, clause) for everything the brief leaves out, work the client keeps included."""
    return [(x, r.text) for r in brief.requirements if r.kind == "exclusion" for x in r.excluded if x]
