// The loopback service add-in: the embedded default contact service (DESIGN rule 7). It sees
// only sdk/ (msgr/addin.h) and reaches the runtime only through the host functions, exactly as
// a network service does.
//
// What it does:
//  - sign-in with any well-formed name succeeds (or, when [loopback] password is set, only
//    with it: MSGR_E_INVALID_PASSWORD otherwise); the answer arrives on a later tick;
//  - contacts exist on demand; the configured directory ([[loopback.contacts]]) supplies
//    friendly names, presence and mobile flags, and is the contact list;
//  - the echo contact ([loopback] echo) answers every message with the same text; a message
//    sent with its origin id (ABI 1.4, send_message_ex) is answered as a contact's client
//    would: a DELIVERED receipt, "typing" (COMPOSING), the answer (with ids), ACTIVE, then a
//    READ receipt, so that the embedded default shows receipts, read markers and typing;
//  - the shout contact ([loopback] shout, "shout@loopback" by default) is a second bot: it
//    answers every message with the same text in capitals (ASCII letters);
//  - it carries conversations with several contacts (MSGR_SERVICE_MULTI_PARTY, ABI 1.5): a
//    message to a group reaches each member, and echo and shout answer in the group (their
//    answers name the group), so that the embedded default shows a group conversation;
//  - the user's chat states and read markers are taken (nobody on the loopback network reads
//    them); it keeps no archive (no fetch_older);
//  - [[loopback.services]] adds secondary loopback services (e.g. one that cannot page, like
//    the Exchange service of the Page remarks);
//  - the control contact ([loopback] control, "control@loopback" by default) makes the loopback
//    "network" do what a real network does, so that hosts and tests can exercise the runtime's
//    reactions end to end through the same C boundary. The user sends it commands:
//        help                      lists the commands
//        drop                      the connection is lost ("the client goes offline")
//        hold                      the network takes the user's messages and never answers
//                                  (no SENT, no receipt, no echo) until the next sign-in, as
//                                  a server that stopped acknowledging
//        say <from> <text>         <from> sends you <text>
//        say-hex <from> <hex>      <from> sends you these bytes (e.g. invalid UTF-8)
//        flood <from> <count>      <from> sends you <count> messages "0", "1", ... from the
//                                  add-in's own thread (waits while the runtime's inbox is full)
//        status <contact> <status> <contact>'s presence changes (online, away, busy, ...)
//        add <contact> / remove <contact>   the contact list changes
//        request <from>            <from> asks to add the user to their contact list
//        accept <contact> / decline <contact>   <contact> answers the user's request to add
//                                  them (msgr_add_contact)
//        rename <contact> <name>   <contact>'s friendly name changes
//        block <contact> / unblock <contact>   the user blocked <contact> elsewhere (the
//                                  network reports it)
//        activity <contact> [<text>]   <contact> is doing <text> now (rich presence, ABI 1.7);
//                                  without a text, nothing any more
//  - the contact list (ABI 1.6): a request to add a bot (echo, shout, control) is accepted at
//    once; a request to add anyone else waits for the control contact's accept or decline. A
//    request the user accepts (authorize) puts its sender on the list. The block list and the
//    user's friendly name are kept for the session's service; [loopback] requests = [...] names
//    contacts that ask to add the user each time they sign in;
//  - rich presence (ABI 1.7): the bots are doing something of their own (echo "Echoing what you
//    say", shout "Shouting it back", control "Taking commands"), reported at each sign-in with
//    the directory's activities ([[loopback.contacts]] activity = "..."; a bot's entry there
//    replaces its own, "" for none); the user's own activity (set_activity) is taken and kept
//    for the session's service (nobody on the loopback network shows it);
//    It answers "ok: ..." or "error: ..." as a message. Only the user can send it commands (only
//    the user sends), and it can do nothing a real server could not do to a session.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "msgr/addin.h"
#include "msgr/addin_host.hpp"

