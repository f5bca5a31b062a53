// The scripted session: see script.hpp.
#include "script.hpp"

#include <SDL_opengl.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include "msgr/ui.h"

namespace demo {

void Transcript::line(const char *fmt, ...) {  // NOLINT(cert-dcl50-cpp)
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    std::printf("%s\n", buf);
    if (file != nullptr) (void)std::fprintf(file, "%s\n", buf);
}

bool Transcript::open(const std::string &dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    file = std::fopen((dir + "/transcript.txt").c_str(), "w");
    if (file == nullptr)
        (void)std::fprintf(stderr, "msgr-sdl2-demo: cannot write %s/transcript.txt\n", dir.c_str());
    return file != nullptr;
}

void Transcript::close() {
    if (file != nullptr) (void)std::fclose(file);
    file = nullptr;
}

void Transcript::check(bool ok, const char *what) {
    line("check %s: %s", ok ? "ok" : "FAILED", what);
    if (!ok) ++failures;
}

namespace {

using msgr::render::DrawnRect;
using msgr::render::Overlay;
using Control = Overlay::Control;

bool write_png(const std::string &path) {
    std::vector<unsigned char> pixels(static_cast<std::size_t>(kWidth) * kHeight * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, kWidth, kHeight, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows go bottom-up; PNG's top-down.
    std::vector<unsigned char> flipped(pixels.size());
    const std::size_t row = static_cast<std::size_t>(kWidth) * 4;
    for (int y = 0; y < kHeight; ++y) {
        std::memcpy(&flipped[static_cast<std::size_t>(y) * row],
                    &pixels[static_cast<std::size_t>(kHeight - 1 - y) * row], row);
    }
    for (std::size_t i = 3; i < flipped.size(); i += 4)
        flipped[i] = 255;
    return stbi_write_png(path.c_str(), kWidth, kHeight, 4, flipped.data(),
                          static_cast<int>(row)) != 0;
}

// ---- the transcript -------------------------------------------------------------------------

struct ScriptInput {
    SDL_Window *window = nullptr;
    ImVec2 mouse{-1.0f, -1.0f};
    bool button = false;

    void key(SDL_Scancode sc, bool down, Uint16 mod = KMOD_NONE) {
        SDL_SetModState(static_cast<SDL_Keymod>(down ? mod : static_cast<Uint16>(KMOD_NONE)));
        SDL_Event ev{};
        ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
        ev.key.windowID = SDL_GetWindowID(window);
        ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
        ev.key.keysym.scancode = sc;
        ev.key.keysym.sym = SDL_GetKeyFromScancode(sc);
        ev.key.keysym.mod = down ? mod : static_cast<Uint16>(KMOD_NONE);
        SDL_PushEvent(&ev);
    }
    // Typed text, as SDL delivers it: events of at most 31 bytes, cut between characters.
    void text(const char *utf8) {
        const std::string_view all(utf8);
        for (std::size_t at = 0; at < all.size();) {
            SDL_Event ev{};
            ev.type = SDL_TEXTINPUT;
            ev.text.windowID = SDL_GetWindowID(window);
            std::size_t n = std::min(all.size() - at, sizeof ev.text.text - 1);
            while (at + n < all.size() && n > 0 &&
                   (static_cast<unsigned char>(all[at + n]) & 0xC0) == 0x80)
                --n;
            std::memcpy(ev.text.text, all.data() + at, n);
            SDL_PushEvent(&ev);
            at += n;
        }
    }
    // An IME's composition, as SDL_TEXTEDITING delivers it ("" ends it).
    void editing(const char *utf8, int start) {
        SDL_Event ev{};
        ev.type = SDL_TEXTEDITING;
        ev.edit.windowID = SDL_GetWindowID(window);
        std::strncpy(ev.edit.text, utf8, sizeof ev.edit.text - 1);
        ev.edit.start = start;
        SDL_PushEvent(&ev);
    }
    // After ImGui_ImplSDL2_NewFrame: the mouse as the script holds it.
    void apply() const {
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = mouse;
        io.MouseDown[0] = button;
    }
};

ImVec2 centre(const DrawnRect &r) {
    return ImVec2(r.x + r.w * 0.5f, r.y + r.h * 0.5f);
}

// A step runs once at its frame; `wait` frames pass before the next, and then, when the step
// has `until`, more frames until it holds (the network answers in its own time; a hang guard of
// kUntilSeconds, after which the step's check fails).
// A line in Russian, Chinese, Japanese and Arabic, with emoji (two above U+FFFF).
constexpr const char *kEveryScript =
    "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82!"              // Привет!
    " \xE4\xBD\xA0\xE5\xA5\xBD"                                      // 你好
    " \xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF"  // こんにちは
    " \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"                      // مرحبا
    " \xF0\x9F\x98\x80\xF0\x9F\x8E\xAE";                             // 😀🎮

struct Step {
    const char *name;
    int wait;
    std::function<void()> run;
    std::function<bool()> until = nullptr;
};
constexpr int kUntilSeconds = 30;

void on_event(const msgr_event *ev, void *user) {
    auto *t = static_cast<Transcript *>(user);
    if (ev->type == MSGR_EVENT_MESSAGE_RECEIVED) {
        t->line("event %s text=\"%.80s\"", msgr_event_type_name(ev->type), ev->text);
    } else {
        t->line("event %s hr=%s", msgr_event_type_name(ev->type), msgr_hresult_name(ev->hr));
    }
}

// Pixels of the skyline's colours in the row y (from the bottom) of a frame of the game drawn at
// the given clock: the buildings, not the dusk behind them.
int skyline_pixels(std::uint64_t frames, int y) {
    Game probe;
    probe.set_frames(frames);
    probe.draw();
    std::vector<unsigned char> row(static_cast<std::size_t>(kWidth) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, y, kWidth, 1, GL_RGBA, GL_UNSIGNED_BYTE, row.data());
    int n = 0;
    for (std::size_t i = 0; i < row.size(); i += 4) {
        if (row[i] > 130 && row[i + 1] > 80) ++n;  // buildings: >= (0.55, 0.35); dusk (0.3, 0.12)
    }
    return n;
}

}  // namespace

struct Script::Impl {
    Transcript &tr;
    msgr_runtime *rt;
    Overlay &overlay;
    const Game &game;
    std::string out;
    const char *peer;
    msgr_subscription sub = 0;

