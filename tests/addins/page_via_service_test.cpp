// Pages through a contact's own service (add-in ABI 1.3): the real paging add-in offers each page
// to the contact's service (msgr_host_page_via_service), which carries it (send_page) or declines
// it, and the page falls back to the outbox. The service here is the test add-in, configured to
// carry pages to some contacts and to report them from a thread of its own.
#include <cstdio>

#include "../support/addin_fixture.hpp"

using namespace msgr::test;

namespace {

const fs::path kAddins = MSGR_ADDIN_OUTPUT_DIR;  // paging.so (and loopback.so, xmpp.so)
const fs::path kTestAddins = MSGR_TEST_ADDIN_DIR;

// The line the test add-in logs for a host function's answer.
std::string refused(const std::string &where, msgr_hresult hr) {
    char buf[16];
    (void)std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(hr));
    return "refused: page-via-" + where + " " + buf;
}

// The paging add-in with its outbox in `outbox`, and the test add-in `service` (in its own
// directory, configured by `table`) as the primary service, or as a secondary one beside the
// loopback service.
std::string config(const std::string &service, const std::string &table, const fs::path &outbox,
                   const std::string &paging_more = "", bool primary = true) {
    return addin_config({kAddins, kTestAddins / service},
                        "[" + service + "]\nservice = true\n" + table +
                            "\n[paging]\noutbox = " + toml_string(outbox) + "\n" + paging_more,
                        primary ? "primary_service = \"" + service + "\"" : "");
}

// Opens a page window to `who` on the service `service` (the caller releases it).
msgr_window *page_window(Host &h, const char *who, const char *service) {
    msgr_contact *c = nullptr;
    EXPECT_EQ(msgr_get_contact(h.rt, who, service, &c), MSGR_S_OK) << msgr_last_error();
    if (c == nullptr) return nullptr;
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    msgr_window *w = nullptr;
    EXPECT_EQ(msgr_page(h.rt, v, &w), MSGR_S_OK) << msgr_last_error();
    msgr_contact_release(c);
    return w;
}

// Pages `who` with `text`; the window (caller releases) and the history index.
msgr_window *send_page(Host &h, const char *who, const char *service, const char *text,
                       std::size_t &index) {
    msgr_window *w = page_window(h, who, service);
    if (w == nullptr) return nullptr;
    EXPECT_EQ(msgr_ui_send(w, text, &index), MSGR_S_OK) << msgr_last_error();
    return w;
}

TEST(PageViaService, AContactTheServiceCarriesPagesToGetsThePageFromTheService) {
    LogCapture logs;
    TempDir d;
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\n", d / "outbox.jsonl"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "on my way", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(m.delivery_result, MSGR_S_OK);
    EXPECT_EQ(logs.count("carried page "), 1u);
    EXPECT_EQ(logs.count(" to pager@test: on my way"), 1u);
    // The service's report from its own thread was taken: it owed the page, not the paging add-in.
    EXPECT_EQ(logs.count("refused: page-report"), 0u);
    EXPECT_FALSE(fs::exists(d / "outbox.jsonl")) << read_file(d / "outbox.jsonl");
    // A second page goes the same way.
    ASSERT_EQ(msgr_ui_send(w, "second", &index), MSGR_S_OK);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(logs.count(" to pager@test: second"), 1u);
    EXPECT_FALSE(fs::exists(d / "outbox.jsonl"));
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED);
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
    msgr_window_release(w);
}

TEST(PageViaService, OtherMobileContactsGoThroughTheGateway) {
    LogCapture logs;
    TempDir d;
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\n", d / "outbox.jsonl",
                  "mobile = [\"other@test\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "other@test", "misbehave", "to the phone", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(logs.count("carried page "), 0u);
    const std::string out = read_file(d / "outbox.jsonl");
    EXPECT_NE(out.find(R"("text":"to the phone")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("to":"other@test")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("service":"misbehave")"), std::string::npos) << out;
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED);
    msgr_window_release(w);
}

