"""Line items: the rows of the document's tables, chosen and read by learned models.

Every line with a money amount is a candidate row (invoice_reader/table_rows.py reads the lines,
row_features.py describes them); the `line_row` model scores it as a line item. The lines next to a
chosen row that the `line_attach` model says belong to it join it: a designation's second line, a
designation wrapped above and below the row's numbers, a detail line ('2 x 12.00'). The row's
numbers then get their roles (cell_roles.py: total, quantity, unit price, VAT rate, discount, or
part of the text), decoded jointly so that quantity x unit price gives the total where the row says
so, and the `line_word` model keeps the words of the designation (row_words.py): not an article
number, a unit or a period printed in its own column. No weight here is set by hand:
`benchmarks/train.py` fits them (benchmarks/train_lines.py).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from .amounts import find_numbers
from .cell_roles import (
    ASSIGNMENT_MODEL,
    ROLE_MODEL,
    Assignment,
    RowCell,
    cell_features,
    decode_row,
    role_logits,
    row_contexts,
)
from .labels import COLUMN_LABELS, find_labels
from .learned import LinearModel, load_model
from .provenance import PageLines
from .result import LineItem
from .row_words import WORD_MODEL, Value, row_words
from .row_features import attach_features, is_bare, row_features, table_order
from .table_rows import CENT, NEAR_LINES, Column, TableLine, TableReading, read_table
from .text_lines import TextLine

ROW_MODEL = "line_row"
SURE = 0.9
"""A row the row model scores at least this, or at most 1 - this, keeps its verdict whatever the
totals say; the rows between are the doubtful ones that the totals settle."""
MAX_RUNS = 8
"""Runs of doubtful rows tried at most (3 ** 8 choices); with more, the row model's verdicts stand."""
MAX_CHOICES = 3**8
"""Choices tried at most: where a run's lines without text, taken alone, would make more, each run is
taken whole, left whole or taken where the model says so."""
ATTACH_MODEL = "line_attach"
MODELS = (ROW_MODEL, ATTACH_MODEL, ROLE_MODEL, ASSIGNMENT_MODEL, WORD_MODEL)
_LETTERS_RE = re.compile(r"[^\W\d_]")
_KEPT_ROLES = ("total", "quantity", "unit_price", "discount", "vat_rate")


@dataclass(frozen=True)
class LineModels:
    row: LinearModel
    attach: LinearModel
    role: LinearModel
    assignment: LinearModel
    word: LinearModel

    @property
    def row_threshold(self) -> float:
        return float(self.row.info.get("threshold", 0.5))


def line_models() -> LineModels:
    """The line-item models, read once per process. Raises learned.ModelMissing."""
    return LineModels(*(load_model(name) for name in MODELS))


def extract_line_items(
    lines: list[TextLine],
    decimal_comma: bool | None,
    where: PageLines | None = None,
    totals: tuple[Decimal | None, ...] = (),
) -> list[LineItem]:
    """The line items printed on the lines, in order; with where (the same lines with their
    pages), each item gets the box of its row and the row model's probability as confidence.
    With totals (the invoice's total without and with VAT), rows the row model doubts are settled
    by the arithmetic: where the rows it takes do not add up to a total, the doubtful rows are
    taken or left, a run at a time, so that they do (settle_by_totals)."""
    reading = read_table(lines, decimal_comma, where.page_of if where is not None else None)
    models = line_models()
    scored = score_rows(reading, models.row)
    anchors = [i for i, p in scored.items() if p >= models.row_threshold]
    items = read_items(reading, anchors, models, scored, where)
    targets = {abs(t).quantize(CENT) for t in totals if t is not None and t != 0}
    if targets and not _adds_up(items.values(), targets):
        settled = settle_by_totals(reading, scored, models, targets)
        if settled is not None and settled != sorted(anchors):
            again = read_items(reading, settled, models, scored, where)
            if _adds_up(again.values(), targets):
                items = again
    return list(items.values())


