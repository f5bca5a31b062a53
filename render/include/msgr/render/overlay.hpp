// msgr/render/overlay.hpp — the Dear ImGui overlay that draws the runtime's windows inside a host.
//
// The overlay draws into the host's current ImGui context, between the host's ImGui::NewFrame()
// and ImGui::Render(); it never creates a context of its own, has no platform, window or GPU
// backend, and reads the runtime only through the public C API (msgr/msgr.h, msgr/ui.h). It is
// a static library linked into the host, so it uses the host's own ImGui (ImGui keeps its
// context in a global per binary).
//
//     msgr::render::Overlay overlay(rt);             // after the host created its ImGui context
//     overlay.set_activated_callback(on_overlay, game);
//     each frame:  poll input -> msgr_runtime_tick(rt) -> ImGui::NewFrame() -> overlay.draw()
//                  -> ImGui::Render() -> draw the game, then the ImGui draw data
//     input: keys, text and the IME's composition go to the overlay (add_key_event,
//     add_input_text, set_composition), the rest to ImGui's backend; with SDL2,
//     msgr/render/sdl2_input.hpp does it.
//     destroy the overlay before the runtime.
//
// All calls on the host's (the runtime's owner) thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "msgr/msgr.h"

struct ImGuiContext;

namespace msgr::render {

// A corner of the host's screen (where toasts show; Steam's SetOverlayNotificationPosition).
enum class Corner { top_left, top_right, bottom_left, bottom_right };

struct OverlayOptions {
    // The key that opens and closes the overlay, as an ImGuiKey_ named key (ImGuiKey_Tab), and
    // whether Shift must be held with it. Default: Shift+Tab, like the Steam overlay.
    int toggle_key = -1;  // -1: ImGuiKey_Tab
    bool toggle_with_shift = true;
    // How dark the game gets behind an open overlay, 0 (not at all) to 255 (black).
    std::uint8_t dim_alpha = 140;
    // How long a toast for an incoming message stays, in seconds of ImGuiIO::DeltaTime.
    float toast_seconds = 5.0f;
    // Where toasts show: a corner, and their distance from its two edges in pixels (Steam's
    // SetOverlayNotificationPosition and SetOverlayNotificationInset). Toasts stack away from
    // the corner, the newest nearest to it.
    Corner toast_corner = Corner::bottom_right;
    float toast_inset_x = 16.0f;
    float toast_inset_y = 16.0f;
    // The sign-in name the sign-in dialog suggests.
    const char *default_signin_name = "player@loopback";
    // Whether the overlay starts open.
    bool start_open = false;

    // Fonts (see update_fonts). The overlay builds the ImGui context's font atlas (io.Fonts)
    // from these files, in order of preference: each code point is drawn from the first file
    // with a glyph for it (outline fonts, .ttf/.otf/.ttc, and colour bitmap fonts such as Noto
    // Color Emoji). NULL: Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk,
    // fonts-noto-color-emoji). A missing file is left out with a log line on stderr; with no
    // usable file the overlay draws with ImGui's default font (Latin only).
    const char *const *font_files = nullptr;
    std::size_t font_file_count = 0;
    float font_size = 16.0f;  // pixels
    // The player's text size, a factor on font_size (see Overlay::set_font_scale).
    float font_scale = 1.0f;
    // Whether atlas builds after the first run on a thread of their own (the frame that needs
    // new glyphs does not wait for them); false: update_fonts() builds before it returns.
    bool font_build_thread = true;
};

// What the font atlas holds (Overlay::font_stats).
struct FontStats {
    std::size_t builds = 0;         // atlases built and swapped in
    std::size_t code_points = 0;    // code points asked for so far
    std::size_t glyphs = 0;         // glyphs in the atlas
    std::size_t custom_glyphs = 0;  // of those, drawn by msgr (stand-ins, colour emoji)
    std::size_t without_glyph = 0;  // code points no font file has (drawn as ImGui's fallback)
    std::size_t stand_ins = 0;      // code points above U+FFFF (and real PUA ones) met so far
    int texture_width = 0, texture_height = 0;
    std::size_t texture_bytes = 0;  // RGBA32, what the host uploads
    double last_build_ms = 0.0;     // how long the last build took (on its own thread)
    std::size_t font_files = 0;     // usable font files
    std::size_t missing_font_files = 0;
};

// The modifier bits of Overlay::set_modifiers.
enum KeyModifier : unsigned {
    kModCtrl = 1u << 0,
    kModShift = 1u << 1,
    kModAlt = 1u << 2,
    kModSuper = 1u << 3,
};

// What the last draw() did: for tests, benchmarks and a host's debug display.
struct OverlayStats {
    int windows_drawn = 0;          // conversation and page windows
    std::size_t rows_drawn = 0;     // history rows submitted (the visible ones only)
    std::size_t rows_measured = 0;  // history rows whose wrapped height was computed
    std::size_t rows_total = 0;     // history rows laid out in all drawn windows (a window of
                                    // each history: never more than a few thousand a window)
    int toasts_drawn = 0;
    int typing_drawn = 0;  // windows that showed "... is typing..."
};

// Where a history entry was drawn in the last frame, in screen pixels.
struct DrawnRect {
    float x = 0, y = 0, w = 0, h = 0;
};

// MISTATUS as the overlay shows it: a word ("Online", "Be right back", ...) and a colour
// (ImU32, ABGR as IM_COL32 packs it). Never NULL.
const char *status_word(std::int32_t status) noexcept;
std::uint32_t status_colour(std::int32_t status) noexcept;

class Overlay {
  public:
    // rt must outlive the overlay. Checks that this library and the host use the same ImGui
    // (IMGUI_CHECKVERSION) when a context is current.
    explicit Overlay(msgr_runtime *rt, const OverlayOptions &options = {});
    ~Overlay();
    Overlay(const Overlay &) = delete;
    Overlay &operator=(const Overlay &) = delete;

