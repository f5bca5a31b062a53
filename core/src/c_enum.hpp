// Enum values that arrive through the C ABI (from a host, or from an add-in's host-table call).
//
// C lets a caller pass any int where an enum is expected. In C++, loading an unscoped enum whose
// value lies outside the enumeration's range is undefined behaviour (UBSan: "load of value 99,
// which is not a valid value for type 'msgr_event_type'"), and it entitles the optimizer to drop
// the very range check meant to refuse the value. So an enum that came from C is read as its raw
// int, checked, and only then used as the enum.
#pragma once

#include <cstring>
#include <type_traits>

#include "msgr/msgr.h"

namespace msgr::core {

template <typename E>
int raw_enum(const E &e) noexcept {
    static_assert(std::is_enum_v<E> && sizeof(E) == sizeof(int));
    int v = 0;
    std::memcpy(&v, &e, sizeof v);  // the object's bytes: not a load of the enum's value
    return v;
}

// An event type a subscriber may name: 0 (every type) up to the last type.
inline bool valid_event_type(const msgr_event_type &type) noexcept {
    const int v = raw_enum(type);
    return v >= 0 && v < MSGR_EVENT_TYPE_COUNT_;
}

}  // namespace msgr::core
