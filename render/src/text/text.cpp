#include "text.hpp"

#include <imgui.h>

#include <cstring>
#include <utility>

#include "utf8.hpp"

namespace msgr::render::text {

Text::Text(std::vector<std::string> font_files, float pixel_size, bool async)
    : atlas_(std::move(font_files), pixel_size, async),
      drawn_(std::size_t{16} * 1024),
      typed_(1024),
      exact_(std::size_t{16} * 1024) {}

Text::~Text() {
    if (atlas_.stats().builds == 0 || ImGui::GetCurrentContext() == nullptr) return;
    ImFontAtlas &fonts = *ImGui::GetIO().Fonts;
    if (!fonts.Locked) fonts.ClearInputData();
}

std::string_view Text::drawn(const char *b, const char *e) {
    if (all_ascii(b, e)) return {b, static_cast<std::size_t>(e - b)};
    const std::size_t n = static_cast<std::size_t>(e - b);
    grow(drawn_, StandIns::max_drawn_size(n));
    const std::size_t len = stand_ins_.to_drawn(b, e, drawn_.data(), drawn_.size(),
                                                [this](char32_t cp) { atlas_.need(cp); });
    return {drawn_.data(), len};
}

std::size_t Text::drawn_into(const char *s, char *out, std::size_t cap) {
    if (cap == 0) return 0;
    const std::string_view d = drawn(s, s + std::strlen(s));
    std::size_t len = std::min(d.size(), cap - 1);
    while (len > 0 && len < d.size() && (static_cast<unsigned char>(d[len]) & 0xC0) == 0x80)
        --len;
    std::memmove(out, d.data(), len);
    out[len] = '\0';
    return len;
}

const char *Text::typed(const char *utf8) {
    const std::size_t n = std::strlen(utf8);
    grow(typed_, StandIns::max_drawn_size(n));
    stand_ins_.to_drawn(
        utf8, utf8 + n, typed_.data(), typed_.size(), [this](char32_t cp) { atlas_.need(cp); },
        true);
    return typed_.data();
}

const char *Text::exact(const char *drawn_text) {
    const std::size_t n = std::strlen(drawn_text);
    grow(exact_, StandIns::max_exact_size(n));
    stand_ins_.to_exact(drawn_text, drawn_text + n, exact_.data(), exact_.size());
    return exact_.data();
}

void Text::note(const char *drawn_text) noexcept {
    const char *e = drawn_text + std::strlen(drawn_text);
    for (const char *p = drawn_text; p < e;) {
        std::size_t len = 0;
        atlas_.need(decode_utf8(p, e, len));
        p += len;
    }
}

bool Text::update() {
    if (ImGui::GetCurrentContext() == nullptr) return false;
    return atlas_.update(*ImGui::GetIO().Fonts, stand_ins_);
}

}  // namespace msgr::render::text
