// Reading an add-in's descriptor from a library that is loaded (dlopen), with every pointer
// followed only into the library's own image: shared by the runtime (in-process add-ins) and the
// add-in host program (isolated add-ins), so that both check exactly the same way.
#pragma once

#include <string>
#include <string_view>

#include "msgr/addin.h"
#include "protocol.hpp"

namespace msgr::core {

// Whether n is an add-in (or contact service) name: 1-64 letters, digits, '-', '_', '.'.
bool valid_addin_name(std::string_view n) noexcept;

// Why an add-in is refused: the result code, the kind and the words.
struct Refusal {
    msgr_hresult hr = MSGR_S_OK;
    msgr_addin_problem problem = MSGR_ADDIN_PROBLEM_NONE;
    std::string reason;
};

struct DescriptorInfo {
    wire::Descriptor fields;       // bounded copies of its strings
    msgr_addin_descriptor desc{};  // a copy of the descriptor (its load and unload)
};

// Finds MSGR_ADDIN_ENTRY_SYMBOL in the loaded library (native dlopen handle), checks that the
// entry point and the descriptor it returns lie in the library's own image, calls it (add-in
// code: an exception is a refusal) and reads and checks the descriptor (size, magic, ABI, name,
// strings, load/unload in its code). false with why on any refusal.
bool read_descriptor(void *native_handle, DescriptorInfo &out, Refusal &why);

// The checks of descriptor fields that do not need the image (name valid, ABI acceptable,
// dependencies valid): the runtime applies them again to what an add-in process reports.
bool check_descriptor_fields(const wire::Descriptor &d, Refusal &why);

}  // namespace msgr::core
