"""Fields beyond the totals, read from text lines: payment details, the buyer's order and VAT
number, credit notes, the VAT breakdown, dates by locale, and where each value was printed."""

from datetime import date
from decimal import Decimal

import pytest

from invoice_reader.amounts import find_numbers, guess_day_first
from invoice_reader.classify import classify_document, document_subtype
from invoice_reader.extract import extract_invoice
from invoice_reader.payment import find_iban, find_wrapped_iban, iban_is_valid
from invoice_reader.result import InvoiceFields, LineItem, VatRate
from invoice_reader.table_rows import read_table
from invoice_reader.text_lines import PageText, Word, build_lines
from invoice_reader.vat import check_vat

CHAR_W = 5.0
ROW_H = 14.0


def page(*rows: str | tuple[str, ...], index: int = 0) -> PageText:
    """A page whose rows are printed top to bottom; a tuple's cells sit 200 points apart."""
    words = []
    for r, row in enumerate(rows):
        cells = (row,) if isinstance(row, str) else row
        top = 50 + r * ROW_H
        for c, cell in enumerate(cells):
            x = 50 + c * 200
            for token in cell.split(" "):
                if token:
                    words.append(Word(token, x, top, x + CHAR_W * len(token), top + 10))
                x += CHAR_W * (len(token) + 1)
    return PageText(index=index, lines=build_lines(words), width=600, height=850)


def invoice(*rows: str | tuple[str, ...]) -> InvoiceFields:
    return extract_invoice([page(*rows)])


BASIC_TOTALS = ("Total HT  100,00 EUR", "TVA 20 %  20,00 EUR", "Total TTC  120,00 EUR")


def test_iban_passing_mod_97_is_read_compact():
    fields = invoice("ACME SARL", "Facture n° F-1", *BASIC_TOTALS, "IBAN : FR76 3000 6000 0112 3456 7890 189")
    assert fields.iban == "FR7630006000011234567890189"


def test_iban_with_a_wrong_check_digit_is_not_read():
    assert not iban_is_valid("FR7730006000011234567890189")
    assert find_iban(page("IBAN FR77 3000 6000 0112 3456 7890 189").lines) is None


def test_an_iban_a_narrow_column_wraps_over_three_lines_is_read_whole():
    footer = (
        ("ACME SARL · 5 rue Haute", "IBAN FR76 3000", "RCS Lyon 303 265 045"),
        ("69002 Lyon", "6000 0112 3456", "SIRET 30326504500017"),
        ("", "7890 189", ""),
    )
    fields = invoice("ACME SARL", "Facture n° F-1", *BASIC_TOTALS, *footer)
    assert fields.iban == "FR7630006000011234567890189"
    assert fields.provenance["iban"].box[1] == 50 + 5 * ROW_H  # the line where it begins
    # Groups that pass the check only with the wrong column's digits are no IBAN.
    apart = page(("IBAN FR76 3000", ""), ("", "6000 0112 3456"), ("", "7890 189"))
    assert find_wrapped_iban([apart]) is None
    # A wrong check digit stays unread, wrapped or not.
    wrong = page(("IBAN FR77 3000",), ("6000 0112 3456",), ("7890 189",))
    assert find_wrapped_iban([wrong]) is None


def test_bic_is_read_after_its_label_only():
    fields = invoice("ACME SARL", "Facture n° F-1", *BASIC_TOTALS, "BIC: BNPAFRPPXXX", "DEUTSCHLAND")
    assert fields.bic == "BNPAFRPPXXX"
    assert invoice("ACME SARL", "Facture n° F-1", "DEUTSCHLAND GERMANY").bic is None


@pytest.mark.parametrize(
    ("term", "days"),
    [
        ("Payment terms: 30 days net", 30),
        ("Net 45", 45),
        ("Paiement à 30 jours", 30),
        ("Zahlbar innerhalb von 14 Tagen ohne Abzug", 14),
    ],
)
def test_payment_term_gives_the_due_date_when_none_is_printed(term, days):
    fields = invoice("ACME SARL", "Invoice No: A-7", "Invoice date: 2025-03-01", *BASIC_TOTALS, term)
    assert fields.payment_terms is not None
    assert (fields.due_date - date(2025, 3, 1)).days == days
    assert fields.provenance["due_date"].confidence < fields.provenance["date"].confidence


