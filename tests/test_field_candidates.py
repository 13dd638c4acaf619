"""Key-value fields chosen among candidates: what the candidates' features say, and what the learned
field models choose on pages built from words."""

from datetime import date

import pytest

from invoice_reader.extract import extract_invoice
from invoice_reader.key_fields import FIELD_MODELS, choose_key_fields, document_key_candidates
from invoice_reader.learned import load_model, models_dir
from invoice_reader.text_lines import PageText, Word, build_lines

CHAR_W = 0.55
"""Character width, in font sizes."""


def page(*rows: tuple[float, list[tuple[float, str]]], size: float = 9.0, index: int = 0, sizes=None) -> PageText:
    """A 595 x 842 pt page; each row is (top, [(x, text), ...]), each text printed from x in words
    of font size `size`, or sizes[top] for that row."""
    words = []
    for top, cells in rows:
        height = (sizes or {}).get(top, size)
        for x, text in cells:
            for token in text.split(" "):
                if token:
                    width = CHAR_W * height * len(token)
                    words.append(Word(token, x, top, x + width, top + height))
                x += CHAR_W * height * (len(token) + 1)
    return PageText(index, build_lines(words), 595.0, 842.0)


def candidate(found, field: str, value):
    return next(c for c in found.of(field) if c.value == value)


def choose(*pages: PageText):
    return choose_key_fields(document_key_candidates(list(pages)))


TITLE_AND_TABLE = page(
    (40, [(40, "Acme Tools GmbH"), (380, "Invoice 103767")]),
    (70, [(40, "Hauptstraße 5, 80331 Munich")]),
    (120, [(40, "Bill to:")]),
    (132, [(40, "Northwind Traders Ltd")]),
    (144, [(40, "12 High Street, London")]),
    (170, [(380, "Date: 14/03/2025")]),
    (230, [(40, "Item"), (120, "Description"), (360, "Qty"), (420, "Unit price"), (500, "Amount")]),
    (246, [(40, "1908-S"), (120, "Socket wrench set"), (360, "2"), (420, "45.00"), (500, "90.00")]),
    (262, [(40, "2210-K"), (120, "Torque key"), (360, "1"), (420, "120.00"), (500, "120.00")]),
    (300, [(420, "Subtotal"), (500, "210.00")]),
    (314, [(420, "VAT 20%"), (500, "42.00")]),
    (328, [(420, "Total"), (500, "252.00")]),
    sizes={40: 16.0},
)


def test_the_title_number_has_title_features_and_the_item_number_table_features():
    found = document_key_candidates([TITLE_AND_TABLE])
    title = candidate(found, "invoice_number", "103767").features
    item = candidate(found, "invoice_number", "1908-S").features
    assert title["title_line"] == 1.0 and title["font_big"] == 1.0 and title["y_top"] == 1.0
    assert "next:invoice_number" in title
    assert item["table_row"] == 1.0 and "above:article" not in item and "title_line" not in item
    assert item["has_letters"] == 1.0 and item["has_dash"] == 1.0


def test_the_title_number_wins_over_an_item_number_in_the_table():
    chosen = choose(TITLE_AND_TABLE)
    assert chosen["invoice_number"].value == "103767"
    assert chosen["invoice_number"].line == 0  # the title line, for provenance
    assert chosen["date"].value == date(2025, 3, 14)


LETTER_WITH_PRINTED_FOOTER = page(
    (40, [(40, "Schreinerei Holzmann GmbH  ·  Lindenweg 3  ·  80331 München")]),
    (100, [(40, "Firma")]),
    (112, [(40, "Bäckerei Sonnenschein")]),
    (124, [(40, "Marktplatz 1")]),
    (136, [(40, "80333 München")]),
    (180, [(380, "München, den 01.11.2024")]),
    (220, [(40, "Rechnung Nr. 2024-118")]),
    (260, [(40, "Pos."), (80, "Bezeichnung"), (380, "Menge"), (500, "Betrag")]),
    (276, [(40, "1"), (80, "Einbauschrank Eiche"), (380, "1"), (500, "1.800,00")]),
    (320, [(380, "Nettobetrag"), (500, "1.800,00")]),
    (334, [(380, "MwSt. 19 %"), (500, "342,00")]),
    (348, [(380, "Gesamtbetrag"), (500, "2.142,00")]),
    (380, [(40, "Zahlbar innerhalb 14 Tagen ohne Abzug.")]),
    (800, [(40, "Gedruckt 05.11.2024 10:32"), (480, "Seite 1 von 1")]),
    sizes={800: 7.0},
)