    // Draws the overlay into the current ImGui context. Call between NewFrame and Render, after
    // msgr_runtime_tick. Does nothing when no context is current.
    void draw();

    // Open or close the overlay (as the toggle key does). Reports through the activated callback.
    void set_open(bool open);
    bool is_open() const noexcept;
    void toggle() { set_open(!is_open()); }

    // The host decides whether the overlay's windows may take keyboard focus (for example not
    // during play); this also tells the runtime (msgr_set_focus_allowed), so InstantMessage and
    // Page answer S_FALSE and show their windows without focus.
    void set_focus_allowed(bool allowed);
    // Whether an open overlay takes all of the host's input (as EOS's bIsExclusiveInput): the
    // game gets none while it is open. Otherwise the game gets what ImGui does not want.
    void set_exclusive_input(bool exclusive) noexcept;
    // Typed text (UTF-8, as SDL_TEXTINPUT delivers it): the host gives it here instead of to
    // ImGuiIO::AddInputCharactersUTF8, so that what the player typed reaches the input exactly
    // (code points above U+FFFF included, which 16-bit ImWchar cannot carry by itself: they
    // pass through ImGui as Private Use Area stand-ins, and what is sent, stored and put in the
    // draft is the exact UTF-8 again).
    void add_input_text(const char *utf8);
    // The keyboard, event by event, in the order the keys went down and up (with the text of
    // add_input_text between them): `key` is the key's index in ImGuiIO::KeysDown, as the host's
    // io.KeyMap names it (the SDL scancode with ImGui's SDL2 backend). Debian's ImGui 1.86 keeps
    // only the keys' state, so a key pressed and released between two frames would never be
    // seen, and text typed after Enter would land before the send; the overlay queues these
    // and applies them to ImGuiIO at each NewFrame (a context hook), as many as act correctly
    // in one frame, the rest in the next ones: every press acts once, in order. A host gives
    // keys here instead of setting io.KeysDown (msgr/render/sdl2_input.hpp does it for SDL2).
    // Call from the event poll, between ImGui::Render and ImGui::NewFrame.
    void add_key_event(int key, bool down);
    // The modifiers held from the next key event on (KeyModifier bits), as the platform reports
    // them with each key event (not polled later: events of one frame each carry their own).
    void set_modifiers(unsigned mods);
    // An IME's composition (pre-edit) text, as SDL_TEXTEDITING gives it: drawn at the caret of
    // the focused input, underlined, never put into the draft; "" (or NULL) ends it. `cursor` is
    // the IME's cursor in it, in code points. The IME commits through add_input_text. While
    // it composes, key presses are the IME's (its Enter confirms, it does not send).
    void set_composition(const char *utf8, int cursor);
    bool composing() const noexcept;
    // The caret of the overlay's focused input in the last frame, in ImGui's display
    // coordinates (the window's, with ImGui's SDL2 backend): where the IME's candidate window
    // goes (SDL_SetTextInputRect). False when no input of the overlay has the keyboard.
    bool caret_rect(DrawnRect &out) const noexcept;
    // Whether the overlay takes text now (it is open and an input of it has, or is about to
    // get, the keyboard): the host turns text input and the IME on (SDL_StartTextInput) while
    // this or its own ImGui's io.WantTextInput holds, and off otherwise, so that the IME does
    // not take the game's keys.
    bool wants_text_input() const noexcept;

