"""The whole surface of issue 10's snippet, against the embedded default runtime (the loopback
service, where echo@loopback answers and mobile@loopback can be paged)."""
import datetime
import gc

import msgr
from conftest import Recorder, tick_until


def test_the_issue_snippet_end_to_end():
    with msgr.Runtime() as rt:                          # embedded default
        seen = []
        rt.subscribe(lambda ev: seen.append((ev.type, ev.hr, ev.text)))
        rt.signin("player@loopback")
        rt.tick()
        tick_until(rt, lambda: ("MSGR_EVENT_SIGNIN", msgr.S_OK, None) in seen)
        w = rt.instant_message("echo@loopback")
        assert isinstance(w, msgr.Window)
        assert w.kind == "MSGR_WINDOW_CONVERSATION"
        assert msgr.ui.send(w, "hello") == 0               # its history index
        tick_until(rt, lambda: any(t == "MSGR_EVENT_MESSAGE_RECEIVED" for t, _, _ in seen))
        assert ("MSGR_EVENT_MESSAGE_RECEIVED", msgr.S_OK, "hello") in seen
        assert [m.text for m in w.history] == ["hello", "hello"]
        pw = rt.page("mobile@loopback")
        assert pw.kind == "MSGR_WINDOW_PAGE"
        try:
            rt.script_invoke("Page", "pat@example.com")
            raise AssertionError("script_invoke('Page') must raise")
        except msgr.Error as e:
            assert e.hresult == msgr.E_NOTIMPL
            assert e.name == "MSGR_E_NOTIMPL"
    assert rt.closed


def test_event_types_are_names_in_the_order_raised(rt, recorder):
    rt.signin("player@loopback")
    tick_until(rt, lambda: recorder.of("MSGR_EVENT_SIGNIN"))
    types = recorder.types()
    assert "MSGR_EVENT_ADDIN_STATE_CHANGE" in types
    assert types.index("MSGR_EVENT_SIGNIN") > types.index("MSGR_EVENT_ADDIN_STATE_CHANGE")
    assert all(t.startswith("MSGR_EVENT_") for t in types)


def test_event_fields_for_a_received_message_and_its_delivery(signed_in):
    rt = signed_in
    got = []

    def on_event(ev):
        if ev.type in ("MSGR_EVENT_MESSAGE_RECEIVED", "MSGR_EVENT_DELIVERY_CHANGE"):
            got.append((ev.type, ev.hr_name, ev.text, ev.index, ev.window.kind,
                        ev.contact.signin_name if ev.contact else None))

    rt.subscribe(on_event)
    w = rt.instant_message("echo@loopback")
    index = msgr.ui.send(w, "ping")
    tick_until(rt, lambda: any(g[0] == "MSGR_EVENT_MESSAGE_RECEIVED" for g in got))
    # SENT first; the echo's receipts (DELIVERED, READ) come around its reply.
    assert got[0] == ("MSGR_EVENT_DELIVERY_CHANGE", "MSGR_S_OK", None, index,
                      "MSGR_WINDOW_CONVERSATION", "echo@loopback")
    received = [g for g in got if g[0] == "MSGR_EVENT_MESSAGE_RECEIVED"]
    assert received == [("MSGR_EVENT_MESSAGE_RECEIVED", "MSGR_S_OK", "ping", index + 1,
                         "MSGR_WINDOW_CONVERSATION", "echo@loopback")]
    assert all(g[3] == index for g in got if g[0] == "MSGR_EVENT_DELIVERY_CHANGE")


def test_history_fields(signed_in):
    rt = signed_in
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    w = rt.instant_message("echo@loopback")
    msgr.ui.send(w, "one")
    tick_until(rt, lambda: len(w.history) == 2 and w.history[0].delivery == "MSGR_DELIVERY_READ")
    sent, echoed = w.history
    assert sent.direction == "MSGR_MESSAGE_OUTGOING"
    assert sent.delivery == "MSGR_DELIVERY_READ"  # the echo read it
    assert sent.delivery_result == msgr.S_OK
    assert echoed.direction == "MSGR_MESSAGE_INCOMING"
    assert echoed.delivery == "MSGR_DELIVERY_NONE"
    for m in (sent, echoed):
        assert m.text == "one"
        assert m.flags == 0 and not m.is_page
        assert isinstance(m.time, datetime.datetime) and m.time.tzinfo is not None
        assert before <= m.time <= datetime.datetime.now(datetime.timezone.utc)
        assert m.time_unix_ms == int(round(m.time.timestamp() * 1000))


