"""The totals decoded together (invoice_reader/totals_decoder.py, amount_candidates.py): per-rate
VAT lines added up, explanatory pages kept out, the net after a discount, a paid invoice's zero
amount due, reverse charge, and totals labels in Dutch, German and French."""

from decimal import Decimal

import pytest

from invoice_reader.amount_candidates import read_amounts
from invoice_reader.extract import extract_invoice
from invoice_reader.text_lines import PageText, Word, build_lines
from tests.pdf_factory import make_text_invoice

LABEL_X = 330.0
AMOUNT_RIGHT = 545.0
ROW_H = 15.0
CHAR_W = 0.5
"""Glyph width per point of font size."""


def _words(text: str, x: float, top: float, size: float, right: bool = False) -> list[Word]:
    """Words of text starting at x (or ending at x when right), one space apart."""
    width = CHAR_W * size * len(text)
    x = x - width if right else x
    words = []
    for token in text.split(" "):
        if token:
            words.append(Word(token, x, top, x + CHAR_W * size * len(token), top + size))
        x += CHAR_W * size * (len(token) + 1)
    return words


def invoice_page(
    items: list[tuple[str, str]],
    totals: list[tuple[str, str]],
    *,
    title: str = "Invoice INV-2025-0117",
    notes: tuple[str, ...] = (),
    index: int = 0,
    header: tuple[str, str] = ("Description", "Amount"),
) -> PageText:
    """A page: seller and title at the top, an item table (description, amount), a totals block
    with labels at LABEL_X and amounts right-aligned at AMOUNT_RIGHT, then notes."""
    words: list[Word] = []
    top = 40.0
    for text in ("Northbridge Supplies Ltd", "14 Harbour Road, Leeds LS1 4AB", title, "Date: 12/03/2025"):
        words += _words(text, 50, top, 10)
        top += ROW_H
    top += ROW_H
    words += _words(header[0], 50, top, 10) + _words(header[1], AMOUNT_RIGHT, top, 10, right=True)
    top += ROW_H
    for description, amount in items:
        words += _words(description, 50, top, 10) + _words(amount, AMOUNT_RIGHT, top, 10, right=True)
        top += ROW_H
    top += ROW_H
    for label, amount in totals:
        words += _words(label, LABEL_X, top, 10) + _words(amount, AMOUNT_RIGHT, top, 10, right=True)
        top += ROW_H
    top += ROW_H
    for note in notes:
        words += _words(note, 50, top, 9)
        top += ROW_H
    return PageText(index=index, lines=build_lines(words), width=595, height=842)


def prose_page(index: int, title: str, paragraphs: list[str], table: list[tuple[str, str]] = ()) -> PageText:
    """An explanatory page: a title, sentences, and maybe a small table of amounts."""
    words = _words(title, 50, 40, 14)
    top = 70.0
    for sentence in paragraphs:
        words += _words(sentence, 50, top, 9)
        top += ROW_H
    top += ROW_H
    for label, amount in table:
        words += _words(label, 50, top, 9) + _words(amount, 300, top, 9, right=True)
        top += ROW_H
    return PageText(index=index, lines=build_lines(words), width=595, height=842)


ITEMS = [("Steel brackets, zinc plated", "200.00"), ("Installation service", "100.00")]


def test_two_vat_lines_are_added_into_the_vat_total():
    fields = extract_invoice(
        [
            invoice_page(
                ITEMS,
                [("Net total", "300.00"), ("VAT 20% on 200.00", "40.00"), ("VAT 10% on 100.00", "10.00"),
                 ("Total", "350.00")],
            )
        ]
    )
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("300.00"), Decimal("50.00"), Decimal("350.00"))
    assert fields.amount_due == Decimal("350.00")


def test_amounts_on_an_explanatory_second_page_are_kept_out():
    first = invoice_page(ITEMS, [("Net total", "300.00"), ("VAT 20%", "60.00"), ("Total", "360.00")])
    second = prose_page(
        1,
        "Explanatory notes",
        [
            "Your contract includes a yearly allowance of 1,250.00 for maintenance work on site.",
            "Last year you used 870.50 of that allowance, and the remainder was carried over to this year.",
            "Payments made by direct debit are collected on the fifth working day of each month.",
        ],
        [("Total allowance", "1,250.00"), ("VAT on allowance", "250.00"), ("Total used", "870.50")],
    )
    fields = extract_invoice([first, second])
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("300.00"), Decimal("60.00"), Decimal("360.00"))


