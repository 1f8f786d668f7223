#pragma once
// Small string helpers shared across core (no allocation on the hot paths where avoidable).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlad {

inline bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && isSpace(s[b])) ++b;
    while (e > b && isSpace(s[e - 1])) --e;
    return s.substr(b, e - b);
}

/// Splits on runs of whitespace (Python's str.split()).
std::vector<std::string_view> splitWhitespace(std::string_view s);
/// Splits on one separator character, keeping empty parts.
std::vector<std::string> splitChar(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string toLower(std::string_view s);
bool startsWith(std::string_view s, std::string_view prefix);

/// Length of the longest valid UTF-8 prefix; s.size() when all valid.
size_t validUtf8Prefix(std::string_view s);
inline bool isValidUtf8(std::string_view s) {
    return validUtf8Prefix(s) == s.size();
}
/// Copy of s with every invalid byte sequence replaced by U+FFFD.
std::string repairUtf8(std::string_view s);

/// 64-bit FNV-1a; used for fingerprints and hashing, not for security.
uint64_t fnv1a64(const void* data, size_t n, uint64_t seed = 1469598103934665603ULL);
std::string hex64(uint64_t v);

/// One CSV field, quoted when needed (RFC 4180).
std::string csvField(std::string_view s);
/// Appends csvField(s) to `out` without a temporary.
void appendCsvField(std::string& out, std::string_view s);
/// Splits one CSV record (RFC 4180 quoting, no embedded newlines). Throws on a bad quote.
std::vector<std::string> parseCsvLine(std::string_view line);

/// Formats a byte count as "12.3 MiB".
std::string humanBytes(uint64_t bytes);
/// Formats seconds as "1h02m", "3m05s", "12s".
std::string humanDuration(double seconds);

}  // namespace mlad
