"""Every amount printed on an invoice, described for the totals models.

A candidate is a money amount (printed with decimals or next to a currency; not a percentage,
not part of a date) anywhere on the pages. Its features say what the labels around it announce
(on its line before it, and in a header cell above it), where it sits (under the line items, in
the right column and aligned with other labelled amounts, on which page and whether that page
reads as explanation rather than invoice), how it is printed (font size, wide glyphs), and what
arithmetic it takes part in (a base times a rate on its line, the sum of the line items, the sum
of two other labelled amounts). totals_decoder scores them per role and picks the set that adds up.

The label vocabularies are data: the totals and amount-due labels (labels.py) and the other
roles of an amount and the document marks (lexicon/amount_roles.json).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from .amounts import NumberMatch, blank_dates, find_numbers
from .labels import AMOUNT_DUE_LABELS, COLUMN_LABELS, TOTAL_LABELS, Label, find_labels
from .result import VatRate
from .text_lines import PageText, TextLine
from .totals import is_money

CENT = Decimal("0.01")
MAX_RATE = Decimal(30)
"""No European VAT rate is above this; larger percentages are discounts or shares."""
HEADER_REACH_LINES = 3
"""A header cell names the amounts up to this many lines under it (a horizontal totals band)."""
TITLE_LINES = 6
"""An explanatory title is looked for in this many lines at the top of a page."""
MAX_SUM_VALUES = 40
"""Labelled amounts tried in pairs for the sum features; more would cost time for nothing."""
ROLE_KINDS = ("subtotal", "discount", "charge", "prepaid", "carried", "previous_balance", "vat_base")
MARK_KINDS = ("reverse_charge", "paid", "explanatory")

_LEXICON_PATH = Path(__file__).with_name("lexicon") / "amount_roles.json"
_ITEM_HEADER_KINDS = {"description", "quantity", "unit_price"}
_LETTERS_RE = re.compile(r"[^\W\d_]{2,}")
_DIGIT_RE = re.compile(r"\d")
_SAME_LABEL_GAP_RE = re.compile(r"(?!.*  )[ :.,/-]{0,3}")
"""What may separate two labels read as one: a space and punctuation, never a cell gap."""


@dataclass(slots=True)
class AmountCandidate:
    """One money amount on the pages, with what describes it."""

    value: Decimal
    line: int
    """Index of its line in the document's lines (pages in order)."""
    page: int
    start: int
    """Offset in its line's layout text."""
    end: int
    rate: Decimal | None
    """The one VAT-like percentage printed on its line, or in the header cell over it, if any."""
    x1: float = 0.0
    """Right edge of its words, in points."""
    features: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class AmountReading:
    """The candidates of a document and what its pages say about all of them."""

    candidates: list[AmountCandidate]
    reverse_charge: bool
    """Whether the document says no VAT is charged (reverse charge, exempt supply)."""
    paid: bool
    """Whether the document says it is settled."""
    explanatory_pages: frozenset[int]
    """Pages that read as explanation (a notes or summary title, prose, no totals labels)."""


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[tuple[Label, ...], tuple[Label, ...], re.Pattern[str]]:
    """(labels of the amount roles, labels of the document marks, a base preposition ending a
    text) from lexicon/amount_roles.json."""
    lexicon = json.loads(_LEXICON_PATH.read_text(encoding="utf-8"))
    roles = lexicon["roles"]

    def alternation(languages: dict) -> str:
        patterns = [p for language, words in languages.items() if language != "about" for p in words]
        return "|".join(patterns).replace(r"\s*", r"(?:\s(?!\s))?").replace(r"\s+", r"\s(?!\s)")

    def compile_kind(kind: str) -> Label:
        return Label(kind, 1.0, re.compile(rf"(?<![\w])(?:{alternation(roles[kind])})(?:(?<![\w])|(?![\w]))", re.I))

    preposition = re.compile(rf"(?<![\w])(?:{alternation(lexicon['base_preposition'])})\s?[:€$£]?\s?$", re.I)
    return tuple(compile_kind(k) for k in ROLE_KINDS), tuple(compile_kind(k) for k in MARK_KINDS), preposition


@dataclass(slots=True)
class _Group:
    """Overlapping labels of the vocabularies, read as one label."""

    start: int
    end: int
    kinds: list[tuple[str, float]]

    def real(self) -> bool:
        return any(not kind.startswith("ignore") for kind, _ in self.kinds)


