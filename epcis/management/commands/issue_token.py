from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from epcis.auth import ROLES, issue_api_key


class Command(BaseCommand):
    help = "Create USERNAME if needed and print a new API key (alone on the last line)."
    requires_migrations_checks = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, default="partner")

    def handle(self, *args: Any, username: str, role: str, **options: Any) -> None:
        try:
            key = issue_api_key(username=username, role=role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Issued a {role} key for {username}; any previous key is revoked.")
        self.stdout.write(key)