def read_items(
    reading: TableReading, anchors: list[int], models: LineModels, scored: dict[int, float],
    where: PageLines | None = None,
) -> dict[int, LineItem]:
    """Anchor -> the line item read from its row, for the rows taken (those whose numbers decode).
    A row left without a designation reaches for the text line it lacks (reach_designation)."""
    rows = attach_lines(reading, anchors, models.attach)
    contexts = row_contexts(reading.lines, rows)
    items = {}
    reach: Reach | None = None
    for anchor in sorted(rows):
        item = _read_row(reading, rows[anchor], anchor, contexts[anchor], models)
        if item is None:
            continue
        if not item.designation:
            reach = reach or Reach.of(reading, rows)
            wider = reach_designation(reading, rows[anchor], anchor, models.attach, reach)
            again = _read_row(reading, wider, anchor, contexts[anchor], models) if wider else None
            if again is not None and again.designation and again.total_ht == item.total_ht:
                item, rows[anchor] = again, wider
                reach.held.update(wider)
        if where is not None:
            item.provenance = _row_source(where, reading, rows[anchor], anchor, scored[anchor])
        items[anchor] = item
    return items


@dataclass
class Reach:
    """What reach_designation needs of the other rows: the lines they hold, and per page, how many more
    rows hold text below their numbers than above (their text_side votes summed)."""

    held: set[int]
    votes: dict[int, int]

    @classmethod
    def of(cls, reading: TableReading, rows: dict[int, list[int]]) -> Reach:
        votes: dict[int, int] = {}
        for anchor, lines in rows.items():
            page = reading.lines[anchor].page
            votes[page] = votes.get(page, 0) + text_side(reading, lines, anchor)
        return cls({i for lines in rows.values() for i in lines}, votes)


def text_side(reading: TableReading, lines: list[int], anchor: int) -> int:
    """1 where the row holds a line with words below its numbers and none above, -1 the other way, else 0."""
    below = any(i > anchor and not is_bare(reading.lines[i]) for i in lines)
    above = any(i < anchor and not is_bare(reading.lines[i]) for i in lines)
    return below - above


def _read_row(reading: TableReading, members: list[int], anchor: int, context, models: LineModels) -> LineItem | None:
    cells = row_cells(reading, members, anchor)
    if not cells:
        return None
    logits = [role_logits(models.role, cell_features(cells, k, *context)) for k in range(len(cells))]
    assignment = decode_row(cells, logits, models.assignment)
    if assignment is None:
        return None
    return to_item(reading, members, anchor, cells, logits, assignment, models.word)


def reach_designation(
    reading: TableReading, members: list[int], anchor: int, model: LinearModel, reach: Reach
) -> list[int] | None:
    """The row's lines with the text line it lacks, for a row read without a designation; None where
    there is none within reach. Every item has a designation: where the attach model, weighing one
    line at a time, stops short of it (codes or a second amount stacked between the row's numbers and
    its text), the row goes on through the lines no row holds and without words, to the first with
    words and no label; on the side where the other rows of its page hold their text, else where its
    table prints it (table_order), else on the side the attach model finds likelier."""
    votes = reach.votes[reading.lines[anchor].page] - text_side(reading, members, anchor)
    side = (votes > 0) - (votes < 0) or {"numbers_first": 1, "text_first": -1}.get(table_order(reading, anchor))
    best: tuple[float, list[int]] | None = None
    for step in (side,) if side else (1, -1):
        path: list[int] = []
        index = (max(members) if step > 0 else min(members)) + step
        while len(path) < NEAR_LINES and attachable(reading, index, anchor, reach.held):
            info = reading.lines[index]
            if not is_bare(info):
                if info.kinds:  # a label's line: a total, a field, a subtotal
                    break
                p = model.score(attach_features(reading, index, anchor, sorted(members + path)))
                if best is None or p > best[0]:
                    best = (p, sorted(members + path + [index]))
                break
            path.append(index)
            index += step
    return best[1] if best else None


