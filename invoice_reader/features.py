"""What a candidate value looks like and where it sits: the features the field models score.

Each candidate (candidates.py) is described by a dict of named numbers:
- labels: the label of the lexicon nearest on its left on the same line (`left:<field>`), in the
  same cell (`cell:<field>`), right before it with only punctuation between (`next:<field>`),
  heading its column on a line above (`above:<field>`, `above1:` on the line right above), wrapped
  around it in a narrow column ("Date" / value / "d'échéance": `wrap:<field>`; over two lines above:
  `above_wrap:<field>`), right under it (`below1:<field>`), within three lines around
  (`near:<field>`), and the field of the nearest of these (`nearest:<field>`);
  a label's value is (1 + weight) / 4, so a title word counts less than "Invoice No". Fields are
  the labels' `field` (an 'ignore' label names what it announces: customer_number, purchase_order...),
  so a customer-number label next to a token counts against the invoice number.
- zone: page (`page_first`), third of the page (`y_top`, `y_mid`, `y_bottom`), header and footer
  bands, right half, printed on several pages at the same place (`same_place_pages`, a footer).
- font: the words' height against the page's median (`font_rel`, `font_big`, `font_small`).
- shape (numbers): length, digit share, letters, separators, looks like a year, phone number,
  postcode, IBAN, an amount's integer part.
- line: cells, amounts on it (a table row), a title line with an invoice word.
- rules: whether the older rule finders chose this value (`rule:<field>`), one feature among many.
- agreement (dates): before the due date / after the issue date the rules read (or, when they read
  none, the earliest date at the top of the first page), a usual payment term away from it, the
  issue date plus the printed term or not (`term_mismatch`), a later date no due-date label names,
  near the invoice number, earliest/latest, a year apart from the others.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import date

from .candidates import Candidate, normalise_id
from .label_values import Cell, LabelledLine, cells, ends_cell, starts_cell
from .labels import FIELD_LABELS, find_labels
from .provenance import PageLines
from .text_lines import PageText

NEAR_LINES = 3
"""Lines above and below searched for context labels."""
ABOVE_LINES = 4
"""Lines above searched for a column heading."""
COMMON_TERMS_DAYS = frozenset({7, 8, 10, 14, 15, 20, 21, 28, 30, 31, 45, 60, 90})
_PUNCTUATION_RE = re.compile(r"^[\s:#.°º\-–=|/]*$")
_MONEY_WORD_RE = re.compile(r"^[-(]?[$€£]?\d{1,3}(?:[.,\s'’]\d{3})*[.,]\d{2}\)?[€$£]?$")
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{4,}$")
_PREFIX_RE = re.compile(r"^[A-Za-z]{1,6}[-/_.]?\d")
_INVOICE_TITLE_FIELD = "invoice_number"


class DocumentLayout:
    """Per-document facts the features of every candidate share: the labels of each line with
    their horizontal extent, the pages' sizes and median word height."""

    def __init__(self, pages: list[PageText], where: PageLines, labelled: list[LabelledLine]):
        self.where = where
        self.labelled = labelled
        self.size = {page.index: (page.width or 1.0, page.height or 1.0) for page in pages}
        self.median_height = {}
        for page in pages:
            heights = [w.height for line in page.lines for w in line.words if w.height > 0]
            self.median_height[page.index] = statistics.median(heights) if heights else 1.0
        self.labels: list[list[tuple[str, float, int, int, float, float, bool]]] = []
        for item in labelled:
            found = []
            for m in item.labels:
                box = item.line.x_range(item.spans, m.start, m.end)
                if box is not None:
                    found.append((m.field, m.weight, m.start, m.end, box[0], box[1], ends_cell(item, m)))
            self.labels.append(found)
        self.cells = [len([c for c in item.text.split("  ") if c.strip()]) for item in labelled]
        self.money = [any(_MONEY_WORD_RE.match(w.text) for w in item.line.words) for item in labelled]
        self._cells: dict[int, list[Cell]] = {}
        self.page_of = where.page_of
        self.tops = [line.top for line in where.lines]
        self.bottoms = [max(w.bottom for w in line.words) for line in where.lines]
        self.title = [
            any(m.field == _INVOICE_TITLE_FIELD and m.weight <= 1 and starts_cell(item, m) for m in item.labels)
            for item in labelled
        ]

    def page(self, line: int) -> int:
        return self.page_of[line]

    def cells_of(self, line: int) -> list[Cell]:
        found = self._cells.get(line)
        if found is None:
            found = self._cells[line] = cells(self.where.lines[line])
        return found

    def cell_over(self, line: int, x0: float, x1: float) -> Cell | None:
        """The cell of line that overlaps x0..x1 most, or None."""
        best, overlap = None, 0.0
        for cell in self.cells_of(line):
            shared = min(cell.x1, x1) - max(cell.x0, x0)
            if shared > overlap:
                best, overlap = cell, shared
        return best


