#pragma once
// A loghub log-format string compiled into a line matcher. Semantics follow loghub/logparser:
// the format is a regex anchored at both ends, <Name> is a lazily matched field `(.*?)`, and a
// run of spaces matches one or more whitespace characters; the line is stripped first.
// Formats whose literal parts are plain text (most presets) use a hand-written matcher that is
// several times faster than a regex engine; the rest go through RE2.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace mlad {

/// Byte range of one field inside a line.
struct FieldSpan {
    uint32_t begin = 0;
    uint32_t end = 0;
};

class LogFormat {
  public:
    /// Throws std::invalid_argument naming the problem when the format does not compile.
    explicit LogFormat(const std::string& format);
    ~LogFormat();
    LogFormat(LogFormat&&) noexcept;
    LogFormat& operator=(LogFormat&&) noexcept;

    const std::string& format() const { return format_; }
    const std::vector<std::string>& fieldNames() const { return names_; }
    /// Index of a field, -1 when absent.
    int fieldIndex(std::string_view name) const;
    int contentIndex() const { return contentIndex_; }
    bool usesFastPath() const { return fast_; }

    /// Matches a (stripped) line; fills spans (one per field, offsets into `line`).
    /// Optional fields that did not participate get an empty span. False when no match.
    bool match(std::string_view line, std::vector<FieldSpan>& spans) const;
    /// Same through the regex engine only (used by tests to check the fast path).
    bool matchRegex(std::string_view line, std::vector<FieldSpan>& spans) const;
    /// The backtracking fast path alone (formats with usesFastPath()), spending at most
    /// `budget` steps: one per position tried for a field's end. False on a miss or when the
    /// budget ran out (then 0); match() asks the regex then. For match() and tests.
    bool matchFast(std::string_view line, std::vector<FieldSpan>& spans, size_t& budget) const;
    /// True when the format ends in "<space><Field>": such a line may end right after the
    /// previous field with an empty last field (loghub's regex would reject it).
    bool emptyTailAllowed() const {
        return atoms_.size() >= 2 && atoms_.back().kind == Atom::Field &&
               atoms_[atoms_.size() - 2].kind == Atom::Space;
    }
    /// The regular expression the format compiles to.
    const std::string& regex() const { return regexText_; }

  private:
    struct Atom {
        enum Kind { Field, Space, Literal } kind;
        std::string text;  // Literal text
        int field = -1;    // Field index
    };
    /// The fast path from `atom` at `pos`; false on a miss or once `budget` steps are spent
    /// (the caller then asks the regex).
    bool matchFrom(std::string_view line, size_t atom, size_t pos, std::vector<FieldSpan>& spans,
                   size_t& budget) const;

    std::string format_;
    std::string regexText_;
    std::vector<std::string> names_;
    int contentIndex_ = -1;
    bool fast_ = false;
    std::vector<Atom> atoms_;
    std::unique_ptr<re2::RE2> re_;
};

}  // namespace mlad