def test_printed_due_date_wins_over_the_payment_term():
    fields = invoice(
        "ACME SARL", "Invoice No: A-7", "Invoice date: 2025-03-01", "Due date: 2025-03-20", *BASIC_TOTALS, "Net 30"
    )
    assert fields.due_date == date(2025, 3, 20)


def test_no_term_and_no_due_date_leave_the_due_date_empty():
    fields = invoice("ACME SARL", "Invoice No: A-7", "Invoice date: 2025-03-01", *BASIC_TOTALS)
    assert fields.due_date is None and fields.payment_terms is None


def test_purchase_order_is_read_and_never_taken_for_the_invoice_number():
    fields = invoice("ACME Ltd", "INVOICE", "PO Number: 4500012345", "Invoice No: 2025-118", *BASIC_TOTALS)
    assert fields.purchase_order == "4500012345"
    assert fields.invoice_number == "2025-118"


def test_the_rule_based_order_finder_reads_the_value_in_the_cell_beside_its_label():
    from invoice_reader.payment import find_purchase_order

    lines = page("Brightwater B.V.", ("Uw ordernummer", "PO 407379"), ("Factuurnummer", "F-2025-0042")).lines
    assert find_purchase_order(lines).value == "PO 407379"
    # In a row of headings the cell beside is the next heading: the value is under the label.
    lines = page(("Bestell-Nr.", "Kunden-Nr."), ("BC-291472", "K86885")).lines
    assert find_purchase_order(lines).value == "BC-291472"


def test_values_in_a_row_of_headings_are_read_under_each_heading():
    fields = invoice(
        "Muster GmbH",
        "RECHNUNG",
        ("Nr.", "Datum", "Bestell-Nr.", "Kunden-Nr."),
        ("R-2023-3307", "27. April 2023", "BC-291472", "K86885"),
        *BASIC_TOTALS,
    )
    assert fields.invoice_number == "R-2023-3307"
    assert fields.date == date(2023, 4, 27)
    assert fields.purchase_order == "BC-291472"


def test_delivery_note_number_is_not_the_invoice_number():
    fields = invoice("ACME Ltd", "INVOICE", "Delivery note No: DN-4411", *BASIC_TOTALS)
    assert fields.invoice_number is None


def test_customer_vat_id_is_the_buyers_not_the_sellers():
    # The seller's letterhead on the left, the buyer's block on the right, as invoices print them.
    fields = invoice(
        ("Atelier SARL", "", "Facture n° F-9"),
        ("12 rue des Lilas", "", "Client :"),
        ("69002 Lyon", "", "Dupont SAS"),
        ("N° TVA FR32123456789", "", "N° TVA client : FR19787878784"),
        "",
        *BASIC_TOTALS,
    )
    assert fields.provider_vat_id == "FR32123456789"
    assert fields.customer_vat_id == "FR19787878784"


def test_credit_note_has_negative_totals_and_line_totals_even_when_printed_positive():
    fields = invoice(
        "ACME SARL",
        "AVOIR",
        "Avoir n° AV-12",
        ("Désignation", "Qté", "Montant HT"),
        ("Retour carton", "1", "100,00"),
        *BASIC_TOTALS,
    )
    assert fields.subtype == "credit_note"
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("-100.00"),
        Decimal("-20.00"),
        Decimal("-120.00"),
    )
    assert [line.total_ht for line in fields.lines] == [Decimal("-100.00")]
    assert fields.amount_due == Decimal("-120.00")