_AROUND = ("wrap", "left_wrap", "down_wrap", "up_wrap")
"""Wrapped-label features whose label flanks the value on its own line or the lines next to it."""


def _weight(weight: float) -> float:
    return (1.0 + weight) / 4.0


def label_features(c: Candidate, layout: DocumentLayout) -> dict[str, float]:
    """The labels around the candidate: left on its line, above in its column, near it."""
    f: dict[str, float] = {}
    item = layout.labelled[c.line]
    em = max(c.bottom - c.top, 1.0)
    nearest: tuple[float, str] | None = None
    left = [lab for lab in layout.labels[c.line] if lab[3] <= c.start]
    if left:
        field, weight, start, end, x0, x1, _ = max(left, key=lambda lab: lab[3])
        between = item.text[end : c.start]
        w = _weight(weight)
        f[f"left:{field}"] = w
        if "  " not in between:
            f[f"cell:{field}"] = w
        if _PUNCTUATION_RE.match(between):
            f[f"next:{field}"] = w
        f["left_gap_words"] = min(len([t for t in between.split() if not _PUNCTUATION_RE.match(t)]), 5) / 5
        nearest = (max(0.0, c.x0 - x1) / em, field)
    page_of = layout.page_of
    page = page_of[c.line]
    used_above = False
    for index in range(c.line - 1, max(-1, c.line - 1 - ABOVE_LINES), -1):
        if page_of[index] != page or used_above:
            break
        gap = (c.top - layout.bottoms[index]) / em
        if gap > ABOVE_LINES * 2.5:
            break
        for field, weight, start, end, x0, x1, heading in layout.labels[index]:
            if heading and min(x1, c.x1 + em) - max(x0, c.x0 - em) > 0:
                w = _weight(weight)
                f[f"above:{field}"] = w
                if index == c.line - 1:
                    f[f"above1:{field}"] = w
                f["above_gap_lines"] = (c.line - index) / ABOVE_LINES
                distance = max(gap, 0.0)
                if nearest is None or distance < nearest[0]:
                    nearest = (distance, field)
                used_above = True
                break
    wrapped = wrapped_label_features(c, layout)
    f.update(wrapped)
    # A label wrapped around the value is beside it: the nearest label, before one further left or above.
    around = [(value, key.split(":", 1)[1]) for key, value in wrapped.items() if key.split(":", 1)[0] in _AROUND]
    if around:
        nearest = (0.0, max(around)[1])
    for index in range(max(0, c.line - NEAR_LINES), min(len(layout.labels), c.line + NEAR_LINES + 1)):
        if page_of[index] != page:
            continue
        for field, *_ in layout.labels[index]:
            f[f"near:{field}"] = 1.0
    if nearest is None:
        f["no_label"] = 1.0
    else:
        f[f"nearest:{nearest[1]}"] = 1.0
    return f


