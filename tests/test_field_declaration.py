"""Each invoice field is declared once (invoice_reader/fields.py); every place that lists fields agrees."""

import dataclasses

import sqlalchemy as sa

from benchmarks import scoring
from ingest_api.schemas import InvoicePublic
from invoice_processor.db import Invoice
from invoice_reader.fields import FIELD_NAMES, FIELDS
from invoice_reader.result import InvoiceFields

# What each of them holds besides the declared fields.
RESULT_EXTRAS = {"lines", "lines_total", "validation", "confidence_score", "source", "type_code", "provenance"}
COLUMN_TYPES = {"amount": sa.Numeric, "date": sa.Date, "rates": sa.JSON}


def test_result_type_has_exactly_the_declared_fields():
    assert {f.name for f in dataclasses.fields(InvoiceFields)} - RESULT_EXTRAS == set(FIELD_NAMES)


def test_invoices_table_has_a_column_of_the_right_type_for_each_field():
    columns = Invoice.__table__.columns
    for field in FIELDS:
        assert field.name in columns, field.name
        expected = COLUMN_TYPES.get(field.kind)
        if expected is not None:
            assert isinstance(columns[field.name].type, expected), (field.name, columns[field.name].type)


def test_api_schema_shows_every_field():
    assert set(FIELD_NAMES) <= set(InvoicePublic.model_fields)


def test_scoring_scores_every_field_but_free_text():
    assert scoring.SCORED_FIELDS == tuple(f.name for f in FIELDS if f.kind != "text")
    assert set(scoring.NAME_FIELDS + scoring.ID_FIELDS + scoring.AMOUNT_FIELDS + scoring.DATE_FIELDS
               + scoring.EXACT_FIELDS + ("vat_breakdown", "payment_terms")) == set(FIELD_NAMES)