namespace {

constexpr std::uint32_t kMaxMessageBytes = 64 * 1024;

struct StatusName {
    const char *name;
    std::int32_t value;
};
constexpr StatusName kStatusNames[] = {
    {"online", MSGR_STATUS_ONLINE},
    {"offline", MSGR_STATUS_OFFLINE},
    {"invisible", MSGR_STATUS_INVISIBLE},
    {"busy", MSGR_STATUS_BUSY},
    {"be_right_back", MSGR_STATUS_BE_RIGHT_BACK},
    {"idle", MSGR_STATUS_IDLE},
    {"away", MSGR_STATUS_AWAY},
    {"on_the_phone", MSGR_STATUS_ON_THE_PHONE},
    {"out_to_lunch", MSGR_STATUS_OUT_TO_LUNCH},
};
constexpr const char *kStatusList =
    "online, offline, invisible, busy, be_right_back, idle, away, on_the_phone, out_to_lunch";

bool parse_status(std::string_view name, std::int32_t &out) {
    for (const auto &s : kStatusNames) {
        if (name == s.name) {
            out = s.value;
            return true;
        }
    }
    return false;
}

std::string fold(std::string_view s) {
    std::string out(s);
    for (auto &c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Counts UTF-16 units of valid UTF-8; -1 when the text is not valid UTF-8.
long utf16_units(std::string_view s) {
    long units = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            n = 1;
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (i + n > s.size()) return -1;
        for (std::size_t k = 1; k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return -1;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
        units += cp >= 0x10000 ? 2 : 1;
        i += n;
    }
    return units;
}

// The runtime's rule for a sign-in name (the vContact rules of the reference pages).
const char *bad_signin(std::string_view s) {
    if (s.empty()) return "is empty";
    if (s.front() == ' ') return "starts with a space";
    if (s.find_first_of("\r\n") != std::string_view::npos) return "contains CR or LF";
    const long units = utf16_units(s);
    if (units < 0) return "is not valid UTF-8";
    if (units > 129) return "is longer than 129 UTF-16 units";
    return nullptr;
}

// Why an activity cannot be a contact's (msgr.h: msgr_set_my_activity's rules), or nullptr.
const char *bad_activity(std::string_view s) {
    if (s.find_first_of("\r\n") != std::string_view::npos) return "contains CR or LF";
    const long units = utf16_units(s);
    if (units < 0) return "is not valid UTF-8";
    if (units > MSGR_MAX_ACTIVITY_UTF16) return "is longer than 128 UTF-16 units";
    return nullptr;
}

struct Contact {
    std::string signin;
    std::string key;  // case-folded
    std::string friendly;
    std::string service = "loopback";
    std::int32_t status = MSGR_STATUS_ONLINE;
    bool mobile = false;
    std::string activity{};     // rich presence (ABI 1.7)
    bool has_activity = false;  // activity was configured or set ("" too: replaces a bot's own)
};

class Addin;

// One loopback service (the primary "loopback", or a secondary from [[loopback.services]]).
struct Service {
    Addin *addin = nullptr;
    std::string id;
    bool paging = true;
    std::mutex mutex;  // guards session, holding and directory (the flood thread reads session)
    std::uint64_t session = 0;
    bool holding = false;  // the control contact's "hold": the user's messages go unanswered
    std::vector<Contact> directory;
    std::vector<std::string> blocked;   // sign-in names the user blocked (reported at sign-in)
    std::vector<std::string> asked;     // case-folded: the user asked to add them, unanswered
    std::vector<std::string> requests;  // sign-in names that ask to add the user at sign-in
    std::string my_friendly;            // the user's friendly name ("": not set)
    std::string my_activity;            // the user's activity ("": none)
    msgr_contact_service table{};
};

// What the host gives the add-in.
using Host = msgr::addin::HostFunctions;

// A configuration error: becomes the add-in's refusal reason.
struct Invalid {
    std::string message;
};

class Config {
  public:
    explicit Config(Host &h) : h_(h) {
        const char *o = h.config_origin(h.ctx);
        origin_ = (o != nullptr && *o != '\0') ? o : "the embedded defaults";
    }

    [[noreturn]] void error(const std::string &key, const std::string &what) const {
        throw Invalid{origin_ + ": loopback." + key + " " + what};
    }

    bool string(const std::string &key, std::string &out) const {
        const char *v = nullptr;
        const msgr_hresult hr = h_.config_string(h_.ctx, key.c_str(), &v);
        if (hr == MSGR_S_FALSE) return false;
        if (hr != MSGR_S_OK) error(key, "must be a string");
        if (utf16_units(v) < 0) error(key, "is not valid UTF-8");
        out = v;
        return true;
    }
    void boolean(const std::string &key, bool &out) const {
        int v = 0;
        const msgr_hresult hr = h_.config_bool(h_.ctx, key.c_str(), &v);
        if (hr == MSGR_S_FALSE) return;
        if (hr != MSGR_S_OK) error(key, "must be true or false");
        out = v != 0;
    }
    // The number of tables in an array of tables ([[loopback.key]]); 0 when absent.
    std::size_t tables(const std::string &key) const {
        std::size_t n = 0;
        const msgr_hresult hr = h_.config_array_size(h_.ctx, key.c_str(), &n);
        if (hr == MSGR_S_FALSE) return 0;
        if (hr != MSGR_S_OK) error(key, "must be an array of tables ([[loopback." + key + "]])");
        for (std::size_t i = 0; i < n; ++i) {
            const char *k = nullptr;
            const std::string path = key + "[" + std::to_string(i) + "]";
            if (MSGR_FAILED(h_.config_key_at(h_.ctx, path.c_str(), 0, &k)))
                error(key, "must be an array of tables ([[loopback." + key + "]])");
        }
        return n;
    }
    // Refuses keys of the table at path ("" for [loopback] itself) that are not in known.
    void only(const std::string &path, std::initializer_list<std::string_view> known) const {
        for (std::size_t i = 0;; ++i) {
            const char *k = nullptr;
            if (h_.config_key_at(h_.ctx, path.c_str(), i, &k) != MSGR_S_OK) break;
            bool ok = false;
            for (const auto kn : known)
                ok = ok || kn == k;
            if (!ok) {
                throw Invalid{origin_ + ": unknown key " + k + " in [loopback" +
                              (path.empty() ? "" : "." + path) + "]"};
            }
        }
    }

  private:
    Host &h_;
    std::string origin_;
};

class Addin {
  public:
    Host host;
    std::string echo_key;   // case-folded; "" for none
    std::string shout_key;  // case-folded; "" for none
    std::string control_key;
    std::string control_name;
    std::string echo_name;
    std::string shout_name;
    std::string password;
    std::vector<std::unique_ptr<Service>> services;

    ~Addin() { join_floods(); }

    void configure() {
        Config c(host);
        c.only("", {"paging", "echo", "shout", "password", "control", "services", "contacts",
                    "requests"});
        bool paging = true;
        c.boolean("paging", paging);
        std::string echo = "echo@loopback";
        c.string("echo", echo);
        if (!echo.empty()) {
            if (const char *why = bad_signin(echo)) c.error("echo", why);
        }
        echo_key = fold(echo);
        echo_name = echo;
        std::string shout = "shout@loopback";
        c.string("shout", shout);
        if (!shout.empty()) {
            if (const char *why = bad_signin(shout)) c.error("shout", why);
        }
        shout_key = fold(shout);
        shout_name = shout;
        control_name = "control@loopback";
        c.string("control", control_name);
        if (!control_name.empty()) {
            if (const char *why = bad_signin(control_name)) c.error("control", why);
        }
        control_key = fold(control_name);
        c.string("password", password);

        add_service("loopback", paging);
        const std::size_t ns = c.tables("services");
        for (std::size_t i = 0; i < ns; ++i) {
            const std::string at = "services[" + std::to_string(i) + "]";
            c.only(at, {"id", "paging"});
            std::string id;
            bool p = true;
            if (!c.string(at + ".id", id) || id.empty()) c.error("services.id", "is required");
            c.boolean(at + ".paging", p);
            for (const auto &s : services) {
                if (s->id == id)
                    c.error("services.id", "\"" + id + "\": the service id is used twice");
            }
            add_service(id, p);
        }

        std::vector<Contact> contacts = {
            {"echo@loopback", "echo@loopback", "Echo", "loopback", MSGR_STATUS_ONLINE, false},
            {"mobile@loopback", "mobile@loopback", "Pat (mobile)", "loopback", MSGR_STATUS_AWAY,
             true},
        };
        const std::size_t nc = c.tables("contacts");
        if (nc > 0) contacts.clear();
        for (std::size_t i = 0; i < nc; ++i) {
            const std::string at = "contacts[" + std::to_string(i) + "]";
            c.only(at, {"signin", "friendly", "service", "status", "mobile", "activity"});
            Contact contact;
            c.string(at + ".signin", contact.signin);
            if (const char *why = bad_signin(contact.signin)) c.error("contacts.signin", why);
            contact.key = fold(contact.signin);
            c.string(at + ".friendly", contact.friendly);
            c.string(at + ".service", contact.service);
            std::string status;
            if (c.string(at + ".status", status) && !parse_status(status, contact.status)) {
                c.error("contacts.status",
                        "is \"" + status + "\"; expected one of " + std::string(kStatusList));
            }
            c.boolean(at + ".mobile", contact.mobile);
            contact.has_activity = c.string(at + ".activity", contact.activity);
            if (const char *why = bad_activity(contact.activity)) c.error("contacts.activity", why);
            Service *svc = find(contact.service);
            if (svc == nullptr) {
                throw Invalid{"contact \"" + contact.signin + "\" names service \"" +
                              contact.service + "\", which [loopback] does not provide"};
            }
            svc->directory.push_back(std::move(contact));
        }
        if (nc == 0) {
            for (auto &contact : contacts)
                services.front()->directory.push_back(std::move(contact));
        }
        std::size_t nr = 0;
        const msgr_hresult rhr = host.config_array_size(host.ctx, "requests", &nr);
        if (MSGR_FAILED(rhr)) c.error("requests", "must be an array of sign-in names");
        for (std::size_t i = 0; rhr == MSGR_S_OK && i < nr; ++i) {
            const char *name = nullptr;
            if (host.config_array_string(host.ctx, "requests", i, &name) != MSGR_S_OK)
                c.error("requests", "must be an array of sign-in names");
            if (const char *why = bad_signin(name)) c.error("requests", why);
            services.front()->requests.emplace_back(name);
        }
    }

    // Whether key (case-folded) is one of the bots of the first service.
    bool is_bot(const Service &s, const std::string &key) const {
        if (services.front().get() != &s) return false;
        return (!echo_key.empty() && key == echo_key) || (!shout_key.empty() && key == shout_key) ||
               (!control_key.empty() && key == control_key);
    }

    // The activities s reports at sign-in: the bots' own (first service only), then the
    // directory's (a bot's entry there replaces its own). Called with s.mutex held.
    std::vector<std::pair<std::string, std::string>> activities(const Service &s) const {
        std::vector<std::pair<std::string, std::string>> out;
        if (services.front().get() == &s) {
            const std::pair<const std::string *, const char *> bots[] = {
                {&echo_name, "Echoing what you say"},
                {&shout_name, "Shouting it back"},
                {&control_name, "Taking commands"}};
            for (const auto &[name, text] : bots) {
                if (name->empty()) continue;
                const std::string key = fold(*name);
                const bool replaced =
                    std::any_of(s.directory.begin(), s.directory.end(),
                                [&](const Contact &c) { return c.key == key && c.has_activity; });
                if (!replaced) out.emplace_back(*name, text);
            }
        }
        for (const auto &c : s.directory) {
            if (c.has_activity && !c.activity.empty()) out.emplace_back(c.signin, c.activity);
        }
        return out;
    }

    Service *find(std::string_view id) {
        for (auto &s : services) {
            if (s->id == id) return s.get();
        }
        return nullptr;
    }

    // Runs `command`, sent by the user to the control contact of `svc`; returns the answer.
    std::string control(Service &svc, std::uint64_t session, const std::string &command);
    // The control commands about the contact list (ABI 1.6): false when words are none of them.
    bool list_command(Service &svc, std::uint64_t session, const std::vector<std::string> &words,
                      const std::string &command, std::size_t rest_at, std::string &answer);

    void join_floods() {
        std::vector<std::thread> floods;
        {
            const std::lock_guard<std::mutex> lock(flood_mutex_);
            floods.swap(floods_);
        }
        for (auto &t : floods)
            t.join();
    }

  private:
    void add_service(const std::string &id, bool paging) {
        auto s = std::make_unique<Service>();
        s->addin = this;
        s->id = id;
        s->paging = paging;
        services.push_back(std::move(s));
    }

    std::mutex flood_mutex_;
    std::vector<std::thread> floods_;
};

std::uint64_t current_session(Service &s) {
    const std::lock_guard<std::mutex> lock(s.mutex);
    return s.session;
}

// ---- the contact service table ----------------------------------------------------------------

msgr_hresult svc_signin(void *state, std::uint64_t session, const char *, const char *password) {
    auto &s = *static_cast<Service *>(state);
    Host &h = s.addin->host;
    const bool ok = s.addin->password.empty() || s.addin->password == password;
    std::vector<std::string> list, blocked, requests;
    std::vector<std::pair<std::string, std::string>> activities;
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        s.session = ok ? session : 0;
        s.holding = false;
        s.asked.clear();
        if (ok) {
            for (const auto &c : s.directory)
                list.push_back(c.signin);
            blocked = s.blocked;
            requests = s.requests;
            activities = s.addin->activities(s);
        }
        s.my_activity.clear();  // the runtime starts every session with none
    }
    // The answer arrives on a later tick, as a network service's would.
    h.post_signin(h.ctx, s.id.c_str(), session, ok ? MSGR_S_OK : MSGR_E_INVALID_PASSWORD);
    for (const auto &c : list)
        h.post_contact(h.ctx, s.id.c_str(), session, c.c_str(), 1);
    if (h.has_contact_list_functions()) {  // ABI 1.6: the block list, then the requests
        for (const auto &c : blocked)
            h.post_blocked(h.ctx, s.id.c_str(), session, c.c_str(), 1);
        for (const auto &c : requests)
            h.post_authorization_request(h.ctx, s.id.c_str(), session, c.c_str());
    }
    if (h.has_activity_functions()) {  // ABI 1.7: what the contacts are doing
        for (const auto &[who, text] : activities)
            h.post_activity(h.ctx, s.id.c_str(), session, who.c_str(), text.c_str());
    }
    return MSGR_S_OK;
}

msgr_hresult svc_signout(void *state) {
    auto &s = *static_cast<Service *>(state);
    const std::lock_guard<std::mutex> lock(s.mutex);
    s.session = 0;
    return MSGR_S_OK;
}

msgr_hresult svc_set_status(void *, std::int32_t) {
    return MSGR_S_OK;  // nobody on the loopback network watches the user's presence
}

msgr_hresult svc_describe(void *state, const char *signin, msgr_contact_info *out) {
    auto &s = *static_cast<Service *>(state);
    const std::string key = fold(signin);
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        for (const auto &c : s.directory) {
            if (c.key != key) continue;
            // Valid until the runtime copies it: only calls on the runtime's thread (this one)
            // change the directory.
            out->friendly = c.friendly.c_str();
            out->status = c.status;
            out->mobile = c.mobile ? 1 : 0;
            return MSGR_S_OK;
        }
    }
    const bool first = s.addin->services.front().get() == &s;
    if (first && !s.addin->echo_key.empty() && key == s.addin->echo_key) {
        out->friendly = "Echo";
        out->status = MSGR_STATUS_ONLINE;
    } else if (first && !s.addin->shout_key.empty() && key == s.addin->shout_key) {
        out->friendly = "Shout";
        out->status = MSGR_STATUS_ONLINE;
    } else if (first && !s.addin->control_key.empty() && key == s.addin->control_key) {
        out->friendly = "Loopback control";
        out->status = MSGR_STATUS_ONLINE;
    } else {
        // Contacts exist on demand: a name nobody configured is a contact that is not online.
        out->status = MSGR_STATUS_OFFLINE;
    }
    return MSGR_S_OK;
}

// The shout bot's answer: the text with its ASCII letters in capitals (other bytes as they are).
std::string shout(const char *text, std::size_t text_size) {
    std::string out(text, text_size);
    for (char &ch : out) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    }
    return out;
}

