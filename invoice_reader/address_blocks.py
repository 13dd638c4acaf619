"""The page cut into blocks: cells of consecutive lines that sit one under the other, as an
address, a letterhead, a legal footer or a table column is printed.

    blocks = page_blocks(page, first_line=0)

A cell is a run of words on one line, apart from its neighbours by a wide gap (see
TextLine.layout_text). A cell joins the block whose last cell ends just above it (less than
BLOCK_GAP_EM line heights of white between them) and overlaps it horizontally; a wider gap, or
no overlap, starts a new block. So a seller's address on the left and the customer's on the
right are two blocks even where they share lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .text_lines import PageText

BLOCK_GAP_EM = 1.1
"""White between two cells, in line heights, above which they are two blocks (an empty line)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One cell of a line, with its box in points from the page's top-left corner."""

    line: int
    """Index of its line in the document's lines (all pages, in order)."""
    page: int
    text: str
    """The cell's text: words joined by single spaces."""
    start: int
    """Offset of the cell in its line's layout_text()."""
    x0: float
    top: float
    x1: float
    bottom: float
    em: float
    """The cell's typical word height."""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(slots=True, eq=False)
class Block:
    """Cells one under the other, top to bottom."""

    segments: list[Segment] = field(default_factory=list)
    x0: float = float("inf")
    x1: float = float("-inf")

    @property
    def top(self) -> float:
        return self.segments[0].top

    @property
    def bottom(self) -> float:
        return self.segments[-1].bottom

    def add(self, segment: Segment) -> None:
        self.segments.append(segment)
        self.x0 = min(self.x0, segment.x0)
        self.x1 = max(self.x1, segment.x1)


def line_segments(page: PageText, first_line: int) -> list[list[Segment]]:
    """Each line's cells, left to right; first_line is the index of the page's first line in
    the document's lines."""
    found = []
    for offset, line in enumerate(page.lines):
        text, spans = line.layout()
        segments: list[Segment] = []
        for first, end in line.cell_words():
            cell = line.words[first:end]
            heights = sorted(w.bottom - w.top for w in cell)
            start = spans[first][0]
            segments.append(
                Segment(
                    first_line + offset,
                    page.index,
                    text[start : spans[end - 1][1]],
                    start,
                    cell[0].x0,  # words are ordered left to right
                    min(w.top for w in cell),
                    max(w.x1 for w in cell),
                    max(w.bottom for w in cell),
                    heights[len(heights) // 2] or 1.0,
                )
            )
        found.append(segments)
    return found


def page_blocks(rows: list[list[Segment]]) -> list[Block]:
    """The blocks of a page's cells (from line_segments), in the order their first cell is read."""
    blocks: list[Block] = []
    open_blocks: list[Block] = []
    for row in rows:
        claimed: set[int] = set()
        placed: list[tuple[Segment, Block | None]] = []
        for segment in row:
            best, best_overlap = None, 0.0
            for position, block in enumerate(open_blocks):
                last = block.segments[-1]
                if position in claimed or last.line == segment.line:
                    continue
                if segment.top - last.bottom > BLOCK_GAP_EM * max(segment.em, last.em):
                    continue
                # Overlap with the last cell, or the same left edge (an address under a long name).
                overlap = min(segment.x1, last.x1) - max(segment.x0, last.x0)
                if abs(segment.x0 - last.x0) <= segment.em:
                    overlap = max(overlap, segment.em)
                if overlap > best_overlap:
                    best, best_overlap = position, overlap
            if best is not None:
                claimed.add(best)
            placed.append((segment, open_blocks[best] if best is not None else None))
        still_open = []
        for segment, block in placed:
            if block is None:
                block = Block()
                blocks.append(block)
            block.add(segment)
            still_open.append(block)
        if row:
            bottom = max(s.bottom for s in row)
            em = max(s.em for s in row)
            # Blocks that no cell joined stay open while the next line may still be close enough.
            for position, block in enumerate(open_blocks):
                if position not in claimed and bottom - block.bottom <= BLOCK_GAP_EM * em + em:
                    still_open.append(block)
        open_blocks = still_open
    return blocks


def cells_going_on(
    pages: list[PageText], cut: Callable[[str], bool], goes_on: re.Pattern[str], reach: int
) -> Iterator[tuple[Segment, list[str]]]:
    """Each cell whose text is cut (ends in a value broken off: the first part of an id) and the texts
    of the cells printed under it in its column that match goes_on, up to reach lines: a narrow column
    that wraps a long value ("IBAN FR76 3000" over "6000 0112 3456"). Pages none of whose lines is cut
    are not cut into cells."""
    first = 0
    for page in pages:
        if any(cut(line.layout_text()) for line in page.lines[:-1]):
            rows = {row[0].line: row for row in line_segments(page, first) if row}
            for line, row in rows.items():
                for cell in row:
                    if not cut(cell.text):
                        continue
                    texts, above = [], cell
                    for below_line in range(line + 1, line + 1 + reach):
                        below = next(
                            (c for c in rows.get(below_line, []) if c.x0 < above.x1 and above.x0 < c.x1), None
                        )
                        if below is None or not goes_on.fullmatch(below.text):
                            break
                        texts.append(below.text)
                        above = below
                    if texts:
                        yield cell, texts
        first += len(page.lines)
