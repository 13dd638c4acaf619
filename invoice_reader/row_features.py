"""The features the line-item models score, from a document read as table lines (table_rows.py).

Row features (the `line_row` model) describe a line with a money amount as a line-item row: how it
sits in a table (its rightmost amount aligned with the amounts of other lines and in the page's
column of amounts, its cells under the columns of a header, between the header and the totals),
what it says (total, subtotal, carried-forward and other label words; a date; how much of it is
text), how its numbers relate (quantity x unit price = amount, with a discount; the amount equal to
the sum of the amounts above it, or carried over a page break), and how it is set (indentation, font
size, gaps, its neighbours).

Attachment features (the `line_attach` model) describe a line next to a row as a part of it: a
designation's second line, a cell wrapped above and below the row's numbers, a detail line
'2 x 12.00'.
"""

from __future__ import annotations

import math
import re

from .table_rows import Cell, TableLine, TableReading

_LETTER_RE = re.compile(r"[^\W\d_]")
TOLERANCE = 0.0101
"""Rounding to the cent: quantity x unit price printed with more decimals still gives the amount."""




def _log_count(n: int, scale: int = 10) -> float:
    return min(1.0, math.log1p(n) / math.log1p(scale))


def products(cells: list[Cell]) -> tuple[bool, bool]:
    """(some a x b gives another cell's money amount c, some a x b x (1 - d %) or a x b - d gives c),
    a factor of 1 left out (1 x c = c only says that two amounts are equal)."""
    plain = discounted = False
    values = [(float(c.value), c) for c in cells if not c.percent and c.value != 1]
    rates = [float(c.value) for c in cells if (c.percent or c.column == "discount") and 0 < c.value < 100]
    for c_value, c in values:
        if not c.money:
            continue
        for i, (a_value, a) in enumerate(values):
            if a is c:
                continue
            for b_value, b in values[i + 1 :]:
                if b is c:
                    continue
                product = a_value * b_value
                if abs(product - c_value) <= TOLERANCE:
                    return True, discounted
                if not discounted:
                    discounted = any(abs(product * (1 - r / 100) - c_value) <= TOLERANCE for r in rates) or any(
                        d is not a and d is not b and d is not c and d.money and 0 < d_value < product
                        and abs(product - d_value - c_value) <= TOLERANCE
                        for d_value, d in values
                    )
    return plain, discounted