// Delivers one message of the user's. origin_id: the runtime's id for it (send_message_ex), or
// NULL (send_message, or a runtime older than ABI 1.4).
void deliver(Service &s, std::uint64_t message_id, const char *to, const char *text,
             std::size_t text_size, const char *origin_id) {
    Addin &a = *s.addin;
    Host &h = a.host;
    const std::uint64_t session = current_session(s);
    if (session == 0) {
        h.post_delivery(h.ctx, message_id, MSGR_DELIVERY_FAILED, MSGR_E_NOT_LOGGED_ON);
        return;
    }
    const bool first = a.services.front().get() == &s;
    const std::string key = fold(to);
    const bool to_control = first && !a.control_key.empty() && key == a.control_key;
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        if (s.holding && !to_control) return;  // taken, never answered: it stays PENDING
    }
    h.post_delivery(h.ctx, message_id, MSGR_DELIVERY_SENT, MSGR_S_OK);
    const char *id = s.id.c_str();
    if (first && !a.echo_key.empty() && key == a.echo_key) {
        if (origin_id == nullptr) {
            h.post_message(h.ctx, id, session, to, text, text_size);
            return;
        }
        // What a contact's client does (the embedded default shows all of it): it receives the
        // message, types, answers, and reads the message. The answer's id derives from the
        // user's message's, so that a resend's echo is the same message (deduplicated), also
        // after a restart.
        const std::string echo_id = std::string("echo-") + origin_id;
        h.post_receipt(h.ctx, id, session, to, origin_id, MSGR_DELIVERY_DELIVERED);
        h.post_chat_state(h.ctx, id, session, to, MSGR_CHAT_STATE_COMPOSING);
        msgr_incoming_message m{};
        m.struct_size = sizeof m;
        m.service = id;
        m.session = session;
        m.peer = to;
        m.text = text;
        m.text_size = text_size;
        m.origin_id = echo_id.c_str();
        m.receipt_id = echo_id.c_str();
        h.post_message_ex(h.ctx, &m);
        h.post_chat_state(h.ctx, id, session, to, MSGR_CHAT_STATE_ACTIVE);
        h.post_receipt(h.ctx, id, session, to, origin_id, MSGR_DELIVERY_READ);
    } else if (first && !a.shout_key.empty() && key == a.shout_key) {
        const std::string loud = shout(text, text_size);
        if (origin_id == nullptr) {
            h.post_message(h.ctx, id, session, to, loud.c_str(), loud.size());
            return;
        }
        const std::string shout_id = std::string("shout-") + origin_id;
        msgr_incoming_message m{};
        m.struct_size = sizeof m;
        m.service = id;
        m.session = session;
        m.peer = to;
        m.text = loud.c_str();
        m.text_size = loud.size();
        m.origin_id = shout_id.c_str();
        h.post_message_ex(h.ctx, &m);
    } else if (to_control) {
        std::string answer;
        try {
            answer = a.control(s, session, std::string(text, text_size));
        } catch (const std::exception &e) {
            answer = std::string("error: ") + e.what();
        }
        h.post_message(h.ctx, id, session, to, answer.c_str(), answer.size());
    }
}