@dataclass(slots=True)
class _Line:
    index: int
    page: int
    row: int
    """Index among its page's lines."""
    line: TextLine
    text: str
    spans: list[tuple[int, int]]
    money: list[NumberMatch]
    rates: list[Decimal]
    groups: list[_Group]
    marks: set[str]
    em: float
    prose: bool
    cells: list[tuple[int, int, float, float]] = field(default_factory=list)
    """(start, end, x0, x1) of each cell of the layout text."""


def read_amounts(
    pages: Sequence[PageText],
    decimal_comma: bool | None,
    ocr_pages: frozenset[int] | set[int] = frozenset(),
    breakdown: Sequence[tuple[VatRate, int]] = (),
) -> AmountReading:
    """Every money amount of the pages with its features; breakdown holds the VAT breakdown's
    rows with the index of their line."""
    role_labels, mark_labels, _ = _vocabularies()
    lines: list[_Line] = []
    for page in pages:
        for row, line in enumerate(page.lines):
            lines.append(_read_line(len(lines), page.index, row, line, decimal_comma, role_labels, mark_labels))
    by_page: dict[int, list[_Line]] = {}
    for info in lines:
        by_page.setdefault(info.page, []).append(info)
    reverse_charge = any("reverse_charge" in info.marks for info in lines)
    paid = any("paid" in info.marks and not any(m.value for m in info.money) for info in lines)
    page_info = {page.index: _describe_page(page, by_page.get(page.index, [])) for page in pages}
    totals_pages = sorted(p for p, d in page_info.items() if d["totals"])
    explanatory = frozenset(p for p, d in page_info.items() if d["explanatory"])

    candidates: list[AmountCandidate] = []
    item_totals: list[Decimal] = []
    for page in pages:
        page_lines = by_page.get(page.index, [])
        described = page_info[page.index]
        zone = _zones(page_lines)
        if page.index not in explanatory:
            # An item row's last amount is its total (a rate is a percentage, not an amount).
            item_totals += [info.money[-1].value for info in page_lines
                            if zone.get(info.index) == "items" and info.money and not info.groups]
        on_page = []
        for info in page_lines:
            for m in info.money:
                c = _candidate(info, m, page, described, zone, page_lines, totals_pages, ocr_pages)
                # An unlabelled amount in a row of several amounts in the item table is an item's
                # price or total, never a total of the invoice: scoring the many of them would cost
                # time for nothing. A lone amount may be a total under a label not in the lexicon.
                if not (c.features["item_row"] and c.features["unlabelled"] and len(info.money) > 1):
                    on_page.append(c)
        _page_features(on_page, page_lines)
        candidates += on_page
    _arithmetic_features(candidates, lines, item_totals, breakdown)
    return AmountReading(candidates, reverse_charge, paid, explanatory)


def _read_line(
    index: int,
    page: int,
    row: int,
    line: TextLine,
    decimal_comma: bool | None,
    role_labels: tuple[Label, ...],
    mark_labels: tuple[Label, ...],
) -> _Line:
    """The line's money amounts, VAT-like rates, label groups, document marks and cells."""
    text, spans = line.layout()
    has_digits = _DIGIT_RE.search(text) is not None
    masked = blank_dates(text) if has_digits else text
    numbers = find_numbers(masked, decimal_comma) if has_digits else []
    money = [n for n in numbers if not n.is_percent and is_money(masked, n)]
    rates = sorted({n.value.normalize() + 0 for n in numbers if n.is_percent and 0 <= n.value <= MAX_RATE})
    matches = [(m.start, m.end, _kind(m), m.weight) for m in find_labels(text, TOTAL_LABELS)]
    matches += [(m.start, m.end, _kind(m), m.weight) for m in find_labels(text, AMOUNT_DUE_LABELS)]
    matches += [(m.start, m.end, m.kind, 1.0) for m in find_labels(text, role_labels)]
    matches.sort()
    groups: list[_Group] = []
    for start, end, kind, weight in matches:
        # Overlapping labels, or labels one space apart in one cell ("Subtotaal excl. btw"), are
        # one label: what it announces is all their kinds.
        if groups and (start < groups[-1].end or _SAME_LABEL_GAP_RE.fullmatch(text[groups[-1].end : start])):
            groups[-1].end = max(groups[-1].end, end)
            groups[-1].kinds.append((kind, weight))
        else:
            groups.append(_Group(start, end, [(kind, weight)]))
    marks = {m.kind for m in find_labels(text, mark_labels)} if _LETTERS_RE.search(text) else set()
    words = text.split()
    lettered = sum(1 for w in words if _LETTERS_RE.fullmatch(w.strip(".,:;()!?'\"")))
    prose = len(words) >= 7 and lettered >= 0.7 * len(words) and len(money) <= 2
    cells = []
    start = 0
    for part in text.split("  "):
        end = start + len(part)
        box = line.x_range(spans, start, end) if part.strip() else None
        if box is not None:
            cells.append((start, end, box[0], box[1]))
        start = end + 2
    return _Line(index, page, row, line, text, spans, money, rates, groups, marks, line.em, prose, cells)


