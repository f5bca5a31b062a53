// A paging provider standing in for the paging add-in (which the add-in issue delivers): the
// core issue allows a test double here. It records pages and answers through the inbox as the
// real add-in does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capabilities.hpp"

namespace msgr::test {

struct PagerLog {
    std::vector<msgr::core::PageRequest> pages;
    msgr_hresult answer = MSGR_S_OK;  // what delivery reports
};

class TestPager final : public msgr::core::PagingProvider {
  public:
    TestPager(msgr::core::RuntimeInbox &inbox, std::shared_ptr<PagerLog> log,
              std::vector<std::string> directory = {}, std::size_t max = 160)
        : inbox_(inbox), log_(std::move(log)), directory_(std::move(directory)), max_(max) {}

    const std::string &name() const override { return name_; }
    bool knows_mobile(std::string_view, std::string_view signin) override {
        for (const auto &d : directory_) {
            if (d == signin) return true;
        }
        return false;
    }
    std::size_t max_page_utf16() const override { return max_; }
    msgr_hresult submit(const msgr::core::PageRequest &page) override {
        log_->pages.push_back(page);
        inbox_.push(msgr::core::DeliveryDone{
            page.message_id,
            MSGR_SUCCEEDED(log_->answer) ? MSGR_DELIVERY_SENT : MSGR_DELIVERY_FAILED,
            log_->answer,
            {}});
        return MSGR_S_OK;
    }

  private:
    std::string name_ = "test-pager";
    msgr::core::RuntimeInbox &inbox_;
    std::shared_ptr<PagerLog> log_;
    std::vector<std::string> directory_;
    std::size_t max_;
};

}  // namespace msgr::test
