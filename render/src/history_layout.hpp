// The layout of a window's history: one row per message (a message longer than kChunkBytes is
// split into several rows, so that no single draw call handles megabytes), each row's wrapped
// height cached for the current width, and prefix sums of the heights so that the rows visible
// in a scroll range are found by binary search. Drawing then costs what is visible, not what
// the history holds. (ImGuiListClipper would need every row to have the same height; wrapped
// chat lines do not.)
//
// Only a window of the history is laid out: at most `window` messages, normally the newest
// ones. A history may hold a million entries, most of them only in the store: laying them all
// out would read them all. The window starts with the newest `initial` messages, follows new
// ones while it ends at the newest (dropping its oldest rows past `window`), grows upward when
// the user scrolls to its top (extend_up) and back down (extend_down), and can be re-centred on
// one entry (center_on: a search hit). Every change above the rows already laid out is added
// to front_delta(), so that the caller keeps the scroll position on what the user looks at.
//
// A message may have a lead above its first row (set_lead): a header (the sender's name and
// time, when the sender changes or time passed) and a day separator. Leads are decided when a
// message is laid out and kept with its row, so that they cost nothing on a steady frame.
//
// No ImGui here: the caller passes how to measure text, so the layout is tested on its own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace msgr::render {

class HistoryLayout {
  public:
    static constexpr std::size_t kChunkBytes = 2048;
    static constexpr std::size_t kWindowMessages = 2048;  // at most this many laid out
    static constexpr std::size_t kInitialMessages = 256;  // laid out when a window opens
    static constexpr std::size_t npos = ~std::size_t{0};

    struct Row {
        std::uint32_t message;  // index in the window (message_of() gives the history's)
        std::uint32_t begin;    // byte range of the message's text
        std::uint32_t end;
        float natural_width;  // width on one line; < 0 when the text has a line break
        std::uint32_t lead;   // kLead* bits: what is drawn above the row (first rows only)
    };
    // What a message's lead holds, each one line high, the separator above the header.
    static constexpr std::uint32_t kLeadHeader = 1u;
    static constexpr std::uint32_t kLeadDay = 2u;
    static constexpr std::uint32_t kLeadNew = 4u;  // the "new messages" marker
    // lead(user, message) -> kLead* bits for history entry `message`.
    using LeadFn = std::uint32_t (*)(void *user, std::size_t message);

    explicit HistoryLayout(std::size_t window = kWindowMessages,
                           std::size_t initial = kInitialMessages)
        : window_(std::max<std::size_t>(window, 1)),
          initial_(std::clamp<std::size_t>(initial, 1, window_)) {}

    // Brings the layout up to date with a history of `message_count` messages at `wrap_width`.
    //   text(i) -> std::string_view: message i's text (only asked for messages not laid out yet)
    //   natural(const char *b, const char *e) -> float: the unwrapped width of one line of text,
    //       or a negative value when the text holds a line break
    //   wrapped(const char *b, const char *e, float width) -> float: the height of the text
    //       wrapped at width
    //   line_height: the height of a one-line text; spacing: added below every row
    // Returns how many rows had to be measured (0 on a steady frame).
    template <typename Text, typename Natural, typename Wrapped>
    std::size_t update(std::size_t message_count, float wrap_width, float line_height,
                       float spacing, Text &&text, Natural &&natural, Wrapped &&wrapped) {
        std::size_t measured = 0;
        // A history only shrinks when it was forgotten: start over.
        if (message_count < end_message()) clear();
        if (wrap_width != width_ || line_height != line_height_ || spacing != spacing_) {
            width_ = wrap_width;
            line_height_ = line_height;
            spacing_ = spacing;
            // Re-wrap: one-line rows that fit need no measuring at all.
            for (std::size_t r = 0; r < rows_.size(); ++r) {
                const Row &row = rows_[r];
                heights_[r] = fits(row) ? lead_height(row) + line_height_ + spacing_
                                        : row_height(row, text(message_of(r)), wrapped, measured);
            }
            rebuild_prefix(0);
        }
        const bool was_at_end = laid_out_ == 0 || end_message() == known_;
        known_ = message_count;
        if (laid_out_ == 0) {
            first_ = known_ - std::min(known_, initial_);
            append(known_, text, natural, wrapped, measured);
        } else if (was_at_end && known_ > end_message()) {
            append(known_, text, natural, wrapped, measured);
            if (laid_out_ > window_) trim_front(laid_out_ - window_);
        }
        return measured;
    }

