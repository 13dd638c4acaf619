"""How the invoice is to be paid: IBAN, BIC, payment term, and the buyer's order reference.

Every value is read where the document prints it; a value that is not printed stays None.
Each finder returns the value and the index of the line it was read on, for provenance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import NamedTuple

from . import ids
from .amounts import find_dates
from .address_blocks import cells_going_on
from .label_values import cells
from .text_lines import PageText, TextLine

_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2})(?=[\s\-]?[0-9A-Z])")
_IBAN_OCR_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}[0-9OIlSBZG|]{2})(?=[\s\-]?[0-9A-Za-z|])")
"""In OCR'd text the check digits and the groups may hold look-alike letters (ids.repair_iban)."""
_CUT_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9OIlSBZG|]{2}(?:[\s\-]?[0-9A-Za-z|]{1,6})*(?=\s{2}|\s*$)")
"""A cell that ends in an IBAN's first groups: the IBAN may go on in the cells below."""
_IBAN_GOES_ON_RE = re.compile(r"[0-9A-Za-z|]{1,6}(?:[\s\-][0-9A-Za-z|]{1,6})*")
_BIC_LABEL_RE = re.compile(r"\b(?:bic|swift(?:[-\s]?(?:code|bic))?|bic[-/\s]?swift)\b\s*(?:code)?\s*[:.]?\s*", re.I)
_BIC_RE = re.compile(r"^([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Za-z0-9])")

_TERM_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # English
        r"\b(?:net\s*(?P<a>\d{1,3})(?:\s*days)?|(?P<b>\d{1,3})\s*days?\s*net"
        r"|(?:payable|due|payment)\s*(?:with)?in\s*(?P<c>\d{1,3})\s*days|within\s*(?P<j>\d{1,3})\s*days)\b",
        # French
        r"(?:\b(?:à|a)\s*(?P<d>\d{1,3})\s*(?:jours|j)\b(?:\s*net)?|\b(?P<e>\d{1,3})\s*jours\s*net"
        r"|\bsous\s*(?P<f>\d{1,3})\s*jours)",
        # German
        r"\b(?:(?:zahlbar|zahlung|fällig|fallig)\s*(?:innerhalb\s*)?(?:von\s*)?(?P<g>\d{1,3})\s*tagen?"
        r"|(?P<h>\d{1,3})\s*tage\s*netto|innerhalb\s*(?:von\s*)?(?P<i>\d{1,3})\s*tagen)\b",
    )
)
_IMMEDIATE_RE = re.compile(
    r"\b(?:due\s*(?:up)?on\s*receipt|payable\s*immediately|paiement\s*imm[ée]diat|[àa]\s*r[ée]ception"
    r"|sofort\s*(?:zahlbar|f[äa]llig)|zahlbar\s*sofort)\b",
    re.IGNORECASE,
)
_TERMS_LABEL_RE = re.compile(
    r"\b(?:payment\s*terms?|terms\s*of\s*payment|terms|conditions\s*de\s*(?:paiement|r[èe]glement)"
    r"|modalit[ée]s\s*de\s*paiement|zahlungsbedingungen|zahlungsziel|betalingsvoorwaarden)\b\s*:?\s*",
    re.IGNORECASE,
)
_PO_LABEL_RE = re.compile(
    r"(?<![\w])(?:p\.?\s?o\.?\s*(?:no\.?|number|#|nr\.?)?|purchase\s*order(?:\s*(?:no\.?|number|#))?"
    r"|(?:your|customer)\s*order(?:\s*(?:no\.?|number|#|ref(?:erence)?))?|order\s*(?:no\.?|number|#|ref(?:erence)?)"
    r"|bon\s*de\s*commande(?:\s*n[°º])?|(?:n[°º]|num[ée]ro)\s*(?:de\s*)?commande|votre\s*commande(?:\s*n[°º])?"
    r"|commande\s*n[°º]|r[ée]f(?:[ée]rence)?\.?\s*(?:de\s*(?:la\s*)?)?commande"
    r"|(?:ihre\s*)?bestell(?:ung|nummer|[-\s]?nr\.?)|auftragsnummer|auftrags[-\s]?nr\.?"
    r"|ordernummer|bestelnummer|uw\s*order)(?![\w])",
    re.IGNORECASE,
)
_REFERENCE_TOKEN_RE = re.compile(r"^[#№]?\s*([A-Z]{1,3} \d{3,}(?![\w/.\-])|[A-Za-z0-9][\w/.\-]*[A-Za-z0-9]|\d)")
"""A reference: one token, or a short capital prefix and its digits printed apart ("PO 4711")."""


