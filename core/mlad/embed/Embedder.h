#pragma once
// Template embedders: turn log templates ("<*> ddr error(s) detected ...") into fixed-size
// vectors that the sequence model consumes. Several implementations exist (corpus-trained,
// imported vectors, TorchScript sentence encoder); the run manifest records kind() + version().
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace mlad::embed {

class Embedder {
  public:
    virtual ~Embedder() = default;
    /// "corpus", "vectors" or "torchscript".
    virtual std::string kind() const = 0;
    /// Changes whenever the vectors could change (hash of parameters + data + format number).
    virtual std::string version() const = 0;
    virtual int dim() const = 0;
    /// One row per template, float32, not necessarily L2-normalised; deterministic.
    virtual Eigen::MatrixXf embed(const std::vector<std::string>& templates) const = 0;
};

/// Token used for a template that has no words but contains the masked parameter "<*>"
/// (e.g. "<*>:<*> <*>"), so that such templates still get a vector of their own.
inline constexpr const char* kParamOnlyToken = "<*>";

/// Shared word splitter for templates:
///  - the masked parameter "<*>" acts as a separator and is dropped;
///  - words are maximal runs of ASCII letters/digits and non-ASCII bytes (UTF-8 sequences stay
///    whole); everything else (whitespace, punctuation) separates words;
///  - camelCase and acronym boundaries split ("addStoredBlock" -> add stored block,
///    "HTTPServer" -> http server) because log identifiers glue words together; letter/digit
///    boundaries do not split ("eth1", "ddr2" stay whole);
///  - words are lower-cased (ASCII only);
///  - a template with no words that contains "<*>" yields {kParamOnlyToken}; a template with no
///    words and no "<*>" yields an empty list (embedders give it a zero vector).
std::vector<std::string> templateWords(const std::string& templ);

namespace detail {
/// FNV-1a 64-bit, incremental. Used for version strings and n-gram buckets; stable across
/// platforms (byte-oriented, integers fed little-endian).
class Fnv64 {
  public:
    Fnv64& bytes(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) {
            h_ ^= p[i];
            h_ *= 1099511628211ULL;
        }
        return *this;
    }
    Fnv64& u64(uint64_t v) {
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
        return bytes(b, 8);
    }
    /// Length-prefixed so that ("ab","c") and ("a","bc") hash differently.
    Fnv64& str(const std::string& s) {
        u64(s.size());
        return bytes(s.data(), s.size());
    }
    uint64_t value() const { return h_; }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
        return buf;
    }

  private:
    uint64_t h_ = 14695981039346656037ULL;
};
}  // namespace detail

}  // namespace mlad::embed