    // Measures every laid out row again where it is (the atlas changed: new glyphs, another font
    // size, so other widths), at `wrap_width` with `line_height` and `spacing`: the same messages
    // stay laid out, split into the same rows with the same leads, so row r is still the row
    // the caller looked at and only its top and height moved. Returns how many rows were
    // measured. (Arguments as for update.)
    template <typename Text, typename Natural, typename Wrapped>
    std::size_t remeasure(float wrap_width, float line_height, float spacing, Text &&text,
                          Natural &&natural, Wrapped &&wrapped) {
        width_ = wrap_width;
        line_height_ = line_height;
        spacing_ = spacing;
        std::size_t measured = 0;
        for (std::size_t r = 0; r < rows_.size(); ++r) {
            Row &row = rows_[r];
            const std::string_view t = text(message_of(r));
            const char *b = t.data() + std::min<std::size_t>(row.begin, t.size());
            const char *e = t.data() + std::min<std::size_t>(row.end, t.size());
            row.natural_width = natural(b, e);
            ++measured;
            heights_[r] = row_height(row, t, wrapped, measured);
        }
        rebuild_prefix(0);
        return measured;
    }

    // Lays out up to `n` messages above the window (the user scrolled to its top); drops as many
    // from its bottom past `window`. Returns how many were added.
    template <typename Text, typename Natural, typename Wrapped>
    std::size_t extend_up(std::size_t n, Text &&text, Natural &&natural, Wrapped &&wrapped) {
        const std::size_t add = std::min(n, first_);
        if (add == 0) return 0;
        std::size_t measured = 0;
        scratch_rows_.clear();
        scratch_heights_.clear();
        float added = 0.0f;
        for (std::size_t m = first_ - add; m < first_; ++m)
            lay_out(m, m - (first_ - add), text, natural, wrapped, scratch_rows_, scratch_heights_,
                    measured);
        for (const float h : scratch_heights_)
            added += h;
        for (Row &row : rows_)
            row.message += static_cast<std::uint32_t>(add);
        rows_.insert(rows_.begin(), scratch_rows_.begin(), scratch_rows_.end());
        heights_.insert(heights_.begin(), scratch_heights_.begin(), scratch_heights_.end());
        first_ -= add;
        laid_out_ += add;
        front_delta_ += added;
        if (laid_out_ > window_) trim_back(laid_out_ - window_);
        rebuild_prefix(0);
        return add;
    }

    // Lays out up to `n` messages below the window when it does not end at the newest (the user
    // scrolled to its bottom); drops as many from its top past `window`. Returns how many.
    template <typename Text, typename Natural, typename Wrapped>
    std::size_t extend_down(std::size_t n, Text &&text, Natural &&natural, Wrapped &&wrapped) {
        const std::size_t add = std::min(n, known_ - end_message());
        if (add == 0) return 0;
        std::size_t measured = 0;
        append(end_message() + add, text, natural, wrapped, measured);
        if (laid_out_ > window_) trim_front(laid_out_ - window_);
        return add;
    }

    // Lays out a window around history entry `index` (a search hit to show), the history
    // holding `message_count` messages.
    template <typename Text, typename Natural, typename Wrapped>
    void center_on(std::size_t index, std::size_t message_count, Text &&text, Natural &&natural,
                   Wrapped &&wrapped) {
        if (message_count == 0) return;
        index = std::min(index, message_count - 1);
        if (laid_out_ > 0 && message_count == known_ && index >= first_ && index < end_message())
            return;  // already laid out
        clear();
        known_ = message_count;
        first_ = index - std::min(index, initial_ / 2);
        std::size_t measured = 0;
        append(std::min(known_, first_ + initial_), text, natural, wrapped, measured);
    }

    // `n` older entries were added in front of the history (an archive page): every index the
    // layout knows moved up by n; nothing it laid out changed.
    void shift(std::size_t n) noexcept {
        if (laid_out_ == 0) return;
        first_ += n;
        known_ += n;
    }