// Delivers one message of the user's to a group (ABI 1.5): every member gets it; echo and shout
// answer in the group, each answer naming its sender and the group.
void deliver_group(Service &s, const msgr_outgoing_message &out) {
    Addin &a = *s.addin;
    Host &h = a.host;
    const std::uint64_t session = current_session(s);
    if (session == 0) {
        h.post_delivery(h.ctx, out.message_id, MSGR_DELIVERY_FAILED, MSGR_E_NOT_LOGGED_ON);
        return;
    }
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        if (s.holding) return;  // taken, never answered: it stays PENDING
    }
    h.post_delivery(h.ctx, out.message_id, MSGR_DELIVERY_SENT, MSGR_S_OK);
    if (a.services.front().get() != &s) return;  // the bots live on the first service
    const std::string_view members = out.members != nullptr ? out.members : out.to;
    std::size_t at = 0;
    while (at <= members.size()) {
        std::size_t end = members.find('\n', at);
        if (end == std::string_view::npos) end = members.size();
        const std::string member(members.substr(at, end - at));
        at = end + 1;
        const std::string key = fold(member);
        std::string answer;
        std::string answer_id;
        if (!a.echo_key.empty() && key == a.echo_key) {
            answer.assign(out.text, out.text_size);
            answer_id = "echo-";
        } else if (!a.shout_key.empty() && key == a.shout_key) {
            answer = shout(out.text, out.text_size);
            answer_id = "shout-";
        } else {
            continue;  // a member nobody answers for: delivered, as a network would
        }
        answer_id += out.origin_id != nullptr ? out.origin_id : "";
        msgr_incoming_message m{};
        m.struct_size = sizeof m;
        m.service = s.id.c_str();
        m.session = session;
        m.peer = member.c_str();
        m.text = answer.c_str();
        m.text_size = answer.size();
        m.origin_id = answer_id.c_str();
        m.group = out.group;
        h.post_message_ex(h.ctx, &m);
    }
}

