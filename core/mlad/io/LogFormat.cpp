#include "mlad/io/LogFormat.h"

#include <re2/re2.h>

#include <cctype>
#include <stdexcept>

#include "mlad/util/Strings.h"

namespace mlad {

namespace {

// Characters that carry regex meaning when unescaped in a format's literal text.
bool isRegexMeta(char c) {
    switch (c) {
        case '.':
        case '^':
        case '$':
        case '*':
        case '+':
        case '?':
        case '(':
        case ')':
        case '[':
        case ']':
        case '{':
        case '}':
        case '|':
        case '\\':
            return true;
        default:
            return false;
    }
}

}  // namespace

LogFormat::LogFormat(const std::string& format) : format_(format) {
    // Split into literal pieces and <Name> fields, as logparser does with re.split(r'(<[^<>]+>)').
    std::vector<std::pair<bool, std::string>> parts;  // (isField, text)
    size_t i = 0;
    std::string lit;
    while (i < format.size()) {
        if (format[i] == '<') {
            size_t close = format.find('>', i + 1);
            size_t nextOpen = format.find('<', i + 1);
            if (close != std::string::npos && (nextOpen == std::string::npos || close < nextOpen) &&
                close > i + 1) {
                parts.emplace_back(false, lit);
                lit.clear();
                parts.emplace_back(true, format.substr(i + 1, close - i - 1));
                i = close + 1;
                continue;
            }
        }
        lit.push_back(format[i++]);
    }
    parts.emplace_back(false, lit);

    // Regex text: fields -> (.*?), space runs -> \s+.
    regexText_ = "^";
    fast_ = true;
    for (const auto& [isField, text] : parts) {
        if (isField) {
            for (const auto& n : names_)
                if (n == text)
                    throw std::invalid_argument("log format '" + format + "': field <" + text +
                                                "> appears twice");
            names_.push_back(text);
            regexText_ += "(.*?)";
            if (!atoms_.empty() && atoms_.back().kind == Atom::Field) fast_ = false;
            atoms_.push_back({Atom::Field, {}, int(names_.size() - 1)});
            continue;
        }
        size_t k = 0;
        while (k < text.size()) {
            if (text[k] == ' ') {
                while (k < text.size() && text[k] == ' ') ++k;
                // The fast path's whitespace (isSpace: Python's \s, as loghub's formats
                // assume); RE2's \s lacks \v (found by fuzzing: the two split lines apart).
                regexText_ += "[\\t\\n\\v\\f\\r ]+";
                atoms_.push_back({Atom::Space, {}, -1});
                continue;
            }
            char c = text[k];
            std::string plain;
            if (c == '\\' && k + 1 < text.size() &&
                !std::isalnum(static_cast<unsigned char>(text[k + 1]))) {
                plain = text.substr(k + 1, 1);  // escaped punctuation is a literal
                regexText_ += text.substr(k, 2);
                k += 2;
            } else if (isRegexMeta(c)) {
                fast_ = false;  // a real regex construct: leave it to RE2
                regexText_ += c;
                ++k;
                continue;
            } else {
                plain = std::string(1, c);
                regexText_ += c;
                ++k;
            }
            if (!atoms_.empty() && atoms_.back().kind == Atom::Literal)
                atoms_.back().text += plain;
            else
                atoms_.push_back({Atom::Literal, plain, -1});
        }
    }
    regexText_ += "$";
    contentIndex_ = fieldIndex("Content");
    if (names_.empty()) throw std::invalid_argument("log format '" + format + "' has no <Field>");

    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    // Bytes, not UTF-8: a line with invalid UTF-8 matches as the fast path matches it (found by
    // fuzzing: RE2's UTF-8 mode refused such lines that the fast path split). Literal UTF-8 in
    // a format still matches the same bytes.
    opts.set_encoding(RE2::Options::EncodingLatin1);
    re_ = std::make_unique<RE2>(regexText_, opts);
    if (!re_->ok())
        throw std::invalid_argument("log format '" + format +
                                    "' is not a valid pattern: " + re_->error());
    if (re_->NumberOfCapturingGroups() < int(names_.size())) fast_ = false;
}

LogFormat::~LogFormat() = default;
LogFormat::LogFormat(LogFormat&&) noexcept = default;
LogFormat& LogFormat::operator=(LogFormat&&) noexcept = default;

int LogFormat::fieldIndex(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return int(i);
    return -1;
}

bool LogFormat::match(std::string_view line, std::vector<FieldSpan>& spans) const {
    if (!fast_) return matchRegex(line, spans);
    spans.assign(names_.size(), FieldSpan{});
    // The fast matcher backtracks; on lines with many candidate separators for many fields that
    // is exponential (found by fuzzing: one line of a custom format ran for minutes). It gives
    // up after a bounded number of steps and RE2 (linear time) decides.
    size_t budget = 4096 + 64 * line.size();
    if (matchFast(line, spans, budget)) return true;
    // The fast matcher does not model every backtracking path of the regex (a whitespace run
    // giving back characters); let the regex have the last word on a miss.
    return matchRegex(line, spans);
}

bool LogFormat::matchFast(std::string_view line, std::vector<FieldSpan>& spans,
                          size_t& budget) const {
    spans.assign(names_.size(), FieldSpan{});
    return matchFrom(line, 0, 0, spans, budget);
}

// Backtracking matcher over atoms; fields are lazy (shortest first), a space atom takes the
// whole whitespace run. This reproduces the regex's first match for the plain-text formats.
bool LogFormat::matchFrom(std::string_view line, size_t a, size_t pos,
                          std::vector<FieldSpan>& spans, size_t& budget) const {
    const size_t n = line.size();
    while (a < atoms_.size()) {
        const Atom& at = atoms_[a];
        if (at.kind == Atom::Space) {
            if (pos >= n || !isSpace(line[pos])) return false;
            while (pos < n && isSpace(line[pos])) ++pos;
            ++a;
            continue;
        }
        if (at.kind == Atom::Literal) {
            if (line.compare(pos, at.text.size(), at.text) != 0) return false;
            pos += at.text.size();
            ++a;
            continue;
        }
        // Field.
        if (a + 1 == atoms_.size()) {  // last atom: takes the rest (anchored at $)
            spans[at.field] = {uint32_t(pos), uint32_t(n)};
            return true;
        }
        const Atom& next = atoms_[a + 1];
        for (size_t p = pos; p <= n; ++p) {
            // Every position tried costs a step: the budget bounds the whole walk, scans
            // included (counting only the recursive calls let one 6 KB line of a custom format
            // scan 2 billion characters; found by fuzzing).
            if (budget == 0) return false;
            --budget;
            bool candidate;
            if (next.kind == Atom::Space) {
                if (p == n) return false;
                candidate = isSpace(line[p]);
            } else {
                candidate = p < n && line[p] == next.text[0] &&
                            line.compare(p, next.text.size(), next.text) == 0;
                if (p == n) return false;
            }
            if (!candidate) continue;
            spans[at.field] = {uint32_t(pos), uint32_t(p)};
            // On failure the regex lets the field grow (even over whitespace): keep scanning.
            if (matchFrom(line, a + 1, p, spans, budget)) return true;
        }
        return false;
    }
    return pos == n;
}

bool LogFormat::matchRegex(std::string_view line, std::vector<FieldSpan>& spans) const {
    const int groups = re_->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> sub(size_t(groups) + 1);
    if (!re_->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::ANCHOR_BOTH,
                    sub.data(), groups + 1))
        return false;
    // Capture groups in order of their opening parenthesis; the field groups are those opened
    // by "(.*?)" in the generated pattern. Walk the pattern to map group numbers to fields.
    spans.assign(names_.size(), FieldSpan{});
    int group = 0, field = 0;
    const std::string& rx = regexText_;
    for (size_t k = 0; k < rx.size(); ++k) {
        if (rx[k] == '\\') {
            ++k;
            continue;
        }
        if (rx[k] == '[') {
            // A character class: its parentheses open no group (found by fuzzing: a format
            // with an unescaped '[' made this walk count groups that do not exist and read
            // past the captures). A ']' right after '[' or '[^' is a member.
            ++k;
            if (k < rx.size() && rx[k] == '^') ++k;
            if (k < rx.size() && rx[k] == ']') ++k;
            while (k < rx.size() && rx[k] != ']') k += rx[k] == '\\' ? 2 : 1;
            continue;
        }
        if (rx[k] == '(' && !(k + 1 < rx.size() && rx[k + 1] == '?')) {
            if (++group > groups) break;
            if (rx.compare(k, 5, "(.*?)") == 0 && field < int(names_.size())) {
                const auto& sp = sub[size_t(group)];
                if (sp.data() != nullptr)
                    spans[size_t(field)] = {uint32_t(sp.data() - line.data()),
                                            uint32_t(sp.data() - line.data() + sp.size())};
                ++field;
            }
        }
    }
    return true;
}

}  // namespace mlad
