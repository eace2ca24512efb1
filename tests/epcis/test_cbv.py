"""CBV vocabularies: the three spellings of a standard value, and what custom values may be."""

import pytest

from epcis import cbv


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("bizStep", "shipping", "shipping"),
        ("bizStep", "https://ref.gs1.org/cbv/BizStep-shipping", "shipping"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:shipping", "shipping"),
        ("bizStep", "cbv:BizStep-shipping", "shipping"),
        ("disposition", "urn:epcglobal:cbv:disp:in_transit", "in_transit"),
        ("bizTransactionType", "urn:epcglobal:cbv:btt:po", "po"),
        ("sourceDestType", "https://ref.gs1.org/cbv/SDT-owning_party", "owning_party"),
        ("errorReason", "urn:epcglobal:cbv:er:incorrect_data", "incorrect_data"),
        ("measurementType", "gs1:Temperature", "Temperature"),
        ("measurementType", "https://gs1.org/voc/Temperature", "Temperature"),
        ("alertType", "https://gs1.org/voc/ALARM_CONDITION", "ALARM_CONDITION"),
        ("component", "cbv:Comp-latitude", "latitude"),
        ("bizStep", "https://example.com/steps/relabel", "https://example.com/steps/relabel"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:shiping", "urn:epcglobal:cbv:bizstep:shiping"),
    ],
)
def test_normalise_gives_the_bare_word_for_standard_values_only(
    kind: str, value: str, expected: str
) -> None:
    assert cbv.normalise(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "web", "urn"),
    [
        (
            "bizStep",
            "shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
        ),
        (
            "disposition",
            "in_transit",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "urn:epcglobal:cbv:disp:in_transit",
        ),
        ("measurementType", "Temperature", "https://gs1.org/voc/Temperature", None),
        ("bizStep", "https://example.com/x", "https://example.com/x", "https://example.com/x"),
    ],
)
def test_web_uri_and_urn_spell_standard_values(
    kind: str, value: str, web: str, urn: str | None
) -> None:
    assert cbv.web_uri(kind, value) == web
    assert cbv.urn(kind, value) == (urn or web)


@pytest.mark.parametrize(
    ("kind", "count"),
    [
        ("bizStep", 41),
        ("disposition", 33),
        ("bizTransactionType", 13),
        ("sourceDestType", 3),
        ("errorReason", 2),
        ("measurementType", 72),
        ("alertType", 2),
        ("component", 14),
    ],
)
def test_vocabularies_hold_every_cbv_2_0_value(kind: str, count: int) -> None:
    assert len(cbv.VOCABULARIES[kind].words) == count


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("bizStep", "shipping"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:receiving"),
        ("bizStep", "https://pharma.acme.example/steps/relabel"),
        ("disposition", "urn:acme:disp:quarantined"),
        ("measurementType", "gs1:Molar_concentration"),
        ("component", "example:x"),
    ],
)
def test_problem_accepts_standard_values_and_custom_uris(kind: str, value: str) -> None:
    assert cbv.problem(kind, value) is None


@pytest.mark.parametrize(
    ("kind", "value", "word"),
    [
        ("bizStep", "shiping", "custom values must be URIs"),
        ("disposition", "Active", "not a CBV disposition"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:shiping", "CBV namespace"),
        ("bizStep", "https://ref.gs1.org/cbv/BizStep-shiping", "CBV namespace"),
        ("bizTransactionType", "purchase order", "custom values must be URIs"),
        ("sourceDestType", "https://ns.gs1.org/cbv/SDT-owner", "CBV namespace"),
    ],
)
def test_problem_names_what_is_wrong(kind: str, value: str, word: str) -> None:
    message = cbv.problem(kind, value)
    assert message is not None
    assert word in message
    assert kind in message


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("bizStep", "shiping", "shipping"),
        ("bizStep", "SHIPPING", "shipping"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:recieving", "receiving"),
        ("bizStep", "https://ref.gs1.org/cbv/BizStep-comissioning", "commissioning"),
        ("disposition", "Active", "active"),
        ("disposition", "intransit", "in_transit"),
        ("errorReason", "incorrect", "incorrect_data"),
        ("measurementType", "temprature", "Temperature"),
        ("sourceDestType", "owning-party", "owning_party"),
        ("bizStep", "xyzzy", None),
    ],
)
def test_closest_is_the_standard_word_a_value_misspells(
    kind: str, value: str, expected: str | None
) -> None:
    assert cbv.closest(kind, value) == expected


def test_closest_word_ignores_case() -> None:
    types = ["ObjectEvent", "AggregationEvent", "TransformationEvent"]
    assert cbv.closest_word("objectevent", types) == "ObjectEvent"
    assert cbv.closest_word("Aggregation", types) == "AggregationEvent"
    assert cbv.closest_word("nothing", types) is None
