"""Lifetimes: callbacks the runtime keeps alive, handles released deterministically (never by a
finalizer), borrowed event handles, the owner thread, and misuse that raises instead of
crashing."""
import gc
import os
import subprocess
import sys
import threading

import pytest

import msgr
from conftest import Recorder, tick_until


def on_other_thread(fn):
    """Runs fn on a new thread; returns what it returned or raised."""
    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: B902 -- handed to the test's thread
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive()
    return result


def test_a_lambda_subscriber_is_kept_alive_by_the_runtime(rt):
    seen = []
    rt.subscribe(lambda ev: seen.append(ev.type))  # nothing else refers to the lambda
    gc.collect()
    rt.signin("player@loopback")
    gc.collect()
    tick_until(rt, lambda: "MSGR_EVENT_SIGNIN" in seen)
    gc.collect()
    w = rt.instant_message("echo@loopback")
    msgr.ui.send(w, "still there?")
    tick_until(rt, lambda: "MSGR_EVENT_MESSAGE_RECEIVED" in seen)


def test_a_subscription_filters_by_type_and_cancels(rt):
    signins, everything = [], Recorder()
    sub = rt.subscribe(lambda ev: signins.append(ev.type), "MSGR_EVENT_SIGNIN")
    rt.subscribe(everything)
    rt.signin("player@loopback")
    tick_until(rt, lambda: signins)
    assert signins == ["MSGR_EVENT_SIGNIN"] and len(everything.events) > 1
    assert sub.active
    sub.cancel()
    sub.cancel()  # idempotent
    assert not sub.active
    rt.signout()
    tick_until(rt, lambda: everything.of("MSGR_EVENT_SIGNOUT"))
    rt.signin("player@loopback")
    tick_until(rt, lambda: len(everything.of("MSGR_EVENT_SIGNIN")) == 2)
    assert signins == ["MSGR_EVENT_SIGNIN"]


