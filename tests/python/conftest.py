"""Shared fixtures of the Python binding's tests: real runtimes (the embedded default, with the
real loopback and paging add-ins from build/lib/msgr/addins), nothing mocked."""
import os
import time

import pytest

import msgr


@pytest.fixture(autouse=True)
def private_data_home(tmp_path, monkeypatch):
    # The paging add-in's outbox goes to $XDG_DATA_HOME/msgr: keep it in the test's directory.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


def tick_until(rt, predicate, seconds=10.0):
    """Ticks (as a host's frames do) until predicate() holds; fails the test past the deadline.
    The loopback service answers from its own thread, so a few ticks may see nothing yet."""
    deadline = time.monotonic() + seconds
    while True:
        rt.tick()
        if predicate():
            return
        if time.monotonic() > deadline:
            pytest.fail("condition not reached after %.0f s of ticks" % seconds)
        time.sleep(0.002)


class Recorder:
    """A subscriber that keeps every event's plain fields (the handles are only borrowed)."""

    def __init__(self):
        self.events = []

    def __call__(self, ev):
        self.events.append((ev.type, ev.hr, ev.text, ev.index, ev.status))

    def types(self):
        return [e[0] for e in self.events]

    def of(self, event_type):
        return [e for e in self.events if e[0] == event_type]


@pytest.fixture
def rt():
    with msgr.Runtime() as runtime:
        yield runtime


@pytest.fixture
def recorder(rt):
    r = Recorder()
    rt.subscribe(r)
    return r


@pytest.fixture
def signed_in(rt, recorder):
    rt.signin("player@loopback")
    tick_until(rt, lambda: recorder.of("MSGR_EVENT_SIGNIN"))
    assert recorder.of("MSGR_EVENT_SIGNIN")[0][1] == msgr.S_OK
    return rt


def source_dir():
    return os.environ["MSGR_SOURCE_DIR"]


def build_dir():
    return os.environ["MSGR_BUILD_DIR"]