def _kind(match) -> str:
    """The label's kind; for an 'ignore' label, what it announces instead when the lexicon says."""
    announces = getattr(match, "announces", None)
    return f"ignore_{announces}" if match.kind == "ignore" and announces else match.kind


def _describe_page(page: PageText, lines: list[_Line]) -> dict:
    """What a page is: whether it prints totals, how much of it is prose, whether its title
    announces explanation, its typical letter size and its extent."""
    totals = any(
        any(g.real() and any(k.startswith("total_") for k, _ in g.kinds) and g.end <= m.start for g in info.groups)
        for info in lines
        for m in info.money
    )
    prose = sum(info.prose for info in lines) / len(lines) if lines else 0.0
    title = any("explanatory" in info.marks for info in lines[:TITLE_LINES])
    ems = [info.em for info in lines]
    width = page.width or max((w.x1 for info in lines for w in info.line.words), default=1.0)
    height = page.height or max((w.bottom for info in lines for w in info.line.words), default=1.0)
    return {
        "totals": totals,
        "prose": prose,
        "title": title,
        "explanatory": (title or prose >= 0.3) and not totals,
        "em": statistics.median(ems) if ems else 1.0,
        "width": width or 1.0,
        "height": height or 1.0,
    }


def _zones(lines: list[_Line]) -> dict[int, str]:
    """'items' for the lines of the page's line-item table, 'below' for the lines after it; the
    table runs from a header of column labels to the first line that starts with a total label
    (not a subtotal carried to the next page). Lines without amounts right under the header are
    the rest of a header printed on several lines ('Price' over 'excl. VAT'): they end nothing."""
    zone: dict[int, str] = {}
    in_items = False
    seen_items = False
    in_header = False
    for info in lines:
        kinds = {m.kind for m in find_labels(info.text, COLUMN_LABELS)}
        if not info.money and len(kinds & _ITEM_HEADER_KINDS) >= 1 and len(kinds) >= 2:
            in_items = seen_items = in_header = True
            continue
        in_header = in_header and not info.money
        starts_with_total = any(
            g.start <= 2 and any(k.startswith("total_") or k == "amount_due" for k, _ in g.kinds) for g in info.groups
        )
        if in_items and starts_with_total and not in_header:
            in_items = False
        if in_items:
            zone[info.index] = "items"
        elif seen_items:
            zone[info.index] = "below"
    return zone


