"""GET /capture: the caller's capture jobs, newest first, in stable keyset pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from epcis.models import CaptureJob

pytestmark = pytest.mark.django_db
SAME_MOMENT = datetime(2024, 5, 2, 14, 0, tzinfo=UTC)


def jobs_of(username: str, count: int) -> list[int]:
    owner, _ = get_user_model().objects.get_or_create(username=username)
    return [
        CaptureJob.objects.create(owner=owner, media_type="application/json").pk
        for _ in range(count)
    ]


def next_link(response) -> str | None:
    match = re.fullmatch(
        r'<(http://testserver/capture\?[^>]+)>; rel="next"', response.get("Link", "")
    )
    return match.group(1) if match else None


def walk(client, url: str, between_pages=lambda: None) -> tuple[list[str], int]:
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [job["captureID"] for job in response.json()]
        pages += 1
        url = next_link(response)
        between_pages()
    return seen, pages


def test_jobs_are_listed_newest_first_with_gs1_fields(partner_client):
    first, second = jobs_of("alice", 2)
    response = partner_client.get("/capture")
    assert response.status_code == 200
    assert "Link" not in response
    listed = response.json()
    assert [job["captureID"] for job in listed] == [str(second), str(first)]
    assert listed[0]["running"] is True
    assert set(listed[0]) == {
        "captureID",
        "createdAt",
        "finishedAt",
        "running",
        "captureErrorBehaviour",
        "errors",
        "eventCount",
        "duplicateCount",
        "storedCount",
    }


def test_walk_sees_every_job_once_while_new_jobs_arrive(partner_client):
    ids = jobs_of("alice", 7)
    # Ties on created_at are broken by id, so a page may end inside a run of equal times.
    CaptureJob.objects.filter(pk__in=ids[2:5]).update(created_at=SAME_MOMENT)
    CaptureJob.objects.filter(pk__in=ids[:2]).update(created_at=datetime(2024, 1, 1, tzinfo=UTC))
    expected = [str(pk) for pk in [ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]]

    seen, pages = walk(partner_client, "/capture?perPage=2", lambda: jobs_of("alice", 1))

    assert seen == expected
    assert pages == 4


def test_last_page_has_no_next_link(partner_client):
    jobs_of("alice", 4)
    seen, pages = walk(partner_client, "/capture?perPage=2")
    assert (len(seen), pages) == (4, 2)


def test_partners_list_only_their_own_jobs_and_staff_list_all(partner_client, staff_client):
    mine = jobs_of("alice", 2)
    theirs = jobs_of("bob", 1)
    assert walk(partner_client, "/capture")[0] == [str(mine[1]), str(mine[0])]
    assert walk(staff_client, "/capture")[0] == [str(theirs[0]), str(mine[1]), str(mine[0])]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("nextPageToken=forged", "nextPageToken is not valid"),
        ("perPage=0", "perPage must be an integer from 1 to 1000"),
        ("perPage=1001", "perPage must be an integer from 1 to 1000"),
        ("perPage=ten", "perPage must be an integer from 1 to 1000"),
        ("per_page=10", "Unknown query parameter(s): per_page"),
    ],
)
def test_bad_parameters_are_refused(partner_client, query, words):
    response = partner_client.get(f"/capture?{query}")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert words in problem["detail"]


def test_tampered_token_is_refused(partner_client):
    jobs_of("alice", 3)
    link = next_link(partner_client.get("/capture?perPage=1"))
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert partner_client.get(tampered).status_code == 400