    // Fonts: call once a frame between frames (before ImGui::NewFrame). The first call builds
    // the context's font atlas (ASCII and Latin-1); later calls add the glyphs that the text
    // drawn since needed (built on a thread of their own, swapped in when ready). Returns true
    // when io.Fonts changed: the host must then upload its font texture again, e.g.
    //     if (overlay.update_fonts()) {
    //         ImGui_ImplOpenGL3_DestroyFontsTexture();
    //         ImGui_ImplOpenGL3_CreateFontsTexture();
    //     }
    // Until it is re-uploaded the old texture is drawn with the new atlas: wrong glyphs. The
    // overlay owns io.Fonts once this is called (a host with fonts of its own passes them as
    // OverlayOptions::font_files). A host that never calls it keeps its own atlas, and text that
    // atlas has no glyphs for draws as ImGui's fallback ('?').
    bool update_fonts();
    // Whether glyphs are wanted or being built (the next update_fonts may change the atlas).
    bool fonts_pending() const noexcept;
    FontStats font_stats() const noexcept;
    // The player's text size, for high-DPI screens and readability: text is drawn at
    // font_size × scale pixels (clamped to 6–96; NaN or a scale <= 0 is ignored). The atlas is
    // rebuilt at the new size by the next update_fonts calls (the host re-uploads its texture
    // as for new glyphs) and the histories are measured again; windows keep their size.
    void set_font_scale(float scale) noexcept;
    float font_scale() const noexcept;
    // Moves the toasts (as OverlayOptions::toast_corner and the insets); from the next frame.
    void set_toast_position(Corner corner, float inset_x, float inset_y) noexcept;
    // Whether the host should keep the keyboard / the mouse from the game this frame (the mouse
    // also while it is over a toast, which a click opens).
    bool wants_keyboard() const noexcept;
    bool wants_mouse() const noexcept;

    // Called with open = true / false when the overlay opens or closes (as Steam's
    // GameOverlayActivated), so a game can pause. Called from draw() or set_open().
    using ActivatedFn = void (*)(bool open, void *user);
    void set_activated_callback(ActivatedFn fn, void *user) noexcept;

