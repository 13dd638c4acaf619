"""Reading the value a label announces: after it on the same line, or in the cell under it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .labels import Label, LabelMatch, find_labels
from .text_lines import TextLine

_LEADING_PUNCTUATION_RE = re.compile(r"^[\s:#.°º\-–=]+")


@dataclass(slots=True)
class LabelledLine:
    """A line with its layout text, word offsets and the labels found in it."""

    index: int
    """Position in the document's list of lines."""
    line: TextLine
    text: str
    spans: list[tuple[int, int]]
    labels: list[LabelMatch]


@dataclass(frozen=True, slots=True)
class Cell:
    """Words of one table cell: separated from their neighbours by a wide gap."""

    text: str
    x0: float
    x1: float


def label_lines(lines: list[TextLine], vocabulary: tuple[Label, ...]) -> list[LabelledLine]:
    """Every line, with the labels of vocabulary found in it."""
    labelled = []
    for index, line in enumerate(lines):
        text, spans = line.layout()
        labelled.append(LabelledLine(index, line, text, spans, find_labels(text, vocabulary)))
    return labelled


def text_after(labelled: LabelledLine, label: LabelMatch) -> str:
    """The text between the label and the next label on the line, without leading ':' or '#'."""
    following = [m.start for m in labelled.labels if m.start >= label.end]
    end = min(following, default=len(labelled.text))
    return _LEADING_PUNCTUATION_RE.sub("", labelled.text[label.end : end]).strip()


def cell_after(labelled: LabelledLine, label: LabelMatch) -> str:
    """The rest of the label's own cell; when that is empty, the next cell unless it is a label."""
    rest = labelled.text[label.end :]
    own, _, next_cells = rest.partition("  ")
    own = _LEADING_PUNCTUATION_RE.sub("", own).strip()
    if own:
        return own
    next_cell = next_cells.split("  ")[0].strip()
    next_start = label.end + len(rest) - len(next_cells)
    if next_cell and not any(next_start <= m.start < next_start + len(next_cell) for m in labelled.labels):
        return _LEADING_PUNCTUATION_RE.sub("", next_cell).strip()
    return ""


def starts_cell(labelled: LabelledLine, label: LabelMatch) -> bool:
    """Whether the label is the first thing in its cell (not a word inside a sentence)."""
    before = labelled.text[: label.start]
    return before.strip() == "" or before.endswith("  ")


def ends_cell(labelled: LabelledLine, label: LabelMatch) -> bool:
    """Whether nothing but punctuation follows the label in its cell (a heading or column title)."""
    own = labelled.text[label.end :].split("  ")[0]
    return _LEADING_PUNCTUATION_RE.sub("", own).strip() == ""


def label_box(labelled: LabelledLine, label: LabelMatch) -> tuple[float, float] | None:
    return labelled.line.x_range(labelled.spans, label.start, label.end)


def cells(line: TextLine) -> list[Cell]:
    """The line's cells with their horizontal extent."""
    text, spans = line.layout()
    found: list[Cell] = []
    start = 0
    for part in text.split("  "):
        end = start + len(part)
        box = line.x_range(spans, start, end)
        if part.strip() and box is not None:
            found.append(Cell(part.strip(), box[0], box[1]))
        start = end + 2
    return found


def cells_below(
    lines: list[TextLine], labelled: LabelledLine, label: LabelMatch, max_lines: int = 3
) -> list[tuple[int, Cell]]:
    """Cells on the next max_lines lines that overlap the label horizontally, top to bottom,
    with the index of their line."""
    box = label_box(labelled, label)
    if box is None:
        return []
    x0, x1 = box
    em = labelled.line.em
    found = []
    for index in range(labelled.index + 1, min(labelled.index + 1 + max_lines, len(lines))):
        line = lines[index]
        if not 0 < line.top - labelled.line.top <= (max_lines + 1) * 2.5 * em:
            break  # on another page, or too far down to belong to this label
        for cell in cells(line):
            if min(cell.x1, x1 + em) - max(cell.x0, x0 - em) > 0:
                found.append((index, cell))
                break
    return found
