"""Durable conversations through the binding, against the embedded default (the loopback
service emulates receipts, read markers and typing; history is on and stored in this test's own
XDG_DATA_HOME, see conftest): delivery states, chat states, seen markers, persistence across
runtimes, search, forgetting."""
import os

import pytest

import msgr
from conftest import Recorder, tick_until


def sign_in(rt):
    rec = Recorder()
    rt.subscribe(rec)
    rt.signin("player@loopback")
    tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNIN"))
    assert rec.of("MSGR_EVENT_SIGNIN")[0][1] == msgr.S_OK
    return rec


def send_and_wait_read(rt, w, text):
    index = msgr.ui.send(w, text)
    tick_until(rt, lambda: w.message(index).delivery == "MSGR_DELIVERY_READ")
    return index


def test_delivery_moves_forward_to_read_and_the_echo_types(signed_in):
    rt = signed_in
    states, typing = [], []

    def on_event(ev):
        if ev.type == "MSGR_EVENT_DELIVERY_CHANGE":
            states.append(ev.state)
        elif ev.type == "MSGR_EVENT_TYPING":
            assert ev.contact.signin_name == "echo@loopback"
            typing.append((ev.state, ev.window is not None))

    rt.subscribe(on_event)
    w = rt.instant_message("echo@loopback")
    send_and_wait_read(rt, w, "typing?")
    order = ["MSGR_DELIVERY_SENT", "MSGR_DELIVERY_DELIVERED", "MSGR_DELIVERY_READ"]
    assert states[0] == "MSGR_DELIVERY_SENT" and states[-1] == "MSGR_DELIVERY_READ"
    assert [order.index(s) for s in states] == sorted(order.index(s) for s in states)
    tick_until(rt, lambda: typing and typing[-1][0] == "MSGR_CHAT_STATE_ACTIVE")
    assert typing[0] == ("MSGR_CHAT_STATE_COMPOSING", True)
    sent, echoed = w.history
    assert sent.stored_id != 0 and echoed.stored_id != 0 and sent.stored_id != echoed.stored_id
    assert w.history_count == 2
    with pytest.raises(msgr.Error) as e:
        w.message(2)
    assert e.value.hresult == msgr.E_INVALIDARG


def test_seen_and_chat_state_and_window_info(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    send_and_wait_read(rt, w, "look")
    assert not w.message(1).flags & msgr.MESSAGE_SEEN
    [info] = msgr.ui.windows(rt)
    assert info.unseen_count == 1
    assert info.peer_chat_state in ("MSGR_CHAT_STATE_ACTIVE", "MSGR_CHAT_STATE_NONE")
    msgr.ui.history_seen(w, 1)
    assert w.message(1).flags & msgr.MESSAGE_SEEN
    assert not w.message(0).flags & msgr.MESSAGE_SEEN  # only incoming entries are "seen"
    [info] = msgr.ui.windows(rt)
    assert info.unseen_count == 0
    with pytest.raises(msgr.Error) as e:
        msgr.ui.history_seen(w, 5)
    assert e.value.hresult == msgr.E_INVALIDARG
    msgr.ui.set_chat_state(w, "MSGR_CHAT_STATE_COMPOSING")
    msgr.ui.set_chat_state(w, 3)  # PAUSED, by number
    with pytest.raises(ValueError):
        msgr.ui.set_chat_state(w, "MSGR_CHAT_STATE_DANCING")
    with pytest.raises(msgr.Error) as e:
        msgr.ui.set_chat_state(w, 42)
    assert e.value.hresult == msgr.E_INVALIDARG


def test_the_conversation_is_there_after_a_restart(private_data_home):
    with msgr.Runtime() as rt:
        sign_in(rt)
        w = rt.instant_message("echo@loopback")
        send_and_wait_read(rt, w, "remember me \u00e9\U0001F600")
        stored = [m.stored_id for m in w.history]
    assert os.listdir(os.path.join(str(private_data_home), "msgr", "history"))
    with msgr.Runtime() as rt:
        sign_in(rt)
        w = rt.instant_message("echo@loopback")
        history = w.history
        assert [m.text for m in history] == ["remember me \u00e9\U0001F600"] * 2
        assert [m.stored_id for m in history] == stored
        assert history[0].delivery == "MSGR_DELIVERY_READ"
        assert w.fetch_older() is False  # the loopback service keeps no archive


def test_search_finds_opens_and_releases(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    send_and_wait_read(rt, w, "a needle in the haystack")
    send_and_wait_read(rt, w, "nothing here")
    w.close_window()
    done = []
    rt.subscribe(lambda ev: done.append((ev.index, ev.hr)), "MSGR_EVENT_SEARCH_DONE")
    with rt.search("NEEDL", 10) as search:
        assert search.id != 0
        tick_until(rt, lambda: done)
        assert done == [(search.id, msgr.S_OK)]
        hits = search.hits
        assert len(hits) == 2
        for hit in hits:
            assert hit.text == "a needle in the haystack"
            assert "\x02needle\x03" in hit.snippet
            assert hit.contact.signin_name == "echo@loopback"
            assert hit.kind == "MSGR_WINDOW_CONVERSATION"
            assert hit.stored_id in [m.stored_id for m in w.history]
        assert {h.direction for h in hits} == {"MSGR_MESSAGE_OUTGOING", "MSGR_MESSAGE_INCOMING"}
        opened = search.open(0)
        assert not opened.is_closed
        assert opened.contact.signin_name == "echo@loopback"
        [info] = msgr.ui.windows(rt)
        assert info.scroll_serial != 0
        assert opened.message(info.scroll_index).stored_id == hits[0].stored_id
    assert search.released
    with pytest.raises(msgr.Error) as e:
        search.hits
    assert e.value.hresult == msgr.E_INVALIDARG
    for bad in ("", "a\0b"):
        with pytest.raises(msgr.Error) as e:
            rt.search(bad)
        assert e.value.hresult == msgr.E_INVALIDARG


def test_search_before_signin_is_refused(rt):
    with pytest.raises(msgr.Error) as e:
        rt.search("anything")
    assert e.value.hresult == msgr.E_NOT_LOGGED_ON


def test_forgetting_a_contact_and_everything(private_data_home):
    with msgr.Runtime() as rt:
        sign_in(rt)
        echo = rt.instant_message("echo@loopback")
        send_and_wait_read(rt, echo, "forget this")
        friend = rt.instant_message("friend@loopback")
        msgr.ui.send(friend, "keep this")
        rt.get_contact("echo@loopback").forget_history()
        assert echo.history == []
        assert [m.text for m in friend.history] == ["keep this"]
    with msgr.Runtime() as rt:
        sign_in(rt)
        assert rt.instant_message("echo@loopback").history == []
        friend = rt.instant_message("friend@loopback")
        assert [m.text for m in friend.history] == ["keep this"]
        rt.forget_all_history()
        assert friend.history == []