def wrapped_label_features(c: Candidate, layout: DocumentLayout) -> dict[str, float]:
    """A label printed in a narrow column wraps around its value ("Date" / 8 February / "due"):
    the cells above and below the candidate, read as one text, hold a label across both
    (`wrap:<field>`); a label right under the value in its column is `below1:<field>`."""
    f: dict[str, float] = {}
    page = layout.page_of[c.line]
    em = max(c.bottom - c.top, 1.0)
    above = below = None
    if c.line > 0 and layout.page_of[c.line - 1] == page and c.top - layout.bottoms[c.line - 1] < 2 * em:
        above = layout.cell_over(c.line - 1, c.x0 - em, c.x1 + em)
    if c.line + 1 < len(layout.labels) and layout.page_of[c.line + 1] == page:
        if layout.tops[c.line + 1] - c.bottom < 2 * em:
            below = layout.cell_over(c.line + 1, c.x0 - em, c.x1 + em)
            for field, weight, start, end, x0, x1, _ in layout.labels[c.line + 1]:
                if min(x1, c.x1 + em) - max(x0, c.x0 - em) > 0:
                    f[f"below1:{field}"] = _weight(weight)
    if above is not None and c.line > 1 and layout.page_of[c.line - 2] == page and _label_like(above.text):
        higher = layout.cell_over(c.line - 2, above.x0, above.x1)
        if higher is not None and _label_like(higher.text):
            f.update(_labels_across("above_wrap", higher.text, above.text))
    if above is not None and below is not None and _label_like(above.text) and _label_like(below.text):
        f.update(_labels_across("wrap", above.text, below.text))
    # The label column left of the value: its cell on the value's line, and on the lines right above and
    # below when they are on the same page and no more than 1.5 em away (with how far, negative on overlap).
    x = c.x0 - 0.5 * em
    own = _cell_left_of(layout, c.line, x)
    near = {}
    for line in (c.line - 1, c.line + 1):
        if 0 <= line < len(layout.labels) and layout.page_of[line] == page:
            gap = layout.tops[line] - c.bottom if line > c.line else c.top - layout.bottoms[line]
            if gap <= 1.5 * em:
                near[line] = (gap, _cell_left_of(layout, line, x))
    over, under = near.get(c.line - 1), near.get(c.line + 1)
    if over is not None and under is not None and abs(over[0]) <= 1.5 * em and abs(under[0]) <= 1.5 * em:
        f.update(_left_wrap_features(own, over[1], under[1]))
    if under is not None:
        # "Bon de" [value] / "commande:", the cells of a table top-aligned.
        f.update(_label_over_two_lines(own, under[1], "down_wrap"))
    if over is not None:
        # "Date de" / "facture" [value], the cells of a table bottom-aligned.
        f.update(_label_over_two_lines(over[1], own, "up_wrap"))
    return f


def _label_over_two_lines(top: Cell | None, bottom: Cell | None, kind: str) -> dict[str, float]:
    """A label that begins in the label column's cell top and ends in the cell under it, one of them level
    with the value (`down_wrap:<field>` when the label begins on the value's line and wraps below it,
    `up_wrap:<field>` when it begins on the line above and ends on the value's)."""
    if top is None or bottom is None or not _label_like(top.text) or not _label_like(bottom.text):
        return {}
    if min(top.x1, bottom.x1) <= max(top.x0, bottom.x0):
        return {}
    return _labels_across(kind, top.text, bottom.text)


def _left_wrap_features(own: Cell | None, over: Cell | None, under: Cell | None) -> dict[str, float]:
    """A label wrapped over two or three lines in the column left of the value, the value level with its
    middle ("N° de" / [value] / "facture", "Account" / "number" [value] / ...): the label column's cells on
    the lines above (over), at (own) and below (under) the value, read as one text, hold a label across them
    (`left_wrap:<field>`)."""
    column = (own.x0, own.x1) if own is not None else None
    for cell in (over, under):
        if cell is None or not _label_like(cell.text):
            return {}
        if column and min(cell.x1, column[1]) <= max(cell.x0, column[0]):
            return {}
        column = column or (cell.x0, cell.x1)
    if own is not None and not _label_like(own.text):
        return {}
    # Begins above, goes on beside the value or below it.
    return _labels_across("left_wrap", over.text, " ".join([*([own.text] if own is not None else []), under.text]))


def _labels_across(kind: str, first: str, rest: str) -> dict[str, float]:
    """`<kind>:<field>` for each label of the text first + rest (read as one) that begins in first and
    ends in rest: a label a narrow column wrapped."""
    return {
        f"{kind}:{m.field}": _weight(m.weight)
        for m in find_labels(f"{first} {rest}", FIELD_LABELS)
        if m.start < len(first) < m.end
    }


