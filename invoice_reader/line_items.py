"""Line items: the rows of the table between its header and the totals.

A header line ("Description  Qty  Unit price  Total") gives each column a kind and a
horizontal extent; each number of a row goes to the column it sits under. Rows end at
the first totals line ("Total HT", "Subtotal" lines inside the table are skipped) and
start again under a repeated header on the next page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .amounts import NumberMatch, blank_dates, currency_of_token, find_numbers
from .labels import COLUMN_LABELS, TOTAL_LABELS, find_labels
from .provenance import PageLines
from .result import LineItem
from .text_lines import TextLine
from .totals import is_money, money_amounts

_NUMERIC_KINDS = ("quantity", "unit_price", "vat_rate", "total", "discount", "position", "other")
_SUBTOTAL_RE = re.compile(r"^\s*(?:sub[-\s]?total|sous[-\s]?total|zwischensumme)", re.IGNORECASE)
_UNIT_RE = re.compile(
    r"^(?:pcs?|pce|pieces?|pi[èe]ces?|stk|st[üu]ck|st|units?|unit\(s\)|u|un|ea|each|x|lot|set|kg|g|t|l|liters?|"
    r"liter\(s\)|litres?|ml|m|m2|m²|m3|km|h|hrs?|hours?|heures?|std|days?|jours?|tage?|months?|mois|monate?)\.?$",
    re.IGNORECASE,
)
_SECTION_RE = re.compile(
    r"^\s*(?:(?:umsatz)?steueraufschl[üu]sselung|(?:vat|tax)\s*(?:breakdown|summary|analysis)|r[ée]capitulatif\s*(?:de\s*la\s*)?tva|"
    r"d[ée]tail\s*(?:de\s*la\s*)?tva|zahlungsbedingungen|payment\s*terms|conditions\s*de\s*(?:paiement|r[èe]glement)|"
    r"zu-\s*und\s*abschl[äa]ge|belegsummen|btw[-\s]*specificatie)\b",
    re.IGNORECASE,
)
_ADJUSTMENT_RE = re.compile(
    r"^\s*(?:remise|rabais|escompte|discount|rebate|rabatt|skonto|nachlass|korting|frais\s*de\s*port|shipping|"
    r"versandkosten|porto)\b",
    re.IGNORECASE,
)
_CARRIED_RE = re.compile(
    r"\b(?:carried\s*(?:forward|over)|brought\s*forward|balance\s*forward|[üu]bertrag|zwischen[üu]bertrag|"
    r"report\s*(?:[àa]\s*(?:reporter|nouveau)|de\s*(?:la\s*)?page)|[àa]\s*reporter|transport|"
    r"van\s*vorige\s*pagina|naar\s*volgende\s*pagina)\b|^\s*report\b",
    re.IGNORECASE,
)
MAX_ROW_GAP_LINES = 25
"""A table with no row for this many lines has ended (a page footer, terms and conditions)."""


@dataclass(frozen=True, slots=True)
class Column:
    kind: str
    x0: float
    x1: float


@dataclass(slots=True)
class _Row:
    designation: str
    text: str = ""
    """The row's layout text with dates blanked out."""
    values: dict[str, NumberMatch] = field(default_factory=dict)
    others: list[NumberMatch] = field(default_factory=list)
    unit: str | None = None
    first_line: int = 0
    """Index of the row's first line."""


