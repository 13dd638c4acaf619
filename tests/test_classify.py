"""The learned classifier: invoice or other, and the kind of document, on pages built here from
words (a title set large where the row starts with '# '), in the six languages of the lexicon."""

import time

import pytest

from invoice_reader.classify import classify_document, classify_pages, document_subtype
from invoice_reader.kind_words import find_kind_words, load_lexicon, tokens
from invoice_reader.result import InvoiceFields
from invoice_reader.text_lines import PageText, Word, build_lines

CHAR_W = 5.0
ROW_H = 14.0


def page(*rows: str, index: int = 0) -> PageText:
    """Rows top to bottom; '  ' separates cells (placed 200 points apart); a row starting with
    '# ' is a title set twice the usual size."""
    words = []
    top = 40.0
    for row in rows:
        size = 10.0
        if row.startswith("# "):
            row, size = row[2:], 20.0
        for c, cell in enumerate(row.split("  ")):
            x = 50 + c * 200
            for token in cell.split(" "):
                if token:
                    words.append(Word(token, x, top, x + CHAR_W * len(token) * size / 10, top + size))
                x += CHAR_W * (len(token) + 1) * size / 10
        top += ROW_H + size - 10
    return PageText(index=index, lines=build_lines(words), width=600, height=850)


def classified(*rows: str):
    return classify_pages([page(*rows)])


SENDER = ("Muster Energie GmbH", "Hauptstraße 5", "10115 Berlin")


def test_german_rechnung_with_an_account_summary_box_is_an_invoice():
    result = classified(
        *SENDER,
        "# RECHNUNG",
        "Rechnungsnummer: 2024-0815  Datum: 14.03.2024",
        "Kundennummer: 4711",
        "Pos  Bezeichnung  Menge  Einzelpreis  Gesamt",
        "1  Wartung Heizungsanlage  2  120,00  240,00",
        "2  Anfahrt  1  35,00  35,00",
        "Nettobetrag  275,00 EUR",
        "MwSt 19 %  52,25 EUR",
        "Gesamtbetrag  327,25 EUR",
        "Kontoübersicht",
        "Saldo Vormonat  0,00 EUR",
        "Zahlungseingang  0,00 EUR",
        "Offener Betrag  327,25 EUR",
        "Zahlbar innerhalb 14 Tagen auf IBAN DE89 3704 0044 0532 0130 00",
    )
    assert (result.document_type, result.document_kind, result.subtype) == ("invoice", "invoice", "invoice")


def test_insurance_premium_bill_is_an_invoice_of_its_kind():
    result = classified(
        "Beispiel Versicherung AG",
        "Postfach 100, 50667 Köln",
        "# Beitragsrechnung",
        "Versicherungsschein-Nr.: KV 123-456  Datum: 02.01.2025",
        "Versicherungsnehmer: Erika Mustermann",
        "Versicherungszeitraum 01.01.2025 - 31.12.2025",
        "Jahresbeitrag netto  400,00 EUR",
        "Versicherungsteuer 19 %  76,00 EUR",
        "Zu zahlender Betrag  476,00 EUR",
        "Der Beitrag wird am 15.01.2025 von Ihrem Konto abgebucht.",
    )
    assert (result.document_type, result.document_kind) == ("invoice", "insurance_bill")


def test_rechnungskorrektur_taking_an_amount_back_is_a_credit_note():
    result = classified(
        *SENDER,
        "# Rechnungskorrektur",
        "Nr. RK-2024-12  Datum: 20.03.2024",
        "Korrektur der Rechnung 2024-0815 vom 14.03.2024",
        "Bezeichnung  Menge  Einzelpreis  Gesamt",
        "Anfahrt (zu viel berechnet)  1  -35,00  -35,00",
        "Nettobetrag  -35,00 EUR",
        "MwSt 19 %  -6,65 EUR",
        "Gesamtbetrag  -41,65 EUR",
    )
    assert (result.document_type, result.document_kind, result.subtype) == ("invoice", "correction", "credit_note")


def test_letter_spaced_title_is_read():
    assert tokens("I N V O I C E") == ["invoice"]
    result = classified(
        "Acme Consulting Ltd",
        "1 High Street, Bristol BS1 4DJ",
        "# I N V O I C E",
        "Invoice date: 03/02/2025  Number: 1042",
        "Description  Qty  Unit price  Amount",
        "Consulting, February  10  80.00  800.00",
        "Subtotal  800.00",
        "VAT 20%  160.00",
        "Total  960.00 GBP",
    )
    assert (result.document_type, result.document_kind) == ("invoice", "invoice")


