// The runtime: sign-in state, contacts, windows, the inbox and the event hub.
//
// Every method runs on the owner thread (the C ABI refuses other threads before it gets
// here). Arguments arrive already checked for NULL out-pointers; the semantic checks happen
// here, in the order the reference pages list them.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/signals2/signal.hpp>

#include "addins/addin_host.hpp"
#include "capabilities.hpp"
#include "config.hpp"
#include "history/store.hpp"
#include "objects.hpp"
#include "windows/window_manager.hpp"

namespace msgr::core {

class Runtime {
  public:
    // Creates a runtime from a configuration file (NULL: the embedded defaults).
    static msgr_hresult create(const char *config_path, std::unique_ptr<Runtime> &out);
    explicit Runtime(Config config);
    ~Runtime();
    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;

    bool on_owner_thread() const noexcept { return std::this_thread::get_id() == owner_; }
    std::thread::id owner() const noexcept { return owner_; }
    const Config &config() const noexcept { return config_; }
    RuntimeInbox &inbox() noexcept { return inbox_; }

    // ---- the frame ----
    msgr_hresult tick();
    bool in_callback() const noexcept { return dispatch_depth_ > 0; }
    // Raises AppShutdown (once) while the runtime is still whole, so its handlers may still
    // call it. The destructor calls it if the owner did not.
    void announce_shutdown();

    // ---- host settings ----
    void set_focus_allowed(bool allowed) noexcept { focus_allowed_ = allowed; }
    bool focus_allowed() const noexcept { return focus_allowed_; }
    void set_signin_dialog_visible(bool visible) noexcept { signin_dialog_visible_ = visible; }
    bool signin_dialog_visible() const noexcept { return signin_dialog_visible_; }

    // ---- sign-in ----
    msgr_hresult signin(const char *name, const char *password);
    msgr_hresult signout();
    msgr_hresult set_my_status(std::int32_t status);
    std::int32_t my_status() const noexcept { return my_status_; }
    bool signed_in() const noexcept { return state_ == State::online; }
    // The current sign-in's serial: what a provider's reports carry (tests push reports with it).
    std::uint64_t session() const noexcept { return session_; }
    const std::string &my_signin_name() const noexcept { return my_name_; }
    const std::string &primary_service_id() const noexcept { return config_.primary_service; }

    // ---- contacts ----
    msgr_hresult get_contact(const char *signin, const char *service_id, ContactRef &out);
    bool is_self(const msgr_contact &c) const;
    bool can_page(const msgr_contact &c);
    const std::vector<ContactRef> &contact_list() const noexcept { return contact_list_; }

    // ---- the two documented methods ----
    msgr_hresult instant_message(const msgr_variant &v, WindowRef &out);
    msgr_hresult page(const msgr_variant &v, WindowRef &out);

    // ---- windows (the caller checked that w.rt == this) ----
    msgr_hresult show(msgr_window &w);
    msgr_hresult close(msgr_window &w);
    const std::vector<WindowRef> &open_windows() const noexcept { return windows_.open(); }
    // The UI surface: the user pressed Send. Records the message in the window's history
    // (index in *out_index) and hands it to the service or paging provider.
    msgr_hresult send(msgr_window &w, const char *text, std::size_t *out_index);

    // ---- conversations with several contacts (runtime_groups.cpp) ----
    // msgr_window_add_contact / _remove_contact, with their documented checks (msgr.h).
    msgr_hresult add_contact(msgr_window &w, const msgr_variant &v);
    msgr_hresult remove_contact(msgr_window &w, const msgr_variant &v);

    // ---- the contact list (runtime_contacts.cpp) ----
    // msgr_add_contact, msgr_remove_contact, msgr_authorize, msgr_contact_set_blocked and
    // msgr_set_my_friendly_name, with their documented checks (msgr.h).
    msgr_hresult list_add(const char *signin, const char *service_id);
    msgr_hresult list_remove(msgr_contact &c);
    msgr_hresult authorize(msgr_contact &c, bool accept);
    msgr_hresult set_blocked(msgr_contact &c, bool blocked);
    msgr_hresult set_my_friendly_name(const char *name);
    const std::string &my_friendly_name() const noexcept { return my_friendly_; }
    // ---- rich presence (runtime_activity.cpp) ----
    // msgr_set_my_activity with its documented checks (msgr.h); "" when none.
    msgr_hresult set_my_activity(const char *text);
    const std::string &my_activity() const noexcept { return my_activity_; }
    // The contacts whose request to add the user waits for msgr_authorize, oldest first.
    const std::vector<ContactRef> &authorization_requests() const noexcept { return requests_; }

