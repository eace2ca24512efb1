"""`manage.py issue_token` and Bearer-key authentication."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def issue(username: str, role: str) -> str:
    out = StringIO()
    call_command("issue_token", username, "--role", role, stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def get_root(key: str | None) -> tuple[int, str, dict]:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/")
    return response.status_code, response["Content-Type"], response.json()


def test_it_creates_the_user_and_prints_only_the_key_on_the_last_line():
    key = issue("acme", "partner")
    user = get_user_model().objects.get(username="acme")
    assert key.startswith("epcis_")
    assert " " not in key
    assert len(key) > 40
    assert user.is_staff is False
    assert get_root(key)[0] == 200


def test_staff_role_makes_a_staff_user():
    issue("qa-lead", "staff")
    assert get_user_model().objects.get(username="qa-lead").is_staff is True


def test_rerunning_rotates_the_key_and_revokes_the_old_one():
    old = issue("acme", "partner")
    new = issue("acme", "partner")
    assert new != old
    assert get_root(new)[0] == 200
    assert get_root(old)[0] == 401


def test_a_superuser_cannot_be_demoted_to_partner():
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    with pytest.raises(CommandError, match="superuser"):
        issue("root", "partner")


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Bearer epcis_not-a-real-key", "The API key is not valid."),
        ("Token abc", "Use the header 'Authorization: Bearer <key>'."),
        ("Bearer ", "Use the header 'Authorization: Bearer <key>'."),
    ],
)
def test_missing_or_bad_key_is_401_problem_json(header, detail):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="epcis"'
    assert response.json() == {
        "type": "epcisException:SecurityException",
        "title": "Authentication required",
        "status": 401,
        "detail": detail,
    }


def test_an_inactive_users_key_is_rejected():
    key = issue("gone", "partner")
    get_user_model().objects.filter(username="gone").update(is_active=False)
    assert get_root(key)[0] == 401


def test_staff_created_with_createsuperuser_can_use_the_admin(client):
    get_user_model().objects.create_superuser("admin", "admin@example.com", "s3cret-pass")
    assert client.login(username="admin", password="s3cret-pass")
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Site administration" in response.content


def test_unknown_routes_answer_404_problem_json(partner_client):
    response = partner_client.get("/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:NoSuchResourceException"