TEST(PageViaService, ThroughServicesFalseKeepsEveryPageOnTheGateway) {
    LogCapture logs;
    TempDir d;
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\n", d / "outbox.jsonl",
                  "through_services = false\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED) << h.find("paging").reason;
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "gateway only", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(logs.count("carried page "), 0u);
    const std::string out = read_file(d / "outbox.jsonl");
    EXPECT_NE(out.find(R"("text":"gateway only")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("to":"pager@test")"), std::string::npos) << out;
    msgr_window_release(w);
}

TEST(PageViaService, ThroughServicesMustBeABoolean) {
    TempDir d;
    Host h(config("misbehave", "", d / "outbox.jsonl", "through_services = \"yes\"\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    const msgr_addin_info in = h.find("paging");
    EXPECT_EQ(in.state, MSGR_ADDIN_REFUSED);
    EXPECT_NE(std::string(in.reason).find("paging.through_services must be true or false"),
              std::string::npos)
        << in.reason;
}

TEST(PageViaService, ASendPageThatThrowsDisablesTheServiceAndFailsThePage) {
    TempDir d;
    // A secondary service: the user stays signed in, so the window can be read afterwards.
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\nthrow = [\"send_page\"]\n",
                  d / "outbox.jsonl", "", false));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "boom", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_FAIL);
    const msgr_addin_info in = h.find("misbehave");
    EXPECT_EQ(in.state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(std::string(in.reason).find("send_page threw"), std::string::npos) << in.reason;
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
    EXPECT_FALSE(fs::exists(d / "outbox.jsonl")) << "a failed service's page is not sent twice";
    msgr_window_release(w);
    h.still_works();
}

TEST(PageViaService, ASendPageThatFailsDisablesThePrimaryServiceAndNothingCrashes) {
    std::vector<msgr_hresult> deliveries;  // before the host, which raises events as it goes
    TempDir d;
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\nfail = [\"send_page\"]\n",
                  d / "outbox.jsonl"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    msgr_subscription sub = 0;
    ASSERT_EQ(msgr_subscribe(
                  h.rt, MSGR_EVENT_DELIVERY_CHANGE,
                  [](const msgr_event *ev, void *u) {
                      static_cast<std::vector<msgr_hresult> *>(u)->push_back(ev->hr);
                  },
                  &deliveries, &sub),
              MSGR_S_OK);
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "boom", index);
    ASSERT_NE(w, nullptr);
    h.tick(3);
    const msgr_addin_info in = h.find("misbehave");
    EXPECT_EQ(in.state, MSGR_ADDIN_DISABLED);
    EXPECT_NE(std::string(in.reason).find("send_page returned"), std::string::npos) << in.reason;
    // The primary service is gone: signed out, the window dereferenced.
    std::int32_t status = 0;
    ASSERT_EQ(msgr_my_status(h.rt, &status), MSGR_S_OK);
    EXPECT_EQ(status, MSGR_STATUS_OFFLINE);
    int closed = 0;
    EXPECT_EQ(msgr_window_is_closed(w, &closed), MSGR_RPC_E_DISCONNECTED);
    // The page's fate still arrives, once: failed.
    ASSERT_EQ(deliveries.size(), 1u);
    EXPECT_EQ(deliveries[0], MSGR_E_FAIL);
    EXPECT_EQ(h.find("paging").state, MSGR_ADDIN_LOADED);
    EXPECT_FALSE(fs::exists(d / "outbox.jsonl"));
    msgr_window_release(w);
}

TEST(PageViaService, AnAbi12ServiceTableCarriesNoPages) {
    LogCapture logs;
    TempDir d;
    // Its send_page is set, but beyond the struct_size it registered: the host never reads it.
    Host h(config("old_table", "carries_pages = [\"pager@test\"]\n", d / "outbox.jsonl"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("old_table").state, MSGR_ADDIN_LOADED) << h.find("old_table").reason;
    h.signin("me@test");
    std::size_t index = 0;
    // The service says the contact is mobile (describe), so the page window opens.
    msgr_window *w = send_page(h, "pager@test", "old_table", "old service", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(logs.count("carried page "), 0u);
    const std::string out = read_file(d / "outbox.jsonl");
    EXPECT_NE(out.find(R"("text":"old service")"), std::string::npos) << out;
    EXPECT_EQ(h.find("old_table").state, MSGR_ADDIN_LOADED);
    msgr_window_release(w);
}

// The test add-in as paging provider and service at once, probing the host function.
TEST(PageViaService, TheHostFunctionTakesOnlyThePageBeingSubmitted) {
    LogCapture logs;
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[misbehave]\nservice = true\npaging = true\nevents = true\n"
                        "pages_via_service = true\nprobe = true\n"
                        "carries_pages = [\"pager@test\"]\n",
                        "primary_service = \"misbehave\""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED) << h.find("misbehave").reason;
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "probe", index);
    ASSERT_NE(w, nullptr);
    const msgr_message m = h.wait_delivery(w, index);
    // Outside submit, or on another thread: E_UNEXPECTED.
    EXPECT_EQ(logs.count(refused("load", MSGR_E_UNEXPECTED)), 1u);
    EXPECT_GE(logs.count(refused("event", MSGR_E_UNEXPECTED)), 1u);
    EXPECT_EQ(logs.count(refused("event", MSGR_E_UNEXPECTED)), logs.count("page-via-event"));
    EXPECT_EQ(logs.count(refused("thread", MSGR_E_UNEXPECTED)), 1u);
    // Nested inside send_page (the same add-in, still inside its submit): E_UNEXPECTED.
    EXPECT_EQ(logs.count(refused("nested", MSGR_E_UNEXPECTED)), 1u);
    // Inside submit, another page: E_INVALIDARG.
    for (const char *where :
         {"wrong-id", "other-to", "other-text", "other-service", "small", "null"}) {
        EXPECT_EQ(logs.count(refused(where, MSGR_E_INVALIDARG)), 1u) << where;
    }
    // The page itself: taken, carried, and reported once by the add-in, which still owed it
    // (paging provider and service are one add-in: no transfer, no double bookkeeping).
    EXPECT_EQ(logs.count("page-via: 0x00000000"), 1u);
    EXPECT_EQ(logs.count(" to pager@test: probe"), 1u);
    EXPECT_EQ(logs.count("refused: page-report"), 0u);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED);
    msgr_window_release(w);
}