def _candidate(
    info: _Line,
    m: NumberMatch,
    page: PageText,
    described: dict,
    zone: dict[int, str],
    page_lines: list[_Line],
    totals_pages: list[int],
    ocr_pages,
) -> AmountCandidate:
    f: dict[str, float] = {}
    own = next((g for g in reversed(info.groups) if g.end <= m.start), None)
    own_kinds: list[str] = []
    if own is not None:
        between = info.text[own.end : m.start]
        f["own_same_cell"] = float("  " not in between.strip(" :"))
        f["own_far"] = float(any(own.end <= other.start < m.start for other in info.money))
        for kind, weight in own.kinds:
            own_kinds.append(kind)
            f[f"own:{kind}"] = 1.0
            f[f"own:{kind}@{weight:g}"] = 1.0
    box = info.line.x_range(info.spans, m.start, m.end) or (0.0, 0.0)
    above, above_prints_amount, above_rates = _header_above(info, box, page_lines)
    prefix = "above_with_amount" if above_prints_amount else "above"
    for kind, weight in above:
        f[f"{prefix}:{kind}"] = 1.0
        f[f"{prefix}:{kind}@{weight:g}"] = 1.0
    if _vocabularies()[2].search(info.text, 0, m.start):
        f["after_base_word"] = 1.0
    labelled = any(not k.startswith("ignore") for k in own_kinds + [k for k, _ in above])
    f["unlabelled"] = float(not labelled)

    where = zone.get(info.index)
    f["item_row"] = float(where == "items")
    # A row of a table the header of which was not recognised: words, then several amounts.
    described_first = bool(_LETTERS_RE.search(info.text[: info.money[0].start]))
    f["item_like_row"] = float(len(info.money) >= 2 and not info.groups and described_first)
    f["below_items"] = float(where == "below")
    f["no_item_table"] = float(not zone)
    width, height = described["width"], described["height"]
    f["x_right"] = min(box[1] / width, 1.0)
    f["right_half"] = float(box[0] > width / 2)
    f["y"] = min(info.line.top / height, 1.0)
    f["last_on_line"] = float(m is info.money[-1])
    f["amounts_on_line"] = min(len(info.money), 4) / 4
    em_ratio = info.em / described["em"] if described["em"] else 1.0
    f["font_large"] = float(em_ratio > 1.15)
    f["font_small"] = float(em_ratio < 0.87)
    f["negative"] = float(m.value < 0)
    f["zero"] = float(m.value == 0)
    f["has_decimals"] = float(m.has_decimals)
    f["rate_on_line"] = float(bool(info.rates))
    f["line_prose"] = float(info.prose)

    index = page.index
    f["page_first"] = float(index == 0)
    f["page_later"] = float(index > 0)
    f["page_prose"] = described["prose"]
    f["page_explanatory_title"] = float(described["title"])
    f["page_without_totals"] = float(not described["totals"])
    f["later_totals_page"] = float(any(p > index for p in totals_pages))
    f["earlier_totals_page"] = float(any(p < index for p in totals_pages))
    f["ocr"] = float(index in ocr_pages)
    explanatory = described["explanatory"] or info.prose
    for kind in own_kinds:
        if where == "below" or (not zone and not kind.startswith("ignore")):
            f[f"zone:{kind}"] = 1.0
        if where == "items":
            f[f"items:{kind}"] = 1.0
        if explanatory:
            f[f"explanatory:{kind}"] = 1.0
    rates = info.rates or above_rates
    rate = rates[0] if len(rates) == 1 else None
    return AmountCandidate(m.value, info.index, index, m.start, m.end, rate, box[1], f)


def _header_above(
    info: _Line, box: tuple[float, float], page_lines: list[_Line]
) -> tuple[list[tuple[str, float]], bool, list[Decimal]]:
    """The labels of the header cell over the amount, within HEADER_REACH_LINES lines (rows of
    amounts in between are passed over, as in a horizontal totals band), whether that cell prints
    an amount of its own ("TVA 20 % sur 100,00") and the VAT-like rates it prints."""
    x0, x1 = box[0] - info.em, box[1] + info.em
    for other in reversed(page_lines[max(0, info.row - HEADER_REACH_LINES) : info.row]):
        if info.line.top - other.line.top > (HEADER_REACH_LINES + 1) * 2.5 * info.em:
            break
        overlaps = [(min(c[3], x1) - max(c[2], x0), c) for c in other.cells if min(c[3], x1) > max(c[2], x0)]
        if not overlaps:
            continue
        start, end, _, _ = max(overlaps)[1]
        groups = [g for g in other.groups if start <= g.start < end]
        prints_amount = any(start <= n.start < end for n in other.money)
        if not groups:
            if prints_amount:
                continue  # a row of amounts: the header may be further up
            return [], False, []
        rates = [r for r in _rates_in(other.text[start:end]) if r <= MAX_RATE]
        return [k for g in groups for k in g.kinds], prints_amount, rates
    return [], False, []


def _rates_in(text: str) -> list[Decimal]:
    return sorted({n.value.normalize() + 0 for n in find_numbers(text) if n.is_percent and n.value >= 0})


