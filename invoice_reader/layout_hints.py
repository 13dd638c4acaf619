"""Corrections teach: where a person's corrected value is printed on an invoice becomes a hint for the next
invoices of the same seller. A hint says: on documents whose seller is read as this key, with a page of the
same size, the field is what is printed in this box. The next invoice from the same seller, made by the
same software, prints the field at the same place: it is read there, and the same mistake is not made again.

Nothing here knows a seller, a layout or a field's wording: a hint is data a person's correction made,
stored per tenant by the service and handed to the reader in ReadOptions.layout_hints. A hint that finds
nothing it can read as the field's kind in its box (another layout, another page size) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .amounts import parse_date, parse_number
from .fields import FIELDS
from .ids import compact
from .result import FieldSource, InvoiceFields
from .text_lines import PageText, Word

KINDS = {f.name: f.kind for f in FIELDS}
HINTED_KINDS = ("name", "text", "id", "amount", "date")
"""The kinds a hint can read from a box (not the VAT breakdown, nor codes chosen from a list)."""
SAME_PAGE_PT = 2.0
"""Page sizes closer than this (points) are the same paper."""
SAME_LINE_PT = 3.0
"""A word belongs to the box's line when its middle is this close to the box's band."""
MAX_RUN_WORDS = 12
"""The longest run of words a value is looked for in."""


@dataclass(frozen=True, slots=True)
class LayoutHint:
    seller: str
    """seller_key() of the invoice the correction was made on, as the reader read it."""
    field: str
    page: int
    """0-based."""
    box: tuple[float, float, float, float]
    """(x0, top, x1, bottom) in points from the page's top-left corner."""
    page_size: tuple[float, float]


def seller_key(provider_vat_id: str | None, provider: str | None) -> str | None:
    """Who the seller is, as the reader reads it: the VAT id when there is one, else the name."""
    if provider_vat_id and compact(provider_vat_id):
        return "vat:" + compact(provider_vat_id).upper()
    if provider and provider.strip():
        return "name:" + " ".join(provider.casefold().split())
    return None


def locate(pages: list[PageText], field: str, value) -> tuple[int, tuple[float, float, float, float]] | None:
    """Where `value` (the field's correct value) is printed: the first shortest run of words on one line that
    reads as it, as (page, box); None when it is not in the text (a scan without OCR words, a value the page
    does not print)."""
    kind = KINDS.get(field)
    if kind not in HINTED_KINDS or value is None:
        return None
    for page in pages:
        for line in page.lines:
            words = line.words
            for length in range(1, min(MAX_RUN_WORDS, len(words)) + 1):
                for start in range(len(words) - length + 1):
                    run = words[start:start + length]
                    if _reads_as(kind, " ".join(w.text for w in run), value):
                        return page.index, _box(run)
    return None


def apply_hints(fields: InvoiceFields, pages: list[PageText], hints: tuple[LayoutHint, ...]) -> list[str]:
    """Sets each field a hint for this seller finds in its box; returns the fields it set."""
    keys = {seller_key(fields.provider_vat_id, None), seller_key(None, fields.provider)} - {None}
    applied = []
    for hint in hints:
        if hint.seller not in keys or hint.page >= len(pages) or KINDS.get(hint.field) not in HINTED_KINDS:
            continue
        page = pages[hint.page]
        if abs(page.width - hint.page_size[0]) > SAME_PAGE_PT or abs(page.height - hint.page_size[1]) > SAME_PAGE_PT:
            continue
        words = _words_in(page, hint.box)
        value = _read(KINDS[hint.field], " ".join(w.text for w in words)) if words else None
        if value is None:
            continue
        setattr(fields, hint.field, value)
        fields.provenance[hint.field] = FieldSource("text_layer", page.index, _box(words), 0.9)
        applied.append(hint.field)
    return applied


def _words_in(page: PageText, box: tuple[float, float, float, float]) -> list[Word]:
    """The words of the box's line that overlap it, widened to the whole cell they stand in (a longer value
    than the one corrected spills out of the box; a cell ends where the gap between words is wide)."""
    x0, top, x1, bottom = box
    for line in page.lines:
        middle = (min(w.top for w in line.words) + max(w.bottom for w in line.words)) / 2
        if not top - SAME_LINE_PT <= middle <= bottom + SAME_LINE_PT:
            continue
        inside = [i for i, w in enumerate(line.words) if w.x1 > x0 and w.x0 < x1]
        if not inside:
            continue
        first, last = inside[0], inside[-1]
        gap = 0.6 * max(w.bottom - w.top for w in line.words)  # wider than a space: the cell ends
        while first > 0 and line.words[first].x0 - line.words[first - 1].x1 < gap:
            first -= 1
        while last + 1 < len(line.words) and line.words[last + 1].x0 - line.words[last].x1 < gap:
            last += 1
        return line.words[first:last + 1]
    return []


def _read(kind: str, text: str):
    """The text as a value of the field's kind, or None."""
    text = text.strip()
    if not text:
        return None
    if kind == "amount":
        return parse_number(text)
    if kind == "date":
        return parse_date(text)
    if kind == "id":
        return text if any(c.isdigit() for c in text) else None
    return text


def _reads_as(kind: str, text: str, value) -> bool:
    read = _read(kind, text)
    if read is None:
        return False
    if kind == "amount":
        return abs(read) == abs(Decimal(str(value)))
    if kind == "date":
        return read == (value if isinstance(value, date) else date.fromisoformat(str(value)))
    if kind == "id":
        return compact(read).upper() == compact(str(value)).upper()
    return " ".join(read.casefold().split()) == " ".join(str(value).casefold().split())


def _box(words: list[Word]) -> tuple[float, float, float, float]:
    return (min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words), max(w.bottom for w in words))
