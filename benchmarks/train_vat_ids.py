"""Examples for the VAT id models (invoice_reader/vat_ids.py): each place a VAT id is printed on an
invoice, with its features, is a positive for `vat_id_provider` when the id is the labelled
seller's and for `vat_id_customer` when it is the labelled buyer's (ids compared compact and upper
case). The features see the parties the party models choose, as at run time.

A role whose label matches no candidate (an OCR misreading of the id, an id printed without its
country prefix) adds no example, so that the right place, misread, is not taught as wrong. Where
labels are incomplete (labels['complete'] is False: the corpus), a role without a label is
skipped. After fitting, `calibrate` chooses each model's threshold: the score the best id must
reach to be taken, the one that reads the most training documents right, each scored by a model
fitted on the other half of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from benchmarks.train_fields import cross_fitted_threshold
from invoice_reader.party_roles import find_parties
from invoice_reader.vat_ids import CUSTOMER_MODEL, PROVIDER_MODEL, compact_vat_id, vat_id_candidates

MODELS = (PROVIDER_MODEL, CUSTOMER_MODEL)
ROLES = ((PROVIDER_MODEL, "provider_vat_id"), (CUSTOMER_MODEL, "customer_vat_id"))

_seen: dict[object, dict[str, tuple[list[dict], list[int], bool]]] = {}
"""Per document and model: the candidates' features, their targets, and whether the label has an id
(kept from examples() for calibrate())."""


def examples(document) -> Iterator[tuple[str, dict[str, float], int]]:
    labels = document.labels or {}
    if labels.get("document_type", "invoice") != "invoice" or not document.pages:
        return
    fields = labels.get("fields") or {}
    candidates = vat_id_candidates(document.pages, document.ocr_pages, find_parties(document.pages))
    seen = {}
    for model, field in ROLES:
        expected = fields.get(field)
        if not expected and labels.get("complete") is False:
            continue
        wanted = compact_vat_id(str(expected)) if expected else None
        targets = [int(c.value == wanted) for c in candidates]
        if wanted and not any(targets):
            continue
        seen[model] = ([c.features for c in candidates], targets, wanted is not None)
        for candidate, target in zip(candidates, targets, strict=True):
            yield model, candidate.features, target
    _seen[_document_key(document)] = seen


def calibrate(model, documents) -> dict:
    """The threshold for model (a fitted LinearModel): the best id is taken when it scores at least
    this. Chosen to read the most training documents right (the right id, or None where the label
    has none), on cross-fitted scores (train_fields.cross_fitted_threshold); returns {'threshold',
    'threshold_accuracy', 'threshold_documents'}."""
    return cross_fitted_threshold([_seen.get(_document_key(d), {}).get(model.name) for d in documents])


def _document_key(document):
    return (document.spec.family, document.spec.seed, document.spec.kind, document.spec.path)
