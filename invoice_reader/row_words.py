"""Which words of a line-item row make its designation, scored by the `line_word` model.

Once a row's numbers have their roles (invoice_reader/cell_roles.py), each other word of the row's
lines gets a probability of belonging to the designation from its features: the header column
above it (description, article number, unit, period...) and whether it lies in the description
column's span, where it sits against the row's values (left of them, between them, right of the
total, right after the quantity), how it is printed (letters, digits, a code such as 'AB-1234',
capitals, a label ending in ':', brackets, smaller type than the row), which line of the row it
is on, and whether it shares a table cell with a value ('EUR 8,61', '2 Stk'). Numbers are decided
by the role model (role text); a value's own words, and an 'x' between two values, never are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .table_rows import TableLine, TableReading

WORD_MODEL = "line_word"
VALUE_ROLES = ("total", "quantity", "unit_price", "discount", "vat_rate")
_LETTERS_RE = re.compile(r"[^\W\d_]")
_DIGIT_RE = re.compile(r"\d")
_TIMES_RE = re.compile(r"^[x×*]$", re.IGNORECASE)


@dataclass(slots=True)
class RowWord:
    line: TableLine
    index: int
    """The word's index on its line."""
    features: dict[str, float]

    @property
    def text(self) -> str:
        return self.line.line.words[self.index].text


@dataclass(slots=True)
class Value:
    """A number of the row with its role ('text' for a number of the designation, None for one
    with no role: a position number, an item code, a tax amount)."""

    line: TableLine
    words: tuple[int, ...]
    x0: float
    x1: float
    role: str | None


def row_words(reading: TableReading, members: list[int], anchor: int, values: list[Value]) -> list[RowWord]:
    """The candidate words of the row (every word that prints no number), with their features."""
    row = reading.lines[anchor]
    taken: dict[int, set[int]] = {i: set() for i in members}
    for value in values:
        taken[value.line.index].update(value.words)
        words = value.line.line.words
        for neighbour in (value.words[0] - 1, value.words[-1] + 1):
            if 0 <= neighbour < len(words) and _TIMES_RE.match(words[neighbour].text):
                taken[value.line.index].add(neighbour)
    placed = [v for v in values if v.role in VALUE_ROLES]
    total = next((v for v in placed if v.role == "total"), None)
    price = next((v for v in placed if v.role == "unit_price"), None)
    after_quantity = {(v.line.index, v.words[-1] + 1) for v in placed if v.role == "quantity"}
    first_value = min((v.x0 for v in placed if v.line is row), default=row.x1)
    header = row.header
    zone = description_zone(row)
    found = []
    for i in members:
        info = reading.lines[i]
        text, spans = info.line.layout()
        cells = _layout_cells(text, spans)
        valued_cells = {cells[w] for w in taken[i] if w < len(cells)}
        mine = [v for v in placed if v.line is info]
        for w, word in enumerate(info.line.words):
            if w in taken[i]:
                continue
            f: dict[str, float] = {}
            token = word.text
            letters = len(_LETTERS_RE.findall(token))
            digits = bool(_DIGIT_RE.search(token))
            f["letters"] = float(letters >= 2)
            f["one_letter"] = float(letters == 1 and not digits)
            f["no_letters"] = float(letters == 0)
            f["code"] = float(digits and (letters > 0 or bool(re.search(r"\d[-/.]\d|[-/]", token))))
            f["upper"] = float(letters >= 2 and token.isupper())
            f["colon"] = float(token.endswith(":"))
            f["after_colon"] = float(w > 0 and info.line.words[w - 1].text.endswith(":"))
            f["bracket"] = float(token[:1] in "([" or token[-1:] in ")]")
            f["font_small"] = float(word.bottom - word.top < 0.9 * row.em)
            f["on_anchor"] = float(i == anchor)
            f["above"] = float(i < anchor)
            f["below"] = float(i > anchor)
            f["first_word"] = float(w == 0)
            f["first_cell"] = float(cells[w] == 0)
            f["cell_with_value"] = float(cells[w] in valued_cells)
            f["after_quantity"] = float((i, w) in after_quantity)
            f["right_of_total"] = float(total is not None and word.x0 >= total.x0 - 0.5)
            f["right_of_price"] = float(price is not None and word.x0 >= price.x0 - 0.5)
            f["left_of_values"] = float(word.x1 <= first_value + 0.5)
            f["between_values"] = float(any(v.x1 <= word.x0 for v in mine) and any(v.x0 >= word.x1 for v in mine))
            f["line_text_only"] = float(not info.cells)
            if header is None:
                f["no_header"] = 1.0
            else:
                column = header.column_at(word.x0, word.x1, info.em)
                f[f"col_{column.kind if column else 'none'}"] = 1.0
            if zone is not None:
                f["in_zone"] = float(zone[0] - 0.3 * info.em <= word.x0 < zone[1])
                f["out_of_zone"] = 1.0 - f["in_zone"]
            found.append(RowWord(info, w, f))
    return found


def description_zone(info: TableLine) -> tuple[float, float] | None:
    """From the column left of the header's description heading to the column right of it; None
    without a header that names a description. ('Article  Designation': the last one.)"""
    header = info.header
    if header is None:
        return None
    descriptions = [c for c in header.columns if c.kind == "description"]
    if not descriptions:
        return None
    description = descriptions[-1]
    others = [c for c in header.columns if c is not description]
    left = max((c.x1 for c in others if c.x1 <= description.x0), default=float("-inf"))
    right = min((c.x0 for c in others if c.x0 > description.x0), default=float("inf"))
    return left, right


def _layout_cells(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """For each word, the index of its table cell on the line (cells are split by wide gaps)."""
    out, cell, previous_end = [], 0, None
    for start, end in spans:
        if previous_end is not None and text[previous_end:start] == "  ":
            cell += 1
        out.append(cell)
        previous_end = end
    return out
