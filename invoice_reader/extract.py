"""Invoice fields from the text of an invoice (text layer or OCR). A field not found is None."""

from __future__ import annotations

from decimal import Decimal

from .amount_candidates import read_amounts
from .amounts import (
    CURRENCY_SYMBOLS,
    guess_day_first,
    guess_decimal_comma,
)
from .classify import document_subtype
from .currency import find_currency
from .key_fields import read_key_fields
from .label_values import label_lines
from .labels import FIELD_LABELS
from .line_items import extract_line_items
from .party_roles import find_parties
from .payment import due_date_from_term, find_bic, find_iban, find_payment_term, find_wrapped_iban
from .provenance import PageLines
from .result import FieldSource, InvoiceFields, LineItem, VatRate
from .text_lines import PageText
from .totals_decoder import decode_totals
from .vat_ids import find_vat_ids
from .vat_breakdown import find_vat_breakdown, vat_rates_printed


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
    parties = find_parties(pages)
    read_by_ocr = bool(where.ocr_pages)
    vat_ids = find_vat_ids(pages, where.ocr_pages, parties)
    vat_id = vat_ids.provider.value if vat_ids.provider else None
    iban = find_iban(lines, ocr=read_by_ocr) or find_wrapped_iban(pages, ocr=read_by_ocr)
    term = find_payment_term(lines)
    keys = read_key_fields(pages, where, labelled, day_first, iban, term)
    number, issued, printed_due = keys["invoice_number"].value, keys["date"].value, keys["due_date"].value
    due = (totals.amount_due, totals.lines.get("due")) if totals.amount_due is not None else None
    bic = find_bic(lines)
    items = extract_line_items(lines, decimal_comma, where, (totals.total_without_vat, totals.total_with_vat))
    fields = InvoiceFields(
        provider=parties.provider.name if parties.provider else None,
        provider_vat_id=vat_id,
        customer=parties.customer.name if parties.customer else None,
        invoice_number=number,
        date=issued,
        due_date=printed_due or due_date_from_term(issued, term),
        currency=find_currency(labelled, text, seller_vat_id=vat_id, iban=iban.value if iban else None, ocr=read_by_ocr),
        total_without_vat=totals.total_without_vat,
        total_vat=totals.total_vat,
        total_with_vat=totals.total_with_vat,
        lines=items,
        source="text",
        subtype=document_subtype(pages),
        customer_vat_id=vat_ids.customer.value if vat_ids.customer else None,
        purchase_order=keys["purchase_order"].value,
        amount_due=due[0] if due else None,
        vat_breakdown=_settle_breakdown(breakdown, totals, _rates_seen(lines, decimal_comma, items)),
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
        "provider": parties.provider.line if parties.provider else None,
        "customer": parties.customer.line if parties.customer else None,
        "invoice_number": keys["invoice_number"].line,
        "date": keys["date"].line,
        "purchase_order": keys["purchase_order"].line,
        "iban": iban.line if iban else None,
        "bic": bic.line if bic else None,
        "payment_terms": term.line if term else None,
        "amount_due": due[1] if due else None,
        "provider_vat_id": vat_ids.provider.line if vat_ids.provider else None,
        "customer_vat_id": vat_ids.customer.line if vat_ids.customer else None,
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


def _rates_seen(lines, decimal_comma: bool | None, items: list[LineItem]) -> list[Decimal]:
    """The VAT rates the page prints: on lines that name VAT, then in the items' VAT column."""
    rates = vat_rates_printed(lines, decimal_comma)
    return rates + [r for r in dict.fromkeys(i.vat_rate for i in items if i.vat_rate is not None) if r not in rates]


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
    if len(rates) == 1 and totals.total_without_vat is not None and totals.total_vat is not None:
        # One rate, and the totals show it taxes the whole net: the row is the totals, whatever
        # else its line printed (a gross, or amounts misread by OCR).
        only = rates[0]
        if abs((totals.total_without_vat * only.rate / 100).quantize(CENT) - totals.total_vat) <= CENT:
            rates = [VatRate(only.rate, totals.total_without_vat, totals.total_vat)]
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