def test_page_whose_only_invoice_word_is_in_its_totals_is_an_invoice():
    result = classified(
        "Schreinerei Holz & Co. KG",
        "Werkstattweg 3, 80331 München",
        "An: Max Beispiel, Gartenstraße 9, 80333 München",
        "Nr. 2025-117  Datum: 11.02.2025",
        "Pos  Bezeichnung  Menge  Einzelpreis  Gesamt",
        "1  Regal Eiche nach Maß  1  850,00  850,00",
        "2  Montage  3  55,00  165,00",
        "Netto  1.015,00",
        "USt 19 %  192,85",
        "Rechnungssumme  1.207,85 EUR",
        "Bitte überweisen Sie den Betrag auf IBAN DE89 3704 0044 0532 0130 00",
    )
    assert result.document_type == "invoice"


def test_tax_invoice_till_receipt_is_an_invoice():
    result = classified(
        "CORNER GROCERY PTY LTD",
        "ABN 12 345 678 901",
        "# TAX INVOICE",
        "12/04/2025 14:32  Till 2  Receipt 88231",
        "Milk 2L  3.20",
        "Bread  4.50",
        "Coffee beans 500g  18.00",
        "TOTAL  25.70",
        "GST included  2.34",
        "CARD  25.70",
        "Thank you for shopping with us",
    )
    assert result.document_type == "invoice"
    assert result.document_kind in ("invoice", "receipt")


def test_italian_fattura_is_an_invoice():
    result = classified(
        "Rossi Forniture S.r.l.",
        "Via Roma 10, 20121 Milano",
        "P.IVA IT01234567890",
        "# FATTURA N. 45/2025",
        "Data fattura: 05/03/2025",
        "Descrizione  Quantità  Prezzo  Importo",
        "Carta A4 risme  10  4,50  45,00",
        "Toner nero  2  60,00  120,00",
        "Imponibile  165,00",
        "IVA 22%  36,30",
        "Totale documento  201,30 EUR",
        "Pagamento: bonifico a 30 giorni, IBAN IT60 X054 2811 1010 0000 0123 456",
    )
    assert (result.document_type, result.document_kind) == ("invoice", "invoice")


def test_spanish_factura_is_an_invoice():
    result = classified(
        "Suministros García S.L.",
        "Calle Mayor 1, 28013 Madrid",
        "# FACTURA",
        "Nº de factura: 2025-031  Fecha: 07/03/2025",
        "Concepto  Cantidad  Precio  Importe",
        "Tornillos caja 100 uds  5  8,00  40,00",
        "Base imponible  40,00",
        "IVA 21%  8,40",
        "Total factura  48,40 EUR",
    )
    assert (result.document_type, result.document_kind) == ("invoice", "invoice")


