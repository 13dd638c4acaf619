"""Invoice fields from the text of an invoice (text layer or OCR). A field not found is None."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .amount_candidates import read_amounts
from .amounts import (
    CURRENCY_SYMBOLS,
    find_dates,
    guess_day_first,
    guess_decimal_comma,
)
from .classify import document_subtype
from .currency import find_currency
from .label_values import LabelledLine, cells_below, ends_cell, label_lines, starts_cell, text_after
from .labels import FIELD_LABELS
from .line_items import extract_line_items
from .parties import find_customer, find_customer_vat_id, find_provider, find_vat_id
from .payment import due_date_from_term, find_bic, find_iban, find_payment_term, find_purchase_order
from .provenance import PageLines
from .result import FieldSource, InvoiceFields, VatRate
from .text_lines import PageText, TextLine
from .totals_decoder import decode_totals
from .vat_breakdown import find_vat_breakdown, vat_rates_printed

_INVOICE_NUMBER_RE = re.compile(r"^[#№]?\s*([A-Za-z0-9][\w/.\-]*[A-Za-z0-9]|\d)")
_MONEY_LIKE_RE = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}$")
_DATE_PREPOSITION_RE = re.compile(r"^\s*(?:vom|du|dated|of|le|van|d\.d\.)\s", re.IGNORECASE)

CENT = Decimal("0.01")
KEY_FIELD_WEIGHTS = {
    "provider": 1.0,
    "invoice_number": 1.5,
    "date": 1.0,
    "currency": 0.5,
    "total_without_vat": 1.0,
    "total_vat": 1.0,
    "total_with_vat": 1.5,
}
"""How much each field counts towards the confidence score."""


def extract_invoice(pages: list[PageText], ocr_pages: set[int] | frozenset[int] = frozenset()) -> InvoiceFields:
    """The invoice fields read from the pages' lines (source='text'), each with its provenance;
    validation and confidence are left for the caller, which checks VAT first. ocr_pages are
    the indexes of the pages read by OCR (their provenance says 'ocr', others 'text_layer')."""
    where = PageLines(pages, ocr_pages)
    lines = where.lines
    text = "\n".join(line.layout_text() for line in lines)
    decimal_comma = guess_decimal_comma(text)
    day_first = guess_day_first(text)
    labelled = label_lines(lines, FIELD_LABELS)
    breakdown = find_vat_breakdown(lines, decimal_comma)
    amounts = read_amounts(pages, decimal_comma, where.ocr_pages, [(row.rate, row.line) for row in breakdown])
    breakdown = [row for row in breakdown if where.page_of[row.line] not in amounts.explanatory_pages]
    totals = decode_totals(amounts, [row.rate for row in breakdown])
    customer = find_customer(lines, labelled)
    read_by_ocr = bool(where.ocr_pages)
    vat_id = find_vat_id(labelled, ocr=read_by_ocr)
    number, number_line = find_invoice_number(lines, labelled)
    order = find_purchase_order(lines)
    iban = find_iban(lines, ocr=read_by_ocr)
    is_order = order is not None and number == order.value
    is_account = iban is not None and number is not None and len(number) >= 6 and number.replace(" ", "") in iban.value
    if is_order or is_account:
        number, number_line = None, None  # an order or account number is never the invoice number
    issued = find_date(lines, labelled, "date", day_first, number_line)
    term = find_payment_term(lines)
    printed_due = find_date(lines, labelled, "due_date", day_first)
    due = (totals.amount_due, totals.lines.get("due")) if totals.amount_due is not None else None
    buyer_vat = find_customer_vat_id(labelled, vat_id, ocr=read_by_ocr)
    bic = find_bic(lines)
    fields = InvoiceFields(
        provider=find_provider(lines, labelled, customer),
        provider_vat_id=vat_id,
        customer=customer,
        invoice_number=number,
        date=issued,
        due_date=printed_due or due_date_from_term(issued, term),
        currency=find_currency(labelled, text, seller_vat_id=vat_id, iban=iban.value if iban else None, ocr=read_by_ocr),
        total_without_vat=totals.total_without_vat,
        total_vat=totals.total_vat,
        total_with_vat=totals.total_with_vat,
        lines=extract_line_items(lines, decimal_comma, where),
        source="text",
        subtype=document_subtype(pages),
        customer_vat_id=buyer_vat[0] if buyer_vat else None,
        purchase_order=order.value if order else None,
        amount_due=due[0] if due else None,
        vat_breakdown=_settle_breakdown(breakdown, totals, vat_rates_printed(lines, decimal_comma)),
        iban=iban.value if iban else None,
        bic=bic.value if bic else None,
        payment_terms=term.text if term else None,
    )
    if len(fields.vat_breakdown) == 1 and all(item.vat_rate is None for item in fields.lines):
        # One rate for the whole invoice: it is every line's rate, printed or not.
        for item in fields.lines:
            item.vat_rate = fields.vat_breakdown[0].rate
    if fields.subtype == "credit_note":
        _make_negative(fields)
    found_at = {
        "invoice_number": number_line.index if number_line else None,
        "purchase_order": order.line if order else None,
        "iban": iban.line if iban else None,
        "bic": bic.line if bic else None,
        "payment_terms": term.line if term else None,
        "amount_due": due[1] if due else None,
        "customer_vat_id": buyer_vat[1] if buyer_vat else None,
    }
    if printed_due is None and fields.due_date is not None and term is not None:
        found_at["due_date"] = term.line  # derived from the printed term
    fields.provenance = field_provenance(fields, where, found_at, decimal_comma, day_first)
    return fields


FIELD_CONFIDENCE = {
    "provider": 0.7,
    "customer": 0.7,
    "invoice_number": 0.85,
    "date": 0.85,
    "due_date": 0.8,
    "currency": 0.8,
    "provider_vat_id": 0.9,
    "customer_vat_id": 0.85,
    "purchase_order": 0.75,
    "amount_due": 0.85,
    "iban": 0.99,
    "bic": 0.9,
    "payment_terms": 0.7,
}
"""How sure each finder is of its value when nothing else speaks for or against it."""
_TOTAL_FIELDS = ("total_without_vat", "total_vat", "total_with_vat")


def field_provenance(
    fields: InvoiceFields,
    where: PageLines,
    found_at: dict[str, int | None],
    decimal_comma: bool | None,
    day_first: bool,
) -> dict[str, FieldSource]:
    """Where each value that was set was printed. Totals that add up are surer than totals
    that do not; a due date derived from a payment term is less sure than a printed one."""
    consistent = None not in (fields.total_without_vat, fields.total_vat, fields.total_with_vat) and (
        fields.total_without_vat + fields.total_vat == fields.total_with_vat
    )
    provenance: dict[str, FieldSource] = {}
    for name in (*FIELD_CONFIDENCE, *_TOTAL_FIELDS):
        value = getattr(fields, name)
        if value is None:
            continue
        confidence = FIELD_CONFIDENCE.get(name) or (0.95 if consistent else 0.6)
        index = found_at.get(name)
        if name == "due_date" and index is not None:
            source = where.source(index, 0.6)
        elif index is not None:
            source = where.locate_on(index, value, confidence, decimal_comma, day_first)
        else:
            last = name in _TOTAL_FIELDS
            source = where.locate(value, confidence, decimal_comma, day_first, last=last)
        if source is None and name == "currency":
            for symbol in (s for s, code in CURRENCY_SYMBOLS.items() if code == value):
                source = where.locate(symbol, confidence, decimal_comma, day_first)
                if source is not None:
                    break
        if source is not None:
            provenance[name] = source
    if fields.vat_breakdown:
        located = [where.locate(rate.amount, 0.8, decimal_comma, day_first, last=True) for rate in fields.vat_breakdown]
        if located[0] is not None:
            provenance["vat_breakdown"] = located[0]
    return provenance


def _settle_breakdown(rows: list, totals, printed_rates: list[Decimal]) -> list[VatRate]:
    """The breakdown's rates; a lone rate printed with one amount gets its base from the
    totals when base x rate gives that amount (the amount is then surely the VAT)."""
    rates = [row.rate for row in rows]
    if not rates and totals.total_without_vat and totals.total_vat is not None:
        # No row prints a base: a single rate that turns the net total into the VAT total.
        rates = [VatRate(rate, totals.total_without_vat, totals.total_vat) for rate in printed_rates]
        rates = [r for r in rates if abs((r.base * r.rate / 100).quantize(CENT) - r.amount) <= CENT][:1]
    if len(rates) == 1 and rates[0].base is None and totals.total_without_vat is not None:
        only = rates[0]
        implied = (totals.total_without_vat * only.rate / 100).quantize(CENT)
        if only.amount is not None and abs(implied - only.amount) <= CENT:
            rates = [VatRate(only.rate, totals.total_without_vat, only.amount)]
        elif only.amount == totals.total_without_vat and totals.total_vat is not None:
            rates = [VatRate(only.rate, only.amount, totals.total_vat)]
    return rates


def _make_negative(fields: InvoiceFields) -> None:
    """A credit note's amounts are negative whether or not the document prints the sign."""

    def negative(value: Decimal | None) -> Decimal | None:
        return -abs(value) if value is not None else None

    for name in ("total_without_vat", "total_vat", "total_with_vat", "amount_due"):
        setattr(fields, name, negative(getattr(fields, name)))
    for item in fields.lines:
        item.total_ht = negative(item.total_ht)
    fields.vat_breakdown = [VatRate(r.rate, negative(r.base), negative(r.amount)) for r in fields.vat_breakdown]


