// Fuzzes the wire protocol's decoder (core/src/addins/protocol.hpp): the runtime decodes every
// frame an add-in process sends, and that process runs code nobody vouched for. Beyond memory
// errors: whatever decode() accepts re-encodes to exactly the bytes it came from (the decoder
// takes nothing the encoder would not have written), and a refusal always says why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "addins/protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    namespace wire = msgr::core::wire;
    const std::string_view body(reinterpret_cast<const char *>(data), size);
    wire::Frame frame;
    std::string why;
    if (!wire::decode(body, frame, why)) {
        FUZZ_CHECK(!why.empty());
        return 0;
    }
    FUZZ_CHECK(why.empty());
    FUZZ_CHECK(size >= 2 && size <= wire::kMaxFrame);
    const std::string bytes = wire::encode(frame);  // never throws: decode bounds what it takes
    FUZZ_CHECK(bytes.size() == size + 4);
    const std::uint32_t prefix =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[0])) |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[1])) << 8 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[3])) << 24;
    FUZZ_CHECK(prefix == size);
    FUZZ_CHECK(std::string_view(bytes).substr(4) == body);
    const auto type = static_cast<std::uint16_t>(static_cast<unsigned char>(data[0]) |
                                                 static_cast<unsigned char>(data[1]) << 8);
    FUZZ_CHECK(static_cast<std::uint16_t>(wire::type_of(frame)) == type);
    return 0;
}
