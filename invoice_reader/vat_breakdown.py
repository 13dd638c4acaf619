"""The VAT breakdown: for each rate, the base taxed at it and the VAT on it.

A breakdown row is a line that names VAT (or sits under a header that does) and prints a
rate with amounts. Arithmetic is the evidence: among the row's numbers, the (base, rate,
amount) whose base x rate gives the amount wins, so column order and labels matter little.
"""

from __future__ import annotations

import itertools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .amounts import blank_dates, find_numbers
from .label_values import cells
from .labels import COLUMN_LABELS, TOTAL_LABELS, find_labels
from .result import VatRate
from .text_lines import TextLine
from .totals import is_money

CENT = Decimal("0.01")
MAX_RATE = Decimal(30)
"""No European VAT rate is above this; larger percentages are discounts or shares."""
HEADER_REACH_LINES = 4
"""A breakdown header ("Steuersatz  Basis  Steuerbetrag") covers the rows this close under it."""

_VAT_WORD_RE = re.compile(
    r"\b(?:vat|tva|mwst|ust|umsatzsteuer|mehrwertsteuer|btw|gst|tax|taxe|steuer|iva|igic)\b", re.IGNORECASE
)
_HEADER_RE = re.compile(r"\b(?:rate|taux|steuersatz|satz|tarief|tipo|aliquota|%)", re.IGNORECASE)
_BASE_WORD_RE = re.compile(r"\b(?:sur|auf|on|of|from|base|basis|von)\s*[€$£]?\s*$", re.IGNORECASE)
_NOT_BREAKDOWN_RE = re.compile(
    r"\b(?:no\.?|n[°º]|number|nummer|nr\.?|id|intra|identification|reg)\b\s*[:.]?\s*[A-Z]{2}\s?\d", re.IGNORECASE
)


class BreakdownRow(NamedTuple):
    rate: VatRate
    line: int
    """Index of the line it was read on."""
    rank: tuple[bool, bool] = (False, False)
    """(base and amount agree, the line names VAT): the higher wins among rows of one rate."""


def find_vat_breakdown(lines: list[TextLine], decimal_comma: bool | None) -> list[BreakdownRow]:
    """One row per distinct rate, in the order printed; empty when no row is found. Of two
    rows with one rate, the first whose base x rate gives its amount is kept."""
    found: dict[Decimal, BreakdownRow] = {}
    header_at = -HEADER_REACH_LINES - 1
    after_title = False
    for index, line in enumerate(lines):
        text = line.layout_text()
        names_vat = bool(_vat_word_starts(text))
        masked = blank_dates(text)
        numbers = find_numbers(masked, decimal_comma)
        # A header names VAT itself ("VAT rate  Net  VAT") or sits under a title that does and prints
        # no number ("VAT summary" over "Rate  Base  Amount").
        titled, after_title = after_title, names_vat and not numbers
        if (names_vat or titled) and _HEADER_RE.search(text) and not any(not n.is_percent for n in numbers):
            # A line-item table's header ("Description  Qty  VAT %  Total") heads items, not rates.
            kinds = {m.kind for m in find_labels(text, COLUMN_LABELS)}
            header_at = -HEADER_REACH_LINES - 1 if kinds & {"description", "quantity"} else index
            continue
        if not numbers or _NOT_BREAKDOWN_RE.search(text):
            continue
        if names_vat and index + 1 < len(lines):
            for row in _rows_over_amounts(line, lines[index + 1], decimal_comma):
                known = found.get(row.rate)
                if known is None or (row.base is not None, True) > known.rank:
                    found[row.rate] = BreakdownRow(row, index + 1, (row.base is not None, True))
        if not (names_vat or index - header_at <= HEADER_REACH_LINES):
            continue
        row = _row(masked, numbers)
        if row is None:
            continue
        known = found.get(row.rate)
        # A row whose base and amount agree beats one that prints only an amount; a row that
        # names VAT itself beats one that is only under a header.
        rank = (row.base is not None, names_vat)
        if known is None or rank > known.rank:
            found[row.rate] = BreakdownRow(row, index, rank)
    return sorted(found.values(), key=lambda row: row.line)


