"""Examples for the line-item models of invoice_reader/line_items.py (trained by benchmarks/train.py).

The labelled lines are first found on the pages (truth): a labelled line's row is the line printing
its total, in the page's column of amounts rather than elsewhere (a unit price equal to the total), whose
neighbourhood shares the most words with its designation (its own words first).

- line_row: one example per line with a money amount; right when it is a labelled line's row.
- line_attach: from each labelled row, the lines above and below it in turn (up to NEAR_LINES, until
  the first that does not belong); right when most of its words are in the designation, or when it
  prints the line's quantity and unit price (a detail line '2 x 12.00'), or when it is one line
  between two such lines (a code stacked between the designation's lines).
- line_cell_role: one example per number of a labelled row and per role; right when the number
  is the labelled total, quantity, unit price or VAT rate, the discount that makes quantity x
  price give the total, or a number of the designation (role text).
- line_word: one example per word of a labelled row that prints no number (the numbers' roles as
  labelled); right when its words are in the designation.
- line_assignment: one example per joint choice of a labelled row's roles, right when its
  total, quantity and unit price are the labelled ones (or, for a quantity or price the row does
  not print, none). Its features hold the role model's log-odds, so they are made by cross-fitting
  (examples_of_all): the role model fitted on one half of the documents scores the other half.

Documents: invoices whose labels list lines. Corpus labels are incomplete; a corpus document is
used only when nearly all its labelled lines are found on its pages (otherwise its other rows
could not be told to be negatives).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from benchmarks.training import ReadDocument, fit_logistic, once_per_document
from invoice_reader.amounts import guess_decimal_comma
from invoice_reader.cell_roles import (
    ASSIGNMENT_MODEL,
    ROLE_MODEL,
    ROLES,
    RowCell,
    assignment_features,
    assignments,
    cell_features,
    prefixed,
    role_logits,
    row_contexts,
)
from invoice_reader.learned import LinearModel
from invoice_reader.line_items import ATTACH_MODEL, ROW_MODEL, attachable, row_candidates
from invoice_reader.row_words import WORD_MODEL, Value, row_words
from invoice_reader.row_features import TOLERANCE, attach_features, row_features
from invoice_reader.table_rows import NEAR_LINES, TableReading, read_table

MODELS = (ROW_MODEL, ATTACH_MODEL, ROLE_MODEL, ASSIGNMENT_MODEL, WORD_MODEL)
CORPUS_FOUND = 0.8
"""Share of a corpus document's labelled lines that must be found for it to teach."""
FOLDS = 2
CORPUS_WEIGHT = 4
"""How many times a real document's examples count: the dev half of the corpus is a few dozen
documents against hundreds of generated ones, and the layouts only it shows (e-invoice stylesheets
printing a row's amount on a line of its own) must weigh in the fit."""


def tokens(text: str) -> set[str]:
    """Lower-case words and numbers without accents (as benchmarks/scoring.py compares designations)."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return set(re.findall(r"[a-z0-9]+", text))


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class Truth:
    """A document read as the reader reads it, with its labelled lines found on the lines."""

    reading: TableReading
    labels: list[dict]
    anchors: dict[int, int] = field(default_factory=dict)
    """Line index -> index of the labelled line it prints."""
    members: dict[int, list[int]] = field(default_factory=dict)
    """Anchor -> its lines, top to bottom."""


@once_per_document
def truth(document: ReadDocument) -> Truth | None:
    """The document's labelled rows found on its lines; None for a document that does not teach."""
    return _truth(document)


