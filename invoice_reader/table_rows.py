"""The lines of a document read as table rows: their numbers (cells), the table headers above them
and the page context the line-item models need (invoice_reader/row_features.py describes each line
with it, invoice_reader/line_items.py decides).

Every number of a line becomes a cell: its value signed as printed (a leading or trailing minus,
brackets), its decimals, whether it is money, its box, and the header column above it. A header is
a line of column words: the column headings of labels.toml ([[columns]]) with those of
lexicon/table_headers.json. Per page: the column where most amounts end, and whether each amount
is the sum of the amounts above it (a subtotal, a carried-forward line). The totals and amount-due
labels of labels.toml and the row words of table_headers.json (carried forward, subtotal) say what
a line prints.
"""

from __future__ import annotations

import bisect
import json
import re
import statistics
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .amounts import blank_dates, currency_of_token, find_numbers
from .labels import AMOUNT_DUE_LABELS, COLUMN_LABELS, FIELD_LABELS, LEXICON, TOTAL_LABELS, find_labels, load_vocabulary
from .text_lines import TextLine

TABLE_LEXICON = Path(__file__).with_name("lexicon") / "table_headers.json"
CENT = Decimal("0.01")
NEAR_LINES = 4
"""How many lines above or below a row a line may be and still belong to it."""
_LETTER_RE = re.compile(r"[^\W\d_]")
_DIGIT_RE = re.compile(r"\d")
_TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_TIMES_RE = re.compile(r"^[x×*]$", re.IGNORECASE)
_CURRENCY_RE = re.compile(r"[€$£₹¥]|\b(?:EUR|USD|GBP|CHF|INR|PLN|Rs\.?)\b", re.IGNORECASE)


def _vocabularies():
    with LEXICON.open("rb") as f:
        patterns = tomllib.load(f).get("patterns", {})
    data = json.loads(TABLE_LEXICON.read_text(encoding="utf-8"))
    columns = COLUMN_LABELS + load_vocabulary({"patterns": patterns, "columns": data["columns"]}, "columns")
    rows = load_vocabulary({"patterns": patterns, "rows": data["rows"]}, "rows")
    adjustments = load_vocabulary({"patterns": patterns, "adjustments": data["adjustments"]}, "adjustments")
    return columns, rows, adjustments


COLUMN_WORDS, ROW_WORDS, ADJUSTMENT_WORDS = _vocabularies()
"""Column headings of line-item tables (labels.toml and table_headers.json), the words of rows that
are not items (carried forward, subtotal), and the words that open a row of a document-level
allowance or charge."""
COLUMN_KINDS = tuple(sorted({label.kind for label in COLUMN_WORDS}))
ITEM_COLUMNS = frozenset({"description", "quantity", "unit_price", "total"})


@dataclass(frozen=True, slots=True)
class Column:
    kind: str
    x0: float
    x1: float


@dataclass(slots=True)
class Header:
    """A line of column headings (with headings wrapped onto the lines next to it)."""

    index: int
    page: int
    columns: list[Column]

    def kinds(self) -> set[str]:
        return {c.kind for c in self.columns}

    def column_at(self, x0: float, x1: float, em: float) -> Column | None:
        """The column whose heading overlaps [x0, x1] most, half an em of slack on each side;
        else the nearest heading within two ems."""
        best, best_overlap = None, 0.0
        for column in self.columns:
            overlap = min(x1, column.x1 + 0.5 * em) - max(x0, column.x0 - 0.5 * em)
            if overlap > best_overlap:
                best, best_overlap = column, overlap
        if best is not None:
            return best
        distance, nearest = min(((max(column.x0 - x1, x0 - column.x1), column) for column in self.columns),
                                key=lambda pair: pair[0], default=(None, None))
        return nearest if distance is not None and distance <= 2 * em else None


@dataclass(slots=True)
class Cell:
    """A number printed on a line."""

    value: Decimal
    """Signed as printed: a leading minus, a trailing one ('1.234,56-') or brackets."""
    start: int
    end: int
    """Offsets in the line's layout text."""
    words: tuple[int, ...]
    """Indexes of the line's words that print it (with a currency next to it)."""
    x0: float
    x1: float
    percent: bool
    decimals: int
    money: bool
    currency: bool
    times_after: bool = False
    """An 'x' or '×' follows it ('3 x 23.56': the 3)."""
    times_before: bool = False
    column: str | None = None
    """The kind of the header column above it; None without a header or under none."""