    // ---- the conversation's history (runtime_history.cpp) ----
    // The whole stored conversation's length (msgr_window_history_count).
    static std::size_t history_count(const msgr_window &w) noexcept {
        return static_cast<std::size_t>(w.end_seq - w.first_seq);
    }
    // The entry at index: from memory, else one page read from the store (the pointer stays
    // valid until the window's history next changes or another page is read).
    msgr_hresult history_entry(msgr_window &w, std::size_t index, const msgr_window::Entry *&out);
    msgr_hresult fetch_older(msgr_window &w);
    msgr_hresult history_seen(msgr_window &w, std::size_t last_index);
    msgr_hresult set_chat_state(msgr_window &w, msgr_chat_state state);
    msgr_hresult search(const char *query, std::size_t max_results, std::uint64_t &out);
    msgr_hresult search_count(std::uint64_t search, std::size_t &out) const;
    msgr_hresult search_get(std::uint64_t search, std::size_t index, msgr_search_result &out);
    msgr_hresult search_open(std::uint64_t search, std::size_t index, WindowRef &out);
    msgr_hresult search_release(std::uint64_t search);
    msgr_hresult forget_contact(msgr_contact &c);
    msgr_hresult forget_all();
    // The signed-in account's store: null while history is off, not signed in, or it failed to
    // open (store_failure says why). For tests and benchmarks.
    history::Store *store() noexcept {
        return store_state_ == StoreState::open ? store_.get() : nullptr;
    }
    const std::string &store_failure() const noexcept { return store_why_; }

    // ---- the drawing layer's view of the windows (ui.h) ----
    // The window manager: lifecycle, z-order, geometry and contacts of the open windows.
    WindowManager &windows() noexcept { return windows_; }
    const WindowManager &windows() const noexcept { return windows_; }
    // Open windows from back to front. Every open window is in it exactly once.
    const std::vector<msgr_window *> &z_order() const noexcept { return windows_.z_order(); }

    // ---- events ----
    msgr_hresult subscribe(msgr_event_type type, msgr_event_fn fn, void *user,
                           msgr_subscription &out);
    msgr_hresult unsubscribe(msgr_subscription id);

    // ---- providers ----
    Service *find_service(std::string_view id) noexcept;
    void add_service(std::unique_ptr<Service> service);
    // Takes a service out (its add-in was disabled or unloaded). If it is the primary service,
    // a session in progress ends: windows are dereferenced and OnSignout (or OnSignin, while
    // signing in) reports MSGR_E_SERVER_UNAVAILABLE; later sign-ins fail with E_FAIL and `why`
    // until a service with its id is added again (its add-in restarted): that one is primary.
    std::unique_ptr<Service> remove_service(Service *service, const std::string &why);
    // Whether the user is signed in or signing in.
    bool session_active() const noexcept { return state_ != State::offline; }
    // Installs the paging capability (the paging add-in, or a test double); NULL removes it.
    void set_paging_provider(std::unique_ptr<PagingProvider> provider);
    bool has_paging() const noexcept { return paging_ != nullptr; }
    PagingProvider *paging_provider() const noexcept { return paging_.get(); }
    // Takes the paging provider out (the add-in host withdrawing a disabled add-in's).
    std::unique_ptr<PagingProvider> release_paging_provider() noexcept {
        return std::move(paging_);
    }
    // Whether paging is in use: a page window is open or a page is being delivered.
    bool paging_in_use() const noexcept;

    // ---- add-ins ----
    AddinHost *addins() noexcept { return addins_.get(); }
    // Connects a slot to one event type (0: every type); the add-in host's way in.
    boost::signals2::connection connect(msgr_event_type type,
                                        const std::function<void(const msgr_event &)> &slot);
    // Raises MSGR_EVENT_ADDIN_STATE_CHANGE on the next tick.
    void raise_addin_event(std::size_t index, msgr_hresult hr, std::string text);
    std::size_t max_page_utf16() const noexcept;

    // Maps a vContact to a contact object. Only call once the variant is valid and signed in.
    ContactRef resolve(const msgr_variant &v);

