"""msgr.Error: the exact result code (a signed 32-bit int, as msgr_hresult is in C), its name and
msgr_last_error() of the failing call, for every failing call; S_FALSE is not an error."""
import pytest

import msgr


def expect(hresult_name, fn, *args):
    with pytest.raises(msgr.Error) as info:
        fn(*args)
    e = info.value
    assert e.name == hresult_name
    assert e.hresult == getattr(msgr, hresult_name[len("MSGR_"):])
    return e


def test_invalidarg_exact_value_name_and_message(rt):
    e = expect("MSGR_E_INVALIDARG", rt.instant_message, " leading space")
    assert e.hresult == -2147024809                       # signed, as C's int32_t
    assert msgr.hresult_hex(e.hresult) == "0x80070057"
    assert e.hresult & 0xFFFFFFFF == 0x80070057
    assert e.message == msgr.last_error() != ""           # the C library's own reason
    assert str(e) == "[MSGR_E_INVALIDARG 0x80070057] " + e.message
    assert isinstance(e, Exception)


def test_not_logged_on(rt):
    e = expect("MSGR_E_NOT_LOGGED_ON", rt.instant_message, "echo@loopback")
    assert e.hresult == -2130705634 and msgr.hresult_hex(e.hresult) == "0x8100031E"
    assert e.message == msgr.last_error() and e.message
    expect("MSGR_E_NOT_LOGGED_ON", rt.signout)
    expect("MSGR_E_NOT_LOGGED_ON", lambda: rt.my_signin_name)


def test_script_invoke_page_is_notimpl_as_the_page_documentation_says(signed_in):
    rt = signed_in
    e = expect("MSGR_E_NOTIMPL", rt.script_invoke, "Page", "mobile@loopback")
    assert msgr.hresult_hex(e.hresult) == "0x80004001"
    assert e.message == msgr.last_error()
    assert "Page" in e.message and "script" in e.message
    # InstantMessage is scriptable; another name is E_NOTIMPL too.
    assert rt.script_invoke("InstantMessage", "echo@loopback").kind == "MSGR_WINDOW_CONVERSATION"
    e = expect("MSGR_E_NOTIMPL", rt.script_invoke, "Nope", "echo@loopback")
    assert "Nope" in e.message


def test_the_documented_instant_message_and_page_rows(signed_in):
    rt = signed_in
    expect("MSGR_E_INVALIDARG", rt.instant_message, None)      # VT_EMPTY
    expect("MSGR_E_INVALIDARG", rt.instant_message, "")
    expect("MSGR_E_INVALIDARG", rt.instant_message, "a\nb@loopback")
    expect("MSGR_E_INVALIDARG", rt.instant_message, "x" * 130 + "@loopback")
    expect("MSGR_E_FAIL", rt.instant_message, "player@loopback")    # the local user
    expect("MSGR_E_PAGING_UNAVAILABLE", rt.page, "echo@loopback")
    rt.set_signin_dialog_visible(True)
    assert rt.signin_dialog_visible
    expect("MSGR_E_FAIL", rt.page, "mobile@loopback")
    rt.set_signin_dialog_visible(False)
    expect("MSGR_E_ALREADY_LOGGED_ON", rt.signin, "player@loopback")


def test_strings_c_cannot_take_are_refused_before_the_call(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    e = expect("MSGR_E_INVALIDARG", msgr.ui.send, w, "a\0b")
    assert "NUL" in e.message
    expect("MSGR_E_INVALIDARG", msgr.ui.send, w, "\udcff")     # a lone surrogate
    expect("MSGR_E_INVALIDARG", rt.instant_message, "echo\0@loopback")
    assert w.history == []                                     # nothing was sent
    with pytest.raises(TypeError):
        msgr.ui.send(w, 42)


def test_window_and_ui_failures(signed_in):
    rt = signed_in
    w = rt.instant_message("echo@loopback")
    e = expect("MSGR_E_INVALIDARG", setattr, w, "width", 0)
    assert "positive" in e.message
    expect("MSGR_E_INVALIDARG", msgr.ui.send, w, "")
    w.close_window()
    expect("MSGR_E_FAIL", msgr.ui.send, w, "too late")
    expect("MSGR_E_INVALIDARG", rt.unload_addin, "no-such-addin")
    expect("MSGR_E_INVALIDARG", rt.subscribe, print, "MSGR_EVENT_NOPE")
    expect("MSGR_E_INVALIDARG", rt.subscribe, print, 99)       # refused by the runtime


def test_busy_addin_cannot_be_unloaded(signed_in):
    rt = signed_in
    rt.page("mobile@loopback")
    e = expect("MSGR_E_BUSY", rt.unload_addin, "paging")
    assert e.message


def test_missing_config_file_is_file_not_found(tmp_path):
    missing = tmp_path / "nope.toml"
    e = expect("MSGR_E_FILE_NOT_FOUND", msgr.Runtime, missing)
    assert msgr.hresult_hex(e.hresult) == "0x80070002"
    assert str(missing) in e.message and e.message == msgr.last_error()


def test_malformed_config_is_invalid_data_with_where(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[runtime]\nmax_windows = \n")
    e = expect("MSGR_E_INVALID_DATA", msgr.Runtime, str(bad))
    assert "bad.toml" in e.message and ":2" in e.message
    typo = tmp_path / "typo.toml"
    typo.write_text("[runtime]\nmax_window = 3\n")
    e = expect("MSGR_E_INVALID_DATA", msgr.Runtime, typo)
    assert "max_window" in e.message