@dataclass(slots=True)
class TableLine:
    """One line of the document with what the line-item models need to know about it."""

    index: int
    page: int
    line: TextLine
    text: str
    cells: list[Cell]
    letters: int
    """Letters of the words of two letters or more outside the cells (not an 'x' between numbers,
    not a one-letter tax code), less a unit printed after a quantity ('50 Stk', '3  hrs'): the
    letters of the line's own text."""
    words: int
    top: float
    bottom: float
    x0: float
    x1: float
    em: float
    dated: bool
    """It prints a date or a time of day."""
    kinds: frozenset[str] = frozenset()
    """Label words it prints: total_without_vat, total_vat, total_with_vat, amount_due, prepaid,
    discount (totals labels), carried, subtotal (table rows), allowance, charge (the words that open
    its text), field (an invoice field label), ignore (a label of something else: an id, a number)."""
    label_start: bool = False
    """A totals label opens the line."""
    header: Header | None = None
    """The header of the table it sits in: the last header above it, on its page or an earlier one."""
    is_header: bool = False

    @property
    def money(self) -> list[Cell]:
        return [c for c in self.cells if c.money]

    @property
    def rightmost_money(self) -> Cell | None:
        return next((c for c in reversed(self.cells) if c.money), None)


@dataclass(slots=True)
class TableReading:
    """The document's lines as table lines, with what each page looks like."""

    lines: list[TableLine]
    page_em: dict[int, float] = field(default_factory=dict)
    page_box: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)
    """(left, top, right, bottom) of the page's text."""
    aligned: dict[int, int] = field(default_factory=dict)
    """Line index -> how many other lines of its page end their rightmost amount where it does."""
    running_sum: dict[int, bool] = field(default_factory=dict)
    """Line index -> whether its rightmost amount is the sum of the amounts above it."""
    carried_over: dict[int, bool] = field(default_factory=dict)
    """Line index -> whether it is a page's last line with an amount, equal to the sum of the amounts
    above it, or the next page's first such line, with the same amount: the total carried forward
    and brought forward across a page break, with one item above it as with many."""
    after_totals: dict[int, bool] = field(default_factory=dict)
    """Line index -> whether a totals line was printed between its table's header and it."""
    amount_column: dict[int, float] = field(default_factory=dict)
    """Page -> where the most amounts of the page end (its right-hand column of amounts)."""
    first_header: dict[int, int] = field(default_factory=dict)
    """Page -> index of its first header line."""


def read_table(lines: list[TextLine], decimal_comma: bool | None, page_of: list[int] | None = None) -> TableReading:
    """The lines with their cells, headers and page context. page_of gives each line's page; without
    it, a line printed above the one before it starts a new page."""
    if page_of is None:
        page_of, page, previous_top = [], 0, None
        for line in lines:
            if previous_top is not None and line.top < previous_top - 1.0:
                page += 1
            page_of.append(page)
            previous_top = line.top
    table = [_read_line(i, page_of[i], line, decimal_comma) for i, line in enumerate(lines)]
    reading = TableReading(table)
    by_page: dict[int, list[TableLine]] = {}
    for info in table:
        by_page.setdefault(info.page, []).append(info)
    for page, members in by_page.items():
        reading.page_em[page] = statistics.median(m.em for m in members)
        reading.page_box[page] = (
            min(m.x0 for m in members), min(m.top for m in members),
            max(m.x1 for m in members), max(m.bottom for m in members),
        )
        _count_alignment(reading, members)
    _find_headers(table)
    for info in reversed(table):
        if info.is_header:
            reading.first_header[info.page] = info.index
    _running_sums(reading)
    return reading


MAX_UNIT_LETTERS = 4
"""A unit is short: 'Stk', 'pcs', 'hrs', 'mois', 'u.'; a longer word may be a designation."""


def _units_after_numbers(
    line: TextLine, text: str, spans: list[tuple[int, int]], cells: list[Cell], in_cells: set[int]
) -> set[int]:
    """Indexes of the words that are a unit after a quantity: a short word of letters that ends its cell,
    right after a number that is not the line's first ('2  50 Stk  7 %', '10  6  mois  53,68'; not the
    'Tape' of '1  Tape  4,50', whose 1 is a position). in_cells: the indexes of the cells' words."""
    ends = {cell.words[-1] for cell in cells[1:]}
    units = set()
    for i in range(1, len(line.words)):
        token = line.words[i].text.rstrip(".")
        if i in in_cells or i - 1 not in ends or not token.isalpha() or len(token) > MAX_UNIT_LETTERS:
            continue
        end = spans[i][1]
        if end >= len(text) or text[end : end + 2] == "  ":
            units.add(i)
    return units