def _cell_left_of(layout: DocumentLayout, line: int, x: float) -> Cell | None:
    """The cell of line nearest to the left of x (ending before it), or None."""
    left = [cell for cell in layout.cells_of(line) if cell.x1 <= x]
    return max(left, key=lambda cell: cell.x1, default=None)


def _label_like(text: str) -> bool:
    """Short and without digits, as the part of a label is."""
    return len(text) <= 30 and not any(ch.isdigit() for ch in text)


def place_features(c: Candidate, layout: DocumentLayout) -> dict[str, float]:
    """Page, zone of the page, font size, and the line the candidate is on."""
    f: dict[str, float] = {}
    page = layout.page(c.line)
    width, height = layout.size.get(page, (1.0, 1.0))
    f["page_first" if page == 0 else "page_later"] = 1.0
    y = c.top / height
    f["y_top" if y < 1 / 3 else "y_mid" if y < 2 / 3 else "y_bottom"] = 1.0
    if y < 0.15:
        f["header_band"] = 1.0
    if y > 0.88:
        f["footer_band"] = 1.0
    if (c.x0 + c.x1) / 2 > width / 2:
        f["x_right"] = 1.0
    relative = (c.bottom - c.top) / (layout.median_height.get(page) or 1.0)
    f["font_rel"] = min(max(relative, 0.5), 3.0) - 1.0
    if relative > 1.25:
        f["font_big"] = 1.0
    elif relative < 0.85:
        f["font_small"] = 1.0
    cells = layout.cells[c.line]
    f["line_cells"] = min(cells, 6) / 6
    if layout.money[c.line]:
        f["line_money"] = 1.0
        if cells >= 3:
            f["table_row"] = 1.0
    if layout.title[c.line]:
        f["title_line"] = 1.0
        if relative > 1.25:
            f["title_big"] = 1.0
    return f


def shape_features(c: Candidate, layout: DocumentLayout) -> dict[str, float]:
    """What an id-like token looks like."""
    value = str(c.value)
    f: dict[str, float] = {}
    digits = sum(ch.isdigit() for ch in value)
    letters = sum(ch.isalpha() for ch in value)
    n = len(value)
    f["len_1_3" if n <= 3 else "len_4_6" if n <= 6 else "len_7_10" if n <= 10 else "len_11_"] = 1.0
    f["digit_share"] = digits / n
    if letters:
        f["has_letters"] = 1.0
    for mark, name in (("-", "has_dash"), ("/", "has_slash"), (".", "has_dot"), ("_", "has_underscore")):
        if mark in value:
            f[name] = 1.0
    if digits == n:
        f["all_digits"] = 1.0
        if n == 4 and 1990 <= int(value) <= 2039:
            f["is_year"] = 1.0
        if n >= 9:
            f["long_digits"] = 1.0
        if value.startswith("0") and n >= 6:
            f["leading_zero"] = 1.0
    if _PREFIX_RE.match(value):
        f["letter_prefix"] = 1.0
    if _IBAN_RE.match(value):
        f["iban_like"] = 1.0
    text = layout.labelled[c.line].text
    before, after = text[: c.start], text[c.end :]
    if before.rstrip().endswith(("+", "(")) or after.startswith((")", " /")):
        f["phone_like"] = 1.0
    if digits == n and 4 <= n <= 5 and re.match(r"^\s[A-ZÄÖÜÉ][a-zäöüéèß]", after):
        f["postcode_like"] = 1.0
    if re.match(r"^[.,]\d{2}\b", after) or re.match(r"^\s?%", after):
        f["amount_part"] = 1.0  # the integer part of an amount printed with a space, or a rate
    if before.endswith(("#", "№")):
        f["hash_before"] = 1.0
    if " " in value and value.replace(" ", "").isdigit():
        f["digit_groups"] = 1.0  # "5871 7045 09": a number printed in groups
    elif re.match(r"^ \d", after):
        f["groups_go_on"] = 1.0  # the first groups of a longer number printed in groups
    return f


