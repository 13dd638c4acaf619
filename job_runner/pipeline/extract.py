"""Invoice fields from the text of an invoice (text layer or OCR). A field not found is None."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from .amounts import ISO_CURRENCIES, currency_of_token, find_dates, guess_day_first, guess_decimal_comma
from .label_values import LabelledLine, cell_after, cells_below, ends_cell, label_lines, text_after
from .labels import FIELD_LABELS
from .line_items import extract_line_items
from .parties import find_customer, find_provider, find_vat_id
from .result import InvoiceFields
from .text_lines import PageText, TextLine
from .totals import extract_totals

_INVOICE_NUMBER_RE = re.compile(r"^[#№]?\s*([A-Za-z0-9][\w/.\-]*[A-Za-z0-9]|\d)")
_MONEY_LIKE_RE = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})*[.,]\d{2}$")
_CURRENCY_TOKEN_RE = re.compile(
    r"[€$£₹¥]|(?<![A-Za-z])(?:" + "|".join(sorted(ISO_CURRENCIES)) + r"|Rs\.?)(?![A-Za-z])"
    r"|\b(?:euros?|us\s*dollars?|dollars?|pounds?\s*sterling|rupees?)\b",
    re.IGNORECASE,
)
_DATE_PREPOSITION_RE = re.compile(r"^\s*(?:vom|du|dated|of|le|van|d\.d\.)\s", re.IGNORECASE)
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD", "rupee": "INR", "rupees": "INR"}

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


def extract_invoice(pages: list[PageText]) -> InvoiceFields:
    """The invoice fields read from the pages' lines (source='text'); validation and
    confidence are left for the caller, which checks VAT first."""
    lines = [line for page in pages for line in page.lines]
    text = "\n".join(line.layout_text() for line in lines)
    decimal_comma = guess_decimal_comma(text)
    day_first = guess_day_first(text)
    labelled = label_lines(lines, FIELD_LABELS)
    totals = extract_totals(lines, decimal_comma)
    customer = find_customer(lines, labelled)
    number, number_line = find_invoice_number(lines, labelled)
    return InvoiceFields(
        provider=find_provider(lines, labelled, customer),
        provider_vat_id=find_vat_id(labelled),
        customer=customer,
        invoice_number=number,
        date=find_date(lines, labelled, "date", day_first, number_line),
        due_date=find_date(lines, labelled, "due_date", day_first),
        currency=find_currency(labelled, text),
        total_without_vat=totals.total_without_vat,
        total_vat=totals.total_vat,
        total_with_vat=totals.total_with_vat,
        lines=extract_line_items(lines, decimal_comma),
        source="text",
    )


def find_invoice_number(lines: list[TextLine], labelled: list[LabelledLine]) -> tuple[str | None, LabelledLine | None]:
    """The invoice number and the line it was read on.

    Explicit labels ("Invoice No", "Facture n°", "Rechnungsnummer") beat a bare title word
    ("Invoice INV/2023/03/0008"); a value must contain a digit and not be a date or an amount.
    """
    best: tuple[float, int, str, LabelledLine] | None = None
    for item in labelled:
        for label in item.labels:
            if label.kind != "invoice_number":
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


def find_currency(labelled: list[LabelledLine], text: str) -> str | None:
    """The ISO code after a currency label ("Währung: EUR"), else the currency most often
    printed (symbols, codes, 'euros'); None when the document names none."""
    for item in labelled:
        for label in item.labels:
            if label.kind == "currency":
                for token in re.findall(r"[A-Za-z€$£]+", cell_after(item, label)):
                    code = currency_of_token(token) or _CURRENCY_WORDS.get(token.lower())
                    if code:
                        return code
    votes: Counter[str] = Counter()
    for m in _CURRENCY_TOKEN_RE.finditer(text):
        token = m.group(0)
        lowered = re.sub(r"\s+", " ", token.lower())
        code = currency_of_token(token) or _CURRENCY_WORDS.get(lowered)
        if code is None and "dollar" in lowered:
            code = "USD"
        if code is None and "sterling" in lowered:
            code = "GBP"
        if code:
            votes[code] += 1
    return votes.most_common(1)[0][0] if votes else None


def _date_on_number_line(lines: list[TextLine], number_line: LabelledLine, day_first: bool) -> date | None:
    """The date after the invoice number on its line, or at the start of the next line when
    the title wraps ("Rechnung Nr. 4711" / "vom 05.03.2018")."""
    number_label = next(m for m in number_line.labels if m.kind == "invoice_number")
    found = _first_date(number_line.text[number_label.end :], day_first)
    if found is None and number_line.index + 1 < len(lines):
        following = lines[number_line.index + 1].layout_text()
        if _DATE_PREPOSITION_RE.match(following):
            found = _first_date(following, day_first)
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
