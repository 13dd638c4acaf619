"""Applies the Alembic migrations in infra/migrations: the only way the schema is created or changed."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

import infra.migrations
from invoice_processor.db import sqlalchemy_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(infra.migrations.__file__).parent
# Any constant works: it only has to be the same for every process that migrates this database.
MIGRATION_LOCK_ID = 0x1A7E_0001


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


@retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_delay(60),
    wait=wait_fixed(1),
    reraise=True,
)
def _connect_when_ready(engine):
    return engine.connect()


def upgrade(url: str) -> None:
    """Waits up to 60 s for the database, then brings it to the newest revision. Several processes
    may call this at once (API and runners starting together): an advisory lock lets one migrate.
    The lock and every migration are one transaction, and the lock ends with it: a session lock, released
    in a later transaction, would be left held on another server connection behind PgBouncer."""
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with _connect_when_ready(engine) as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    engine.dispose()
    log.info("database schema is up to date")
