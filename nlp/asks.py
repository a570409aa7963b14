"""Finding the asks in a chat message: clients bury one request among greetings, thanks and
small talk ("Hope your week's going well... could you add booking? ...great work!"), and the
pleasantries would only blur what the classifier sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPLIT = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\bMrs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<=[.!?…])\s+|\n+|(?<=[.!?])(?=[A-Z])|\s+(?=(?:P\.?S\.?|Also|Oh and)\b)"
)

_PLEASANTRY = re.compile(
    r"^(?:hi+|hello|hey+|dear\b.*|good (?:morning|afternoon|evening)|morning|greetings|"
    r"thanks?(?: you)?(?: so much| a lot| again)?|thank u|thx|ty|cheers|regards|best(?: regards)?|"
    r"hope (?:you|your|all|this)\b.*|(?:that'?s |this is )?(?:great|awesome|amazing|perfect|brilliant|nice|"
    r"wonderful|fantastic|lovely|cool)(?: work| job| stuff)?(?: so far)?|(?:anyway|anyways),?.*(?:great|thanks|cheers).*|"
    r"lol|haha+|ok(?:ay)?|sure|sorry(?: for the (?:delay|wait))?|no worries|have a (?:good|great|nice) .*|"
    r"(?:i )?lov(?:e|ed|ing) (?:it|them|the (?:draft|work|result|design|shots?|photos?|files?))|"
    r"(?:we|i) (?:are|am|'?re|'?m) (?:so |really |very )?(?:happy|excited|thrilled)(?: with it| with them)?|"
    r"everyone'?s (?:super |really )?(?:excited|happy|thrilled)|let me know|talk soon|speak soon|"
    r"(?:see|talk to) you.*)[\s!.,:;)(]*$",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\b(?:can|could|would|will|shall|may)\s+(?:you|we|i|it|they|the|this|that|those|these|each|every|all)\b|"
    r"\bplease\b|\bpls\b|\b(?:i|we)\s+(?:would like|'d like|need|want|wanted|'d love|would love|am need|are need)\b|"
    r"\b(?:let'?s|make|add|send|change|fix|redo|include|remove|swap|skip|drop|do|give|put|use|"
    r"translate|write|design|shoot|record|build|create|set up|move|cut|trim|finish|deliver)\b|"
    r"\?\s*$|\b(?:is it|is that|that'?s) (?:ok|okay|fine|alright|covered|possible)\b|"
    r"\bhow about\b|\bwhat about\b|\b(?:instead|too|also|as well|more|only|just)\b",
    re.IGNORECASE,
)
_QUESTION_ONLY = re.compile(
    r"(?:^|[:,;]\s+|\bor\s+)(?:quick q(?:uestion)?:?\s*)?(?:should|do|does|did|will|what|when|which|how|who|where|is|are|"
    r"would it help|would you (?:rather|prefer|like)|is it better|any (?:preference|idea))\b",
    re.IGNORECASE,
)
_WANTS = re.compile(
    r"\b(?:can|could|would) you\b(?!\s+(?:rather|prefer|like me|want me))|\bplease\b|"
    r"\b(?:can|could|may) (?:we|i) (?:get|have|add|make|do|go|also|move|change|try|use|put|run|pass|print|sell)\b|"
    r"\b(?:i|we)\s+(?:would like|'d like|need you|want you|'d love)\b|\bis it possible\b",
    re.IGNORECASE,
)


@dataclass
class Ask:
    """One sentence of a message that asks for, or asks about, something."""

    text: str
    question: bool  # ends with a question mark
    wants_work: bool  # phrased as a request for action ("can you...", "please...")
    asks_only: bool  # a pure question that by its form asks for nothing


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SPLIT.split(text or "") if p and p.strip()]
    return [p for p in parts if re.search(r"\w", p)]


def is_pleasantry(sentence: str) -> bool:
    s = sentence.strip()
    if _PLEASANTRY.match(s):
        return True
    return bool(
        len(s.split()) <= 6
        and not _ASK.search(s)
        and re.search(
            r"\b(thanks?|thank you|great|love|happy|excited|hope|cheers|awesome|nice|perfect|cute)\b", s, re.IGNORECASE
        )
    )


def find_asks(message: str) -> list[Ask]:
    """Sentences of a message that carry its requests or questions, pleasantries dropped.

    A message with nothing but pleasantries gives no asks; callers treat that as asking for
    nothing. Sentences without an ask cue are kept when they carry facts (numbers, reasons).
    """
    out: list[Ask] = []
    for s in sentences(message):
        if is_pleasantry(s):
            continue
        question = s.rstrip().endswith("?")
        wants = bool(_WANTS.search(s)) or bool(
            re.match(
                r"^(?:please\s+)?(?:make|add|send|change|fix|redo|include|remove|swap|skip|drop|put|"
                r"translate|write|design|shoot|record|build|create|set up|move|cut|trim|finish|deliver|"
                r"let'?s)\b",
                s,
                re.IGNORECASE,
            )
        )
        asks_only = question and bool(_QUESTION_ONLY.search(s)) and not wants
        out.append(Ask(text=s, question=question, wants_work=wants, asks_only=asks_only))
    return out


def core_text(message: str, asks: list[Ask] | None = None) -> str:
    """The message with pleasantries removed (the whole message if nothing is left)."""
    asks = find_asks(message) if asks is None else asks
    text = " ".join(a.text for a in asks).strip()
    return text or (message or "").strip()
