"""The totals of an invoice decoded together: net, VAT, gross, prepaid and amount due.

Each amount on the pages (amount_candidates) is scored per role by a logistic model
(models/amount_<role>.json). The few best of each role are options; so are the sums of two or
three per-rate VAT lines (a VAT total printed only per rate), a VAT of zero that is not printed
(reverse charge, exempt supplies) and 'not printed'. Two learned models then score whole
assignments from the roles' log-odds and the arithmetic: totals_net_vat_gross (net + VAT =
gross, VAT within a rate of the net, the breakdown's bases and amounts) and totals_due (gross -
prepaid = due, or due = gross, or due = gross + an open balance printed: arrears carried into
what is due). The assignment with the highest sum of the two wins; when
nothing adds up, that is simply the best amount per role.

The gross is never zero (an amount due of 0.00 on a paid invoice is not the total); a zero VAT
makes gross = net.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .amount_candidates import AmountCandidate, AmountReading
from .learned import LinearModel, load_model
from .result import VatRate

ROLES = ("net", "vat", "gross", "due", "prepaid", "vat_rate")
OPTION_ROLES = ("net", "vat", "gross", "due", "prepaid")
"""The roles an assignment chooses an amount for (per-rate VAT amounts only make the VAT's sums)."""
ROLE_MODELS = {role: f"amount_{role}" for role in ROLES}
TRIPLE_MODEL = "totals_net_vat_gross"
DUE_MODEL = "totals_due"
TOP_K = 4
"""Options per role: the amounts with the highest log-odds. Four hold the right one in practice."""
MAX_COMPLETIONS = 2
"""Amounts added to a role's options because they complete net + VAT = gross with the others'."""
MAX_RATE_PARTS = 3
RATE_LINES_REACH = 8
"""Per-rate VAT lines added together are at most this many lines apart, on one page."""
MAX_VAT_SHARE = Decimal("0.3")
"""No VAT rate is above 30 %: a VAT amount above this share of the net is not the net's VAT."""


@dataclass(frozen=True, slots=True)
class Option:
    """One value a role may take."""

    value: Decimal | None
    logit: float
    kind: str
    """'printed' (an amount on the page), 'rates' (the sum of per-rate VAT amounts), 'breakdown'
    (the sum of the breakdown's bases or amounts), 'zero' (no VAT printed, taken as 0) or 'none'
    (the role is not printed)."""
    candidate: AmountCandidate | None = None
    parts: int = 0


NONE = Option(None, 0.0, "none")


class DecodedTotals(NamedTuple):
    total_without_vat: Decimal | None
    total_vat: Decimal | None
    total_with_vat: Decimal | None
    amount_due: Decimal | None
    prepaid: Decimal | None
    lines: dict[str, int]
    """Role ('net', 'vat', 'gross', 'due', 'prepaid') -> index of the line its amount was read on."""
    adds_up: bool
    """Whether net + VAT = gross."""


def logit(model: LinearModel, features: Mapping[str, float]) -> float:
    """The model's log-odds for the features (its score before the logistic)."""
    weights = model.weights
    total = model.bias
    for name, value in features.items():
        weight = weights.get(name)
        if weight is not None:
            total += weight * value
    return total


def role_logits(reading: AmountReading, models: Mapping[str, LinearModel] | None = None) -> dict[str, list[float]]:
    """Each role's log-odds for every candidate, in the candidates' order."""
    models = models or {role: load_model(name) for role, name in ROLE_MODELS.items()}
    return {role: [logit(models[role], c.features) for c in reading.candidates] for role in ROLES}


class Options(NamedTuple):
    net: list[Option]
    vat: list[Option]
    gross: list[Option]
    due: list[Option]
    prepaid: list[Option]

    def surest_other(self, role: str, value: Decimal | None) -> float:
        """The highest log-odds of the role's printed amounts whose value is not value."""
        return next((o.logit for o in getattr(self, role) if o.value is not None and o.value != value), 0.0)


def role_options(
    reading: AmountReading,
    logits: Mapping[str, list[float]],
    breakdown: Sequence[VatRate] = (),
    floors: Mapping[str, float] | None = None,
) -> Options:
    """The options of each role: its TOP_K amounts (one per value, the surest occurrence), the
    amounts that complete net + VAT = gross with the other roles' top ones, and 'none'; the
    VAT's also the sums of per-rate lines and, where the document says no VAT is charged, an
    unprinted zero; with a breakdown of several rates, the sums of its bases and amounts (a
    receipt's rate table may be all it prints). An amount scored below its role's floor (the
    lowest log-odds a right amount had in training) is no option: then the role is not printed."""
    floors = floors or {}
    surest: dict[str, dict[Decimal, Option]] = {}
    for role in OPTION_ROLES:
        best = surest[role] = {}
        floor = floors.get(role, -math.inf)
        for c, score in zip(reading.candidates, logits[role], strict=True):
            if score < floor:
                continue
            known = best.get(abs(c.value))
            if known is None or score > known.logit:
                best[abs(c.value)] = Option(c.value, score, "printed", c)

    def top(role: str, allow_zero: bool = True) -> list[Option]:
        found = (o for o in surest[role].values() if allow_zero or o.value != 0)
        return sorted(found, key=lambda o: o.logit, reverse=True)[:TOP_K]

    def completing(role: str, options: list[Option], values: set[Decimal]) -> list[Option]:
        """Amounts outside the role's top that complete net + VAT = gross with the others' top."""
        taken = {abs(o.value) for o in options if o.value is not None}
        found = [surest[role][v] for v in values if v in surest[role] and v not in taken and v > 0]
        return sorted(found, key=lambda o: o.logit, reverse=True)[:MAX_COMPLETIONS]

    vat = top("vat") + _rate_sums(reading, logits["vat_rate"])
    if reading.reverse_charge:
        vat.append(Option(Decimal("0.00"), 0.0, "zero"))  # no VAT charged, and maybe none printed
    net, gross = top("net"), top("gross", allow_zero=False)
    net_values = {abs(g.value) - abs(v.value) for g in gross for v in vat if v.value}
    vat_values = {abs(g.value) - abs(n.value) for g in gross for n in net}
    gross_values = {abs(n.value) + abs(v.value) for n in net for v in vat if v.value}
    net, vat, gross = (
        net + completing("net", net, net_values),
        vat + completing("vat", vat, vat_values),
        gross + completing("gross", gross, gross_values),
    )
    if len(breakdown) >= 2 and all(r.base is not None and r.amount is not None for r in breakdown):
        bases = sum((r.base for r in breakdown), Decimal(0))
        amounts = sum((r.amount for r in breakdown), Decimal(0))
        if all(o.value != bases for o in net):
            net.append(Option(bases, 0.0, "breakdown"))
        if all(o.value != amounts for o in vat):
            vat.append(Option(amounts, 0.0, "breakdown"))
    return Options(
        net=net + [NONE],
        vat=vat + [NONE],
        gross=gross + [NONE],
        due=top("due") + [NONE],
        prepaid=top("prepaid", allow_zero=False) + [NONE],
    )


def _rate_sums(reading: AmountReading, scores: list[float]) -> list[Option]:
    """Sums of two or three per-rate VAT amounts: amounts under or after distinct rates, on one
    page and close together; scored by their least sure part."""
    lines = sorted(
        ((score, c) for c, score in zip(reading.candidates, scores, strict=True) if c.rate is not None),
        key=lambda pair: pair[0],
        reverse=True,
    )[: TOP_K + 2]
    sums: dict[Decimal, Option] = {}
    for size in range(2, MAX_RATE_PARTS + 1):
        for combo in itertools.combinations(lines, size):
            parts = [c for _, c in combo]
            if len({c.page for c in parts}) > 1 or len({c.rate for c in parts}) < size:
                continue
            if max(c.line for c in parts) - min(c.line for c in parts) > RATE_LINES_REACH:
                continue
            value = sum((c.value for c in parts), Decimal(0))
            score = min(s for s, _ in combo)
            if value not in sums or score > sums[value].logit:
                sums[value] = Option(value, score, "rates", parts[-1], size)
    return sorted(sums.values(), key=lambda o: o.logit, reverse=True)[:TOP_K]


def triple_features(
    net: Option, vat: Option, gross: Option, reading: AmountReading, breakdown: Sequence[VatRate] = ()
) -> dict[str, float]:
    """Features of a (net, VAT, gross) assignment for the totals_net_vat_gross model."""
    f: dict[str, float] = {}
    n, v, g = net.value, vat.value, gross.value
    if n is None:
        f["net_none"] = 1.0
    elif net.kind == "breakdown":
        f["net_breakdown_sum"] = 1.0
    else:
        f["net"] = net.logit
    if vat.kind == "none":
        f["vat_none"] = 1.0
    elif vat.kind == "printed":
        f["vat"] = vat.logit
    elif vat.kind == "rates":
        f["vat_rates"] = vat.logit
        f["vat_rate_parts"] = float(vat.parts)
    elif vat.kind == "breakdown":
        f["vat_breakdown_sum"] = 1.0
    else:
        f["vat_unprinted_zero"] = 1.0
    if v is not None and v == 0:
        f["vat_zero_reverse_charge" if reading.reverse_charge else "vat_zero"] = 1.0
    if g is None:
        f["gross_none"] = 1.0
    else:
        f["gross"] = gross.logit
    if n is not None and v is not None and g is not None:
        if abs(n) + abs(v) != abs(g):
            f["does_not_add_up"] = 1.0
        elif v:
            f["adds_up"] = 1.0
        else:  # net = gross: adds up with any zero VAT, so it says less
            f["adds_up_zero_vat_reverse_charge" if reading.reverse_charge else "adds_up_zero_vat"] = 1.0
    elif n is not None and g is not None and vat.kind == "none":
        if n != g:
            f["net_gross_without_vat"] = 1.0
        else:
            f["net_is_gross_reverse_charge" if reading.reverse_charge else "net_is_gross_without_vat"] = 1.0
    if n is not None and g is not None and abs(n) > abs(g):
        f["net_above_gross"] = 1.0
    signs = {value > 0 for value in (n, v, g) if value}
    if len(signs) > 1:
        f["signs_differ"] = 1.0
    if n is not None and v is not None and abs(v) > MAX_VAT_SHARE * abs(n):
        f["vat_above_any_rate"] = 1.0
    if net.candidate is not None and net.candidate is gross.candidate:
        f["net_and_gross_one_amount"] = 1.0
    if breakdown and n is not None and v is not None:
        bases = [r.base for r in breakdown]
        amounts = [r.amount for r in breakdown]
        if None not in bases and None not in amounts:
            agrees = abs(sum(bases, Decimal(0))) == abs(n) and abs(sum(amounts, Decimal(0))) == abs(v)
            f["breakdown_agrees" if agrees else "breakdown_disagrees"] = 1.0
    return f


def due_features(gross: Option, prepaid: Option, due: Option, reading: AmountReading, options: Options) -> dict[str, float]:
    """Features of a (gross, prepaid, amount due) assignment for the totals_due model. Sure
    amounts of the prepaid and due roles that the assignment leaves out count against it."""
    f: dict[str, float] = {}
    g, p, d = gross.value, prepaid.value, due.value
    left_out = options.surest_other("prepaid", p)
    if left_out > 0:
        f["sure_prepaid_left_out"] = left_out
    left_out = options.surest_other("due", d)
    if left_out > 0:
        f["sure_due_left_out"] = left_out
    if d is None:
        f["due_none"] = 1.0
    else:
        f["due"] = due.logit
        if d == 0:
            f["due_zero_paid" if reading.paid else "due_zero"] = 1.0
    if p is None:
        f["prepaid_none"] = 1.0
    else:
        f["prepaid"] = prepaid.logit
    if g is None:
        f["gross_none"] = 1.0
        return f
    if d is not None:
        if d and g and (d > 0) != (g > 0):
            f["due_sign_not_gross_sign"] = 1.0  # a deduction printed negative is not what is due
        if p is not None and abs(g) - abs(p) == abs(d):
            f["due_after_prepaid"] = 1.0
        elif abs(d) == abs(g):
            f["due_is_gross_and_prepaid" if p is not None else "due_is_gross"] = 1.0
        elif abs(d) > abs(g) and _open_balance(abs(d) - abs(g), reading):
            f["due_gross_and_open_balance"] = 1.0  # arrears, open items carried into what is due
        else:
            f["due_not_gross"] = 1.0
        if abs(d) > abs(g):
            f["due_above_gross"] = 1.0
    elif p is not None:
        f["prepaid_without_due" if abs(p) < abs(g) else "prepaid_above_gross"] = 1.0
    return f


def _open_balance(value: Decimal, reading: AmountReading) -> bool:
    """Whether value is printed as a balance still open (a previous balance, open items, a balance
    brought forward: the previous_balance labels of lexicon/amount_roles.json)."""
    return any(abs(c.value) == value and c.features.get("own:previous_balance") for c in reading.candidates)


def decode_totals(
    reading: AmountReading,
    breakdown: Sequence[VatRate] = (),
    models: Mapping[str, LinearModel] | None = None,
) -> DecodedTotals:
    """The best assignment of the totals; see the module docstring. models maps role names
    and the two assignment model names to models (default: the package's files)."""
    if models is None:
        models = {**{role: load_model(name) for role, name in ROLE_MODELS.items()},
                  TRIPLE_MODEL: load_model(TRIPLE_MODEL), DUE_MODEL: load_model(DUE_MODEL)}
    floors = {role: models[role].info["option_floor"] for role in OPTION_ROLES if "option_floor" in models[role].info}
    options = role_options(reading, role_logits(reading, models), breakdown, floors)
    triple_model, due_model = models[TRIPLE_MODEL], models[DUE_MODEL]
    best: tuple[float, Option, Option, Option, Option, Option] | None = None
    for gross in options.gross:
        upper = max(
            ((logit(triple_model, triple_features(n, v, gross, reading, breakdown)), n, v)
             for n in options.net for v in options.vat),
            key=lambda t: t[0],
        )
        lower = max(
            ((logit(due_model, due_features(gross, p, d, reading, options)), p, d)
             for p in options.prepaid for d in options.due),
            key=lambda t: t[0],
        )
        score = upper[0] + lower[0]
        if best is None or score > best[0]:
            best = (score, upper[1], upper[2], gross, lower[1], lower[2])
    assert best is not None
    _, net, vat, gross, prepaid, due = best
    return assignment_totals(net, vat, gross, prepaid, due)


def assignment_totals(net: Option, vat: Option, gross: Option, prepaid: Option, due: Option) -> DecodedTotals:
    """The totals an assignment gives: a missing gross is the net when the VAT is zero, a
    missing amount due is the gross less what was prepaid."""
    g = gross.value
    if g is None and vat.value == 0 and net.value is not None:
        g = net.value  # no VAT charged: the total is the net
    d = due.value
    if d is None and g is not None:
        # Not printed: the total less what was deducted before it (nothing: the total).
        paid = abs(prepaid.value) if prepaid.value is not None else Decimal(0)
        d = g - paid if g > 0 else g + paid
    lines = {
        role: option.candidate.line
        for role, option in (("net", net), ("vat", vat), ("gross", gross), ("due", due), ("prepaid", prepaid))
        if option.candidate is not None and option.kind == "printed"
    }
    adds_up = None not in (net.value, vat.value, g) and abs(net.value) + abs(vat.value) == abs(g)
    return DecodedTotals(net.value, vat.value, g, d, prepaid.value, lines, adds_up)
