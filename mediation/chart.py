"""A picture of the proposals: what each side walks away with, and what each outcome does to the
freelancer's score under the active policy and the one it is compared with."""

from __future__ import annotations

import io
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mediation.i18n import N_, _
from mediation.proposals import Proposal
from mediation.vocabulary import Outcome

_SHORT: dict[str, str] = {
    Outcome.RELEASE_FULL: N_("Release in full"),
    Outcome.CHANGE_ORDER: N_("Change order"),
    Outcome.PARTIAL_REFUND: N_("Partial refund"),
    Outcome.FULL_REFUND: N_("Full refund"),
    Outcome.MUTUAL_CANCEL: N_("Mutual cancel"),
    Outcome.ESCALATE: N_("Moderator"),
}
_CLIENT, _FREELANCER, _PLATFORM = "#4C78A8", "#F58518", "#BAB0AC"
_ACTIVE, _COMPARED = "#54A24B", "#E45756"


def _delta(before, after) -> float | None:
    if after is None or before is None:
        return None if after is None else 0.0
    return after - before


def proposals_chart(proposals: list[Proposal], *, width_px: int = 800, height_px: int = 450) -> bytes:
    """PNG bytes: money to each side (left) and change in the freelancer's score (right), labelled
    in the current reader's language."""
    dpi = 100
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    money_ax, score_ax = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    items = list(proposals)
    labels = [f"{p.id} {_(_SHORT[p.kind]) if p.kind in _SHORT else p.kind}" for p in items]
    ys = list(range(len(items)))[::-1]
    currency = next((p.money.currency for p in items if p.money is not None), "")

    top = Decimal(0)
    for y, p in zip(ys, items):
        if p.money is None:
            rng = p.money_range or {}
            _lo, hi = rng.get("freelancer_net", (Decimal(0), Decimal(0)))
            money_ax.barh(y, float(hi), color="none", edgecolor=_FREELANCER, hatch="//", height=0.6)
            money_ax.text(
                float(hi) / 2 if hi else 0,
                y,
                _("decided by moderator"),
                va="center",
                ha="center" if hi else "left",
                fontsize=7,
            )
            top = max(top, hi)
            continue
        m = p.money
        back = m.client_refund + m.client_fee_refund
        parts = [(back, _CLIENT), (m.freelancer_net, _FREELANCER), (m.platform_total, _PLATFORM)]
        left = Decimal(0)
        for value, color in parts:
            if value > 0:
                money_ax.barh(y, float(value), left=float(left), color=color, height=0.6)
                left += value
        top = max(top, left)
        if back > 0:  # the figure the text gives as what the client gets back
            money_ax.text(float(back / 2), y, f"{back}", va="center", ha="center", fontsize=7, color="white")
        if m.freelancer_net > 0:
            money_ax.text(
                float(back + m.freelancer_net / 2), y, f"{m.freelancer_net}", va="center", ha="center", fontsize=7
            )
    money_ax.set_yticks(ys, labels, fontsize=8)
    money_ax.set_xlim(0, float(top) * 1.05 if top > 0 else 1)
    money_ax.set_xlabel(_("money ({currency})", currency=currency), fontsize=8)
    money_ax.tick_params(axis="x", labelsize=7)
    money_ax.set_title(_("Who gets the money"), fontsize=9)
    handles = [money_ax.bar(0, 0, color=c)[0] for c in (_CLIENT, _FREELANCER, _PLATFORM)]
    legend_labels = [_("client (back)"), _("freelancer (net)"), _("fees")]

    has_comparison = any(p.comparison is not None for p in items)
    h = 0.35 if has_comparison else 0.6
    for y, p in zip(ys, items):
        rows = [(p.feedback, _ACTIVE, h / 2 if has_comparison else 0)]
        if p.comparison is not None:
            rows.append((p.comparison, _COMPARED, -h / 2))
        for eff, color, off in rows:
            low, high = eff.freelancer_score_range
            before = eff.freelancer_score_before
            delta = _delta(before, eff.freelancer_score_after)
            if delta is not None:
                score_ax.barh(y + off, delta, color=color, height=h)
                score_ax.plot([delta], [y + off], marker="o", markersize=4, color=color)
            if low is not None and high is not None and before is not None:
                # The whisker spans what feedback (or the moderator) could still do.
                score_ax.plot([low - before, high - before], [y + off, y + off], color="black", linewidth=1)
    score_ax.axvline(0, color="black", linewidth=0.8)
    score_ax.set_xlabel(_("change in points (line: worst case)"), fontsize=8)
    score_ax.tick_params(axis="x", labelsize=7)
    score_ax.set_title(_("Freelancer's success score"), fontsize=9)
    first = items[0] if items else None
    if first is not None:
        names = [(_ACTIVE, first.feedback.policy)]
        if first.comparison is not None:
            names.append((_COMPARED, first.comparison.policy))
        handles += [score_ax.bar(0, 0, color=c)[0] for c, _ in names]
        legend_labels += [_("score, policy '{policy}'", policy=n) for _kind, n in names]
    fig.legend(handles, legend_labels, fontsize=7, loc="lower center", ncol=len(handles), frameon=False)
    lo_x, hi_x = score_ax.get_xlim()
    score_ax.set_xlim(min(lo_x, -5), max(hi_x, 5))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
