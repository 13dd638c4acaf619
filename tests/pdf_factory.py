"""Test PDFs made on the fly: born-digital and scanned invoices, a letter, broken files.

Each invoice maker returns an InvoiceSpec holding what was printed, so a test can compare
the pipeline's output with it field by field.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

CENT = Decimal("0.01")
SCAN_DPI = 300

_MONTHS_EN = "January February March April May June July August September October November December".split()
_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


@dataclass
class InvoiceLine:
    designation: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal = Decimal("20")

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)


def _default_lines() -> list[InvoiceLine]:
    return [
        InvoiceLine("Website redesign", Decimal("1"), Decimal("1850.00")),
        InvoiceLine("Hosting (12 months)", Decimal("12"), Decimal("24.90")),
        InvoiceLine("Training session", Decimal("2"), Decimal("375.50")),
    ]


@dataclass
class InvoiceSpec:
    """What an invoice PDF made here says; the totals are computed from the lines."""

    seller: str = "Atelier Dupont SARL"
    seller_vat_id: str = "FR32123456789"
    seller_address: tuple[str, ...] = ("12 rue des Lilas", "75011 Paris, France")
    customer: str = "Northwind Traders Ltd"
    customer_address: tuple[str, ...] = ("221 Baker Street", "London NW1 6XE")
    invoice_number: str = "INV-2024-0042"
    date: dt.date = dt.date(2024, 3, 15)
    due_date: dt.date = dt.date(2024, 4, 14)
    currency: str = "EUR"
    language: str = "en"
    lines: list[InvoiceLine] = field(default_factory=_default_lines)
    letterhead: str = "text"
    """How the seller's block (name, address, VAT id) is printed: 'text', 'image' (only in a picture, as a
    scanned letterhead or a logo with the address; the legal footer that names the seller is left out), or
    'text+logo' (text, and a picture of the name too)."""
    ruled: bool = False
    """Draw the line-item table as a grid: a rule above and below every row and between the
    columns, close to the cells' text, as spreadsheet-made and ERP invoices print them."""

    @property
    def total_without_vat(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def total_vat(self) -> Decimal:
        vat = sum((line.total * line.vat_rate / 100 for line in self.lines), Decimal("0"))
        return vat.quantize(CENT, ROUND_HALF_UP)

    @property
    def total_with_vat(self) -> Decimal:
        return self.total_without_vat + self.total_vat


def make_text_invoice(path: Path, **fields) -> InvoiceSpec:
    """A born-digital one-page invoice (reportlab), in English, French (language='fr') or German
    (language='de').

    Any InvoiceSpec field may be given; returns the spec that was printed.
    """
    spec = InvoiceSpec(**fields)
    c = canvas.Canvas(str(path), pagesize=A4)
    _draw_invoice(c, spec)
    c.showPage()
    c.save()
    return spec


def make_scanned_invoice(
    path: Path,
    *,
    rotation_deg: float = 0.4,
    noise: float = 12.0,
    seed: int = 7,
    with_letter_page: bool = False,
    rotate_quarter_turns: int = 0,
    blur: float = 0.6,
    salt_and_pepper: float = 0.0,
    **fields,
) -> InvoiceSpec:
    """The invoice of make_text_invoice as a 300 DPI scan: rendered, slightly rotated
    (rotation_deg, counter-clockwise), speckled, blurred, and saved as an image-only PDF (no
    text layer). with_letter_page adds a scanned second page holding the letter of make_letter.
    rotate_quarter_turns turns every page a further 90° counter-clockwise per turn, as a sheet
    fed sideways or upside down. salt_and_pepper is the fraction of pixels then set black or white
    (sharp sensor noise, as from a fax or a dirty scanner glass)."""
    spec = InvoiceSpec(**fields)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    _draw_invoice(c, spec)
    c.showPage()
    if with_letter_page:
        _draw_letter(c)
        c.showPage()
    c.save()
    images = [
        _speckle(
            image.rotate(rotation_deg, resample=Image.BICUBIC, expand=False, fillcolor=255), noise, seed + i
        ).filter(ImageFilter.GaussianBlur(blur))
        for i, image in enumerate(_rasterise(buffer.getvalue()))
    ]
    if salt_and_pepper:
        images = [_salt_and_pepper(image, salt_and_pepper, seed + i) for i, image in enumerate(images)]
    if rotate_quarter_turns % 4:
        images = [image.rotate(90 * (rotate_quarter_turns % 4), expand=True) for image in images]
    images[0].save(path, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:])
    return spec


