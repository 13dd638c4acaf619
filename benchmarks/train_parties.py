"""Examples for the party models (invoice_reader/party_roles.py): each name candidate of an
invoice, with its features, is a positive for `party_provider` when its name is the labelled
seller and for `party_customer` when it is the labelled buyer (names compared as the scoring
compares them, benchmarks/scoring.normalise_name; the printed form of the name counts too, where
the labels hold one).

A role whose label matches no candidate (an OCR misreading of the name) adds no example, so that
the right block, misread, is not taught as wrong. Where labels are incomplete (labels['complete']
is False: the corpus), a role without a label is skipped.

Each example is given twice, the second time without the rule-based finders' choices (the `ruled_*`
features): on the training layouts the rules are almost always right, and models that saw only those
examples leaned on them and learnt little from the blocks, labels and places around a name, which are
what is left on a layout where the rules miss. (Tried for the key-field models' rule: features too, and
dropped: a document or two gained on dev seeds, and a short number such as "F-1" beside its label fell
under the threshold, a length the generators never print.)
"""

from __future__ import annotations

from collections.abc import Iterator

from benchmarks.scoring import normalise_name
from invoice_reader.party_candidates import party_candidates
from invoice_reader.party_roles import CUSTOMER_MODEL, PROVIDER_MODEL

MODELS = (PROVIDER_MODEL, CUSTOMER_MODEL)
ROLES = ((PROVIDER_MODEL, "provider"), (CUSTOMER_MODEL, "customer"))
RULED = "ruled_"
"""The prefix of the features that say what the rule-based finders chose (party_candidates)."""


def examples(document) -> Iterator[tuple[str, dict[str, float], int]]:
    labels = document.labels
    if labels.get("document_type", "invoice") != "invoice" or not document.pages:
        return
    fields = labels.get("fields") or {}
    candidates = party_candidates(document.pages)
    names = [normalise_name(c.name) for c in candidates]
    for model, field in ROLES:
        expected = fields.get(field)
        if expected is None and labels.get("complete") is False:
            continue
        printed = (labels.get("printed") or {}).get(field)
        wanted = {normalise_name(v) for v in (expected, printed) if v}
        targets = [int(name in wanted) for name in names]
        if wanted and not any(targets):
            continue
        for candidate, target in zip(candidates, targets):
            yield model, candidate.features, target
            yield model, without_rules(candidate.features), target


def without_rules(features: dict[str, float]) -> dict[str, float]:
    """A candidate's features as if the rule-based finders had read nothing."""
    return {name: value for name, value in features.items() if not name.startswith(RULED)}
