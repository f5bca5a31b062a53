// The README's C++ embedding example, verbatim between the markers. It is built as C++17 with
// -Wall -Wextra -Wpedantic -Werror against libmsgr.so and run by ctest, so the README's code
// really compiles and works.
// README-SNIPPET-BEGIN
#include <msgr/msgr.hpp>

#include <cstdio>
#include <string_view>

int main() {
    auto created = msgr::Runtime::create();  // no configuration: the loopback service
    if (!created) {
        (void)std::fprintf(stderr, "msgr: %s: %s\n", created.name(), msgr::last_error());
        return 1;
    }
    msgr::Runtime rt = std::move(*created);

    bool signed_in = false;
    rt.events().on_signin.connect([&](msgr_hresult hr) {
        std::printf("signed in: %s\n", msgr::hresult_name(hr));
        signed_in = msgr::succeeded(hr);
    });
    rt.events().on_message_received.connect(
        [](const msgr::Window &, const msgr::Contact &from, std::string_view text) {
            std::printf("%s says: %.*s\n", from.signin_name().value_or("?").c_str(),
                        static_cast<int>(text.size()), text.data());
        });

    if (!rt.signin("player@loopback")) return 1;  // completes on a later tick
    for (int frame = 0; frame < 10 && !signed_in; ++frame) {
        (void)rt.tick();  // once a frame, on the thread that created the runtime
    }

    // IMessenger::InstantMessage: opens (or returns) the conversation window.
    msgr::Result<msgr::Window> window = rt.instant_message("echo@loopback");
    if (!window) {
        (void)std::fprintf(stderr, "InstantMessage: %s\n", msgr::describe(window.hr()).c_str());
        return 1;
    }
    (void)window->set_draft("Hi!");  // automation may prefill; only the user presses Send
    return 0;
}
// README-SNIPPET-END
