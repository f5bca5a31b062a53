"""Text crosses the boundary exactly: UTF-8 of every script both ways, text with NUL bytes from
the network (history always gives its size; events give it once msgr_event has text_size, and
the NUL-terminated text before), and bytes that were not UTF-8 arrive repaired, not as a Python
exception."""
import os

import msgr
from conftest import source_dir, tick_until


def received_texts(rt):
    texts = []
    rt.subscribe(lambda ev: texts.append(ev.text), "MSGR_EVENT_MESSAGE_RECEIVED")
    return texts


def header_has_event_text_size():
    with open(os.path.join(source_dir(), "sdk", "include", "msgr", "msgr.h")) as f:
        header = f.read()
    event = header[header.index("typedef struct msgr_event {"):]
    return "text_size" in event[:event.index("} msgr_event;")]


def say_hex(rt, sender, data):
    control = rt.instant_message("control@loopback")
    msgr.ui.send(control, "say-hex %s %s" % (sender, data.hex()))


def test_every_script_round_trips_through_echo(signed_in):
    rt = signed_in
    texts = received_texts(rt)
    text = "h\u00e9llo \u2705 \u0645\u0631\u062d\u0628\u0627 \u4f60\u597d " \
           "\U0001F469\u200D\U0001F469\u200D\U0001F467"
    w = rt.instant_message("echo@loopback")
    msgr.ui.send(w, text)
    tick_until(rt, lambda: texts)
    assert texts == [text]
    assert [m.text for m in w.history] == [text, text]
    w.draft = text
    assert w.draft == text


def test_text_with_nul_bytes_from_the_network(signed_in):
    rt = signed_in
    texts = received_texts(rt)
    say_hex(rt, "friend@loopback", b"a\x00b\nc")
    tick_until(rt, lambda: len(texts) >= 2)  # the message, and the control contact's "ok"
    friend = rt.instant_message("friend@loopback")
    assert [m.text for m in friend.history] == ["a\x00b\nc"]  # history: the whole text
    event_text = texts[0]
    if header_has_event_text_size():
        assert event_text == "a\x00b\nc"
    else:
        assert event_text == "a"  # a runtime without msgr_event.text_size: up to the NUL


def test_bytes_that_are_not_utf8_arrive_repaired(signed_in):
    rt = signed_in
    texts = received_texts(rt)
    say_hex(rt, "friend@loopback", b"a\xffb\xc3")
    tick_until(rt, lambda: len(texts) >= 2)  # no UnicodeDecodeError out of tick
    friend = rt.instant_message("friend@loopback")
    [m] = friend.history
    assert m.text == texts[0]
    assert m.text.startswith("a") and "b" in m.text and "\ufffd" in m.text


def test_event_text_reads_text_size_only_when_struct_size_covers_it(rt):
    # msgr_event as a runtime with text_size raises it, and as one from before that field: the
    # same bytes, "a\0b" with its size, read whole in the first case and up to the NUL in the
    # second (where the memory past struct_size is not the runtime's to read).
    import ctypes
    from msgr import _abi
    from msgr._core import Event

    data = ctypes.create_string_buffer(b"a\x00b")
    ev = _abi.msgr_event()
    ev.type = 9
    ev.text = ctypes.cast(data, ctypes.c_void_p)
    ev.text_size = 3
    ev.struct_size = ctypes.sizeof(_abi.msgr_event)
    assert Event(rt, ev).text == "a\x00b"
    assert Event(rt, ev).type == "MSGR_EVENT_MESSAGE_RECEIVED"
    ev.struct_size = _abi.msgr_event.text_size.offset
    assert Event(rt, ev).text == "a"