def settle_by_totals(
    reading: TableReading, scored: dict[int, float], models: LineModels, targets: set[Decimal]
) -> list[int] | None:
    """The rows to take so that their amounts add up to one of the targets, or None when no choice
    does. Rows the model is sure of (SURE either way) keep its verdict; the doubtful ones come in
    runs (next to each other, on one page, no header or other candidate between them: an account
    summary above the table, a page of call details below it), and each run is taken whole, left
    whole, taken where the model says so, or reduced to one of its lines without text (a row whose
    amount is printed on a line of its own under its other numbers makes a run of two lines: the
    amount's line is the row). Of the choices that add up, the one the model finds likeliest wins."""
    threshold = models.row_threshold
    doubtful = sorted(i for i, p in scored.items() if 1 - SURE < p < SURE)
    runs = _runs(reading, doubtful, scored)
    if not runs or len(runs) > MAX_RUNS:
        return None
    sure = [i for i, p in scored.items() if p >= SURE]
    amounts = {a: item.total_ht for a, item in read_items(reading, sorted(sure + doubtful), models, scored).items()}
    base = sum((amounts.get(i) or 0 for i in sure), Decimal(0))
    options = [sorted({(), tuple(run), tuple(i for i in run if scored[i] >= threshold)}) for run in runs]
    with_singles = [
        sorted({*choices, *((i,) for i in run if reading.lines[i].letters == 0)}) for choices, run in zip(options, runs)
    ]
    if math.prod(len(choices) for choices in with_singles) <= MAX_CHOICES:
        options = with_singles
    best: tuple[float, list[int]] | None = None
    for choice in itertools.product(*options):
        taken = {i for part in choice for i in part}
        total = base + sum((amounts.get(i) or 0 for i in taken), Decimal(0))
        if abs(total).quantize(CENT) not in targets:
            continue
        likelihood = sum(math.log(scored[i] if i in taken else 1 - scored[i]) for i in doubtful)
        if best is None or likelihood > best[0]:
            best = (likelihood, sorted(sure + list(taken)))
    return best[1] if best else None


def _runs(reading: TableReading, doubtful: list[int], scored: dict[int, float]) -> list[list[int]]:
    """The doubtful rows in runs: a run ends at a page break, a header, or a row that is not doubtful."""
    runs: list[list[int]] = []
    for index in doubtful:
        if runs:
            last = runs[-1][-1]
            between = reading.lines[last + 1 : index]
            if reading.lines[last].page == reading.lines[index].page and not any(
                info.is_header or info.index in scored for info in between
            ):
                runs[-1].append(index)
                continue
        runs.append([index])
    return runs


def _adds_up(items, targets: set[Decimal]) -> bool:
    totals = [item.total_ht for item in items]
    if not totals or any(t is None for t in totals):
        return False
    return abs(sum(totals, Decimal(0))).quantize(CENT) in targets


def score_rows(reading: TableReading, model: LinearModel) -> dict[int, float]:
    """Line index -> probability that it is a line-item row, for each line that could be one."""
    return {info.index: model.score(row_features(reading, info.index)) for info in row_candidates(reading)}


def row_candidates(reading: TableReading) -> list[TableLine]:
    """The lines that could be line-item rows: those with a money amount, except headers and the
    total a page carries over to the next under its own label ("Carried forward", "Übertrag"),
    whose amount the arithmetic shows is the sum above it and the next page's first."""
    return [info for info in reading.lines if info.money and not info.is_header and not _carried_total(reading, info)]


def _carried_total(reading: TableReading, info: TableLine) -> bool:
    """Whether the line is a total carried over a page break under its own label: no row's, not
    even as a line of another row's designation."""
    return "carried" in info.kinds and reading.carried_over.get(info.index, False)


def attach_lines(reading: TableReading, anchors: list[int], model: LinearModel) -> dict[int, list[int]]:
    """Anchor -> its lines (the anchor and the lines attached to it), top to bottom. A line claimed by
    the rows above and below goes to the likelier; a row's lines are contiguous."""
    chosen = set(anchors)
    claims: dict[int, tuple[float, int]] = {}
    for anchor in anchors:
        for step in (1, -1):
            members = [anchor]
            for distance in range(1, NEAR_LINES + 1):
                index = anchor + step * distance
                if not attachable(reading, index, anchor, chosen):
                    break
                p = model.score(attach_features(reading, index, anchor, members))
                if p < 0.5:
                    break
                members.append(index)
                if p > claims.get(index, (0.0, -1))[0]:
                    claims[index] = (p, anchor)
    rows = {}
    for anchor in sorted(anchors):
        members = [anchor]
        for step in (1, -1):
            index = anchor + step
            while claims.get(index, (0.0, -1))[1] == anchor:
                members.append(index)
                index += step
        rows[anchor] = sorted(members)
    return rows