def extract_line_items(
    lines: list[TextLine], decimal_comma: bool | None, where: PageLines | None = None
) -> list[LineItem]:
    """The line items of the tables in lines, in order; empty when no table header is found.
    With where (the same lines with their pages), each item gets the box of its row."""

    def finish(row: _Row, last_line: int) -> LineItem:
        item = _to_item(row)
        if where is not None:
            first, last = where.source(row.first_line, 0.8), where.source(last_line, 0.8)
            if first.page == last.page and first.box and last.box:
                first.box = (
                    min(first.box[0], last.box[0]),
                    first.box[1],
                    max(first.box[2], last.box[2]),
                    max(first.box[3], last.box[3]),
                )
            item.provenance = first
        return item

    items: list[LineItem] = []
    columns: list[Column] | None = None
    pending: _Row | None = None
    since_row = 0
    last_line = -2
    """Index of the last line that belongs to the last item."""
    for index, line in enumerate(lines):
        header = table_header(line)
        if header is not None:
            columns, pending, since_row = _with_neighbour_headings(header, lines, index), None, 0
            continue
        if columns is None:
            continue
        text = line.layout_text()
        if _CARRIED_RE.search(text):
            continue  # a carried-forward subtotal between pages: the table goes on
        if _ends_table(text, decimal_comma):
            if _SUBTOTAL_RE.match(text) and money_amounts(text, decimal_comma):
                continue  # a subtotal inside the table; the items go on
            columns = None
            continue
        row = _parse_row(line, columns, decimal_comma)
        if row is not None:
            row.first_line = index
        if row is not None and "total" in row.values and not is_money(row.text, row.values["total"]):
            del row.values["total"]
        if row is not None and _CARRIED_RE.search(row.text):
            continue  # a carried-forward subtotal between pages, not an item
        priced = row is not None and bool({"quantity", "unit_price"} & set(row.values))
        if row is not None and _ADJUSTMENT_RE.match(row.designation) and not priced:
            continue  # a discount or charge on the subtotal, not an item
        no_values = row is None or not row.values
        if items and last_line == index - 1 and no_values and _continues(line, lines[index - 1], columns):
            # The designation goes on under the row ("Consulting hours" / "as per quote Q-12").
            items[-1].designation = f"{items[-1].designation} {line.text}".strip()
            last_line = index
            continue
        if row is not None and row.designation and "total" in row.values:
            items.append(finish(row, index))
            pending, since_row, last_line = None, 0, index
        elif row is not None and row.designation and row.values:
            pending, since_row = row, 0  # its total may be printed on the next line
        elif row is not None and pending is not None and "total" in row.values:
            pending.values["total"] = row.values["total"]
            items.append(finish(pending, index))
            pending, since_row, last_line = None, 0, index
        else:
            since_row += 1
            if since_row > MAX_ROW_GAP_LINES:
                columns = None
    return items


def _description_zone(columns: list[Column]) -> tuple[float, float] | None:
    """From the numeric column left of the description heading to the one right of it."""
    description = next((c for c in columns if c.kind == "description"), None)
    if description is None:
        return None
    numeric = [c for c in columns if c.kind in _NUMERIC_KINDS]
    left = max((c.x1 for c in numeric if c.x1 <= description.x0), default=float("-inf"))
    right = min((c.x0 for c in numeric if c.x0 > description.x0), default=float("inf"))
    return left, right


def _continues(line: TextLine, previous: TextLine, columns: list[Column]) -> bool:
    """Whether the line carries on the designation of the row just above it: printed right
    under it, with every word inside the description column."""
    zone = _description_zone(columns)
    if zone is None or not line.words:
        return False
    gap = line.top - (previous.top + previous.height)
    if gap > 0.8 * line.em:
        return False
    return all(zone[0] <= word.x0 and word.x1 <= zone[1] for word in line.words)


def table_header(line: TextLine) -> list[Column] | None:
    """The columns, when the line is the header of a line-item table; else None."""
    text, spans = line.layout()
    labels = find_labels(text, COLUMN_LABELS)
    kinds = {label.kind for label in labels}
    numeric = kinds & {"quantity", "unit_price", "total"}
    if not numeric or ("description" not in kinds and len(numeric) < 2):
        return None
    covered = sum(label.end - label.start for label in labels)
    if covered < 0.5 * len(text.replace(" ", "")) or find_numbers(text):
        return None
    columns = [Column(label.kind, *box) for label in labels if (box := line.x_range(spans, label.start, label.end))]
    return _settle_duplicates(columns)


