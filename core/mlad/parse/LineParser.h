#pragma once
// One preset's whole per-line pipeline: strip, split into fields by the log format, mask the
// Content, cluster it with Drain, read the timestamp and the per-line label. Shared by the
// importer, `mlad parse`, the benchmarks and the import wizard's preview.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlad/io/LogFormat.h"
#include "mlad/io/Preset.h"
#include "mlad/io/TimeParse.h"
#include "mlad/parse/Drain.h"
#include "mlad/parse/Masker.h"

namespace mlad {

struct ParsedLine {
    std::string_view line;         ///< the stripped line (view into the caller's text)
    std::vector<FieldSpan> spans;  ///< one per format field, offsets into `line`
    std::string masked;            ///< Content after masking
    int cluster = -1;              ///< Drain cluster index
    std::optional<int64_t> ts;     ///< ms since epoch
    int label = -1;                ///< -1 unknown, 0 normal, 1 anomalous (field label rule)
    std::string_view field(size_t i) const {
        return line.substr(spans[i].begin, spans[i].end - spans[i].begin);
    }
};

class LineParser {
  public:
    /// Throws std::invalid_argument when the format or a mask does not compile.
    explicit LineParser(const Preset& preset);

    /// Parses one raw line (without its newline). False when it does not match the format
    /// (nothing is added to Drain then).
    bool parse(std::string_view rawLine, ParsedLine& out);
    /// Splits and masks only, without touching Drain (for previews). Thread-safe: several
    /// threads may split lines with one parser while another thread calls finish().
    bool split(std::string_view rawLine, ParsedLine& out) const;
    /// The rest of parse() for a line that split() accepted: Drain, timestamp, label. So
    /// parse(l, out) is split(l, out) && finish(out).
    void finish(ParsedLine& out);

    Drain& drain() { return drain_; }
    const Drain& drain() const { return drain_; }
    const LogFormat& format() const { return format_; }
    const Preset& preset() const { return preset_; }

  private:
    Preset preset_;
    LogFormat format_;
    Masker masker_;
    Drain drain_;
    TimeParser time_;
    std::vector<int> timeFields_;
    int labelField_ = -1;
    std::string timeScratch_;
};

}  // namespace mlad