def erase_from_scan(path: Path, out: Path, boxes_pt: list[tuple[float, float, float, float]]) -> None:
    """A copy of the first page of an image-only PDF with white rectangles over the boxes (x0, top, x1,
    bottom in points from the top-left): what was printed there is gone for any reader."""
    document = pdfium.PdfDocument(str(path))
    image = document[0].render(scale=SCAN_DPI / 72, grayscale=True).to_pil().copy()
    document.close()
    draw = ImageDraw.Draw(image)
    scale = SCAN_DPI / 72
    for x0, top, x1, bottom in boxes_pt:
        draw.rectangle((x0 * scale, top * scale, x1 * scale, bottom * scale), fill=255)
    image.save(out, "PDF", resolution=SCAN_DPI)


def _rasterise(pdf_bytes: bytes) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        images = []
        for page in pdf:
            images.append(page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L"))
            page.close()
        return images
    finally:
        pdf.close()


def make_letter(path: Path) -> None:
    """A business letter: not an invoice, though it mentions one."""
    c = canvas.Canvas(str(path), pagesize=A4)
    _draw_letter(c)
    c.showPage()
    c.save()


def _draw_letter(c: canvas.Canvas) -> None:
    width, height = A4
    y = height - 60
    c.setFont("Helvetica-Bold", 15)
    c.drawString(50, y, "Harbour Lights Consulting Ltd")
    c.setFont("Helvetica", 10)
    for text in ("4 Quay Street", "Bristol BS1 4DB", "United Kingdom"):
        y -= 14
        c.drawString(50, y, text)
    y -= 40
    c.drawString(350, y, "Bristol, 2 May 2024")
    y -= 40
    paragraphs = [
        "Dear Ms Laurent,",
        "",
        "Thank you for meeting our team last week. As discussed, we would be glad to help you",
        "plan the move of your offices to the new building in September.",
        "We will send you a detailed proposal next week; an invoice will only follow once the work",
        "has been agreed. Please do not hesitate to contact me with any question.",
        "",
        "Kind regards,",
        "",
        "Oliver Grant",
        "Managing Director",
    ]
    for text in paragraphs:
        c.drawString(50, y, text)
        y -= 16


def make_blank_pdf(path: Path) -> None:
    """One white page: no text layer, and nothing for OCR to read."""
    c = canvas.Canvas(str(path), pagesize=A4)
    c.showPage()
    c.save()


def make_encrypted_pdf(path: Path, password: str = "s3cret") -> None:
    """An invoice that opens only with a password."""
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=password)
    _draw_invoice(c, InvoiceSpec())
    c.showPage()
    c.save()


def make_corrupt_pdf(path: Path) -> None:
    """A file with a PDF header and no PDF after it: a damaged download."""
    rng = random.Random(3)
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(rng.randrange(256) for _ in range(2000)))