TEST(PageViaService, APageTheServiceDeclinesStaysWithThePagingProvider) {
    LogCapture logs;
    // One add-in is paging provider and service; the service carries pages to pager@test only,
    // and knows phone@test has a mobile device its paging provider reaches.
    Host h(addin_config({kTestAddins / "misbehave"},
                        "[misbehave]\nservice = true\npaging = true\npages_via_service = true\n"
                        "carries_pages = [\"pager@test\"]\nmobile = [\"phone@test\"]\n",
                        "primary_service = \"misbehave\""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "phone@test", "misbehave", "declined", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(logs.count("page-via: 0x00000001"), 1u);  // S_FALSE
    EXPECT_EQ(logs.count("carried page "), 0u);
    // Its submit then reported the page itself: it still owed it.
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_LOADED) << h.find("misbehave").reason;
    msgr_window_release(w);
}

// The debt moves: a paging provider disabled after handing a page over does not fail it.
TEST(PageViaService, APagingProviderDisabledAfterTheHandOverDoesNotFailThePage) {
    LogCapture logs;
    Host h(addin_config({kTestAddins / "pager2", kTestAddins / "misbehave"},
                        "[pager2]\npaging = true\npages_via_service = true\n"
                        "fail = [\"knows_mobile\"]\n"
                        "[misbehave]\nservice = true\ncarries_pages = [\"pager@test\"]\n"
                        "carry_delay_ms = 400\n",
                        "primary_service = \"misbehave\""));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    ASSERT_EQ(h.find("pager2").state, MSGR_ADDIN_LOADED) << h.find("pager2").reason;
    h.signin("me@test");
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "held", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(logs.count("page-via: 0x00000000"), 1u);
    // A contact the service does not call mobile: the runtime asks pager2, which fails.
    msgr_window *w2 = nullptr;
    EXPECT_NE(h.page("nobody@test", &w2), MSGR_S_OK);
    EXPECT_EQ(h.find("pager2").state, MSGR_ADDIN_DISABLED);
    // The page the service holds is still its to report.
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(m.delivery_result, MSGR_S_OK);
    EXPECT_EQ(logs.count("refused: page-report"), 0u);
    msgr_window_release(w);
}

// A service that fails on send_page is disabled without reporting that page: the paging provider
// may still deliver it itself ("report the page failed, or deliver it").
TEST(PageViaService, APagingProviderMayDeliverAPageTheFailedServiceDidNotTake) {
    LogCapture logs;
    // misbehave is a secondary service (the loopback service is primary): the user stays signed
    // in when it is disabled, and the window can be read.
    Host h(addin_config({kTestAddins / "pager2", kTestAddins / "misbehave"},
                        "[pager2]\npaging = true\npages_via_service = true\nfallback = true\n"
                        "[misbehave]\nservice = true\ncarries_pages = [\"pager@test\"]\n"
                        "throw = [\"send_page\"]\n"));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "fallback", index);
    ASSERT_NE(w, nullptr);
    char fail[32];
    (void)std::snprintf(fail, sizeof fail, "page-via: 0x%08X", static_cast<unsigned>(MSGR_E_FAIL));
    EXPECT_EQ(logs.count(fail), 1u);
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_DISABLED);
    EXPECT_EQ(h.find("pager2").state, MSGR_ADDIN_LOADED);
    // Disabling misbehave did not report the page it never took: pager2's own report stands.
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(m.delivery_result, MSGR_S_OK);
    msgr_window_release(w);
}

