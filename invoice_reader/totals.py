"""Labelled totals: every amount that follows a total label, and the heaviest three that add up.

Every labelled amount becomes a candidate; the chosen three are the heaviest set, with a
large bonus when without VAT + VAT = with VAT to the cent. The classifier reads an invoice's
structure from these candidates (kind_features); the extractor decodes the totals with learned
models over every amount instead (amount_candidates, totals_decoder). Also here: which numbers
read as money (money_amounts, is_money).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .amounts import NumberMatch, blank_dates, find_numbers
from .label_values import cells
from .labels import COLUMN_LABELS, TOTAL_LABELS, LabelMatch, find_labels
from .text_lines import TextLine

CENT = Decimal("0.01")
MAX_CANDIDATES_PER_KIND = 12
"""Candidates of each kind tried together: 13³ combinations take a few milliseconds."""
CONSISTENT_BONUS = 6.0
"""Weight added to a set of totals that adds up; more than any two label weights."""

_CURRENCY_NEAR_RE = re.compile(r"[€$£₹¥]|\b(?:EUR|USD|GBP|CHF|INR|PLN|Rs\.?|Euros?)\b", re.IGNORECASE)
_KINDS = ("total_without_vat", "total_vat", "total_with_vat")


class Totals(NamedTuple):
    total_without_vat: Decimal | None
    total_vat: Decimal | None
    total_with_vat: Decimal | None


@dataclass(frozen=True, slots=True)
class TotalCandidate:
    kind: str
    value: Decimal
    weight: float
    position: int
    """Index of the line it was read from; later totals win ties."""


def find_total_candidates(lines: list[TextLine], decimal_comma: bool | None) -> list[TotalCandidate]:
    """Every amount that follows a total label on its line, or sits under one in a small table."""
    candidates: list[TotalCandidate] = []
    rate_lines: list[TotalCandidate] = []
    for index, line in enumerate(lines):
        text, _ = line.layout()
        labels = find_labels(text, TOTAL_LABELS)
        if not labels:
            continue
        money = money_amounts(text, decimal_comma)
        for i, label in enumerate(labels):
            if label.kind == "ignore":
                continue
            end = labels[i + 1].start if i + 1 < len(labels) else len(text)
            amounts = [m for m in money if label.end <= m.start < end]
            if not amounts:
                continue
            candidate = TotalCandidate(label.kind, amounts[-1].value, label.weight, index)
            candidates.append(candidate)
            has_rate = any(m.is_percent for m in find_numbers(text[label.end : end], decimal_comma))
            if label.kind == "total_vat" and label.weight < 3 and has_rate:
                rate_lines.append(candidate)
        candidates += _aligned_under_header(lines, index, labels, money, decimal_comma)
    distinct_rates = {c.value for c in rate_lines}
    if len(distinct_rates) >= 2:
        candidates.append(TotalCandidate("total_vat", sum(distinct_rates), 2, rate_lines[-1].position))
    return candidates


def choose_totals(candidates: list[TotalCandidate]) -> Totals:
    """The heaviest combination of one candidate (or none) per kind; see the module docstring."""
    by_kind: dict[str, dict[Decimal, TotalCandidate]] = {kind: {} for kind in _KINDS}
    for c in candidates:
        known = by_kind[c.kind].get(c.value)
        if known is None or (c.weight, c.position) > (known.weight, known.position):
            by_kind[c.kind][c.value] = c
    # Long documents repeat "Total" on every page: keep the heaviest, latest few of each kind.
    options = [
        sorted(by_kind[kind].values(), key=lambda c: (c.weight, c.position), reverse=True)[:MAX_CANDIDATES_PER_KIND]
        + [None]
        for kind in _KINDS
    ]
    best: tuple[float, int] | None = None
    chosen: tuple[TotalCandidate | None, ...] = (None, None, None)
    for combo in itertools.product(*options):
        score = _score(*combo)
        latest = max((c.position for c in combo if c is not None), default=-1)
        if best is None or (score, latest) > best:
            best, chosen = (score, latest), combo
    return Totals(*(c.value if c is not None else None for c in chosen))


def _score(without: TotalCandidate | None, vat: TotalCandidate | None, with_: TotalCandidate | None) -> float:
    score = sum(c.weight for c in (without, vat, with_) if c is not None)
    if without and vat and with_:
        if (without.value + vat.value).quantize(CENT) == with_.value.quantize(CENT):
            score += CONSISTENT_BONUS
    if without and with_ and without.value > with_.value > 0:
        score -= 4
    if vat and with_ and vat.value > with_.value > 0:
        score -= 4
    return score


def money_amounts(text: str, decimal_comma: bool | None) -> list[NumberMatch]:
    """Numbers in text that read as money: not percentages, not inside dates, and either
    written with decimals or printed next to a currency (so '29670869006' is not a total)."""
    masked = blank_dates(text)
    return [m for m in find_numbers(masked, decimal_comma) if not m.is_percent and is_money(masked, m)]


def is_money(text: str, number: NumberMatch) -> bool:
    """Whether the number is written like money: with decimals, or next to a currency."""
    return number.has_decimals or bool(_CURRENCY_NEAR_RE.search(text[max(0, number.start - 4) : number.end + 5]))


def _aligned_under_header(
    lines: list[TextLine], index: int, labels: list[LabelMatch], money: list[NumberMatch], decimal_comma: bool | None
) -> list[TotalCandidate]:
    """Amounts in a row under a header of total labels ("Montant HT  Montant TVA  Montant TTC").

    The row used is the one that starts with a total label ("Total facture 24.99 5.00 29.99"),
    else the last row of amounts under the header. Line-item table headers are skipped.
    """
    header = lines[index]
    real = [label for label in labels if label.kind != "ignore"]
    # A header may name a VAT base ("TVA 20 % sur 1 000,00"); its own amounts are then not
    # totals, and the row under it must be amounts only.
    if len(real) < 2 or (money and not (index + 1 < len(lines) and _amounts_only(lines[index + 1]))):
        return []
    text, spans = header.layout()
    if any(c.kind in ("description", "quantity", "unit_price") for c in find_labels(text, COLUMN_LABELS)):
        return []
    columns = _header_columns(header, real)
    em = header.em
    rows: list[list[TotalCandidate]] = []
    for row_index in range(index + 1, min(index + 9, len(lines))):
        row = lines[row_index]
        aligned = _align(row, columns, em, row_index, decimal_comma)
        if len({c.kind for c in aligned}) < 2:
            if rows:
                break
            continue
        rows.append(aligned)
        first_cell = row.cells()[0]
        if any(label.kind != "ignore" for label in find_labels(first_cell, TOTAL_LABELS)):
            break
    if not rows:
        return []
    chosen = rows[-1]
    vats = [c for c in chosen if c.kind == "total_vat"]
    if len(vats) >= 2:
        # One VAT column per rate: their sum is the VAT total.
        chosen.append(TotalCandidate("total_vat", sum((c.value for c in vats), Decimal(0)), 2.5, vats[-1].position))
    return chosen


def _header_columns(header: TextLine, labels: list[LabelMatch]) -> list[tuple[LabelMatch, tuple[float, float]]]:
    """The header's columns: each cell, split where a label starts inside it ("TVA 20 % sur
    100,00 TVA 10 % sur 50,00" is two columns), headed by the label in it; a cell without
    a label ("Rabatt 5 %") is a column of kind 'ignore', so that its amount goes nowhere."""
    text, spans = header.layout()
    placed = [(box, label) for label in labels if (box := header.x_range(spans, label.start, label.end))]
    columns: list[tuple[LabelMatch, tuple[float, float]]] = []
    for cell in cells(header):
        inside = sorted((box[0], label) for box, label in placed if cell.x0 - 0.1 <= box[0] <= cell.x1)
        if not inside:
            columns.append((LabelMatch("ignore", 0, 0, 0), (cell.x0, cell.x1)))
            continue
        for i, (x0, label) in enumerate(inside):
            start = cell.x0 if i == 0 else x0
            end = inside[i + 1][0] - 0.1 if i + 1 < len(inside) else cell.x1
            columns.append((label, (start, end)))
    return columns


def _amounts_only(line: TextLine) -> bool:
    """Whether the line holds nothing but amounts (and currencies)."""
    text = line.layout_text()
    return len(find_numbers(text)) >= 2 and not re.search(r"[^\W\d_]{4,}", _CURRENCY_NEAR_RE.sub("", text))


def _align(
    row: TextLine,
    columns: list[tuple[LabelMatch, tuple[float, float]]],
    em: float,
    row_index: int,
    decimal_comma: bool | None,
) -> list[TotalCandidate]:
    """The row's amounts that sit under a header label, as candidates of that label's kind."""
    text, spans = row.layout()
    found = []
    for m in money_amounts(text, decimal_comma):
        box = row.x_range(spans, m.start, m.end)
        if box is None:
            continue
        best, best_overlap = None, 0.0
        for label, (x0, x1) in columns:
            overlap = min(box[1], x1 + em) - max(box[0], x0 - em)
            if overlap > best_overlap:
                best, best_overlap = label, overlap
        if best is not None and best.kind != "ignore":
            found.append(TotalCandidate(best.kind, m.value, 2.5, row_index))
    return found
