"""Where on the page each extracted value was printed, so that a person can check it.

The finders return values; this module finds the words that print them again (an amount
by its value, a date by its date, a name by its text) and reports their page and box.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .amounts import find_dates, find_numbers
from .result import FieldSource
from .text_lines import PageText, TextLine

Box = tuple[float, float, float, float]


class PageLines:
    """The document's lines in reading order, each with its page index and source."""

    def __init__(self, pages: list[PageText], ocr_pages: set[int] | frozenset[int] = frozenset()):
        self.lines: list[TextLine] = []
        self.page_of: list[int] = []
        self.ocr_pages = set(ocr_pages)
        for page in pages:
            self.lines += page.lines
            self.page_of += [page.index] * len(page.lines)

    def source(self, index: int, confidence: float, start: int = 0, end: int | None = None) -> FieldSource:
        """The FieldSource of text[start:end] of line index (the whole line by default)."""
        line = self.lines[index]
        text = line.layout_text()
        words = line.words_covering(start, end or len(text))
        words = words or line.words
        box = (
            min(w.x0 for w in words),
            min(w.top for w in words),
            max(w.x1 for w in words),
            max(w.bottom for w in words),
        )
        page = self.page_of[index]
        # A word read by another reader than the page's says so (Florence-2, OCR of an image).
        source = next((word.source for word in words if word.source), None)
        if source is None:
            source = "ocr" if page in self.ocr_pages else "text_layer"
        return FieldSource(source, page, box, confidence)

    def locate_on(self, index: int, value: object, confidence: float, decimal_comma: bool | None, day_first: bool):
        """The FieldSource of the value on line index, or of the whole line when not found there."""
        span = _find(self.lines[index].layout()[0], value, decimal_comma, day_first)
        return self.source(index, confidence, *(span or (0, None)))

    def locate(self, value: object, confidence: float, decimal_comma: bool | None, day_first: bool, last: bool = False):
        """The FieldSource of the first (or last) place the value is printed, or None."""
        order = range(len(self.lines) - 1, -1, -1) if last else range(len(self.lines))
        for index in order:
            span = _find(self.lines[index].layout()[0], value, decimal_comma, day_first)
            if span is not None:
                return self.source(index, confidence, *span)
        return None


def _find(text: str, value: object, decimal_comma: bool | None, day_first: bool) -> tuple[int, int] | None:
    """(start, end) of value printed in text, or None."""
    if isinstance(value, date):
        return next(((d.start, d.end) for d in find_dates(text, day_first) if d.value == value), None)
    if isinstance(value, Decimal):
        return next(
            (
                (n.start, n.end)
                for n in find_numbers(text, decimal_comma)
                if not n.is_percent and abs(n.value) == abs(value)
            ),
            None,
        )
    wanted = str(value)
    start = text.find(wanted)
    if start >= 0:
        return start, start + len(wanted)
    # Printed with spaces or other separators ("DE 123 456 789"), or in another case.
    pattern = r"[\s.\-]?".join(re.escape(c) for c in wanted.replace(" ", ""))
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None
