"""Scans read with the languages they are written in: a German page with deu, a French page with
fra, an English one with eng, chosen by a quick first reading (real Tesseract, about 3 s a page
on one core); the language of text-layer documents from their words."""

import datetime as dt
from decimal import Decimal

import pytest

from invoice_reader import ReadOptions, process_document
from invoice_reader.language import (
    AUTO_ORDER,
    can_choose,
    candidate_languages,
    choose_languages,
    fallback_languages,
    fold,
    guess_language,
    score_languages,
)
from invoice_reader import ocr
from invoice_reader.ocr import installed_languages, probe_languages
from invoice_reader.pdf_text import PdfFile
from tests.pdf_factory import SCAN_DPI, InvoiceLine, make_scanned_invoice, make_text_invoice

CANDIDATES = ["fra", "eng", "deu"]

GERMAN = dict(
    language="de",
    seller="Möbelhaus Schäfer GmbH",
    seller_vat_id="DE214365872",
    seller_address=("Hauptstraße 12", "80331 München"),
    customer="Bäckerei Brunner KG",
    customer_address=("Schloßallee 4", "50667 Köln"),
    invoice_number="RE-2024-0815",
    date=dt.date(2024, 3, 15),
    due_date=dt.date(2024, 4, 14),
    lines=[
        InvoiceLine("Schrankwand Größe L", Decimal("1"), Decimal("1250.00"), Decimal("19")),
        InvoiceLine("Gebühr für Expresslieferung", Decimal("1"), Decimal("89.90"), Decimal("19")),
        InvoiceLine("Montage über zwei Tage", Decimal("2"), Decimal("310.00"), Decimal("19")),
    ],
)
FRENCH = dict(
    language="fr",
    lines=[
        InvoiceLine("Nettoyage de façade (mètres carrés)", Decimal("120"), Decimal("14.50")),
        InvoiceLine("Leçon de pâtisserie à domicile", Decimal("2"), Decimal("95.00")),
        InvoiceLine("Déplacement très matinal", Decimal("1"), Decimal("45.00")),
    ],
)


@pytest.fixture(scope="module", autouse=True)
def languages_installed():
    if not {"eng", "fra", "deu"} <= installed_languages():
        pytest.skip("Tesseract's eng, fra and deu data are needed")


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    path = tmp_path_factory.mktemp("de") / "rechnung.pdf"
    return make_scanned_invoice(path, **GERMAN), process_document(path)


@pytest.fixture(scope="module")
def french(tmp_path_factory):
    path = tmp_path_factory.mktemp("fr") / "facture.pdf"
    return make_scanned_invoice(path, **FRENCH), process_document(path)


def test_german_scan_is_read_with_deu_and_its_umlauts_come_out_right(german):
    spec, result = german
    assert result.ocr_pages == [0]
    assert result.ocr_languages.split("+")[0] == "deu"
    assert result.ocr_language_choice["by"] == "probe"
    assert result.language == "de"
    words = result.text.split()
    for word in ("Größe", "Gebühr", "Hauptstraße", "München", "über", "Fällig", "Rechnungsempfänger", "Überweisung"):
        assert word in words or word + ":" in words, word
    assert result.invoice.invoice_number == spec.invoice_number
    assert result.invoice.total_with_vat == spec.total_with_vat
    assert 0 < result.timings["ocr_language"] < result.timings["ocr"]


def test_french_scan_is_read_with_fra_and_its_accents_come_out_right(french):
    spec, result = french
    assert result.ocr_languages.split("+")[0] == "fra"
    assert result.language == "fr"
    for word in ("façade", "mètres", "Leçon", "pâtisserie", "Déplacement", "très", "d'échéance"):
        assert word in result.text, word
    assert result.invoice.total_with_vat == spec.total_with_vat


def test_english_scan_is_read_with_eng(tmp_path):
    path = tmp_path / "invoice.pdf"
    spec = make_scanned_invoice(path)
    result = process_document(path)
    assert result.ocr_languages.split("+")[0] == "eng"
    assert result.language == "en"
    assert result.invoice.invoice_number == spec.invoice_number


def test_languages_given_as_a_pair_are_used_as_given(tmp_path):
    path = tmp_path / "rechnung.pdf"
    make_scanned_invoice(path, **GERMAN)
    result = process_document(path, ReadOptions(ocr_languages="fra+eng"))
    assert result.ocr_languages == "fra+eng"
    assert result.ocr_language_choice is None
    assert "ocr_language" not in result.timings
    assert "Größe" not in result.text.split()  # what this change is for: fra+eng has no ß


