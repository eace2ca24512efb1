from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from epcis.auth import user_for_key

# What a 401 tells the integrator, by what was wrong with the request.
MISSING_KEY = (
    "This endpoint needs an API key: send the header 'Authorization: Bearer <key>' "
    "(keys are issued with `manage.py issue_token`)."
)
MALFORMED_HEADER = (
    "The Authorization header must read 'Bearer <key>': the word Bearer, one space, the key."
)
UNKNOWN_KEY = (
    "The API key is not valid: it may have been revoked or rotated (a new `issue_token` "
    "replaces the previous key), or it was copied incompletely."
)


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` with a key from `manage.py issue_token`."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise exceptions.AuthenticationFailed(MALFORMED_HEADER)
        user = user_for_key(key.strip())
        if user is None:
            raise exceptions.AuthenticationFailed(UNKNOWN_KEY)
        return user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="epcis"'


class KeyRequired(permissions.BasePermission):
    """Every endpoint needs a key (or a staff session), except OPTIONS: discovery, which a
    browser sends without credentials as the CORS preflight. A key that is sent is still
    checked, on OPTIONS too."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method == "OPTIONS":
            return True
        if request.user and request.user.is_authenticated:
            return True
        raise exceptions.NotAuthenticated(MISSING_KEY)


class IsStaff(permissions.BasePermission):
    """Staff-only endpoints (traces, recalls, findings); partners get 403. OPTIONS answers
    anyone, as everywhere (see KeyRequired)."""

    message = "This endpoint is for staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method == "OPTIONS":
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
