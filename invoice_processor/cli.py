"""The `invoice-processor` command: serve, api, runner, migrate, purge, submit."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from invoice_processor.logs import configure_logging
from invoice_processor.settings import Settings

log = logging.getLogger("invoice_processor")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "threads", None):
        overrides["runner_threads"] = args.threads
    return Settings(**overrides)


def _require_database_url(settings: Settings) -> str:
    if not settings.database_url:
        sys.exit("DATABASE_URL is not set. Set it to your PostgreSQL, e.g. postgresql://user:password@host:5432/db")
    return settings.database_url


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so that every `finally` runs (stopping the embedded database).
    uvicorn replaces this handler while it serves and raises SIGTERM again after its own shutdown.
    Once: a second stop signal (a supervisor passing on the one its process group also sent here)
    must not interrupt the stopping."""

    def handler(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _api_keys_required(settings: Settings, host: str) -> bool:
    """Keys are required unless REQUIRE_API_KEYS=false, or the API listens on a loopback address only
    (one local user). Says at start which it is."""
    required = settings.require_api_keys
    if required is None:
        required = not _is_loopback(host)
        why = f"listening on {host}" + ("" if required else ", a loopback address")
    else:
        why = f"REQUIRE_API_KEYS={'true' if required else 'false'}"
    if required:
        log.info("API keys required (%s): create one with `invoice-processor create-api-key --tenant NAME`", why)
    elif _is_loopback(host):
        log.info("API keys not required (%s): requests without a key act as tenant 'default'", why)
    else:
        log.warning(
            "API keys NOT required although listening on %s (%s): anyone who can reach this port acts as "
            "tenant 'default'", host, why,
        )
    return required


def _make_runner(settings: Settings, url: str, sessions, store):
    from invoice_processor.queue import JobQueue
    from job_runner.retention import PeriodicPurge
    from job_runner.runner import Runner

    queue = JobQueue(sessions, lease_s=settings.runner_lease_s, max_attempts=settings.job_max_attempts)
    return Runner(
        queue,
        store,
        housekeeping=PeriodicPurge(queue, store, settings.retention_days) if settings.retention_days else None,
        database_url=url,
        threads=settings.runner_threads,
        ocr_languages=settings.ocr_languages,
        ocr_dpi=settings.ocr_dpi,
        poll_interval_s=settings.poll_interval_s,
        shutdown_grace_s=settings.runner_shutdown_grace_s,
        max_pdf_pages=settings.max_pdf_pages,
        max_page_pixels=settings.max_page_pixels,
        document_timeout_s=settings.document_timeout_s,
        use_embedded_xml=settings.use_embedded_xml,
        **_vlm_options(settings),
    )


def _vlm_options(settings: Settings) -> dict:
    """The runner's Florence-2 options: its model process, or why there is none. Nothing is imported or
    started here; the runner starts the process, which checks that torch and transformers are there."""
    mode = settings.effective_vlm_mode
    if mode == "off":
        reason = "VLM_MODE is off" if settings.florence_model else "FLORENCE_MODEL is not set"
        return {"vlm_off_reason": reason}
    if not settings.florence_model:
        return {"vlm_off_reason": f"VLM_MODE is {mode} but FLORENCE_MODEL is not set"}
    from job_runner.vlm_service import ModelProcess

    model = ModelProcess(
        settings.florence_model,
        device=settings.florence_device,
        trust_remote_code=settings.florence_trust_remote_code,
    )
    return {"vlm_mode": mode, "model": model, "vlm_min_ocr_confidence": settings.vlm_min_ocr_confidence}


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from ingest_api.app import create_app
    from invoice_processor import migrations
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.embedded import EmbeddedPostgres
    from invoice_processor.storage import make_store

    _exit_on_sigterm()
    settings = _settings(args)
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    embedded = None
    engine = None
    runner = None
    runner_thread = None
    try:
        url = settings.database_url
        if not url:
            embedded = EmbeddedPostgres(data_dir / "postgres")
            url = embedded.start()
        migrations.upgrade(url)
        engine = make_engine(url, pool_size=settings.runner_threads + 4)
        sessions = make_sessionmaker(engine)
        store = make_store(settings.model_copy(update={"data_dir": data_dir}))
        runner = _make_runner(settings, url, sessions, store)
        runner_thread = threading.Thread(target=runner.run, name="runner", daemon=True)
        runner_thread.start()
        app = create_app(sessions, store, settings=settings, require_api_keys=_api_keys_required(settings, args.host))
        log.info("serving on http://%s:%d (data in %s)", args.host, args.port, data_dir)
        server = _ServerStoppingRunner(uvicorn.Config(app, host=args.host, port=args.port, log_level="info"), runner)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if runner is not None:
            runner.stop()
            runner_thread.join(runner.shutdown_grace_s + 5)
        if engine is not None:
            engine.dispose()
        if embedded is not None:
            embedded.stop()
        log.info("stopped")


def _ServerStoppingRunner(config, runner):
    """uvicorn's server, which also tells the runner to stop claiming the moment a stop signal comes:
    the HTTP side's graceful shutdown takes a while, and jobs claimed meanwhile would only be given back."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            runner.stop()
            super().handle_exit(sig, frame)

    return Server(config)


def cmd_api(args: argparse.Namespace) -> None:
    import uvicorn

    from ingest_api.app import create_app
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.storage import make_store

    settings = _settings(args)
    engine = make_engine(_require_database_url(settings))
    app = create_app(
        make_sessionmaker(engine),
        make_store(settings),
        settings=settings,
        require_api_keys=_api_keys_required(settings, args.host),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


def cmd_runner(args: argparse.Namespace) -> None:
    if args.worker or args.burst:
        _run_worker(args)
    else:
        worker = [sys.executable, "-m", "invoice_processor.cli", "runner", "--worker"]
        sys.exit(_supervise_worker(worker + (["--threads", str(args.threads)] if args.threads else [])))


def _run_worker(args: argparse.Namespace) -> None:
    """The runner itself, in this process."""
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.storage import make_store
    from job_runner.runner import run_until_signalled

    _exit_on_sigterm()
    settings = _settings(args)
    url = _require_database_url(settings)
    engine = make_engine(url, pool_size=settings.runner_threads + 2)
    try:
        runner = _make_runner(settings, url, make_sessionmaker(engine), make_store(settings))
        run_until_signalled(runner, burst=args.burst)
    finally:
        engine.dispose()


# A worker that dies sooner than this after its start counts as a crash loop: wait longer before the next.
STABLE_RUN_S = 60.0
RESTART_DELAYS_S = (1, 2, 5, 10, 30)


def _supervise_worker(command: list[str]) -> int:
    """Runs the runner in a child process and starts a new one whenever it dies (killed, out of
    memory, a crash inside a native library). SIGTERM and Ctrl-C are passed on to the child, which
    finishes or gives back its jobs; the supervisor then exits with the child's status."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    quick_deaths = 0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        log.info("runner process %d started", child.pid)
        code = _wait(child)
        if stopping or code == 0:
            return code
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        quick_deaths = quick_deaths + 1 if time.monotonic() - started < STABLE_RUN_S else 0
        delay = RESTART_DELAYS_S[min(quick_deaths, len(RESTART_DELAYS_S) - 1)]
        log.error("runner process %d died (%s); starting a new one in %d s", child.pid, how, delay)
        deadline = time.monotonic() + delay
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return 0


def _wait(child: subprocess.Popen) -> int:
    while True:
        try:
            return child.wait()
        except InterruptedError:  # a signal arrived; the handler has dealt with it
            continue


def cmd_migrate(args: argparse.Namespace) -> None:
    from invoice_processor import migrations

    migrations.upgrade(_require_database_url(_settings(args)))


def cmd_purge(args: argparse.Namespace) -> None:
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.queue import JobQueue
    from invoice_processor.storage import make_store
    from job_runner.retention import purge_expired_batches

    settings = _settings(args)
    days = args.older_than_days if args.older_than_days is not None else settings.retention_days
    if not days:
        sys.exit("Give --older-than-days N, or set RETENTION_DAYS.")
    engine = make_engine(_require_database_url(settings))
    try:
        purged = purge_expired_batches(JobQueue(make_sessionmaker(engine)), make_store(settings), days)
    finally:
        engine.dispose()
    print(f"purged {purged} batches completed more than {days:g} days ago")


@contextmanager
def _database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL of `serve` under the data directory (shared with a
    running `serve`: the server stops only when its last user does). Migrated."""
    from invoice_processor import migrations
    from invoice_processor.embedded import EmbeddedPostgres

    embedded = None
    try:
        url = settings.database_url
        if not url:
            embedded = EmbeddedPostgres(Path(settings.data_dir).resolve() / "postgres")
            url = embedded.start()
        migrations.upgrade(url)
        yield url
    finally:
        if embedded is not None:
            embedded.stop()


def cmd_create_api_key(args: argparse.Namespace) -> None:
    from ingest_api.auth import check_tenant_name, create_api_key
    from invoice_processor.db import make_engine, make_sessionmaker

    try:
        check_tenant_name(args.tenant)
    except ValueError as e:
        sys.exit(str(e))
    with _database(_settings(args)) as url:
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine).begin() as session:
                key = create_api_key(session, args.tenant)
        finally:
            engine.dispose()
    print(f"API key for tenant {args.tenant!r}; it is shown only this once, keep it safe:", file=sys.stderr)
    print(key)


def cmd_ingest_incoming(args: argparse.Namespace) -> None:
    from ingest_api.incoming import ingest_incoming
    from invoice_processor.db import make_engine, make_sessionmaker
    from invoice_processor.queue import JobQueue
    from invoice_processor.storage import make_store

    _exit_on_sigterm()
    settings = _settings(args)
    with _database(settings) as url:
        engine = make_engine(url)
        queue = JobQueue(make_sessionmaker(engine), max_attempts=settings.job_max_attempts)
        store = make_store(settings.model_copy(update={"data_dir": Path(settings.data_dir).resolve()}))
        try:
            while True:
                for batch in ingest_incoming(
                    queue, store, max_workers=args.max_workers, max_pdf_bytes=settings.max_pdf_bytes
                ):
                    print(f"tenant {batch.tenant}: batch {batch.batch_id} with {batch.files} files", flush=True)
                if not args.watch:
                    break
                time.sleep(args.watch)
        except KeyboardInterrupt:
            pass
        finally:
            engine.dispose()


def cmd_submit(args: argparse.Namespace) -> None:
    from invoice_processor.submit import submit

    sys.exit(
        submit(
            args.paths,
            api_url=args.url,
            max_workers=args.max_workers,
            as_json=args.json,
            api_key=args.api_key,
            use_embedded_xml=False if args.no_embedded_xml else None,
        )
    )


def cmd_export(args: argparse.Namespace) -> None:
    """The invoices (or with --lines their lines) matching the filters, as GET /api/v1/invoices/export
    writes them (invoice_processor.export), into -o FILE or to stdout. FILE appears only once complete."""
    import uuid

    from sqlalchemy import select

    from ingest_api.filters import InvoiceFilters
    from invoice_processor import export
    from invoice_processor.db import Tenant, make_engine, make_sessionmaker

    export_format = export.FORMATS[args.format]
    if export_format.name == "xlsx" and not args.output and sys.stdout.isatty():
        sys.exit("XLSX is a binary file: give -o FILE, or redirect stdout to a file.")
    filters = InvoiceFilters(
        args.batch_id, args.provider, args.date_from, args.date_to, args.valid, args.reviewed, args.q
    )
    names = export.columns(args.lines)
    written = 0

    def counted(rows):
        nonlocal written
        for row in rows:
            written += 1
            yield row

    with _database(_settings(args)) as url:
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as session:
                tenant_id = session.scalar(select(Tenant.id).where(Tenant.name == args.tenant))
                if tenant_id is None:
                    sys.exit(f"There is no tenant named {args.tenant!r}: check --tenant (default 'default').")
                rows = counted(export.export_rows(session, filters.conditions(tenant_id), lines=args.lines))
                if args.output:
                    part = Path(f"{args.output}.{uuid.uuid4().hex[:8]}.part")
                    try:
                        with part.open("wb") as out:
                            if export_format.name == "xlsx":
                                export.write_xlsx(rows, names, out)
                            else:
                                for chunk in export.text_chunks(export_format, rows, names):
                                    out.write(chunk)
                        part.replace(args.output)
                    finally:
                        part.unlink(missing_ok=True)
                else:
                    chunks = (
                        export.file_chunks(export.xlsx_file(rows, names))
                        if export_format.name == "xlsx"
                        else export.text_chunks(export_format, rows, names)
                    )
                    for chunk in chunks:
                        sys.stdout.buffer.write(chunk)
                    sys.stdout.buffer.flush()
        finally:
            engine.dispose()
    unit = "lines" if args.lines else "invoices"
    print(f"exported {written} {unit} as {export_format.name} to {args.output or 'stdout'}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invoice-processor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_server_options(p):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)

    serve = commands.add_parser("serve", help="the whole service on one machine (embedded defaults)")
    with_server_options(serve)
    serve.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".invoice-processor"))
    serve.add_argument("--threads", type=int, help="runner threads (default: RUNNER_THREADS or 2)")
    serve.set_defaults(func=cmd_serve)

    api = commands.add_parser("api", help="the ingest API alone (needs DATABASE_URL)")
    with_server_options(api)
    api.set_defaults(func=cmd_api)

    runner = commands.add_parser("runner", help="a job runner (needs DATABASE_URL)")
    runner.add_argument("--threads", type=int, help="runner threads (default: RUNNER_THREADS or 2)")
    runner.add_argument("--burst", action="store_true", help="stop when the queue is empty (no supervisor)")
    runner.add_argument(
        "--worker", action="store_true", help="run the runner in this process, without the supervisor that restarts it"
    )
    runner.set_defaults(func=cmd_runner)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema (needs DATABASE_URL)")
    migrate.set_defaults(func=cmd_migrate)

    purge = commands.add_parser(
        "purge", help="delete the jobs and uploaded files of old completed batches (invoices stay)"
    )
    purge.add_argument("--older-than-days", type=float, help="default: RETENTION_DAYS")
    purge.set_defaults(func=cmd_purge)

    create_key = commands.add_parser(
        "create-api-key", help="create an API key for a tenant (and the tenant if new); prints the key once"
    )
    create_key.add_argument("--tenant", required=True, help="tenant name: lowercase letters, digits, '-', '_'")
    create_key.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".invoice-processor"))
    create_key.set_defaults(func=cmd_create_api_key)

    incoming = commands.add_parser(
        "ingest-incoming",
        help="turn the PDFs dropped into tenants/<tenant>/incoming/ of the bucket into batches",
    )
    incoming.add_argument("--watch", type=float, metavar="SECONDS", help="scan again every SECONDS (default: once)")
    incoming.add_argument("--max-workers", type=int, default=4, help="max_workers of the batches it creates")
    incoming.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".invoice-processor"))
    incoming.set_defaults(func=cmd_ingest_incoming)

    submit = commands.add_parser("submit", help="send PDFs, folders or ZIPs to a running API")
    submit.add_argument("paths", nargs="+", type=Path)
    submit.add_argument("--url", default=os.environ.get("INVOICE_PROCESSOR_URL", "http://127.0.0.1:8000"))
    submit.add_argument("--max-workers", type=int, default=4)
    submit.add_argument("--json", action="store_true", help="print the BatchProcessingResponse as JSON")
    submit.add_argument(
        "--no-embedded-xml",
        action="store_true",
        help="read the printed page even of PDFs that carry e-invoice XML (use_embedded_xml=false)",
    )
    submit.add_argument(
        "--api-key",
        default=os.environ.get("INVOICE_PROCESSOR_API_KEY"),
        help="API key (default: INVOICE_PROCESSOR_API_KEY); needed when the API requires keys",
    )
    submit.set_defaults(func=cmd_submit)

    from datetime import date
    from uuid import UUID

    export_ = commands.add_parser(
        "export", help="write the invoices matching filters as CSV, JSON Lines or XLSX (as GET /invoices/export)"
    )
    export_.add_argument("--format", choices=("csv", "jsonl", "xlsx"), default="csv")
    export_.add_argument("--lines", action="store_true", help="one row per invoice line instead of per invoice")
    export_.add_argument("--tenant", default="default", help="whose invoices (default: 'default')")
    export_.add_argument("--batch-id", type=UUID, help="only the invoices of this batch")
    export_.add_argument("--provider", help="provider name contains this (any case)")
    export_.add_argument("--date-from", type=date.fromisoformat, help="invoice date on or after (YYYY-MM-DD)")
    export_.add_argument("--date-to", type=date.fromisoformat, help="invoice date on or before (YYYY-MM-DD)")
    valid = export_.add_mutually_exclusive_group()
    valid.add_argument("--valid", dest="valid", action="store_const", const=True, help="the VAT arithmetic adds up")
    valid.add_argument("--not-valid", dest="valid", action="store_const", const=False, help="it does not, or unknown")
    reviewed = export_.add_mutually_exclusive_group()
    reviewed.add_argument("--reviewed", dest="reviewed", action="store_const", const=True, help="marked reviewed")
    reviewed.add_argument("--not-reviewed", dest="reviewed", action="store_const", const=False, help="not yet")
    export_.add_argument("-q", help="invoice number, provider, customer, file name or id contains this")
    export_.add_argument("-o", "--output", help="the file to write (default: stdout)")
    export_.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".invoice-processor"))
    export_.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> None:
    configure_logging(background=True)
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
