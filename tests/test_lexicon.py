"""The label vocabulary is data (invoice_reader/lexicon/labels.toml): it loads, covers six languages
for every key-value field, and reads the wordings that the rules used to miss."""

import tomllib

import pytest

from invoice_reader.labels import (
    AMOUNT_DUE_LABELS,
    COLUMN_LABELS,
    FIELD_LABELS,
    LANGUAGES,
    LEXICON,
    TOTAL_LABELS,
    LexiconError,
    find_labels,
    load_vocabulary,
)

KEY_KINDS = (
    "invoice_number",
    "date",
    "due_date",
    "purchase_order",
    "customer_number",
    "delivery_note",
    "order_date",
    "delivery_date",
    "customer",
    "seller",
    "currency",
    "vat_id",
    "iban",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "amount_due",
    "prepaid",
    "discount",
)
"""Field kinds every language must be able to announce."""
LANGUAGE_NEUTRAL = {"iban"}
"""Printed the same in every language."""


def _kinds(text, vocabulary):
    return [(text[m.start : m.end], m.field) for m in find_labels(text, vocabulary)]


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_every_key_field_has_labels_in_six_languages(kind):
    languages = {
        label.lang
        for vocabulary in (FIELD_LABELS, TOTAL_LABELS, AMOUNT_DUE_LABELS)
        for label in vocabulary
        if label.field == kind
    }
    if kind in LANGUAGE_NEUTRAL:
        assert "any" in languages
    else:
        assert set(LANGUAGES) <= languages, sorted(languages)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Net HT  100,00", "total_without_vat"),
        ("Rechnungssumme Netto  100,00", "total_without_vat"),
        ("Rechnungssumme Brutto  119,00", "total_with_vat"),
        ("Endsumme  119,00", "total_with_vat"),
        ("Total € Incl. VAT  119.00", "total_with_vat"),
        ("Totaal te betalen  € 121,00", "total_with_vat"),
        ("Totale imponibile  100,00", "total_without_vat"),
        ("Totale fattura  122,00", "total_with_vat"),
        ("Base imponible  100,00", "total_without_vat"),
        ("Total factura  121,00", "total_with_vat"),
    ],
)
def test_total_wordings_are_read(text, kind):
    assert _kinds(text, TOTAL_LABELS)[0] == (text.split("  ")[0], kind)


def test_te_betalen_is_the_amount_due():
    assert _kinds("Te betalen  € 121,00", AMOUNT_DUE_LABELS) == [("Te betalen", "amount_due")]


@pytest.mark.parametrize(
    "text",
    [
        "Montant à régler  298,13 €",
        "Reste à régler  298,13 €",
        "Please pay  £ 12.00",
        "Amount to be paid  12.00",
        "Zu begleichender Betrag  12,00 €",
        "Totaal verschuldigd  € 12,00",
        "Totale dovuto  12,00 €",
        "Importe a abonar  12,00 €",
    ],
)
def test_amount_due_wordings_in_each_language(text):
    assert _kinds(text, AMOUNT_DUE_LABELS)[0][1] == "amount_due"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Fattura n. 12", "invoice_number"),
        ("Factura nº 12", "invoice_number"),
        ("Data fattura: 01/02/2025", "date"),
        ("Fecha de vencimiento: 01/03/2025", "due_date"),
        ("Codice cliente: C-99", "customer_number"),
        ("Numéro client: C-99", "customer_number"),
        ("Kundennummer: 4711", "customer_number"),
        ("Bestellnummer: 4711", "purchase_order"),
        ("Número de pedido: 4711", "purchase_order"),
        ("Albarán: 4711", "delivery_note"),
        ("Lieferschein-Nr. 4711", "delivery_note"),
        ("Partita IVA: IT12345678901", "vat_id"),
        ("Fecha de pedido: 01/02/2025", "order_date"),
        ("Creditnotanummer  CN-12", "invoice_number"),
        ("Document No.  SI-12", "invoice_number"),
        ("Betreft factuur  F-11", "referenced_invoice"),
        ("Original invoice no. 11", "referenced_invoice"),
        ("Due:  13/05/2024", "due_date"),
        ("Amount due  12,00", "amount_due"),
        ("À régler avant le: 07/07/2022", "due_date"),
        ("Customer PO  BC 12", "purchase_order"),
        ("Delivery note  DN-12", "delivery_note"),
        ("Uw bestelling: 524291", "purchase_order"),
        ("Inkoopordernr.  4711", "purchase_order"),
        ("Vs. ordine  4711", "purchase_order"),
        ("Creditnummer  CN-12", "invoice_number"),
        ("N.º rectificativa  R-12", "invoice_number"),
        ("Pagar antes del  01/03/2025", "due_date"),
        ("Data  25 ottobre 2024", "date"),
        ("Tax point  10/05/2024", "date"),
        ("Billing period  08/24/2024 – 09/23/2024", "service_date"),
        ("Abrechnungszeitraum  27.09.2022 – 26.11.2022", "service_date"),
        ("Période de facturation  16/03/2023 – 14/04/2023", "service_date"),
        ("Periodo de facturación  01/02/2025 – 28/02/2025", "service_date"),
        ("Código de cliente  273378", "customer_number"),
        ("N.º de cliente  273378", "customer_number"),
        ("Vertragskonto  160308", "customer_number"),
        ("Contract account no.  1603", "customer_number"),
    ],
)
def test_key_value_wordings_name_their_field(text, kind):
    assert _kinds(text, FIELD_LABELS)[0][1] == kind


