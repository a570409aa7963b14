"""Fee schedules as configuration, and the exact split of a contract's money between the client,
the freelancer and the platform.

A settlement is only fair if each side can see what it walks away with after fees. Every figure
is rounded once, to the currency's minor units, and the rest is derived by subtraction, so money
in always equals money out to the last cent (or yen, or fils).

The preset numbers are illustrative: they resemble how large marketplaces charge, not any one
marketplace's current price list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediation.currency import MoneyError, currency_code, quantize
from mediation.errors import MediationError
from mediation.i18n import L_, S_
from mediation.presets import named, with_builtins

Payer = Literal["freelancer", "client", "split"]


class FeeSchedule(BaseModel):
    """What the platform takes from each side of one contract.

    `freelancer_rate` is the service fee on the freelancer's earnings; `fees_paid_by` says who
    bears it (`split` shares it by `client_share`, the contract's terms). The client contract
    fee (`client_rate` of the amount + `client_fixed`, plus `client_small_order_surcharge` under
    `client_small_order_threshold`) is always the client's. Fixed amounts are in the contract's
    currency.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    description: str = ""
    freelancer_rate: Decimal = Field(default=Decimal("0"), ge=0, le=1)
    freelancer_fee_refunded_pro_rata: bool = True
    client_rate: Decimal = Field(default=Decimal("0"), ge=0, le=1)
    client_fixed: Decimal = Field(default=Decimal("0"), ge=0)
    client_small_order_threshold: Decimal | None = Field(default=None, ge=0)
    client_small_order_surcharge: Decimal = Field(default=Decimal("0"), ge=0)
    client_fee_refundable: bool = False
    fees_paid_by: Payer = "freelancer"
    client_share: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)


def default_fee_presets() -> dict[str, FeeSchedule]:
    """Illustrative presets: `marketplace` (a flat 10% freelancer fee refunded pro rata, plus a
    non-refundable 5% client contract fee), `marketplace_high` (20% freelancer fee, 5.5% client
    fee plus 2.50 under 50) and `none`."""
    return {
        "marketplace": FeeSchedule(
            name="marketplace",
            description="10% freelancer fee refunded pro rata; 5% client fee, not refundable",
            freelancer_rate=Decimal("0.10"),
            freelancer_fee_refunded_pro_rata=True,
            client_rate=Decimal("0.05"),
            client_fee_refundable=False,
        ),
        "marketplace_high": FeeSchedule(
            name="marketplace_high",
            description="20% freelancer fee; 5.5% client fee plus 2.50 on orders under 50",
            freelancer_rate=Decimal("0.20"),
            freelancer_fee_refunded_pro_rata=True,
            client_rate=Decimal("0.055"),
            client_small_order_threshold=Decimal("50"),
            client_small_order_surcharge=Decimal("2.50"),
            client_fee_refundable=False,
        ),
        "none": FeeSchedule(name="none", description="no platform fees"),
    }


class FeesConfig(BaseModel):
    """`[fees]` in config.toml: the active preset and any presets added or overridden there."""

    model_config = ConfigDict(extra="forbid")

    preset: str = "marketplace"
    presets: dict[str, FeeSchedule] = Field(default_factory=default_fee_presets)

    @model_validator(mode="before")
    @classmethod
    def _merge_presets(cls, data):
        return with_builtins(data, default_fee_presets)

    @model_validator(mode="after")
    def _check(self) -> FeesConfig:
        named(self.presets)
        if self.preset not in self.presets:
            known = ", ".join(sorted(self.presets))
            raise ValueError(f"unknown fee preset {self.preset!r} (known: {known})")
        return self

    def schedule(self, name: str | None = None) -> FeeSchedule:
        key = self.preset if name is None else name
        if key not in self.presets:
            known = ", ".join(sorted(self.presets))
            raise MediationError(
                "unknown_preset", L_("unknown fee preset {preset} (known: {known})", preset=repr(key), known=known)
            )
        return self.presets[key]