msgr_hresult svc_send(void *state, std::uint64_t message_id, const char *to, const char *text,
                      std::size_t text_size) {
    deliver(*static_cast<Service *>(state), message_id, to, text, text_size, nullptr);
    return MSGR_S_OK;
}

msgr_hresult svc_send_ex(void *state, const msgr_outgoing_message *m) {
    const bool has_group = m->struct_size >= offsetof(msgr_outgoing_message, members) +
                                                 sizeof(msgr_outgoing_message::members);
    if (has_group && m->group != nullptr && m->group[0] != '\0') {
        deliver_group(*static_cast<Service *>(state), *m);
        return MSGR_S_OK;
    }
    deliver(*static_cast<Service *>(state), m->message_id, m->to, m->text, m->text_size,
            m->origin_id);
    return MSGR_S_OK;
}

// The user's read markers and chat states reach nobody on the loopback network: taken.
msgr_hresult svc_send_chat_state(void *state, const char *to, msgr_chat_state chat_state) {
    const Host &h = static_cast<Service *>(state)->addin->host;
    h.say(MSGR_LOG_DEBUG,
          "chat state " + std::to_string(static_cast<int>(chat_state)) + " to " + std::string(to));
    return MSGR_S_OK;
}

msgr_hresult svc_send_displayed(void *state, const char *to, const char *receipt_id) {
    const Host &h = static_cast<Service *>(state)->addin->host;
    h.say(MSGR_LOG_DEBUG, "displayed " + std::string(receipt_id) + " to " + std::string(to));
    return MSGR_S_OK;
}

