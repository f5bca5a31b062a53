// A main() for fuzz targets in builds without libFuzzer: runs LLVMFuzzerTestOneInput once on
// every file of the directories (or files) given, so the seed corpus and every input that ever
// crashed a fuzzer are re-checked by every build, under ASan + UBSan in `make asan`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

namespace {

bool run_file(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        (void)std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    // A copy of exactly the input's size, so ASan sees a read one past the end.
    const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.data(), data.size());
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
    std::size_t inputs = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        std::error_code ec;
        if (std::filesystem::is_directory(arg, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto &entry : std::filesystem::directory_iterator(arg)) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
            std::sort(files.begin(), files.end());
            for (const auto &f : files) {
                ok = run_file(f) && ok;
                ++inputs;
            }
        } else if (std::filesystem::exists(arg, ec)) {
            ok = run_file(arg) && ok;
            ++inputs;
        } else if (i == 1) {
            (void)std::fprintf(stderr, "replay: the seed corpus %s is missing\n", argv[i]);
            return 1;
        }
        // A missing later argument is a regressions directory that has no entry yet.
    }
    (void)std::printf("replay: %zu input(s) ran\n", inputs);
    if (inputs == 0) {
        (void)std::fprintf(stderr, "replay: no inputs: an empty seed corpus tests nothing\n");
        return 1;
    }
    return ok ? 0 : 1;
}
