#pragma once
// Timestamp parsing for log fields with a small strptime-like language, written by hand because
// std::get_time is locale-bound and slow. Supported: %Y %y %m %d %H %M %S %f (fraction digits)
// %b (Jan..Dec) %a (weekday name, skipped) %j (day of year), literal characters; a space matches
// one or more whitespace characters. "epoch" / "epoch_ms" read integer (or decimal) seconds / ms.
// A missing year means 1970 (syslog lines carry none; only order matters then).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlad {

class TimeParser {
  public:
    explicit TimeParser(std::string format);
    /// Milliseconds since the Unix epoch (UTC), or nullopt when the text does not fit.
    std::optional<int64_t> parse(std::string_view text) const;
    const std::string& format() const { return format_; }
    bool empty() const { return format_.empty(); }

  private:
    std::string format_;
    enum class Mode { None, Epoch, EpochMs, Pattern } mode_ = Mode::None;
};

/// A point in time a user types (UTC): 2005-09-01, 2005-09-01T00:00, 2005-09-01 00:00:00,
/// with an optional trailing Z, or @SECONDS since the epoch. Milliseconds since the Unix epoch,
/// or nullopt when the text is none of these.
std::optional<int64_t> parseUtcTime(std::string_view text);
/// The inverse for messages: "2005-09-01T00:00:00Z".
std::string formatUtcTime(int64_t ms);

/// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace mlad