def row_features(reading: TableReading, index: int) -> dict[str, float]:
    """The features of the line as a line-item row (a line with a money amount)."""
    info = reading.lines[index]
    f: dict[str, float] = {}
    money = info.money
    amount = money[-1]
    page_em = reading.page_em[info.page]
    left, top, right, bottom = reading.page_box[info.page]
    width = max(1.0, right - left)
    f["r.money_1"] = float(len(money) == 1)
    f["r.money_2"] = float(len(money) == 2)
    f["r.money_3"] = float(len(money) >= 3)
    f["r.numbers"] = min(len(info.cells), 6) / 6
    f["r.percent"] = float(any(c.percent for c in info.cells))
    f["r.letters_0"] = float(info.letters == 0)
    f["r.letters_few"] = float(0 < info.letters < 4)
    f["r.text_share"] = info.letters / max(1, len(info.text.replace(" ", "")))
    f["r.words_many"] = float(info.words >= 12)
    f["r.aligned"] = _log_count(reading.aligned.get(index, 0))
    f["r.aligned_0"] = float(reading.aligned.get(index, 0) == 0)
    last_word = info.line.words[-1]
    f["r.amount_last"] = float(amount.x1 >= last_word.x1 - 0.5)
    f["r.amount_right"] = (amount.x1 - left) / width
    f["r.amount_left_half"] = float(amount.x1 - left < 0.5 * width)
    column = reading.amount_column.get(info.page)
    f["r.left_of_amount_column"] = float(column is not None and amount.x1 < column - info.em)
    f["r.currency"] = float(amount.currency)
    f["r.negative"] = float(amount.value < 0)
    f["r.zero"] = float(amount.value == 0)
    f["r.amount_alone"] = float(len(info.cells) == 1 and info.letters == 0)
    f["r.amount_max"] = float(abs(amount.value) >= max(abs(c.value) for c in money))
    f["r.dated"] = float(info.dated)
    f["r.colon"] = float(":" in info.text)
    f["r.times"] = float(any(c.times_after or c.times_before for c in info.cells))
    f["r.font_large"] = float(info.em > 1.15 * page_em)
    f["r.font_small"] = float(info.em < 0.88 * page_em)
    f["r.top_margin"] = float(info.top - top < 0.04 * (bottom - top))
    f["r.bottom_margin"] = float(bottom - info.bottom < 0.06 * (bottom - top))
    f["r.indent"] = min(1.0, max(0.0, (info.x0 - left) / width) * 3)
    for kind in info.kinds:
        f[f"r.word_{kind}"] = 1.0
    f["r.label_start"] = float(info.label_start)
    plain, discounted = products(info.cells)
    f["r.product"] = float(plain)
    f["r.equal_amounts"] = float(len({abs(c.value) for c in money}) < len(money))
    f["r.product_discounted"] = float(discounted and not plain)
    f["r.running_sum"] = float(reading.running_sum.get(index, False))
    f["r.carried_over"] = float(reading.carried_over.get(index, False))
    f["r.after_totals"] = float(reading.after_totals.get(index, False))
    header = info.header
    if header is None:
        f["r.no_header"] = 1.0
        f["r.header_below"] = float(reading.first_header.get(info.page, -1) > index)
    else:
        kinds = header.kinds()
        f["r.header_same_page"] = float(header.page == info.page)
        f["r.header_earlier_page"] = float(header.page != info.page)
        f["r.header_description"] = float("description" in kinds)
        f["r.header_quantity"] = float("quantity" in kinds)
        f["r.header_price"] = float("unit_price" in kinds)
        f["r.header_date"] = float("date" in kinds or "duration" in kinds)
        f["r.header_lines_below"] = _log_count(_lines_between(reading, header.index, index), 40)
        under = [c.column for c in info.cells]
        f["r.cells_under_columns"] = sum(1 for c in under if c is not None) / len(under)
        f["r.number_under_quantity"] = float(any(c.column == "quantity" and not c.percent for c in info.cells))
        f["r.money_under_price"] = float(any(c.column == "unit_price" and c.money for c in info.cells))
        # A table of quantities and prices where this row has neither: a discount, a charge, a total.
        f["r.no_item_numbers"] = float(
            bool(kinds & {"quantity", "unit_price"})
            and not f["r.number_under_quantity"] and not f["r.money_under_price"]
        )
        # ... opened by the word of an allowance or a charge: the document's discount, its shipping.
        f["r.adjustment_no_item_numbers"] = float(bool(f["r.no_item_numbers"] and info.kinds & {"allowance", "charge"}))
        text_columns = _text_columns(info, header)
        f["r.text_under_description"] = float("description" in text_columns)
        f["r.text_under_other"] = float(bool(text_columns - {"description"}))
        f["r.amount_under_total"] = float(amount.column == "total")
        f["r.amount_under_price"] = float(amount.column == "unit_price")
        f["r.amount_under_other"] = float(amount.column not in (None, "total", "unit_price", "gross"))
        f["r.amount_under_gross"] = float(amount.column == "gross")
        f["r.amount_under_none"] = float(amount.column is None)
        f["r.amount_right_of_header"] = float(amount.x0 > max(c.x1 for c in header.columns) + info.em)
        f["r.left_of_header"] = float(info.x1 < min(c.x0 for c in header.columns) - info.em)
    above, below = _neighbour(reading, index, -1), _neighbour(reading, index, 1)
    for side, other in (("above", above), ("below", below)):
        if other is None:
            f[f"r.{side}_none"] = 1.0
            continue
        gap = (info.top - other.bottom) if side == "above" else (other.top - info.bottom)
        f[f"r.{side}_overlaps"] = float(gap < 0)
        f[f"r.{side}_gap"] = min(3.0, max(0.0, gap / info.em)) / 3
        f[f"r.{side}_text_only"] = float(not other.cells and other.letters >= 2)
        f[f"r.{side}_money"] = float(bool(other.money))
        end = other.rightmost_money
        f[f"r.{side}_aligned"] = float(end is not None and abs(end.x1 - amount.x1) <= 0.6 * info.em)
        alone = len(other.cells) == 1 and bool(other.money) and other.letters == 0
        f[f"r.{side}_amount_alone"] = float(alone and gap < info.em)
    if info.letters == 0:
        neighbours = [o for o in (above, below) if o is not None and _gap(info, o) < 0.6 * info.em]
        f["r.no_text_text_around"] = float(any(not o.cells and o.letters >= 2 for o in neighbours))
        f["r.product_with_neighbour"] = float(any(products(info.cells + o.cells)[0] for o in neighbours))
    if info.kinds & {"total_without_vat", "total_vat", "total_with_vat", "amount_due"}:
        f["r.total_word_no_product"] = float(not plain)
    return f