def repeat_features(candidates: list[Candidate], layout: DocumentLayout) -> None:
    """How often each candidate's value is printed, and whether on several pages at the same place
    (a footer or a running header), added to each candidate's features."""
    places: dict[object, list[Candidate]] = defaultdict(list)
    keys = [_key(c.value) for c in candidates]
    for c, key in zip(candidates, keys, strict=True):
        places[key].append(c)
    for c, key in zip(candidates, keys, strict=True):
        same = places[key]
        c.features["printed_times"] = min(len(same), 4) / 4
        pages = {layout.page(o.line) for o in same}
        if len(pages) > 1:
            c.features["on_pages"] = 1.0
            if any(
                layout.page(o.line) != layout.page(c.line) and abs(o.top - c.top) < 6 and abs(o.x0 - c.x0) < 12
                for o in same
            ):
                c.features["same_place_pages"] = 1.0


def rule_features(candidates: list[Candidate], field: str, value: object, line: int | None) -> None:
    """Mark the candidates holding the value a rule finder chose for field (on its line: `rule:`)."""
    if value is None:
        return
    key = _key(value)
    for c in candidates:
        if _key(c.value) == key:
            c.features[f"rule_value:{field}"] = 1.0
            if line is None or c.line == line:
                c.features[f"rule:{field}"] = 1.0


def date_agreement_features(
    candidates: list[Candidate],
    issued: date | None,
    due: date | None,
    term_days: int | None,
    number_line: int | None,
) -> None:
    """How each date agrees with the other dates: the issue and due dates the rules read, the
    printed payment term, the invoice number's line."""
    values = sorted({c.value for c in candidates})
    if issued is None:
        # No labelled issue date: the earliest date at the top of the first page stands for it.
        heading = [c.value for c in candidates if "page_first" in c.features and "table_row" not in c.features]
        issued = min(heading, default=None)
    else:
        for c in candidates:
            c.features["issue_from_rule"] = 1.0
    years = [c.value.year for c in candidates]
    usual_year = statistics.median(years) if years else None
    for c in candidates:
        f = c.features
        d: date = c.value
        if issued is not None:
            days = (d - issued).days
            if days > 0:
                f["after_rule_issue"] = 1.0
                if not named(f, "due_date"):
                    f["after_issue_unnamed"] = 1.0  # a later date no due-date label names
                if days in COMMON_TERMS_DAYS:
                    f["term_after_issue"] = 1.0
            elif days < 0:
                f["before_rule_issue"] = 1.0
            if term_days is not None and days > 0:
                # A printed term and a printed due date agree; a later date the term does not give
                # is something else (a delivery date, a print date).
                f["issue_plus_term" if days == term_days else "term_mismatch"] = 1.0
        if due is not None:
            days = (due - d).days
            if days > 0:
                f["before_rule_due"] = 1.0
                if days in COMMON_TERMS_DAYS:
                    f["term_before_due"] = 1.0
            elif days < 0:
                f["after_rule_due"] = 1.0
        if number_line is not None and abs(c.line - number_line) <= 2:
            f["near_number"] = 1.0
            if c.line == number_line:
                f["number_line"] = 1.0
        if len(values) > 1:
            if d == values[0]:
                f["earliest"] = 1.0
            if d == values[-1]:
                f["latest"] = 1.0
        f["distinct_dates"] = min(len(values), 6) / 6
        if usual_year is not None and abs(d.year - usual_year) >= 2:
            f["year_off"] = 1.0


NAMING_RELATIONS = ("left:", "cell:", "next:", "above:", "above1:", "wrap:", "above_wrap:", "below1:")
"""Features by which a label names a candidate (not merely stands near it)."""


def named(features: dict[str, float], field: str) -> bool:
    """Whether a label of field names the candidate with these features."""
    return any(name.startswith(NAMING_RELATIONS) and name.endswith(f":{field}") for name in features)


def _key(value: object) -> object:
    return value if isinstance(value, date) else normalise_id(str(value))


def describe(candidates: list[Candidate], layout: DocumentLayout) -> None:
    """Fill each candidate's features with those of its labels, place and (numbers) shape."""
    for c in candidates:
        c.features.update(label_features(c, layout))
        c.features.update(place_features(c, layout))
        if c.kind == "number":
            c.features.update(shape_features(c, layout))
    repeat_features(candidates, layout)
