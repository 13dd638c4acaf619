"""Examples for the key-value field models: invoice number, issue date, due date, order number.

For each labelled invoice, every candidate of a field (invoice_reader/key_fields.py: each id-like
token with a digit for the numbers, each date for the dates) is an example: positive when its value,
normalised as the scoring normalises it, equals the label; negative otherwise. Where the right value
is printed several times, only the copies a label of the field names are positives (the others are
left out), so that a date repeated in a table does not teach that unlabelled dates are due dates. A document whose
labels are not complete (labels['complete'] is False, as in the real corpus) gives no example for a
field it does not annotate. After fitting, `calibrate` chooses each model's threshold: the score the
best candidate must reach to be taken, the one that reads the most training documents right when each
is scored by a model fitted on the other half of them.
"""

from __future__ import annotations

from datetime import date

from benchmarks.training import fit_logistic
from invoice_reader.candidates import normalise_id
from invoice_reader.features import named
from invoice_reader.key_fields import FIELD_MODELS, document_key_candidates
from invoice_reader.learned import LinearModel

MODELS = tuple(FIELD_MODELS.values())
_FIELD_OF = {model: field for field, model in FIELD_MODELS.items()}

_seen: dict[object, dict[str, tuple[list[dict], list[int], bool]]] = {}
"""Per document and field: the candidates' features, their targets, and whether the label has a value
(kept from examples() for calibrate())."""


def examples(document):
    """(model name, features, 0 or 1) for every candidate of every field the document labels."""
    labels = document.labels or {}
    if labels.get("document_type", "invoice") != "invoice" or not document.pages:
        return
    expected = labels.get("fields") or {}
    complete = labels.get("complete", True) is not False
    found = document_key_candidates(document.pages, document.ocr_pages)
    per_field = {}
    for field, model in FIELD_MODELS.items():
        wanted = _expected(field, expected.get(field))
        if wanted is None and not complete:
            continue
        candidates = found.of(field)
        targets = [int(wanted is not None and _key(c.value) == wanted) for c in candidates]
        per_field[field] = ([c.features for c in candidates], targets, wanted is not None)
        for features, target in _taught(field, *per_field[field][:2]):
            yield model, features, target
    _seen[_document_key(document)] = per_field


def _taught(field: str, features: list[dict], targets: list[int]):
    """The (features, target) a document's candidates teach. A value printed several times (a due
    date also in a table row, a number repeated in the payment reference): the copies a label names
    are what teaches; the others are left out, neither right nor wrong."""
    named = [bool(t) and _named(f, field) for f, t in zip(features, targets, strict=True)]
    for f, target, is_named in zip(features, targets, named, strict=True):
        if target and any(named) and not is_named:
            continue
        yield f, target


def calibrate(model, documents, l2: float = 1.0) -> dict:
    """The threshold for model (a fitted LinearModel): the best candidate is taken when it scores at
    least this. Chosen to read the most training documents right (a right value, or None where the
    label has none), on cross-fitted scores (cross_fitted_threshold). l2: the half models'
    regularisation (train.py's default). Returns {'threshold', 'threshold_accuracy',
    'threshold_documents'}."""
    field = _FIELD_OF[model.name]
    seen = [_seen.get(_document_key(d), {}).get(field) for d in documents]
    return cross_fitted_threshold(seen, lambda features, targets: _taught(field, features, targets), l2)


def cross_fitted_threshold(seen: list[tuple[list, list, bool] | None], taught=zip, l2: float = 1.0) -> dict:
    """choose_threshold over documents' (candidates' features, targets, label has a value), each
    document scored by a model fitted on the other half of them (taught(features, targets) gives the
    examples a document teaches). A model is surer of the documents it was fitted on than of new ones:
    a threshold chosen on those scores moved the issue date's from 0.25 to 0.66 from one training run
    to the next, leaving right values of new documents under it."""
    halves = (seen[0::2], seen[1::2])
    outcomes = []
    for fit_on, score in (halves, halves[::-1]):
        rows, targets = [], []
        for features, wanted, _ in filter(None, fit_on):
            for row, target in taught(features, wanted):
                rows.append(row)
                targets.append(target)
        weights, bias = fit_logistic(rows, targets, l2=l2)
        outcomes += best_outcomes(LinearModel("half", weights, bias), score)
    return choose_threshold(outcomes)


def best_outcomes(model, seen: list[tuple[list, list, bool] | None]) -> list[tuple[float, bool, bool]]:
    """(best candidate's score, whether it is right, whether the label has a value) of each document
    from its (candidates' features, targets, label has a value), as the examples saw them; None for a
    document that gave none."""
    outcomes = []
    for rows, targets, has_value in filter(None, seen):
        if rows:
            score, right = max((model.score(r), t) for r, t in zip(rows, targets, strict=True))
        else:
            score, right = -1.0, 0
        outcomes.append((score, bool(right), has_value))
    return outcomes


def choose_threshold(outcomes: list[tuple[float, bool, bool]]) -> dict:
    """From each document's (best candidate's score, whether it is right, whether the label has a
    value): the cut that reads the most documents right less the documents it reads wrong (a wrong
    value booked costs more than a blank a person fills in), the middle one of the cuts within one
    document of the best: one document's outcome is noise, and the lowest scores, where the cuts are
    decided by a document or two, moved the invoice number's threshold from 0.010 to 0 (always answer,
    a year or a delivery-note number included) from one training run to the next.
    Returns {'threshold', 'threshold_accuracy', 'threshold_documents'}, or {} without documents."""
    if not outcomes:
        return {}
    scores = sorted({s for s, _, _ in outcomes if s >= 0})
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [1.0]

    def right_at(t: float) -> int:
        return sum((s >= t and right) or (s < t and not has) for s, right, has in outcomes)

    def wrong_at(t: float) -> int:
        return sum(s >= t and not right for s, right, _ in outcomes)

    tally = [(right_at(t) - wrong_at(t), t) for t in cuts]
    best = max(n for n, _ in tally)
    chosen = [t for n, t in tally if n >= best - 1]
    threshold = chosen[len(chosen) // 2]
    return {"threshold": round(threshold, 6), "threshold_accuracy": round(right_at(threshold) / len(outcomes), 4),
            "threshold_documents": len(outcomes)}


def _named(features: dict, field: str) -> bool:
    """Whether a label of field (or the rule finder) names this candidate."""
    return named(features, field) or f"rule:{field}" in features


def _expected(field: str, value):
    if value is None or value == "":
        return None
    if field in ("date", "due_date"):
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    return normalise_id(str(value))


def _key(value):
    return value if isinstance(value, date) else normalise_id(str(value))


def _document_key(document):
    return (document.spec.family, document.spec.seed, document.spec.kind, document.spec.path)
