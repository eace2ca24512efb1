"""API keys: issued per user, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from epcis.models import ApiKey

ROLES = ("partner", "staff")
KEY_PREFIX = "epcis_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_key(*, username: str, role: str) -> str:
    """Create the user if needed, set its role and give it a new key (the old one stops working)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user, _ = get_user_model().objects.get_or_create(username=username)
    if role == "partner" and user.is_superuser:
        raise ValueError(f"{username} is a superuser and cannot become a partner")
    user.is_staff = role == "staff"
    user.save(update_fields=["is_staff"])
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.update_or_create(user=user, defaults={"key_hash": hash_key(key)})
    return key


def user_for_key(key: str) -> AbstractBaseUser | None:
    found = ApiKey.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if found is None or not found.user.is_active:
        return None
    return found.user