def _text_columns(info: TableLine, header) -> set[str]:
    """The kinds of the header columns above the line's words with letters ('none' where none is)."""
    in_cells = {i for c in info.cells for i in c.words}
    kinds = set()
    for i, word in enumerate(info.line.words):
        if i not in in_cells and len(_LETTER_RE.findall(word.text)) >= 2:
            column = header.column_at(word.x0, word.x1, info.em)
            kinds.add(column.kind if column is not None else "none")
    return kinds


def _gap(a: TableLine, b: TableLine) -> float:
    return b.top - a.bottom if b.top >= a.top else a.top - b.bottom


def _neighbour(reading: TableReading, index: int, step: int) -> TableLine | None:
    other = index + step
    if 0 <= other < len(reading.lines) and reading.lines[other].page == reading.lines[index].page:
        return reading.lines[other]
    return None


def _lines_between(reading: TableReading, first: int, last: int) -> int:
    return max(0, last - first - 1)


def attach_features(reading: TableReading, index: int, anchor: int, members: list[int]) -> dict[str, float]:
    """The features of line index belonging to the row of anchor line, whose row already holds
    members (the anchor and the lines attached between it and this one)."""
    info, row = reading.lines[index], reading.lines[anchor]
    below = index > anchor
    nearest = reading.lines[max(members) if below else min(members)]
    gap = info.top - nearest.bottom if below else nearest.top - info.bottom
    f: dict[str, float] = {}
    f["a.below"] = float(below)
    f["a.above"] = float(not below)
    f["a.next_to_anchor"] = float(len(members) == 1)
    f["a.overlaps"] = float(gap < 0)
    f["a.overlaps_anchor"] = float(info.top < row.bottom and row.top < info.top + info.line.height)
    f["a.gap"] = min(3.0, max(0.0, gap / row.em)) / 3
    f["a.gap_small"] = float(0 <= gap < 0.5 * row.em)
    other_side = _neighbour(reading, index, 1 if below else -1)
    if other_side is None:
        f["a.end"] = 1.0
    else:
        other_gap = other_side.top - info.bottom if below else info.top - other_side.bottom
        f["a.closer_here"] = float(gap < other_gap - 0.1 * row.em)
        f["a.closer_there"] = float(other_gap < gap - 0.1 * row.em)
        f["a.there_money"] = float(bool(other_side.money))
        f["a.there_text_only"] = float(not other_side.cells and other_side.letters >= 2)
        f["a.there_letters_0"] = float(bool(other_side.money) and other_side.letters == 0)
        # Which way a line between two rows goes depends on which of them lacks a designation.
        f[f"a.there_letters_0_{'below' if below else 'above'}"] = f["a.there_letters_0"]
        # A code stacked between a designation's lines: text goes on after it.
        f[f"a.letters_0_text_there_{'below' if below else 'above'}"] = float(
            info.letters == 0 and not info.money and f["a.there_text_only"] > 0
        )
    f["a.font_ratio"] = min(1.5, info.em / row.em) - 1
    f["a.font_smaller"] = float(info.em < 0.92 * row.em)
    text_x0 = _text_x0(row)
    f["a.x0_aligned"] = float(abs(info.x0 - text_x0) <= 0.6 * row.em)
    f["a.x0_indented"] = float(info.x0 - text_x0 > 0.6 * row.em)
    f["a.x0_outdented"] = float(text_x0 - info.x0 > 0.6 * row.em)
    first_value = min((c.x0 for c in row.cells if not in_text(row, c)), default=row.x1)
    f["a.reaches_values"] = float(info.x1 > first_value - 0.3 * row.em and bool(info.letters))
    f["a.cells"] = min(len(info.cells), 3) / 3
    f["a.money"] = float(bool(info.money))
    f["a.times"] = float(any(c.times_after or c.times_before for c in info.cells))
    f["a.percent"] = float(any(c.percent for c in info.cells))
    f["a.letters_0"] = float(info.letters == 0)
    f["a.words_many"] = float(info.words >= 9)
    f["a.row_letters_0"] = float(row.letters == 0)
    f[f"a.row_letters_0_{'below' if below else 'above'}"] = f["a.row_letters_0"]
    # A row without text so far (is_bare), whose other side is a header or the page's edge, can
    # find its designation on this side only.
    behind = _neighbour(reading, anchor, -1 if below else 1)
    f["a.row_bare_behind"] = float(
        all(is_bare(reading.lines[m]) for m in members) and (behind is None or behind.is_header)
    )
    # Whether the table under the row's header prints a row's numbers before its text or after.
    order = table_order(reading, anchor)
    if order is not None:
        f[f"a.table_{order}_{'below' if below else 'above'}"] = 1.0
    f["a.row_letters_few"] = float(0 < row.letters < 4)
    f["a.header"] = float(info.is_header)
    f["a.colon"] = float(info.text.rstrip().endswith(":"))
    f["a.dated"] = float(info.dated)
    for kind in info.kinds:
        f[f"a.word_{kind}"] = 1.0
    if info.money and row.money:
        f["a.product_together"] = float(products(row.cells + info.cells)[0] and not products(row.cells)[0])
    return f