  private:
    enum class State { offline, connecting, online };

    struct Pending {
        msgr_event_type type;
        msgr_hresult hr = MSGR_S_OK;
        std::int32_t status = 0;
        ContactRef contact{};
        WindowRef window{};
        std::string text{};
        std::size_t index = 0;
    };

    std::vector<Service *> service_snapshot() const;
    bool has_service(const Service *service) const noexcept;
    // Whether a service other than the primary signs in with it (runtime.secondary_services).
    bool signs_in_as_secondary(const Service &service) const;
    void signout_services();
    msgr_hresult primary_vanished() const;
    msgr_hresult check_variant(const msgr_variant &v) const;
    // GetContact's and AddContact's first checks (msgr.h): a sign-in name, a service id that
    // names a service (NULL: the primary), signed in. out: the service.
    msgr_hresult check_name_and_service(const char *signin, const char *service_id, Service *&out);
    bool variant_is_self(const msgr_variant &v, const msgr_contact &c) const;
    ContactRef contact_for(Service &service, std::string_view signin);
    WindowRef find_window(msgr_window_kind kind, const msgr_contact &c) const;
    WindowRef open_window(msgr_window_kind kind, ContactRef contact);
    msgr_hresult show_window(msgr_window_kind kind, ContactRef contact, WindowRef &out);
    msgr_hresult focus(msgr_window &w);
    void end_session(msgr_window::State windows_become, msgr_hresult hr);
    // Signs the services out, then applies what they reported before (signout, ~Runtime).
    void leave_session();
    // Applies up to `max` of what the inbox holds (into `items`, left empty), the appends as
    // one store transaction. Returns how many are left in the inbox.
    std::size_t apply_inbox(std::vector<InboxItem> &items, std::size_t max);
    void apply(InboxItem &item);

    // ---- history (runtime_history.cpp) ----
    enum class StoreState { none, opening, open, failed };
    // What the store's thread posts: kept here until the store opened (so the tick that applies
    // SigninDone can wait for the open without draining the inbox), then into the inbox.
    struct StoreMailbox {
        std::mutex mutex;
        std::condition_variable cv;
        std::vector<std::function<void()>> early;
        bool to_inbox = false;
    };
    // A contact a search result lends the host until the search is released: it counts as one
    // of the host's references meanwhile (objects.hpp), so the C ABI accepts it until then.
    class LentContact {
      public:
        explicit LentContact(ContactRef c) noexcept;
        LentContact(LentContact &&o) noexcept : c_(std::move(o.c_)) {}
        LentContact &operator=(LentContact &&o) noexcept;
        LentContact(const LentContact &) = delete;
        LentContact &operator=(const LentContact &) = delete;
        ~LentContact() { give_back(); }
        msgr_contact *get() const noexcept { return c_.get(); }

