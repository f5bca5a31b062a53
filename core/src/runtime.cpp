#include "runtime.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "c_enum.hpp"
#include "error.hpp"
#include "text.hpp"

namespace msgr::core {

namespace {

std::int64_t now_unix_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool settable_status(std::int32_t s) {
    switch (s) {
        case MSGR_STATUS_ONLINE:
        case MSGR_STATUS_INVISIBLE:
        case MSGR_STATUS_BUSY:
        case MSGR_STATUS_BE_RIGHT_BACK:
        case MSGR_STATUS_IDLE:
        case MSGR_STATUS_AWAY:
        case MSGR_STATUS_ON_THE_PHONE:
        case MSGR_STATUS_OUT_TO_LUNCH:
            return true;
        default:
            return false;
    }
}

}  // namespace

// ---- creation and teardown ----------------------------------------------------------------------

msgr_hresult Runtime::create(const char *config_path, std::unique_ptr<Runtime> &out) {
    Config config;
    if (config_path != nullptr) {
        const msgr_hresult hr = load_config(config_path, config);
        if (MSGR_FAILED(hr)) return hr;
    }
    auto rt = std::make_unique<Runtime>(std::move(config));
    // Contact services come from add-ins (the loopback service is the add-in loopback.so in
    // lib/msgr/addins); their failures never fail the creation, a missing primary service does.
    rt->addins_ = std::make_unique<AddinHost>(*rt);
    rt->addins_->load_all();
    rt->primary_ = rt->find_service(rt->config_.primary_service);
    if (rt->primary_ == nullptr) {
        const std::string why = rt->addins_->explain_missing_service("runtime.primary_service is",
                                                                     rt->config_.primary_service);
        rt.reset();
        return fail(MSGR_E_INVALID_DATA, why);
    }
    if (rt->config_.secondary_services) {
        for (const auto &id : *rt->config_.secondary_services) {
            if (rt->find_service(id) != nullptr) continue;
            const std::string why =
                rt->addins_->explain_missing_service("runtime.secondary_services lists", id);
            rt.reset();
            return fail(MSGR_E_INVALID_DATA, why);
        }
    }
    out = std::move(rt);
    return MSGR_S_OK;
}

Runtime::Runtime(Config config)
    : owner_(std::this_thread::get_id()),
      config_(std::move(config)),
      inbox_(config_.inbox_capacity, owner_),
      windows_(owner_) {}

void Runtime::announce_shutdown() {
    if (shutdown_announced_) return;
    shutdown_announced_ = true;
    // The paging add-in goes first, while it may still report: a page it cannot keep for its
    // next start (its journal on a full disk) is reported failed with its cause, and the host
    // sees that DELIVERY_CHANGE in a last dispatch round, before APP_SHUTDOWN.
    // Only those events: a destroy raises no other event but APP_SHUTDOWN, so what else was on
    // its way (messages, windows opened since the last tick) is recorded but not raised now,
    // when the host is tearing down what its callbacks use (as before the paging add-in
    // settled here).
    if (addins_ && dispatch_depth_ == 0) {
        try {
            if (addins_->settle_paging()) {
                // All of it: the add-in may have overfilled a bounded inbox (settle_paging).
                (void)apply_inbox(drained_, std::numeric_limits<std::size_t>::max());
                for (const auto &p : events_) {
                    if (p.type == MSGR_EVENT_DELIVERY_CHANGE) dispatch(p);
                }
                events_.clear();
            }
        } catch (...) {
            // Out of memory: the rest of the destroy goes on (the add-in unloads there).
        }
    }
    dispatch(Pending{MSGR_EVENT_APP_SHUTDOWN});
}

Runtime::~Runtime() {
    announce_shutdown();
    // A game that quits while signed in keeps what its services reported until they signed
    // out (as a sign-out does): into the store, which goes next.
    const bool signed_out = state_ == State::online;
    if (signed_out) {
        try {
            leave_session();
        } catch (...) {
            // Out of memory recording them: the rest of the destroy goes on.
        }
    }
    // The store's thread posts to the inbox: it stops (its last checkpoint done) first.
    stop_store();
    // Producers waiting on a full inbox wake up and give up before their services are joined.
    inbox_.close();
    paging_.reset();
    // Services sign out while their add-ins are still loaded, then the add-ins go.
    if (!signed_out) signout_services();
    services_.clear();
    primary_ = nullptr;
    addins_.reset();  // disconnects their slots, unloads them and unmaps them
    for (const auto &w : windows_.open()) {
        w->state = msgr_window::State::disconnected;
        w->rt = nullptr;
    }
    for (auto &[key, c] : contacts_)
        c->rt = nullptr;
    // Handles still held by the host now answer RPC_E_DISCONNECTED; the rest are freed here.
}

void Runtime::add_service(std::unique_ptr<Service> service) {
    // The primary service back (its add-in restarted after a fault): the user signs in again.
    if (primary_ == nullptr && !primary_gone_.empty() && service->id() == config_.primary_service) {
        primary_ = service.get();
        primary_gone_.clear();
    }
    services_.push_back(std::move(service));
}

std::unique_ptr<Service> Runtime::remove_service(Service *service, const std::string &why) {
    auto it = std::find_if(services_.begin(), services_.end(),
                           [&](const auto &s) { return s.get() == service; });
    if (it == services_.end()) return nullptr;
    std::unique_ptr<Service> out = std::move(*it);
    services_.erase(it);
    if (service == primary_) {
        primary_ = nullptr;
        primary_gone_ = why;
        log(MSGR_LOG_ERROR, "the primary service is gone: " + why);
        if (state_ != State::offline) {
            signout_services();
            end_session(msgr_window::State::disconnected, MSGR_E_SERVER_UNAVAILABLE);
        }
    }
    return out;
}

std::vector<Service *> Runtime::service_snapshot() const {
    std::vector<Service *> out;
    for (const auto &svc : services_)
        out.push_back(svc.get());
    return out;
}

bool Runtime::signs_in_as_secondary(const Service &service) const {
    if (!config_.secondary_services) return true;  // unset: every service
    const auto &ids = *config_.secondary_services;
    return std::find(ids.begin(), ids.end(), service.id()) != ids.end();
}

bool Runtime::has_service(const Service *service) const noexcept {
    for (const auto &svc : services_) {
        if (svc.get() == service) return true;
    }
    return false;
}

// A service may leave while it is being called (its add-in fails): walk a snapshot.
void Runtime::signout_services() {
    for (Service *svc : service_snapshot()) {
        if (has_service(svc)) svc->signout();
    }
}

// A call found the primary service gone in the middle (its add-in failed inside the call).
msgr_hresult Runtime::primary_vanished() const {
    return fail(MSGR_E_FAIL, "the primary service is gone: " + primary_gone_);
}

Service *Runtime::find_service(std::string_view id) noexcept {
    for (auto &svc : services_) {
        if (svc->id() == id) return svc.get();
    }
    return nullptr;
}

void Runtime::set_paging_provider(std::unique_ptr<PagingProvider> provider) {
    paging_ = std::move(provider);
}

bool Runtime::paging_in_use() const noexcept {
    for (const auto &w : windows_.open()) {
        if (w->kind == MSGR_WINDOW_PAGE) return true;
    }
    for (const auto &[id, f] : in_flight_) {
        if (f.kind == MSGR_WINDOW_PAGE) return true;
    }
    return false;
}

boost::signals2::connection Runtime::connect(msgr_event_type type,
                                             const std::function<void(const msgr_event &)> &slot) {
    return signals_[type].connect(slot);
}

void Runtime::raise_addin_event(std::size_t index, msgr_hresult hr, std::string text) {
    Pending p{MSGR_EVENT_ADDIN_STATE_CHANGE, hr};
    p.text = std::move(text);
    p.index = index;
    raise(std::move(p));
}

std::size_t Runtime::max_page_utf16() const noexcept {
    return paging_ ? paging_->max_page_utf16() : 0;
}

// ---- sign-in ----------------------------------------------------------------------------------

msgr_hresult Runtime::signin(const char *name, const char *password) {
    const char *why = nullptr;
    if (check_signin_name(name, &why) != MSGR_S_OK) return fail(MSGR_E_INVALIDARG, why);
    if (password == nullptr) password = "";
    if (!is_valid_utf8(password)) return fail(MSGR_E_INVALIDARG, "the password is not valid UTF-8");
    if (state_ != State::offline) {
        return fail(MSGR_E_ALREADY_LOGGED_ON, state_ == State::online
                                                  ? "already signed in as " + my_name_
                                                  : "a sign-in is already in progress");
    }
    if (primary_ == nullptr) {
        return fail(MSGR_E_FAIL,
                    "cannot sign in: the primary service (runtime.primary_service = \"" +
                        config_.primary_service + "\") is gone: " + primary_gone_);
    }
    const std::uint64_t session = ++session_;
    const msgr_hresult hr = primary_->signin(session, name, password);
    if (MSGR_FAILED(hr)) return hr;
    // Secondary services sign in with the same session and name; only the primary's answer is
    // OnSignin. The password the user typed is the primary account's and goes to the primary
    // service alone: a secondary service (another add-in, perhaps a third party's) signs in with
    // credentials from its own configuration, as Messenger's Exchange service used the Windows
    // logon rather than the Passport password.
    for (Service *svc : service_snapshot()) {
        if (svc == primary_ || !has_service(svc) || !signs_in_as_secondary(*svc)) continue;
        const msgr_hresult shr = svc->signin(session, name, std::string());
        if (MSGR_FAILED(shr)) {
            log(MSGR_LOG_WARNING, "secondary service " + svc->id() +
                                      " did not start signing in: " + msgr_hresult_name(shr));
        }
    }
    if (primary_ == nullptr) {  // its add-in failed while the secondaries were signing in
        return fail(MSGR_E_FAIL, "cannot sign in: the primary service is gone: " + primary_gone_);
    }
    state_ = State::connecting;
    my_name_ = name;
    my_key_ = fold_case(name);
    my_friendly_ = name;  // until one is set (msgr_set_my_friendly_name) or the service says
    my_activity_.clear();
    my_status_ = MSGR_STATUS_LOCAL_CONNECTING_TO_SERVER;
    service_signed_in_ = false;
    start_store();  // opens on its own thread, while the service signs in
    raise({MSGR_EVENT_MY_STATUS_CHANGE, MSGR_S_OK, my_status_});
    return MSGR_S_OK;
}

msgr_hresult Runtime::signout() {
    if (state_ == State::offline) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    leave_session();
    // (Unless its add-in failed meanwhile: the session ended there.)
    if (state_ != State::offline) end_session(msgr_window::State::closed, MSGR_S_OK);
    return MSGR_S_OK;
}

void Runtime::leave_session() {
    signout_services();
    if (state_ != State::online) return;  // a sign-in in progress is cancelled, with its reports
    // What the services reported before they signed out belongs to this session, and is
    // applied, not dropped as stale once it has ended: a message that arrived then counts as
    // received there (the XMPP service's next catch-up starts after it).
    signing_out_ = true;
    std::vector<InboxItem> reported;
    (void)apply_inbox(reported, std::numeric_limits<std::size_t>::max());
    signing_out_ = false;
}

// Leaves the session: "All windows will be closed if the client signs out. If the client goes
// offline, the MessengerWindow objects ... become de-referenced".
void Runtime::end_session(msgr_window::State windows_become, msgr_hresult hr) {
    const bool was_signed_in = state_ == State::online;
    const std::vector<WindowRef> windows = windows_.take_all();
    for (const auto &w : windows) {
        w->state = windows_become;
        w->rt = nullptr;
        w->conversation = 0;  // the store goes with the session
        if (windows_become == msgr_window::State::closed) {
            raise({MSGR_EVENT_IM_WINDOW_DESTROYED, MSGR_S_OK, 0, w->contact, w});
        }
    }
    state_ = State::offline;
    ++session_;  // whatever the old session still reports is stale from now on
    held_.clear();
    stop_store();
    searches_.clear();  // their ids are unknown from now on
    my_name_.clear();
    my_key_.clear();
    my_friendly_.clear();
    my_activity_.clear();
    for (const auto &[key, c] : contacts_)
        c->activity.clear();  // that session's presence (no event: the session is over)
    adding_.clear();          // their answers would come to a session that is over
    requests_.clear();        // as for a request that came in this session
    my_status_ = MSGR_STATUS_OFFLINE;
    if (was_signed_in) {
        raise({MSGR_EVENT_SIGNOUT, hr});
    } else {
        // A sign-in still in progress ends without ever having signed in.
        raise({MSGR_EVENT_SIGNIN, hr == MSGR_S_OK ? MSGR_E_CANCEL : hr});
    }
    raise({MSGR_EVENT_MY_STATUS_CHANGE, hr, MSGR_STATUS_OFFLINE});
}

msgr_hresult Runtime::set_my_status(std::int32_t status) {
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    if (!settable_status(status)) {
        return fail(MSGR_E_INVALIDARG, std::string(msgr_status_name(status)) +
                                           " cannot be set; sign out to go offline");
    }
    if (status == my_status_) return MSGR_S_ALREADY_IN_THE_MODE;
    const msgr_hresult hr = primary_->set_status(status);
    if (MSGR_FAILED(hr)) return hr;
    my_status_ = status;
    raise({MSGR_EVENT_MY_STATUS_CHANGE, MSGR_S_OK, status});
    return MSGR_S_OK;
}

// ---- contacts ---------------------------------------------------------------------------------

ContactRef Runtime::contact_for(Service &service, std::string_view signin) {
    std::string key = fold_case(signin);
    auto it = contacts_.find({service.id(), key});
    if (it != contacts_.end()) return it->second;
    ContactRef c(new msgr_contact);
    c->owner = owner_;
    c->rt = this;
    c->service = service.id();
    c->signin = std::string(signin);
    c->key = std::move(key);
    const ContactInfo info = service.describe(signin);
    c->friendly = info.friendly.empty() ? c->signin : sanitize_utf8(info.friendly);
    c->status = info.status;
    contacts_.emplace(std::make_pair(c->service, c->key), c);
    return c;
}

msgr_hresult Runtime::check_name_and_service(const char *signin, const char *service_id,
                                             Service *&out) {
    out = nullptr;
    const char *why = nullptr;
    if (check_signin_name(signin, &why) != MSGR_S_OK) return fail(MSGR_E_INVALIDARG, why);
    Service *service = primary_;
    if (service_id != nullptr) {
        if (!is_valid_utf8(service_id))
            return fail(MSGR_E_INVALIDARG, "the service id is not valid UTF-8");
        service = find_service(service_id);
        if (service == nullptr) {
            return fail(MSGR_E_INVALIDARG,
                        std::string("no service has the id \"") + service_id + "\"");
        }
    }
    if (state_ != State::online) return fail(MSGR_E_NOT_LOGGED_ON, "not signed in");
    out = service;
    return MSGR_S_OK;
}

msgr_hresult Runtime::get_contact(const char *signin, const char *service_id, ContactRef &out) {
    Service *service = nullptr;
    const msgr_hresult hr = check_name_and_service(signin, service_id, service);
    if (MSGR_FAILED(hr)) return hr;
    out = contact_for(*service, signin);
    return MSGR_S_OK;
}

bool Runtime::is_self(const msgr_contact &c) const {
    return state_ == State::online && c.service == primary_->id() && c.key == my_key_;
}

bool Runtime::can_page(const msgr_contact &c) {
    if (paging_ == nullptr) return false;
    Service *service = find_service(c.service);
    if (service == nullptr || !service->supports_paging()) return false;
    // Asked anew each time: whether a contact can be paged changes with its presence (an XMPP
    // contact can be paged while a client of its that accepts pages is online).
    return service->describe(c.signin).mobile || paging_->knows_mobile(c.service, c.signin);
}

// ---- InstantMessage and Page --------------------------------------------------------------------

msgr_hresult Runtime::check_variant(const msgr_variant &v) const {
    switch (raw_enum(v.vt)) {  // vt comes from C: any int
        case MSGR_VT_EMPTY:
            return fail(MSGR_E_INVALIDARG, "vContact is empty (VT_EMPTY)");
        case MSGR_VT_BSTR: {
            const char *why = nullptr;
            if (check_signin_name(v.bstr, &why) != MSGR_S_OK) {
                return fail(MSGR_E_INVALIDARG, std::string("vContact: ") + why);
            }
            return MSGR_S_OK;
        }
        case MSGR_VT_DISPATCH:
            if (v.contact == nullptr) return fail(MSGR_E_INVALIDARG, "vContact is a NULL contact");
            if (v.contact->rt != this) {
                return fail(MSGR_E_INVALIDARG,
                            "vContact is a contact of another runtime, or of one that is gone");
            }
            return MSGR_S_OK;
    }
    return fail(MSGR_E_INVALIDARG,
                "vContact has an unsupported type (" + std::to_string(raw_enum(v.vt)) + ")");
}

ContactRef Runtime::resolve(const msgr_variant &v) {
    if (v.vt == MSGR_VT_DISPATCH) return ContactRef(v.contact);
    // "If the input value type is a string, this method creates a new MessengerContact object
    // internally" -- on the primary service, the only one a string can name.
    return contact_for(*primary_, v.bstr);
}

bool Runtime::variant_is_self(const msgr_variant &v, const msgr_contact &c) const {
    // "check IsSelf or do a string comparison of vContact and MySigninName"
    if (v.vt == MSGR_VT_BSTR) return fold_case(v.bstr) == my_key_;
    return is_self(c);
}

WindowRef Runtime::find_window(msgr_window_kind kind, const msgr_contact &c) const {
    return windows_.find(kind, c);
}

WindowRef Runtime::open_window(msgr_window_kind kind, ContactRef contact) {
    WindowRef w = windows_.create(this, kind, std::move(contact));
    load_history(*w);
    raise({MSGR_EVENT_IM_WINDOW_CREATED, MSGR_S_OK, 0, w->contact, w});
    return w;
}

msgr_hresult Runtime::focus(msgr_window &w) {
    if (!focus_allowed_) {
        // Shown without focus: the window is open and drawn, but not given keyboard focus.
        return MSGR_S_FALSE;
    }
    windows_.focus(w);
    return MSGR_S_OK;
}

// The common end of InstantMessage and Page: the open window of that kind to that contact is
// returned again; otherwise a new one opens, unless the cap is reached. Then it takes focus.
msgr_hresult Runtime::show_window(msgr_window_kind kind, ContactRef contact, WindowRef &out) {
    WindowRef w = find_window(kind, *contact);
    if (w == nullptr) {
        if (windows_.count() >= config_.max_windows) {
            return fail(MSGR_E_FAIL,
                        "could not create a window: " + std::to_string(config_.max_windows) +
                            " windows are open (runtime.max_windows)");
        }
        w = open_window(kind, std::move(contact));
    }
    const msgr_hresult hr = focus(*w);
    out = std::move(w);
    return hr;
}

msgr_hresult Runtime::instant_message(const msgr_variant &v, WindowRef &out) {
    const msgr_hresult hr = check_variant(v);
    if (MSGR_FAILED(hr)) return hr;
    if (state_ != State::online) {
        return fail(MSGR_E_NOT_LOGGED_ON, "not signed in to the primary service");
    }
    ContactRef contact = resolve(v);
    if (state_ != State::online) return primary_vanished();
    if (variant_is_self(v, *contact)) {
        return fail(MSGR_E_FAIL, "cannot open a conversation with the local user");
    }
    return show_window(MSGR_WINDOW_CONVERSATION, std::move(contact), out);
}

msgr_hresult Runtime::page(const msgr_variant &v, WindowRef &out) {
    const msgr_hresult hr = check_variant(v);
    if (MSGR_FAILED(hr)) return hr;
    if (paging_ == nullptr) {
        return fail(MSGR_E_NOTIMPL, "no add-in that supports paging is installed");
    }
    if (state_ != State::online) {
        return fail(MSGR_E_NOT_LOGGED_ON, "not signed in to the primary service");
    }
    if (signin_dialog_visible_) {
        return fail(MSGR_E_FAIL, "the Sign In dialog box is visible");
    }
    ContactRef contact = resolve(v);
    if (state_ != State::online) return primary_vanished();
    if (variant_is_self(v, *contact)) return fail(MSGR_E_FAIL, "cannot page the local user");
    Service *service = find_service(contact->service);
    if (service == nullptr || !service->supports_paging()) {
        return fail(MSGR_E_FAIL,
                    "the service \"" + contact->service + "\" does not support paging");
    }
    if (!can_page(*contact)) {
        return fail(MSGR_E_PAGING_UNAVAILABLE,
                    contact->signin + " does not have mobile services enabled");
    }
    return show_window(MSGR_WINDOW_PAGE, std::move(contact), out);
}

// ---- windows ----------------------------------------------------------------------------------

msgr_hresult Runtime::show(msgr_window &w) {
    return focus(w);
}

msgr_hresult Runtime::close(msgr_window &w) {
    const WindowRef keep(&w);
    if (!windows_.remove(w)) return MSGR_S_FALSE;
    w.state = msgr_window::State::closed;
    w.rt = nullptr;
    w.conversation = 0;  // what it keeps in memory stays readable; the rest is the next window's
    raise({MSGR_EVENT_IM_WINDOW_DESTROYED, MSGR_S_OK, 0, w.contact, keep});
    return MSGR_S_OK;
}

msgr_hresult Runtime::send(msgr_window &w, const char *text, std::size_t *out_index) {
    if (text == nullptr) return fail(MSGR_E_INVALIDARG, "the message is a NULL string");
    // A copy first: text may point into this window's own draft, which sending clears.
    const std::string body(text);
    if (body.empty()) return fail(MSGR_E_INVALIDARG, "the message is empty");
    if (!is_valid_utf8(body)) return fail(MSGR_E_INVALIDARG, "the message is not valid UTF-8");
    Service *service = find_service(w.contact->service);
    if (service == nullptr) return fail(MSGR_E_FAIL, "the contact's service is gone");
    if (w.kind == MSGR_WINDOW_PAGE) {
        if (paging_ == nullptr) return fail(MSGR_E_NOTIMPL, "the paging add-in is gone");
        if (utf16_length(body) > paging_->max_page_utf16()) {
            return fail(MSGR_E_MESSAGE_TOO_LONG, "the page is longer than " +
                                                     std::to_string(paging_->max_page_utf16()) +
                                                     " characters");
        }
    } else if (body.size() > service->max_message_bytes()) {
        return fail(MSGR_E_MESSAGE_TOO_LONG, "the message is longer than " +
                                                 std::to_string(service->max_message_bytes()) +
                                                 " bytes");
    }
    msgr_window::Entry e{MSGR_MESSAGE_OUTGOING,
                         MSGR_DELIVERY_PENDING,
                         MSGR_S_OK,
                         0,
                         now_unix_ms(),
                         body,
                         w.kind == MSGR_WINDOW_PAGE ? MSGR_MESSAGE_PAGE : 0u};
    e.origin_id = new_origin_id();
    e.sender = my_name_;
    e.seq = w.end_seq;
    if (w.conversation != 0) {
        // Durable before it is sent: a failed append is the call's failure, the draft stays
        // and nothing goes out (the user still has the text).
        history::Record r;
        r.direction = e.direction;
        r.delivery = e.delivery;
        r.time_unix_ms = e.time_unix_ms;
        r.flags = e.flags;
        r.text = body;
        r.origin_id = e.origin_id;
        const msgr_hresult ahr = store_->append(w.conversation, r);
        if (MSGR_FAILED(ahr)) return ahr;
        e.seq = r.seq;
        e.stored_id = r.id;
    }
    const std::uint64_t id = next_message_id_++;
    e.message_id = id;
    const std::int64_t seq = e.seq;
    const std::int64_t stored_id = e.stored_id;
    const std::string origin_id = e.origin_id;
    const std::int64_t sent_at = e.time_unix_ms;
    remember(w, std::move(e));
    const auto index = static_cast<std::size_t>(seq - w.first_seq);
    if (out_index != nullptr) *out_index = index;
    w.draft.clear();
    ++w.draft_serial;
    ++w.history_serial;
    in_flight_.emplace(id, InFlight{WindowRef(&w), w.contact, w.kind, seq, stored_id});
    history::Store *appended_to = stored_id != 0 ? store_.get() : nullptr;
    msgr_hresult hr;
    ++sends_;
    if (w.kind == MSGR_WINDOW_PAGE) {
        hr = paging_->submit({id, my_name_, w.contact->signin, w.contact->service, body});
    } else {
        Service::Outgoing out{id, w.contact->signin, body, origin_id, false, sent_at};
        if (!w.group.empty()) {
            // A group's message reaches every contact of it: the service is told who they are.
            out.to = w.contacts.front()->signin;
            out.group = w.group;
            out.members = WindowManager::members(w);
        }
        hr = service->send_message_ex(out);
    }
    --sends_;
    if (MSGR_FAILED(hr)) {
        // Not lost: the message stays in the history, marked as failed, and the caller is told.
        in_flight_.erase(id);
        const std::string why = last_error();  // what the failing call said
        if (appended_to != nullptr && appended_to == parked_store_.get()) {
            // The session ended inside the call: the store it was appended to records it (a
            // later sign-in must not send again what the user was told failed).
            (void)appended_to->set_delivery(stored_id, MSGR_DELIVERY_FAILED, hr, why);
        }
        change_delivery(w.contact, w.kind, WindowRef(&w), seq, stored_id, id, MSGR_DELIVERY_FAILED,
                        hr, why);
        if (sends_ == 0 && parked_store_ != nullptr) close_store(parked_store_);
        (void)fail(hr, why);
        return hr;
    }
    if (sends_ == 0 && parked_store_ != nullptr) close_store(parked_store_);
    return MSGR_S_OK;
}

// ---- the inbox and the events -------------------------------------------------------------------

msgr_hresult Runtime::tick() {
    if (dispatch_depth_ > 0) {
        return fail(MSGR_E_FAIL, "msgr_runtime_tick called from inside an event callback");
    }
    if (addins_) addins_->collect();
    next_tick();  // what the last tick lent the host is due back
    run_early_store_reports(false);
    const std::size_t left = apply_inbox(drained_, config_.max_items_per_tick);
    // Events that callbacks cause are raised in this same tick, in order.
    while (!events_.empty()) {
        dispatching_.swap(events_);
        for (const auto &p : dispatching_)
            dispatch(p);
        dispatching_.clear();
    }
    if (addins_) addins_->flush_events();
    return left > 0 ? MSGR_S_FALSE : MSGR_S_OK;
}

std::size_t Runtime::apply_inbox(std::vector<InboxItem> &items, std::size_t max) {
    const std::size_t left = inbox_.drain(items, max);
    // The appends are one transaction (one WAL write), committed before any event.
    if (store() != nullptr && !items.empty()) {
        store_->begin_batch();
        in_batch_ = true;
    }
    for (auto &item : items)
        apply(item);
    items.clear();
    if (in_batch_ && store_ != nullptr) {
        in_batch_ = false;
        if (MSGR_FAILED(store_->end_batch())) {
            log(MSGR_LOG_ERROR,
                std::string("the history store could not record this tick's messages: ") +
                    last_error());
        }
    }
    in_batch_ = false;
    return left;
}

void Runtime::raise(Pending p) {
    events_.push_back(std::move(p));
}

void Runtime::dispatch(const Pending &p) {
    msgr_event ev{};
    ev.struct_size = sizeof(msgr_event);
    ev.type = p.type;
    ev.hr = p.hr;
    ev.status = p.status;
    ev.contact = p.contact.get();
    ev.window = p.window.get();
    lend(ev.contact);  // borrowed: until the next tick
    lend(ev.window);
    const bool has_text =
        p.type == MSGR_EVENT_MESSAGE_RECEIVED || p.type == MSGR_EVENT_ADDIN_STATE_CHANGE ||
        p.type == MSGR_EVENT_CONTACT_FRIENDLY_NAME_CHANGE ||
        p.type == MSGR_EVENT_MY_FRIENDLY_NAME_CHANGE || p.type == MSGR_EVENT_MY_ACTIVITY_CHANGE ||
        p.type == MSGR_EVENT_CONTACT_ACTIVITY_CHANGE;
    ev.text = has_text ? p.text.c_str() : nullptr;
    ev.index = p.index;
    ev.text_size = has_text ? p.text.size() : 0;  // network text may hold NULs: all of it counts
    ++dispatch_depth_;
    for (auto *sig : {&signals_[0], &signals_[p.type]}) {
        try {
            (*sig)(ev);
        } catch (const std::exception &e) {
            log(MSGR_LOG_ERROR, std::string("an event handler threw: ") + e.what());
        } catch (...) {
            log(MSGR_LOG_ERROR, "an event handler threw");
        }
    }
    --dispatch_depth_;
}

void Runtime::apply(InboxItem &item) {
    std::visit(
        [&](auto &m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, DeliveryDone>) {
                auto it = in_flight_.find(m.message_id);
                if (it == in_flight_.end()) return;
                const InFlight f = std::move(it->second);
                in_flight_.erase(it);
                // Forward only: a receipt may have come first (DELIVERED before the ack).
                change_delivery(f.contact, f.kind, f.window, f.seq, f.stored_id, m.message_id,
                                m.state, m.hr, m.reason);
            } else if constexpr (std::is_same_v<T, StoreReport>) {
                if (m.apply) m.apply();
            } else {
                // Everything else belongs to a session: a report from an old one is stale.
                if (m.session != session_) {
                    if constexpr (std::is_same_v<T, ContactReport>) {
                        if (m.kind == ContactReport::Kind::activity)
                            log(MSGR_LOG_DEBUG, "the activity of " + m.signin +
                                                    " reported for another session was dropped");
                    }
                    return;
                }
                constexpr bool kEndsOrStarts =
                    std::is_same_v<T, SigninDone> || std::is_same_v<T, WentOffline>;
                if (!kEndsOrStarts && state_ == State::connecting && service_signed_in_) {
                    // Signed in, the store still opening: kept until OnSignin, not dropped.
                    held_.push_back(std::move(item));
                    return;
                }
                Service *service = find_service(m.service);
                if (service == nullptr) return;
                const bool primary = service == primary_;
                if constexpr (std::is_same_v<T, SigninDone>) {
                    if (!primary || state_ != State::connecting) return;
                    if (MSGR_FAILED(m.hr)) {
                        end_session(msgr_window::State::closed, m.hr);  // raises OnSignin(hr)
                        return;
                    }
                    service_signed_in_ = true;
                    // OnSignin once the store opened too: a one-off wait for it here (it
                    // opened while the service signed in), else when its report comes.
                    if (store_state_ == StoreState::opening) run_early_store_reports(true);
                    if (store_state_ != StoreState::opening && state_ == State::connecting)
                        finish_signin();
                } else if constexpr (std::is_same_v<T, WentOffline>) {
                    // (The user signing out meanwhile: the windows close, as a sign-out has it.)
                    if (!primary || state_ == State::offline || signing_out_) return;
                    end_session(msgr_window::State::disconnected,
                                MSGR_FAILED(m.hr) ? m.hr : MSGR_E_DISCONNECTED);
                } else if constexpr (std::is_same_v<T, ContactListChange>) {
                    list_change(*service, m);
                } else if constexpr (std::is_same_v<T, ContactReport>) {
                    contact_report(*service, m);
                } else if constexpr (std::is_same_v<T, ContactStatusChange>) {
                    ContactRef c = contact_for(*service, m.signin);
                    if (c->status == m.status) return;
                    c->status = m.status;
                    raise({MSGR_EVENT_CONTACT_STATUS_CHANGE, MSGR_S_OK, m.status, c});
                } else if constexpr (std::is_same_v<T, MessageArrived>) {
                    receive(*service, m);
                } else if constexpr (std::is_same_v<T, ReceiptArrived>) {
                    receipt(*service, m);
                } else if constexpr (std::is_same_v<T, ChatStateChange>) {
                    chat_state(*service, m);
                } else if constexpr (std::is_same_v<T, HistoryEnd>) {
                    history_end(*service, m);
                }
            }
        },
        item);
}

msgr_hresult Runtime::subscribe(msgr_event_type type, msgr_event_fn fn, void *user,
                                msgr_subscription &out) {
    if (fn == nullptr) return fail(MSGR_E_INVALIDARG, "the callback is NULL");
    if (static_cast<int>(type) < 0 || type >= MSGR_EVENT_TYPE_COUNT_) {
        return fail(MSGR_E_INVALIDARG,
                    "unknown event type " + std::to_string(static_cast<int>(type)));
    }
    const msgr_subscription id = next_subscription_++;
    subscriptions_.emplace(
        id, signals_[type].connect([fn, user](const msgr_event &ev) { fn(&ev, user); }));
    out = id;
    return MSGR_S_OK;
}

msgr_hresult Runtime::unsubscribe(msgr_subscription id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return fail(MSGR_E_INVALIDARG, "no such subscription");
    it->second.disconnect();
    subscriptions_.erase(it);
    return MSGR_S_OK;
}

}  // namespace msgr::core