// ...and a service disabled while it holds a page reports it failed (never lost).
TEST(PageViaService, AServiceDisabledWhileHoldingAPageFailsIt) {
    LogCapture logs;
    TempDir d;
    Host h(config("misbehave",
                  "carries_pages = [\"pager@test\"]\ncarry_delay_ms = 1000\n"
                  "fail = [\"send_message\"]\n",
                  d / "outbox.jsonl", "", false));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "held", index);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(logs.count(" to pager@test: held"), 1u);
    // An instant message to the same contact fails the service: it is disabled.
    msgr_contact *c = nullptr;
    ASSERT_EQ(msgr_get_contact(h.rt, "pager@test", "misbehave", &c), MSGR_S_OK);
    msgr_variant v{};
    v.vt = MSGR_VT_DISPATCH;
    v.contact = c;
    msgr_window *im = nullptr;
    ASSERT_EQ(msgr_instant_message(h.rt, v, &im), MSGR_S_OK) << msgr_last_error();
    EXPECT_EQ(msgr_ui_send(im, "hi", nullptr), MSGR_E_FAIL);
    EXPECT_EQ(h.find("misbehave").state, MSGR_ADDIN_DISABLED);
    const msgr_message m = h.wait_delivery(w, index);
    EXPECT_EQ(m.delivery, MSGR_DELIVERY_FAILED);
    EXPECT_EQ(m.delivery_result, MSGR_E_FAIL);
    EXPECT_FALSE(fs::exists(d / "outbox.jsonl"));
    msgr_window_release(im);
    msgr_window_release(w);
    msgr_contact_release(c);
}

// msgr_addin_unload: a page the service holds is still a page in flight for paging.
TEST(PageViaService, APageHeldByTheServiceKeepsThePagingAddinBusy) {
    TempDir d;
    Host h(config("misbehave", "carries_pages = [\"pager@test\"]\ncarry_delay_ms = 300\n",
                  d / "outbox.jsonl", "", false));
    ASSERT_EQ(h.create_hr, MSGR_S_OK) << msgr_last_error();
    h.signin();
    std::size_t index = 0;
    msgr_window *w = send_page(h, "pager@test", "misbehave", "held", index);
    ASSERT_NE(w, nullptr);
    ASSERT_EQ(msgr_window_close(w), MSGR_S_OK);
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_E_BUSY);
    EXPECT_EQ(h.wait_delivery(w, index).delivery, MSGR_DELIVERY_SENT);
    EXPECT_EQ(msgr_addin_unload(h.rt, "paging"), MSGR_S_OK) << msgr_last_error();
    msgr_window_release(w);
}

}  // namespace
