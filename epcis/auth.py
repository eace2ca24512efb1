"""API keys: issued per user, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from epcis.models import ApiKey

ROLES = ("partner", "staff")
KEY_PREFIX = "epcis_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class IssuedKey(NamedTuple):
    key: str
    role: str
    created: bool  # the user is new


def issue_api_key(*, username: str, role: str | None = None) -> str:
    """Create the user if needed, set its role and give it a new key (the old one stops
    working). Without `role` a user keeps the role it has; a new user is a partner."""
    return issue_key(username=username, role=role).key


@transaction.atomic
def issue_key(*, username: str, role: str | None = None) -> IssuedKey:
    """`issue_api_key`, also telling which role the key carries and whether the user is new."""
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user, created = get_user_model().objects.get_or_create(username=username)
    if role is None:
        role = "staff" if user.is_staff or user.is_superuser else "partner"
    if role == "partner" and user.is_superuser:
        raise ValueError(f"{username} is a superuser and cannot become a partner")
    user.is_staff = role == "staff"
    user.save(update_fields=["is_staff"])
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.update_or_create(user=user, defaults={"key_hash": hash_key(key)})
    return IssuedKey(key, role, created)


def user_for_key(key: str) -> AbstractBaseUser | None:
    found = ApiKey.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if found is None or not found.user.is_active:
        return None
    return found.user
