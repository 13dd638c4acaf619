"""API keys and tenants: who is calling, and whose data they may see.

A key is sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are random (256 bits) and
stored as their SHA-256 digest only: a plain digest is enough for a key with that much entropy, and
lets a request find its key with one indexed lookup. When keys are not required, a request without
one acts as the tenant 'default'; a request with a key always acts as that key's tenant."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from invoice_processor.db import DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME, ApiKey, Tenant

KEY_PREFIX = "ipk_"
TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

_bearer = HTTPBearer(auto_error=False, description="An API key from `invoice-processor create-api-key`.")
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, in its own header.")


@dataclass(frozen=True)
class Caller:
    """The tenant a request acts for."""

    tenant_id: uuid.UUID
    tenant_name: str


DEFAULT_CALLER = Caller(DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME)
UNAUTHORIZED_RESPONSES = {401: {"description": "The API key is missing (where keys are required) or not valid"}}


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_tenant_name(name: str) -> str:
    if not TENANT_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid tenant name: use 1 to 63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    return name


def create_api_key(session: Session, tenant_name: str) -> str:
    """Creates a key for the tenant (and the tenant, if it is new) in the caller's transaction.
    Returns the key: the only time it is ever seen in full."""
    check_tenant_name(tenant_name)
    tenant = session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        tenant = Tenant(name=tenant_name)
        session.add(tenant)
        session.flush()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(tenant_id=tenant.id, prefix=key[:12], key_sha256=key_digest(key)))
    return key


def _find_caller(sessions: sessionmaker, key: str) -> Caller | None:
    with sessions.begin() as session:
        row = session.execute(
            select(ApiKey.id, Tenant.id, Tenant.name)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.key_sha256 == key_digest(key), ApiKey.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        # Written at most once an hour per key: a write on every request would cost more than the read.
        session.execute(
            text(
                "UPDATE api_keys SET last_used_at = now() WHERE id = :id "
                "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 hour')"
            ),
            {"id": row[0]},
        )
        return Caller(row[1], row[2])


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def get_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_key_header)],
) -> Caller:
    key = header_key or (bearer.credentials if bearer else None)
    if key:
        caller = _find_caller(request.app.state.sessions, key)
        if caller is None:
            raise _unauthorized("This API key is not valid: it is unknown or was revoked. Check the key you send.")
        return caller
    if request.app.state.require_api_keys:
        raise _unauthorized(
            "An API key is required: send it as 'Authorization: Bearer <key>'. "
            "An administrator creates one with `invoice-processor create-api-key --tenant NAME`."
        )
    return DEFAULT_CALLER


CallerDep = Annotated[Caller, Depends(get_caller)]
