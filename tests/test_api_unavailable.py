"""The database or the object store down: the API answers 503 with Retry-After and a sentence, never a
500; an upload that could not be stored leaves no batch behind; a waiting upload rides out a short
database outage. Outages are real: closed ports (connection refused), and a TCP proxy in front of
PostgreSQL that the test cuts and restores."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
import uuid
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ingest_api.app import create_app
from ingest_api.batches import wait_for_batch
from invoice_processor.db import Batch, make_engine, make_sessionmaker
from invoice_processor.storage import S3Store
from invoice_reader.result import DocumentResult
from tests.conftest import free_port
from tests.polling import wait_until

DATABASE_DOWN = {"detail": "The database is not reachable right now; retry in a few seconds."}
STORAGE_DOWN = {
    "detail": "The object store is not reachable right now, so the files were not accepted; retry in a few seconds."
}
PDF = b"%PDF-1.4\n%%EOF\n"
NO_BATCH = "00000000-0000-0000-0000-000000000000"


def _pdfs(*names: str):
    return [("files", (name, io.BytesIO(PDF), "application/pdf")) for name in names]


def _assert_unavailable(response, body):
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json() == body


@pytest.fixture
def unreachable_sessions():
    """Sessions on a PostgreSQL port where nothing listens: every connection is refused."""
    engine = make_engine(f"postgresql://invoice:secret@127.0.0.1:{free_port()}/invoices")
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def unreachable_s3():
    """An S3 store on a port where nothing listens, tried once with short timeouts."""
    return S3Store(
        "uploads",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="testing",
        secret_access_key="testing",
        connect_timeout_s=1,
        read_timeout_s=1,
        max_attempts=1,
    )


def test_reads_answer_503_with_retry_after_when_the_database_is_down(unreachable_sessions, folder_store):
    with TestClient(create_app(unreachable_sessions, folder_store)) as client:
        reads = (f"/api/v1/batches/{NO_BATCH}", f"/api/v1/jobs/{NO_BATCH}", "/api/v1/invoices", "/api/v1/invoices/1")
        for path in reads:
            _assert_unavailable(client.get(path), DATABASE_DOWN)
        _assert_unavailable(client.post(f"/api/v1/batches/{NO_BATCH}/cancel"), DATABASE_DOWN)
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"].startswith("error: ")


@pytest.mark.parametrize("wait", ["true", "false"])
def test_upload_answers_503_and_keeps_no_files_when_the_database_is_down(unreachable_sessions, folder_store, wait):
    with TestClient(create_app(unreachable_sessions, folder_store)) as client:
        response = client.post("/api/v1/invoices/batch-upload", params={"wait": wait}, files=_pdfs("a.pdf", "b.pdf"))
    _assert_unavailable(response, DATABASE_DOWN)
    assert [path for path in folder_store.root.rglob("*") if path.is_file()] == []


def test_upload_answers_503_and_creates_no_batch_when_the_object_store_is_down(sessions, unreachable_s3):
    with TestClient(create_app(sessions, unreachable_s3)) as client:
        pdfs = client.post("/api/v1/invoices/batch-upload", files=_pdfs("a.pdf", "b.pdf"))
        one = client.post("/api/v1/invoices/upload", files={"file": ("a.pdf", io.BytesIO(PDF), "application/pdf")})
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("a.pdf", PDF)
        zipped = client.post("/api/v1/invoices/batch-upload-zip", files={"file": ("a.zip", archive.getvalue())})
    for response in (pdfs, one, zipped):
        _assert_unavailable(response, STORAGE_DOWN)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0


def test_other_database_errors_are_still_500(postgres_admin_url, folder_store):
    # The maintenance database answers, but has none of the service's tables: a bug, not an outage.
    engine = make_engine(postgres_admin_url)
    try:
        with TestClient(create_app(make_sessionmaker(engine), folder_store), raise_server_exceptions=False) as client:
            assert client.get("/api/v1/invoices").status_code == 500
    finally:
        engine.dispose()


class TcpProxy:
    """Forwards a local TCP port to a PostgreSQL server. cut() is an outage: open connections are
    broken and new ones refused; restore() ends it, on the same port."""

    def __init__(self, database_url: str):
        url = make_url(database_url)
        socket_dir = url.query.get("host")
        if socket_dir:  # the embedded server listens on a Unix socket
            self._upstream = (socket.AF_UNIX, f"{socket_dir}/.s.PGSQL.{url.port or 5432}")
        else:
            self._upstream = (socket.AF_INET, (url.host, url.port or 5432))
        self.port = free_port()
        self.url = url.set(host="127.0.0.1", port=self.port, query={}).render_as_string(hide_password=False)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listening = threading.Event()
        self._accepting: threading.Thread | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.05)
        self._listening.set()
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def cut(self) -> None:
        self._listening.clear()
        # Once the accept loop has ended, its listener is closed and every connection it accepted is
        # in _sockets: none is left open, none is accepted after.
        if self._accepting is not None:
            self._accepting.join(10)
            assert not self._accepting.is_alive(), "the proxy's accept loop did not end"
        with self._lock:
            for sock in self._sockets:
                _close(sock)
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self._listening.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                family, address = self._upstream
                upstream = socket.socket(family)
                upstream.connect(address)
                with self._lock:
                    self._sockets += [client, upstream]
                for source, target in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def test_waiting_upload_rides_out_a_short_database_outage(database_url, sessions, folder_store, runner_factory, caplog):
    release = threading.Event()

    def held(job, check) -> DocumentResult:
        while not release.wait(0.02):
            check()
        return DocumentResult(page_count=1, text="A letter.", document_type="other", invoice=None)

    runner_factory(folder_store, threads=1, work=held, shutdown_grace_s=2)  # the runner's database stays up
    proxy = TcpProxy(database_url)
    proxy.restore()
    engine = make_engine(proxy.url)
    answers = []
    try:
        with TestClient(create_app(make_sessionmaker(engine), folder_store)) as client:
            waiting = threading.Thread(
                target=lambda: answers.append(client.post("/api/v1/invoices/batch-upload", files=_pdfs("a.pdf")))
            )
            waiting.start()
            with sessions() as session:
                assert wait_until(lambda: session.scalar(select(func.count()).select_from(Batch)) == 1)

            proxy.cut()
            # The waiting upload polls a database that refuses it, and says so.
            assert wait_until(lambda: "database unreachable while waiting" in caplog.text)
            release.set()  # the runner, whose database stays up, finishes the job meanwhile
            with sessions() as session:
                assert wait_until(lambda: session.scalar(select(Batch.status)) == "completed")
            proxy.restore()

            waiting.join(15)
            assert not waiting.is_alive()
    finally:
        release.set()
        proxy.cut()
        engine.dispose()
    assert answers[0].status_code == 200, answers[0].text
    body = answers[0].json()
    assert (body["status"], body["successful"]) == ("completed", 1)
    assert "database unreachable while waiting" in caplog.text


def test_waiting_stops_when_the_client_leaves_during_an_outage(unreachable_sessions):
    async def client_gone() -> bool:
        return True

    started = time.monotonic()
    body = asyncio.run(wait_for_batch(unreachable_sessions, uuid.uuid4(), client_gone))
    assert body is None
    assert time.monotonic() - started < 5