def _truth(document: ReadDocument) -> Truth | None:
    labels = document.labels or {}
    fields = labels.get("fields") or {}
    lines_labelled = fields.get("lines") or []
    if document.error or labels.get("document_type", "invoice") != "invoice" or not lines_labelled:
        return None
    lines = [line for page in document.pages for line in page.lines]
    page_of = [page.index for page in document.pages for _ in page.lines]
    decimal_comma = guess_decimal_comma("\n".join(line.layout_text() for line in lines))
    reading = read_table(lines, decimal_comma, page_of)
    found = Truth(reading, lines_labelled)
    line_tokens = [tokens(info.text) for info in reading.lines]
    used: set[int] = set()
    last = -1
    for k, label in enumerate(lines_labelled):
        total = _decimal(label.get("total_ht"))
        if total is None:
            continue
        wanted = tokens(label.get("designation", ""))
        best, best_key = None, None
        for info in reading.lines:
            if info.index in used or not any(not c.percent and abs(c.value) == abs(total) for c in info.cells):
                continue
            near = set()
            for j in range(info.index - 2, info.index + 3):
                if 0 <= j < len(reading.lines) and reading.lines[j].page == info.page:
                    near |= line_tokens[j]
            own, around = len(line_tokens[info.index] & wanted), len(near & wanted)
            if wanted and around == 0:
                continue
            rightmost = info.rightmost_money is not None and abs(info.rightmost_money.value) == abs(total)
            column = reading.amount_column.get(info.page)
            in_column = rightmost and column is not None and abs(info.rightmost_money.x1 - column) <= info.em
            key = (around >= 0.5 * len(wanted), in_column, own, around, rightmost, info.index > last, -info.index)
            if best_key is None or key > best_key:
                best, best_key = info.index, key
        if best is not None:
            found.anchors[best] = k
            used.add(best)
            last = best
    if labels.get("complete") is False and len(found.anchors) < CORPUS_FOUND * len(lines_labelled):
        return None
    for anchor, k in found.anchors.items():
        found.members[anchor] = _true_members(found, anchor, k, line_tokens)
    return found


def _true_members(found: Truth, anchor: int, k: int, line_tokens: list[set[str]]) -> list[int]:
    """The anchor and the lines next to it that belong to its row: up to the last that holds its
    designation (or quantity and price), counting one line between two such lines (a code stacked
    between the designation's lines) as the row's too."""
    members = [anchor]
    for step in (1, -1):
        walked = list(_walk(found, anchor, step))
        belongs = [_belongs(found, index, k, line_tokens) for index in walked]
        end = 0
        while end < len(walked) and (belongs[end] or (end + 1 < len(walked) and belongs[end + 1])):
            end += 1
        members += walked[:end]
    return sorted(members)


def _walk(found: Truth, anchor: int, step: int) -> Iterator[int]:
    reading = found.reading
    for distance in range(1, NEAR_LINES + 1):
        index = anchor + step * distance
        if not attachable(reading, index, anchor, found.anchors):
            return
        yield index


def _belongs(found: Truth, index: int, k: int, line_tokens: list[set[str]]) -> bool:
    label = found.labels[k]
    mine = line_tokens[index]
    if mine and len(mine & tokens(label.get("designation", ""))) >= 0.5 * len(mine):
        return True
    values = {abs(c.value) for c in found.reading.lines[index].cells}
    wanted = {abs(v) for v in (_decimal(label.get("quantity")), _decimal(label.get("unit_price"))) if v is not None}
    return bool(wanted) and wanted <= values


def cell_truth(cells: list[RowCell], label: dict) -> list[str | None]:
    """The role of each number of a labelled row, None for a number with none."""
    roles: list[str | None] = [None] * len(cells)
    plain = [i for i, c in enumerate(cells) if not c.cell.percent]

    def take(role: str, value: Decimal | None, pool: list[int], prefer) -> None:
        if value is None:
            return
        matching = [i for i in pool if roles[i] is None and abs(cells[i].cell.value) == abs(value)]
        if matching:
            roles[max(matching, key=prefer)] = role

    total = _decimal(label.get("total_ht"))
    take("total", total, [i for i in plain if cells[i].cell.money], lambda i: (cells[i].on_anchor, cells[i].cell.x1))
    price, quantity = _decimal(label.get("unit_price")), _decimal(label.get("quantity"))
    take("unit_price", price, plain, lambda i: (cells[i].cell.column == "unit_price", cells[i].cell.x1))
    take("quantity", quantity, plain,
         lambda i: (cells[i].cell.column == "quantity", cells[i].cell.words[0] > 0, cells[i].cell.x1))
    rate = _decimal(label.get("vat_rate"))
    if rate is not None:
        rated = [i for i, c in enumerate(cells) if c.cell.percent or c.cell.column == "vat_rate"]
        take("vat_rate", rate, rated, lambda i: (cells[i].cell.percent, cells[i].cell.x1))
    if None not in (total, price, quantity) and abs(abs(price * quantity) - abs(total)) > Decimal("0.01"):
        product = float(abs(price * quantity))
        for i, c in enumerate(cells):
            d = float(abs(c.cell.value))
            if roles[i] is not None:
                continue
            rate = c.cell.percent or c.cell.column == "discount"
            if rate and 0 < d < 100 and abs(product * (1 - d / 100) - float(abs(total))) <= TOLERANCE:
                roles[i] = "discount"
                break
            if c.cell.money and abs(product - d - float(abs(total))) <= TOLERANCE:
                roles[i] = "discount"
                break
    wanted = tokens(label.get("designation", ""))
    for i, c in enumerate(cells):
        if roles[i] is None:
            printed = tokens(c.line.text[c.cell.start : c.cell.end])
            if printed and printed <= wanted:
                roles[i] = "text"
    return roles