class Found(NamedTuple):
    """A value and the index of the line it was read on."""

    value: str
    line: int


class PaymentTerm(NamedTuple):
    text: str
    """The printed term, e.g. 'Net 30 days' or 'zahlbar innerhalb von 30 Tagen'."""
    days: int | None
    """Days after the invoice date; 0 for 'due on receipt'; None when the text gives none."""
    line: int


def iban_is_valid(iban: str) -> bool:
    """Whether the IBAN has its country's length and structure and passes the ISO 7064 mod-97
    check (ids.iban_is_valid)."""
    iban = iban.replace(" ", "")
    return iban.isalnum() and iban == iban.upper() and ids.iban_is_valid(iban)


def find_iban(lines: list[TextLine], *, ocr: bool = False) -> Found | None:
    """The first IBAN that passes the mod-97 check, compact ('DE89370400440532013000').

    With ocr (the text was read by OCR), an IBAN whose reading fails the check is repaired where
    exactly one repair of look-alike characters passes it (ids.repair_iban)."""
    for index, line in enumerate(lines):
        for iban in _ibans_in(line.text, ocr):
            return Found(iban, index)
    return None


def find_wrapped_iban(pages: list[PageText], *, ocr: bool = False) -> Found | None:
    """The first IBAN that a narrow cell breaks over lines ("IBAN FR76 3000" over "6000 0112 3456"
    over "7890 189"), joined with the cells under it in its column, where the joined groups pass the
    check (or its OCR repair) and the first line's do not. Its line is the first."""
    def cut(text: str) -> bool:  # ends in an IBAN's first groups that pass no check alone
        return any(not any(_ibans_in(text[m.start() :], ocr)) for m in _CUT_IBAN_RE.finditer(text))

    for cell, below in cells_going_on(pages, cut, _IBAN_GOES_ON_RE, reach=3):
        alone = set(_ibans_in(cell.text, ocr))
        for iban in _ibans_in(" ".join([cell.text, *below]), ocr):
            if iban not in alone:
                return Found(iban, cell.line)
    return None


def _ibans_in(text: str, ocr: bool) -> Iterator[str]:
    for m in (_IBAN_OCR_START_RE if ocr else _IBAN_START_RE).finditer(text):
        groups = [m.group(1)]
        for token in re.split(r"[\s\-]", text[m.end() : m.end() + 48].lstrip(" -")):
            token = token.rstrip(".,;)")  # "... 189." at the end of a sentence
            if not re.fullmatch(r"[0-9A-Za-z|]{1,30}" if ocr else r"[0-9A-Z]{1,30}", token):
                break
            groups.append(token)
        candidate = ""
        for group in groups:
            candidate += group
            if len(candidate) >= 15 and iban_is_valid(candidate):
                yield candidate
                break
        else:
            repaired = _repaired_iban(groups) if ocr else None
            if repaired is not None:
                yield repaired


def _repaired_iban(groups: list[str]) -> str | None:
    """The IBAN the groups read by OCR stand for, when their first groups make up exactly its
    country's length and one repair passes the check."""
    length = ids.iban_length(groups[0][:2])
    candidate = ""
    for group in groups:
        candidate += group
        if length is None or len(candidate) > length:
            return None
        if len(candidate) == length:
            return ids.repair_iban(candidate)
    return None