def attachable(reading: TableReading, index: int, anchor: int, chosen: set[int] | dict[int, int]) -> bool:
    """Whether line index may be one of anchor's lines: on its page, not a header, not another
    row's anchor (in chosen), not a total carried over a page break."""
    if not 0 <= index < len(reading.lines) or index in chosen:
        return False
    info = reading.lines[index]
    return info.page == reading.lines[anchor].page and not info.is_header and not _carried_total(reading, info)


def row_cells(reading: TableReading, members: list[int], anchor: int) -> list[RowCell]:
    """The numbers of the row's lines, top to bottom and left to right."""
    return [RowCell(reading.lines[i], cell, i == anchor) for i in members for cell in reading.lines[i].cells]


def to_item(reading: TableReading, members: list[int], anchor: int, cells: list[RowCell],
            logits: list[dict[str, float]], assignment: Assignment, word_model: LinearModel) -> LineItem:
    """The line item of a decoded row: its values, and its designation (its numbers of role text
    and the words the word model keeps, in reading order)."""
    values = row_values(cells, logits, assignment)
    kept = {(v.line.index, w) for v in values if v.role == "text" for w in v.words}
    kept.update((word.line.index, word.index) for word in row_words(reading, members, anchor, values)
                if word_model.score(word.features) >= 0.5)
    parts = [word.text for i in members for w, word in enumerate(reading.lines[i].line.words) if (i, w) in kept]
    designation = " ".join(parts).strip()
    if not _LETTERS_RE.search(designation):
        designation = ""
    unit = None
    if assignment.quantity is not None:
        after = assignment.quantity.cell.words[-1] + 1
        if _is_unit(assignment.quantity.line, after) and (assignment.quantity.line.index, after) not in kept:
            unit = assignment.quantity.line.line.words[after].text

    def value(role: str):
        chosen = getattr(assignment, role)
        return chosen.cell.value if chosen is not None else None

    return LineItem(
        designation=designation,
        quantity=value("quantity"),
        unit=unit,
        unit_price=value("unit_price"),
        total_ht=value("total"),
        vat_rate=abs(value("vat_rate")) if assignment.vat_rate is not None else None,
    )


def row_values(cells: list[RowCell], logits: list[dict[str, float]], assignment: Assignment) -> list[Value]:
    """The row's numbers with their decoded roles: the assignment's, else text where the role
    model's text odds are positive, else none."""
    role_of = {id(getattr(assignment, role)): role for role in _KEPT_ROLES if getattr(assignment, role) is not None}
    out = []
    for k, rc in enumerate(cells):
        role = role_of.get(id(rc)) or ("text" if logits[k]["text"] > 0 else None)
        out.append(Value(rc.line, rc.cell.words, rc.cell.x0, rc.cell.x1, role))
    return out


def _is_unit(info, index: int) -> bool:
    """Whether word index of the line is a unit printed after a quantity ('6 m', '2 hrs'): a short
    word of letters that ends its cell."""
    words = info.line.words
    if not 0 <= index < len(words):
        return False
    token = words[index].text.rstrip(".")
    if not token.isalpha() or len(token) > 6:
        return False
    text, spans = info.line.layout()
    end = spans[index][1]
    return end >= len(text) or text[end : end + 2] == "  "


def _row_source(where: PageLines, reading: TableReading, members: list[int], anchor: int, confidence: float):
    source = where.source(anchor, round(confidence, 3))
    page = reading.lines[anchor].page
    boxes = [where.source(i, 0.0).box for i in members if reading.lines[i].page == page]
    boxes = [b for b in boxes if b]
    if boxes:
        source.box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                      max(b[3] for b in boxes))
    return source


# -- the table header as the document classifier reads it ----------------------------------


def table_header(line: TextLine) -> list[Column] | None:
    """The columns, when the line is the header of a line-item table; else None. (The document
    classifier's cue, kept as it was trained on: labels.toml's column words only.)"""
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
