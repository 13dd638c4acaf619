"""An invoice row as the EN 16931 semantic model needs it: every required value present, amounts positive
for a credit note, one VAT category per rate, every line with its category.

Choices made where the invoices table says less than EN 16931 asks:
- Signs: the reader stores a credit note's amounts negative (invoice_reader.einvoice); EN 16931 states them
  positive and lets the type code (381) carry the sign, so they are negated back here. Quantities and unit
  prices are kept as stored.
- VAT category: a rate above 0 is S (standard). A rate of 0 is AE (reverse charge, exemption code
  VATEX-EU-AE) when seller and buyer have VAT ids of two different countries, the usual cross-border B2B
  case; otherwise Z (zero rated), the one zero category that needs no exemption reason. E (exempt) is never
  chosen: it needs a legal reason nothing stored gives.
- VAT breakdown: the stored vat_breakdown where complete; else one category per line rate (its base the
  lines' net, its VAT the total VAT for a single rate, base x rate otherwise); else, without line rates,
  one category over the net total at the rate the totals imply.
- Total VAT: when not stored, gross minus net. Amount due: when not stored, the gross total; when it differs
  from the gross total, the difference is stated as prepaid (BT-113).
- Unit: UN/ECE Recommendation 20 codes (a stored code kept, a few common words mapped), C62 ("one") when
  unknown. A line without quantity is one unit at its net amount; a line without unit price is priced at
  its net amount over its quantity.
- Country (BT-40, BT-55): the table holds no address; the country is taken from the party's VAT id prefix
  (EL is GR), and the address is left out when there is no VAT id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from invoice_processor.db import Invoice

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

UNIT_CODES = {
    # Rec 20 codes kept as they are.
    **{code: code for code in ("C62", "H87", "EA", "HUR", "MIN", "DAY", "WEE", "MON", "ANN", "KGM", "GRM", "TNE",
                               "MTR", "KMT", "CMT", "MTK", "MTQ", "LTR", "KWH", "SET", "PR", "XPP", "LS", "E48")},
    # Words printed on invoices.
    "h": "HUR", "hr": "HUR", "hrs": "HUR", "hour": "HUR", "hours": "HUR", "heure": "HUR", "heures": "HUR",
    "std": "HUR", "stunde": "HUR", "stunden": "HUR",
    "min": "MIN", "day": "DAY", "days": "DAY", "jour": "DAY", "jours": "DAY", "j": "DAY", "tag": "DAY", "tage": "DAY",
    "month": "MON", "months": "MON", "mois": "MON", "monat": "MON", "year": "ANN", "an": "ANN", "jahr": "ANN",
    "kg": "KGM", "g": "GRM", "t": "TNE", "m": "MTR", "km": "KMT", "cm": "CMT", "m2": "MTK", "m²": "MTK",
    "m3": "MTQ", "m³": "MTQ", "l": "LTR", "kwh": "KWH",
    "pc": "H87", "pcs": "H87", "piece": "H87", "pieces": "H87", "pièce": "H87", "pièces": "H87", "stk": "H87",
    "stück": "H87", "ea": "EA", "each": "EA", "unit": "C62", "units": "C62", "u": "C62", "unité": "C62",
    "set": "SET", "lot": "LS", "forfait": "LS", "flat": "LS", "pauschal": "LS",
}
"""UN/ECE Recommendation 20 unit codes by stored unit (codes as they are, words lowercased)."""
UNKNOWN_UNIT = "C62"


class NotExportable(ValueError):
    """The invoice lacks what EN 16931 requires, or its amounts disagree; the message names what and says
    to correct it with PATCH /api/v1/invoices/{id}."""


@dataclass(frozen=True)
class VatCategory:
    """One VAT breakdown entry (BG-23)."""

    code: str
    """UNCL 5305: S, Z or AE."""
    rate: Decimal
    base: Decimal
    amount: Decimal
    exemption_code: str | None = None
    exemption_reason: str | None = None


@dataclass(frozen=True)
class Line:
    """One invoice line (BG-25)."""

    number: int
    name: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    net: Decimal
    vat: VatCategory


@dataclass(frozen=True)
class Party:
    name: str
    vat_id: str | None
    country: str | None
    """ISO 3166-1 alpha-2, from the VAT id; None when unknown."""


@dataclass(frozen=True)
class EInvoice:
    """What both syntaxes write; amounts as EN 16931 states them (positive for a credit note)."""

    credit_note: bool
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Party
    buyer: Party
    purchase_order: str | None
    payment_terms: str | None
    iban: str | None
    bic: str | None
    lines: list[Line]
    vat: list[VatCategory]
    line_total: Decimal
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    prepaid: Decimal
    amount_due: Decimal

    @property
    def type_code(self) -> str:
        """UNTDID 1001: 381 for a credit note, 380 for an invoice."""
        return "381" if self.credit_note else "380"


def unit_code(unit: str | None) -> str:
    """The Rec 20 code of a stored unit; C62 when unknown."""
    if not unit:
        return UNKNOWN_UNIT
    return UNIT_CODES.get(unit.strip(), UNIT_CODES.get(unit.strip().lower().rstrip("."), UNKNOWN_UNIT))


def einvoice_from(invoice: Invoice) -> EInvoice:
    """The EN 16931 view of an invoice row and its lines. Raises NotExportable naming what is missing or
    does not add up."""
    required = {
        "invoice_number": invoice.invoice_number,
        "date": invoice.date,
        "currency": invoice.currency,
        "provider": invoice.provider,
        "customer": invoice.customer,
        "total_without_vat": invoice.total_without_vat,
        "total_with_vat": invoice.total_with_vat,
        "lines": invoice.lines or None,
    }
    missing = [name for name, value in required.items() if value in (None, "")]
    if missing:
        raise NotExportable(
            f"This invoice cannot be exported as an EN 16931 e-invoice: it has no {', '.join(missing)}. "
            f"Correct {'it' if len(missing) == 1 else 'them'} with PATCH /api/v1/invoices/{invoice.id}."
        )
    credit_note = invoice.subtype == "credit_note"
    sign = Decimal(-1) if credit_note else Decimal(1)
    net = _money(invoice.total_without_vat * sign)
    gross = _money(invoice.total_with_vat * sign)
    vat_total = _money(invoice.total_vat * sign) if invoice.total_vat is not None else gross - net
    due = _money(invoice.amount_due * sign) if invoice.amount_due is not None else gross
    seller = _party(invoice.provider, invoice.provider_vat_id)
    buyer = _party(invoice.customer, invoice.customer_vat_id)
    problems: list[str] = []
    if invoice.due_date is None and not invoice.payment_terms and due > 0:
        problems.append("it has neither a due_date nor payment_terms, one of which EN 16931 requires when an "
                        "amount is due")
    if gross != net + vat_total:
        problems.append(f"total_with_vat {gross} is not total_without_vat {net} plus total_vat {vat_total}")
    nets = [_line_net(line, sign) for line in invoice.lines]
    if None in nets:
        problems.append("a line has no total_ht (its net amount)")
    line_total = sum((n for n in nets if n is not None), Decimal("0.00"))
    if not problems and line_total != net:
        problems.append(f"its lines add up to {line_total}, not to total_without_vat {net}")
    categories: list[VatCategory] = []
    if not problems:
        categories = _categories(invoice, sign, net, vat_total, seller, buyer, problems)
    lines = [] if problems else _lines(invoice, nets, categories, problems)
    if problems:
        raise NotExportable(
            "This invoice cannot be exported as an EN 16931 e-invoice: " + "; ".join(problems)
            + f". Correct it with PATCH /api/v1/invoices/{invoice.id}."
        )
    return EInvoice(
        credit_note=credit_note,
        number=invoice.invoice_number.strip(),
        issue_date=invoice.date,
        due_date=invoice.due_date,
        currency=invoice.currency.upper(),
        seller=seller,
        buyer=buyer,
        purchase_order=invoice.purchase_order or None,
        payment_terms=invoice.payment_terms or None,
        iban=_compact(invoice.iban),
        bic=_compact(invoice.bic) if invoice.iban else None,
        lines=lines,
        vat=categories,
        line_total=line_total,
        net_total=net,
        vat_total=vat_total,
        gross_total=gross,
        prepaid=gross - due,
        amount_due=due,
    )


def _categories(invoice: Invoice, sign, net, vat_total, seller: Party, buyer: Party, problems) -> list[VatCategory]:
    def category(rate: Decimal, base: Decimal, amount: Decimal) -> VatCategory:
        if rate != 0:
            return VatCategory("S", rate, base, amount)
        if seller.country and buyer.country and seller.vat_id and buyer.vat_id and seller.country != buyer.country:
            return VatCategory("AE", rate, base, amount, "VATEX-EU-AE", "Reverse charge")
        return VatCategory("Z", rate, base, amount)

    stored = [_stored_rate(entry, sign) for entry in invoice.vat_breakdown or []]
    if stored and None not in stored:
        categories = [category(*entry) for entry in stored]
    else:
        rates: dict[Decimal, Decimal] = {}
        for line in invoice.lines:
            if line.vat_rate is not None:
                rate = _rate(line.vat_rate)
                rates[rate] = rates.get(rate, Decimal("0.00")) + _line_net(line, sign)
        if len(rates) > 1 and all(line.vat_rate is not None for line in invoice.lines):
            categories = [category(r, b, _money(b * r / HUNDRED)) for r, b in rates.items()]
        elif len(rates) == 1:
            categories = [category(next(iter(rates)), net, vat_total)]
        elif rates:
            problems.append("its lines have several VAT rates but not every line has one, and it has no "
                            "vat_breakdown")
            return []
        else:
            implied = _rate((vat_total / net * HUNDRED).quantize(CENT, ROUND_HALF_UP)) if net else Decimal(0)
            categories = [category(implied, net, vat_total)]
    by_rate: dict[Decimal, VatCategory] = {}
    for c in categories:
        if c.rate in by_rate:
            previous = by_rate[c.rate]
            c = VatCategory(c.code, c.rate, previous.base + c.base, previous.amount + c.amount,
                            c.exemption_code, c.exemption_reason)
        by_rate[c.rate] = c
    categories = list(by_rate.values())
    vat_sum = sum((c.amount for c in categories), Decimal("0.00"))
    base_sum = sum((c.base for c in categories), Decimal("0.00"))
    if vat_sum != vat_total:
        problems.append(f"its VAT breakdown adds up to {vat_sum} of VAT, not to total_vat {vat_total}")
    elif base_sum != net:
        problems.append(f"its VAT breakdown's bases add up to {base_sum}, not to total_without_vat {net}")
    return categories


def _lines(invoice: Invoice, nets: list[Decimal], categories: list[VatCategory], problems: list[str]) -> list[Line]:
    by_rate = {c.rate: c for c in categories}
    only = categories[0] if len(categories) == 1 else None
    lines = []
    for number, (line, line_net) in enumerate(zip(invoice.lines, nets), start=1):
        rate = _rate(line.vat_rate) if line.vat_rate is not None else None
        vat = by_rate.get(rate) if rate is not None else only
        if vat is None:
            problems.append(
                f"line {number} has no VAT rate" if rate is None
                else f"line {number}'s VAT rate {rate}% is not in the VAT breakdown"
            )
            continue
        quantity = line.quantity if line.quantity not in (None, 0) else Decimal(1)
        price = line.unit_price if line.unit_price is not None else line_net / quantity
        lines.append(
            Line(
                number=number,
                name=(line.designation or "").strip() or f"Line {number}",
                quantity=quantity,
                unit_code=unit_code(line.unit),
                unit_price=price,
                net=line_net,
                vat=vat,
            )
        )
    for c in categories:
        base = sum((ln.net for ln in lines if ln.vat is c), Decimal("0.00"))
        if not problems and base != c.base:
            problems.append(f"its lines at {c.rate}% VAT add up to {base}, not to that rate's base {c.base}")
    return lines


def _stored_rate(entry: dict, sign: Decimal) -> tuple[Decimal, Decimal, Decimal] | None:
    """(rate, base, amount) of a stored vat_breakdown entry, or None when any is missing."""
    try:
        rate, base, amount = (Decimal(entry[key]) for key in ("rate", "base", "amount"))
    except (KeyError, TypeError, InvalidOperation):
        return None
    return _rate(rate), _money(base * sign), _money(amount * sign)


def _line_net(line, sign: Decimal) -> Decimal | None:
    return _money(line.total_ht * sign) if line.total_ht is not None else None


def _party(name: str, vat_id: str | None) -> Party:
    vat_id = _compact(vat_id)
    country = None
    if vat_id and re.match(r"[A-Z]{2}", vat_id):
        country = "GR" if vat_id[:2] == "EL" else vat_id[:2]
    return Party(re.sub(r"\s+", " ", name).strip(), vat_id, country)


def _compact(value: str | None) -> str | None:
    compact = re.sub(r"\s+", "", value or "").upper()
    return compact or None


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _rate(value) -> Decimal:
    """A percentage without trailing zeros (20.0000 -> 20)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def decimal_text(value: Decimal) -> str:
    """A decimal as XML writes it: plain digits, no exponent, no trailing zeros (1850.0000 -> 1850)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def money_text(value: Decimal) -> str:
    """An amount with two decimals, as EN 16931 states amounts."""
    return format(_money(value), "f")