@pytest.mark.parametrize(
    ("title", "subtype"),
    [
        ("Credit note CN-1\nTotal 10.00", "credit_note"),
        ("Gutschrift Nr. 12\nTotal 10.00", "credit_note"),
        # A corrected invoice takes an amount back or charges more: its sign says which.
        ("Rechnungskorrektur Nr. 5\nGesamt -10,00", "credit_note"),
        ("Rechnungskorrektur Nr. 5\nNachberechnung  10,00\nGesamt 10,00", "invoice"),
        ("Gutschrift (Selbst ausgestellte Rechnung) Nr. 7\nTotal 10.00", "invoice"),
        ("Invoice 12\nRelated credit note: CN-3\nTotal 10.00", "invoice"),
        ("Facture F-12\nFacture liée à l'avoir AV-3\nTotal 10,00", "invoice"),
    ],
)
def test_subtype_comes_from_the_title(title, subtype):
    assert document_subtype(f"ACME\n{title}") == subtype


def test_amount_due_after_a_deposit_is_the_labelled_balance():
    fields = invoice(
        "ACME SARL", "Facture n° F-1", *BASIC_TOTALS, "Acompte versé  -36,00 EUR", "Net à payer  84,00 EUR"
    )
    assert fields.total_with_vat == Decimal("120.00")
    assert fields.amount_due == Decimal("84.00")


def test_amount_due_is_the_total_less_a_deposit_deducted_without_a_balance():
    fields = invoice("ACME SARL", "Facture n° F-1", *BASIC_TOTALS, "Acompte versé  -36,00 EUR")
    assert fields.total_with_vat == Decimal("120.00")
    assert fields.amount_due == Decimal("84.00")


def test_vat_breakdown_reads_each_rate_from_its_arithmetic():
    fields = invoice(
        "ACME GmbH",
        "Rechnung Nr. 4711",
        "Nettobetrag  300,00 EUR",
        "USt. 19 % auf 200,00  38,00 EUR",
        "USt. 7 % auf 100,00  7,00 EUR",
        "Gesamtbetrag  345,00 EUR",
    )
    assert fields.vat_breakdown == [
        VatRate(Decimal("19"), Decimal("200.00"), Decimal("38.00")),
        VatRate(Decimal("7"), Decimal("100.00"), Decimal("7.00")),
    ]
    assert fields.total_vat == Decimal("45.00")


def test_the_items_vat_rate_makes_the_breakdown_when_the_vat_line_prints_none():
    # The VAT line's rate is not legible (a scan), the items print theirs: the totals show that
    # rate taxes the whole net, so the breakdown is that rate over the totals.
    fields = invoice(
        "ACME GmbH",
        "Rechnung Nr. 4711",
        ("Bezeichnung", "Menge", "USt %", "Gesamt"),
        ("Montage", "2", "7%", "600,00"),
        ("Schulung", "1", "7%", "400,00"),
        "Gesamt netto  1.000,00 EUR",
        "USt  70,00 EUR",
        "Rechnungsbetrag  1.070,00 EUR",
    )
    assert fields.total_vat == Decimal("70.00")
    assert fields.vat_breakdown == [VatRate(Decimal("7"), Decimal("1000.00"), Decimal("70.00"))]


def test_an_insurance_premium_tax_is_read_like_vat():
    # Insurance premiums carry their own tax in place of VAT; its lexicon labels make it the
    # VAT total and its rate a breakdown row.
    fields = invoice(
        "Assekuranz Beispiel AG",
        "Beitragsrechnung Nr. 2024-118",
        "Nettobeitrag  500,00 EUR",
        "Versicherungsteuer 19 %  95,00 EUR",
        "Zu zahlender Beitrag  595,00 EUR",
    )
    assert (fields.total_without_vat, fields.total_vat, fields.total_with_vat) == (
        Decimal("500.00"),
        Decimal("95.00"),
        Decimal("595.00"),
    )
    assert fields.vat_breakdown == [VatRate(Decimal("19"), Decimal("500.00"), Decimal("95.00"))]


def test_single_rate_printed_over_the_totals_gives_a_breakdown_that_adds_up():
    fields = invoice(
        "ACME SARL",
        "Facture n° F-1",
        ("Total HT", "TVA 20 %", "Total TTC"),
        ("100,00 EUR", "20,00 EUR", "120,00 EUR"),
    )
    assert fields.vat_breakdown == [VatRate(Decimal("20"), Decimal("100.00"), Decimal("20.00"))]