QUOTE = (
    "Acme Consulting Ltd",
    "1 High Street, Bristol BS1 4DJ",
    "# QUOTATION",
    "Quote No. Q-311  Date: 03/02/2025",
    "Valid until 03/03/2025",
    "Description  Qty  Unit price  Amount",
    "Website redesign  1  2,400.00  2,400.00",
    "Subtotal  2,400.00",
    "VAT 20%  480.00",
    "Total  2,880.00 GBP",
)
DELIVERY_NOTE = (
    "Muster Handel GmbH",
    "Lagerstraße 1, 20095 Hamburg",
    "# LIEFERSCHEIN",
    "Lieferschein-Nr. LS-5512  Lieferdatum: 04.03.2025",
    "Ihre Bestellung 4500012",
    "Pos  Artikel  Menge",
    "1  Schrauben M6, Karton  4",
    "2  Dübel 8 mm, Karton  2",
    "Ware vollständig erhalten: ________  Unterschrift",
)
STATEMENT = (
    "Acme Supplies Ltd",
    "5 Market Road, Leeds LS1 2AB",
    "# STATEMENT OF ACCOUNT",
    "Statement date: 31/03/2025  Account: C-1022",
    "Date  Reference  Debit  Credit  Balance",
    "01/03/2025  Opening balance    120.00",
    "05/03/2025  Invoice 2025-101  240.00   360.00",
    "20/03/2025  Payment received   120.00  240.00",
    "Closing balance  240.00 GBP",
    "Please pay the outstanding balance by 30/04/2025.",
)
REMINDER = (
    "Muster Energie GmbH",
    "Hauptstraße 5, 10115 Berlin",
    "# Zahlungserinnerung",
    "Datum: 02.05.2025",
    "Sehr geehrte Damen und Herren,",
    "sicher haben Sie übersehen, dass unsere Rechnung 2025-0815 vom 14.03.2025 noch offen ist.",
    "Offener Betrag  327,25 EUR",
    "Bitte überweisen Sie den Betrag bis zum 16.05.2025 auf unser Konto.",
    "Sollten Sie inzwischen gezahlt haben, betrachten Sie dieses Schreiben als gegenstandslos.",
    "Mit freundlichen Grüßen",
)
LETTER = (
    "Cabinet Martin",
    "12 rue des Lilas, 69003 Lyon",
    "Lyon, le 4 mars 2025",
    "Objet : votre dossier",
    "Madame, Monsieur,",
    "Suite à notre entretien de la semaine dernière, nous vous adressons les documents demandés.",
    "Nous restons à votre disposition pour toute question concernant la facture de février.",
    "Veuillez agréer, Madame, Monsieur, nos salutations distinguées.",
)


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        (QUOTE, "quote"),
        (DELIVERY_NOTE, "delivery_note"),
        (STATEMENT, "statement_of_account"),
        (REMINDER, "payment_reminder"),
        (LETTER, "letter"),
    ],
    ids=["quote", "delivery_note", "statement", "reminder", "letter"],
)
def test_look_alikes_are_other_documents_of_their_kind(rows, kind):
    result = classified(*rows)
    assert (result.document_type, result.document_kind) == ("other", kind)


def test_an_embedded_einvoice_is_an_invoice_of_its_type_code():
    result = classify_pages([page(*LETTER)], InvoiceFields(source="xml", type_code="381", subtype="credit_note"))
    assert (result.document_type, result.document_kind, result.subtype) == ("invoice", "credit_note", "credit_note")
    assert classify_document("", InvoiceFields(source="xml", type_code="380")) == "invoice"


def test_plain_text_still_classifies():
    assert classify_document("\n".join(QUOTE)) == "other"
    assert document_subtype("ACME\nGutschrift Nr. 12\nTotal 10.00") == "credit_note"


def test_matching_folds_case_accents_compounds_and_ocr_shapes():
    def names(text):
        return [(word.role, word.names) for word in find_kind_words(text, fuzzy=True)[1]]

    assert names("STROMRECHNUNG") == [("title", ("utility_bill",))]
    assert names("Jahresrechnung 2024")[0][0] == "title"
    assert names("Berechnung der Zinsen") == []
    assert names("FACTURE RECTIFICATIVE") == [("title", ("correction",))]
    assert names("lnv0ice") == [("title", ("invoice",))]
    assert names("RECHNUNC") == [("title", ("invoice",))]
    assert names("Bon de commande") == [("title", ("purchase_order",))]
    assert names("Ce reçu ne vaut pas facture") == [("title", ("receipt",)), ("cue", ("not_invoice",))]


def test_lexicon_names_every_kind_in_six_languages():
    lexicon = load_lexicon()
    import json

    from invoice_reader.kind_words import LEXICON

    data = json.loads(LEXICON.read_text(encoding="utf-8"))
    for name, spec in data["kinds"].items():
        assert lexicon.kinds[name].type in ("invoice", "other")
        assert set(spec["title"]) == {"en", "fr", "de", "nl", "it", "es"}, name
    assert set(lexicon.einvoice_kinds.values()) <= set(lexicon.kinds)


def test_classification_is_cheap():
    pages = [page(*QUOTE), page(*STATEMENT, index=1)]
    classify_pages(pages)
    start = time.perf_counter()
    for _ in range(20):
        classify_pages(pages)
    # A few ms on an idle machine; the bound leaves room for a busy shared one.
    assert (time.perf_counter() - start) / 20 < 0.05


def test_the_pipeline_hands_on_the_kind(tmp_path):
    from invoice_reader import process_document
    from tests.pdf_factory import make_letter

    make_letter(tmp_path / "letter.pdf")
    result = process_document(tmp_path / "letter.pdf")
    assert (result.document_type, result.document_kind) == ("other", "letter")
