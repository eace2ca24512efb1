"""Partner policies: the operator's per-partner choices (see `PartnerPolicy`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from epcis.models import PartnerPolicy


def set_identifier_defects(*, username: str, policy: str) -> PartnerPolicy:
    """Set how USERNAME's identifier-level defects are treated ("refuse" or "warn")."""
    if policy not in PartnerPolicy.IdentifierDefects.values:
        choices = ", ".join(PartnerPolicy.IdentifierDefects.values)
        raise ValueError(f"identifier defects policy must be one of {choices}, not {policy!r}")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValueError(f"there is no user {username!r}: issue_token creates partners")
    found, _ = PartnerPolicy.objects.update_or_create(
        user=user, defaults={"identifier_defects": policy}
    )
    return found


def identifier_defects_of(username: str) -> str:
    policy = PartnerPolicy.objects.filter(user__username=username).first()
    return policy.identifier_defects if policy else PartnerPolicy.IdentifierDefects.REFUSE