    ScriptInput input;
    msgr_window *chat = nullptr;   // the conversation the script opens (a reference)
    msgr_window *pager = nullptr;  // the page window, when a paging add-in is installed
    // History persists across runs (the history store): what the conversations held when
    // the script opened them, so that its checks count only this run's messages.
    std::size_t chat_base = 0, pager_base = 0;
    // Unique per run, so that finding it in the outbox proves this run delivered it.
    const std::string page_text = "Page from the demo, run " + std::to_string(::getpid());
    std::int32_t left_before = 0, top_before = 0;
    std::vector<Step> steps;
    std::string pending_shot;  // taken after the frame is drawn, named by step
    // Helpers the steps call (members: the steps outlive build()).
    std::function<std::size_t(const char *)> find_contact;
    std::function<void(const DrawnRect &)> move_to;
    std::function<bool()> answered;  // the peer's answer (with --peer)
    std::function<bool(std::int32_t)> my_status_is;
    std::function<std::vector<std::string>(std::size_t)> outgoing_since;  // in the conversation
    const char *password = nullptr;

    // Playing the steps.
    std::size_t next_step = 0;
    int wait = 10;                  // let the first frames settle
    const Step *waiting = nullptr;  // the step whose `until` is awaited
    int step_frames = 0;            // frames not spent waiting (the session's hang guard)
    std::chrono::steady_clock::time_point waiting_since = std::chrono::steady_clock::now();

    // The game's clock when the overlay last opened and closed.
    std::uint64_t frames_at_open = 0, frames_at_close = 0;
    int closes = 0;

