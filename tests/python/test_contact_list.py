"""The contact list through the binding, against the embedded default (the loopback service;
its control contact plays the contacts who answer, ask, rename and block): Runtime.add_contact /
remove_contact / authorize / my_friendly_name / set_my_friendly_name, Contact.blocked /
set_blocked, their result codes and their events. A blocked contact's message goes nowhere."""
import pytest

import msgr
from conftest import tick_until


@pytest.fixture
def seen(signed_in):
    """Every event after sign-in as (type, hr, status, text, the contact's sign-in name)."""
    events = []
    signed_in.subscribe(lambda ev: events.append(
        (ev.type, ev.hr, ev.status, ev.text,
         ev.contact.signin_name if ev.contact is not None else None)))
    return events


def of(events, event_type, contact=None):
    return [e for e in events if e[0] == event_type and (contact is None or e[4] == contact)]


def control(rt, command):
    w = rt.instant_message("control@loopback")
    before = w.history_count
    msgr.ui.send(w, command)
    tick_until(rt, lambda: w.history_count >= before + 2)
    for _ in range(3):
        rt.tick()
    assert w.history[-1].text.startswith("ok"), w.history[-1].text


def test_add_contact_is_answered_by_an_event_with_its_hr(signed_in, seen):
    rt = signed_in
    assert rt.add_contact("friend@loopback") is True
    assert rt.add_contact("friend@loopback") is False  # S_FALSE: asked already
    control(rt, "decline friend@loopback")
    adds = of(seen, "MSGR_EVENT_CONTACT_LIST_ADD", "friend@loopback")
    assert [msgr.hresult_name(e[1]) for e in adds] == ["MSGR_E_FAIL"]
    assert "friend@loopback" not in [c.signin_name for c in rt.my_contacts]
    assert rt.add_contact("friend@loopback") is True
    control(rt, "accept friend@loopback")
    assert "friend@loopback" in [c.signin_name for c in rt.my_contacts]
    friend = rt.get_contact("friend@loopback")
    assert rt.remove_contact(friend) is True
    assert rt.remove_contact(friend) is False
    assert "friend@loopback" not in [c.signin_name for c in rt.my_contacts]


@pytest.mark.parametrize("who,service,code", [
    (None, None, msgr.E_INVALIDARG),
    (" leading@space", None, msgr.E_INVALIDARG),
    ("a@loopback", "no-such-service", msgr.E_INVALIDARG),
    ("player@loopback", None, msgr.E_FAIL),  # the local user
    ("echo@loopback", None, msgr.E_ALREADY_IN_LIST),
])
def test_add_contact_refusals_have_the_documented_codes(signed_in, who, service, code):
    with pytest.raises(msgr.Error) as e:
        signed_in.add_contact(who, service)
    assert e.value.hresult == code


def test_not_signed_in_is_not_logged_on(rt):
    with pytest.raises(msgr.Error) as e:
        rt.add_contact("a@loopback")
    assert e.value.hresult == msgr.E_NOT_LOGGED_ON
    with pytest.raises(msgr.Error) as e:
        rt.set_my_friendly_name("Ann")
    assert e.value.hresult == msgr.E_NOT_LOGGED_ON


def test_a_request_is_raised_and_answered(signed_in, seen):
    rt = signed_in
    control(rt, "request pal@loopback")
    requests = of(seen, "MSGR_EVENT_AUTHORIZATION_REQUEST")
    assert [e[4] for e in requests] == ["pal@loopback"]
    pal = rt.get_contact("pal@loopback")
    assert [c.signin_name for c in rt.authorization_requests] == ["pal@loopback"]
    rt.authorize(pal, True)
    assert rt.authorization_requests == []
    with pytest.raises(msgr.Error) as e:
        rt.authorize(pal, True)  # answered already
    assert e.value.hresult == msgr.E_FAIL
    tick_until(rt, lambda: "pal@loopback" in [c.signin_name for c in rt.my_contacts])