def test_a_call_from_another_thread_raises_wrong_thread(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    for call in (lambda: rt.tick(), lambda: rt.instant_message("echo@loopback"),
                 lambda: rt.signin("x@loopback"), lambda: w.history, lambda: w.is_closed,
                 lambda: msgr.ui.send(w, "from elsewhere"), lambda: rt.close(),
                 lambda: rt.subscribe(print)):
        result = on_other_thread(call)
        e = result.get("error")
        assert isinstance(e, msgr.Error), result
        assert e.hresult == msgr.RPC_E_WRONG_THREAD == -2147417842
        assert e.name == "MSGR_RPC_E_WRONG_THREAD"
        assert "thread" in e.message
    # Nothing happened: the runtime still works on its own thread.
    assert not rt.closed and w.history == [] and not w.is_closed
    assert rt.instant_message("echo@loopback") is w


def test_a_runtime_belongs_to_the_thread_that_created_it():
    def own():
        with msgr.Runtime() as rt:
            seen = []
            rt.subscribe(lambda ev: seen.append(ev.type))
            rt.signin("worker@loopback")
            tick_until(rt, lambda: "MSGR_EVENT_SIGNIN" in seen)
            return rt.my_signin_name

    assert on_other_thread(own) == {"value": "worker@loopback"}


def test_release_may_happen_on_any_thread(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    assert on_other_thread(w.release) == {"value": None}
    assert w.released
    w2 = rt.instant_message("echo@loopback")  # the window stayed open: a new handle to it
    assert w2 is not w and not w2.is_closed


def test_a_window_used_after_release_raises_instead_of_crashing(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    w.release()
    w.release()  # a second release is refused quietly, not a second C release
    for use in (lambda: w.history, lambda: w.kind, lambda: w.show(), lambda: w.close_window(),
                lambda: msgr.ui.send(w, "x"), lambda: setattr(w, "left", 1),
                lambda: w.keep(), lambda: w.contact):
        with pytest.raises(msgr.Error) as info:
            use()
        assert info.value.hresult == msgr.RPC_E_DISCONNECTED
        assert "released" in info.value.message
    # Releasing the handle did not close the user's window.
    again = rt.instant_message("echo@loopback")
    assert not again.is_closed and again != w


def test_with_blocks_release_handles(signed_in):
    rt = signed_in
    with rt.instant_message("echo@loopback") as w:
        msgr.ui.send(w, "in a block")
    assert w.released
    with rt.get_contact("echo@loopback") as echo:
        assert echo.signin_name == "echo@loopback"
    assert echo.released
    with pytest.raises(msgr.Error):
        echo.status


def test_close_releases_everything_then_destroys(tmp_path):
    rt = msgr.Runtime()
    rec = Recorder()
    rt.subscribe(rec)
    rt.signin("player@loopback")
    tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNIN"))
    w = rt.instant_message("echo@loopback")
    c = rt.get_contact("mobile@loopback")
    rt.close()
    assert rec.types()[-1] == "MSGR_EVENT_APP_SHUTDOWN"
    assert rt.closed and w.released and c.released
    rt.close()  # idempotent
    for use in (lambda: rt.tick(), lambda: rt.instant_message("echo@loopback"),
                lambda: w.history, lambda: c.signin_name):
        with pytest.raises(msgr.Error) as info:
            use()
        assert info.value.hresult == msgr.RPC_E_DISCONNECTED
    with pytest.raises(msgr.Error, match="closed"):
        w.kind


def test_event_handles_are_borrowed_for_the_callback_and_keep_holds_them(rt):
    borrowed, kept = [], []

    def on_event(ev):
        if ev.type == "MSGR_EVENT_IM_WINDOW_CREATED":
            borrowed.append(ev.window)
            assert ev.window.kind == "MSGR_WINDOW_CONVERSATION"  # valid inside
        if ev.type == "MSGR_EVENT_CONTACT_LIST_ADD":
            kept.append(ev.contact.keep())

    rt.subscribe(on_event)
    rt.signin("player@loopback")
    tick_until(rt, lambda: kept)
    # A message arriving opens a window that nobody holds yet: its event handle is borrowed.
    control = rt.instant_message("control@loopback")
    msgr.ui.send(control, "say friend@loopback hi")
    tick_until(rt, lambda: borrowed)
    [w] = [b for b in borrowed if b is not control]
    with pytest.raises(msgr.Error) as info:
        w.history
    assert info.value.hresult == msgr.RPC_E_DISCONNECTED and "keep()" in info.value.message
    assert all(c.signin_name.endswith("@loopback") for c in kept)  # kept ones stay valid
    assert kept[0] is rt.get_contact(kept[0].signin_name)


def test_an_exception_in_a_callback_is_raised_by_tick_after_the_others_ran(rt):
    after = []

    def broken(ev):
        if ev.type == "MSGR_EVENT_SIGNIN":
            raise ValueError("callback bug")

    rt.subscribe(broken)
    rt.subscribe(lambda ev: after.append(ev.type))
    rt.signin("player@loopback")
    with pytest.raises(ValueError, match="callback bug"):
        tick_until(rt, lambda: False, seconds=5)
    assert "MSGR_EVENT_SIGNIN" in after
    rt.tick()  # raised once
    assert rt.my_signin_name == "player@loopback"


def test_close_from_inside_a_callback_completes_when_the_tick_returns():
    rt = msgr.Runtime()
    seen = []

    def on_event(ev):
        seen.append(ev.type)
        if ev.type == "MSGR_EVENT_SIGNIN":
            rt.close()
            assert rt.closed

    rt.subscribe(on_event)
    rt.signin("player@loopback")
    tick_until(rt, lambda: rt.closed)
    assert seen[-1] == "MSGR_EVENT_APP_SHUTDOWN"
    with pytest.raises(msgr.Error):
        rt.tick()


def test_a_runtime_never_closed_is_leaked_with_a_warning_and_the_process_exits_cleanly():
    script = (
        "import gc, msgr\n"
        "rt = msgr.Runtime()\n"
        "rt.subscribe(lambda ev: None)\n"
        "rt.signin('player@loopback')\n"
        "rt.tick()\n"
        "del rt\n"
        "gc.collect()\n"
        "print('still running')\n")
    run = subprocess.run([sys.executable, "-W", "always::ResourceWarning", "-c", script],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert run.returncode == 0, run.stderr
    assert "still running" in run.stdout
    assert "ResourceWarning: msgr.Runtime was never closed" in run.stderr


def test_a_log_handler_hears_failures():
    lines = []
    msgr.set_log_handler(lambda level, message: lines.append((level, message)))
    try:
        with msgr.Runtime() as rt:
            with pytest.raises(msgr.Error):
                rt.instant_message("echo@loopback")
    finally:
        msgr.set_log_handler(None)
    assert any(level.startswith("MSGR_LOG_") and message for level, message in lines)


def test_after_the_connection_drops_handles_answer_disconnected(signed_in):
    rt = signed_in
    rec = Recorder()
    rt.subscribe(rec)
    w = rt.instant_message("echo@loopback")
    control = rt.instant_message("control@loopback")
    msgr.ui.send(control, "drop")  # the loopback "network" loses the connection
    tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNOUT"))
    with pytest.raises(msgr.Error) as info:
        w.history
    e = info.value
    assert e.hresult == msgr.RPC_E_DISCONNECTED and e.name == "MSGR_RPC_E_DISCONNECTED"
    assert e.message == msgr.last_error() and "release" in e.message  # the runtime's reason
    w.release()  # what the runtime asks for; then the handle is gone on our side too
    assert w.released


def test_a_callback_may_cancel_its_own_subscription(rt):
    calls = []
    holder = {}

    def once(ev):
        calls.append(ev.type)
        holder["sub"].cancel()

    holder["sub"] = rt.subscribe(once)
    rec = Recorder()
    rt.subscribe(rec)
    rt.signin("player@loopback")
    tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNIN"))
    assert len(calls) == 1 and len(rec.events) > 1


def test_concurrent_releases_give_the_reference_back_once(signed_in):
    # A closed window whose last reference is ours: a second C release would free it twice
    # (glibc aborts the process), so racing release() calls must give it back exactly once.
    rt = signed_in
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        race_releases(rt)
    finally:
        sys.setswitchinterval(interval)


def race_releases(rt):
    for round_ in range(50):
        w = rt.instant_message("friend%d@loopback" % round_)
        w.close_window()
        rt.tick()
        barrier = threading.Barrier(8)

        def race():
            barrier.wait()
            w.release()

        threads = [threading.Thread(target=race) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert w.released
