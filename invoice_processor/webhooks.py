"""Webhooks, as the API and the runners share them: the events, the endpoints' secrets, and the outbox of
deliveries (webhook_deliveries), whose only caller of webhooks.sql is WebhookOutbox.

Events are written in the transaction that causes them: batch.completed and job.failed by triggers
(migration 0012), invoice.corrected by the API with its correction (record_event). Runners claim due
deliveries, POST them signed (job_runner/webhooks.py) and record each attempt here."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from invoice_processor.queries import load_queries

EVENTS = ("batch.completed", "job.failed", "invoice.corrected")
SECRET_PREFIX = "whsec_"

QUERIES = load_queries(Path(__file__).with_name("webhooks.sql"))


class WebhookUrlRefused(ValueError):
    """The URL is not one deliveries can be POSTed to."""


def new_secret() -> str:
    """A signing secret as the Standard Webhooks specification writes it: 'whsec_' and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> str:
    """Returns the URL without surrounding spaces; raises WebhookUrlRefused with a sentence if it is not an
    http(s) URL with a host."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise WebhookUrlRefused(f"url is not a valid URL; you sent {url!r}.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookUrlRefused(f"url must be an http:// or https:// URL; you sent {url!r}.")
    if not host:
        raise WebhookUrlRefused(f"url must name a host; you sent {url!r}.")
    return url


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    attempt: int
    """This claim's attempt number: the fencing token record_attempt checks."""
    message_id: str
    """The webhook-id header, the same on every attempt."""
    event: str
    payload: dict
    url: str
    secret: str


class WebhookOutbox:
    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions

    @staticmethod
    def record_event(session: Session, tenant_id: uuid.UUID, event: str, data: dict) -> int:
        """Writes the event for the tenant's endpoints subscribed to it, in the session's transaction.
        Returns how many deliveries were written (0 when no endpoint wants it)."""
        return session.execute(
            QUERIES["record_event"],
            {"tenant_id": tenant_id, "event": event, "data": json.dumps(data, default=str)},
        ).scalar_one()

    def claim_deliveries(self, limit: int, *, claim_s: float) -> list[ClaimedDelivery]:
        """Claims up to limit due deliveries, each for claim_s seconds; [] if none is due."""
        with self.sessions.begin() as session:
            rows = session.execute(QUERIES["claim_deliveries"], {"limit": limit, "claim_s": claim_s}).all()
        return [
            ClaimedDelivery(row.id, row.attempts, row.message_id, row.event, row.payload, row.url, row.secret)
            for row in rows
        ]

    def record_attempt(
        self, delivery: ClaimedDelivery, entry: dict, *, delivered: bool, retry_in_s: float, give_up_after_s: float
    ) -> str | None:
        """Appends the attempt's entry to the delivery's log and moves it on. Returns its state ('delivered',
        'pending', 'failed'), or None if this attempt was no longer the delivery's (its claim expired and
        another runner tried, or the endpoint was deleted)."""
        with self.sessions.begin() as session:
            return session.execute(
                QUERIES["record_attempt"],
                {
                    "id": delivery.id,
                    "attempt": delivery.attempt,
                    "entry": json.dumps(entry),
                    "delivered": delivered,
                    "retry_in_s": retry_in_s,
                    "give_up_after_s": give_up_after_s,
                },
            ).scalar_one_or_none()
