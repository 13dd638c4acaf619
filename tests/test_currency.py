"""The currency as a vote over the document's evidence, on text as OCR reads it: euro signs read as
'C' or 'e' or lost, a code made up once, a code in a footer; local evidence breaks ties."""

from invoice_reader.currency import NEXT_TO_AMOUNT, currency_votes, find_currency
from invoice_reader.extract import extract_invoice
from invoice_reader.label_values import label_lines
from invoice_reader.labels import FIELD_LABELS
from invoice_reader.text_lines import PageText, Word, build_lines


def page(*rows: str) -> PageText:
    words = []
    for r, row in enumerate(rows):
        x = 50.0
        for token in row.split(" "):
            if token:
                words.append(Word(token, x, 50 + r * 14, x + 5 * len(token), 60 + r * 14))
            x += 5 * (len(token) + 1)
    return PageText(index=0, lines=build_lines(words), width=600, height=850)


def currency(*rows: str, **kwargs) -> str | None:
    lines = page(*rows).lines
    return find_currency(label_lines(lines, FIELD_LABELS), "\n".join(rows), **kwargs)


FRENCH_TOTALS = ("Total HT 1 234,56 €", "TVA 20 % 246,91 €", "Total TTC 1 481,47 €")


def test_symbols_against_amounts_outvote_a_code_read_once():
    # OCR made 'USD' of a smudge once; three euro signs stand against amounts.
    assert currency(*FRENCH_TOTALS, "Réf. USD 4471", ocr=True) == "EUR"
    assert currency(*FRENCH_TOTALS, "Total TTC 1 481,47 USD", ocr=True) == "EUR"
    # A code in a footer, not against an amount, weighs little.
    assert currency("Subtotal 100.00 £", "VAT 20.00 £", "Total 120.00 £", "Prices in EUR and USD on request") == "GBP"


def test_euro_signs_read_as_c_or_e_count_in_ocr_text():
    rows = ("Nettobetrag 1.959,90 C", "MwSt. 19 % 372,38 C", "Gesamtbetrag 2.332,28 e", "Konto bei der Bank USD")
    assert currency(*rows, ocr=True) == "EUR"
    # In a text layer a 'C' is a C.
    assert currency(*rows) == "USD"


def test_lost_euro_signs_are_found_from_the_seller_and_the_bank_in_ocr_text():
    rows = ("Nettobetrag 1.959,90", "MwSt. 19 % 372,38", "Gesamtbetrag 2.332,28")
    assert currency(*rows, seller_vat_id="DE214365872", iban="DE54765432100012345678", ocr=True) == "EUR"
    assert currency(*rows, seller_vat_id="CHE123456707", ocr=True) == "CHF"
    # A text layer that prints no currency has none; nor does an OCR'd page with nothing to go on.
    assert currency(*rows, seller_vat_id="DE214365872", iban="DE54765432100012345678") is None
    assert currency("Thank you for your order", seller_vat_id="DE214365872", ocr=True) is None


def test_local_evidence_breaks_a_tie_but_never_outvotes_a_printed_currency():
    rows = ("Amount 100.00 €", "Balance 100.00 £")
    assert currency(*rows, seller_vat_id="GB123456789") == "GBP"
    assert currency(*rows, seller_vat_id="FR44732829320", iban="FR7314508005511234567890123") == "EUR"
    one_dollar_amount = ("Total 120.00 $",)
    assert currency(*one_dollar_amount, seller_vat_id="FR44732829320", iban="FR7314508005511234567890123") == "USD"
    votes = currency_votes([], "Total 120.00 $\nFacture la de des", seller_vat_id="FR44732829320", iban="FR76")
    assert votes["USD"] == NEXT_TO_AMOUNT > votes["EUR"]


def test_a_currency_label_weighs_most():
    assert currency("Währung: CHF", "Nettobetrag 100,00 €", "Gesamtbetrag 119,00 €") == "CHF"
    # A second label names another currency (the one VAT is booked in): the first printed wins.
    rows = ("Currency: GBP", "Total GBP 163.16", "Currency of the VAT: EUR", "EUR 183.14")
    assert currency(*rows, seller_vat_id="DE214365872") == "GBP"


def test_words_that_look_like_codes_are_not_currencies():
    assert currency("Let us try again, Ron", "Total 120.00") is None
    assert currency("Fr. Müller", "Betrag 12,00 €") == "EUR"  # 'Fr.' for Frau is no franc
    assert currency("Betrag 12,00 Fr.") == "CHF"


def test_an_ocr_read_invoice_gets_its_currency_from_the_vote():
    rows = (
        "Muster Werkzeuge GmbH",
        "USt-IdNr.: DE214365872",
        "Rechnung Nr. 2024-117",
        "Nettobetrag 100,00 C",
        "MwSt. 19 % 19,00 C",
        "Gesamtbetrag 119,00 €",
        "Bitte überweisen Sie den Betrag. USD",
    )
    assert extract_invoice([page(*rows)], ocr_pages={0}).currency == "EUR"
