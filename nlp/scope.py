"""Scope classification: is a client's request inside the agreed brief, and why?

The classifier. The joint reader (nlp.joint) reads brief and request together and gives each kind's
probability; rule signals (nlp.scope_signals) compare the request with the parsed brief, and a
checkable fact (more units than counted, an earlier date, a round beyond the allowance, a use beyond
the licence, an excluded item) overrules the reader; the probability is calibrated. The asks are
matched to the brief's clauses and exclusions by meaning (nlp.matching) to find the clause the
reason cites, and nlp.explanation words the reason.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.brief import MAX_CHARS as MAX_BRIEF_CHARS
from nlp.brief import Brief, parse_brief
from nlp.explanation import KIND_SIGNALS, ask_signals
from nlp.explanation import reason as explain
from nlp.matching import EXCLUDED_SIM, ask_spans, excluded_items
from nlp.numbers import tame_digit_runs
from nlp.scope_signals import (  # noqa: F401  (re-exported: the rules' public names)
    STRONG,
    Signals,
    brief_counts,
    compute,
    request_counts,
    rule_kind,
)

OUT_KINDS = (
    "usage_rights",
    "deadline",
    "extra_revisions",
    "platform_or_format",
    "new_deliverable",
    "quantity",
    "attribute",
)
# a checkable fact overrules the reader unless the reader is this sure the request is in scope: the
# facts come from word patterns, which misread a request now and then ("since printing is not
# included, we'll print them ourselves"); chosen by brief-grouped cross-validation (0.15 in four
# folds of five)
RULE_FLOOR = 0.15
# signals that something is counted beyond the brief (a number, "more", "another", "also")
COUNT_CUES = ("qty_more", "len_more", "more", "num_unmatched", "also")
IN_KINDS = ("correction", "revision_within_allowance", "in_brief", "clarification", "subset")
KINDS = OUT_KINDS + IN_KINDS
MAX_REQUEST_CHARS = 2000

if TYPE_CHECKING:
    from nlp.joint import JointReader
    from nlp.onnx_export import OnnxJointReader


def decide(
    probs: dict[str, float], sig: Signals, calibration: tuple[float, float] = (1.0, 0.0)
) -> tuple[bool, str, float]:
    """Out of scope or not, the kind, and P(out of scope): the reader's answer, calibrated (Platt
    scaling fitted on predictions for cases the reader was not trained on, see nlp.train), then
    overruled by a checkable fact when the brief's own numbers or terms settle it (unless the reader
    is nearly sure the request is in scope)."""
    p_out = sum(v for k, v in probs.items() if k in OUT_KINDS)
    a, b = calibration
    if (a, b) != (1.0, 0.0):
        z = math.log(min(max(p_out, 1e-4), 1 - 1e-4) / (1 - min(max(p_out, 1e-4), 1 - 1e-4)))
        p_out = 1 / (1 + math.exp(-(a * z + b)))
    v = sig.values
    if v.get("no_ask"):  # nothing is asked, so nothing goes beyond the brief
        return False, "clarification", min(p_out, 0.1)
    forced = rule_kind(sig) if p_out >= RULE_FLOOR else None
    fix_cues = v.get("num_state") or (v.get("correction") and v.get("delivered"))
    if forced and not fix_cues and not v.get("asks_only"):
        p_out = max(p_out, 0.5 + 0.4 * max(v.get(n, 0) for n in STRONG))
    elif (
        p_out >= 0.5
        and max(OUT_KINDS, key=lambda k: probs.get(k, 0.0)) == "platform_or_format"
        and v.get("fmt_listed")
        and not v.get("plat_new")
        and not v.get("res_up")
    ):  # the only format asked for is one the brief names: not another format
        p_out = 1 - p_out
    oos = p_out >= 0.5
    side: tuple[str, ...] = OUT_KINDS if oos else IN_KINDS
    if oos and not any(v.get(n) for n in COUNT_CUES):  # nothing counted more: not a quantity
        side = tuple(k for k in side if k != "quantity")
    kind = max(side, key=lambda k: probs.get(k, 0.0))
    if oos and forced:
        kind = forced
    return oos, kind, p_out


@dataclass
class AskResult:
    """One ask of a message and the rule signals found in it."""

    text: str
    question: bool
    wants_work: bool
    signals: list[str]


@dataclass
class ScopeResult:
    out_of_scope: bool
    confidence: float
    kind: str
    brief_match: str | None
    reason: str
    asks: list[AskResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    extra_units: int | None = None  # quantity creep: units beyond the agreed count, to price a change order

    def to_json(self, id) -> dict:
        """The scope-check contract: exactly these six fields."""
        return {
            "id": id,
            "out_of_scope": bool(self.out_of_scope),
            "confidence": round(float(self.confidence), 4),
            "kind": self.kind,
            "brief_match": self.brief_match,
            "reason": self.reason,
        }


def clean_text(value, limit: int) -> tuple[str, list[str]]:
    """Text safe to classify: decoded, control characters removed, truncated with a note."""
    notes: list[str] = []
    if value is None:
        value = ""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            value = bytes(value).decode("utf-8", errors="replace")
            notes.append("input was not valid UTF-8; undecodable bytes were replaced")
    if not isinstance(value, str):
        value = str(value)
    if any("\ud800" <= ch <= "\udfff" for ch in value):  # undecodable bytes smuggled in as surrogates
        value = value.encode("utf-8", errors="replace").decode("utf-8")
        notes.append("input was not valid UTF-8; undecodable bytes were replaced")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", value)
    if text.count("\ufffd") > max(3, len(text) // 10):
        notes.append("input looks binary or garbled")
    elif "\ufffd" in text and not notes:
        notes.append("input contained bytes that are not valid UTF-8 (replaced)")
    text = tame_digit_runs(re.sub(r"\s+", " ", text).strip())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0]
        notes.append(f"text truncated to {limit} characters")
    return text, notes


def looks_english(brief: str, request: str) -> bool:
    """Brief and request read together by the language identifier; too little text to tell is
    taken as English (the cap below is for text the model was not trained on, not for terse text)."""
    from nlp.language import is_english

    return is_english(brief, request) is not False


class ScopeClassifier:
    """Is a client's request inside the agreed brief? The joint reader (nlp.joint) reads brief and
    request together for each kind's probability; rule signals from the parsed brief add the
    checkable facts, and the matcher finds the clause the reason cites."""

    def __init__(self, encoder, weights: str | Path | None = None, brief_cache: int = 256):
        import numpy as np

        self.np = np
        self.encoder = encoder
        self.joint: JointReader | OnnxJointReader
        if getattr(encoder, "backend", "torch") == "onnx":  # the whole reader on ONNX Runtime, no torch
            from nlp.onnx_export import OnnxJointReader

            self.joint = OnnxJointReader(encoder, weights)
        else:
            from nlp.joint import JointReader
            from nlp.matching import DELTA

            self.joint = JointReader(
                getattr(encoder, "model", None),
                getattr(encoder, "tokenizer", None),
                weights,
                model_delta=DELTA if getattr(encoder, "tuned", False) else None,
                model_lock=getattr(encoder, "_lock", None),
            )
        self.kinds = self.joint.kinds
        self.calibration: tuple[float, float] = self.joint.calibration
        self._briefs: OrderedDict[str, Brief] = OrderedDict()
        self._briefs_lock = threading.Lock()
        self._brief_cache = brief_cache

    # -- preparation ---------------------------------------------------------------------------
    def brief(self, brief: str | Brief) -> Brief:
        if isinstance(brief, Brief):
            return brief
        text, _ = clean_text(brief, MAX_BRIEF_CHARS)
        with self._briefs_lock:  # chats are served from several threads
            hit = self._briefs.get(text)
            if hit is not None:
                self._briefs.move_to_end(text)
                return hit
        hit = parse_brief(text)
        with self._briefs_lock:
            self._briefs[text] = hit
            while len(self._briefs) > self._brief_cache:
                self._briefs.popitem(last=False)
        return hit

    def warm(self, brief: str | Brief) -> Brief:
        """Everything of a brief that messages against it reuse: parsed, its clauses and excluded
        items embedded, its side of the joint reader computed."""
        b = self.brief(brief)
        self.encoder.embed([t for t in [*b.clauses, *(item for item, _ in excluded_items(b))] if t])
        self.joint.sides([b.text])
        return b

    def reset_caches(self) -> None:
        """Forget parsed briefs and vectors (benchmarks measure cold work this way)."""
        with self._briefs_lock:
            self._briefs.clear()
        self.encoder.clear_cache()
        self.joint.clear_cache()

    def prepare(self, pairs):
        """Parse and clean a batch, embed the briefs' clauses (cached) and read every request once."""
        from nlp.asks import core_text, find_asks

        items = []
        texts: list[str] = []
        for brief, request in pairs:
            notes: list[str] = []
            b_text, n1 = clean_text(brief.text if isinstance(brief, Brief) else brief, MAX_BRIEF_CHARS)
            r_text, n2 = clean_text(request, MAX_REQUEST_CHARS)
            notes += [f"brief: {n}" for n in n1] + [f"request: {n}" for n in n2]
            b = brief if isinstance(brief, Brief) else self.brief(b_text)
            asks = find_asks(r_text)
            core = core_text(r_text, asks)
            items.append((b, r_text, core, asks, notes))
            texts.extend(b.clauses)
            texts.extend(item for item, _ in excluded_items(b))
        vecs = {}
        unique = [t for t in dict.fromkeys(texts) if t]
        if unique:
            for t, v in zip(unique, self.encoder.embed(unique)):
                vecs[t] = v
        reads = self.read([r_text or "." for _, r_text, *_ in items], [ask_spans(r, c, a) for _, r, c, a, _ in items])
        return items, vecs, reads

    def read(self, requests: list[str], spans):
        return self.joint.read(requests, spans)

    def signals(self, brief: Brief, core: str, asks, vecs, A) -> tuple[Signals, str | None]:
        """The rule signals and the clause nearest to the asks (A: the asks' vectors)."""
        np = self.np
        from nlp.matching import match as match_asks

        sig = compute(brief, core, asks)
        match = None
        rv = None
        if core:
            rv = A.mean(0)
            rv = rv / max(float(np.linalg.norm(rv)), 1e-9)
        if rv is not None and brief.clauses:
            B = np.stack([vecs[c] for c in brief.clauses])
            sims = B @ rv
            match = brief.clauses[int(sims.argmax())]
            sig.values["sim_max"] = float(sims.max())
            sig.values["sim_mean"] = float(sims.mean())
            excl_clauses = {r.text for r in brief.requirements if r.kind == "exclusion"}
            items = excluded_items(brief)
            m = match_asks(
                A,
                B,
                brief.clauses,
                [c not in excl_clauses for c in brief.clauses],
                np.stack([vecs[t] for t, _ in items]) if items else np.zeros((0, B.shape[1]), dtype=np.float32),
                items,
            )
            if m.best_clause:
                match = m.best_clause
            sig.values["sim_in"] = m.sim_in
            sig.values["sim_in_mean"] = m.sim_in_mean
            sig.values["sim_out"] = m.sim_out
            sig.values["sim_gap"] = m.sim_out - m.sim_in
            # an excluded item asked for in other words ("the guidelines document" for "brand book")
            if (
                m.excluded_item
                and m.sim_out >= EXCLUDED_SIM
                and m.sim_out > m.sim_in
                and not sig.values.get("asks_only")
            ):
                sig.set("excluded_sem", 1.0, m.excluded_item, m.excluded_clause)
        return sig, match

    # -- classification ------------------------------------------------------------------------
    def check(self, brief: str | Brief, request: str) -> ScopeResult:
        return self.check_many([(brief, request)])[0]

    def check_many(self, pairs) -> list[ScopeResult]:
        pairs = list(pairs)
        if not pairs:
            return []
        items, vecs, reads = self.prepare(pairs)
        found = [self.signals(b, core, asks, vecs, rd.ask_vecs) for (b, _, core, asks, _), rd in zip(items, reads)]
        P = self.joint.probs([b.text for b, *_ in items], reads)
        return [
            self._result(p, b, r_text, core, asks, notes, sig, match)
            for p, (b, r_text, core, asks, notes), (sig, match) in zip(P, items, found)
        ]

    def _result(
        self, p, brief: Brief, r_text: str, core: str, asks, notes, sig: Signals, match: str | None
    ) -> ScopeResult:
        probs = {k: float(v) for k, v in zip(self.kinds, p)}
        oos, kind, p_out = decide(probs, sig, self.calibration)
        confidence = p_out if oos else 1 - p_out
        ev_clause = next((c for n, (d, c) in sig.evidence.items() if c and n in KIND_SIGNALS.get(kind, ())), None)
        brief_match = ev_clause or match
        if not r_text:
            notes.append("empty request")
            return ScopeResult(
                False, 0.5, "clarification", None, "The request is empty, so it asks for nothing.", [], notes, probs
            )
        if not any(r.kind != "other" for r in brief.requirements):
            notes.append("the brief states no recognisable requirements")
            confidence = min(confidence, 0.55)
        if not looks_english(brief.text, r_text):
            notes.append("text does not look like English; the model is trained on English, so confidence is low")
            confidence = min(confidence, 0.55)
        reason = explain(kind, sig, brief, brief_match, oos)
        if notes:
            reason = reason.rstrip(".") + " (" + "; ".join(notes) + ")."
        ask_results = [AskResult(a.text, a.question, a.wants_work, ask_signals(a, sig)) for a in asks]
        return ScopeResult(
            oos,
            round(float(confidence), 4),
            kind,
            brief_match,
            reason,
            ask_results,
            notes,
            probs,
            sig.extra_units if kind == "quantity" else None,
        )


def load_classifier(
    model_path: str | None = None, weights: str | None = None, backend: str = "torch", onnx_path: str | None = None
) -> ScopeClassifier:
    """Encoder plus joint reader, built once and shared by the caller. backend "onnx" runs the graphs
    exported to onnx_path (see nlp.onnx_export: encoder and joint reader, no torch); "torch" is the
    reference."""
    from nlp.language import preload
    from nlp.model import load_encoder  # it refuses an unknown backend

    threading.Thread(target=preload, name="language-model-load", daemon=True).start()
    return ScopeClassifier(load_encoder(onnx_path if backend == "onnx" else model_path, backend), weights)
