"""The party models' examples: each candidate is taught twice, with and without what the rule-based finders
chose, so that the models also learn what the labels, blocks and places around a name say on their own."""

from types import SimpleNamespace

from benchmarks import train_parties
from benchmarks.train_parties import RULED
from tests.placed_pages import TOTALS, page, rows

DOCUMENT = SimpleNamespace(
    pages=[page(
        (40, 40, "Acme Tools GmbH", 14.0), (380, 40, "INVOICE", 14.0),
        *rows(40, 60, "Hauptstraße 5", "80331 München"),
        *rows(40, 120, "Bill to:", "Northwind Traders Ltd", "12 High Street", "London"),
        *rows(380, 120, "Invoice No: INV-2041", "Date: 14/03/2025"),
        *TOTALS,
    )],
    ocr_pages=frozenset(),
    labels={"document_type": "invoice", "fields": {"provider": "Acme Tools GmbH", "customer": "Northwind Traders Ltd"}},
    spec=SimpleNamespace(family="test", seed=0, kind="invoice", path=None),
)


def _ruled(features: dict) -> bool:
    return any(name.startswith(RULED) for name in features)


def test_every_party_example_is_taught_again_without_the_rule_finders_choices():
    examples = list(train_parties.examples(DOCUMENT))
    assert examples and len(examples) % 2 == 0
    pairs = list(zip(examples[::2], examples[1::2]))
    for (model, features, target), (twin_model, twin, twin_target) in pairs:
        assert (twin_model, twin_target) == (model, target)
        assert not _ruled(twin)
        assert twin == {k: v for k, v in features.items() if not k.startswith(RULED)}
    # The rule-based finders read this plain page, so the right names carry their choice the first time.
    assert {model for (model, features, target), _ in pairs if target and _ruled(features)} == {
        "party_provider", "party_customer"}