// ---- the contact list (ABI 1.6) --------------------------------------------------------------

// Puts signin in the directory (the contact list the next sign-in reports), once.
void list(Service &s, const std::string &signin) {
    const std::string key = fold(signin);
    const std::lock_guard<std::mutex> lock(s.mutex);
    for (const auto &c : s.directory) {
        if (c.key == key) return;
    }
    s.directory.push_back({signin, key, "", s.id, MSGR_STATUS_ONLINE, false});
}

// Answers the user's request to add signin: S_OK puts it on the list.
void answer_add(Service &s, std::uint64_t session, const std::string &signin, msgr_hresult hr) {
    if (hr == MSGR_S_OK) list(s, signin);
    Host &h = s.addin->host;
    h.post_add_result(h.ctx, s.id.c_str(), session, signin.c_str(), hr);
}

msgr_hresult svc_add_contact(void *state, const char *signin) {
    auto &s = *static_cast<Service *>(state);
    const std::uint64_t session = current_session(s);
    if (session == 0) return MSGR_S_OK;  // signed out meanwhile: the runtime forgets it
    const std::string key = fold(signin);
    if (s.addin->is_bot(s, key)) {  // a bot accepts at once
        answer_add(s, session, signin, MSGR_S_OK);
        return MSGR_S_OK;
    }
    const std::lock_guard<std::mutex> lock(s.mutex);
    s.asked.push_back(key);  // until the control contact's accept or decline
    return MSGR_S_OK;
}

msgr_hresult svc_remove_contact(void *state, const char *signin) {
    auto &s = *static_cast<Service *>(state);
    const std::string key = fold(signin);
    const std::lock_guard<std::mutex> lock(s.mutex);
    std::erase_if(s.directory, [&](const Contact &c) { return c.key == key; });
    return MSGR_S_OK;
}

msgr_hresult svc_authorize(void *state, const char *signin, int accept) {
    auto &s = *static_cast<Service *>(state);
    const std::uint64_t session = current_session(s);
    const std::string key = fold(signin);
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        std::erase_if(s.requests, [&](const std::string &r) { return fold(r) == key; });
    }
    if (accept == 0 || session == 0) return MSGR_S_OK;
    // Accepted: on the loopback network that makes them each other's contacts.
    list(s, signin);
    Host &h = s.addin->host;
    h.post_contact(h.ctx, s.id.c_str(), session, signin, 1);
    return MSGR_S_OK;
}

msgr_hresult svc_set_blocked(void *state, const char *signin, int blocked) {
    auto &s = *static_cast<Service *>(state);
    const std::string key = fold(signin);
    const std::lock_guard<std::mutex> lock(s.mutex);
    std::erase_if(s.blocked, [&](const std::string &b) { return fold(b) == key; });
    if (blocked != 0) s.blocked.emplace_back(signin);
    return MSGR_S_OK;
}

msgr_hresult svc_set_friendly_name(void *state, const char *name) {
    auto &s = *static_cast<Service *>(state);
    const std::lock_guard<std::mutex> lock(s.mutex);
    s.my_friendly = name;  // nobody on the loopback network shows it
    return MSGR_S_OK;
}

msgr_hresult svc_set_activity(void *state, const char *text) {
    auto &s = *static_cast<Service *>(state);
    const std::lock_guard<std::mutex> lock(s.mutex);
    s.my_activity = text;  // nobody on the loopback network shows it
    return MSGR_S_OK;
}

