"""The API and a runner behind PgBouncer in transaction pooling mode (Debian's pgbouncer, installed by
infra/install.sh), in front of the test PostgreSQL: a batch of real PDFs completes with one result per file.
Skipped where pgbouncer is not installed."""

from __future__ import annotations

import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from invoice_processor.db import Invoice, make_engine, make_sessionmaker
from invoice_processor.queue import JobQueue
from tests import pdf_factory
from tests.conftest import free_port

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed (infra/install.sh)")


def _unprivileged_user() -> str | None:
    """PgBouncer refuses to run as root: the embedded server's own user, which can reach its socket."""
    if os.geteuid() != 0:
        return None
    for name in ("pgserver", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    pytest.skip("running as root with no user to run pgbouncer as")


@pytest.fixture
def pgbouncer_url(database_url):
    """database_url through a PgBouncer in transaction pooling mode on a free local port, with the URL option
    that tells make_engine it is behind PgBouncer."""
    url = make_url(database_url)
    host = url.query.get("host") or url.host or "127.0.0.1"  # a socket folder (embedded server) or a host
    port = free_port()
    user = _unprivileged_user()
    folder = Path(tempfile.mkdtemp(prefix="ip-pgbouncer-"))
    (folder / "users.txt").write_text(f'"{url.username}" "{url.password or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={host} port={url.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
"""
    )
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if user is not None:
        shutil.chown(folder, user)
        for f in folder.iterdir():
            shutil.chown(f, user)
        command = ["runuser", "-u", user, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"pgbouncer did not start: {process.communicate()[0]}")
            time.sleep(0.05)
    yield (
        url.set(host="127.0.0.1", port=port, password=None, query={"pgbouncer": "true"})
        .render_as_string(hide_password=False)
    )
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(folder, ignore_errors=True)


def test_batch_completes_through_pgbouncer_in_transaction_mode(pgbouncer_url, sessions, folder_store, tmp_path):
    from fastapi.testclient import TestClient

    from ingest_api.app import create_app
    from job_runner.runner import Runner

    files = []
    for i in range(6):
        pdf_factory.make_text_invoice(tmp_path / f"invoice{i}.pdf", invoice_number=f"PGB-{i:03d}")
        files.append(("files", (f"invoice{i}.pdf", io.BytesIO((tmp_path / f"invoice{i}.pdf").read_bytes()))))

    engine = make_engine(pgbouncer_url, pool_size=8)
    bounced = make_sessionmaker(engine)
    queue = JobQueue(bounced)
    runner = Runner(queue, folder_store, database_url=pgbouncer_url, threads=2, poll_interval_s=0.5)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        with TestClient(create_app(bounced, folder_store)) as client:
            response = client.post("/api/v1/invoices/batch-upload", params={"max_workers": 4}, files=files)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["status"] == "completed"
            assert (body["total_files"], body["successful"], body["failed"]) == (6, 6, 0)
            # A second batch on the same pooled connections: by now psycopg would prepare the queue's
            # statements, which a transaction pooler cannot keep.
            again = client.post("/api/v1/invoices/batch-upload", files=files[:2]).json()
            assert (again["status"], again["successful"]) == ("completed", 2)
    finally:
        runner.stop()
        thread.join(30)
        engine.dispose()
    with sessions() as session:  # read back on the direct connection; the second batch's files were copies
        numbers = session.scalars(select(Invoice.invoice_number).order_by(Invoice.invoice_number)).all()
    assert numbers == [f"PGB-{i:03d}" for i in range(6)]


def test_statements_are_not_prepared_behind_pgbouncer(pgbouncer_url):
    """Three pooled connections taking turns: PgBouncer hands them the same server connection, where a
    statement prepared by one would clash with the next one's (psycopg prepares after 5 runs)."""
    engine = make_engine(pgbouncer_url, pool_size=3)
    try:
        connections = [engine.connect() for _ in range(3)]
        for _ in range(10):
            for conn in connections:
                assert conn.execute(select(func.count()).select_from(Invoice)).scalar_one() == 0
                conn.commit()
        for conn in connections:
            conn.close()
    finally:
        engine.dispose()



def test_incoming_scans_go_through_pgbouncer_and_leave_no_lock_behind(pgbouncer_url, sessions, folder_store):
    """ingest-incoming's per-tenant lock lives in a transaction, so a scan through PgBouncer skips a tenant that
    another scanner holds, imports it once free, and leaves the lock free after it, even when the server
    connection its lock was taken on is handed to another client mid-scan (a session-level lock would stay
    behind on that connection, and every later scan would skip the tenant)."""
    from sqlalchemy import text

    from ingest_api.incoming import ingest_incoming
    from invoice_processor.storage import FolderStore

    lock = text("SELECT pg_try_advisory_lock(hashtextextended('incoming:default', 0))")
    unlock = text("SELECT pg_advisory_unlock(hashtextextended('incoming:default', 0))")
    engine = make_engine(pgbouncer_url, pool_size=2)
    other_client = make_engine(pgbouncer_url, pool_size=1)
    busy = []

    class Store(FolderStore):
        def delete(self, key: str) -> None:
            # Another client opens a transaction: PgBouncer gives it the server connection that is free now.
            if not busy:
                busy.append(other_client.connect())
                busy[0].execute(text("SELECT 1"))
            super().delete(key)

    store = Store(folder_store.root)
    queue = JobQueue(make_sessionmaker(engine))
    try:
        store.put("tenants/default/incoming/a.pdf", io.BytesIO(b"%PDF-1.4 a"))
        with sessions() as other_scanner:  # a direct connection holding the tenant, as another scan would
            assert other_scanner.scalar(lock)
            assert ingest_incoming(queue, store) == []
            assert other_scanner.scalar(unlock)
        (imported,) = ingest_incoming(queue, store)
        assert busy, "the scan deleted no file"
        with sessions() as session:
            assert session.scalar(lock), "a scan left the tenant's lock held"
            session.scalar(unlock)
        store.put("tenants/default/incoming/b.pdf", io.BytesIO(b"%PDF-1.4 b"))
        (again,) = ingest_incoming(queue, store)
        assert (imported.files, again.files) == (1, 1)
    finally:
        for conn in busy:
            conn.close()
        other_client.dispose()
        engine.dispose()
