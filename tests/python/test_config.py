"""A runtime from a configuration file: the issue's rt.page("pat@example.com") with the paging
add-in's own mobile list, and the page written to a real outbox file."""
import json

import msgr
from conftest import Recorder, tick_until


def write_config(tmp_path, outbox):
    conf = tmp_path / "conf.toml"
    conf.write_text(
        "[runtime]\nmax_windows = 4\n\n"
        "[paging]\n"
        'mobile = ["pat@example.com"]\n'
        'gateway = "outbox"\n'
        "outbox = %s\n" % json.dumps(str(outbox)))
    return conf


def test_page_pat_at_example_com_through_the_outbox(tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    with msgr.Runtime(write_config(tmp_path, outbox)) as rt:
        rec = Recorder()
        rt.subscribe(rec)
        rt.signin("player@loopback")
        tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNIN"))
        pat = rt.get_contact("pat@example.com")
        assert pat.can_page
        pw = rt.page("pat@example.com")
        assert pw.kind == "MSGR_WINDOW_PAGE" and pw.contact is pat
        assert rt.page(pat) is pw                              # the open page window again
        index = msgr.ui.send(pw, "the build is green \u2705")
        tick_until(rt, lambda: pw.history[index].delivery != "MSGR_DELIVERY_PENDING")
        page = pw.history[index]
        assert page.delivery == "MSGR_DELIVERY_SENT", msgr.hresult_name(page.delivery_result)
        assert page.is_page
        [line] = outbox.read_text(encoding="utf-8").splitlines()
        record = json.loads(line)
        assert record["to"] == "pat@example.com" and record["from"] == "player@loopback"
        assert record["text"] == "the build is green \u2705"
        deliveries = rec.of("MSGR_EVENT_DELIVERY_CHANGE")
        assert deliveries and deliveries[-1][1] == msgr.S_OK and deliveries[-1][3] == index


def test_the_window_cap_of_the_file_applies(tmp_path):
    with msgr.Runtime(write_config(tmp_path, tmp_path / "o.jsonl")) as rt:
        rec = Recorder()
        rt.subscribe(rec)
        rt.signin("player@loopback")
        tick_until(rt, lambda: rec.of("MSGR_EVENT_SIGNIN"))
        windows = [rt.instant_message("friend%d@loopback" % i) for i in range(4)]
        assert len(set(windows)) == 4
        try:
            rt.instant_message("one-too-many@loopback")
            raise AssertionError("the fifth window must be refused")
        except msgr.Error as e:
            assert e.name == "MSGR_E_FAIL" and e.message