def _settle_duplicates(columns: list[Column]) -> list[Column]:
    """Keep one description, one total and one quantity column: the rightmost of each (the
    others become codes or unlabelled numbers); a second price column is the total when the
    table has no total column."""

    def rightmost(kind: str) -> Column | None:
        return max((c for c in columns if c.kind == kind), key=lambda c: c.x0, default=None)

    if rightmost("total") is None and sum(c.kind == "unit_price" for c in columns) > 1:
        price = rightmost("unit_price")
        columns = [Column("total", c.x0, c.x1) if c is price else c for c in columns]
    for kind, demoted in (("description", "code"), ("total", "other"), ("quantity", "other")):
        keep = rightmost(kind)
        columns = [Column(demoted, c.x0, c.x1) if c.kind == kind and c is not keep else c for c in columns]
    return sorted(columns, key=lambda c: c.x0)


def _with_neighbour_headings(columns: list[Column], lines: list[TextLine], index: int) -> list[Column]:
    """Add the column headings printed on the lines just above or below the header (a heading
    split over lines: "Prix" above, "unitaire" below), where they do not overlap a known column."""
    added = list(columns)
    for neighbour in (index - 2, index - 1, index + 1, index + 2):
        if not 0 <= neighbour < len(lines) or find_numbers(lines[neighbour].layout_text()):
            continue
        line = lines[neighbour]
        text, spans = line.layout()
        labels = find_labels(text, COLUMN_LABELS)
        if sum(m.end - m.start for m in labels) < 0.5 * len(text.replace(" ", "")):
            continue  # a line of text that happens to contain a heading word
        for label in labels:
            box = line.x_range(spans, label.start, label.end)
            if box is None or label.kind == "description":
                continue
            if all(box[1] < c.x0 or c.x1 < box[0] for c in added):
                added.append(Column(label.kind, *box))
    return _settle_duplicates(added) if len(added) > len(columns) else columns


def _ends_table(text: str, decimal_comma: bool | None) -> bool:
    """Whether the line closes the table: a total that starts the line and carries an amount
    ("Total HT 100,00") or an unmistakable one ("Factuur totaal 49,99"), the heading of the
    next section ("VAT breakdown", "Zahlungsbedingungen"), or another table's header.
    A note such as "Tax: 0.2%" inside a row does not end the table."""
    if _SECTION_RE.match(text):
        return True
    if not find_numbers(text):
        labels = find_labels(text, COLUMN_LABELS)
        if len(labels) >= 2 and sum(m.end - m.start for m in labels) >= 0.5 * len(text.replace(" ", "")):
            return True
    labels = [m for m in find_labels(text, TOTAL_LABELS) if m.kind != "ignore"]
    if len({m.kind for m in labels}) >= 2 and not money_amounts(text, decimal_comma):
        return True  # the heading row of a horizontal totals block ("Net  VAT 5%  Total")
    if not labels or not money_amounts(text, decimal_comma):
        return False
    first_cell = text.split("  ")[0]
    starts = labels[0].start < len(first_cell) and first_cell[: labels[0].start].strip() == ""
    return starts or any(m.weight >= 3 for m in labels)