def make_empty_pdf(path: Path) -> None:
    """A well-formed PDF whose page tree has no pages."""
    _write_pdf_objects(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def format_amount(value: Decimal, language: str) -> str:
    """1234.5 as '1,234.50' (en), '1 234,50' (fr) or '1.234,50' (de)."""
    text = f"{value:,.2f}"
    if language == "fr":
        text = text.replace(",", " ").replace(".", ",")
    elif language == "de":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def format_money(value: Decimal, currency: str, language: str) -> str:
    symbol = _CURRENCY_SYMBOLS.get(currency, currency)
    if language in ("fr", "de"):
        return f"{format_amount(value, language)} {symbol}"
    return f"{symbol}{format_amount(value, language)}"


def format_date(value: dt.date, language: str) -> str:
    if language == "fr":
        return value.strftime("%d/%m/%Y")
    if language == "de":
        return value.strftime("%d.%m.%Y")
    return f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"


def _draw_invoice(c: canvas.Canvas, spec: InvoiceSpec) -> None:
    t = {"fr": _FR, "de": _DE}.get(spec.language, _EN)
    width, height = A4
    left, right = 50, width - 50

    y = height - 60
    seller_block = (spec.seller, *spec.seller_address, f"{t['vat_id']}: {spec.seller_vat_id}")
    if spec.letterhead == "image":
        _draw_picture_of_text(c, seller_block, left, y + 16, 16)
        y -= 14 * (len(seller_block) - 1)
    else:
        c.setFont("Helvetica-Bold", 16)
        c.drawString(left, y, spec.seller)
        c.setFont("Helvetica", 10)
        for text in seller_block[1:]:
            y -= 14
            c.drawString(left, y, text)
    if spec.letterhead == "text+logo":
        _draw_picture_of_text(c, (spec.seller,), 230, height - 30, 30)

    c.setFont("Helvetica-Bold", 20)
    c.drawRightString(right, height - 60, t["title"])
    c.setFont("Helvetica", 10)
    meta = (
        (t["number"], spec.invoice_number),
        (t["date"], format_date(spec.date, spec.language)),
        (t["due"], format_date(spec.due_date, spec.language)),
    )
    y_meta = height - 90
    for label, value in meta:
        c.drawString(360, y_meta, f"{label}:")
        c.drawRightString(right, y_meta, value)
        y_meta -= 14

    y = height - 190
    c.setFont("Helvetica-Bold", 10)
    c.drawString(left, y, f"{t['bill_to']}:")
    c.setFont("Helvetica", 10)
    for text in (spec.customer, *spec.customer_address):
        y -= 14
        c.drawString(left, y, text)

    y -= 40
    columns = (left, 290, 405, 460, right)  # description left edge, then right edges
    c.setFont("Helvetica-Bold", 10)
    c.drawString(columns[0], y, t["col_description"])
    for x, label in zip(columns[1:], (t["col_qty"], t["col_price"], t["col_vat"], t["col_total"]), strict=True):
        c.drawRightString(x, y, label)
    c.line(left, y - 5, right, y - 5)
    table_top = y + 13
    c.setFont("Helvetica", 10)
    for line in spec.lines:
        y -= 20
        c.drawString(columns[0], y, line.designation)
        c.drawRightString(columns[1], y, f"{line.quantity.normalize():f}")
        c.drawRightString(columns[2], y, format_amount(line.unit_price, spec.language))
        c.drawRightString(columns[3], y, f"{line.vat_rate.normalize():f}%")
        c.drawRightString(columns[4], y, format_amount(line.total, spec.language))
        if spec.ruled:
            c.line(left - 4, y - 5, right + 4, y - 5)
    c.line(left, y - 8, right, y - 8)
    if spec.ruled:
        c.setLineWidth(0.8)
        c.line(left - 4, table_top, right + 4, table_top)
        for x in (left - 4, *(edge + 3 for edge in columns[1:])):
            c.line(x, table_top, x, y - 5)
        c.setLineWidth(1)

    y -= 35
    rate = spec.lines[0].vat_rate.normalize() if spec.lines else Decimal("0")
    totals = (
        (t["subtotal"], spec.total_without_vat),
        (t["vat"].format(rate=f"{rate:f}"), spec.total_vat),
        (t["total"], spec.total_with_vat),
    )
    for label, value in totals:
        c.setFont("Helvetica-Bold" if value is spec.total_with_vat else "Helvetica", 10)
        c.drawString(360, y, label)
        c.drawRightString(right, y, format_money(value, spec.currency, spec.language))
        y -= 16

    c.setFont("Helvetica", 8)
    c.drawString(left, 80, t["terms"])
    if spec.letterhead != "image":  # an image letterhead stands for a seller shown only as a picture
        c.drawString(left, 66, t["legal"].format(seller=spec.seller))


_EN = {
    "title": "INVOICE",
    "vat_id": "VAT number",
    "number": "Invoice No",
    "date": "Invoice date",
    "due": "Due date",
    "bill_to": "Bill to",
    "col_description": "Description",
    "col_qty": "Qty",
    "col_price": "Unit price",
    "col_vat": "VAT",
    "col_total": "Amount",
    "subtotal": "Subtotal",
    "vat": "VAT {rate}%",
    "total": "Total due",
    "terms": "Payment by bank transfer within 30 days. IBAN FR76 3000 6000 0112 3456 7890 189.",
    "legal": "{seller} - registered in Paris, RCS 123 456 789.",
}
_FR = {
    "title": "FACTURE",
    "vat_id": "N° TVA",
    "number": "Facture n°",
    "date": "Date de facture",
    "due": "Date d'échéance",
    "bill_to": "Facturé à",
    "col_description": "Désignation",
    "col_qty": "Qté",
    "col_price": "Prix unitaire HT",
    "col_vat": "TVA",
    "col_total": "Montant HT",
    "subtotal": "Total HT",
    "vat": "TVA {rate} %",
    "total": "Total TTC",
    "terms": "Paiement par virement sous 30 jours. Pénalités de retard : trois fois le taux d'intérêt légal.",
    "legal": "{seller} au capital de 10 000 € - RCS Paris 123 456 789.",
}
_DE = {
    "title": "RECHNUNG",
    "vat_id": "USt-IdNr.",
    "number": "Rechnungsnummer",
    "date": "Rechnungsdatum",
    "due": "Fällig am",
    "bill_to": "Rechnungsempfänger",
    "col_description": "Beschreibung",
    "col_qty": "Menge",
    "col_price": "Einzelpreis",
    "col_vat": "MwSt.",
    "col_total": "Betrag",
    "subtotal": "Nettobetrag",
    "vat": "MwSt. {rate} %",
    "total": "Gesamtbetrag",
    "terms": "Zahlbar innerhalb von 30 Tagen ohne Abzug. Bitte geben Sie bei der Überweisung die Rechnungsnummer an.",
    "legal": "{seller} - Sitz der Gesellschaft: München, Amtsgericht München HRB 12345.",
}


def _draw_picture_of_text(c: canvas.Canvas, lines: tuple[str, ...], x: float, top: float, line_pt: float) -> None:
    """Draw lines as an image (300 DPI, DejaVu Sans), its top-left corner at (x, top) in reportlab's points:
    text a PDF shows without a text layer for it."""
    scale = SCAN_DPI / 72
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", round(0.7 * line_pt * scale))
    width_pt = 10 + max(font.getlength(line) for line in lines) / scale
    image = Image.new("L", (round(width_pt * scale), round(line_pt * len(lines) * scale + 6 * scale)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((5 * scale, (3 + i * line_pt) * scale), line, fill=0, font=font)
    height_pt = image.height / scale
    c.drawImage(ImageReader(image), x, top - height_pt, width=width_pt, height=height_pt)


def _speckle(image: Image.Image, amount: float, seed: int) -> Image.Image:
    """Scanner noise: a few dark specks and a slightly grey background."""
    rng = random.Random(seed)
    pixels = image.load()
    w, h = image.size
    for _ in range(int(w * h * amount / 1e5)):
        x, y = rng.randrange(w), rng.randrange(h)
        pixels[x, y] = rng.randrange(0, 120)
    return image.point(lambda v: max(0, min(255, int(v * 0.94 + 6))))


def _salt_and_pepper(image: Image.Image, fraction: float, seed: int) -> Image.Image:
    rng = random.Random(seed)
    pixels = image.load()
    w, h = image.size
    for _ in range(int(w * h * fraction)):
        pixels[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 0, 255))
    return image


def make_truncated_pdf(path: Path) -> None:
    """The invoice of make_text_invoice cut in half, as after an interrupted download."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    _draw_invoice(c, InvoiceSpec())
    c.showPage()
    c.save()
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2])


def make_many_pages_pdf(path: Path, pages: int) -> None:
    """A PDF of `pages` A4 pages that all draw one shared content stream, written by hand: 10,000
    pages take a few milliseconds and 1.5 MB."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    content = b"BT /F1 24 Tf 72 720 Td (Page of a very long document) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects += [page] * pages
    _write_pdf_objects(path, objects)


def make_huge_page_pdf(path: Path, width_in: float, height_in: float) -> None:
    """One blank page (so it needs OCR) of width_in × height_in inches. PDFium reports a MediaBox
    beyond the specification's 200-inch limit as it is, and ignores /UserUnit, so the box itself
    says the size."""
    box = b"[0 0 %.2f %.2f]" % (width_in * 72, height_in * 72)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << >> >>" % box,
    ]
    _write_pdf_objects(path, objects)


def _write_pdf_objects(path: Path, objects: list[bytes]) -> None:
    """A PDF of these objects (numbered from 1, the first being the catalog) with its xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def make_padded_pdf(path: Path, size_bytes: int, seed: int = 0) -> None:
    """A one-page PDF with one line of text, padded to about size_bytes with random bytes (in an
    unreferenced stream object): it does not compress, so a ZIP of such files is as big as they are."""
    text = b"BT /F1 12 Tf 72 760 Td (Padded test document %d) Tj ET" % seed
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources "
        b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
    ]
    padding = random.Random(seed).randbytes(max(size_bytes - 900, 0))
    objects.append(b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream")
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))


def make_reference_only_invoice(
    path: Path,
    *,
    number: str,
    day: dt.date,
    seller: str = "Kestrel Systems GmbH",
    seller_vat_id: str = "DE811907980",
    amounts: tuple[Decimal, ...] = (Decimal("480.00"), Decimal("120.50")),
) -> None:
    """A German invoice whose own number is printed only as the payment reference at the foot of the page
    ("Bitte bei Zahlung angeben: <number>"), next to a project number in the header: a layout whose number a
    reader finds no label for. The seller's legal name and VAT id are in the footer, under a trade name."""
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    german = lambda value: f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")  # noqa: E731
    c.setFont("Helvetica-Bold", 26)
    c.drawString(50, height - 60, seller.split()[0].upper())
    c.setFont("Helvetica", 10)
    c.drawString(50, height - 150, "Nordlicht Handel AG")
    c.drawString(50, height - 162, "Ringstrasse 4, 80331 Muenchen")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, height - 210, "Rechnung")
    c.setFont("Helvetica", 9)
    for i, (label, value) in enumerate(
        [("Kundennummer", "40017"), ("Projekt", f"P-{3300 + len(number) * 7}"), ("Datum", day.strftime("%d.%m.%Y"))]
    ):
        c.drawString(350, height - 150 - 12 * i, label)
        c.drawRightString(540, height - 150 - 12 * i, value)
    y = height - 250
    c.drawString(50, y, "Pos")
    c.drawString(80, y, "Bezeichnung")
    c.drawRightString(540, y, "Betrag EUR")
    for i, amount in enumerate(amounts, 1):
        y -= 14
        c.drawString(50, y, str(i))
        c.drawString(80, y, f"Leistung {i}")
        c.drawRightString(540, y, german(amount))
    net = sum(amounts, Decimal(0))
    vat = (net * Decimal("0.19")).quantize(CENT, ROUND_HALF_UP)
    for label, value in (("Netto", net), ("USt 19 %", vat), ("Gesamt", net + vat)):
        y -= 16
        c.drawString(380, y, label)
        c.drawRightString(540, y, german(value))
    c.drawString(50, 100, "Bitte bei Zahlung angeben:")
    c.drawString(170, 100, number)
    c.setFont("Helvetica", 7)
    c.drawString(50, 40, seller)
    c.drawString(200, 40, "Hafenstrasse 12, 20457 Hamburg")
    c.drawString(380, 40, f"USt-IdNr. {seller_vat_id}")
    c.showPage()
    c.save()
