#include "mlad/parse/Masker.h"

#include <re2/re2.h>

#include <cctype>
#include <stdexcept>
#include <string_view>

namespace mlad {

// A literal prefix that every match must start with, when the pattern begins with plain
// characters (e.g. "core\.\d+" -> "core.", "blk_-?\d+" -> "blk_"). Lets us skip the regex on
// lines that cannot match, which is most of them.
static std::string literalPrefix(const std::string& p) {
    std::string out;
    if (p.find('|') != std::string::npos) return out;  // alternation: no single required prefix
    for (size_t i = 0; i < p.size(); ++i) {
        char c = p[i];
        if (c == '\\') {
            if (i + 1 < p.size() && !std::isalnum(static_cast<unsigned char>(p[i + 1]))) {
                out.push_back(p[i + 1]);
                ++i;
                continue;
            }
            break;
        }
        if (std::string_view(".^$*+?()[]{}|").find(c) != std::string_view::npos) {
            // A quantifier applies to the previous character: it is not required.
            if ((c == '*' || c == '?' || c == '{') && !out.empty()) out.pop_back();
            break;
        }
        out.push_back(c);
    }
    return out;
}

Masker::Masker(const std::vector<std::string>& patterns) {
    RE2::Options opts;
    opts.set_log_errors(false);
    for (const auto& p : patterns) {
        auto re = std::make_unique<RE2>(p, opts);
        if (!re->ok())
            throw std::invalid_argument("mask regex '" + p + "' does not compile: " + re->error());
        res_.push_back(std::move(re));
        prefilter_.push_back(literalPrefix(p));
    }
}

Masker::~Masker() = default;
Masker::Masker(Masker&&) noexcept = default;
Masker& Masker::operator=(Masker&&) noexcept = default;

int Masker::apply(std::string& text) const {
    int n = 0;
    for (size_t i = 0; i < res_.size(); ++i) {
        if (!prefilter_[i].empty() && text.find(prefilter_[i]) == std::string::npos) continue;
        n += RE2::GlobalReplace(&text, *res_[i], "<*>");
    }
    return n;
}

}  // namespace mlad
