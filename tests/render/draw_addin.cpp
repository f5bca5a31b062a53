// Test add-ins that draw (add-in ABI 1.2), built with their own copy of ImGui (libimgui.a) as a
// real add-in is. One source, several behaviours chosen at compile time:
//   DRAW_GOOD        draws the window "Drawn by an add-in" with a button while the overlay is open
//   DRAW_THROW       begins a window, then throws
//   DRAW_UNBALANCED  begins a window and pushes a colour and an ID, and ends none of them
//   DRAW_MISMATCH    built with another ImGui data layout (ImDrawIdx is 32-bit), so its check
//                    refuses the host's context
// DRAW_NAME is the add-in's name.
#include <imgui.h>

#include <cstdio>
#include <stdexcept>

#include "msgr/addin.h"
#include "msgr/addin_imgui.hpp"

namespace {

struct State {
    msgr_host_ctx *ctx = nullptr;
    msgr_host_set_error_fn set_error = nullptr;
    msgr_host_log_fn log = nullptr;
    long calls = 0;
};

msgr_hresult draw(void *state, const msgr_draw_context *dc) {
    auto *s = static_cast<State *>(state);
    ++s->calls;
    char why[200];
    if (!msgr_imgui_attach(dc, why, sizeof why)) {
        s->set_error(s->ctx, why);
        return MSGR_E_FAIL;
    }
    if ((dc->flags & MSGR_DRAW_OVERLAY_OPEN) == 0) return MSGR_S_OK;
#if defined(DRAW_THROW)
    ImGui::Begin("Drawn by an add-in that throws");
    throw std::runtime_error("the drawer broke");
#elif defined(DRAW_UNBALANCED)
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 0, 0, 255));
    ImGui::Begin("Drawn by an unbalanced add-in");
    ImGui::PushID("never popped");
    ImGui::TextUnformatted("no End follows");
#else
    ImGui::SetNextWindowPos(ImVec2(40, 500), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(260, 120), ImGuiCond_Always);
    ImGui::Begin("Drawn by an add-in");
    ImGui::TextUnformatted("hello from an add-in");
    ImGui::Button("Add-in button");
    ImGui::End();
#endif
    return MSGR_S_OK;
}

msgr_hresult load(const msgr_host *host, void **state) {
    auto *s = new State;
    s->ctx = host->ctx;
    s->set_error = reinterpret_cast<msgr_host_set_error_fn>(host->get_proc(MSGR_HOST_SET_ERROR));
    s->log = reinterpret_cast<msgr_host_log_fn>(host->get_proc(MSGR_HOST_LOG));
    auto reg =
        reinterpret_cast<msgr_host_register_drawer_fn>(host->get_proc(MSGR_HOST_REGISTER_DRAWER));
    if (reg == nullptr || s->set_error == nullptr) {
        delete s;
        return MSGR_E_NOTIMPL;  // a runtime older than ABI 1.2
    }
    msgr_drawer d{};
    d.struct_size = sizeof d;
    d.state = s;
    d.draw = &draw;
    const msgr_hresult hr = reg(host->ctx, &d);
    if (MSGR_FAILED(hr)) {
        delete s;
        return hr;
    }
    *state = s;
    return MSGR_S_OK;
}

void unload(void *state) {
    delete static_cast<State *>(state);
}

const msgr_addin_descriptor descriptor = {
    sizeof(msgr_addin_descriptor),
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    DRAW_NAME,
    "1.0",
    "a test add-in that draws",
    nullptr,
    nullptr,
    &load,
    &unload,
};

const msgr_addin_descriptor *entry() {
    return &descriptor;
}

}  // namespace

MSGR_ADDIN_ENTRY(entry);