    // The rows [first, last) that intersect the vertical range [y0, y1) of the content.
    std::pair<std::size_t, std::size_t> visible(float y0, float y1) const {
        if (rows_.empty() || y1 <= y0) return {0, 0};
        // prefix_[r] is the top of row r; prefix_[rows] the total height.
        auto first_it = std::upper_bound(prefix_.begin(), prefix_.end() - 1, y0);
        std::size_t first = first_it == prefix_.begin()
                                ? 0
                                : static_cast<std::size_t>(first_it - prefix_.begin()) - 1;
        auto last_it = std::lower_bound(prefix_.begin() + static_cast<std::ptrdiff_t>(first),
                                        prefix_.end() - 1, y1);
        std::size_t last = static_cast<std::size_t>(last_it - prefix_.begin());
        return {first, std::min(last, rows_.size())};
    }

    // The first row of history entry `message`, or npos when it is not laid out.
    std::size_t row_of(std::size_t message) const {
        if (message < first_ || message >= end_message()) return npos;
        const auto rel = static_cast<std::uint32_t>(message - first_);
        auto it = std::lower_bound(rows_.begin(), rows_.end(), rel,
                                   [](const Row &row, std::uint32_t m) { return row.message < m; });
        return it == rows_.end() ? npos : static_cast<std::size_t>(it - rows_.begin());
    }

    // How leads are decided for messages laid out from now on (nullptr: none).
    void set_lead(LeadFn fn, void *user) noexcept {
        lead_ = fn;
        lead_user_ = user;
    }
    // The height of row r's lead (0 when it has none): its text starts that far below top(r).
    float lead_height(std::size_t r) const noexcept { return lead_height(rows_[r]); }

    // Decides history entry `message`'s lead again (what set_lead's function says of it
    // changed: the "new messages" marker moved), when it is laid out. Returns whether it was.
    bool relead(std::size_t message) {
        const std::size_t r = row_of(message);
        if (r == npos || lead_ == nullptr) return false;
        const float before = lead_height(rows_[r]);
        rows_[r].lead = lead_(lead_user_, message);
        heights_[r] += lead_height(rows_[r]) - before;
        rebuild_prefix(r);
        return true;
    }

    std::size_t row_count() const noexcept { return rows_.size(); }
    // The history's size the last update saw.
    std::size_t message_count() const noexcept { return known_; }
    // The laid out messages: [first_message(), end_message()).
    std::size_t first_message() const noexcept { return first_; }
    std::size_t end_message() const noexcept { return first_ + laid_out_; }
    bool at_end() const noexcept { return end_message() == known_; }
    std::size_t message_of(std::size_t r) const { return first_ + rows_[r].message; }
    const Row &row(std::size_t r) const { return rows_[r]; }
    float top(std::size_t r) const { return prefix_[r]; }
    float height(std::size_t r) const { return heights_[r]; }
    float total_height() const noexcept { return prefix_.empty() ? 0.0f : prefix_.back(); }
    float width() const noexcept { return width_; }
    // The height added (> 0) or removed (< 0) above the rows laid out before, since the last
    // call: what the caller's scroll position moves by to stay on the same rows.
    float take_front_delta() noexcept { return std::exchange(front_delta_, 0.0f); }

    void clear() {
        rows_.clear();
        heights_.clear();
        prefix_.assign(1, 0.0f);
        first_ = 0;
        laid_out_ = 0;
        known_ = 0;
        front_delta_ = 0.0f;
    }

  private:
    // Where the row starting at `begin` ends: the whole rest when it fits in a chunk, else a
    // chunk cut after a line break or space near its end, never inside a UTF-8 sequence.
    static std::size_t chunk_end(std::string_view t, std::size_t begin) {
        if (t.size() - begin <= kChunkBytes) return t.size();
        std::size_t end = begin + kChunkBytes;
        for (std::size_t i = end; i > end - 256; --i) {
            const char c = t[i - 1];
            if (c == '\n' || c == ' ') return i;
        }
        while (end > begin + 1 && (static_cast<unsigned char>(t[end]) & 0xC0) == 0x80)
            --end;
        return end;
    }

    float lead_height(const Row &row) const noexcept {
        const int lines = ((row.lead & kLeadHeader) != 0 ? 1 : 0) +
                          ((row.lead & kLeadDay) != 0 ? 1 : 0) +
                          ((row.lead & kLeadNew) != 0 ? 1 : 0);
        return static_cast<float>(lines) * (line_height_ + spacing_);
    }

