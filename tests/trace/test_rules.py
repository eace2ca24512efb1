"""The lineage rules as pure functions (trace.rules): table-driven, no database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from epcis.identifiers import matching_key
from trace import rules
from trace.rules import ClassQuantity, Fact

P, A, B, C = "parent", "a", "b", "c"


def t(minute: int) -> datetime:
    return datetime(2024, 1, 1, 10, minute, tzinfo=UTC)


def fact(pk: int, minute: int, kind: str = rules.AGGREGATION, **fields) -> Fact:
    base = {
        "pk": pk,
        "event_id": fields.pop("event_id", f"urn:uuid:e{pk:03d}"),
        "event_time": t(minute),
        "type": kind,
        "action": "ADD",
        "biz_step": "",
        "disposition": "",
        "parent": P if kind == rules.AGGREGATION else "",
        "epc_list": (),
        "children": (),
        "inputs": (),
        "outputs": (),
        "quantity_list": (),
        "input_quantities": (),
        "output_quantities": (),
        "transformation_id": "",
        "lot": "",
        "doc": {},
    }
    base.update(fields)
    return Fact(**base)


def spans(rows: list[rules.StayRow]) -> set[tuple[str, int, int | None]]:
    return {(child, since, until) for child, _, _, since, _, until in rows}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # ADD opens; DELETE of a listed child closes it
        (
            [fact(1, 0, children=(A, B)), fact(2, 5, action="DELETE", children=(A,))],
            {(A, 1, 2), (B, 1, None)},
        ),
        # DELETE with no children closes every open stay
        (
            [fact(1, 0, children=(A, B)), fact(2, 5, action="DELETE")],
            {(A, 1, 2), (B, 1, 2)},
        ),
        # OBSERVE opens what is not open, and leaves what is open alone
        (
            [fact(1, 0, children=(A,)), fact(2, 5, action="OBSERVE", children=(A, B))],
            {(A, 1, None), (B, 2, None)},
        ),
        # an ADD of a child already inside changes nothing
        ([fact(1, 0, children=(A,)), fact(2, 5, children=(A,))], {(A, 1, None)}),
        # a DELETE of a child not inside changes nothing
        ([fact(1, 0, action="DELETE", children=(A,)), fact(2, 5, children=(A,))], {(A, 2, None)}),
        # decommissioning the parent closes its stays; it is named in an ObjectEvent epcList
        (
            [
                fact(1, 0, children=(A, B)),
                fact(
                    2, 5, rules.OBJECT, action="DELETE", biz_step="decommissioning", epc_list=(P,)
                ),
            ],
            {(A, 1, 2), (B, 1, 2)},
        ),
        # so does a disposition of destroyed
        (
            [
                fact(1, 0, children=(A,)),
                fact(2, 5, rules.OBJECT, disposition="destroyed", epc_list=(P,)),
            ],
            {(A, 1, 2)},
        ),
        # another container's events do not count; nor does a parent inside itself
        ([fact(1, 0, children=(A, P)), fact(2, 5, parent="other", children=(A,))], {(A, 1, None)}),
        # re-packed after an unpack: two stays
        (
            [
                fact(1, 0, children=(A,)),
                fact(2, 5, action="DELETE", children=(A,)),
                fact(3, 9, children=(A,)),
            ],
            {(A, 1, 2), (A, 3, None)},
        ),
    ],
)
def test_stays_in_every_order(facts, expected):
    for order in itertools.permutations(facts):
        assert spans(rules.stays(P, order)) == expected


def test_events_at_one_time_are_folded_in_event_id_order():
    add = fact(1, 0, children=(A,), event_id="urn:uuid:b")
    delete = fact(2, 0, action="DELETE", children=(A,), event_id="urn:uuid:a")
    # the DELETE sorts first (eventID "a"), so it closes nothing and the ADD stays open
    assert spans(rules.stays(P, [add, delete])) == {(A, 1, None)}
    assert spans(rules.stays(P, [delete, add])) == {(A, 1, None)}


UNIT = matching_key("urn:epc:id:sgtin:4012345.011111.7")


def commissioning(pk: int, minute: int, lot: str, event_id: str) -> Fact:
    return fact(
        pk, minute, rules.OBJECT, action="ADD", epc_list=(UNIT,), lot=lot, event_id=event_id
    )


def test_the_earliest_commissioning_wins_then_the_smaller_event_id():
    early = commissioning(1, 0, "L1", "urn:uuid:z")
    late = commissioning(2, 5, "L2", "urn:uuid:a")
    tie = commissioning(3, 0, "L3", "urn:uuid:y")  # as early as `early`, smaller eventID
    for order in itertools.permutations([early, late]):
        assert rules.commissionings(order)[UNIT][2] == 1
    for order in itertools.permutations([early, late, tie]):
        assert rules.commissionings(order)[UNIT][2] == 3


@pytest.mark.parametrize(
    ("unit", "lot", "expected"),
    [
        ("urn:epc:id:sgtin:4012345.011111.7", "L1", "urn:epc:class:lgtin:4012345.011111.L1"),
        ("urn:epc:id:sgtin:0614141.107346.2017", "A/B", "urn:epc:class:lgtin:0614141.107346.A%2FB"),
        (
            "https://example.com/01/09506000134352/21/x",
            "L'1",
            "urn:epc:class:lgtin:9506000.013435.L'1",
        ),
    ],
)
def test_lot_key_is_the_matching_key_of_the_lgtin_urn(unit, lot, expected):
    assert rules.lot_key(matching_key(unit), lot) == matching_key(expected)


def test_what_an_event_does():
    ship = fact(1, 0, rules.OBJECT, action="OBSERVE", biz_step="shipping", epc_list=(UNIT,))
    assert not rules.matters(ship)
    transform = fact(
        2,
        0,
        rules.TRANSFORMATION,
        action="",
        outputs=(UNIT,),
        output_quantities=(ClassQuantity("lot", 5.0, "KGM"),),
        doc={"ilmd": {"cbvmda:lotNumber": "L1"}},
    )
    assert rules.commissioned_units(transform) == [UNIT]
    assert [q.epc_class for q in rules.commissioned_quantities(transform)] == ["lot"]
    assert [(r[0], r[6]) for r in rules.transformation_rows(transform)] == [
        (UNIT, False),
        ("lot", True),
    ]
    without_ilmd = fact(3, 0, rules.TRANSFORMATION, action="", outputs=(UNIT,))
    assert rules.commissioned_units(without_ilmd) == []
    assert rules.group(without_ilmd) == "event urn:uuid:e003"
    assert rules.transformation_rows(without_ilmd)[0][2] == "event urn:uuid:e003"
