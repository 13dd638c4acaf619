"""The schema comes from the migrations alone; the ORM models must describe the same tables."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from invoice_processor.db import Base, sqlalchemy_url


def test_migrated_database_has_the_contract_tables_and_columns(database_url):
    engine = create_engine(sqlalchemy_url(database_url))
    inspector = inspect(engine)
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    engine.dispose()
    assert {"id", "created_at", "finished_at", "max_workers", "total_files", "status"} <= columns["batches"]
    assert {
        "id", "batch_id", "filename", "object_key", "state", "attempts", "runner_id", "created_at",
        "started_at", "finished_at", "processing_time", "error", "document_type", "invoice_id", "document_id",
    } <= columns["jobs"]
    assert {"id", "invoice_id", "designation", "quantity", "unit", "unit_price", "total_ht", "vat_rate"} <= columns[
        "invoice_lines"
    ]
    assert {"id", "provider", "raw_text", "original_filename", "page_count", "batch_id", "job_id"} <= columns[
        "other_documents"
    ]


def test_models_match_migrations(database_url):
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # Indexes and check constraints live in the migrations only; tables, columns and types must agree.
    structural = [d for d in diffs if not (isinstance(d, tuple) and d[0] in ("remove_index", "add_index"))]
    assert structural == []
