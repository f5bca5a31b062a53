// Room: a stand-in for the process transport (process.cpp) in a build without it: no add-in
// can run isolated, and each one configured to is refused with MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST.
// It touches nothing; process.cpp replaces it (core/CMakeLists.txt lists one or the other).
#include "process.hpp"

namespace msgr::core {

struct AddinProcess::Impl {
    wire::Descriptor descriptor;
    ProcessFault fault;
};

std::unique_ptr<AddinProcess> AddinProcess::start(const std::string &, const struct stat &,
                                                  const ProcessOptions &, ProcessFault &why) {
    why = ProcessFault{};
    why.state = MSGR_ADDIN_REFUSED;
    why.problem = MSGR_ADDIN_PROBLEM_NO_ADDIN_HOST;
    why.hr = MSGR_E_NOTIMPL;
    why.reason = "this runtime was built without the process transport";
    return nullptr;
}

AddinProcess::AddinProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AddinProcess::~AddinProcess() = default;

const wire::Descriptor &AddinProcess::descriptor() const noexcept {
    return impl_->descriptor;
}

msgr_hresult AddinProcess::load(const msgr_host *, std::string_view, std::string_view,
                                std::string &) {
    return MSGR_E_NOTIMPL;
}

void AddinProcess::unload(std::string &) {}

bool AddinProcess::poll() {
    return false;
}

bool AddinProcess::take_slot_failure(SlotFailure &) {
    return false;
}

const ProcessFault &AddinProcess::fault() const noexcept {
    return impl_->fault;
}

int AddinProcess::pid() const noexcept {
    return 0;
}

std::uint32_t AddinProcess::drawers_refused() const noexcept {
    return 0;
}

}  // namespace msgr::core