def _page_features(candidates: list[AmountCandidate], page_lines: list[_Line]) -> None:
    """Features relative to the page's other amounts: 'wide_glyphs' for an amount printed wider
    per character than they usually are (bold), relative to its height; 'aligned_with_labelled',
    the share (of up to three) of other labelled amounts whose right edge is within a letter
    height of its own (a column of totals)."""
    labelled = [c for c in candidates if not c.features["unlabelled"]]
    for c in candidates:
        em = page_lines[c.line - page_lines[0].index].em
        aligned = sum(1 for o in labelled if o is not c and o.line != c.line and abs(o.x1 - c.x1) <= em)
        if aligned:
            c.features["aligned_with_labelled"] = min(aligned, 3) / 3
    widths = []
    for c in candidates:
        info = page_lines[c.line - page_lines[0].index]  # a page's lines are consecutive
        words = [w for w, (s, e) in zip(info.line.words, info.spans, strict=True) if s < c.end and c.start < e]
        chars = sum(len(w.text) for w in words)
        height = max((w.bottom - w.top for w in words), default=0.0)
        widths.append(sum(w.x1 - w.x0 for w in words) / (chars * height) if chars and height else 0.0)
    if len(widths) < 2:
        return
    typical = statistics.median(widths)
    for c, width in zip(candidates, widths, strict=True):
        c.features["wide_glyphs"] = float(width > 1.08 * typical)


def _arithmetic_features(
    candidates: list[AmountCandidate],
    lines: list[_Line],
    item_totals: Sequence[Decimal],
    breakdown: Sequence[tuple[VatRate, int]],
) -> None:
    """Features that relate an amount to others: base x rate on its line, the sum of the item
    rows' totals (less discounts, plus charges), a breakdown row's base or amount, the sum of two labelled
    amounts or a part of one, the largest labelled amount, repeated values."""
    by_line: dict[int, list[AmountCandidate]] = {}
    for c in candidates:
        by_line.setdefault(c.line, []).append(c)
    for line_index, group in by_line.items():
        rates = lines[line_index].rates
        if not rates:
            continue
        for c in group:
            for other in group:
                if other is c:
                    continue
                for rate in rates:
                    product = (abs(other.value) * rate / 100).quantize(CENT, ROUND_HALF_UP)
                    if rate and abs(product - abs(c.value)) <= CENT and abs(other.value) > abs(c.value):
                        c.features["rate_product"] = 1.0
                        other.features["rate_base"] = 1.0

    labelled = [c for c in candidates if not c.features["unlabelled"] and not c.features["item_row"]]
    for role in ("prepaid", "discount", "amount_due", "total_with_vat"):
        marked = [c for c in labelled if c.value and f"own:{role}" in c.features]
        for c in candidates:
            if any(m.page == c.page and m.line < c.line for m in marked):
                c.features[f"after_{role}"] = 1.0
            if any(m.page == c.page and m.line > c.line for m in marked):
                c.features[f"before_{role}"] = 1.0
    if item_totals:
        lines_sum = abs(sum(item_totals, Decimal(0)))
        discounts = sum((abs(c.value) for c in labelled if "own:discount" in c.features), Decimal(0))
        charges = sum((abs(c.value) for c in labelled if "own:charge" in c.features), Decimal(0))
        for c in candidates:
            if abs(c.value) == lines_sum:
                c.features["lines_sum"] = 1.0
            if (discounts or charges) and abs(c.value) == lines_sum - discounts + charges:
                c.features["lines_adjusted"] = 1.0
    for rate, line_index in breakdown:
        for c in by_line.get(line_index, []):
            if rate.amount is not None and abs(c.value) == abs(rate.amount):
                c.features["breakdown_amount"] = 1.0
            if rate.base is not None and abs(c.value) == abs(rate.base):
                c.features["breakdown_base"] = 1.0

    values = sorted({abs(c.value) for c in labelled if c.value})[-MAX_SUM_VALUES:]
    present = set(values)
    sums = {a + b for i, a in enumerate(values) for b in values[i + 1 :]}
    counts: dict[Decimal, int] = {}
    for c in labelled:
        counts[abs(c.value)] = counts.get(abs(c.value), 0) + 1
    largest = values[-1] if values else None
    for c in candidates:
        v = abs(c.value)
        if v in sums:
            c.features["sum_of_two"] = 1.0
        if v in present and any(b - v in present and b - v != v for b in values if b > v):
            c.features["part_of_sum"] = 1.0
        if largest is not None and v == largest:
            c.features["largest"] = 1.0
        if counts.get(v, 0) >= 2:
            c.features["repeated"] = 1.0
