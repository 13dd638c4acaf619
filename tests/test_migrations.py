"""Upgrading a database that holds rows: migrations 0008 to 0010 keep every row and value, widen the ids
and sizes to bigint, give existing jobs an attempt history and a failed-attempts count, and add the
CHECK constraints after putting right the rows that would break them."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from psycopg import sql
from sqlalchemy import create_engine, text

from invoice_processor import migrations
from invoice_processor.db import sqlalchemy_url
from tests.conftest import _admin, _with_database

BATCH = uuid.uuid4()


@pytest.fixture
def database_at_0007(postgres_admin_url):
    name = f"ip_migrate_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(postgres_admin_url, name)
    command.upgrade(migrations.alembic_config(url), "0007")
    engine = create_engine(sqlalchemy_url(url))
    yield url, engine
    engine.dispose()
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _jobs(conn) -> dict[str, dict]:
    rows = conn.execute(text("SELECT * FROM jobs ORDER BY position")).mappings().all()
    return {row["filename"]: dict(row) for row in rows}


def test_upgrade_keeps_rows_widens_ids_and_backfills_the_attempts(database_at_0007):
    url, engine = database_at_0007
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO batches (id, tenant_id, max_workers, total_files, status, source, running_jobs) "
                "VALUES (:b, '00000000-0000-0000-0000-000000000001', 4, 4, 'running', 'upload', 1)"
            ),
            {"b": BATCH},
        )
        jobs = [  # filename, state, attempts, error_kind, finished
            ("done.pdf", "succeeded", 1, None, False),  # finished before finished_at was always written
            ("requeued.pdf", "queued", 2, "lost", False),
            ("running.pdf", "running", 2, None, False),
            ("outage.pdf", "failed", 3, "transient", True),
        ]
        for position, (filename, state, attempts, error_kind, finished) in enumerate(jobs):
            conn.execute(
                text(
                    "INSERT INTO jobs (id, batch_id, tenant_id, position, filename, object_key, state, attempts, "
                    "runner_id, started_at, finished_at, error, error_kind, size_bytes) VALUES (gen_random_uuid(), "
                    ":b, '00000000-0000-0000-0000-000000000001', :p, :f, 'k/' || :f, :s, :a, 'r1', now(), "
                    "CASE WHEN :finished THEN now() END, :e, :k, 2147483647)"
                ),
                {"b": BATCH, "p": position, "f": filename, "s": state, "a": attempts, "k": error_kind,
                 "e": error_kind and "it broke", "finished": finished},
            )
        invoice_id = conn.execute(
            text(
                "INSERT INTO invoices (tenant_id, provider, total_with_vat) "
                "VALUES ('00000000-0000-0000-0000-000000000001', 'Kept GmbH', 119.00) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text("INSERT INTO invoice_lines (invoice_id, designation, total_ht) VALUES (:i, 'Kept line', 100)"),
            {"i": invoice_id},
        )

    migrations.upgrade(url)

    with engine.begin() as conn:
        types = dict(
            conn.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            ).all()
        )
        for column in ("jobs.size_bytes", "jobs.invoice_id", "jobs.document_id", "batches.total_files",
                       "invoices.id", "invoice_lines.id", "invoice_lines.invoice_id", "other_documents.id"):
            assert types[column] == "bigint", column
        jobs = _jobs(conn)
        assert {name: job["size_bytes"] for name, job in jobs.items()} == dict.fromkeys(jobs, 2147483647)
        assert jobs["done.pdf"]["finished_at"] is not None  # put right before the CHECK was added
        assert {name: (job["attempts"], job["failed_attempts"]) for name, job in jobs.items()} == {
            "done.pdf": (1, 0), "requeued.pdf": (2, 2), "running.pdf": (2, 1), "outage.pdf": (3, 3),
        }
        outcomes = {name: [h["outcome"] for h in job["attempt_history"]] for name, job in jobs.items()}
        assert outcomes == {
            "done.pdf": ["succeeded"], "requeued.pdf": ["lost"], "running.pdf": [], "outage.pdf": ["failed"],
        }
        assert jobs["outage.pdf"]["attempt_history"][0]["error"] == "it broke"
        assert conn.execute(text("SELECT provider FROM invoices")).scalar_one() == "Kept GmbH"
        assert conn.execute(text("SELECT designation FROM invoice_lines")).scalar_one() == "Kept line"
        # Ids go past 2^31 - 1 now, sequences included.
        conn.execute(text("SELECT setval(pg_get_serial_sequence('invoices', 'id'), 3000000000)"))
        big = conn.execute(
            text("INSERT INTO invoices (tenant_id) VALUES ('00000000-0000-0000-0000-000000000001') RETURNING id")
        ).scalar_one()
        assert big == 3000000001
        conn.execute(text("UPDATE jobs SET invoice_id = :i, size_bytes = 3 * 1024 ^ 3"), {"i": big})

    # And back down, on a database whose values still fit.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM invoices WHERE id = 3000000001"))
        conn.execute(text("UPDATE jobs SET invoice_id = NULL, size_bytes = 1"))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('invoices', 'id'), 10)"))
    command.downgrade(migrations.alembic_config(url), "0007")
    with engine.begin() as conn:
        assert len(_jobs(conn)) == 4
        assert conn.execute(
            text("SELECT data_type FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'id'")
        ).scalar_one() == "integer"


def test_several_processes_may_migrate_at_once(postgres_admin_url):
    """Pods starting together each run `invoice-processor migrate` (their initContainers): the advisory lock
    lets one migrate while the others wait, then find the schema up to date."""
    import threading

    from alembic.script import ScriptDirectory

    name = f"ip_concurrent_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(postgres_admin_url, name)
    errors = []

    def migrate():
        try:
            migrations.upgrade(url)
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    assert errors == []
    assert version == ScriptDirectory.from_config(migrations.alembic_config(url)).get_current_head()
