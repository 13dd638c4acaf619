"""Drawing a Printed document onto A4 pages with reportlab, per Layout, and turning a PDF
into a 300 DPI scan (skew, blur, speckle noise, sometimes a quarter or half turn)."""

from __future__ import annotations

import io
import random

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from benchmarks.synthetic import Layout, Printed

SCAN_DPI = 300
WIDTH, HEIGHT = A4
MARGIN = 50
VALUE_COLUMN_GAPS = (8, 8, 16, 24, 36)
"""Points between the longest label of a 'label: value' list and the values' column."""
LABEL_COLUMN_WIDTHS = (45, 55, 70)
"""Points a label may take before it wraps, in the documents whose labels wrap."""
BOTTOM = 90
"""Rows stop above this line; the footer lives below it."""

_BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}
_COLUMN_WIDTH = {"designation": 0.46, "qty": 0.1, "price": 0.16, "vat": 0.1, "total": 0.18}


def render_pdf(doc: Printed, layout: Layout) -> tuple[bytes, int]:
    """The PDF bytes (deterministic: reportlab's invariant mode) and the page count."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page = _Page(c, doc, layout)
    y = page.header()
    if doc.account and doc.account_first:
        y = page.account(y)
    if doc.body:
        y = page.body(y)
    if doc.columns:
        y = page.table(y)
    if doc.vat_table and doc.vat_table_first:
        y = page.vat_table(y)
    y = page.totals(y)
    if doc.vat_table and not doc.vat_table_first:
        y = page.vat_table(y)
    if doc.account and not doc.account_first:
        y = page.account(y)
    page.notes(y)
    page.finish()
    c.save()
    return buffer.getvalue(), page.number


class _Page:
    """The drawing state: canvas, current page number, fonts."""

    def __init__(self, c: canvas.Canvas, doc: Printed, layout: Layout):
        self.c, self.doc, self.layout = c, doc, layout
        self.font, self.bold = layout.font, _BOLD[layout.font]
        self.size = 9 if layout.font == "Courier" else 10
        self.number = 1

    # -- helpers ---------------------------------------------------------------------------
    def text(
        self, x: float, y: float, s: str, *, bold: bool = False, size: float | None = None, align: str = "left"
    ) -> None:
        self.c.setFont(self.bold if bold else self.font, size or self.size)
        if align == "right":
            self.c.drawRightString(x, y, s)
        elif align == "center":
            self.c.drawCentredString(x, y, s)
        else:
            self.c.drawString(x, y, s)

    def new_page(self) -> float:
        self.footer()
        self.c.showPage()
        self.number += 1
        doc = self.doc
        self.text(MARGIN, HEIGHT - 50, self.sender_name(), bold=True)
        ident = f"{doc.title} {doc.meta[0][1]}".strip() if doc.title else doc.meta[0][1]
        self.text(WIDTH - MARGIN, HEIGHT - 50, ident, align="right")
        return HEIGHT - 90

    def footer(self) -> None:
        self.c.setFont(self.font, 7.5)
        shown = self.layout.sender_in_footer or len(self.doc.footer) > 1 or self.doc.name_in_footer_only
        lines = self.doc.footer if shown else []
        y = 58
        for line in lines:
            self.c.drawCentredString(WIDTH / 2, y, line)
            y -= 10
        self.text(WIDTH - MARGIN, 24, self.doc.page_word.format(n=self.number), size=7.5, align="right")

    def finish(self) -> None:
        self.footer()
        self.c.showPage()

    # -- blocks ----------------------------------------------------------------------------
    def header(self) -> float:
        doc, lay = self.doc, self.layout
        top = HEIGHT - 55
        sender = doc.sender[: doc.sender_name_lines] if lay.sender_in_footer else doc.sender
        sx, align = {"left": (MARGIN, "left"), "right": (WIDTH - MARGIN, "right"), "center": (WIDTH / 2, "center")}[
            lay.header_side
        ]
        y = top
        style = doc.sender_style
        name_lines = doc.sender_name_lines
        if style == "logo":
            y = self.logo(sx, y, align)
            if doc.name_in_footer_only:
                sender, name_lines = sender[name_lines:], 0
        elif style == "headed":
            self.text(sx, y, doc.sender_heading, bold=True, size=self.size - 1, align=align)
            y -= 13
        for i, line in enumerate(sender):
            name = i < name_lines
            large = name and style == "letterhead"
            self.text(sx, y, line, bold=name and style != "plain", size=14 if large else self.size, align=align)
            y -= (16 if i + 1 < name_lines else 18) if large else 12
        sender_bottom = y
        # Title opposite the sender (or under it when centred).
        if doc.title:
            if lay.header_side == "center":
                title_y, tx, talign = sender_bottom - 12, WIDTH / 2, "center"
                sender_bottom -= 30
            else:
                title_y, tx, talign = (
                    top,
                    (WIDTH - MARGIN if lay.header_side == "left" else MARGIN),
                    ("right" if lay.header_side == "left" else "left"),
                )
            # A title that carries the number ("Rechnung R-2022-0042") shrinks to fit its half of the page.
            title = f"{doc.title} {doc.meta[0][1]}" if doc.number_in_title else doc.title
            size = 20
            room = WIDTH - 2 * MARGIN if lay.header_side == "center" else WIDTH / 2 - MARGIN - 10
            while doc.number_in_title and size > 11 and self.c.stringWidth(title, self.bold, size) > room:
                size -= 1
            self.text(tx, title_y, title, bold=True, size=size, align=talign)
        # Customer: in the envelope window (left) or opposite the sender.
        cy = min(sender_bottom, HEIGHT - 120) - 24
        cx = MARGIN if lay.header_side != "left" or lay.family == "horizontal" else WIDTH / 2 + 30
        if lay.family == "window":
            cx, cy = MARGIN, HEIGHT - 170
        self.text(cx, cy, doc.customer_heading, bold=True, size=self.size - 1)
        yy = cy - 13
        for line in doc.customer:
            self.text(cx, yy, line)
            yy -= 12
        customer_bottom = yy
        if doc.ship_to:
            # Beside the customer's block when the line leaves room before the meta column (or the
            # margin), else under it.
            meta_beside = cx == MARGIN and lay.meta_style == "left" and lay.family != "window"
            right = WIDTH / 2 + 20 if meta_beside else WIDTH - MARGIN
            bx = cx + self.widest([doc.customer_heading, *doc.customer]) + 30
            if doc.ship_to_beside and bx + self.widest(doc.ship_to) <= right:
                yy = cy
            else:
                bx, yy = cx, yy - 10
            self.text(bx, yy, doc.ship_to[0], bold=True, size=self.size - 1)
            yy -= 13
            for line in doc.ship_to[1:]:
                self.text(bx, yy, line)
                yy -= 12
            customer_bottom = min(customer_bottom, yy)
        # Meta: a list of 'label: value' lines, or a row of label-over-value cells; without the
        # number when the title carries it.
        meta = doc.meta[1:] if doc.number_in_title else doc.meta
        if lay.meta_style == "left":
            mx = WIDTH / 2 + 30 if cx == MARGIN else MARGIN
            if lay.family == "window":
                mx, my = MARGIN, customer_bottom - 16
            else:
                my = cy
            # The values' column: just after the longest label, or further right (from a stream of
            # its own), so that the longest label is not always printed in one cell with its value.
            # Labels in a narrow column (from a stream of its own, in a third of the documents) wrap
            # onto a second line, the value beside the first line, between the two or beside the last.
            shape = random.Random(f"{meta}|label column")
            narrow = shape.random() < 1 / 3
            label_width = shape.choice(LABEL_COLUMN_WIDTHS) if narrow else None
            value_beside = shape.choice(("first", "middle", "last"))
            gap = random.Random(f"{meta}|value column").choice(VALUE_COLUMN_GAPS)
            labels = [self.wrap(f"{label}:", self.font, self.size, label_width) for label, _ in meta]
            width = max(self.c.stringWidth(line, self.font, self.size) for lines in labels for line in lines) + gap
            for lines, (_, value) in zip(labels, meta):
                for k, line in enumerate(lines):
                    self.text(mx, my - 11 * k, line)
                drop = {"first": 0, "middle": 5.5, "last": 11}[value_beside] * (len(lines) - 1)
                self.text(mx + width, my - drop, value)
                my -= 13 + 11 * (len(lines) - 1)
            return min(my, customer_bottom) - 20
        y = customer_bottom - 18
        # Four cells a row; in a third of the documents (from a stream of its own) five, whose
        # labels wrap in a narrow column, each value under its own label's last line.
        shape = random.Random(f"{meta}|cells")
        narrow = shape.random() < 1 / 3
        per_row = 5 if narrow else 4
        cell = (WIDTH - 2 * MARGIN) / per_row
        label_width = shape.choice(LABEL_COLUMN_WIDTHS) if narrow else cell - 8
        for start in range(0, len(meta), per_row):
            cells = meta[start : start + per_row]
            labels = [self.wrap(label, self.bold, self.size - 2, label_width) for label, _ in cells]
            for i, (lines, (_, value)) in enumerate(zip(labels, cells)):
                x = MARGIN + i * cell
                for k, line in enumerate(lines):
                    self.text(x + 3, y - 10 * k, line, size=self.size - 2, bold=True)
                self.text(x + 3, y - 13 - 10 * (len(lines) - 1), value)
            extra = 10 * (max(len(lines) for lines in labels) - 1)
            if lay.table_style == "ruled":
                self.c.rect(MARGIN, y - 19 - extra, WIDTH - 2 * MARGIN, 31 + extra, stroke=1, fill=0)
            y -= 36 + extra
        return y - 4

    def wrap(self, text: str, font: str, size: float, width: float | None) -> list[str]:
        """text in lines no wider than width (a word longer than that keeps a line to itself)."""
        if width is None:
            return [text]
        lines: list[str] = []
        for w in text.split():
            if lines and self.c.stringWidth(f"{lines[-1]} {w}", font, size) <= width:
                lines[-1] = f"{lines[-1]} {w}"
            else:
                lines.append(w)
        return lines or [text]

    def widest(self, lines: list[str]) -> float:
        """The width of the longest of lines, printed bold (headings are)."""
        return max((self.c.stringWidth(line, self.bold, self.size) for line in lines), default=0.0)

    def sender_name(self) -> str:
        return " ".join(self.doc.sender[: self.doc.sender_name_lines])

    def logo(self, x: float, y: float, align: str) -> float:
        """The seller's initials drawn as a picture (no text layer, as logos are), its top at y;
        returns the y under it."""
        from PIL import ImageDraw, ImageFont
        from reportlab.lib.utils import ImageReader

        initials = "".join(w[0] for w in self.sender_name().split()[:3] if w[0].isalpha()).upper() or "X"
        image = Image.new("L", (360, 144), 255)
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 143, 143), fill=60)
        draw.text((160, 30), initials, fill=0, font=ImageFont.load_default(size=80))
        width, height = 90, 36
        left = {"left": x, "right": x - width, "center": x - width / 2}[align]
        self.c.drawImage(ImageReader(image), left, y - height + 10, width, height)
        return y - height - 6

    def body(self, y: float) -> float:
        from reportlab.lib.utils import simpleSplit

        for paragraph in self.doc.body:
            for line in simpleSplit(paragraph, self.font, self.size + 1, WIDTH - 2 * MARGIN):
                self.text(MARGIN, y, line, size=self.size + 1)
                y -= 15
            y -= 8
        return y - 10

    def _columns(self) -> list[tuple[str, float, float]]:
        """(key, x of left edge, width) per column, scaled to the page."""
        keys = self.doc.columns
        scale = (WIDTH - 2 * MARGIN) / sum(_COLUMN_WIDTH[k] for k in keys)
        x, out = MARGIN, []
        for key in keys:
            w = _COLUMN_WIDTH[key] * scale
            out.append((key, x, w))
            x += w
        return out

    def _cell(self, key: str, x: float, w: float, y: float, s: str, bold: bool = False) -> None:
        if key == "designation":
            self.text(x + 4, y, s, bold=bold)
        else:
            self.text(x + w - 4, y, s, bold=bold, align="right")

    def _table_head(self, y: float) -> float:
        cols, lay = self._columns(), self.layout
        if lay.table_style == "zebra":
            self.c.setFillGray(0.8)
            self.c.rect(MARGIN, y - 5, WIDTH - 2 * MARGIN, 17, stroke=0, fill=1)
            self.c.setFillGray(0)
        for key, x, w in cols:
            self._cell(key, x, w, y, self.doc.headers[key], bold=True)
        if lay.table_style != "zebra":
            self.c.line(MARGIN, y - 6, WIDTH - MARGIN, y - 6)
        return y - 20

    def table(self, y: float) -> float:
        doc, lay = self.doc, self.layout
        cols = self._columns()
        show_sums = "total" in doc.columns
        y = self._table_head(y)
        for i, row in enumerate(doc.rows):
            height = 13 * len(row["designation"]) + 4
            if y - height < BOTTOM + 20:
                if show_sums and i:
                    self.text(MARGIN + 4, y - 4, doc.carried_label, bold=True)
                    self.text(WIDTH - MARGIN - 4, y - 4, doc.running[i - 1], bold=True, align="right")
                y = self._table_head(self.new_page())
                if show_sums and i:
                    self.text(MARGIN + 4, y, doc.brought_label, bold=True)
                    self.text(WIDTH - MARGIN - 4, y, doc.running[i - 1], bold=True, align="right")
                    y -= 16
            if lay.table_style == "zebra" and i % 2:
                self.c.setFillGray(0.92)
                self.c.rect(MARGIN, y - height + 9, WIDTH - 2 * MARGIN, height, stroke=0, fill=1)
                self.c.setFillGray(0)
            for key, x, w in cols:
                for j, s in enumerate(row[key]):
                    self._cell(key, x, w, y - 13 * j, s)
            if lay.table_style == "ruled":
                self.c.line(MARGIN, y - height + 9, WIDTH - MARGIN, y - height + 9)
            y -= height
        if lay.table_style == "ruled":
            top = y + 9
            for _, x, _ in cols[1:]:
                self.c.line(x, top, x, top + 6)
        return y - 14

    def totals(self, y: float) -> float:
        doc, lay = self.doc, self.layout
        if not doc.totals:
            return y
        need = 22 if lay.totals_at == "row" else 15 * len(doc.totals) + 10
        if y - need < BOTTOM:
            y = self.new_page()
        if lay.totals_at == "row":
            cell = (WIDTH - 2 * MARGIN) / len(doc.totals)
            for i, (label, value) in enumerate(doc.totals):
                x = MARGIN + i * cell
                last = i == len(doc.totals) - 1
                self.text(x + 2, y, label, size=self.size - 2, bold=last)
                self.text(x + 2, y - 13, value, bold=last)
            self.c.line(MARGIN, y + 12, WIDTH - MARGIN, y + 12)
            return y - 34
        if lay.totals_at == "left":
            lx, vx = MARGIN, MARGIN + 260
        else:
            lx, vx = WIDTH / 2 + 10, WIDTH - MARGIN - 4
        for i, (label, value) in enumerate(doc.totals):
            last = i == len(doc.totals) - 1
            if last and lay.table_style == "ruled":
                self.c.line(lx, y + 11, WIDTH - MARGIN if lx > MARGIN else vx, y + 11)
            self.text(lx, y, label, bold=last)
            self.text(vx, y, value, bold=last, align="right")
            y -= 15
        return y - 10

    def vat_table(self, y: float) -> float:
        """The VAT summary table, left-aligned: a heading, the column headings, a row per rate."""
        doc = self.doc
        rows = len(doc.vat_table) + bool(doc.vat_table_heading)
        if y - 14 * rows - 10 < BOTTOM:
            y = self.new_page()
        if doc.vat_table_heading:
            self.text(MARGIN, y, doc.vat_table_heading, bold=True)
            y -= 14
        width = 92
        for i, row in enumerate(doc.vat_table):
            for j, cell in enumerate(row):
                x = MARGIN + (j + 1) * width - 6
                if j == 0:
                    self.text(MARGIN, y, cell, bold=i == 0, size=self.size - 1)
                else:
                    self.text(x, y, cell, bold=i == 0, size=self.size - 1, align="right")
            if i == 0:
                self.c.line(MARGIN, y - 3, MARGIN + width * len(row), y - 3)
            y -= 14
        return y - 10

    def account(self, y: float) -> float:
        """The account summary in a box, on the half of the page the totals do not use."""
        doc = self.doc
        rows = ([(doc.account_heading, "")] if doc.account_heading else []) + doc.account
        if y - 15 * len(rows) - 16 < BOTTOM:
            y = self.new_page()
        left = WIDTH / 2 + 10 if self.layout.totals_at == "left" else MARGIN
        right = left + (WIDTH / 2 - MARGIN - 10)
        top = y + 12
        for i, (label, value) in enumerate(rows):
            heading = doc.account_heading and i == 0
            last = i == len(rows) - 1
            self.text(left + 5, y, label, bold=heading or last)
            if value:
                self.text(right - 5, y, value, bold=last, align="right")
            y -= 15
        self.c.rect(left, y + 10, right - left, top - y - 10)
        return y - 14

    def notes(self, y: float) -> None:
        for note in self.doc.notes:
            if y < BOTTOM:
                y = self.new_page()
            self.text(MARGIN, y, note, size=self.size - 1)
            y -= 12


# -- scanning --------------------------------------------------------------------------------


def scan_pdf(pdf: bytes, rng: random.Random) -> tuple[bytes, dict]:
    """An image-only PDF of pdf as a 300 DPI greyscale scan, and how it was degraded."""
    skew = round(rng.uniform(-1.5, 1.5), 2)
    blur = round(rng.uniform(0.3, 1.0), 2)
    noise = round(rng.uniform(0.004, 0.012), 4)
    turn = rng.choices([0, 90, 180], weights=[0.88, 0.06, 0.06])[0]
    images = []
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L")
            page.close()
            image = image.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=255)
            image = image.filter(ImageFilter.GaussianBlur(blur))
            image = _speckle(image, noise, rng)
            if turn:
                image = image.rotate(turn, expand=True)
            images.append(image)
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:])
    return out.getvalue(), {"skew_deg": skew, "blur_px": blur, "noise": noise, "rotation": turn}


def _speckle(image: Image.Image, fraction: float, rng: random.Random) -> Image.Image:
    """Scatter dark and light specks over a fraction of the pixels (seeded)."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.size[0] * image.size[1]))
    cut = max(1, round(256 * fraction / 2))  # bytes are uniform over 0..255
    dark = noise.point(lambda v: 90 if v < cut else 255)
    light = noise.point(lambda v: 255 if v > 255 - cut else 0)
    return ImageChops.lighter(ImageChops.darker(image, dark), light)
