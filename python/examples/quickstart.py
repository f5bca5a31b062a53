"""Embedding msgr from Python: the README's example, run by the test python.install from an
installed, relocated prefix (PYTHONPATH=<prefix>/lib/python3/dist-packages, no LD_LIBRARY_PATH)."""
import time

import msgr

with msgr.Runtime() as rt:                    # embedded default; msgr.Runtime("conf.toml"): a file
    received = []

    def callback(event):                      # every event; event.type is a name
        print(event.type, event.hr_name, event.text or "")
        if event.type == "MSGR_EVENT_MESSAGE_RECEIVED":
            received.append(event.text)

    rt.subscribe(callback)
    rt.signin("player@loopback")              # starts sign-in; raises msgr.Error on failure
    rt.tick()                                 # what a host calls once a frame
    w = rt.instant_message("echo@loopback")   # a msgr.Window (a contact object is accepted too)
    msgr.ui.send(w, "hello")                  # the UI surface (the host is the UI here)
    for frame in range(500):                  # a few frames, until echo answered
        rt.tick()
        if received:
            break
        time.sleep(0.01)
    print([m.text for m in w.history])        # each with .direction, .delivery, .time, .flags
    pw = rt.page("mobile@loopback")           # a page window (the host may page; scripts may not:)
    print(pw.kind)
    try:
        rt.script_invoke("Page", "mobile@loopback")
    except msgr.Error as e:                   # E_NOTIMPL, as the Page documentation says
        print(e.name, msgr.hresult_hex(e.hresult), e.message)
# leaving the with block released w and pw, then destroyed the runtime