def find_invoice_number(lines: list[TextLine], labelled: list[LabelledLine]) -> tuple[str | None, LabelledLine | None]:
    """The invoice number and the line it was read on.

    Explicit labels ("Invoice No", "Facture n°", "Rechnungsnummer") beat a bare title word
    ("Invoice INV/2024/01/0007"); a value must contain a digit and not be a date or an amount.
    """
    best: tuple[float, int, str, LabelledLine] | None = None
    for item in labelled:
        for label in item.labels:
            if label.kind != "invoice_number" or (label.weight == 2 and not starts_cell(item, label)):
                continue
            value = _number_token(text_after(item, label))
            if value is None and ends_cell(item, label):
                below = cells_below(lines, item, label, max_lines=2)
                value = _number_token(below[0][1].text) if below else None
            if value is None:
                continue
            key = (-label.weight, item.index)
            if best is None or key < (best[0], best[1]):
                best = (-label.weight, item.index, value, item)
    if best is None:
        return None, None
    return best[2], best[3]


def find_date(
    lines: list[TextLine],
    labelled: list[LabelledLine],
    kind: str,
    day_first: bool,
    number_line: LabelledLine | None = None,
) -> date | None:
    """The first date after the heaviest label of kind ('date' or 'due_date'), on its line or
    under it. For the issue date, a date printed on the invoice-number line ("Facture n° 12
    du 02/07/2015", "Rechnung Nr. 4711 vom 05.03.2018") counts as labelled."""
    best: tuple[float, int, date] | None = None
    for item in labelled:
        for label in item.labels:
            if label.kind != kind:
                continue
            found = _first_date(text_after(item, label), day_first)
            if found is None:
                for _, cell in cells_below(lines, item, label, max_lines=2):
                    found = _first_date(cell.text, day_first)
                    if found:
                        break
            if found is not None and (best is None or (-label.weight, item.index) < best[:2]):
                best = (-label.weight, item.index, found)
    if kind == "date" and number_line is not None and (best is None or best[0] > -3):
        found = _date_on_number_line(lines, number_line, day_first)
        if found is not None:
            return found
    return best[2] if best else None