std::string Addin::control(Service &svc, std::uint64_t session, const std::string &command) {
    std::vector<std::string> words;
    std::size_t rest_at = std::string::npos;  // where the third word starts ("say" keeps it all)
    for (std::size_t i = 0; i < command.size();) {
        while (i < command.size() && command[i] == ' ')
            ++i;
        if (i >= command.size()) break;
        if (words.size() == 2) rest_at = i;
        const std::size_t end = command.find(' ', i);
        words.push_back(command.substr(i, end == std::string::npos ? end : end - i));
        i = end == std::string::npos ? command.size() : end;
    }
    const char *id = svc.id.c_str();
    const std::string verb = words.empty() ? "" : words[0];
    if (verb == "drop" && words.size() == 1) {
        host.post_offline(host.ctx, id, session, MSGR_E_DISCONNECTED);
        const std::lock_guard<std::mutex> lock(svc.mutex);
        svc.session = 0;
        return "ok: dropped";
    }
    if (verb == "hold" && words.size() == 1) {
        const std::lock_guard<std::mutex> lock(svc.mutex);
        svc.holding = true;
        return "ok: holding";
    }
    if (verb == "say" && words.size() >= 3) {
        if (const char *why = bad_signin(words[1])) return "error: the sender " + std::string(why);
        const std::string text = command.substr(rest_at);
        host.post_message(host.ctx, id, session, words[1].c_str(), text.c_str(), text.size());
        return "ok";
    }
    if (verb == "say-hex" && words.size() == 3) {
        // The text as hex bytes: lets a test send what the UI could not (invalid UTF-8, NULs),
        // as a hostile or broken network might.
        if (const char *why = bad_signin(words[1])) return "error: the sender " + std::string(why);
        const std::string &hex = words[2];
        std::string bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
            const auto nibble = [](char c) {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
            if (hi < 0 || lo < 0) return "error: not hex";
            bytes.push_back(static_cast<char>(hi * 16 + lo));
        }
        if (hex.size() % 2 != 0) return "error: not hex";
        host.post_message(host.ctx, id, session, words[1].c_str(), bytes.data(), bytes.size());
        return "ok";
    }
    if (verb == "flood" && words.size() == 3) {
        if (const char *why = bad_signin(words[1])) return "error: the sender " + std::string(why);
        char *end = nullptr;
        const unsigned long n = std::strtoul(words[2].c_str(), &end, 10);
        if (end == words[2].c_str() || *end != '\0' || n > 1000000)
            return "error: the count must be a number up to 1000000";
        const std::string from = words[1];
        const std::lock_guard<std::mutex> lock(flood_mutex_);
        floods_.emplace_back([this, &svc, session, from, n] {
            for (unsigned long i = 0; i < n && current_session(svc) == session; ++i) {
                const std::string text = std::to_string(i);
                // Waits while the runtime's inbox is full; stops when the runtime stops.
                if (host.post_message(host.ctx, svc.id.c_str(), session, from.c_str(), text.c_str(),
                                      text.size()) != MSGR_S_OK)
                    break;
            }
        });
        return "ok: flooding";
    }
    if (verb == "status" && words.size() == 3) {
        if (const char *why = bad_signin(words[1])) return "error: the contact " + std::string(why);
        std::int32_t status = 0;
        if (!parse_status(words[2], status))
            return "error: the status must be one of " + std::string(kStatusList);
        {
            const std::lock_guard<std::mutex> lock(svc.mutex);
            const std::string key = fold(words[1]);
            bool found = false;
            for (auto &c : svc.directory) {
                if (c.key == key) {
                    c.status = status;
                    found = true;
                }
            }
            if (!found) svc.directory.push_back({words[1], key, "", svc.id, status, false});
        }
        host.post_status(host.ctx, id, session, words[1].c_str(), status);
        return "ok";
    }
    if ((verb == "add" || verb == "remove") && words.size() == 2) {
        if (const char *why = bad_signin(words[1])) return "error: the contact " + std::string(why);
        host.post_contact(host.ctx, id, session, words[1].c_str(), verb == "add" ? 1 : 0);
        return "ok";
    }
    if (verb == "activity" && words.size() >= 2) {
        if (const char *why = bad_signin(words[1])) return "error: the contact " + std::string(why);
        if (!host.has_activity_functions())
            return "error: this runtime has no activity reports (ABI < 1.7)";
        const std::string text = words.size() >= 3 ? command.substr(rest_at) : std::string();
        if (const char *why = bad_activity(text)) return "error: the activity " + std::string(why);
        {
            const std::lock_guard<std::mutex> lock(svc.mutex);
            const std::string key = fold(words[1]);
            bool found = false;
            for (auto &c : svc.directory) {
                if (c.key != key) continue;
                c.activity = text;
                c.has_activity = true;
                found = true;
            }
            if (!found) {
                Contact c{words[1], key, "", svc.id, MSGR_STATUS_OFFLINE, false};
                c.activity = text;
                c.has_activity = true;
                svc.directory.push_back(std::move(c));
            }
        }
        host.post_activity(host.ctx, id, session, words[1].c_str(), text.c_str());
        return "ok";
    }
    if (std::string answer; list_command(svc, session, words, command, rest_at, answer))
        return answer;
    return "commands: drop | hold | say <from> <text> | say-hex <from> <hex> | "
           "flood <from> <count> | "
           "status <contact> <status> | add <contact> | remove <contact> | request <from> | "
           "accept <contact> | decline <contact> | rename <contact> <name> | block <contact> | "
           "unblock <contact> | activity <contact> [<text>]";
}