def test_vat_check_reports_each_rate_and_flags_an_inconsistent_one():
    fields = InvoiceFields(
        total_without_vat=Decimal("300.00"),
        total_vat=Decimal("45.00"),
        total_with_vat=Decimal("345.00"),
        vat_breakdown=[
            VatRate(Decimal("19"), Decimal("200.00"), Decimal("38.00")),
            VatRate(Decimal("7"), Decimal("100.00"), Decimal("9.00")),
        ],
        lines=[LineItem("a", total_ht=Decimal("300.00"))],
    )
    check = check_vat(fields)
    assert [rate["is_valid"] for rate in check["rates"]] == [True, False]
    assert check["rates"][1]["difference"] == "2.00"
    assert check["lines_sum"] == check["lines"]
    assert check["overall_valid"] is False
    assert fields.vat_breakdown[1].amount == Decimal("9.00")  # flagged, never corrected


@pytest.mark.parametrize(
    ("text", "day_first"),
    [
        ("Springfield, IL 62701\nDate: 03/04/2025", False),
        ("Total $1,200.00\nDate: 03/04/2025", False),
        ("Paris\nDate: 03/04/2025\nTotal 12,00 €", True),
        ("Springfield, IL 62701\nDate: 03/04/2025\nShipped 14/03/2025", True),
        ("München DE 80333\nDatum: 03/04/2025", True),
    ],
)
def test_day_and_month_order_comes_from_the_documents_evidence(text, day_first):
    assert guess_day_first(text) is day_first


def test_bracketed_amounts_are_negative():
    assert [n.value for n in find_numbers("Discount (12.50)  Items (3)")] == [Decimal("-12.50"), Decimal("3")]


def test_rows_carried_forward_between_pages_are_not_items():
    first = page(
        "ACME Ltd",
        "Invoice No: 77",
        ("Description", "Qty", "Amount"),
        ("Widget", "1", "10.00"),
        ("Carried forward", "", "10.00"),
    )
    second = page(
        ("Description", "Qty", "Amount"),
        ("Brought forward", "", "10.00"),
        ("Gadget", "2", "20.00"),
        "Subtotal  30.00",
        "VAT 20%  6.00",
        "Total  36.00",
        index=1,
    )
    fields = extract_invoice([first, second])
    assert [(line.designation, line.total_ht) for line in fields.lines] == [
        ("Widget", Decimal("10.00")),
        ("Gadget", Decimal("20.00")),
    ]
    assert fields.lines[1].provenance.page == 1


def test_total_carried_over_a_page_break_is_marked_on_both_pages():
    # One item above the carried-forward line: no running sum of two terms or more says it.
    first = page(("Description", "Qty", "Amount"), ("Widget", "1", "10.00"), ("Carried forward", "", "10.00"))
    second = page(("Description", "Qty", "Amount"), ("Transfer", "", "10.00"), ("Gadget", "1", "10.00"), index=1)
    third = page(("Description", "Qty", "Amount"), ("Widget", "1", "10.00"), ("Gadget", "1", "20.00"), index=1)
    lines = first.lines + second.lines
    reading = read_table(lines, False, [0] * len(first.lines) + [1] * len(second.lines))
    assert sorted(reading.lines[i].text for i in reading.carried_over) == ["Carried forward  10.00", "Transfer  10.00"]
    # The same amount on both sides of the break, but the first is an item, not the sum above it.
    lines = first.lines[:2] + third.lines[1:]
    reading = read_table(lines, False, [0, 0, 1, 1])
    assert reading.carried_over == {}


def test_a_carried_forward_label_is_a_rows_whole_first_cell_not_a_word_of_an_items_description():
    lines = page(
        ("Désignation", "Qté", "Montant"),
        ("Transport sur palette", "3", "646,92"),
        ("Transport", "", "646,92"),
        ("Übertrag von Seite 1", "", "646,92"),
        ("Pallet transport", "1", "20,00"),
    ).lines
    reading = read_table(lines, True, [0] * len(lines))
    kinds = {info.text.split("  ")[0]: "carried" in info.kinds for info in reading.lines[1:]}
    assert kinds == {"Transport sur palette": False, "Transport": True, "Übertrag von Seite 1": True,
                     "Pallet transport": False}