    bool fits(const Row &row) const noexcept {
        return row.natural_width >= 0.0f && row.natural_width <= width_;
    }

    template <typename Wrapped>
    float row_height(const Row &row, std::string_view t, Wrapped &wrapped, std::size_t &measured) {
        if (fits(row)) return lead_height(row) + line_height_ + spacing_;
        ++measured;
        const char *b = t.data() + std::min<std::size_t>(row.begin, t.size());
        const char *e = t.data() + std::min<std::size_t>(row.end, t.size());
        return lead_height(row) + std::max(wrapped(b, e, width_), line_height_) + spacing_;
    }

    // The rows of history entry m, as window entry `rel`, appended to rows / heights.
    template <typename Text, typename Natural, typename Wrapped>
    void lay_out(std::size_t m, std::size_t rel, Text &text, Natural &natural, Wrapped &wrapped,
                 std::vector<Row> &rows, std::vector<float> &heights, std::size_t &measured) {
        // The lead first: deciding it reads other entries (the one before), which may end the
        // life of the text an earlier read gave (msgr_message.text lives until the next read of
        // an entry the runtime pages in from the store).
        const std::uint32_t lead = lead_ != nullptr ? lead_(lead_user_, m) : 0u;
        const std::string_view t = text(m);
        std::size_t begin = 0;
        do {
            const std::size_t end = chunk_end(t, begin);
            Row row{static_cast<std::uint32_t>(rel), static_cast<std::uint32_t>(begin),
                    static_cast<std::uint32_t>(end), 0.0f, 0u};
            if (begin == 0) row.lead = lead;
            row.natural_width = natural(t.data() + begin, t.data() + end);
            ++measured;
            heights.push_back(row_height(row, t, wrapped, measured));
            rows.push_back(row);
            begin = end;
        } while (begin < t.size());
    }

    // Lays out the messages from end_message() up to `until` below the window.
    template <typename Text, typename Natural, typename Wrapped>
    void append(std::size_t until, Text &text, Natural &natural, Wrapped &wrapped,
                std::size_t &measured) {
        const std::size_t first_new_row = rows_.size();
        for (std::size_t m = end_message(); m < until; ++m)
            lay_out(m, m - first_, text, natural, wrapped, rows_, heights_, measured);
        laid_out_ = std::max(laid_out_, until - first_);
        rebuild_prefix(first_new_row);
    }

    // Drops the window's first n messages.
    void trim_front(std::size_t n) {
        const auto rel = static_cast<std::uint32_t>(n);
        std::size_t r = 0;
        while (r < rows_.size() && rows_[r].message < rel)
            ++r;
        front_delta_ -= prefix_[r];
        rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(r));
        heights_.erase(heights_.begin(), heights_.begin() + static_cast<std::ptrdiff_t>(r));
        for (Row &row : rows_)
            row.message -= rel;
        first_ += n;
        laid_out_ -= n;
        rebuild_prefix(0);
    }

    // Drops the window's last n messages.
    void trim_back(std::size_t n) {
        const auto keep = static_cast<std::uint32_t>(laid_out_ - n);
        std::size_t r = rows_.size();
        while (r > 0 && rows_[r - 1].message >= keep)
            --r;
        rows_.resize(r);
        heights_.resize(r);
        laid_out_ -= n;
        rebuild_prefix(0);
    }

    void rebuild_prefix(std::size_t from) {
        prefix_.resize(rows_.size() + 1);
        if (from == 0) prefix_[0] = 0.0f;
        for (std::size_t r = from; r < rows_.size(); ++r)
            prefix_[r + 1] = prefix_[r] + heights_[r];
    }

    std::size_t window_;
    std::size_t initial_;
    LeadFn lead_ = nullptr;
    void *lead_user_ = nullptr;
    std::vector<Row> rows_;
    std::vector<float> heights_;
    std::vector<float> prefix_ = {0.0f};
    std::vector<Row> scratch_rows_;  // extend_up builds its rows here first
    std::vector<float> scratch_heights_;
    std::size_t first_ = 0;     // the history index of the window's first message
    std::size_t laid_out_ = 0;  // how many messages the window holds
    std::size_t known_ = 0;     // the history's size
    float front_delta_ = 0.0f;
    float width_ = -1.0f;
    float line_height_ = 0.0f;
    float spacing_ = 0.0f;
};

}  // namespace msgr::render