    const OverlayStats &stats() const noexcept;
    // The screen rectangle where history entry `index` of window w was drawn in the last frame;
    // false when it was not drawn (scrolled away, window not drawn).
    bool drawn_rect(const msgr_window *w, std::size_t index, DrawnRect &out) const noexcept;
    // The screen rectangle of window w in the last frame; false when it was not drawn.
    bool window_rect(const msgr_window *w, DrawnRect &out) const noexcept;
    // Where a control was drawn in the last frame, for scripted input (the demo's session, tests)
    // and a host's tutorials: false when it was not drawn. `w` names the window for the window
    // controls; `index` the contact (as msgr_my_contacts_get counts) for the contact controls.
    //   contact_page: only for a contact that can be paged (msgr_contact_can_page);
    //   forget, forget_confirm: a conversation's "Forget" and its confirmation's button;
    //   search_query, search_button: the search window's field and button (w unused);
    //   search_hit: the search window's hit `index`;
    //   toast: toast `index` (0: the newest); a click on one opens the overlay and its
    //   conversation.
    //   signin_name, chat_with: the sign-in name field; the contact list's "Chat with" field.
    //   request_accept, request_decline, request_block: friend request `index`'s buttons (as
    //   requests_shown counts them);
    //   add_friend, add_friend_button: the "Add a friend" field and its Add button;
    //   contact_row: contact `index`'s whole row (a right-click on it opens its menu);
    //   contact_block, contact_remove: the open contact menu's Block (or Unblock) and
    //   "Remove from list";
    //   rename, rename_field: the Rename button next to the player's name, and the name's field
    //   while it is edited (Enter saves, Escape cancels).
    enum class Control {
        input,
        send,
        title_bar,
        close,
        signin,
        contact_chat,
        contact_page,
        forget,
        forget_confirm,
        search_query,
        search_button,
        search_hit,
        toast,
        signin_name,  // the sign-in dialog's name field
        chat_with,    // the contact list's "Chat with" field
        request_accept,
        request_decline,
        request_block,
        add_friend,
        add_friend_button,
        contact_row,
        contact_block,
        contact_remove,
        rename,
        rename_field
    };
    bool control_rect(Control control, const msgr_window *w, std::size_t index,
                      DrawnRect &out) const noexcept;
    // The unread count (what the player has not seen of a conversation) shown in the last frame
    // next to contact `index` of the contact list (control contact_chat) or on toast `index`
    // (control toast; only past one: the toast's own message); 0 when none was shown. Window
    // titles show it too ("Alice (3)").
    std::size_t unread_shown(Control control, std::size_t index) const noexcept;
    // The last message shown in the overlay's status line, in words for the player ("mobile@x:
    // This contact has no mobile device to page."; "" after a success); never NULL.
    const char *status_line() const noexcept;
    // The contact list's friend requests (MSGR_EVENT_AUTHORIZATION_REQUEST) shown in the last
    // frame, oldest first, and the name request `index` shows (NULL past the end). Accept or
    // Decline answers it (msgr_authorize) and it goes; so does a request whose contact is
    // blocked.
    std::size_t requests_shown() const noexcept;
    const char *request_shown(std::size_t index) const noexcept;
    // What came of the last "Add a friend", in words ("shout@loopback: Added to your list.",
    // "x@loopback: Your request was declined."); "" before one. Never NULL.
    const char *add_friend_status() const noexcept;
    // The player's own name as the contact list shows it at its top (msgr_my_friendly_name).
    const char *my_name_shown() const noexcept;
    // Whether contact `index`'s row showed "(blocked)" in the last frame.
    bool blocked_shown(std::size_t index) const noexcept;
    // The activity drawn under contact `index`'s name in the last frame (rich presence, as
    // msgr_contact_activity gives it, made a one-line label); NULL when none was drawn.
    const char *activity_shown(std::size_t index) const noexcept;
    // The player's own activity as the top of the contact list shows it ("" when none).
    const char *my_activity_shown() const noexcept;
    // The delivery mark drawn with outgoing history entry `index` of w in the last frame
    // ("pending", "sent", "delivered", "read", "failed"); NULL when none was drawn.
    const char *drawn_mark(const msgr_window *w, std::size_t index) const noexcept;
    // The title w's window was drawn with in the last frame ("Echo, Shout (2)###..."; what
    // follows "###" is ImGui's id, not shown); NULL when it was not drawn.
    const char *drawn_title(const msgr_window *w) const noexcept;
    // The header drawn above history entry `index` of w in the last frame ("Name  14:03", local
    // time; a run of one sender's messages has one); NULL when none was drawn.
    const char *drawn_header(const msgr_window *w, std::size_t index) const noexcept;
    // The day separator drawn above entry `index` ("Today", "Yesterday", "Monday 30 November
    // 2026"); NULL when none was drawn.
    const char *drawn_day(const msgr_window *w, std::size_t index) const noexcept;
    // The entry the "new messages" marker was drawn above in the last frame (the first the
    // player had not seen when the window was opened or focused); false when none was drawn.
    bool new_marker_shown(const msgr_window *w, std::size_t &index) const noexcept;
    // Whether w showed "<contact> is typing..." in the last frame.
    bool typing_shown(const msgr_window *w) const noexcept;

    // Opens the overlay and its search window with the keyboard in the query field (the
    // contact list's "Search" button does the same; a host may bind a key to it).
    void show_search();
    // The search window's status ("Searching...", "3 messages found", why it failed) and how
    // many hits it lists; "" and 0 before a search.
    const char *search_status() const noexcept;
    std::size_t search_hits_shown() const noexcept;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace msgr::render
