"""Tables (SQLAlchemy 2 models) and the engine. The schema itself is created only by the Alembic
migrations in infra/migrations; these models must match them."""

from __future__ import annotations

import select
import time
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Text,
    create_engine,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

JsonB = JSON().with_variant(JSONB(), "postgresql")
Money = Numeric(18, 4)


class Base(DeclarativeBase):
    pass


# Rows written before tenants existed, and every request when API keys are off, belong to this tenant.
DEFAULT_TENANT_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
DEFAULT_TENANT_NAME = "default"


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(Text)
    key_sha256: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RunnerRow(Base):
    """A runner process that is running, or was until its row goes stale (last_seen_at)."""

    __tablename__ = "runners"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    hostname: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    threads: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    vlm_mode: Mapped[str] = mapped_column(Text)
    vlm_state: Mapped[str] = mapped_column(Text)
    vlm_detail: Mapped[str | None] = mapped_column(Text)


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_workers: Mapped[int] = mapped_column(Integer)
    total_files: Mapped[int] = mapped_column(BigInteger)
    # 'queued'    -- created by an upload, no job claimed yet
    # 'running'   -- a runner claimed one of its jobs
    # 'completed' -- every job reached a final state
    status: Mapped[str] = mapped_column(String(16), default="queued")
    source: Mapped[str] = mapped_column(String(16), default="upload")
    # Jobs of this batch running now, across all runners: kept by the claim, finish, retry, reaper and
    # cancel statements, read by the claim under the batch's row lock to hold max_workers.
    running_jobs: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The ZIP archive's entries that were not read: [{name, reason}].
    skipped: Mapped[list] = mapped_column(JsonB, default=list)

    jobs: Mapped[list[Job]] = relationship(back_populates="batch", order_by="Job.position")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str] = mapped_column(Text)
    object_key: Mapped[str] = mapped_column(Text)
    # 'queued'    -- inserted by the API with its object stored
    # 'running'   -- claimed by a runner
    # 'succeeded' -- result stored in invoices or other_documents
    # 'failed'    -- error says why
    # 'cancelled' -- withdrawn before it ran
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # How many times a runner claimed it (1 after a first run); also the fencing token of the running attempt.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How many attempts failed (a transient error, a lost lease): the job fails for good at max_attempts.
    # An attempt given back by a runner shutting down does not count.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # One object per ended attempt, oldest first: attempt, runner_id, started_at, ended_at, outcome
    # ('succeeded', 'failed', 'retried', 'lost', 'given_back', 'cancelled'), error_kind, error.
    attempt_history: Mapped[list] = mapped_column(JsonB, default=list)
    runner_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processing_time: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(String(16))
    invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    document_id: Mapped[int | None] = mapped_column(BigInteger)
    timings: Mapped[dict | None] = mapped_column(JsonB)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # While running: the runner's heartbeat pushes the lease forward; past it, any runner requeues the job.
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Not claimed before this time (backoff before a retry).
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    # 'permanent', 'transient', 'lost', 'crash' or 'cancelled': why the last attempt ended badly.
    error_kind: Mapped[str | None] = mapped_column(String(16))
    # The SHA-256 of the file (hex), computed by the runner: the same file sent again is recognised.
    sha256: Mapped[str | None] = mapped_column(Text)
    # The request asked to store this file's result even if the same file was read before.
    allow_duplicates: Mapped[bool] = mapped_column(Boolean, default=False)
    # The request said whether to read the e-invoice XML its PDF carries (true) or the printed page (false);
    # NULL: it did not say, the runner's USE_EMBEDDED_XML decides.
    use_embedded_xml: Mapped[bool | None] = mapped_column(Boolean)
    # The same file was read before: its earlier invoice or document, which this job's result points to.
    duplicate_of_invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of_document_id: Mapped[int | None] = mapped_column(BigInteger)
    # Another file with the same provider and invoice number was read before.
    possible_duplicate_of_invoice_id: Mapped[int | None] = mapped_column(BigInteger)

    batch: Mapped[Batch] = relationship(back_populates="jobs")


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    provider: Mapped[str | None] = mapped_column(Text)
    provider_vat_id: Mapped[str | None] = mapped_column(Text)
    customer: Mapped[str | None] = mapped_column(Text)
    invoice_number: Mapped[str | None] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str | None] = mapped_column(String(3))
    total_without_vat: Mapped[Decimal | None] = mapped_column(Money)
    total_vat: Mapped[Decimal | None] = mapped_column(Money)
    total_with_vat: Mapped[Decimal | None] = mapped_column(Money)
    subtype: Mapped[str] = mapped_column(String(16), default="invoice")
    customer_vat_id: Mapped[str | None] = mapped_column(Text)
    purchase_order: Mapped[str | None] = mapped_column(Text)
    amount_due: Mapped[Decimal | None] = mapped_column(Money)
    vat_breakdown: Mapped[list | None] = mapped_column(JsonB)
    iban: Mapped[str | None] = mapped_column(Text)
    bic: Mapped[str | None] = mapped_column(Text)
    payment_terms: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[dict | None] = mapped_column(JsonB)
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    validation: Mapped[dict | None] = mapped_column(JsonB)
    confidence_score: Mapped[float | None] = mapped_column(Float)
    extraction_source: Mapped[str | None] = mapped_column(String(16))
    raw_text: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    sha256: Mapped[str | None] = mapped_column(Text)
    possible_duplicate_of: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # A person checked it (PATCH "reviewed": true), and whether they changed any value (invoice_corrections).
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    designation: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal | None] = mapped_column(Money)
    unit: Mapped[str | None] = mapped_column(Text)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    total_ht: Mapped[Decimal | None] = mapped_column(Money)
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    provenance: Mapped[dict | None] = mapped_column(JsonB)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceCorrection(Base):
    """A value a person changed on an invoice: the field ('lines' for the line items, 'reviewed'), the value
    before and after (JSON), who and when. The invoice row holds the corrected value."""

    __tablename__ = "invoice_corrections"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("invoices.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    field: Mapped[str] = mapped_column(Text)
    old_value: Mapped[object | None] = mapped_column(JsonB)
    new_value: Mapped[object | None] = mapped_column(JsonB)
    corrected_by: Mapped[str] = mapped_column(Text)
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LayoutHint(Base):
    """Where a person's correction showed a seller's field to be printed (invoice_reader/layout_hints.py): the
    runners hand a tenant's hints to the reader, which reads that field there on the seller's next invoices."""

    __tablename__ = "layout_hints"
    __table_args__ = (UniqueConstraint("tenant_id", "seller", "field", name="layout_hints_one_per_field"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    seller: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    page: Mapped[int] = mapped_column(Integer)
    x0: Mapped[float] = mapped_column(Float)
    top: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    bottom: Mapped[float] = mapped_column(Float)
    page_width: Mapped[float] = mapped_column(Float)
    page_height: Mapped[float] = mapped_column(Float)
    invoice_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("invoices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OtherDocument(Base):
    __tablename__ = "other_documents"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    provider: Mapped[str | None] = mapped_column(Text)
    raw_text: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    sha256: Mapped[str | None] = mapped_column(Text)
    # What kind of document the reader took it for ('quote', 'delivery_note', 'letter', ... or 'other');
    # NULL for documents stored before migration 0007.
    document_kind: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Webhook(Base):
    """An endpoint a tenant registered: the events it wants and the secret its deliveries are signed with."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    # Any of 'batch.completed', 'job.failed', 'invoice.corrected'.
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # 'whsec_' and the base64 key (Standard Webhooks); shown to the tenant once, when the endpoint is created.
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row written with the event's transaction, then its attempts."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The webhook-id header: the same on every attempt, so that the receiver can drop a repeat.
    message_id: Mapped[str] = mapped_column(
        Text, server_default=text("'msg_' || replace(gen_random_uuid()::text, '-', '')")
    )
    event: Mapped[str] = mapped_column(Text)
    # What is POSTed: {type, timestamp, data}.
    payload: Mapped[dict] = mapped_column(JsonB)
    # 'pending'   -- written with its event (webhook_event, migration 0012), or retried after a failed attempt
    # 'delivered' -- an attempt got a 2xx answer
    # 'failed'    -- no 2xx answer within the retry window
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # How many times a runner claimed it: the fencing token of the attempt in flight.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # One object per ended attempt, oldest first: attempt, at, status_code (or null), error (or null), duration_s.
    attempt_log: Mapped[list] = mapped_column(JsonB, default=list)
    # When a runner may next try (while pending; a claim pushes it past its POST's timeout).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# `?pgbouncer=true` on DATABASE_URL: the database is reached through PgBouncer in transaction pooling mode, where
# each transaction may run on another server connection. The option is taken off before the URL reaches libpq.
PGBOUNCER_OPTION = "pgbouncer"


def behind_pgbouncer(url: str) -> bool:
    """Whether the URL carries pgbouncer=true (or 1, yes)."""
    return str(make_url(url).query.get(PGBOUNCER_OPTION, "")).lower() in ("true", "1", "yes")


def sqlalchemy_url(url: str) -> str:
    """The plain `postgresql://` form (and `postgres://`) works whichever driver is installed:
    it is pointed at psycopg 3, the driver this project ships with."""
    parsed = make_url(url).difference_update_query([PGBOUNCER_OPTION])
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# A process cut off from the database (a network partition, a host gone without closing its connections) must find
# out within about a lease, not after the kernel gives up retransmitting (some 15 minutes): libpq's connection and
# TCP timeouts, unless the URL sets its own. They do nothing on a Unix socket.
NETWORK_TIMEOUTS = {
    "connect_timeout": "10",  # seconds to connect
    "keepalives": "1",
    "keepalives_idle": "30",  # an idle connection is probed after 30 s, every 10 s, given up after 3 probes
    "keepalives_interval": "10",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",  # ms that data sent may stay unacknowledged before the connection is dropped
}


def network_timeouts(url: str) -> dict[str, str]:
    """The libpq settings of NETWORK_TIMEOUTS that the URL does not set itself."""
    query = make_url(url).query
    return {name: value for name, value in NETWORK_TIMEOUTS.items() if name not in query}


def libpq_url(url: str) -> str:
    """The same database as a libpq URL, for psycopg's own connections (LISTEN)."""
    parsed = make_url(url).difference_update_query([PGBOUNCER_OPTION])
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    # psycopg prepares a statement run 5 times on a connection; behind PgBouncer in transaction mode the next
    # transaction may get another server connection, where it does not exist: never prepare there.
    connect_args: dict[str, object] = {**network_timeouts(url)}
    if behind_pgbouncer(url):
        connect_args["prepare_threshold"] = None
    engine = create_engine(sqlalchemy_url(url), pool_size=pool_size, max_overflow=10, connect_args=connect_args)
    _ping_when_in_doubt(engine)
    return engine


# A pooled connection that sat unused this long is pinged before it is handed out (one round trip).
IDLE_PING_S = 5.0


def _ping_when_in_doubt(engine: Engine) -> None:
    """pool_pre_ping pings on every checkout: a round trip on each transaction, a sixth of a no-op job's.
    Instead a pooled connection is pinged only when in doubt: when the server sent something while it was
    idle in the pool (a server that shuts down or restarts sends its connections a termination message, a
    dead one's socket reads as closed; a zero-timeout poll of the socket, no round trip, sees either), or
    when it sat unused for IDLE_PING_S or more (a firewall or PgBouncer may have dropped it silently). One
    that fails its ping is replaced. A connection cut without a word while in use fails its next statement,
    after which SQLAlchemy replaces every pooled connection; callers retry an unreachable database."""

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None:
            return  # just opened
        if time.monotonic() - checked_in_at < IDLE_PING_S and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as e:
            raise DisconnectionError(f"pooled connection failed its ping ({e})") from e


def _has_input(dbapi_connection) -> bool:
    """Whether the server sent anything to this idle connection (or closed it): its socket is readable."""
    try:
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
    except Exception:
        return True  # no usable socket: let the ping tell
    return bool(readable)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