def test_a_footer_print_date_is_in_the_footer_band_and_the_letter_date_is_not():
    found = document_key_candidates([LETTER_WITH_PRINTED_FOOTER])
    printed = candidate(found, "date", date(2024, 11, 5)).features
    letter = candidate(found, "date", date(2024, 11, 1)).features
    assert printed["footer_band"] == 1.0 and printed["font_small"] == 1.0
    assert "footer_band" not in letter and letter["near_number"] == 1.0


def test_the_letter_date_wins_over_a_footer_print_timestamp():
    chosen = choose(LETTER_WITH_PRINTED_FOOTER)
    assert chosen["date"].value == date(2024, 11, 1)
    assert chosen["invoice_number"].value == "2024-118"


CUSTOMER_NUMBER_BESIDE = page(
    (40, [(40, "Papeterie Dupont SARL")]),
    (60, [(40, "12 rue des Lilas, 69001 Lyon")]),
    (120, [(40, "FACTURE")]),
    (150, [(40, "Code client : C-20931"), (300, "Facture n° : FA-2025-0412")]),
    (164, [(40, "Date : 03/02/2025"), (300, "Échéance : 05/03/2025")]),
    (180, [(40, "Votre commande : BC-7781")]),
    (230, [(40, "Désignation"), (380, "Qté"), (500, "Montant HT")]),
    (246, [(40, "Ramettes papier A4"), (380, "10"), (500, "45,00")]),
    (290, [(380, "Total HT"), (500, "45,00")]),
    (304, [(380, "TVA 20 %"), (500, "9,00")]),
    (318, [(380, "Total TTC"), (500, "54,00")]),
    sizes={120: 14.0},
)


def test_a_customer_number_label_speaks_against_the_token_after_it():
    found = document_key_candidates([CUSTOMER_NUMBER_BESIDE])
    customer = candidate(found, "invoice_number", "C-20931").features
    number = candidate(found, "invoice_number", "FA-2025-0412").features
    assert "next:customer_number" in customer and "nearest:customer_number" in customer
    assert "next:invoice_number" in number and "rule:invoice_number" in number


def test_the_invoice_number_beside_a_customer_number_and_the_order_number_are_told_apart():
    chosen = choose(CUSTOMER_NUMBER_BESIDE)
    assert chosen["invoice_number"].value == "FA-2025-0412"
    assert chosen["purchase_order"].value == "BC-7781"
    assert chosen["date"].value == date(2025, 2, 3)
    assert chosen["due_date"].value == date(2025, 3, 5)


def test_a_till_receipts_own_number_has_its_label():
    """"Ticket n°", "Receipt no.", "Bon-Nr.", "Scontrino n.": the receipt's number is labelled."""
    for label in ("Ticket n°", "Receipt no.", "Bon-Nr.", "Scontrino n.", "N° de ticket"):
        found = document_key_candidates([page((40, [(40, "Garage Dupont")]), (80, [(40, f"{label} 17-916597")]))])
        features = candidate(found, "invoice_number", "17-916597").features
        assert "no_label" not in features, label


GROUPED_NUMBER = page(
    (40, [(40, "Northgate Water Ltd")]),
    (70, [(330, "Account No."), (430, "875 873852")]),
    (84, [(330, "Invoice No."), (430, "5871 7045 09")]),
    (98, [(330, "Date of issue"), (430, "06/08/2022")]),
    (112, [(330, "Customer service"), (430, "0800 123 4567")]),
)


def test_a_number_printed_in_digit_groups_is_one_candidate_and_is_chosen_whole():
    found = document_key_candidates([GROUPED_NUMBER])
    whole = candidate(found, "invoice_number", "5871 7045 09").features
    first = candidate(found, "invoice_number", "5871").features
    assert "digit_groups" in whole and "rule:invoice_number" in whole
    assert "groups_go_on" in first and "digit_groups" not in first
    assert not [c for c in found.of("invoice_number") if c.value == "7045 09"]  # runs are joined from their start only
    street = document_key_candidates([page((40, [(40, "Ringstrasse 4, 80331 Muenchen")]), (60, [(40, "Ref 12 345")]))])
    assert {c.value for c in street.of("invoice_number")} == {"4", "80331", "12", "345", "12 345"}
    assert choose(GROUPED_NUMBER)["invoice_number"].value == "5871 7045 09"


LABEL_WRAPPED_ON_THE_LEFT = page(
    (40, [(40, "Lumière Électricité SA")]),
    (70, [(330, "N° de")]),
    (80, [(430, "AT78104907")]),
    (90, [(330, "facture")]),
    (110, [(330, "Date"), (430, "22/04/2023")]),
    (130, [(330, "Période"), (430, "1234")]),
)


