"""Conversations with several contacts through the binding, against the embedded default (the
loopback service carries groups; echo@loopback and shout@loopback answer in them):
Window.add_contact / remove_contact / contacts, their result codes and events, and a group
message that reaches every contact with each answer naming its sender."""
import pytest

import msgr
from conftest import tick_until


def test_add_contact_makes_a_group_and_instant_message_keeps_the_one_to_one(signed_in, recorder):
    rt = signed_in
    group = rt.instant_message("echo@loopback")
    assert group.add_contact("shout@loopback") is True
    assert group.add_contact("shout@loopback") is False  # S_FALSE: already there
    assert [c.signin_name for c in group.contacts] == ["echo@loopback", "shout@loopback"]
    echo = rt.instant_message("echo@loopback")
    assert echo != group
    assert [c.signin_name for c in echo.contacts] == ["echo@loopback"]
    tick_until(rt, lambda: recorder.of("MSGR_EVENT_IM_WINDOW_CONTACT_ADDED"))
    assert len(recorder.of("MSGR_EVENT_IM_WINDOW_CONTACT_ADDED")) == 1


@pytest.mark.parametrize("who,code", [
    (None, msgr.E_INVALIDARG),
    (" leading@space", msgr.E_INVALIDARG),
    ("player@loopback", msgr.E_FAIL),  # the local user
])
def test_add_contact_refusals_have_the_documented_codes(signed_in, who, code):
    w = signed_in.instant_message("echo@loopback")
    with pytest.raises(msgr.Error) as e:
        w.add_contact(who)
    assert e.value.hresult == code


def test_past_the_configured_size_is_session_full(tmp_path):
    cfg = tmp_path / "msgr.toml"
    cfg.write_text("[runtime]\nmax_conversation_contacts = 2\n")
    with msgr.Runtime(str(cfg)) as rt:
        seen = []
        rt.subscribe(lambda ev: seen.append((ev.type, ev.hr)))
        rt.signin("player@loopback")
        tick_until(rt, lambda: any(t == "MSGR_EVENT_SIGNIN" for t, _ in seen))
        w = rt.instant_message("echo@loopback")
        assert w.add_contact("shout@loopback")
        with pytest.raises(msgr.Error) as e:
            w.add_contact("third@loopback")
        assert e.value.hresult == msgr.E_SESSION_FULL


def test_a_group_message_reaches_both_bots_and_names_each_sender(signed_in, recorder):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    w.add_contact("shout@loopback")
    msgr.ui.send(w, "hey группа")
    tick_until(rt, lambda: w.history_count >= 3)
    lines = w.history
    assert (lines[0].sender, lines[0].text) == ("player@loopback", "hey группа")
    assert sorted((m.sender, m.text) for m in lines[1:]) == [
        ("echo@loopback", "hey группа"), ("shout@loopback", "HEY группа")]
    assert w.remove_contact("echo@loopback") is True
    assert w.remove_contact("echo@loopback") is False
    with pytest.raises(msgr.Error) as e:
        w.remove_contact("shout@loopback")  # the last one stays
    assert e.value.hresult == msgr.E_FAIL
    tick_until(rt, lambda: recorder.of("MSGR_EVENT_IM_WINDOW_CONTACT_REMOVED"))