def test_the_net_is_taken_after_the_discount():
    fields = extract_invoice(
        [
            invoice_page(
                [("Steel brackets, zinc plated", "400.00"), ("Installation service", "100.00")],
                [("Subtotal", "500.00"), ("Discount 10%", "-50.00"), ("Net total", "450.00"),
                 ("VAT 20%", "90.00"), ("Total", "540.00")],
            )
        ]
    )
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("450.00"), Decimal("90.00"), Decimal("540.00"))


@pytest.mark.parametrize(
    "totals",
    [
        [("Net total", "300.00"), ("VAT 20%", "60.00"), ("Total", "360.00"), ("Open items", "145.20"),
         ("Amount due", "505.20")],
        [("Previous balance", "180.00"), ("Payments received", "-34.80"), ("Balance brought forward", "145.20"),
         ("Net total", "300.00"), ("VAT 20%", "60.00"), ("This bill", "360.00"), ("Amount due", "505.20")],
    ],
    ids=["open-items-under-the-total", "account-summary-above"],
)
def test_an_open_balance_carried_into_the_amount_due_leaves_the_total_alone(totals):
    """Bills that carry what is still open from earlier ones into what is due now: the invoice's total
    is this bill's, the amount due is it plus the open balance."""
    fields = extract_invoice([invoice_page(ITEMS, totals)])
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("300.00"), Decimal("60.00"), Decimal("360.00"))
    assert fields.amount_due == Decimal("505.20")


def test_a_paid_invoice_keeps_its_total_and_owes_nothing():
    fields = extract_invoice(
        [
            invoice_page(
                ITEMS,
                [("Net total", "300.00"), ("VAT 20%", "60.00"), ("Total", "360.00"), ("Paid by card", "-360.00"),
                 ("Amount due", "0.00")],
                notes=("PAID - thank you for your payment.",),
            )
        ]
    )
    assert fields.total_with_vat == Decimal("360.00")
    assert fields.amount_due == Decimal("0.00")


def test_reverse_charge_has_zero_vat_and_gross_equal_to_net():
    fields = extract_invoice(
        [
            invoice_page(
                ITEMS,
                [("Net total", "300.00"), ("Total VAT", "0.00"), ("Total", "300.00")],
                notes=("Reverse charge: VAT to be accounted for by the recipient (Article 196 VAT Directive).",),
            )
        ]
    )
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("300.00"), Decimal("0.00"), Decimal("300.00"))


def test_reverse_charge_without_a_vat_line_still_gives_zero_vat():
    fields = extract_invoice(
        [
            invoice_page(
                ITEMS,
                [("Net total", "300.00"), ("Total amount", "300.00")],
                notes=("Reverse charge: VAT to be accounted for by the recipient.",),
            )
        ]
    )
    assert fields.total_vat == Decimal("0.00")
    assert fields.total_with_vat == fields.total_without_vat == Decimal("300.00")


@pytest.mark.parametrize(
    ("items_header", "totals", "expected"),
    [
        (("Omschrijving", "Bedrag"), [("Subtotaal", "250,00"), ("BTW 21%", "52,50"), ("Te betalen", "302,50")],
         ("250.00", "52.50", "302.50")),
        (("Bezeichnung", "Betrag"), [("Nettobetrag", "250,00"), ("MwSt. 19%", "47,50"), ("Endsumme", "297,50")],
         ("250.00", "47.50", "297.50")),
        (("Bezeichnung", "Betrag"),
         [("Rechnungssumme Netto", "250,00"), ("Umsatzsteuer 19%", "47,50"), ("Rechnungssumme Brutto", "297,50")],
         ("250.00", "47.50", "297.50")),
        (("Désignation", "Montant"), [("Net HT", "250,00"), ("TVA 20 %", "50,00"), ("Net à payer", "300,00")],
         ("250.00", "50.00", "300.00")),
    ],
    ids=["nl-te-betalen", "de-endsumme", "de-rechnungssumme", "fr-net-ht"],
)
def test_totals_labels_in_other_languages(items_header, totals, expected):
    items = [("Artikel A", "150,00"), ("Artikel B", "100,00")]
    fields = extract_invoice([invoice_page(items, totals, header=items_header, title="Factuur 2025-117")])
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == tuple(Decimal(v) for v in expected)


