"""The lineage is a function of the events, not of how they arrive (DESIGN §3 step 5): any
permutation of the scenario's events, split into any documents, captured by any partners
through the real capture path (receive_document, then the worker), and with some events
sent twice by another partner, gives the same rows, states, hierarchies and timelines;
and `rebuild_lineage` gives the same rows again."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.lineage import (
    answers,
    capture_as,
    capture_scenario,
    document,
    lineage_rows,
    scenario_events,
    wipe_repository,
)
from trace.lineage import rebuild_lineage

PARTNERS = ["alice", "bob", "dave", "erin"]
EVENTS = [event for _, event in scenario_events()]


@st.composite
def deliveries(draw: st.DrawFn) -> list[tuple[str, list[dict]]]:
    """The scenario's events in any order, cut into documents, each sent by a partner;
    a few events also arrive again, from another partner, later."""
    order = draw(st.permutations(range(len(EVENTS))))
    cuts = draw(st.sets(st.integers(1, len(EVENTS) - 1), max_size=6))
    bounds = [0, *sorted(cuts), len(EVENTS)]
    documents = [
        (draw(st.sampled_from(PARTNERS)), [EVENTS[i] for i in order[a:b]])
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    again = draw(st.lists(st.sampled_from(range(len(EVENTS))), max_size=4, unique=True))
    if again:
        documents.append((draw(st.sampled_from(PARTNERS)), [EVENTS[i] for i in again]))
    return documents


@pytest.fixture
def reference(staff_client) -> dict:
    """The answers for the README's order of capture, which the README checks by hand."""
    capture_scenario()
    found = answers(staff_client)
    wipe_repository()
    return found


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents=deliveries())
def test_any_order_split_and_partners_give_the_same_lineage(reference, staff_client, documents):
    wipe_repository()
    for owner, events in documents:
        capture_as(owner, document(events))
    found = answers(staff_client)
    differences = sorted(key for key in reference if found.get(key) != reference[key])
    assert differences == [], [(key, found.get(key), reference[key]) for key in differences[:3]]
    rebuild_lineage(batch_size=7)
    assert lineage_rows() == reference["rows"]