@dataclass(frozen=True)
class Split:
    """Where every unit of the client's money goes.

    Identities (exact): `freelancer_gross + client_refund == amount`;
    `client_paid_total == client_refund + client_fee_refund + freelancer_net + platform_total`;
    `client_net_cost == freelancer_net + platform_total`. `freelancer_net` is negative only when
    a schedule keeps its fee on refunded money (not pro rata): the freelancer pays to refund.
    """

    currency: str
    amount: Decimal
    client_refund: Decimal
    freelancer_gross: Decimal
    service_fee: Decimal  # the freelancer-side fee, whoever bears it
    freelancer_fee: Decimal  # the part of it the freelancer bears
    freelancer_net: Decimal
    client_fee: Decimal  # all fees the client bears in the end
    client_paid_total: Decimal  # what the client paid when funding the contract
    client_fee_refund: Decimal  # fees handed back to the client
    client_net_cost: Decimal
    platform_total: Decimal

    def to_data(self) -> dict[str, str]:
        return {k: (v if isinstance(v, str) else str(v)) for k, v in asdict(self).items()}


def _client_fee(amount: Decimal, code: str, s: FeeSchedule) -> Decimal:
    fee = quantize(amount * s.client_rate, code) + quantize(s.client_fixed, code)
    if s.client_small_order_threshold is not None and amount < s.client_small_order_threshold:
        fee += quantize(s.client_small_order_surcharge, code)
    return fee


def _client_part(fee: Decimal, code: str, s: FeeSchedule, client_share: Decimal | None) -> Decimal:
    if s.fees_paid_by == "client":
        return fee
    if s.fees_paid_by == "split":
        share = s.client_share if client_share is None else Decimal(client_share)
        return quantize(fee * share, code)
    return quantize(Decimal(0), code)


def split(
    amount: Decimal,
    currency: str,
    client_refund: Decimal,
    schedule: FeeSchedule,
    *,
    client_share: Decimal | None = None,
) -> Split:
    """The exact money split of a contract of `amount` settled with `client_refund` back to the
    client. `client_share` overrides the schedule's share when fees are split by contract terms."""
    code = currency_code(currency)
    amount = Decimal(amount)
    refund = Decimal(client_refund)
    if not amount.is_finite() or amount <= 0:
        raise MoneyError("bad_amount", S_("contract amount must be more than zero, got {amount}", amount=str(amount)))
    if not refund.is_finite() or refund < 0:
        raise MoneyError("bad_amount", S_("refund cannot be negative, got {refund}", refund=str(refund)))
    if refund > amount:
        raise MoneyError(
            "bad_amount",
            S_("refund {refund} is more than the contract amount {amount}", refund=str(refund), amount=str(amount)),
        )
    if client_share is not None and not (0 <= Decimal(client_share) <= 1):
        raise MoneyError("bad_amount", S_("client share of fees must be 0..1, got {share}", share=str(client_share)))
    amount, refund = quantize(amount, code), quantize(refund, code)
    gross = amount - refund

    # Freelancer-side fee: charged on what is paid out (pro rata) or on the whole contract.
    fee_full = quantize(amount * schedule.freelancer_rate, code)
    fee = quantize(gross * schedule.freelancer_rate, code) if schedule.freelancer_fee_refunded_pro_rata else fee_full
    client_part_full = _client_part(fee_full, code, schedule, client_share)
    client_part = _client_part(fee, code, schedule, client_share)
    freelancer_fee = fee - client_part

    # Client contract fee: charged on funding; refundable ones come back in proportion.
    cfee_full = _client_fee(amount, code, schedule)
    cfee = quantize(cfee_full * gross / amount, code) if schedule.client_fee_refundable else cfee_full

    client_paid_total = amount + cfee_full + client_part_full
    client_fee = cfee + client_part
    client_fee_refund = (cfee_full - cfee) + (client_part_full - client_part)
    freelancer_net = gross - freelancer_fee
    platform_total = fee + cfee
    return Split(
        currency=code,
        amount=amount,
        client_refund=refund,
        freelancer_gross=gross,
        service_fee=fee,
        freelancer_fee=freelancer_fee,
        freelancer_net=freelancer_net,
        client_fee=client_fee,
        client_paid_total=client_paid_total,
        client_fee_refund=client_fee_refund,
        client_net_cost=client_paid_total - refund - client_fee_refund,
        platform_total=platform_total,
    )
