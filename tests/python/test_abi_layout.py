"""The ctypes declarations mirror the C headers exactly: every struct's size and every field's
offset, the enums' widths, and the values of the result codes and statuses, as a C compiler
sees them in sdk/include."""
import ctypes
import os
import subprocess

import pytest

import pathlib
import re

import msgr
from msgr import _abi
from conftest import source_dir

# msgr_event.text_size is the field being added to the C ABI in parallel: before that change
# the header does not have it, and the binding must then find it past the event's end.
NEW_FIELDS = {("msgr_event", "text_size")}
# The enums the binding names itself (the library has no name helper for them): value -> name.
ENUM_TABLES = (_abi.VARTYPES, _abi.LOG_LEVELS, _abi.WINDOW_KINDS, _abi.MESSAGE_DIRECTIONS,
               _abi.DELIVERY_STATES, _abi.ADDIN_STATES, _abi.ADDIN_PROBLEMS,
               _abi.ADDIN_ISOLATIONS, _abi.CHAT_STATES)


def c_program(with_new_fields):
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <msgr/msgr.h>",
             "#include <msgr/ui.h>", "#include <msgr/addin.h>", "int main(void) {"]
    for struct in _abi.STRUCTS:
        name = struct.__name__
        lines.append('printf("%s %%zu\\n", sizeof(%s));' % (name, name))
        for field, _ in struct._fields_:
            if (name, field) in NEW_FIELDS and not with_new_fields:
                continue
            lines.append('printf("%s.%s %%zu\\n", offsetof(%s, %s));'
                         % (name, field, name, field))
            lines.append('printf("%s.%s.size %%zu\\n", sizeof(((%s *)0)->%s));'
                         % (name, field, name, field))
    for enum in ("msgr_vartype", "msgr_log_level", "msgr_window_kind",
                 "msgr_message_direction", "msgr_delivery_state", "msgr_event_type",
                 "msgr_addin_state", "msgr_chat_state"):
        lines.append('printf("%s %%zu\\n", sizeof(%s));' % (enum, enum))
    for name in list(_abi.HRESULTS) + list(_abi.STATUSES):
        lines.append('printf("%s %%lld\\n", (long long)%s);' % (name, name))
    for table in ENUM_TABLES:
        for name in table.values():
            lines.append('printf("%s %%d\\n", (int)%s);' % (name, name))
    for name in _abi.ADDIN_PROVIDES:
        lines.append('printf("%s %%u\\n", (unsigned)%s);' % (name, name))
    lines.append('printf("MSGR_EVENT_TYPE_COUNT_ %d\\n", (int)MSGR_EVENT_TYPE_COUNT_);')
    for name in _abi.MESSAGE_FLAGS:
        lines.append('printf("%s %%u\\n", (unsigned)%s);' % (name, name))
    lines.append("return 0; }")
    return "\n".join(lines) + "\n"


def compile_and_run(tmp_path, with_new_fields):
    src = tmp_path / "layout.c"
    exe = tmp_path / "layout"
    src.write_text(c_program(with_new_fields))
    cc = os.environ.get("MSGR_C_COMPILER", "cc")
    built = subprocess.run([cc, "-std=c99", "-I", os.path.join(source_dir(), "sdk", "include"),
                            str(src), "-o", str(exe)], capture_output=True, text=True)
    if built.returncode != 0:
        return None, built.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return dict(line.rsplit(" ", 1) for line in out.splitlines()), ""


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    values, _ = compile_and_run(tmp, with_new_fields=True)
    if values is not None:
        return values, True
    values, err = compile_and_run(tmp, with_new_fields=False)
    assert values is not None, err
    return values, False


@pytest.mark.parametrize("struct", _abi.STRUCTS, ids=lambda s: s.__name__)
def test_struct_layout_is_the_c_layout(c_layout, struct):
    values, has_new_fields = c_layout
    name = struct.__name__
    assert struct._fields_[0][0] == "struct_size" or name == "msgr_variant"
    for field, _ in struct._fields_:
        key = "%s.%s" % (name, field)
        if key in values:
            assert getattr(struct, field).offset == int(values[key]), key
            assert getattr(struct, field).size == int(values[key + ".size"]), key
    if (name, "text_size") in NEW_FIELDS and not has_new_fields:
        # The header of before the change: text_size is the first byte past its msgr_event.
        assert _abi.msgr_event.text_size.offset == int(values[name])
        assert ctypes.sizeof(struct) == int(values[name]) + ctypes.sizeof(ctypes.c_size_t)
    else:
        assert ctypes.sizeof(struct) == int(values[name]), name


