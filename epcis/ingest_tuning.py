"""Interpreter settings for the length of an ingest: no cyclic GC, a short GIL switch interval.

* Ingest allocates millions of small dicts, lists and tuples and keeps a batch of thousands
  of records alive while the previous one is written. Every few thousand allocations the
  cyclic collector re-scans those survivors (and, in full collections, all of Django's
  objects) and finds nothing: event trees have no reference cycles, so reference counting
  frees them. Measured on `make bench`: ~20% of the parsing thread's CPU.
* The writer thread releases the GIL for every round trip to PostgreSQL, then waits for
  the parsing thread to hand it back, up to the switch interval (5 ms by default) each
  time. At 1 ms the writer keeps up with the parser: about 15% more events/s.

Both settings are process-wide, so concurrent ingests (threads of an eager web process)
share one count: the defaults come back when the last of them ends.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL_S = 0.001

_lock = threading.Lock()
_users = 0
_saved: tuple[bool, float] = (True, 0.005)


@contextmanager
def tuned_for_ingest() -> Iterator[None]:
    _enter()
    try:
        yield
    finally:
        _exit()


def _enter() -> None:
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = (gc.isenabled(), sys.getswitchinterval())
            gc.disable()
            sys.setswitchinterval(min(SWITCH_INTERVAL_S, _saved[1]))
        _users += 1


def _exit() -> None:
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            collector_was_on, interval = _saved
            sys.setswitchinterval(interval)
            if collector_was_on:
                gc.enable()
