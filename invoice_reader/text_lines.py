"""Words with positions, and the one way both the text layer and OCR turn them into lines."""

from __future__ import annotations

from dataclasses import dataclass, field

CELL_GAP_EM = 1.2
"""A horizontal gap wider than this many line heights separates two cells (table columns)."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a page; coordinates in PDF points from the page's top-left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    source: str | None = None
    """Who read the word when it was not the page's own reader: 'vlm' for Florence-2, 'image_ocr' for
    Tesseract reading an image on a page with a text layer (image_text). None: the text layer or OCR,
    as the page says."""
    confidence: float | None = None
    """Tesseract's confidence in the word, 0..100; None where no OCR read it (text layer, VLM)."""

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class TextLine:
    """Words that share a baseline band, left to right. The words are not changed once the
    line is built: its layout is computed once and kept."""

    words: list[Word]
    _layout: tuple[str, list[tuple[int, int]]] | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(word.text for word in self.words)

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def height(self) -> float:
        return max(word.bottom for word in self.words) - self.top

    def cells(self) -> list[str]:
        """The line split where the horizontal gap between words is wide, as in table columns."""
        return self.layout_text().split("  ")

    def layout_text(self) -> str:
        """The words joined by one space, or by two where the gap is wide (between cells)."""
        return self.layout()[0]

    def layout(self) -> tuple[str, list[tuple[int, int]]]:
        """layout_text() and, for each word, its (start, end) offsets in that text."""
        if self._layout is None:
            self._layout = self._compute_layout()
        return self._layout

    def _compute_layout(self) -> tuple[str, list[tuple[int, int]]]:
        em = _median([word.height for word in self.words]) or 1.0
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        offset = 0
        for i, word in enumerate(self.words):
            if i:
                separator = "  " if word.x0 - self.words[i - 1].x1 > CELL_GAP_EM * em else " "
                parts.append(separator)
                offset += len(separator)
            parts.append(word.text)
            spans.append((offset, offset + len(word.text)))
            offset += len(word.text)
        return "".join(parts), spans

    def cell_words(self) -> list[tuple[int, int]]:
        """(first, end) indexes of the words of each cell of layout_text(), left to right."""
        text, spans = self.layout()
        found = []
        first = 0
        for i in range(1, len(self.words) + 1):
            if i == len(self.words) or text[spans[i][0] - 2 : spans[i][0]] == "  ":
                found.append((first, i))
                first = i
        return found

    def words_covering(self, start: int, end: int) -> list[Word]:
        """The words covering layout_text()[start:end]."""
        return _covering(self.words, self.layout()[1], start, end)

    def x_range(self, spans: list[tuple[int, int]], start: int, end: int) -> tuple[float, float] | None:
        """Left and right edges of the words covering text[start:end] (spans from layout())."""
        covered = _covering(self.words, spans, start, end)
        if not covered:
            return None
        return min(w.x0 for w in covered), max(w.x1 for w in covered)

    @property
    def em(self) -> float:
        """The line's typical word height, the unit for gaps and tolerances."""
        return _median([word.height for word in self.words]) or 1.0


def _covering(words: list[Word], spans: list[tuple[int, int]], start: int, end: int) -> list[Word]:
    """The words whose spans overlap text[start:end]."""
    return [w for w, (s, e) in zip(words, spans, strict=True) if s < end and start < e]


@dataclass(slots=True)
class PageText:
    """The text of one page, from its text layer or from OCR."""

    index: int
    """0-based page number."""
    lines: list[TextLine] = field(default_factory=list)
    width: float = 0.0
    """Page width in points."""
    height: float = 0.0
    """Page height in points."""

    @property
    def text(self) -> str:
        """Lines top to bottom, cells separated by two spaces."""
        return "\n".join(line.layout_text() for line in self.lines)

    def printable_char_count(self) -> int:
        return sum(len(word.text.strip()) for line in self.lines for word in line.words)


def build_lines(words: list[Word]) -> list[TextLine]:
    """Group words into lines, top to bottom, and each line left to right.

    A word joins a line when its vertical middle lies within half a word height of the
    line's middle, so that the cells of a table row read as one line even when their
    fonts differ slightly, while a slightly rotated scan still keeps its rows apart.
    """
    ordered = sorted((w for w in words if w.text.strip()), key=lambda w: (w.middle, w.x0))
    lines: list[tuple[float, float, list[Word]]] = []  # (middle, height, words)
    for word in ordered:
        placed = False
        # Only the last few lines can match: words arrive in order of their middle.
        for i in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            middle, height, members = lines[i]
            if abs(word.middle - middle) <= 0.5 * min(height, word.height) and not _overlaps(word, members):
                members.append(word)
                n = len(members)
                lines[i] = ((middle * (n - 1) + word.middle) / n, max(height, word.height), members)
                placed = True
                break
        if not placed:
            lines.append((word.middle, word.height, [word]))
    result = [TextLine(sorted(members, key=lambda w: w.x0)) for _, _, members in lines]
    result.sort(key=lambda line: line.top)
    return result


def _overlaps(word: Word, members: list[Word]) -> bool:
    """Whether the word covers a word already on the line (then it is another line's)."""
    for other in members:
        overlap = min(word.x1, other.x1) - max(word.x0, other.x0)
        if overlap > 0.5 * min(word.x1 - word.x0, other.x1 - other.x0):
            return True
    return False


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