def _rows_over_amounts(line: TextLine, below: TextLine, decimal_comma: bool | None) -> list[VatRate]:
    """Rates named in heading cells ("TVA 20 % sur 1 000,00") whose VAT amount is printed in
    the cell under them, as in a horizontal totals block. A cell naming VAT twice ("TVA 20 %
    sur 100,00 TVA 10 % sur 50,00") is two headings."""
    rows = []
    text, spans = line.layout()
    under = cells(below)
    for start, end in _vat_segments(text):
        segment = text[start:end]
        box = line.x_range(spans, start, end)
        numbers = find_numbers(segment, decimal_comma)
        rates = [n for n in numbers if n.is_percent and 0 <= n.value <= MAX_RATE]
        bases = [n for n in numbers if not n.is_percent and is_money(segment, n)]
        if box is None or len(rates) != 1 or len(bases) > 1:
            continue
        overlapping = sorted(
            (c for c in under if min(c.x1, box[1]) > max(c.x0, box[0])),
            key=lambda c: min(c.x1, box[1]) - max(c.x0, box[0]),
            reverse=True,
        )
        rate = rates[0].value.normalize() + 0
        base = bases[0].value if bases else None
        for cell in overlapping if base is not None else overlapping[:1]:
            money = [n for n in find_numbers(cell.text, decimal_comma) if not n.is_percent]
            # With the base printed, the amount under the heading must agree with it.
            if len(money) == 1 and (base is None or _agrees(base, rate, money[0].value)):
                rows.append(VatRate(rate, base, money[0].value))
                break
    return rows


def _vat_segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of the layout text that names VAT: its cells, each split
    where a second VAT word starts."""
    segments = []
    offset = 0
    for cell in text.split("  "):
        starts = _vat_word_starts(cell)
        if starts:
            bounds = [0, *starts[1:], len(cell)]
            segments += [(offset + a, offset + b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
        offset += len(cell) + 2
    return segments


def _vat_word_starts(text: str) -> list[int]:
    """Where the text names VAT, or a tax levied and added up like it: a VAT word, or a VAT-total
    label of the lexicon ("Versicherungsteuer", "Imposte", "IPT")."""
    starts = {m.start() for m in _VAT_WORD_RE.finditer(text)}
    starts.update(m.start for m in find_labels(text, TOTAL_LABELS) if m.field == "total_vat")
    return sorted(starts)


def _row(text: str, numbers: list) -> VatRate | None:
    """The (rate, base, amount) the numbers of one line agree on, or None."""
    percents = [n for n in numbers if n.is_percent and 0 <= n.value <= MAX_RATE]
    money = [n for n in numbers if not n.is_percent and is_money(text, n)]
    plain_rates = [n for n in numbers if not n.is_percent and 0 < n.value <= MAX_RATE]
    for rates in (percents, plain_rates):
        for rate in rates:
            for base, amount in itertools.permutations(money, 2):
                if base is rate or amount is rate or abs(base.value) < abs(amount.value):
                    continue
                if _agrees(base.value, rate.value, amount.value):
                    return VatRate(rate.value.normalize() + 0, base.value, amount.value)
    if len(percents) == 1 and len(money) == 1 and not _BASE_WORD_RE.search(text[: money[0].start][-12:]):
        return VatRate(percents[0].value.normalize() + 0, None, money[0].value)
    return None


def _agrees(base: Decimal, rate: Decimal, amount: Decimal) -> bool:
    expected = (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return abs(expected - amount) <= CENT and (amount != 0 or rate == 0)


def vat_rates_printed(lines: list[TextLine], decimal_comma: bool | None) -> list[Decimal]:
    """The distinct percentages printed on lines that name VAT ("TVA 20 %", "VAT @ 5%"), in order."""
    rates: list[Decimal] = []
    for line in lines:
        text = line.layout_text()
        if not _vat_word_starts(text):
            continue
        for n in find_numbers(blank_dates(text), decimal_comma):
            rate = n.value.normalize() + 0
            if n.is_percent and 0 < n.value <= MAX_RATE and rate not in rates:
                rates.append(rate)
    return rates
