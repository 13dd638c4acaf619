"""The invoice's fields, declared once: their names and kinds.

The result type (result.InvoiceFields), the invoices table (invoice_processor.db.Invoice, filled by
job_runner.results.StagedResults), the API schema (ingest_api.schemas.InvoicePublic) and the scoring
(benchmarks/scoring.py) take their field names from here; tests/test_field_declaration.py checks
that each of them has exactly these fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    """'name' (a party), 'id' (numbers and codes compared without spaces or dots), 'amount' (Decimal),
    'date', 'code' (compared exactly: currency, subtype), 'text' (free text), 'rates' (VAT breakdown)."""
    description: str


FIELDS: tuple[Field, ...] = (
    Field("provider", "name", "The seller: who issued the invoice."),
    Field("provider_vat_id", "id", "The seller's VAT identification number."),
    Field("customer", "name", "The buyer: who is invoiced (not a ship-to or remit-to party)."),
    Field("customer_vat_id", "id", "The buyer's VAT identification number."),
    Field("invoice_number", "id", "The invoice's own number."),
    Field("purchase_order", "id", "The buyer's order number the invoice refers to."),
    Field("date", "date", "The issue date."),
    Field("due_date", "date", "The date payment is due (printed, or the issue date plus a printed term)."),
    Field("currency", "code", "ISO 4217 code."),
    Field("total_without_vat", "amount", "Net total, after discounts and charges."),
    Field("total_vat", "amount", "VAT total, all rates added."),
    Field("total_with_vat", "amount", "Gross total."),
    Field("amount_due", "amount", "What is left to pay: the gross total less prepaid amounts."),
    Field("iban", "id", "The seller's bank account to pay to."),
    Field("bic", "id", "The bank's BIC."),
    Field("payment_terms", "text", "The printed payment terms."),
    Field("vat_breakdown", "rates", "Per VAT rate: rate, base and amount."),
    Field("subtype", "code", "'invoice' or 'credit_note'."),
)
"""Every field of an invoice except its line items, in the order results show them."""

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)


def names_of_kind(*kinds: str) -> tuple[str, ...]:
    """The names of the fields of these kinds, in declaration order."""
    return tuple(f.name for f in FIELDS if f.kind in kinds)
