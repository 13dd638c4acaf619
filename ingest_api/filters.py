"""The filters of the invoice and batch lists (and of the exports, which take the same ones): each a query
parameter, turned into SQL conditions on the caller's own rows. A parameter the endpoint does not know
is a 422 that names it and lists the known ones, instead of being ignored (a misspelt filter would
otherwise return every row)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from fastapi import HTTPException, Query, Request, status
from sqlalchemy import ColumnElement, String, cast, false, or_, true

from invoice_processor.db import Batch, Invoice

PAGING = ("skip", "limit")


def refuse_unknown_parameters(request: Request, known: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Unknown query parameter {names}: this endpoint takes {', '.join(known)}.",
        )


@dataclass(frozen=True)
class InvoiceFilters:
    batch_id: uuid.UUID | None = None
    provider: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    valid: bool | None = None
    reviewed: bool | None = None
    q: str | None = None

    NAMES = ("batch_id", "provider", "date_from", "date_to", "valid", "reviewed", "q")

    def conditions(self, tenant_id: uuid.UUID) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Invoice.tenant_id == tenant_id]
        if self.batch_id is not None:
            where.append(Invoice.batch_id == self.batch_id)
        if self.provider:
            where.append(Invoice.provider.ilike(f"%{_like_escaped(self.provider)}%", escape="\\"))
        if self.date_from is not None:
            where.append(Invoice.date >= self.date_from)
        if self.date_to is not None:
            where.append(Invoice.date <= self.date_to)
        if self.valid is not None:
            overall = Invoice.validation["overall_valid"].as_boolean()
            where.append(overall.is_(true()) if self.valid else or_(overall.is_(None), overall.is_(false())))
        if self.reviewed is not None:
            where.append(Invoice.reviewed_at.is_not(None) if self.reviewed else Invoice.reviewed_at.is_(None))
        if self.q:
            pattern = f"%{_like_escaped(self.q)}%"
            where.append(
                or_(
                    Invoice.invoice_number.ilike(pattern, escape="\\"),
                    Invoice.provider.ilike(pattern, escape="\\"),
                    Invoice.customer.ilike(pattern, escape="\\"),
                    Invoice.original_filename.ilike(pattern, escape="\\"),
                    cast(Invoice.id, String) == self.q.strip(),
                )
            )
        return where


def invoice_filters(
    request: Request,
    batch_id: uuid.UUID | None = Query(None, description="Only the invoices of this batch."),
    provider: str | None = Query(None, max_length=200, description="Provider name contains this (any case)."),
    date_from: str | None = Query(None, description="Invoice date on or after (YYYY-MM-DD).", max_length=40),
    date_to: str | None = Query(None, description="Invoice date on or before (YYYY-MM-DD).", max_length=40),
    valid: bool | None = Query(None, description="true: the VAT arithmetic and the lines add up; false: not, or unknown."),
    reviewed: bool | None = Query(None, description="true: marked reviewed by a person; false: not yet."),
    q: str | None = Query(None, max_length=200, description="Invoice number, provider, customer, file name or id."),
) -> InvoiceFilters:
    """The filters of a request to an endpoint that takes them (with paging, and `format`/`lines` for the
    export): any other query parameter is refused."""
    extra = tuple(name for name in ("format", "lines") if request.url.path.endswith("/export"))
    refuse_unknown_parameters(request, InvoiceFilters.NAMES + PAGING + extra)
    date_from, date_to = _parsed("date_from", date_from, date), _parsed("date_to", date_to, date)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"date_from ({date_from}) is after date_to ({date_to}): no invoice can match; swap them.",
        )
    return InvoiceFilters(batch_id, provider, date_from, date_to, valid, reviewed, q)


BATCH_STATUSES = ("queued", "running", "completed")


@dataclass(frozen=True)
class BatchFilters:
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    NAMES = ("status", "created_after", "created_before")

    def conditions(self, tenant_id: uuid.UUID) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Batch.tenant_id == tenant_id]
        if self.status is not None:
            where.append(Batch.status == self.status)
        if self.created_after is not None:
            where.append(Batch.created_at > self.created_after)
        if self.created_before is not None:
            where.append(Batch.created_at < self.created_before)
        return where


def batch_filters(
    request: Request,
    status_: str | None = Query(None, alias="status", description="queued, running or completed."),
    created_after: str | None = Query(None, description="Created after this time (ISO 8601).", max_length=40),
    created_before: str | None = Query(None, description="Created before this time (ISO 8601).", max_length=40),
) -> BatchFilters:
    refuse_unknown_parameters(request, BatchFilters.NAMES + PAGING)
    created_after = _parsed("created_after", created_after, datetime)
    created_before = _parsed("created_before", created_before, datetime)
    if status_ is not None and status_ not in BATCH_STATUSES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"status must be one of {', '.join(BATCH_STATUSES)}; you sent {status_!r}.",
        )
    return BatchFilters(status_, created_after, created_before)


def _parsed(name: str, value: str | None, kind: type[date] | type[datetime]):
    """An ISO 8601 date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM[:SS][+01:00]), read strictly: a number is not a
    date here (pydantic would take 0 for 1970-01-01); a time without offset is UTC."""
    if value is None:
        return None
    example = "2024-03-15" if kind is date else "2024-03-15T09:30:00+01:00"
    try:
        parsed = kind.fromisoformat(value.strip())
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} must be an ISO 8601 date like {example}; you sent {value!r}."
        ) from None
    if kind is datetime and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _like_escaped(text: str) -> str:
    """The text matched literally inside a LIKE pattern: its % and _ are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
