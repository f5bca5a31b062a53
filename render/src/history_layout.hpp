// The layout of a window's history: one row per message (a message longer than kChunkBytes is
// split into several rows, so that no single draw call handles megabytes), each row's wrapped
// height cached for the current width, and prefix sums of the heights so that the rows visible
// in a scroll range are found by binary search. Drawing then costs what is visible, not what
// the history holds. (ImGuiListClipper would need every row to have the same height; wrapped
// chat lines do not.)
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

    struct Row {
        std::uint32_t message;  // index in the history
        std::uint32_t begin;    // byte range of the message's text
        std::uint32_t end;
        float natural_width;  // width on one line; < 0 when the text has a line break
    };

    // Brings the layout up to date with `message_count` messages at `wrap_width`.
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
        if (message_count < messages_) clear();  // a history never shrinks; start over if it did
        if (wrap_width != width_ || line_height != line_height_ || spacing != spacing_) {
            width_ = wrap_width;
            line_height_ = line_height;
            spacing_ = spacing;
            // Re-wrap: one-line rows that fit need no measuring at all.
            for (std::size_t r = 0; r < rows_.size(); ++r) {
                const Row &row = rows_[r];
                heights_[r] = fits(row) ? line_height_ + spacing_
                                        : row_height(row, text(row.message), wrapped, measured);
            }
            rebuild_prefix(0);
        }
        if (message_count == messages_) return measured;
        const std::size_t first_new_row = rows_.size();
        for (std::size_t m = messages_; m < message_count; ++m) {
            const std::string_view t = text(m);
            std::size_t begin = 0;
            do {
                const std::size_t end = chunk_end(t, begin);
                Row row{static_cast<std::uint32_t>(m), static_cast<std::uint32_t>(begin),
                        static_cast<std::uint32_t>(end), 0.0f};
                row.natural_width = natural(t.data() + begin, t.data() + end);
                ++measured;
                heights_.push_back(row_height(row, t, wrapped, measured));
                rows_.push_back(row);
                begin = end;
            } while (begin < t.size());
        }
        messages_ = message_count;
        rebuild_prefix(first_new_row);
        return measured;
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

    std::size_t row_count() const noexcept { return rows_.size(); }
    std::size_t message_count() const noexcept { return messages_; }
    const Row &row(std::size_t r) const { return rows_[r]; }
    float top(std::size_t r) const { return prefix_[r]; }
    float height(std::size_t r) const { return heights_[r]; }
    float total_height() const noexcept { return prefix_.empty() ? 0.0f : prefix_.back(); }
    float width() const noexcept { return width_; }

    void clear() {
        rows_.clear();
        heights_.clear();
        prefix_.assign(1, 0.0f);
        messages_ = 0;
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

    bool fits(const Row &row) const noexcept {
        return row.natural_width >= 0.0f && row.natural_width <= width_;
    }

    template <typename Wrapped>
    float row_height(const Row &row, std::string_view t, Wrapped &wrapped, std::size_t &measured) {
        if (fits(row)) return line_height_ + spacing_;
        ++measured;
        const char *b = t.data() + std::min<std::size_t>(row.begin, t.size());
        const char *e = t.data() + std::min<std::size_t>(row.end, t.size());
        return std::max(wrapped(b, e, width_), line_height_) + spacing_;
    }

    void rebuild_prefix(std::size_t from) {
        prefix_.resize(rows_.size() + 1);
        if (from == 0) prefix_[0] = 0.0f;
        for (std::size_t r = from; r < rows_.size(); ++r)
            prefix_[r + 1] = prefix_[r] + heights_[r];
    }

    std::vector<Row> rows_;
    std::vector<float> heights_;
    std::vector<float> prefix_ = {0.0f};
    std::size_t messages_ = 0;
    float width_ = -1.0f;
    float line_height_ = 0.0f;
    float spacing_ = 0.0f;
};

}  // namespace msgr::render
