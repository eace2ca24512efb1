"""OPTIONS answers without a key (a browser's CORS preflight carries none), and cross-origin
access for browser clients, off unless EPCIS_CORS_ALLOWED_ORIGINS names origins."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
SGTIN = "urn:epc:id:sgtin:4012345.011111.1001"
DISCOVERY_URLS = [
    "/capture",
    "/capture/1",
    "/events",
    "/events/urn:uuid:x",
    "/eventTypes",
    "/epcs",
    f"/epcs/{SGTIN}",
    f"/epcs/{SGTIN}/events",
    "/epcs/https://id.gs1.org/01/04012345111118/21/1001/events",
    "/bizSteps/shipping/events",
    "/queries",
    "/queries/q",
    "/queries/q/events",
    "/nextPageToken/abc",
]


def gs1_headers(response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.items()
        if name.startswith("GS1-") or name == "Allow"
    }


@pytest.mark.parametrize("url", DISCOVERY_URLS)
def test_options_answers_without_a_key_as_with_one(partner_client, url):
    anonymous = APIClient().options(url)
    keyed = partner_client.options(url)
    assert anonymous.status_code == keyed.status_code == 204
    assert gs1_headers(anonymous) == gs1_headers(keyed)
    assert anonymous["GS1-EPCIS-Version"] == "2.0.0"


def test_options_without_a_key_advertises_what_capture_takes(client):
    response = client.options("/capture")
    assert response.status_code == 204
    assert {
        name: response[name]
        for name in ("Allow", "GS1-Capture-Error-Behaviour", "GS1-EPCIS-Min", "GS1-EPCIS-Max")
    } == {
        "Allow": "GET, POST, HEAD, OPTIONS",
        "GS1-Capture-Error-Behaviour": "rollback, proceed",
        "GS1-EPCIS-Min": "1.2.0",
        "GS1-EPCIS-Max": "2.0.0",
    }
    assert response["GS1-EPCIS-Capture-Limit"] == str(settings.EPCIS_CAPTURE_LIMIT)


def test_options_without_a_key_on_events_names_the_output_formats(client):
    response = client.options("/events")
    assert response.status_code == 204
    assert response["GS1-EPC-Format"] == (
        "No_Preference, Always_GS1_Digital_Link, Always_EPC_URN, Never_Translates"
    )
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}


@pytest.mark.parametrize(("method", "url"), [("get", "/events"), ("post", "/capture")])
def test_everything_else_still_needs_a_key(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_wrong_key_on_options_is_still_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer epcis_not-a-key")
    assert client.options("/events").status_code == 401


def test_cross_origin_access_is_off_by_default(client):
    preflight = client.options(
        "/events",
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 204  # our own discovery answer, nothing added
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]
    assert "corsheaders.middleware.CorsMiddleware" not in settings.MIDDLEWARE


def test_every_header_a_script_needs_is_exposed(partner_client):
    answered = {name for url in DISCOVERY_URLS for name in gs1_headers(partner_client.options(url))}
    # and beyond discovery: paging (Link, its expiry), where a capture job is (Location)
    answered |= {"Link", "GS1-Next-Page-Token-Expires", "Location", "WWW-Authenticate"}
    assert answered <= set(settings.CORS_EXPOSE_HEADERS)


# -- with origins configured: a real server, configured from its environment -------------


def request(base: str, method: str, path: str, **headers: str) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(base + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


APP = "https://app.example"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization, gs1-epc-format",
}


def test_configured_origins_get_cross_origin_access(gunicorn_server):
    base = gunicorn_server(EPCIS_CORS_ALLOWED_ORIGINS=f"{APP}, http://localhost:3000")

    status, headers = request(base, "OPTIONS", "/events", **PREFLIGHT)
    assert status == 200
    assert headers["access-control-allow-origin"] == APP
    allowed = {h.strip() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "gs1-epc-format", "gs1-capture-error-behaviour"} <= allowed
    assert {"GET", "POST", "DELETE"} <= set(headers["access-control-allow-methods"].split(", "))
    assert "access-control-allow-credentials" not in headers

    # an answer (here a 401 problem) is readable by the script, with its headers
    status, headers = request(base, "GET", "/events", Origin="http://localhost:3000")
    assert status == 401
    assert headers["access-control-allow-origin"] == "http://localhost:3000"
    exposed = set(headers["access-control-expose-headers"].split(", "))
    assert {"Link", "Location", "GS1-EPCIS-Version", "GS1-Next-Page-Token-Expires"} <= exposed

    # discovery without a key, cross-origin
    status, headers = request(base, "OPTIONS", "/capture", Origin=APP)
    assert (status, headers["gs1-epcis-max"]) == (204, "2.0.0")
    assert headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize(
    ("path", "origin"),
    [("/events", "https://elsewhere.example"), ("/admin/login/", APP)],
)
def test_other_origins_and_the_admin_get_no_cross_origin_access(gunicorn_server, path, origin):
    base = gunicorn_server(EPCIS_CORS_ALLOWED_ORIGINS=APP)
    _, headers = request(base, "OPTIONS", path, **{**PREFLIGHT, "Origin": origin})
    assert "access-control-allow-origin" not in headers


def test_a_star_lets_any_origin_in_without_credentials(gunicorn_server):
    base = gunicorn_server(EPCIS_CORS_ALLOWED_ORIGINS="*")
    _, headers = request(base, "GET", "/events", Origin="https://anywhere.example")
    assert headers["access-control-allow-origin"] == "*"