def test_a_deposit_is_deducted_from_the_amount_due():
    fields = extract_invoice(
        [
            invoice_page(
                ITEMS,
                [("Net total", "300.00"), ("VAT 20%", "60.00"), ("Total", "360.00"), ("Less deposit paid", "-100.00"),
                 ("Balance due", "260.00")],
            )
        ]
    )
    assert fields.total_with_vat == Decimal("360.00")
    assert fields.amount_due == Decimal("260.00")


def test_candidates_say_where_an_amount_sits_and_what_names_it():
    page = invoice_page(ITEMS, [("Net total", "300.00"), ("VAT 20%", "60.00"), ("Total", "360.00")])
    reading = read_amounts([page], decimal_comma=False)
    by_value = {c.value: c.features for c in reading.candidates}
    assert by_value[Decimal("300.00")]["below_items"] == 1.0
    assert by_value[Decimal("300.00")]["lines_sum"] == 1.0
    assert by_value[Decimal("60.00")]["own:total_vat"] == 1.0
    assert by_value[Decimal("360.00")]["sum_of_two"] == 1.0
    assert by_value[Decimal("200.00")]["item_row"] == 1.0
    assert not reading.reverse_charge and not reading.explanatory_pages


def test_a_printed_invoice_reads_its_totals(tmp_path):
    spec = make_text_invoice(tmp_path / "invoice.pdf")
    from invoice_reader import process_document

    result = process_document(tmp_path / "invoice.pdf")
    fields = result.invoice
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        spec.total_without_vat, spec.total_vat, spec.total_with_vat)


def test_an_iva_line_is_read_into_the_vat_breakdown():
    items = [("Artículo A", "150,00"), ("Artículo B", "100,00")]
    totals = [("Base imponible", "250,00"), ("IVA 21 %", "52,50"), ("Total factura", "302,50")]
    fields = extract_invoice([invoice_page(items, totals, header=("Descripción", "Importe"), title="Factura 2025-117")])
    assert fields.total_vat == Decimal("52.50")
    assert [(r.rate, r.base, r.amount) for r in fields.vat_breakdown] == [
        (Decimal("21"), Decimal("250.00"), Decimal("52.50"))]


def test_no_total_is_read_where_none_is_printed():
    fields = extract_invoice([invoice_page([("Training session 2 x 375.50", "751.00")], [])])
    assert fields.total_with_vat is None and fields.amount_due is None


def test_a_column_header_wrapped_over_several_lines_does_not_end_the_item_table():
    page = invoice_page(ITEMS, [("Total EUR", "300.00")], header=("Description", "Amount"))
    # The same page with the narrow amount column's header wrapped: 'Amount' over 'excl.' over 'VAT'.
    header_top = next(line.words[0].top for line in page.lines if line.words[0].text == "Description")
    shift = lambda y: y if y <= header_top else y + 2 * ROW_H
    words = [Word(w.text, w.x0, shift(w.top), w.x1, shift(w.bottom)) for line in page.lines for w in line.words]
    words += _words("excl.", AMOUNT_RIGHT, header_top + ROW_H, 10, right=True)
    words += _words("VAT", AMOUNT_RIGHT, header_top + 2 * ROW_H, 10, right=True)
    two_line_header = PageText(index=0, lines=build_lines(words), width=595, height=842)
    reading = read_amounts([two_line_header], decimal_comma=False)
    by_value = {c.value: c.features for c in reading.candidates}
    assert by_value[Decimal("300.00")]["lines_sum"] == 1.0
    assert by_value[Decimal("200.00")]["item_row"] == 1.0