def find_bic(lines: list[TextLine]) -> Found | None:
    """The BIC printed after a 'BIC' or 'SWIFT' label; a bare 8- or 11-letter code is not
    taken, since ordinary capitalised words have that shape."""
    for index, line in enumerate(lines):
        for m in _BIC_LABEL_RE.finditer(line.text):
            found = _BIC_RE.match(line.text[m.end() :])
            if found and any(c.isalpha() for c in found.group(1)[4:6]):
                return Found(found.group(1), index)
    return None


def find_payment_term(lines: list[TextLine]) -> PaymentTerm | None:
    """The printed payment term and the days it gives ('30 days net' -> 30)."""
    for index, line in enumerate(lines):
        text = line.text
        for pattern in _TERM_PATTERNS:
            m = pattern.search(text)
            if m:
                days = int(next(v for v in m.groupdict().values() if v))
                return PaymentTerm(_term_text(text, m.start(), m.end()), days, index)
        m = _IMMEDIATE_RE.search(text)
        if m:
            return PaymentTerm(_term_text(text, m.start(), m.end()), 0, index)
    for index, line in enumerate(lines):
        label = _TERMS_LABEL_RE.search(line.text)
        if label and label.end() < len(line.text):
            value = line.layout_text()
            value = value[value.find(label.group(0).strip()) + len(label.group(0).strip()) :]
            value = value.lstrip(" :").split("  ")[0].strip()
            if value and len(value) <= 80 and any(c.isalpha() for c in value):
                return PaymentTerm(value, None, index)
    return None


def due_date_from_term(issued: date | None, term: PaymentTerm | None) -> date | None:
    """The due date a payment term implies for an invoice issued on issued, or None."""
    if issued is None or term is None or term.days is None:
        return None
    return issued + timedelta(days=term.days)


def find_purchase_order(lines: list[TextLine]) -> Found | None:
    """The buyer's order number after a PO label ('PO #', 'Bestellung', 'N° de commande')."""
    for index, line in enumerate(lines):
        text, spans = line.layout()
        for m in _PO_LABEL_RE.finditer(text):
            after = text[m.end() :]
            own_cell = "" if after.startswith("  ") else after.lstrip(" :#.").split("  ")[0]
            if own_cell.strip():
                value = _reference(own_cell)
                if value is not None:
                    return Found(value, index)
                continue
            # Its value in the next cell ("Your order  PO-4711"), unless that cell is another heading.
            next_cell = after.lstrip(" :#.").split("  ")[0]
            value = _reference(next_cell) if next_cell.strip() else None
            if value is not None:
                return Found(value, index)
            # A heading in a row of headings: the value sits in the cell under it.
            box = line.x_range(spans, m.start(), m.end())
            for below_index in range(index + 1, min(index + 3, len(lines))):
                below = lines[below_index]
                under = [c for c in cells(below) if box and min(c.x1, box[1] + below.em) > max(c.x0, box[0] - below.em)]
                value = _reference(under[0].text) if under else None
                if value is not None:
                    return Found(value, below_index)
    return None


def _reference(text: str) -> str | None:
    m = _REFERENCE_TOKEN_RE.match(text.strip())
    if not m or not any(c.isdigit() for c in m.group(1)) or find_dates(m.group(1)):
        return None
    return m.group(1)


def _term_text(text: str, start: int, end: int) -> str:
    """The term phrase widened to its cell ('Payment terms: Net 30 days' -> 'Net 30 days')."""
    cell_start = text.rfind("  ", 0, start)
    label = _TERMS_LABEL_RE.search(text, cell_start + 1 if cell_start >= 0 else 0)
    if label and label.end() <= start:
        start = label.end()
    return text[start:end].strip(" :,.")