def _read_line(index: int, page: int, line: TextLine, decimal_comma: bool | None) -> TableLine:
    text, spans = line.layout()
    digits = _DIGIT_RE.search(text) is not None
    masked = blank_dates(text) if digits else text
    cells = _cells(line, text, masked, spans, decimal_comma) if digits else []
    in_cells = {i for cell in cells for i in cell.words}
    not_text = in_cells | _units_after_numbers(line, text, spans, cells, in_cells)
    counts = [len(_LETTER_RE.findall(w.text)) if i not in not_text else 0 for i, w in enumerate(line.words)]
    letters = sum(n for n in counts if n >= 2)
    kinds: set[str] = set()
    label_start = False
    if letters:
        for match in find_labels(text, TOTAL_LABELS) + find_labels(text, AMOUNT_DUE_LABELS):
            if match.kind != "ignore":
                kinds.add(match.kind)
                label_start = label_start or text[: match.start].strip() == ""
        # A row's own label is its whole first cell ("Carried forward", "Übertrag von Seite 1"); the
        # same words in an item's description ("Transport sur palette", "Pallet transport") are not.
        kinds.update(m.kind for m in find_labels(text, ROW_WORDS) if _whole_first_cell(text, m.start, m.end))
        # 'Shipping', 'Remise 5 %', 'Energiezuschlag' opening the text: a charge or an allowance, or an
        # item whose designation begins so (the row model weighs it with the row's numbers).
        kinds.update(m.kind for m in find_labels(text, ADJUSTMENT_WORDS) if not _LETTER_RE.search(text[: m.start]))
        for match in find_labels(text, FIELD_LABELS):
            kinds.add("ignore" if match.kind == "ignore" else "field")
    words = line.words
    return TableLine(
        index, page, line, text, cells, letters, len(words), min(w.top for w in words), max(w.bottom for w in words),
        words[0].x0, max(w.x1 for w in words), line.em,
        dated=masked != text or bool(_TIME_RE.search(text)), kinds=frozenset(kinds), label_start=label_start,
    )


