"""Invoice or other, and which kind of document: learned weights over the document's cues.

The cues (kind_features.py) describe where the words that name each kind of document appear
(lexicon/document_kinds.json) and whether the document has an invoice's structure. Two logistic
models, trained by benchmarks/train_classifier.py, decide:
- `document_type`: P(invoice) from the evidence of the invoice kinds, of the other kinds, and the
  structure; an invoice from 0.5 up;
- `document_kind`: scores each kind of the decided type whose words appear (credit_note,
  utility_bill, ... or quote, delivery_note, ...); the best one is the document's kind;
- `invoice_subtype`: P(credit note) of an invoice, from the words of credit notes, corrected and
  self-billed invoices and whether its totals are printed negative (a corrected invoice may add or
  take back; a self-billed 'Gutschrift' is an invoice). A credit note carries negative totals.
A PDF carrying an e-invoice XML is an invoice whatever its words; its type code gives the kind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .kind_features import DocumentCues, document_cues, pages_from_text
from .kind_words import load_lexicon
from .learned import load_model
from .result import InvoiceFields
from .text_lines import PageText

TYPE_MODEL = "document_type"
KIND_MODEL = "document_kind"
SUBTYPE_MODEL = "invoice_subtype"
INVOICE_THRESHOLD = 0.5
"""A document whose P(invoice) is at least this is an invoice."""
UNNAMED = {"invoice": "invoice", "other": "other"}
"""The kind of a document that names no kind of its type."""


@dataclass(frozen=True)
class Classification:
    document_type: str
    """'invoice' or 'other'."""
    document_kind: str
    """The kind within the type: 'invoice', 'credit_note', 'correction', 'self_billing', 'utility_bill',
    'telecom_bill', 'insurance_bill', 'receipt'; or 'quote', 'purchase_order', 'order_confirmation',
    'delivery_note', 'statement_of_account', 'payment_reminder', 'letter', 'contract', 'payment_receipt',
    'pro_forma', or 'other' when the document names none."""
    subtype: str
    """For an invoice: 'invoice' or 'credit_note' (for another document, what it would be as one)."""
    invoice_probability: float


def classify_pages(pages: list[PageText] | str, einvoice: InvoiceFields | None = None) -> Classification:
    """The document's type, kind and subtype. Raises learned.ModelMissing without the model files."""
    cues = _cues(pages)
    lexicon = load_lexicon()
    if einvoice is not None:
        kind = lexicon.einvoice_kinds.get(einvoice.type_code or "") or choose_kind(cues, "invoice")
        return Classification("invoice", kind, einvoice.subtype, 1.0)
    probability = load_model(TYPE_MODEL).score(cues.type_features())
    document_type = "invoice" if probability >= INVOICE_THRESHOLD else "other"
    kind = choose_kind(cues, document_type)
    invoice_kind = kind if document_type == "invoice" else choose_kind(cues, "invoice")
    return Classification(document_type, kind, _subtype(cues, invoice_kind), probability)


def classify_document(text: str | list[PageText], einvoice: InvoiceFields | None = None) -> str:
    """'invoice' or 'other', from the document's pages (or its plain text). A PDF carrying an
    e-invoice XML is an invoice whatever its type code (380 invoice, 381 credit note, 384
    corrected invoice, 389 self-billed...)."""
    return classify_pages(text, einvoice).document_type


def invoice_score(text: str | list[PageText]) -> float:
    """P(the document is an invoice), 0..1."""
    return load_model(TYPE_MODEL).score(_cues(text).type_features())


def document_subtype(text: str | list[PageText]) -> str:
    """'credit_note' when the invoice reads as one (a credit note, or a corrected invoice that
    takes an amount back), else 'invoice'."""
    cues = _cues(text)
    return _subtype(cues, choose_kind(cues, "invoice"))


def _subtype(cues: DocumentCues, kind: str) -> str:
    credit = load_model(SUBTYPE_MODEL).score(cues.subtype_features(kind)) >= INVOICE_THRESHOLD
    return "credit_note" if credit else "invoice"


def choose_kind(cues: DocumentCues, document_type: str) -> str:
    """The best-scored kind of document_type among those whose words appear; UNNAMED[type] when
    none does."""
    candidates = [kind for kind in load_lexicon().of_type(document_type) if cues.evidence_of(kind)]
    if not candidates:
        return UNNAMED[document_type]
    model = load_model(KIND_MODEL)
    return max(candidates, key=lambda kind: model.score(cues.kind_features(kind)))


_last = threading.local()


def _cues(pages: list[PageText] | str) -> DocumentCues:
    """The document's cues; the pipeline asks twice for the same pages (type, then the extractor's
    subtype), so each thread keeps the last document's."""
    if isinstance(pages, str):
        return document_cues(pages_from_text(pages))
    key = (tuple(map(id, pages)), tuple(len(page.lines) for page in pages))
    held = getattr(_last, "entry", None)
    if held is not None and held[0] is pages and held[1] == key:
        return held[2]
    cues = document_cues(pages)
    _last.entry = (pages, key, cues)
    return cues
