from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from epcis.auth import user_for_key


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` with a key from `manage.py issue_token`."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <key>'.")
        user = user_for_key(key.strip())
        if user is None:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        return user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="epcis"'


class IsStaff(permissions.BasePermission):
    """Staff-only endpoints (traces, recalls, findings); partners get 403."""

    message = "This endpoint is for staff only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