def test_data_is_a_date_label_alone_in_its_cell_or_before_a_colon_not_inside_a_phrase():
    assert _kinds("Item  Data  Total", FIELD_LABELS) == [("Data", "date")]
    assert _kinds("Data: 25/10/2024", FIELD_LABELS) == [("Data", "date")]
    assert _kinds("Mobile data  5 GB  10.00", FIELD_LABELS) == [("Mobile", "phone")]
    assert _kinds("Data processing  3  10.00", FIELD_LABELS) == []


def test_a_customer_number_label_is_not_read_as_the_invoice_number():
    found = _kinds("Customer No: 123  Invoice No: 55", FIELD_LABELS)
    assert found == [("Customer No", "customer_number"), ("Invoice No", "invoice_number")]
    assert [m.kind for m in find_labels("Customer No: 123", FIELD_LABELS)] == ["ignore"]


def test_every_vocabulary_is_loaded_from_the_lexicon():
    data = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
    for name, vocabulary in (
        ("totals", TOTAL_LABELS),
        ("fields", FIELD_LABELS),
        ("columns", COLUMN_LABELS),
        ("amount_due", AMOUNT_DUE_LABELS),
    ):
        assert len(vocabulary) == len(data[name])
        assert all(label.anchors for label in vocabulary)  # every label has a cheap prefilter


def test_a_malformed_entry_is_named():
    broken = {"fields": [{"kind": "date", "lang": "en", "weight": 3, "variants": ["date("]}]}
    with pytest.raises(LexiconError, match=r"\[\[fields\]\] entry 1 \(date\)"):
        load_vocabulary(broken, "fields")
    with pytest.raises(LexiconError, match="unknown language"):
        load_vocabulary({"fields": [{"kind": "date", "lang": "xx", "weight": 3, "variants": ["date"]}]}, "fields")


def test_anchors_never_hide_a_label():
    # Each label's prefilter strings must be in any text the label matches.
    samples = [
        "Rechnungs-Nr. 1",
        "Kd.-Nr. 12",
        "N° TVA intracommunautaire",
        "P.O. number: 4",
        "Q.tà",
        "Dto. %",
        "Invoice  #  12",
        "FÄLLIG AM 01.02.2025",
        "À : Client",
    ]
    for text in samples:
        lower = text.lower()
        for vocabulary in (FIELD_LABELS, TOTAL_LABELS, COLUMN_LABELS, AMOUNT_DUE_LABELS):
            for label in vocabulary:
                if label.pattern.search(text):
                    assert any(a in lower for a in label.anchors), (text, label.pattern.pattern)


@pytest.mark.parametrize(
    "text",
    [
        "Bezug: Rechnung  RE-2022-0042",
        "Korrektur zu Rechnung  RE-8077",
        "Concerne la facture  F-2022-0042",
        "Rectifica la factura  F-2022-0042",
        "Rettifica della fattura  F-2022-0042",
        "Correctie op factuur  F-2022-0042",
        "Credited invoice  INV-0042",
        "Replaces invoice  INV-0042",
    ],
)
def test_the_invoice_a_correction_refers_to_is_not_its_own_number(text):
    assert _kinds(text, FIELD_LABELS)[0][1] == "referenced_invoice"
