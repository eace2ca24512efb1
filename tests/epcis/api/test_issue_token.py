"""`manage.py issue_token` and Bearer-key authentication."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.support.builders import capture, event_list, json_document, object_event

pytestmark = pytest.mark.django_db


def issue(username: str, role: str) -> str:
    out = StringIO()
    call_command("issue_token", username, "--role", role, stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()[-1]


def issue_token(*args: str) -> tuple[str, str]:
    """`issue_token ARGS`: the key (the last line of stdout) and what it said on stderr."""
    out, err = StringIO(), StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1], err.getvalue().strip()


def is_staff(username: str) -> bool:
    return get_user_model().objects.get(username=username).is_staff


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


@pytest.mark.parametrize(
    ("first", "then", "role_after", "said"),
    [
        # (first issue, then issue_token NAME ..., role afterwards, stderr of the second)
        (
            ["--role", "staff"],
            [],
            "staff",
            "Issued a staff key for u (its role is kept; --role changes it); "
            "its previous key is revoked.",
        ),
        (
            ["--role", "partner"],
            [],
            "partner",
            "Issued a partner key for u (its role is kept; --role changes it); "
            "its previous key is revoked.",
        ),
        (
            ["--role", "staff"],
            ["--role", "partner"],
            "partner",
            "Issued a partner key for u; its previous key is revoked.",
        ),
        (
            ["--role", "partner"],
            ["--role", "staff"],
            "staff",
            "Issued a staff key for u; its previous key is revoked.",
        ),
    ],
)
def test_rotating_keeps_the_role_unless_one_is_given(first, then, role_after, said):
    old, _ = issue_token("u", *first)
    new, message = issue_token("u", *then)
    assert is_staff("u") is (role_after == "staff")
    assert message == said
    assert (get_root(new)[0], get_root(old)[0]) == (200, 401)


def test_a_staff_keys_rotation_still_reads_every_partners_events(staff_client):
    """What went wrong: `issue_token carol` silently made staff Carol a partner, who then
    saw none of the partners' events."""
    capture(json_document(object_event("1")), "application/ld+json", owner="alice")
    capture(json_document(object_event("2")), "application/ld+json", owner="bob")
    key, _ = issue_token("carol")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert len(event_list(client.get("/events"))) == 2


def test_a_new_user_without_a_role_is_a_partner():
    key, message = issue_token("newco")
    assert is_staff("newco") is False
    assert message == "Created partner user newco and issued its key."
    assert key.startswith("epcis_")


def test_a_superuser_keeps_staff_when_rotated_without_a_role():
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    _, message = issue_token("root")
    assert message.startswith("Issued a staff key for root")


def test_a_superuser_cannot_be_demoted_to_partner():
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    with pytest.raises(CommandError, match="superuser"):
        issue("root", "partner")


MISSING = (
    "This endpoint needs an API key: send the header 'Authorization: Bearer <key>' "
    "(keys are issued with `manage.py issue_token`)."
)
MALFORMED = (
    "The Authorization header must read 'Bearer <key>': the word Bearer, one space, the key."
)
UNKNOWN = (
    "The API key is not valid: it may have been revoked or rotated (a new `issue_token` "
    "replaces the previous key), or it was copied incompletely."
)


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, MISSING),
        ("Bearer epcis_not-a-real-key", UNKNOWN),
        ("Token abc", MALFORMED),
        ("Bearer ", MALFORMED),
        ("Bearer", MALFORMED),
        ("epcis_key-without-scheme", MALFORMED),
        ("Basic dXNlcjpwdw==", MALFORMED),
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


def test_a_rotated_key_is_told_apart_from_a_missing_one():
    old = issue("acme", "partner")
    issue("acme", "partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")
    assert client.get("/events").json()["detail"] == UNKNOWN


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
