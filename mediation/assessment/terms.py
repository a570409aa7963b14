"""Terms a delivery cannot break: price, usage rights, revision rounds, scope exclusions.

They get `met` with weight 0 and stay out of coverage; the evidence says "not checkable from
files". An exclusion phrased as content ("photos without people") is a judgement call instead.
"""

from __future__ import annotations

import re

from mediation.i18n import L_
from nlp.brief import Requirement

from .context import Context
from .results import HUMAN, MET, Check

_SCOPE_EXCLUSION = re.compile(
    r"not (?:included|covered|part of)|excluding|excludes|"
    r"does(?: not|n't) include|not including",
    re.I,
)


class TermChecks(Context):
    """Payment, rights, revisions and exclusions: recorded, not measured."""

    def _price(self, r: Requirement) -> Check:
        amount = " ".join(x for x in (getattr(r, "currency", None), getattr(r, "amount", None)) if x)
        per = getattr(r, "per", None)
        if per:
            what = L_("{amount} per {per}", amount=amount, per=per) if amount else L_("the agreed price")
            said = L_("a payment term ({what}): nothing delivered can break it; not checkable from files", what=what)
        else:
            said = L_("a payment term: nothing delivered can break it; not checkable from files")
        return self._make(r, MET, said)

    def _usage(self, r: Requirement) -> Check:
        return self._make(
            r, MET, L_("usage rights govern what the client may do with the work: not checkable from files")
        )

    def _revisions(self, r: Requirement) -> Check:
        return self._make(r, MET, L_("a promise about later changes: not checkable from files"))

    def _exclusion(self, r: Requirement) -> Check:
        items = ", ".join(getattr(r, "excluded", []) or []) or r.text
        if _SCOPE_EXCLUSION.search(r.text):
            return self._make(r, MET, L_("outside the agreed work, so nothing is owed there: not checkable from files"))
        return self._make(
            r,
            HUMAN,
            L_("a person must look at the files to confirm there is no {items}", items=items),
            weight_key="quality",
        )
