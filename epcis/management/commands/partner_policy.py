from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epcis.models import PartnerPolicy
from epcis.partners import identifier_defects_of, set_identifier_defects


class Command(BaseCommand):
    help = (
        "Show or set a partner's policy. --identifier-defects warn stores events with "
        "identifier-level defects (check digits, lengths, CBV words) as sent, with a warning "
        "per defect; refuse (the default) refuses them."
    )
    requires_migrations_checks = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--identifier-defects", choices=PartnerPolicy.IdentifierDefects.values)

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        policy = options["identifier_defects"]
        if policy is not None:
            try:
                set_identifier_defects(username=username, policy=policy)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{username}: identifier defects: {identifier_defects_of(username)}")
