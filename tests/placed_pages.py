"""Pages built from text placed at points, for the tests of the learned parties and VAT ids."""

from __future__ import annotations

from reportlab.lib.pagesizes import A4

from invoice_reader.text_lines import PageText, Word, build_lines

WIDTH, HEIGHT = A4


def page(*cells: tuple[float, float, str] | tuple[float, float, str, float]) -> PageText:
    """An A4 page with each (x, top, text[, size]) printed there, in points from the top-left."""
    words = []
    for x, top, text, *rest in cells:
        size = rest[0] if rest else 9.0
        for token in text.split(" "):
            if token:
                words.append(Word(token, x, top, x + 0.5 * size * len(token), top + size))
            x += 0.5 * size * (len(token) + 1)
    return PageText(index=0, lines=build_lines(words), width=WIDTH, height=HEIGHT)


def rows(x: float, top: float, *texts: str, size: float = 9.0, step: float = 12.0) -> list[tuple]:
    """One cell a line, from top down, step points apart."""
    return [(x, top + i * step, text, size) for i, text in enumerate(texts)]


TOTALS = [
    *rows(50, 330, "Description", "Consulting services", "Travel expenses"),
    *rows(330, 330, "Quantity", "10", "1"),
    *rows(400, 330, "Unit price", "95.00", "120.00"),
    *rows(480, 330, "Amount", "950.00", "120.00"),
    *rows(380, 400, "Subtotal", "VAT 20 %", "Total"),
    *rows(480, 400, "1,070.00", "214.00", "1,284.00"),
]
"""An item table and its totals, below the blocks the tests place."""