def test_a_label_wrapped_in_the_column_left_of_its_value_is_read_across_its_lines():
    found = document_key_candidates([LABEL_WRAPPED_ON_THE_LEFT])
    assert "left_wrap:invoice_number" in candidate(found, "invoice_number", "AT78104907").features
    assert not any(k.startswith("left_wrap") for k in candidate(found, "invoice_number", "1234").features)
    assert choose(LABEL_WRAPPED_ON_THE_LEFT)["invoice_number"].value == "AT78104907"



LABEL_WRAPPED_BELOW_ITS_START = page(
    (40, [(40, "Atelier Moreau SAS")]),
    (100, [(40, "Facture n°:"), (130, "F-2024-6769")]),
    (112, [(40, "Bon de"), (130, "79020")]),
    (122, [(40, "commande:")]),
    (136, [(40, "N° client:"), (130, "C85364")]),
)


def test_a_label_that_starts_level_with_its_value_and_wraps_below_is_read_across_both_lines():
    found = document_key_candidates([LABEL_WRAPPED_BELOW_ITS_START])
    assert candidate(found, "purchase_order", "79020").features.get("down_wrap:purchase_order", 0) > 0
    assert not any(k.startswith("down_wrap") for k in candidate(found, "purchase_order", "C85364").features)
    assert not any(k.startswith("down_wrap") for k in candidate(found, "purchase_order", "F-2024-6769").features)


LABEL_WRAPPED_ABOVE_ITS_END = page(
    (40, [(40, "Atelier Moreau SAS")]),
    (100, [(40, "Facture n°:"), (130, "F-2024-6769")]),
    (112, [(40, "Date de")]),
    (122, [(40, "facture:"), (130, "22/04/2023")]),
    (136, [(40, "Échéance:"), (130, "22/05/2023")]),
)


def test_a_label_that_starts_on_the_line_above_and_ends_level_with_its_value_is_read_across_both_lines():
    found = document_key_candidates([LABEL_WRAPPED_ABOVE_ITS_END])
    issued = candidate(found, "date", date(2023, 4, 22)).features
    assert issued.get("up_wrap:date", 0) > 0 and issued.get("nearest:date") == 1.0
    assert not any(k.startswith("up_wrap") for k in candidate(found, "date", date(2023, 5, 22)).features)
    assert not any(k.startswith("up_wrap") for k in candidate(found, "invoice_number", "F-2024-6769").features)


def test_a_label_wrapped_around_its_value_is_its_nearest_label():
    below = candidate(document_key_candidates([LABEL_WRAPPED_BELOW_ITS_START]), "purchase_order", "79020").features
    left = candidate(document_key_candidates([LABEL_WRAPPED_ON_THE_LEFT]), "invoice_number", "AT78104907").features
    assert below.get("nearest:purchase_order") == 1.0 and "no_label" not in below
    assert left.get("nearest:invoice_number") == 1.0

def test_a_page_without_numbers_or_dates_has_no_key_fields():
    chosen = choose(page((40, [(40, "Merci de votre confiance")])))
    assert all(value.value is None for value in chosen.values())


def test_the_field_models_load_with_a_threshold_and_are_small():
    sizes = 0
    for name in FIELD_MODELS.values():
        model = load_model(name)
        assert 0.0 <= float(model.info["threshold"]) < 1.0
        assert model.weights
        sizes += (models_dir() / f"{name}.json").stat().st_size
    assert sizes < 1_000_000


@pytest.mark.parametrize("field", sorted(FIELD_MODELS))
def test_every_field_model_was_trained_on_training_seeds_only(field):
    info = load_model(FIELD_MODELS[field]).info
    assert info.get("seeds") == "train"


def test_extraction_says_where_the_chosen_values_are_printed():
    fields = extract_invoice([CUSTOMER_NUMBER_BESIDE])
    assert fields.invoice_number == "FA-2025-0412" and fields.purchase_order == "BC-7781"
    number, order, issued = (fields.provenance[name] for name in ("invoice_number", "purchase_order", "date"))
    assert number.page == 0 and number.source == "text_layer"
    assert number.box[0] > 300 and 150 <= number.box[1] < 160  # the number after 'Facture n°', not the line
    assert order.box[1] == 180 and order.box[0] > 100
    assert issued.box[1] == 164 and issued.box[0] < 300  # the date after 'Date :', left of the due date
