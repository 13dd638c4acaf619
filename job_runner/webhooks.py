"""Webhook deliveries, sent by the runners: claim the due ones from the outbox (webhook_deliveries), POST
each signed as the Standard Webhooks specification says, and record the attempt. A 2xx answer delivers it;
anything else (another status, a timeout, a refused connection) is retried with exponential backoff and
full jitter until WEBHOOK_GIVE_UP_AFTER_S after the event, then the delivery is failed.

Deliveries are rows, not memory: a runner that stops between attempts loses nothing, and one that dies in
the middle of a POST leaves its claim to expire, after which any runner tries again (at least once: the
receiver drops a repeat by its webhook-id)."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
from sqlalchemy.orm import sessionmaker
from standardwebhooks import Webhook

from invoice_processor.settings import Settings, get_settings
from invoice_processor.transient import backoff_delay, first_line
from invoice_processor.webhooks import ClaimedDelivery, WebhookOutbox

log = logging.getLogger("job_runner.webhooks")

USER_AGENT = "invoice-processor-webhooks/1"


@dataclass(frozen=True)
class DeliveryOptions:
    poll_interval_s: float = 1.0
    """How often to look for due deliveries when the last look found none."""
    timeout_s: float = 10.0
    """Each phase of one POST (connect, write, read) may take this long."""
    backoff_base_s: float = 5.0
    """Longest wait after the first failed attempt; it doubles after each (full jitter)."""
    backoff_cap_s: float = 3600.0
    """Longest wait between two attempts."""
    give_up_after_s: float = 86400.0
    """No 2xx this long after the event: the delivery fails."""

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        return cls(
            poll_interval_s=settings.webhook_poll_interval_s,
            timeout_s=settings.webhook_timeout_s,
            backoff_base_s=settings.webhook_backoff_base_s,
            backoff_cap_s=settings.webhook_backoff_cap_s,
            give_up_after_s=settings.webhook_give_up_after_s,
        )

    @property
    def claim_s(self) -> float:
        """How long a claim keeps other runners off a delivery: past any POST's phases, with a margin."""
        return 3 * self.timeout_s + 5.0


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    """The answer's HTTP status; None when none came."""
    error: str | None
    """Why the attempt failed (a status that is not 2xx, a timeout, a refused connection); None if delivered."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, outbox: WebhookOutbox, options: DeliveryOptions | None = None):
        self.outbox = outbox
        self.options = options or DeliveryOptions()

    @classmethod
    def from_settings(cls, sessions: sessionmaker, settings: Settings | None = None) -> WebhookSender:
        """A sender on the database of sessions, with the WEBHOOK_* settings (read from the environment if None)."""
        return cls(WebhookOutbox(sessions), DeliveryOptions.from_settings(settings or get_settings()))

    def run(self, stop: threading.Event) -> None:
        """Sends due deliveries, one at a time, until stop is set. A POST in flight when it is set ends (within
        its timeout) and is recorded; nothing is claimed after."""
        with httpx.Client(timeout=self.options.timeout_s, follow_redirects=False) as client:
            while not stop.is_set():
                try:
                    sent = self.send_due(client, stop)
                except Exception as e:  # the database may be restarting: try again at the next poll
                    log.warning("webhook deliveries could not be claimed (%s); retrying", first_line(e))
                    sent = 0
                if not sent:
                    stop.wait(self.options.poll_interval_s)

    def send_due(self, client: httpx.Client, stop: threading.Event | None = None) -> int:
        """Sends deliveries while some are due (and stop is not set). Returns how many were attempted."""
        sent = 0
        while stop is None or not stop.is_set():
            claimed = self.outbox.claim_deliveries(1, claim_s=self.options.claim_s)
            if not claimed:
                break
            self.send(client, claimed[0])
            sent += 1
        return sent

    def send(self, client: httpx.Client, delivery: ClaimedDelivery) -> str | None:
        """POSTs one claimed delivery and records the attempt. Returns the delivery's state after it, or None
        if the attempt was no longer this claim's."""
        at = datetime.now(timezone.utc)
        started = time.perf_counter()
        attempt = post_signed(client, delivery, at)
        entry = {
            "attempt": delivery.attempt,
            "at": at.isoformat(),
            "status_code": attempt.status_code,
            "error": attempt.error,
            "duration_s": round(time.perf_counter() - started, 3),
        }
        retry_in_s = backoff_delay(
            delivery.attempt, base_s=self.options.backoff_base_s, cap_s=self.options.backoff_cap_s
        )
        state = self.outbox.record_attempt(
            delivery, entry, delivered=attempt.delivered, retry_in_s=retry_in_s,
            give_up_after_s=self.options.give_up_after_s,
        )
        if state == "delivered":
            log.info("webhook %s delivered: %s to %s (attempt %d)", delivery.message_id, delivery.event,
                     delivery.url, delivery.attempt)
        elif state == "pending":
            log.warning("webhook %s retried: %s to %s, attempt %d: %s; next in %.1f s", delivery.message_id,
                        delivery.event, delivery.url, delivery.attempt, attempt.error, retry_in_s)
        elif state == "failed":
            log.error("webhook %s failed: %s to %s, attempt %d: %s; no 2xx within %.0f s, given up",
                      delivery.message_id, delivery.event, delivery.url, delivery.attempt, attempt.error,
                      self.options.give_up_after_s)
        else:
            log.warning("webhook %s: attempt %d was no longer this runner's (claim expired or endpoint deleted)",
                        delivery.message_id, delivery.attempt)
        return state


def post_signed(client: httpx.Client, delivery: ClaimedDelivery, at: datetime) -> Attempt:
    """POSTs the delivery's payload with the Standard Webhooks headers (webhook-id, webhook-timestamp,
    webhook-signature: HMAC-SHA256 of 'id.timestamp.body' with the endpoint's secret). Never raises."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(delivery.secret).sign(delivery.message_id, at, body),
    }
    try:
        response = client.post(delivery.url, content=body, headers=headers)
    except httpx.TimeoutException as e:
        return Attempt(None, f"No answer within the timeout ({type(e).__name__}).")
    except Exception as e:  # refused, unreachable, a bad URL: the attempt failed, the runner goes on
        return Attempt(None, f"{type(e).__name__}: {first_line(e)}")
    if 200 <= response.status_code < 300:
        return Attempt(response.status_code, None)
    return Attempt(response.status_code, f"Answered HTTP {response.status_code}, not 2xx.")
