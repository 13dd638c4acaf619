"""Unit tests of the pipeline's text parsing: numbers, dates, labels, totals, classification."""

from datetime import date
from decimal import Decimal

import pytest

from invoice_reader.amounts import (
    find_dates,
    find_numbers,
    guess_day_first,
    guess_decimal_comma,
    parse_date,
    parse_number,
)
from invoice_reader.classify import classify_document
from invoice_reader.parties import company_names, vat_ids_in
from invoice_reader.result import InvoiceFields
from invoice_reader.text_lines import Word, build_lines
from invoice_reader.totals import TotalCandidate, choose_totals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1 234,56 €", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("€3.50", "3.50"),
        ("$4.11", "4.11"),
        ("-9,32", "-9.32"),
        ("€ -9,32", "-9.32"),
        ("2.321,00", "2321.00"),
        ("1.234.567", "1234567"),
        ("3,3333", "3.3333"),
        ("0.025 €", "0.025"),
        ("0,750", "0.750"),
        ("Rs 1939", "1939"),
    ],
)
def test_amount_forms_parse_to_decimal(text, expected):
    assert parse_number(text) == Decimal(expected)


def test_lone_separator_before_three_digits_follows_the_document_convention():
    assert parse_number("1,500") == Decimal("1500")
    assert parse_number("1,500", decimal_comma=True) == Decimal("1.500")
    assert parse_number("1.500", decimal_comma=False) == Decimal("1.500")
    assert parse_number("1.500", decimal_comma=True) == Decimal("1500")


def test_percentages_are_marked_and_words_with_digits_are_not_numbers():
    numbers = find_numbers("TVA 20% : 9,34 € ref F63530848134 A4")
    assert [(n.value, n.is_percent) for n in numbers] == [(Decimal("20"), True), (Decimal("9.34"), False)]


def test_dates_and_ranges_are_not_read_as_numbers():
    assert find_numbers("01.05.14-31.05.14 and 28/11/2022") == ()


def test_decimal_comma_is_guessed_from_two_decimal_amounts():
    assert guess_decimal_comma("Total 1 234,56 € TVA 20,00") is True
    assert guess_decimal_comma("Total $1,234.56 tax 20.00") is False
    assert guess_decimal_comma("no amounts here") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", date(2024, 3, 15)),
        ("15/03/2024", date(2024, 3, 15)),
        ("15.03.2024", date(2024, 3, 15)),
        ("15-03-24", date(2024, 3, 15)),
        ("8-9-2022", date(2022, 9, 8)),
        ("March 15, 2024", date(2024, 3, 15)),
        ("August 3 , 2014", date(2014, 8, 3)),
        ("Jan 1, 2022", date(2022, 1, 1)),
        ("15 mars 2024", date(2024, 3, 15)),
        ("1er mars 2024", date(2024, 3, 1)),
        ("02 Juillet 2015", date(2015, 7, 2)),
        ("3. August 2014", date(2014, 8, 3)),
        ("7. Mai 2014", date(2014, 5, 7)),
        ("29 maart 2014", date(2014, 3, 29)),
        ("le 15 février 2024", date(2024, 2, 15)),
        ("3 settembre 2024", date(2024, 9, 3)),
        ("Milano, 12 gen. 2025", date(2025, 1, 12)),
        ("15 de marzo de 2024", date(2024, 3, 15)),
        ("1 de diciembre del 2023", date(2023, 12, 1)),
    ],
)
def test_date_forms_parse(text, expected):
    assert parse_date(text) == expected


def test_month_first_dates_are_recognised_by_the_document():
    text = "Invoice Date 03/20/2023 Due 04/04/2023"
    assert guess_day_first(text) is False
    assert [d.value for d in find_dates(text, day_first=False)] == [date(2023, 3, 20), date(2023, 4, 4)]
    assert parse_date("04/03/2023") == date(2023, 3, 4)


def test_impossible_dates_are_not_dates():
    assert parse_date("31/02/2024") is None
    assert parse_date("Version 2.2.0") is None


def test_vat_numbers_are_found_with_spaces_but_ibans_are_not():
    assert [v for _, v in vat_ids_in("N° TVA intracommunautaire : FR 604 219 388 61")] == ["FR60421938861"]
    assert [v for _, v in vat_ids_in("USt-IdNr: DE123456789  BTW NL810433941B01")] == ["DE123456789", "NL810433941B01"]
    assert vat_ids_in("IBAN FR76 1010 7002 4500 6170 5231 739") == []
    assert vat_ids_in("IBAN DE30507500940000048567") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen", "QualityHosting AG"),
        ("All AWS Services are sold by Amazon Web Services, Inc.", "Amazon Web Services, Inc."),
        ("Free SAS au capital de 3.441.812 Euros", "Free SAS"),
        ("Grundbesitz GmbH & Co. KG", "Grundbesitz GmbH & Co. KG"),
        ("Sold By : WS Retail Services Pvt. Ltd.,", "WS Retail Services Pvt. Ltd."),
    ],
)
def test_company_names_end_with_their_legal_form(text, expected):
    assert company_names(text)[0] == expected


def test_legal_form_without_a_name_is_not_a_company():
    assert company_names("Sarl au capital de 10 000 € - RCS Paris") == []


def test_table_row_cells_join_into_one_line_even_with_a_different_font_size():
    words = [
        Word("Hosting", 50, 100, 90, 110),
        Word("12", 280, 101, 290, 110.5),
        Word("298.80", 500, 99.5, 540, 111),
        Word("Training", 50, 120, 95, 130),
    ]
    lines = build_lines(words)
    assert [line.text for line in lines] == ["Hosting 12 298.80", "Training"]
    assert lines[0].cells() == ["Hosting", "12", "298.80"]


def test_totals_that_add_up_win_over_heavier_labels():
    candidates = [
        TotalCandidate("total_without_vat", Decimal("593.36"), 2, 10),
        TotalCandidate("total_without_vat", Decimal("717.97"), 3, 10),  # "Subtotaal" incl. VAT
        TotalCandidate("total_vat", Decimal("124.61"), 2, 11),
        TotalCandidate("total_with_vat", Decimal("717.97"), 2, 12),
    ]
    assert choose_totals(candidates) == (Decimal("593.36"), Decimal("124.61"), Decimal("717.97"))


def test_payment_receipt_is_not_an_invoice():
    text = "PAYMENT RECEIPT\nGuest Name: Sanjay  Date: 31/12/2017\nGrand Total  Rs 1939\nTax included"
    assert classify_document(text) == "other"


def test_contract_is_not_an_invoice():
    text = (
        "SERVICE AGREEMENT\nBetween ACME SAS, hereinafter the Provider, and Beta Ltd.\n"
        "Article 1 - The parties agree that the Provider invoices monthly. VAT applies."
    )
    assert classify_document(text) == "other"


def test_french_invoice_text_is_an_invoice():
    text = (
        "FACTURE\nFacture n° FA-12\nDate de facture : 15/03/2024\n"
        "Total HT 100,00 €\nTVA 20 % 20,00 €\nTotal TTC 120,00 €"
    )
    assert classify_document(text) == "invoice"


def test_embedded_einvoice_makes_an_invoice_whatever_the_text():
    assert classify_document("", InvoiceFields(source="xml", type_code="381")) == "invoice"
