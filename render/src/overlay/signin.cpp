// The sign-in dialog.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "msgr/addin.h"
#include "msgr/ui.h"
#include "overlay/common.hpp"
#include "overlay/impl.hpp"
#include "words.hpp"

namespace msgr::render {

void Overlay::Impl::draw_signin(std::int32_t my_status) {
    const bool offline = my_status == MSGR_STATUS_OFFLINE || my_status == MSGR_STATUS_UNKNOWN;
    const bool connecting = (my_status & 0xF00) != 0;
    const bool visible = open && (offline || connecting);
    if (static_cast<int>(visible) != reported_dialog_visible) {
        // While the dialog is visible, Page answers E_FAIL, as documented.
        msgr_set_signin_dialog_visible(rt, visible ? 1 : 0);
        reported_dialog_visible = visible ? 1 : 0;
        signin_focus = visible;
    }
    if (!visible) return;
    const ImGuiIO &io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.4f),
                            ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(340, 0), ImGuiCond_Appearing);
    if (signin_focus) ImGui::SetNextWindowFocus();
    if (ImGui::Begin("Sign in###msgr-signin", nullptr,
                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::TextUnformatted("Sign-in name");
        if (signin_focus) ImGui::SetKeyboardFocusHere();
        signin_focus = false;
        ImGui::SetNextItemWidth(-1.0f);
        bool edited = false;
        bool go = typed_field("##name", signin_name, sizeof signin_name, ImVec2(0, 0),
                              ImGuiInputTextFlags_EnterReturnsTrue, false, edited);
        signin_name_rect = last_item_rect();
        ImGui::TextUnformatted("Password");
        ImGui::SetNextItemWidth(-1.0f);
        go |= ImGui::InputText("##password", password, sizeof password,
                               ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::BeginDisabled(connecting);
        go |= ImGui::Button("Sign in", ImVec2(-1.0f, 0.0f));
        signin_rect = last_item_rect();
        signin_frame = frame;
        ImGui::EndDisabled();
        if (go && !connecting) {
            // The field holds the drawn form; the runtime gets the exact name.
            const msgr_hresult hr = msgr_signin(rt, text.exact(signin_name), password);
            if (MSGR_FAILED(hr)) report(Action::signin, signin_name, hr);
            last_signin_hr = MSGR_S_OK;
        }
        if (connecting) {
            text_coloured(status_colour(my_status), "Signing in...");
        } else if (MSGR_FAILED(last_signin_hr)) {
            const char *words = result_words(Action::signin, last_signin_hr);
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kErrorText, words != nullptr ? words : "");
            ImGui::PopTextWrapPos();
        }
        if (status_line[0] != '\0') {
            ImGui::PushTextWrapPos(0.0f);
            text_coloured(kDimText, status_line);
            ImGui::PopTextWrapPos();
        }
        ImGui::TextUnformatted("Shift+Tab closes the overlay");
    }
    ImGui::End();
}

}  // namespace msgr::render