    Impl(Transcript &t, msgr_runtime *r, Overlay &o, const Game &g, std::string dir, const char *p)
        : tr(t), rt(r), overlay(o), game(g), out(std::move(dir)), peer(p) {}
    void build();
    void check_game_after_close();
};

// The game stood still while the overlay was open, runs again once it closed, and still draws its
// skyline after a long run (a clock of many frames).
void Script::Impl::check_game_after_close() {
    tr.line("game clock: %llu frames at the last open, %llu at the close, %llu now",
            static_cast<unsigned long long>(frames_at_open),
            static_cast<unsigned long long>(frames_at_close),
            static_cast<unsigned long long>(game.frames()));
    tr.check(closes > 0 && frames_at_close == frames_at_open,
             "the game's clock stood still while the overlay was open");
    tr.check(!game.paused() && game.frames() > frames_at_close,
             "the game runs again once the overlay is closed");
    for (const std::uint64_t frames :
         {std::uint64_t{3'500}, std::uint64_t{1'000'000}, std::uint64_t{100'000'000}}) {
        const int n = skyline_pixels(frames, 60);
        tr.line("skyline at %llu frames: %d of %d pixels of a row",
                static_cast<unsigned long long>(frames), n, kWidth);
        // 24 buildings 70 px wide every 90 px of a 2160 px strip: 10 or more on screen.
        tr.check(n >= 700, "the skyline is still drawn after a long run");
    }
}

void Script::Impl::build() {
    find_contact = [&](const char *signin) -> std::size_t {
        std::size_t n = 0;
        msgr_my_contacts_count(rt, &n);
        for (std::size_t i = 0; i < n; ++i) {
            msgr_contact *c = nullptr;
            const char *name = nullptr;
            bool match = false;
            if (msgr_my_contacts_get(rt, i, &c) == MSGR_S_OK &&
                msgr_contact_signin_name(c, &name) == MSGR_S_OK)
                match = std::strcmp(name, signin) == 0;
            msgr_contact_release(c);
            if (match) return i;
        }
        return n;
    };
    move_to = [&](const DrawnRect &r) { input.mouse = centre(r); };
    // The peer's answer (with --peer): the first incoming message in the conversation.
    answered = [&] {
        std::size_t n = 0;
        msgr_window_history_count(chat, &n);
        for (std::size_t i = chat_base; i < n; ++i) {
            msgr_message m{};
            m.struct_size = sizeof m;
            if (msgr_window_history_get(chat, i, &m) == MSGR_S_OK &&
                m.direction == MSGR_MESSAGE_INCOMING)
                return true;
        }
        return false;
    };
    outgoing_since = [&](std::size_t from) {
        std::vector<std::string> sent;
        std::size_t n = 0;
        msgr_window_history_count(chat, &n);
        for (std::size_t i = from; i < n; ++i) {
            msgr_message m{};
            m.struct_size = sizeof m;
            if (msgr_window_history_get(chat, i, &m) == MSGR_S_OK &&
                m.direction == MSGR_MESSAGE_OUTGOING && m.text != nullptr)
                sent.emplace_back(m.text);
        }
        return sent;
    };
    my_status_is = [&](std::int32_t want) {
        std::int32_t status = 0;
        return msgr_my_status(rt, &status) == MSGR_S_OK && status == want;
    };
    password = std::getenv("MSGR_PASSWORD");
    // Steps both scripts take. Shift+Tab opens and closes the overlay.
    auto toggle_overlay = [&](const char *name) {
        return std::vector<Step>{{name, 1, [&] { input.key(SDL_SCANCODE_TAB, true, KMOD_LSHIFT); }},
                                 {"release Tab", 4, [&] { input.key(SDL_SCANCODE_TAB, false); }}};
    };
    // The contact list's Chat button for `who` opens the conversation, which becomes `chat`.
    auto open_chat = [&](const char *step, const char *who) {
        return std::vector<Step>{
            {step, 2,
             [&, who] {
                 DrawnRect r;
                 tr.check(
                     overlay.control_rect(Control::contact_chat, nullptr, find_contact(who), r),
                     "the contact is in the contact list");
                 move_to(r);
             }},
            {"press", 2, [&] { input.button = true; }},
            {"release", 4, [&] { input.button = false; }},
            {"the conversation window is open", 2, [&] {
                 msgr_ui_window_info info{};
                 info.struct_size = sizeof info;
                 std::size_t n = 0;
                 msgr_ui_window_count(rt, &n);
                 tr.check(n == 1 && msgr_ui_window_get(rt, 0, &info) == MSGR_S_OK,
                          "one window open");
                 chat = info.window;
                 msgr_window_add_ref(chat);
                 msgr_window_history_count(chat, &chat_base);
                 tr.line("the conversation holds %zu message(s) from earlier runs", chat_base);
                 tr.line("status line: %s", overlay.status_line());
             }}};
    };
    // Appends steps to a script.
    auto then = [](std::vector<Step> &script_steps, std::vector<Step> more) {
        for (auto &st : more)
            script_steps.push_back(std::move(st));
    };
    if (peer != nullptr) {
        // A real network: sign in through the dialog as a user would (the name is
        // prefilled by --signin; Tab to the password, type it, Enter), open a conversation
        // with the peer from the contact list, say hello, and wait for the answer.
        steps = toggle_overlay("open the overlay with Shift+Tab");
        then(steps,
             {
                 {"Tab to the password", 1, [&] { input.key(SDL_SCANCODE_TAB, true); }},
                 {"release Tab", 2, [&] { input.key(SDL_SCANCODE_TAB, false); }},
                 {"type the password", 2, [&] { input.text(password != nullptr ? password : ""); }},
                 {"press Enter", 1,
                  [&] {
                      pending_shot = "01-signin.png";
                      input.key(SDL_SCANCODE_RETURN, true);
                  }},
                 {"release Enter", 2, [&] { input.key(SDL_SCANCODE_RETURN, false); },
                  [&] { return my_status_is(MSGR_STATUS_ONLINE); }},
                 {"signed in", 1,
                  [&] {
                      const char *me = nullptr;
                      msgr_my_signin_name(rt, &me);
                      tr.line("signed in as %s", me != nullptr ? me : "?");
                      tr.check(my_status_is(MSGR_STATUS_ONLINE), "signed in from the dialog");
                  },
                  [&] {
                      std::size_t n = 0;
                      msgr_my_contacts_count(rt, &n);
                      return find_contact(peer) < n;
                  }},
             });
        then(steps, open_chat("point at Chat for the peer", peer));
        then(steps,
             {
                 {"type and press Enter", 1,
                  [&] {
                      input.text("Hello over XMPP from the msgr demo!");
                      input.key(SDL_SCANCODE_RETURN, true);
                  }},
                 {"release Enter", 6, [&] { input.key(SDL_SCANCODE_RETURN, false); }, answered},
                 {"the peer answered", 2,
                  [&] {
                      tr.check(answered(), "the peer's answer is in the conversation");
                      std::size_t n = 0;
                      msgr_window_history_count(chat, &n);
                      for (std::size_t i = 0; i < n; ++i) {
                          msgr_message m{};
                          m.struct_size = sizeof m;
                          if (msgr_window_history_get(chat, i, &m) == MSGR_S_OK)
                              tr.line("%s: %s", m.direction == MSGR_MESSAGE_INCOMING ? "in" : "out",
                                      m.text);
                      }
                      pending_shot = "02-xmpp-chat.png";
                  }},
             });
        then(steps, toggle_overlay("close the overlay with Shift+Tab"));
    } else {
        steps = toggle_overlay("open the overlay with Shift+Tab");
        then(steps, {
                        {"screenshot", 1, [&] { pending_shot = "01-signin.png"; }},
                        {"point at Sign in", 2,
                         [&] {
                             DrawnRect r;
                             tr.check(overlay.control_rect(Control::signin, nullptr, 0, r),
                                      "the sign-in dialog is shown");
                             int visible = 0;
                             msgr_signin_dialog_visible(rt, &visible);
                             tr.check(visible == 1,
                                      "the runtime knows the sign-in dialog is visible");
                             move_to(r);
                         }},
                        {"press", 2, [&] { input.button = true; }},
                        {"release", 6, [&] { input.button = false; }},
                        {"signed in", 2,
                         [&] {
                             std::int32_t status = 0;
                             msgr_my_status(rt, &status);
                             tr.line("my status %s", msgr_status_name(status));
                             tr.check(status == MSGR_STATUS_ONLINE, "signed in from the dialog");
                             pending_shot = "02-contacts.png";
                         }},
                    });
        then(steps, open_chat("point at Chat for echo@loopback", "echo@loopback"));
        then(steps,
             {
                 {"type into the conversation input", 2,
                  [&] { input.text("Hello from the demo!"); }},
                 {"point at Send", 2,
                  [&] {
                      DrawnRect r;
                      tr.check(overlay.control_rect(Control::send, chat, 0, r), "Send is drawn");
                      move_to(r);
                  }},
                 {"press", 2, [&] { input.button = true; }},
                 {"release", 6, [&] { input.button = false; }},
                 {"the echo answered", 2,
                  [&] {
                      std::size_t n = 0;
                      msgr_window_history_count(chat, &n);
                      msgr_message m{};
                      m.struct_size = sizeof m;
                      const bool ok =
                          n == chat_base + 2 &&
                          msgr_window_history_get(chat, chat_base + 1, &m) == MSGR_S_OK &&
                          m.direction == MSGR_MESSAGE_INCOMING &&
                          std::strcmp(m.text, "Hello from the demo!") == 0;
                      tr.check(ok, "the echo's reply is in the history");
                      DrawnRect w, reply;
                      if (overlay.window_rect(chat, w))
                          tr.line("window %.0f %.0f %.0f %.0f", w.x, w.y, w.w, w.h);
                      if (overlay.drawn_rect(chat, chat_base + 1, reply))
                          tr.line("reply %.0f %.0f %.0f %.0f", reply.x, reply.y, reply.w, reply.h);
                      pending_shot = "03-chat.png";
                  }},
                 {"type and press Enter", 1,
                  [&] {
                      input.text("And Enter sends too.");
                      input.key(SDL_SCANCODE_RETURN, true);
                  }},
                 {"release Enter", 6, [&] { input.key(SDL_SCANCODE_RETURN, false); }},
                 {"the echo answered again", 2,
                  [&] {
                      std::size_t n = 0;
                      msgr_window_history_count(chat, &n);
                      tr.check(n == chat_base + 4,
                               "Enter sent the second message and the echo answered");
                  }},
                 {"the echo read it", 2, [] {},
                  [&] {
                      const char *mark = overlay.drawn_mark(chat, chat_base + 2);
                      return mark != nullptr && std::strcmp(mark, "read") == 0;
                  }},
                 {"read marks", 1,
                  [&] {
                      const char *mark = overlay.drawn_mark(chat, chat_base);
                      tr.line("the first message's mark: %s", mark != nullptr ? mark : "none");
                      tr.check(mark != nullptr && std::strcmp(mark, "read") == 0,
                               "the overlay shows the echo read the message");
                  }},
                 // Typed fast: two messages, each with its Enter, all polled in one frame
                 // (ImGui 1.86 alone would see neither Enter; the overlay's key queue does).
                 {"type two messages with Enter after each, within one frame", 1,
                  [&] {
                      input.text("Quick one.");
                      input.key(SDL_SCANCODE_RETURN, true);
                      input.key(SDL_SCANCODE_RETURN, false);
                      input.text("Quick two.");
                      input.key(SDL_SCANCODE_RETURN, true);
                      input.key(SDL_SCANCODE_RETURN, false);
                  },
                  [&] { return outgoing_since(chat_base + 4).size() >= 2; }},
                 {"both went, in order", 1,
                  [&] {
                      const auto sent = outgoing_since(chat_base + 4);
                      tr.check(
                          sent.size() == 2 && sent[0] == "Quick one." && sent[1] == "Quick two.",
                          "two Enter taps within one frame sent two messages, in order");
                  }},
                 // An IME: the composition is drawn at the caret, outside the draft, until
                 // the IME commits it as typed text.
                 {"compose with an IME", 2, [&] { input.editing("nihongo", 7); }},
                 {"the composition at the caret", 1,
                  [&] {
                      DrawnRect caret;
                      tr.check(overlay.composing() && overlay.caret_rect(caret),
                               "the overlay composes at the input's caret");
                      const char *draft = nullptr;
                      msgr_window_get_draft(chat, &draft);
                      tr.check(draft != nullptr && draft[0] == '\0',
                               "the composition is not in the draft");
                      pending_shot = "08-ime.png";
                  }},
                 {"the IME commits", 2,
                  [&] {
                      input.editing("", 0);
                      input.text("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");  // 日本語
                  }},
                 {"send what the IME committed", 1,
                  [&] {
                      tr.check(!overlay.composing(), "the composition ended");
                      input.key(SDL_SCANCODE_RETURN, true);
                  }},
                 {"release Enter", 2, [&] { input.key(SDL_SCANCODE_RETURN, false); },
                  [&] { return outgoing_since(chat_base + 8).size() >= 1; }},
                 {"the committed text was sent", 1,
                  [&] {
                      const auto sent = outgoing_since(chat_base + 8);
                      tr.check(!sent.empty() && sent[0] == "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
                               "the IME's committed text is what was sent");
                  }},
                 // Every player's text: Russian, Chinese, Japanese, Arabic and emoji typed
                 // through the input, and the echo's reply in the same words, drawn once the
                 // glyphs they need are in the font atlas.
                 {"type a message in five scripts and emoji", 2,
                  [&] {
                      input.text(kEveryScript);
                      input.key(SDL_SCANCODE_RETURN, true);
                  }},
                 {"release Enter", 2, [&] { input.key(SDL_SCANCODE_RETURN, false); },
                  [&] {
                      std::size_t n = 0;
                      msgr_window_history_count(chat, &n);
                      return n >= chat_base + 12 && !overlay.fonts_pending();
                  }},
                 {"the echo answered in the same words", 3,
                  [&] {
                      const auto sent = outgoing_since(chat_base + 10);
                      tr.check(!sent.empty() && sent[0] == kEveryScript,
                               "what was typed in five scripts and emoji was sent byte-exact");
                      msgr_message m{};
                      m.struct_size = sizeof m;
                      tr.check(msgr_window_history_get(chat, chat_base + 11, &m) == MSGR_S_OK &&
                                   m.direction == MSGR_MESSAGE_INCOMING && m.text != nullptr &&
                                   std::strcmp(m.text, kEveryScript) == 0,
                               "the echo's reply holds the same bytes");
                      const msgr::render::FontStats f = overlay.font_stats();
                      tr.line("font atlas: %zu glyphs, %zu stand-ins, %zu without a glyph, %dx%d",
                              f.glyphs, f.stand_ins, f.without_glyph, f.texture_width,
                              f.texture_height);
                      tr.check(f.stand_ins >= 2, "the emoji are drawn through their stand-ins");
                      pending_shot = "09-every-script.png";
                  }},
                 {"point at Page for mobile@loopback", 2,
                  [&] {
                      DrawnRect r;
                      tr.check(overlay.control_rect(Control::contact_page, nullptr,
                                                    find_contact("mobile@loopback"), r),
                               "mobile@loopback is in the contact list");
                      move_to(r);
                  }},
                 {"press", 2, [&] { input.button = true; }},
                 {"release", 4, [&] { input.button = false; }},
                 {"page", 2,
                  [&] {
                      tr.line("status line: %s", overlay.status_line());
                      const bool notimpl =
                          std::strstr(overlay.status_line(), "MSGR_E_NOTIMPL") != nullptr;
                      std::size_t n = 0;
                      msgr_ui_window_count(rt, &n);
                      tr.check(notimpl || n == 2,
                               "Page either opened a page window (a paging add-in is installed) "
                               "or the overlay shows E_NOTIMPL");
                      msgr_ui_window_info info{};
                      info.struct_size = sizeof info;
                      if (!notimpl && msgr_ui_window_get(rt, n - 1, &info) == MSGR_S_OK &&
                          info.kind == MSGR_WINDOW_PAGE) {
                          pager = info.window;
                          msgr_window_add_ref(pager);
                          msgr_window_history_count(pager, &pager_base);
                      }
                      pending_shot = "04-page.png";
                  }},
                 {"type the page", 2,
                  [&] {
                      if (pager != nullptr) input.text(page_text.c_str());
                  }},
                 {"point at the page window's Send", 2,
                  [&] {
                      DrawnRect r;
                      if (pager == nullptr) return;
                      tr.check(overlay.control_rect(Control::send, pager, 0, r),
                               "the page window's Send is drawn");
                      move_to(r);
                  }},
                 {"press", 2, [&] { input.button = pager != nullptr; }},
                 {"release", 10, [&] { input.button = false; }},
                 {"the page arrived in the outbox", 2,
                  [&] {
                      if (pager == nullptr) {
                          tr.line("no paging add-in: nothing to send");
                          return;
                      }
                      msgr_message m{};
                      m.struct_size = sizeof m;
                      std::size_t n = 0;
                      // The outbox is written on the paging add-in's own thread: on a busy
                      // machine that can take longer than the frames this step waited, so tick
                      // until the delivery is reported (at most 10 s).
                      for (int i = 0; i < 1000; ++i) {
                          msgr_window_history_count(pager, &n);
                          if (n == pager_base + 1 &&
                              msgr_window_history_get(pager, pager_base, &m) == MSGR_S_OK &&
                              m.delivery != MSGR_DELIVERY_PENDING)
                              break;
                          SDL_Delay(10);
                          msgr_runtime_tick(rt);
                      }
                      tr.check(n == pager_base + 1 &&
                                   msgr_window_history_get(pager, pager_base, &m) == MSGR_S_OK &&
                                   m.delivery == MSGR_DELIVERY_SENT,
                               "the page was sent from the UI and delivered");
                      std::string outbox;
                      if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && xdg[0] == '/') {
                          outbox = std::string(xdg) + "/msgr/outbox.jsonl";
                      } else if (const char *home = std::getenv("HOME"); home && home[0]) {
                          outbox = std::string(home) + "/.local/share/msgr/outbox.jsonl";
                      }
                      std::string content;
                      if (FILE *f = std::fopen(outbox.c_str(), "rb")) {
                          char buf[4096];
                          std::size_t got = 0;
                          while ((got = std::fread(buf, 1, sizeof buf, f)) > 0)
                              content.append(buf, got);
                          (void)std::fclose(f);  // read-only: nothing to lose
                      }
                      tr.line("outbox %s", outbox.c_str());
                      tr.check(content.find(page_text) != std::string::npos,
                               "the page is in the paging add-in's outbox");
                  }},
                 {"point at the conversation's title bar", 2,
                  [&] {
                      // Show brings it back to the front, as automation may.
                      msgr_window_show(chat);
                      msgr_window_get_left(chat, &left_before);
                      msgr_window_get_top(chat, &top_before);
                  }},
                 {"grab", 2,
                  [&] {
                      DrawnRect r;
                      tr.check(overlay.control_rect(Control::title_bar, chat, 0, r),
                               "the title bar is drawn");
                      input.mouse = ImVec2(r.x + 60.0f, r.y + r.h * 0.5f);
                      input.button = true;
                  }},
                 {"drag", 1, [&] { input.mouse.x += 100.0f; }},
                 {"drag", 1, [&] { input.mouse.x += 100.0f, input.mouse.y += 60.0f; }},
                 {"drag", 1, [&] { input.mouse.x += 100.0f, input.mouse.y += 60.0f; }},
                 {"drop", 3, [&] { input.button = false; }},
                 {"the window moved", 2,
                  [&] {
                      std::int32_t left = 0, top = 0;
                      msgr_window_get_left(chat, &left);
                      msgr_window_get_top(chat, &top);
                      tr.line("dragged from %d,%d to %d,%d", left_before, top_before, left, top);
                      tr.check(left == left_before + 300 && top == top_before + 120,
                               "the getters read the user's drag back");
                      DrawnRect w;
                      if (overlay.window_rect(chat, w))
                          tr.line("window %.0f %.0f %.0f %.0f", w.x, w.y, w.w, w.h);
                      pending_shot = "05-dragged.png";
                  }},
             });
        then(steps, toggle_overlay("close the overlay with Shift+Tab"));
        then(steps, {{"closed", 2, [&] {
                          tr.check(!overlay.is_open(), "the overlay is closed");
                          check_game_after_close();
                          pending_shot = "06-closed.png";
                      }}});
        // The history is searchable: F3 opens the search window (and the overlay).
        then(steps, {
                        {"press F3", 1, [&] { input.key(SDL_SCANCODE_F3, true); }},
                        {"release F3", 4, [&] { input.key(SDL_SCANCODE_F3, false); }},
                        {"search for what Enter sent", 1,
                         [&] {
                             tr.check(overlay.is_open(), "F3 opened the overlay");
                             input.text("Enter sends");
                             input.key(SDL_SCANCODE_RETURN, true);
                         }},
                        {"release Enter", 2, [&] { input.key(SDL_SCANCODE_RETURN, false); },
                         [&] { return overlay.search_hits_shown() > 0; }},
                        {"the hits", 2,
                         [&] {
                             tr.line("search: %s", overlay.search_status());
                             // This run's message and its echo, and those of earlier runs.
                             tr.check(overlay.search_hits_shown() >= 2,
                                      "the search found the message and its echo");
                             pending_shot = "07-search.png";
                         }},
                    });
        then(steps, toggle_overlay("close the overlay with Shift+Tab"));
    }
}

Script::Script(Transcript &tr, msgr_runtime *rt, Overlay &overlay, const Game &game,
               SDL_Window *window, std::string out, const char *peer)
    : impl_(std::make_unique<Impl>(tr, rt, overlay, game, std::move(out), peer)) {
    impl_->input.window = window;
    msgr_subscribe(rt, static_cast<msgr_event_type>(0), on_event, &tr, &impl_->sub);
    impl_->build();
}

Script::~Script() {
    msgr_window_release(impl_->chat);
    msgr_window_release(impl_->pager);
    if (impl_->sub != 0) msgr_unsubscribe(impl_->rt, impl_->sub);
}

bool Script::before_frame(int frame) {
    Impl &s = *impl_;
    Transcript &tr = s.tr;
    bool running = true;
    if (s.wait > 0) {
        --s.wait;
    } else if (s.waiting != nullptr) {
        if (s.waiting->until()) {
            s.waiting = nullptr;
        } else if (std::chrono::steady_clock::now() - s.waiting_since >
                   std::chrono::seconds(kUntilSeconds)) {
            tr.check(false, s.waiting->name);  // what it waited for never came
            s.waiting = nullptr;
        } else {
            SDL_Delay(5);  // the network's turn; the frames go on meanwhile
        }
    } else if (s.next_step < s.steps.size()) {
        tr.line("frame %d: %s", frame, s.steps[s.next_step].name);
        s.steps[s.next_step].run();
        s.wait = s.steps[s.next_step].wait;
        if (s.steps[s.next_step].until) {
            s.waiting = &s.steps[s.next_step];
            s.waiting_since = std::chrono::steady_clock::now();
        }
        ++s.next_step;
    } else {
        running = false;
    }
    if (s.waiting == nullptr && ++s.step_frames > 2000) {
        tr.check(false, "the session finished in time");
        running = false;
    }
    return running;
}

void Script::apply_input() const {
    impl_->input.apply();
}

void Script::after_frame() {
    Impl &s = *impl_;
    if (s.pending_shot.empty()) return;
    std::string path = s.out;
    path += "/";
    path += s.pending_shot;
    s.tr.line("screenshot %s/%s", s.out.c_str(), s.pending_shot.c_str());
    s.tr.check(write_png(path), "the screenshot was written");
    s.pending_shot.clear();
}

void Script::on_overlay(bool open) {
    Impl &s = *impl_;
    if (open) {
        s.frames_at_open = s.game.frames();
    } else {
        s.frames_at_close = s.game.frames();
        ++s.closes;
    }
}

int Script::finish() {
    Transcript &tr = impl_->tr;
    msgr_window_release(impl_->chat);
    msgr_window_release(impl_->pager);
    impl_->chat = impl_->pager = nullptr;
    tr.line("%s: %d check(s) failed", tr.failures == 0 ? "PASSED" : "FAILED", tr.failures);
    return tr.failures == 0 ? 0 : 1;
}

}  // namespace demo
