"""A tenant's webhook endpoints: register one (its signing secret is shown once), list, delete, and read an
endpoint's delivery log. Deliveries are sent by the runners (job_runner/webhooks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from ingest_api.auth import CallerDep
from ingest_api.deps import SessionDep, owned
from invoice_processor.db import Webhook, WebhookDelivery
from invoice_processor.webhooks import EVENTS, WebhookUrlRefused, check_url, new_secret

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
NOT_FOUND = {404: {"description": "No such webhook for this tenant"}}


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="Where deliveries are POSTed: an http:// or https:// URL.")
    events: list[str] = Field(
        max_length=len(EVENTS), description=f"The events to receive, any of: {', '.join(EVENTS)}."
    )


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The signing secret ('whsec_' and base64), shown only now: verify each delivery's "
        "webhook-signature with it, as the Standard Webhooks specification says."
    )


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class DeliveryAttempt(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = Field(description="The answer's HTTP status; null when none came.")
    error: str | None = Field(description="Why the attempt failed; null when it delivered.")
    duration_s: float


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event: str
    payload: dict = Field(description="What is POSTed: type, timestamp and data.")
    state: str = Field(description="pending (waiting for its next attempt), delivered or failed (gave up).")
    attempts: int = Field(description="How many attempts were made (one may be in flight).")
    attempt_log: list[DeliveryAttempt] = Field(description="Each ended attempt, oldest first.")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, while pending.")
    created_at: datetime
    finished_at: datetime | None = Field(description="When it was delivered or given up.")


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int


def _webhook_of(session, caller, webhook_id: uuid.UUID) -> Webhook:
    return owned(session, Webhook, webhook_id, caller.tenant_id, "Webhook not found")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(body: WebhookCreate, caller: CallerDep, session: SessionDep):
    """Registers an endpoint for this tenant's events. The answer carries the signing secret: the only time
    it is shown."""
    try:
        url = check_url(body.url)
    except WebhookUrlRefused as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from None
    unknown = [event for event in body.events if event not in EVENTS]
    if unknown or not body.events:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"events must list one or more of {', '.join(EVENTS)}; you sent {body.events!r}.",
        )
    events = [event for event in EVENTS if event in body.events]
    webhook = Webhook(id=uuid.uuid4(), tenant_id=caller.tenant_id, url=url, events=events, secret=new_secret())
    session.add(webhook)
    session.commit()
    return WebhookCreated(
        id=webhook.id, url=webhook.url, events=webhook.events, created_at=webhook.created_at, secret=webhook.secret
    )


@router.get("", response_model=WebhooksPublic)
def list_webhooks(caller: CallerDep, session: SessionDep):
    """This tenant's endpoints, oldest first (without their secrets)."""
    rows = session.scalars(
        select(Webhook).where(Webhook.tenant_id == caller.tenant_id).order_by(Webhook.created_at, Webhook.id)
    ).all()
    return WebhooksPublic(data=[WebhookPublic.model_validate(row) for row in rows], count=len(rows))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_webhook(webhook_id: uuid.UUID, caller: CallerDep, session: SessionDep):
    """Deletes an endpoint, with its pending deliveries and its delivery log."""
    session.delete(_webhook_of(session, caller, webhook_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPublic, responses=NOT_FOUND)
def list_deliveries(
    webhook_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    skip: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    """The endpoint's delivery log, newest first: each event, its payload, every attempt (when, the HTTP
    status or the error), the next try and the state. `count` is over all pages."""
    _webhook_of(session, caller, webhook_id)
    mine = WebhookDelivery.webhook_id == webhook_id
    count = session.scalar(select(func.count()).select_from(WebhookDelivery).where(mine))
    rows = session.scalars(
        select(WebhookDelivery).where(mine).order_by(WebhookDelivery.id.desc()).offset(skip).limit(limit)
    ).all()
    return DeliveriesPublic(data=[DeliveryPublic.model_validate(row) for row in rows], count=count)
