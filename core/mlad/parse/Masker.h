#pragma once
// Replaces every match of the masking regexes (in order) by "<*>", as logparser's preprocess
// does with re.sub. RE2 keeps the cost linear in the line length.
#include <memory>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace mlad {

class Masker {
  public:
    /// Throws std::invalid_argument naming the first regex that does not compile.
    explicit Masker(const std::vector<std::string>& patterns);
    ~Masker();
    Masker(Masker&&) noexcept;
    Masker& operator=(Masker&&) noexcept;

    /// Masks `text` in place; returns the number of replacements.
    int apply(std::string& text) const;
    size_t size() const { return res_.size(); }

  private:
    std::vector<std::unique_ptr<re2::RE2>> res_;
    std::vector<std::string> prefilter_;  // a literal every match must contain ("" = none)
};

}  // namespace mlad