def _parse_row(line: TextLine, columns: list[Column], decimal_comma: bool | None) -> _Row | None:
    """The row's description and numbers by column, or None when the line has no number."""
    text, spans = line.layout()
    masked = blank_dates(text)
    numbers = find_numbers(masked, decimal_comma)
    if not numbers:
        return None
    em = line.em
    description = next((c for c in columns if c.kind == "description"), None)
    numeric_columns = [c for c in columns if c.kind in _NUMERIC_KINDS]
    description_right = min(
        (c.x0 for c in numeric_columns if description and c.x0 > description.x0), default=float("inf")
    )
    row = _Row("", text=masked)
    taken_words: set[int] = set()
    for number in numbers:
        words = [i for i, (s, e) in enumerate(spans) if s < number.end and number.start < e]
        if not words:
            continue
        column = _column_under(_box(line, words), numeric_columns, em)
        # A currency printed beside the amount ("1 234,00 EUR", "USD 12.00") belongs to its
        # cell: it places the amount when the digits alone sit under no heading.
        if words[-1] + 1 < len(line.words) and currency_of_token(line.words[words[-1] + 1].text):
            words.append(words[-1] + 1)
        if words[0] > 0 and currency_of_token(line.words[words[0] - 1].text):
            words.insert(0, words[0] - 1)
        column = column or _column_under(_box(line, words), numeric_columns, em)
        if column is None:
            continue
        taken_words.update(words)
        _assign(row, column.kind, number)
        if column.kind == "quantity" and words:
            unit_index = max(words) + 1
            # "2 Heures de conseil" under "Qté  Description": the word opens the description.
            zone = _description_zone(columns)
            in_description = zone is not None and unit_index < len(line.words) and line.words[unit_index].x0 >= zone[0]
            if unit_index < len(line.words) and _UNIT_RE.match(line.words[unit_index].text) and not in_description:
                row.unit = line.words[unit_index].text
                taken_words.add(unit_index)
    if description is not None:
        # Headings may be centred over a left-aligned column: the description runs from the
        # column left of its heading to the column right of it.
        left = max((c.x1 for c in numeric_columns if c.x1 <= description.x0), default=float("-inf"))
        right = description_right - 0.3 * em
        kept = [w.text for i, w in enumerate(line.words) if i not in taken_words and left <= w.x0 < right]
    else:
        first = min(taken_words, default=len(line.words))
        kept = [w.text for w in line.words[:first]]
    if not any(c.kind == "total" for c in columns):
        _take_trailing_total(row, line, spans, numbers, numeric_columns, masked)
    designation = " ".join(kept).strip()
    row.designation = designation if len(re.findall(r"[^\W\d_]", designation)) >= 2 else ""
    _settle_quantity(row)
    return row


def _box(line: TextLine, words: list[int]) -> tuple[float, float]:
    return min(line.words[i].x0 for i in words), max(line.words[i].x1 for i in words)


def _take_trailing_total(
    row: _Row,
    line: TextLine,
    spans: list[tuple[int, int]],
    numbers: list[NumberMatch],
    columns: list[Column],
    text: str,
) -> None:
    """In a table whose header names no total column, the money amount printed right of every
    column is the line total (stylesheets print "Positionsbetrag" over two lines)."""
    if not numbers or not columns:
        return
    last = numbers[-1]
    box = line.x_range(spans, last.start, last.end)
    if box is not None and box[0] > max(c.x1 for c in columns) and not last.is_percent and is_money(text, last):
        row.values["total"] = last


def _column_under(box: tuple[float, float], columns: list[Column], em: float) -> Column | None:
    """The column whose heading overlaps the number most, allowing half an em on each side."""
    best, best_overlap = None, 0.0
    for column in columns:
        overlap = min(box[1], column.x1 + 0.5 * em) - max(box[0], column.x0 - 0.5 * em)
        if overlap > best_overlap:
            best, best_overlap = column, overlap
    return best


def _assign(row: _Row, kind: str, number: NumberMatch) -> None:
    """Record the number under its column's kind; percentages are VAT rates unless they sit
    under a discount heading."""
    if number.is_percent:
        current = row.values.get("vat_rate")
        if kind != "discount" and (current is None or not current.is_percent):
            row.values["vat_rate"] = number
        return
    if kind == "vat_rate":
        # A "Tax" column may hold the tax amount rather than the rate.
        if number.value <= 30 and "vat_rate" not in row.values:
            row.values["vat_rate"] = number
        return
    if kind in ("discount", "position"):
        return
    if kind == "other" or kind in row.values:
        row.others.append(number)
        return
    row.values[kind] = number


def _settle_quantity(row: _Row) -> None:
    """Take an unlabelled number as the quantity when quantity x unit price gives the total
    (a table that heads its quantity column "Amount")."""
    price, total = row.values.get("unit_price"), row.values.get("total")
    if "quantity" in row.values or price is None or total is None:
        return
    for other in row.others:
        if abs(other.value * price.value - total.value) <= Decimal("0.01"):
            row.values["quantity"] = other
            return


def _to_item(row: _Row) -> LineItem:
    def value(kind: str) -> Decimal | None:
        match = row.values.get(kind)
        return match.value if match is not None else None

    return LineItem(
        designation=row.designation,
        quantity=value("quantity"),
        unit=row.unit,
        unit_price=value("unit_price"),
        total_ht=value("total"),
        vat_rate=value("vat_rate"),
    )