def _whole_first_cell(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins the line and nothing but digits and marks follow it in its cell."""
    return not text[:start].strip() and not _LETTER_RE.search(text[end:].split("  ")[0])


def _cells(line: TextLine, text: str, masked: str, spans, decimal_comma) -> list[Cell]:
    cells = []
    words = line.words
    starts = [s for s, _ in spans]
    for number in find_numbers(masked, decimal_comma):
        first = max(0, bisect.bisect_right(starts, number.start) - 1)
        covered = [i for i in range(first, bisect.bisect_left(starts, number.end)) if number.start < spans[i][1]]
        if not covered:
            continue
        value = number.value
        after = masked[number.end : number.end + 2]
        if value > 0 and after[:1] == "-" and not after[1:2].isalnum():
            value = -value  # '1.234,56-': accounting print of a negative amount
        decimals = 0
        if number.has_decimals:
            raw = masked[number.start : number.end].rstrip(" %")
            decimals = len(raw) - 1 - max(raw.rfind("."), raw.rfind(","))
        near = masked[max(0, number.start - 4) : number.end + 5]
        currency = bool(_CURRENCY_RE.search(near))
        first, last = covered[0], covered[-1]
        if last + 1 < len(words) and currency_of_token(words[last + 1].text):
            covered.append(last + 1)
        if first > 0 and currency_of_token(words[first - 1].text):
            covered.insert(0, first - 1)
        cells.append(Cell(
            value, number.start, number.end, tuple(covered),
            min(words[i].x0 for i in covered), max(words[i].x1 for i in covered),
            number.is_percent, decimals, (number.has_decimals or currency) and not number.is_percent, currency,
            times_after=last + 1 < len(words) and bool(_TIMES_RE.match(words[last + 1].text)),
            times_before=first > 0 and bool(_TIMES_RE.match(words[first - 1].text)),
        ))
    return cells


def _count_alignment(reading: TableReading, members: list[TableLine]) -> None:
    ends = [(m.index, m.rightmost_money.x1, m.em) for m in members if m.rightmost_money is not None]
    best = 0
    for index, x1, em in ends:
        count = reading.aligned[index] = sum(1 for other, x, _ in ends if other != index and abs(x - x1) <= 0.6 * em)
        if count > best:
            best, reading.amount_column[members[0].page] = count, x1


def _find_headers(table: list[TableLine]) -> None:
    """Mark the header lines and give every line the header of its table."""
    current: Header | None = None
    for position, info in enumerate(table):
        columns = header_columns(info)
        if columns is not None:
            columns = _with_wrapped_headings(columns, table, position)
            current = Header(info.index, info.page, columns)
            info.is_header = True
        info.header = current
        if current is not None:
            for cell in info.cells:
                column = current.column_at(cell.x0, cell.x1, info.em)
                cell.column = column.kind if column is not None else None


def header_columns(info: TableLine) -> list[Column] | None:
    """The columns when the line is a header of column words (two kinds or more, covering half of
    its characters, no digit); else None."""
    if info.cells or info.letters < 3 or _DIGIT_RE.search(info.text):
        return None
    text, spans = info.line.layout()
    labels = [m for m in find_labels(text, COLUMN_WORDS) if m.kind != "ignore"]
    if len({m.kind for m in labels}) < 2 or not ({m.kind for m in labels} & ITEM_COLUMNS):
        return None
    if sum(m.end - m.start for m in labels) < 0.5 * len(text.replace(" ", "")):
        return None
    merged: list[list] = []
    for m in labels:
        # Two headings of one kind in one cell are one heading ('Product / service').
        if merged and merged[-1][0] == m.kind and "  " not in text[merged[-1][2] : m.start]:
            merged[-1][2] = m.end
        else:
            merged.append([m.kind, m.start, m.end])
    return [Column(kind, *box) for kind, start, end in merged if (box := info.line.x_range(spans, start, end))]


def _with_wrapped_headings(columns: list[Column], table: list[TableLine], position: int) -> list[Column]:
    """Add the headings printed on the line just above or below (a heading wrapped over two lines)
    where they do not overlap a known column."""
    added = list(columns)
    header = table[position]
    for neighbour in (position - 1, position + 1):
        if not 0 <= neighbour < len(table):
            continue
        other = table[neighbour]
        if other.page != header.page or _DIGIT_RE.search(other.text) or abs(other.top - header.top) > 2.2 * header.em:
            continue
        text, spans = other.line.layout()
        labels = [m for m in find_labels(text, COLUMN_WORDS) if m.kind != "ignore"]
        if not labels or sum(m.end - m.start for m in labels) < 0.5 * len(text.replace(" ", "")):
            continue
        for m in labels:
            box = other.line.x_range(spans, m.start, m.end)
            if box is not None and all(box[1] < c.x0 or c.x1 < box[0] for c in added):
                added.append(Column(m.kind, *box))
    return sorted(added, key=lambda c: c.x0)


def _running_sums(reading: TableReading) -> None:
    """Whether each line's rightmost amount is the sum of the amounts of the lines above it (two or
    more, from the document's first header on), and whether a totals line came between its
    table's header and it. A line that is such a sum is not added in: a page's carried-forward
    line is not counted twice."""
    started = not any(info.is_header for info in reading.lines)
    total, terms, totals_seen = Decimal(0), 0, False
    sums_above: dict[int, bool] = {}
    for info in reading.lines:
        if info.is_header:
            started, totals_seen = True, False
        reading.after_totals[info.index] = totals_seen
        amount = info.rightmost_money
        if not started or amount is None:
            continue
        sums_above[info.index] = terms >= 1 and abs(abs(amount.value) - abs(total)) <= CENT
        if terms >= 2 and sums_above[info.index]:
            reading.running_sum[info.index] = True
        else:
            total += amount.value
            terms += 1
        if info.label_start and info.kinds & {"total_without_vat", "total_with_vat", "amount_due", "subtotal"}:
            totals_seen = True
    with_money = [info for info in reading.lines if info.index in sums_above]
    for last, first in zip(with_money, with_money[1:]):
        if (
            first.page != last.page
            and sums_above[last.index]
            and abs(abs(first.rightmost_money.value) - abs(last.rightmost_money.value)) <= CENT
        ):
            reading.carried_over[last.index] = reading.carried_over[first.index] = True