def _row_cells(found: Truth, anchor: int) -> list[RowCell]:
    reading = found.reading
    return [RowCell(reading.lines[i], c, i == anchor) for i in found.members[anchor] for c in reading.lines[i].cells]


def examples(document: ReadDocument) -> Iterator[tuple[str, dict, int]]:
    repeat = CORPUS_WEIGHT if document.labels.get("family") == "corpus" else 1
    for example in _examples(document):
        for _ in range(repeat):
            yield example


def _examples(document: ReadDocument) -> Iterator[tuple[str, dict, int]]:
    found = truth(document)
    if found is None:
        return
    reading = found.reading
    for info in row_candidates(reading):
        yield ROW_MODEL, row_features(reading, info.index), int(info.index in found.anchors)
    for anchor in found.anchors:
        members = found.members[anchor]
        for step in (1, -1):
            walked = [anchor]
            for index in _walk(found, anchor, step):
                belongs = index in members
                yield ATTACH_MODEL, attach_features(reading, index, anchor, walked), int(belongs)
                if not belongs:
                    break
                walked.append(index)
    contexts = row_contexts(reading.lines, found.anchors)
    for anchor, k in found.anchors.items():
        cells = _row_cells(found, anchor)
        roles = cell_truth(cells, found.labels[k])
        context = contexts[anchor]
        for i in range(len(cells)):
            base = cell_features(cells, i, *context)
            for role in ROLES:
                yield ROLE_MODEL, prefixed(role, base), int(roles[i] == role)
        values = [Value(c.line, c.cell.words, c.cell.x0, c.cell.x1, role) for c, role in zip(cells, roles)]
        wanted = tokens(found.labels[k].get("designation", ""))
        for word in row_words(reading, found.members[anchor], anchor, values):
            mine = tokens(word.text)
            if mine:
                yield WORD_MODEL, word.features, int(mine <= wanted)


def assignment_truth(a, cells: list[RowCell], label: dict) -> bool:
    total = _decimal(label.get("total_ht"))
    if total is None or abs(a.total.cell.value) != abs(total):
        return False
    for role, key in (("quantity", "quantity"), ("unit_price", "unit_price")):
        value = _decimal(label.get(key))
        chosen = getattr(a, role)
        printed = value is not None and any(c is not a.total and abs(c.cell.value) == abs(value) and not c.cell.percent
                                            for c in cells)
        if chosen is None:
            if printed:
                return False
        elif value is None or abs(chosen.cell.value) != abs(value):
            return False
    return True


def examples_of_all(documents: list[ReadDocument]) -> Iterator[tuple[str, dict, int]]:
    taught = [d for d in documents if truth(d) is not None]
    folds = [taught[i::FOLDS] for i in range(FOLDS)]
    for held in range(FOLDS):
        rows, targets = [], []
        for fold, members in enumerate(folds):
            if fold == held:
                continue
            for document in members:
                for model, features, target in examples(document):
                    if model == ROLE_MODEL:
                        rows.append(features)
                        targets.append(target)
        weights, bias = fit_logistic(rows, targets)
        role_model = LinearModel(ROLE_MODEL, weights, bias)
        for document in folds[held]:
            found = truth(document)
            contexts = row_contexts(found.reading.lines, found.anchors)
            for anchor, k in found.anchors.items():
                cells = _row_cells(found, anchor)
                if not any(not c.cell.percent for c in cells):
                    continue
                context = contexts[anchor]
                logits = [role_logits(role_model, cell_features(cells, i, *context)) for i in range(len(cells))]
                index = {id(c): i for i, c in enumerate(cells)}
                for a in assignments(cells, logits):
                    right = assignment_truth(a, cells, found.labels[k])
                    yield ASSIGNMENT_MODEL, assignment_features(a, logits, index), int(right)