def is_bare(info: TableLine) -> bool:
    """Whether the line has no word of text, at most a code's few letters ('C51339', 'DBJ-5114')."""
    return info.letters < 4


def table_order(reading: TableReading, anchor: int) -> str | None:
    """'numbers_first' when the first line under the anchor's table header is numbers without text (is_bare),
    'text_first' when it is text and the line after it has the numbers; None otherwise, and where the
    anchor's header is on an earlier page or there is none."""
    header = reading.lines[anchor].header
    if header is None or header.page != reading.lines[anchor].page:
        return None
    first = reading.lines[header.index + 1]
    if first.money and is_bare(first):
        return "numbers_first"
    following = _neighbour(reading, header.index + 1, 1)
    if not first.money and not is_bare(first) and following is not None and following.money:
        return "text_first"
    return None


def _text_x0(info: TableLine) -> float:
    """Where the line's first word with letters starts."""
    for word in info.line.words:
        if _LETTER_RE.search(word.text):
            return word.x0
    return info.x0


def in_text(info: TableLine, cell: Cell) -> bool:
    """Whether the cell sits among words with letters on both sides (a number of the designation)."""
    words = info.line.words
    first, last = cell.words[0], cell.words[-1]
    if first == 0 or last + 1 >= len(words):
        return False
    before, after = words[first - 1], words[last + 1]
    left = _LETTER_RE.search(before.text) and words[first].x0 - before.x1 < info.em
    right = _LETTER_RE.search(after.text) and after.x0 - words[last].x1 < info.em
    return bool(left and right)
