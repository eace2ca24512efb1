from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epcis.auth import ROLES, issue_key


class Command(BaseCommand):
    help = (
        "Create USERNAME if needed and print a new API key (alone on the last line). "
        "Rotating a key keeps the user's role unless --role is given; a new user is a partner."
    )
    requires_migrations_checks = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            choices=ROLES,
            default=None,
            help="partner (captures, reads its own events) or staff (reads everything); "
            "default: the user's current role, partner for a new user",
        )

    def handle(self, *args: Any, username: str, role: str | None, **options: Any) -> None:
        try:
            issued = issue_key(username=username, role=role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if issued.created:
            what = f"Created {issued.role} user {username} and issued its key."
        else:
            kept = "" if role else " (its role is kept; --role changes it)"
            what = f"Issued a {issued.role} key for {username}{kept}; its previous key is revoked."
        self.stderr.write(what)
        self.stdout.write(issued.key)
