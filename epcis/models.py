from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """The one API key of a user. Only its SHA-256 is kept; re-issuing replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"API key of {self.user}"