bool Addin::list_command(Service &svc, std::uint64_t session, const std::vector<std::string> &words,
                         const std::string &command, std::size_t rest_at, std::string &answer) {
    const std::string verb = words.empty() ? "" : words[0];
    const bool one = words.size() == 2;
    const bool known = (one && (verb == "request" || verb == "accept" || verb == "decline" ||
                                verb == "block" || verb == "unblock")) ||
                       (verb == "rename" && words.size() >= 3);
    if (!known) return false;
    if (const char *why = bad_signin(words[1])) {
        answer = "error: the contact " + std::string(why);
        return true;
    }
    if (!host.has_contact_list_functions()) {
        answer = "error: this runtime has no contact list reports (ABI < 1.6)";
        return true;
    }
    const char *id = svc.id.c_str();
    const char *who = words[1].c_str();
    answer = "ok";
    if (verb == "request") {
        host.post_authorization_request(host.ctx, id, session, who);
    } else if (verb == "accept" || verb == "decline") {
        const std::string key = fold(words[1]);
        bool asked = false;
        {
            const std::lock_guard<std::mutex> lock(svc.mutex);
            asked = std::erase(svc.asked, key) > 0;
        }
        if (!asked) {
            answer = "error: the user did not ask to add " + words[1];
            return true;
        }
        answer_add(svc, session, words[1], verb == "accept" ? MSGR_S_OK : MSGR_E_FAIL);
    } else if (verb == "block" || verb == "unblock") {
        (void)svc_set_blocked(&svc, who, verb == "block" ? 1 : 0);
        host.post_blocked(host.ctx, id, session, who, verb == "block" ? 1 : 0);
    } else {  // rename
        const std::string name = command.substr(rest_at);
        {
            const std::lock_guard<std::mutex> lock(svc.mutex);
            const std::string key = fold(words[1]);
            for (auto &c : svc.directory) {
                if (c.key == key) c.friendly = name;
            }
        }
        host.post_friendly_name(host.ctx, id, session, who, name.c_str());
    }
    return true;
}

// ---- load and unload ----------------------------------------------------------------------

msgr_hresult load(const msgr_host *host, void **state) {
    std::unique_ptr<Addin> a;
    try {
        a = std::make_unique<Addin>();
        a->host = Host(*host);
        if (!a->host.has_config_functions() || !a->host.has_service_functions()) {
            // An older runtime (add-in ABI 1.0) has no contact services.
            if (a->host.set_error != nullptr)
                a->host.set_error(host->ctx, "this runtime has no contact services (ABI < 1.1)");
            return MSGR_E_NOTIMPL;
        }
        a->configure();
        for (auto &s : a->services) {
            msgr_contact_service &t = s->table;
            t.struct_size = sizeof t;
            t.state = s.get();
            t.id = s->id.c_str();
            t.flags = (s->paging ? MSGR_SERVICE_CAN_PAGE : 0u) | MSGR_SERVICE_MULTI_PARTY;
            t.max_message_bytes = kMaxMessageBytes;
            t.signin = svc_signin;
            t.signout = svc_signout;
            t.set_status = svc_set_status;
            t.describe = svc_describe;
            t.send_message = svc_send;
            if (a->host.has_conversation_functions()) {  // ABI 1.4; no archive (no fetch_older)
                t.send_message_ex = svc_send_ex;
                t.send_chat_state = svc_send_chat_state;
                t.send_displayed = svc_send_displayed;
            }
            if (a->host.has_contact_list_functions()) {  // ABI 1.6
                t.add_contact = svc_add_contact;
                t.remove_contact = svc_remove_contact;
                t.authorize = svc_authorize;
                t.set_blocked = svc_set_blocked;
                t.set_friendly_name = svc_set_friendly_name;
            }
            if (a->host.has_activity_functions()) t.set_activity = svc_set_activity;  // ABI 1.7
            const msgr_hresult hr = a->host.register_service(host->ctx, &t);
            if (MSGR_FAILED(hr)) return hr;  // the host recorded why
        }
    } catch (const Invalid &e) {
        a->host.set_error(host->ctx, e.message.c_str());
        return MSGR_E_INVALID_DATA;
    } catch (const std::exception &e) {
        if (a && a->host.set_error != nullptr) a->host.set_error(host->ctx, e.what());
        return MSGR_E_OUTOFMEMORY;
    }
    *state = a.release();
    return MSGR_S_OK;
}

void unload(void *state) {
    delete static_cast<Addin *>(state);  // joins flood threads (the inbox is closed by now)
}

const msgr_addin_descriptor descriptor = {
    sizeof descriptor,
    MSGR_ADDIN_MAGIC,
    MSGR_ADDIN_ABI_MAJOR,
    MSGR_ADDIN_ABI_MINOR,
    "loopback",
    "1.0",
    "the loopback contact service: the embedded default (echo contact, directory, control contact)",
    "loopback",
    nullptr,
    load,
    unload,
};

const msgr_addin_descriptor *entry() {
    return &descriptor;
}

}  // namespace

MSGR_ADDIN_ENTRY(entry);