def test_a_page_windows_history_is_marked_as_pages(signed_in):
    rt = signed_in
    pw = rt.page("mobile@loopback")
    assert msgr.ui.max_page_length(rt) == 160
    msgr.ui.send(pw, "call me")
    tick_until(rt, lambda: pw.history and pw.history[0].delivery != "MSGR_DELIVERY_PENDING")
    page = pw.history[0]
    assert page.text == "call me"
    assert page.flags & msgr.MESSAGE_PAGE and page.is_page
    assert page.delivery == "MSGR_DELIVERY_SENT"


def test_a_contact_object_is_accepted_and_the_open_window_comes_back(signed_in):
    rt = signed_in
    echo = rt.get_contact("echo@loopback")
    assert echo.signin_name == "echo@loopback"
    assert echo.service_id == "loopback"
    assert echo.status == msgr.STATUS_ONLINE
    assert not echo.is_self
    assert rt.get_contact("echo@loopback") is echo       # the same contact, the same object
    w = rt.instant_message(echo)
    assert rt.instant_message("echo@loopback") is w      # the open window, the same object
    assert w.contact is echo
    mobile = rt.get_contact("mobile@loopback")
    assert mobile.can_page and not echo.can_page
    assert rt.page(mobile).kind == "MSGR_WINDOW_PAGE"
    names = sorted(c.signin_name for c in rt.my_contacts)
    assert "echo@loopback" in names and "mobile@loopback" in names


def test_s_false_when_focus_is_not_allowed(signed_in):
    rt = signed_in
    rt.set_focus_allowed(False)
    w = rt.instant_message("echo@loopback")          # a success: the window is shown
    assert rt.last_hresult == msgr.S_FALSE
    assert w.show() is False                         # S_FALSE: no focus
    rt.set_focus_allowed(True)
    assert w.show() is True and rt.last_hresult == msgr.S_OK
    assert rt.instant_message("echo@loopback") is w and rt.last_hresult == msgr.S_OK


def test_window_geometry_draft_and_close(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    w.left, w.top, w.width, w.height = 10, 20, 300, 200
    assert (w.left, w.top, w.width, w.height) == (10, 20, 300, 200)
    w.draft = "Hi! \u00e9\U0001F600"
    assert w.draft == "Hi! \u00e9\U0001F600"
    [info] = msgr.ui.windows(rt)
    assert info.window is w and (info.left, info.width) == (10, 300)
    msgr.ui.window_moved(w, 1, 2, 3, 4)
    assert (w.left, w.top, w.width, w.height) == (1, 2, 3, 4)
    assert not w.is_closed
    assert w.close_window() is True
    assert w.is_closed
    assert w.close_window() is False                 # S_FALSE: closed already
    assert msgr.ui.windows(rt) == []


def test_status_signout_and_names(signed_in):
    rt = signed_in
    assert rt.my_signin_name == "player@loopback"
    assert rt.my_service_id == "loopback"
    assert rt.my_status == msgr.STATUS_ONLINE
    assert rt.set_my_status("MSGR_STATUS_BUSY") is True
    assert rt.set_my_status(msgr.STATUS_BUSY) is False    # MSGR_S_ALREADY_IN_THE_MODE
    assert rt.last_hresult == msgr.S_ALREADY_IN_THE_MODE
    assert msgr.status_name(rt.my_status) == "MSGR_STATUS_BUSY"
    w = rt.instant_message("echo@loopback")
    rec = Recorder()
    rt.subscribe(rec)
    rt.signout()
    tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNOUT"))
    assert w.is_closed
    assert "MSGR_EVENT_IM_WINDOW_DESTROYED" in rec.types()


def test_addins_are_listed(rt):
    addins = {a.name: a for a in rt.addins}
    assert addins["loopback"].state == "MSGR_ADDIN_LOADED"
    assert addins["paging"].state == "MSGR_ADDIN_LOADED"
    assert addins["paging"].provides & 0x1 and addins["paging"].abi_major == 1
    assert addins["paging"].path.endswith("paging.so")
    gc.collect()