def test_enums_are_four_bytes_as_declared(c_layout):
    values, _ = c_layout
    for enum in ("msgr_vartype", "msgr_log_level", "msgr_window_kind", "msgr_message_direction",
                 "msgr_delivery_state", "msgr_event_type", "msgr_addin_state", "msgr_chat_state"):
        assert int(values[enum]) == ctypes.sizeof(_abi.c_enum), enum


def test_result_codes_and_statuses_have_the_c_values(c_layout):
    values, _ = c_layout
    for name, value in list(_abi.HRESULTS.items()) + list(_abi.STATUSES.items()):
        assert int(values[name]) == value, name
        assert getattr(msgr, name[len("MSGR_"):]) == value
    for name, value in _abi.HRESULTS.items():
        assert msgr.hresult_name(value) == name
    assert int(values["MSGR_EVENT_TYPE_COUNT_"]) >= _abi.EVENT_TYPE_COUNT
    for name, value in _abi.MESSAGE_FLAGS.items():
        assert int(values[name]) == value, name
        assert getattr(msgr, name[len("MSGR_"):]) == value


def test_the_package_loaded_the_build_trees_library():
    # Found relative to the package (PYTHONPATH is build/lib/python3/dist-packages): no
    # LD_LIBRARY_PATH in this test's environment.
    assert "LD_LIBRARY_PATH" not in os.environ
    build_lib = os.path.join(os.environ["MSGR_BUILD_DIR"], "lib")
    assert os.path.dirname(msgr.library_path) == os.path.realpath(build_lib) or \
        os.path.dirname(msgr.library_path) == os.path.normpath(build_lib)
    assert msgr.version().split(".")[0] == "0"


def test_enum_values_the_binding_names_are_the_c_values(c_layout):
    values, _ = c_layout
    for table in ENUM_TABLES:
        for value, name in table.items():
            assert int(values[name]) == value, name
    for name, value in _abi.ADDIN_PROVIDES.items():
        assert int(values[name]) == value, name


def test_every_event_type_of_the_header_has_its_name_in_the_library(c_layout):
    values, _ = c_layout
    names = [msgr.event_type_name(v) for v in range(1, int(values["MSGR_EVENT_TYPE_COUNT_"]))]
    assert "UNKNOWN_EVENT" not in names and names[0] == "MSGR_EVENT_SIGNIN"
    assert msgr.event_type_name(int(values["MSGR_EVENT_TYPE_COUNT_"])) == "UNKNOWN_EVENT"


def test_every_delivery_state_has_its_name_in_the_library():
    for value, name in _abi.DELIVERY_STATES.items():
        assert msgr.delivery_state_name(value) == name
    for bad in (-1, 6, 99, -2147483648):
        assert msgr.delivery_state_name(bad) == "UNKNOWN_DELIVERY"


def test_the_binding_names_every_code_and_enum_value_of_the_headers():
    """A result code, status or enum value added to the C headers must be added here too: the
    layout test above only checks the values the binding already names."""
    include = pathlib.Path(source_dir()) / "sdk" / "include" / "msgr"
    text = "".join((include / h).read_text() for h in ("msgr.h", "ui.h", "addin.h"))
    codes = set(re.findall(r"#define (MSGR_\w+) MSGR_HR\(", text))
    flags = set(re.findall(r"#define (MSGR_MESSAGE_\w+) 0x", text))
    assert flags and flags <= set(_abi.MESSAGE_FLAGS), sorted(flags - set(_abi.MESSAGE_FLAGS))
    assert codes, "no result codes found in msgr.h"
    assert codes <= set(_abi.HRESULTS), sorted(codes - set(_abi.HRESULTS))
    named = set()
    for table in ENUM_TABLES:
        named |= set(table.values())
    for enum in ("msgr_vartype", "msgr_log_level", "msgr_window_kind", "msgr_message_direction",
                 "msgr_delivery_state", "msgr_addin_state", "msgr_addin_problem",
                 "msgr_addin_isolation", "msgr_chat_state"):
        body = re.search(r"typedef enum %s \{(.*?)\}" % enum, text, re.S)
        assert body, enum
        members = set(re.findall(r"\b(MSGR_[A-Z0-9_]+)\s*=", body.group(1)))
        assert members, enum
        assert members <= named, (enum, sorted(members - named))