def test_a_blocked_contacts_message_goes_nowhere(signed_in, seen):
    rt = signed_in
    spam = rt.get_contact("spam@loopback")
    assert spam.blocked is False
    assert spam.set_blocked(True) is True
    assert spam.set_blocked(True) is False
    assert spam.blocked is True
    control(rt, "say spam@loopback buy now")
    assert not of(seen, "MSGR_EVENT_MESSAGE_RECEIVED", "spam@loopback")
    assert not of(seen, "MSGR_EVENT_IM_WINDOW_CREATED", "spam@loopback")
    assert spam.set_blocked(False) is True
    control(rt, "say spam@loopback hello")
    w = rt.instant_message("spam@loopback")
    assert [m.text for m in w.history] == ["hello"]
    assert len(of(seen, "MSGR_EVENT_MESSAGE_RECEIVED", "spam@loopback")) == 1
    changes = [e[2] for e in of(seen, "MSGR_EVENT_CONTACT_BLOCK_CHANGE", "spam@loopback")]
    assert changes == [1, 0]
    with pytest.raises(msgr.Error) as e:
        rt.get_contact("player@loopback").set_blocked(True)
    assert e.value.hresult == msgr.E_FAIL


def test_friendly_names_change_with_their_events(signed_in, seen):
    rt = signed_in
    assert rt.my_friendly_name == "player@loopback"
    assert rt.set_my_friendly_name("Игрок 🎮") is True
    assert rt.set_my_friendly_name("Игрок 🎮") is False
    assert rt.my_friendly_name == "Игрок 🎮"
    for bad in ("", "a\nb", "x" * 130):
        with pytest.raises(msgr.Error) as e:
            rt.set_my_friendly_name(bad)
        assert e.value.hresult == msgr.E_INVALIDARG
    control(rt, "rename echo@loopback Echo Deux")
    tick_until(rt, lambda: of(seen, "MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE"))
    assert [e[3] for e in of(seen, "MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE")] == ["Игрок 🎮"]
    assert [e[3] for e in of(seen, "MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE", "echo@loopback")] \
        == ["Echo Deux"]
    assert rt.get_contact("echo@loopback").friendly_name == "Echo Deux"


def test_activities_change_with_their_events(signed_in, seen):
    """Rich presence: Runtime.set_my_activity / my_activity, Contact.activity, and the events
    MSGR_EVENT_MY_ACTIVITY_CHANGE and MSGR_EVENT_CONTACT_ACTIVITY_CHANGE."""
    rt = signed_in
    echo = rt.get_contact("echo@loopback")
    assert echo.activity == "Echoing what you say"  # its own, reported at sign-in
    assert rt.my_activity == ""
    assert rt.set_my_activity("In a match — 3/4 players 🎮") is True
    assert rt.set_my_activity("In a match — 3/4 players 🎮") is False
    assert rt.my_activity == "In a match — 3/4 players 🎮"
    for bad in ("a\nb", "x" * 129, "🎮" * 64 + "x", "a\0b"):
        with pytest.raises(msgr.Error) as e:
            rt.set_my_activity(bad)
        assert e.value.hresult == msgr.E_INVALIDARG
    assert rt.set_my_activity(None) is True  # cleared
    assert rt.set_my_activity("") is False
    control(rt, "activity echo@loopback Racing — lap 2")
    assert [e[3] for e in of(seen, "MSGR_EVENT_MY_ACTIVITY_CHANGE")] \
        == ["In a match — 3/4 players 🎮", ""]
    assert [e[3] for e in of(seen, "MSGR_EVENT_CONTACT_ACTIVITY_CHANGE", "echo@loopback")] \
        == ["Racing — lap 2"]
    assert echo.activity == "Racing — lap 2"
    rt.signout()
    with pytest.raises(msgr.Error) as e:
        rt.set_my_activity("Playing")
    assert e.value.hresult == msgr.E_NOT_LOGGED_ON
    assert echo.activity == ""  # that session's presence