def test_probe_reads_an_upside_down_page(tmp_path):
    path = tmp_path / "turned.pdf"
    make_scanned_invoice(path, rotate_quarter_turns=2, **GERMAN)
    with PdfFile.open(path) as pdf:
        image = pdf.render_page(0, SCAN_DPI)
    choice, rotate = probe_languages(image, 0, CANDIDATES, SCAN_DPI)
    assert choice.languages[0] == "deu"
    assert rotate == 180


def test_upside_down_page_is_measured_once_and_read_once_under_the_probes_turn(tmp_path, monkeypatch):
    # The probe found the page upside down: its reading starts there, with the layout the probe measured,
    # instead of reading it the wrong way up, asking OSD and reading it again.
    path = tmp_path / "turned.pdf"
    spec = make_scanned_invoice(path, rotate_quarter_turns=2, **GERMAN)
    calls = []
    for name in ("measure_layout", "_osd_rotate", "_read_turned"):
        function = getattr(ocr, name)
        monkeypatch.setattr(ocr, name, lambda *a, _f=function, _n=name, **k: calls.append(_n) or _f(*a, **k))
    with PdfFile.open(path) as pdf:
        result = ocr.ocr_pages(pdf, [0], languages="auto", dpi=SCAN_DPI)
    assert result.language_choice["by"] == "probe" and result.language_choice["probe_rotate_deg"] == 180
    assert calls == ["measure_layout", "_read_turned"]
    assert result.reads[0].rotate_deg == 180
    assert spec.invoice_number in result.pages[0].text


def test_text_layer_documents_get_their_language_and_no_ocr_languages(tmp_path):
    for language, expected in (("de", "de"), ("fr", "fr"), ("en", "en")):
        path = tmp_path / f"{language}.pdf"
        make_text_invoice(path, language=language)
        result = process_document(path)
        assert result.language == expected
        assert result.ocr_languages is None
        assert result.ocr_language_choice is None


# -- choosing, without Tesseract --------------------------------------------------------------


def test_auto_means_the_installed_languages_of_the_list_in_its_order():
    assert candidate_languages("auto", {"eng", "deu", "fra", "osd", "por"}) == ["fra", "eng", "deu"]
    assert candidate_languages(" AUTO ", {"eng"}) == ["eng"]
    assert candidate_languages("deu+eng", set()) == ["deu", "eng"]
    assert AUTO_ORDER[:2] == ("fra", "eng")  # the fallback is what the setting's default used to be


def test_only_more_than_two_candidates_with_word_lists_are_chosen_among():
    assert can_choose(["fra", "eng", "deu"])
    assert not can_choose(["fra", "eng"])
    assert not can_choose(["fra", "eng", "por"])  # no word list for Portuguese: read with all three
    assert fallback_languages(["fra", "eng", "deu"]) == ("fra", "eng")


def test_words_are_folded_so_that_a_reading_without_umlauts_counts():
    assert fold("Fällig über Straße Déjà") == "fallig uber strasse deja"
    assert score_languages("Fallig uber", CANDIDATES)["deu"] == 2
    # A word of two lists counts half for each.
    assert score_languages("date", CANDIDATES) == {"fra": 0.5, "eng": 0.5, "deu": 0}


def test_choice_is_the_best_language_and_a_second_one():
    german = "Rechnung Nr. 12 vom 03.04.2024 Betrag zahlbar innerhalb von 30 Tagen ohne Abzug"
    assert choose_languages(german, CANDIDATES).languages == ("deu", "eng")  # English as companion
    french = "Facture n° 12 du 03/04/2024, montant à payer sous 30 jours, date d'échéance"
    assert choose_languages(french, CANDIDATES).languages == ("fra", "eng")
    english = "Invoice number 12, amount due within 30 days of the invoice date"
    assert choose_languages(english, CANDIDATES).languages == ("eng", "fra")
    bilingual = "Rechnung Facture Betrag Montant zahlbar und der die das le la les des"
    assert set(choose_languages(bilingual, CANDIDATES).languages) == {"deu", "fra"}


def test_too_few_words_decide_nothing():
    assert not choose_languages("ACME 12 345,00 EUR", CANDIDATES).decided
    assert not choose_languages("", CANDIDATES).decided
    assert guess_language("12/03/2024 4711") is None
    assert guess_language("Factuur nummer 12, het bedrag van de factuur is binnen 30 dagen te betalen") == "nl"
