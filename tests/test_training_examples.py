"""The party models' examples: each candidate is taught twice, with and without what the rule-based finders
chose, so that the models also learn what the labels, blocks and places around a name say on their own."""

from types import SimpleNamespace

from benchmarks import train_parties
from benchmarks.training import RULE_FEATURES
from invoice_reader.text_lines import PageText, Word, build_lines


def _page(rows: list[tuple[float, list[tuple[float, str]]]]) -> PageText:
    words = []
    for top, cells in rows:
        for x, text in cells:
            for token in text.split(" "):
                words.append(Word(token, x, top, x + 5.0 * len(token), top + 9.0))
                x += 5.0 * (len(token) + 1)
    return PageText(0, build_lines(words), 595.0, 842.0)


DOCUMENT = SimpleNamespace(
    pages=[_page([
        (40, [(40, "Acme Tools GmbH"), (380, "INVOICE")]),
        (52, [(40, "Hauptstraße 5, 80331 München")]),
        (100, [(40, "Bill to:")]),
        (112, [(40, "Northwind Traders Ltd")]),
        (124, [(40, "12 High Street, London")]),
        (150, [(380, "Invoice No: INV-2041")]),
        (162, [(380, "Date: 14/03/2025")]),
        (174, [(380, "Due date: 13/04/2025")]),
        (186, [(380, "Your order: PO-7781")]),
        (240, [(380, "Total"), (480, "252.00")]),
    ])],
    ocr_pages=frozenset(),
    labels={
        "document_type": "invoice",
        "fields": {
            "invoice_number": "INV-2041", "date": "2025-03-14", "due_date": "2025-04-13",
            "purchase_order": "PO-7781", "provider": "Acme Tools GmbH", "customer": "Northwind Traders Ltd",
        },
    },
    spec=SimpleNamespace(family="test", seed=0, kind="invoice", path=None),
)


def _ruled(features: dict) -> bool:
    return any(name.startswith(RULE_FEATURES) for name in features)


def test_every_party_example_is_taught_again_without_the_rule_finders_choices():
    examples = list(train_parties.examples(DOCUMENT))
    assert examples and len(examples) % 2 == 0
    pairs = list(zip(examples[::2], examples[1::2]))
    for (model, features, target), (twin_model, twin, twin_target) in pairs:
        assert (twin_model, twin_target) == (model, target)
        assert not _ruled(twin)
        assert twin == {k: v for k, v in features.items() if not k.startswith(RULE_FEATURES)}
    # The rule-based finders read this plain page, so the right names carry their choice the first time.
    assert {model for (model, features, target), _ in pairs if target and _ruled(features)} == {
        "party_provider", "party_customer"}
