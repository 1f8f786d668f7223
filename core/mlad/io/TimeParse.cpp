#include "mlad/io/TimeParse.h"

#include <cctype>
#include <cstdio>
#include <cstring>

#include "mlad/util/Strings.h"

namespace mlad {

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    // Howard Hinnant's days-from-civil algorithm.
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + int64_t(doe) - 719468;
}

TimeParser::TimeParser(std::string format) : format_(std::move(format)) {
    if (format_.empty())
        mode_ = Mode::None;
    else if (format_ == "epoch")
        mode_ = Mode::Epoch;
    else if (format_ == "epoch_ms")
        mode_ = Mode::EpochMs;
    else
        mode_ = Mode::Pattern;
}

static bool readInt(std::string_view s, size_t& i, int maxDigits, int64_t& out, int minDigits = 1) {
    int digits = 0;
    int64_t v = 0;
    while (i < s.size() && digits < maxDigits && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        ++i;
        ++digits;
    }
    if (digits < minDigits) return false;
    out = v;
    return true;
}

std::optional<int64_t> TimeParser::parse(std::string_view text) const {
    text = trim(text);
    if (mode_ == Mode::None || text.empty()) return std::nullopt;
    if (mode_ == Mode::Epoch || mode_ == Mode::EpochMs) {
        size_t i = 0;
        bool neg = false;
        if (text[0] == '-') {
            neg = true;
            ++i;
        }
        int64_t whole = 0;
        if (!readInt(text, i, 18, whole)) return std::nullopt;
        int64_t fracMs = 0;
        if (i < text.size() && text[i] == '.') {
            ++i;
            int64_t scale = 100;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
                fracMs += (text[i] - '0') * scale;
                scale /= 10;
                ++i;
            }
        }
        if (i != text.size()) return std::nullopt;
        int64_t ms = mode_ == Mode::Epoch ? whole * 1000 + fracMs : whole;
        return neg ? -ms : ms;
    }
    static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
    int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0, yday = -1;
    size_t i = 0;
    const std::string& f = format_;
    for (size_t k = 0; k < f.size(); ++k) {
        char c = f[k];
        if (c == ' ') {
            if (i >= text.size() || !isSpace(text[i])) return std::nullopt;
            while (i < text.size() && isSpace(text[i])) ++i;
            continue;
        }
        if (c != '%' || k + 1 >= f.size()) {
            if (i >= text.size() || text[i] != c) return std::nullopt;
            ++i;
            continue;
        }
        char d = f[++k];
        bool ok = true;
        switch (d) {
            case 'Y':
                ok = readInt(text, i, 4, year, 4);
                break;
            case 'y':
                ok = readInt(text, i, 2, year, 2);
                year += year < 69 ? 2000 : 1900;
                break;
            case 'm':
                ok = readInt(text, i, 2, month);
                break;
            case 'd':
                ok = readInt(text, i, 2, day);
                break;
            case 'H':
                ok = readInt(text, i, 2, hour);
                break;
            case 'M':
                ok = readInt(text, i, 2, minute);
                break;
            case 'S':
                ok = readInt(text, i, 2, second);
                break;
            case 'j':
                ok = readInt(text, i, 3, yday);
                break;
            case 'f': {
                int64_t scale = 100;
                int digits = 0;
                ms = 0;
                while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
                    ms += (text[i] - '0') * scale;
                    scale /= 10;
                    ++i;
                    ++digits;
                }
                ok = digits > 0;
                break;
            }
            case 'b': {
                if (i + 3 > text.size()) return std::nullopt;
                std::string m = toLower(text.substr(i, 3));
                ok = false;
                for (int mi = 0; mi < 12; ++mi)
                    if (m == kMonths[mi]) {
                        month = mi + 1;
                        ok = true;
                    }
                i += 3;
                while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
                break;
            }
            case 'a': {
                size_t b = i;
                while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
                ok = i > b;
                break;
            }
            case '%':
                ok = i < text.size() && text[i] == '%';
                ++i;
                break;
            default:
                return std::nullopt;
        }
        if (!ok) return std::nullopt;
    }
    if (i != text.size()) return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    int64_t days = yday > 0 ? daysFromCivil(year, 1, 1) + yday - 1
                            : daysFromCivil(year, unsigned(month), unsigned(day));
    return ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + ms;
}

}  // namespace mlad

namespace mlad {

std::optional<int64_t> parseUtcTime(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '@') return TimeParser("epoch").parse(text.substr(1));
    if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) text.remove_suffix(1);
    static const char* const kFormats[] = {
        "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",    "%Y-%m-%d %H:%M",    "%Y-%m-%d"};
    for (const char* f : kFormats)
        if (auto ms = TimeParser(f).parse(text)) return ms;
    return std::nullopt;
}

std::string formatUtcTime(int64_t ms) {
    const int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    const int64_t sec = s - days * 86400;
    // Howard Hinnant's civil-from-days.
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = unsigned(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = int64_t(yoe) + era * 400 + (m <= 2);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)y, m, d,
                  (long long)(sec / 3600), (long long)(sec / 60 % 60), (long long)(sec % 60));
    return buf;
}

}  // namespace mlad
