// Checks the demo host's scripted session by its screenshots: pixels where windows must be (and
// must no longer be), the echo's reply drawn in the incoming colour, the game dimmed behind an
// open overlay. Usage: screenshot_check DIR (the demo's --out directory).
#include <stb_image.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    if (!ok) ++failures;
}

struct Image {
    int w = 0, h = 0;
    std::vector<unsigned char> px;
    bool load(const std::string &path) {
        int n = 0;
        unsigned char *data = stbi_load(path.c_str(), &w, &h, &n, 4);
        if (data == nullptr) return false;
        px.assign(data, data + static_cast<std::size_t>(w) * h * 4);
        stbi_image_free(data);
        return true;
    }
    const unsigned char *at(int x, int y) const {
        x = std::max(0, std::min(w - 1, x));
        y = std::max(0, std::min(h - 1, y));
        return &px[(static_cast<std::size_t>(y) * w + x) * 4];
    }
    // The overlay's active title bar: ImGui's dark style, a clear blue; the game has none.
    bool title_blue(int x, int y) const {
        const unsigned char *p = at(x, y);
        return p[2] > 90 && p[2] > p[0] + 40;
    }
    int count(int x0, int y0, int w0, int h0, bool (*pred)(const unsigned char *)) const {
        int n = 0;
        for (int y = y0; y < y0 + h0; ++y)
            for (int x = x0; x < x0 + w0; ++x)
                n += pred(at(x, y)) ? 1 : 0;
        return n;
    }
    double luminance(int x0, int y0, int w0, int h0) const {
        double sum = 0;
        for (int y = y0; y < y0 + h0; ++y)
            for (int x = x0; x < x0 + w0; ++x) {
                const unsigned char *p = at(x, y);
                sum += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            }
        return sum / (static_cast<double>(w0) * h0);
    }
};

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    bool found = false;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        (void)std::fprintf(stderr, "usage: screenshot_check DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::ifstream transcript(dir + "/transcript.txt");
    check(static_cast<bool>(transcript), "the transcript exists");
    std::vector<Rect> windows;
    Rect reply;
    bool passed = false;
    for (std::string line; std::getline(transcript, line);) {
        std::istringstream in(line);
        std::string word;
        in >> word;
        Rect r;
        if (word == "window" && (in >> r.x >> r.y >> r.w >> r.h)) {
            r.found = true;
            windows.push_back(r);
        } else if (word == "reply" && (in >> r.x >> r.y >> r.w >> r.h)) {
            r.found = true;
            reply = r;
        } else if (line.rfind("PASSED:", 0) == 0) {
            passed = true;
        }
    }
    check(passed, "the demo's own checks passed");
    check(windows.size() == 2 && reply.found, "the transcript gives the window and reply rects");
    if (windows.size() != 2 || !reply.found) return 1;
    const Rect &before = windows[0], &after = windows[1];

    Image chat, dragged, closed, signin;
    check(chat.load(dir + "/03-chat.png"), "03-chat.png loads");
    check(dragged.load(dir + "/05-dragged.png"), "05-dragged.png loads");
    check(closed.load(dir + "/06-closed.png"), "06-closed.png loads");
    check(signin.load(dir + "/01-signin.png"), "01-signin.png loads");
    if (failures != 0) return 1;

    // The conversation window is where the runtime says it is: its title bar, its dark body.
    check(chat.title_blue(before.x + before.w / 2, before.y + 5),
          "03: the conversation's title bar is drawn at the window's Left/Top");
    check(!chat.title_blue(before.x + before.w / 2, before.y - 6),
          "03: nothing blue just above the window");
    const unsigned char *body = chat.at(before.x + before.w / 2, before.y + before.h / 2);
    check(body[0] < 40 && body[1] < 40 && body[2] < 40, "03: the window's body is drawn");
    // The echo's reply, in the incoming colour, where the overlay drew it.
    const int blue_text =
        chat.count(reply.x, reply.y, reply.w, reply.h,
                   [](const unsigned char *p) { return p[2] > 170 && p[2] > p[0] + 40; });
    check(blue_text > 40, "03: the echo's reply is drawn (" + std::to_string(blue_text) +
                              " pixels of incoming text)");
    const int blue_elsewhere =
        chat.count(reply.x, reply.y + reply.h + 40, reply.w, reply.h,
                   [](const unsigned char *p) { return p[2] > 170 && p[2] > p[0] + 40; });
    check(blue_elsewhere < blue_text / 4, "03: and not everywhere (control region is empty)");

    // After the drag: at the new place, not at the old one.
    check(after.x != before.x || after.y != before.y, "05: the window moved");
    check(dragged.title_blue(after.x + after.w / 2, after.y + 5),
          "05: the title bar is drawn where the user dropped it");
    check(!dragged.title_blue(before.x + 20, before.y + 5), "05: and no longer where it was");

    // Closed: no window, and the game is no longer dimmed.
    check(!closed.title_blue(after.x + after.w / 2, after.y + 5), "06: the window is not drawn");
    const double open_lum = dragged.luminance(0, 560, 1280, 160);
    const double closed_lum = closed.luminance(0, 560, 1280, 160);
    check(closed_lum > open_lum * 1.5, "06: the game is brighter with the overlay closed (" +
                                           std::to_string(open_lum) + " -> " +
                                           std::to_string(closed_lum) + ")");
    check(signin.luminance(0, 560, 1280, 160) < closed_lum / 1.5,
          "01: the game is dimmed behind the sign-in dialog");
    std::printf("%s\n",
                failures == 0 ? "all screenshot checks passed" : "screenshot checks FAILED");
    return failures == 0 ? 0 : 1;
}