def _date_on_number_line(lines: list[TextLine], number_line: LabelledLine, day_first: bool) -> date | None:
    """The date after the invoice number on its line, or at the start of the next line when
    the title wraps ("Rechnung Nr. 4711" / "vom 05.03.2018")."""
    number_label = next(m for m in number_line.labels if m.kind == "invoice_number")
    rest = number_line.text[number_label.end :]
    found = _first_date(rest, day_first)
    if found is None and number_line.index + 1 < len(lines):
        following = lines[number_line.index + 1].layout_text()
        # "Nr. 4711 vom" / "06.12.2018": the preposition ends the title line.
        ends_with_preposition = bool(rest.split()) and _DATE_PREPOSITION_RE.match(" " + rest.split()[-1] + " ")
        if _DATE_PREPOSITION_RE.match(following) or ends_with_preposition:
            found = _first_date(following[:24], day_first)
    return found


def rate_confidence(fields: InvoiceFields) -> float:
    """0..1: the weighted share of key fields found, raised when VAT adds up and lowered when
    it does not."""
    found = sum(weight for name, weight in KEY_FIELD_WEIGHTS.items() if getattr(fields, name) is not None)
    share = found / sum(KEY_FIELD_WEIGHTS.values())
    vat_valid = fields.validation.get("vat", {}).get("is_valid")
    if vat_valid is True:
        score = 0.7 * share + 0.3
    elif vat_valid is False:
        score = 0.6 * share
    else:
        score = 0.8 * share
    return round(min(1.0, max(0.0, score)), 3)


def _number_token(text: str) -> str | None:
    match = _INVOICE_NUMBER_RE.match(text.strip())
    if not match:
        return None
    token = match.group(1)
    if not any(c.isdigit() for c in token) or _MONEY_LIKE_RE.match(token):
        return None
    if any(d.start == 0 and d.end == len(token) for d in find_dates(token)):
        return None  # "Invoice 15/03/2024" is a date, not a number
    return token


def _first_date(text: str, day_first: bool) -> date | None:
    found = find_dates(text, day_first)
    return found[0].value if found else None
