"""Interpreter settings held for the length of an ingest, shared by concurrent ingests."""

import gc
import sys

from epcis.ingest_tuning import SWITCH_INTERVAL_S, tuned_for_ingest


def test_pauses_the_collector_and_shortens_the_switch_interval_then_restores_both() -> None:
    before = sys.getswitchinterval()
    assert gc.isenabled()
    with tuned_for_ingest():
        assert not gc.isenabled()
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
    assert gc.isenabled()
    assert sys.getswitchinterval() == before


def test_overlapping_ingests_restore_the_defaults_only_when_the_last_one_ends() -> None:
    first, second = tuned_for_ingest(), tuned_for_ingest()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second ingest is still running
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_leaves_a_collector_switched_off_by_someone_else_off() -> None:
    gc.disable()
    try:
        with tuned_for_ingest():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_restores_the_defaults_when_the_ingest_fails() -> None:
    try:
        with tuned_for_ingest():
            raise RuntimeError("parse failed")
    except RuntimeError:
        pass
    assert gc.isenabled()
