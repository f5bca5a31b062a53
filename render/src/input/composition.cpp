// An IME's composition text at the caret: see composition.hpp.
#include "input/composition.hpp"

#include <imgui_internal.h>

#include <cstring>

namespace msgr::render::input {

void Composition::set(const char *utf8, int cursor) noexcept {
    std::size_t n = utf8 == nullptr ? 0 : std::strlen(utf8);
    if (n >= kBytes) {
        n = kBytes - 1;
        while (n > 0 && (static_cast<unsigned char>(utf8[n]) & 0xC0) == 0x80)
            --n;
    }
    if (n > 0) std::memcpy(text_, utf8, n);
    text_[n] = '\0';
    cursor_ = cursor < 0 ? 0 : cursor;
}

void Composition::draw(ImDrawList *dl, ImVec2 at, ImU32 text_colour, ImU32 bg, ImVec2 clip_min,
                       ImVec2 clip_max) const {
    if (!active() || dl == nullptr) return;
    // The byte where the IME's cursor stands (cursor_ counts code points).
    const char *cursor_at = text_;
    for (int i = 0; i < cursor_ && *cursor_at != '\0'; ++i) {
        ++cursor_at;
        while ((static_cast<unsigned char>(*cursor_at) & 0xC0) == 0x80)
            ++cursor_at;
    }
    at = ImFloor(at);  // whole pixels: a crisp underline
    const float h = ImGui::GetFontSize();
    const ImVec2 size = ImGui::CalcTextSize(text_);
    const float cursor_x = IM_FLOOR(at.x + ImGui::CalcTextSize(text_, cursor_at).x);
    dl->PushClipRect(clip_min, clip_max, true);
    dl->AddRectFilled(ImVec2(at.x - 1.0f, at.y), ImVec2(at.x + size.x + 2.0f, at.y + h + 2.0f), bg);
    dl->AddText(at, text_colour, text_);
    dl->AddRectFilled(ImVec2(at.x, at.y + h), ImVec2(at.x + size.x, at.y + h + 1.0f), text_colour);
    dl->AddRectFilled(ImVec2(cursor_x, at.y), ImVec2(cursor_x + 1.0f, at.y + h), text_colour);
    dl->PopClipRect();
}

}  // namespace msgr::render::input