      private:
        void give_back() noexcept;
        ContactRef c_;
    };
    struct Search {
        bool done = false;
        msgr_hresult hr = MSGR_S_OK;
        std::vector<history::Hit> hits;
        std::vector<LentContact> contacts;  // hits[i]'s contact (null when its service is gone)
    };
    // An outgoing message handed to a service or the paging provider, until its DeliveryDone.
    struct InFlight {
        WindowRef window;  // the window it was sent from (null: a resend at sign-in)
        ContactRef contact;
        msgr_window_kind kind = MSGR_WINDOW_CONVERSATION;
        std::int64_t seq = 0;
        std::int64_t stored_id = 0;
    };
    void start_store();
    void stop_store();
    void close_store(std::unique_ptr<history::Store> &store);
    void run_early_store_reports(bool wait);
    void store_opened(msgr_hresult hr, const std::string &why);
    void finish_signin();
    void recover_unfinished();
    std::int64_t conversation_of(const msgr_contact &c, msgr_window_kind kind);
    std::int64_t conversation_of(const history::ConversationKey &key);
    // The window's conversation in the store: its contact's, or its group's.
    std::int64_t conversation_of(const msgr_window &w);
    // ---- the contact list (runtime_contacts.cpp) ----
    msgr_hresult check_listed(const msgr_contact &c) const;
    void change_blocked(const ContactRef &c, bool blocked);
    void change_my_friendly_name(const std::string &name);
    void list_change(Service &service, const ContactListChange &m);
    void contact_report(Service &service, const ContactReport &m);
    // ---- rich presence (runtime_activity.cpp) ----
    void change_my_activity(const std::string &text);
    void contact_activity(const ContactRef &c, const std::string &raw);
    // ---- groups (runtime_groups.cpp) ----
    msgr_hresult check_member(msgr_window &w, const msgr_variant &v, ContactRef &out);
    // Makes a one-to-one window a group window with that id: its history becomes the group's.
    void become_group(msgr_window &w, std::string group);
    // The open window of a group a message arrived in, or a new one (with its sender).
    WindowRef group_window(Service &service, const std::string &group, const ContactRef &sender);
    void load_history(msgr_window &w);
    void remember(msgr_window &w, msgr_window::Entry e);
    msgr_window::Entry *entry_at_seq(msgr_window &w, std::int64_t seq, std::int64_t stored_id,
                                     std::uint64_t message_id);
    void change_delivery(const ContactRef &contact, msgr_window_kind kind, const WindowRef &from,
                         std::int64_t seq, std::int64_t stored_id, std::uint64_t message_id,
                         msgr_delivery_state state, msgr_hresult hr, const std::string &reason);
    void receive(Service &service, MessageArrived &m);
    void receipt(Service &service, const ReceiptArrived &m);
    void chat_state(Service &service, const ChatStateChange &m);
    void history_end(Service &service, const HistoryEnd &m);
    void clear_history(msgr_window &w);
    std::string new_origin_id();
    void raise(Pending p);
    void dispatch(const Pending &p);

    const std::thread::id owner_;
    Config config_;
    RuntimeInbox inbox_;
    std::vector<std::unique_ptr<Service>> services_;
    Service *primary_ = nullptr;
    std::string primary_gone_;  // why the primary service left, once it has
    std::unique_ptr<PagingProvider> paging_;
    std::unique_ptr<AddinHost> addins_;  // after paging_: add-ins outlive their adapters

    State state_ = State::offline;
    std::uint64_t session_ = 0;  // identifies the current sign-in; stale reports are ignored
    std::string my_name_;
    std::string my_key_;
    std::int32_t my_status_ = MSGR_STATUS_OFFLINE;
    bool focus_allowed_ = true;
    bool signin_dialog_visible_ = false;

    std::map<std::pair<std::string, std::string>, ContactRef> contacts_;  // (service, key)
    std::vector<ContactRef> contact_list_;
    std::set<std::pair<std::string, std::string>> adding_;  // (service, key) asked, unanswered
    std::vector<ContactRef> requests_;                      // waiting for msgr_authorize
    std::string my_friendly_;
    std::string my_activity_;  // "" at every sign-in
    WindowManager windows_;
    std::uint64_t next_message_id_ = 1;
    std::unordered_map<std::uint64_t, InFlight> in_flight_;  // by message id

    std::unique_ptr<history::Store> store_;
    // A send waiting on its service while the session ends (the service's process died in the
    // call) keeps the store it appended to until it has recorded the outcome: sends_ counts the
    // sends in a service call, and stop_store parks the store here meanwhile.
    int sends_ = 0;
    std::unique_ptr<history::Store> parked_store_;
    std::shared_ptr<StoreMailbox> store_mail_;
    StoreState store_state_ = StoreState::none;
    std::string store_why_;           // why the store is not there
    bool service_signed_in_ = false;  // the primary's SigninDone came; OnSignin waits for the store
    bool in_batch_ = false;           // the tick's appends are one store transaction
    std::map<std::uint64_t, Search> searches_;
    std::random_device origin_random_;  // origin ids: 128 random bits each

    std::vector<Pending> events_;
    std::vector<Pending> dispatching_;
    std::vector<InboxItem> drained_;
    // What the session's services reported between the primary's SigninDone and OnSignin
    // (the store still opening): applied once the session is online.
    std::vector<InboxItem> held_;
    bool signing_out_ = false;  // signout applies what its services reported before it
    int dispatch_depth_ = 0;
    bool shutdown_announced_ = false;
    std::array<boost::signals2::signal<void(const msgr_event &)>, MSGR_EVENT_TYPE_COUNT_> signals_;
    std::unordered_map<msgr_subscription, boost::signals2::connection> subscriptions_;
    msgr_subscription next_subscription_ = 1;
};

}  // namespace msgr::core