def test_every_field_set_has_its_page_box_and_source():
    fields = invoice(
        "ACME SARL", "Facture n° F-1", "Date : 14/03/2025", *BASIC_TOTALS, "IBAN FR76 3000 6000 0112 3456 7890 189"
    )
    for name in ("provider", "invoice_number", "date", "total_with_vat", "iban", "amount_due"):
        source = fields.provenance[name]
        assert source.source == "text_layer" and source.page == 0 and 0 < source.confidence <= 1
        x0, top, x1, bottom = source.box
        assert x0 < x1 and top < bottom
    assert fields.provenance["total_with_vat"].box[1] == pytest.approx(50 + 5 * ROW_H)


def test_values_read_by_ocr_say_so():
    fields = extract_invoice([page("ACME SARL", "Facture n° F-1", *BASIC_TOTALS)], ocr_pages={0})
    assert fields.provenance["invoice_number"].source == "ocr"


@pytest.mark.parametrize(
    "text",
    [
        "ACME SARL\nDEVIS n° D-12\nDate: 01/02/2025\nTotal HT 100,00\nTVA 20,00\nTotal TTC 120,00\nBon pour accord",
        "ACME GmbH\nAngebot Nr. 4711\nNettobetrag 100,00\nMwSt 19,00\nGesamtbetrag 119,00\nGültig bis 01.03.2025",
        "ACME Ltd\nPURCHASE ORDER\nPO Number: 4500012\nSubtotal 100.00\nVAT 20.00\nTotal 120.00",
        "ACME Ltd\nOrder confirmation\nOrder No: 12\nSubtotal 100.00\nVAT 20.00\nTotal 120.00",
        "ACME GmbH\nLieferschein Nr. 77\nMenge 3\nArtikel Schrauben",
        "ACME Ltd\nPayment receipt\nReceived with thanks 120.00\nInvoice No: 55",
    ],
)
def test_look_alikes_are_not_invoices(text):
    assert classify_document(text) == "other"


def test_a_generated_invoice_has_provenance_for_every_field_it_sets(tmp_path):
    from invoice_reader import process_document
    from tests.pdf_factory import make_text_invoice

    path = tmp_path / "invoice.pdf"
    make_text_invoice(path)
    invoice = process_document(path).invoice
    assert invoice.iban == "FR7630006000011234567890189"
    assert invoice.payment_terms is not None
    scalar = {name for name, value in vars(invoice).items() if value is not None and not isinstance(value, list | dict)}
    expected = scalar - {"confidence_score", "source", "subtype", "type_code", "lines_total"}
    assert expected <= set(invoice.provenance), expected - set(invoice.provenance)
    assert all(line.provenance is not None and line.provenance.page == 0 for line in invoice.lines)


def test_account_holder_names_the_seller_when_the_letterhead_is_the_recipients_address():
    fields = invoice(
        "DUPONT CONSEIL",
        "12 rue des Lilas",
        "69100 Villeurbanne",
        "Facture n° 2024-0042",
        *BASIC_TOTALS,
        "Virement  Titulaire du compte : ANNONCES LEGALES",
    )
    assert fields.provider == "ANNONCES LEGALES"


def test_vat_breakdown_table_under_a_title_that_names_vat():
    # The table's header names no tax ("Rate  Base  Amount"); its title over it does.
    fields = invoice(
        "ACME GmbH",
        "Rechnung Nr. 4711",
        "Nettobetrag  300,00 EUR",
        "MwSt.  45,00 EUR",
        "Gesamtbetrag  345,00 EUR",
        "MwSt.-Übersicht",
        ("Satz", "Basis", "Betrag"),
        ("19 %", "200,00", "38,00"),
        ("7 %", "100,00", "7,00"),
    )
    assert fields.vat_breakdown == [
        VatRate(Decimal("19"), Decimal("200.00"), Decimal("38.00")),
        VatRate(Decimal("7"), Decimal("100.00"), Decimal("7.00")),
    ]
