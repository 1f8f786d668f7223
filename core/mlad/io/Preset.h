#pragma once
// A log format preset: how to split a raw line into fields, what to mask before Drain, Drain's
// settings, and how labels, timestamps and sessions are derived. Presets are data files
// (datasets/presets/*.preset, embedded into the binary at build time) so that users can add
// their own without recompiling.
#include <string>
#include <vector>

namespace mlad {

struct LabelRule {
    enum class Kind { None, Field, GroupFile };
    Kind kind = Kind::None;
    std::string field;        ///< Field kind: the field holding the label
    std::string normalValue;  ///< Field kind: value meaning "normal" (anything else = anomalous)
};

struct Preset {
    std::string name;  ///< e.g. "BGL"
    std::string description;
    std::string format;  ///< loghub format string, e.g. "<Date> <Time> <Level>: <Content>"
    std::vector<std::string> masks;  ///< regexes applied to Content, each match -> <*>
    int depth = 4;                   ///< Drain depth (root and leaf layers included)
    double similarity = 0.5;         ///< Drain similarity threshold st
    int maxChildren = 100;
    /// Drain's template cap (see DrainOptions::maxTemplates): past it, lines that match no
    /// template join their nearest one and the import reports how many did.
    uint64_t maxTemplates = 100000;
    LabelRule label;
    std::vector<std::string> timeFields;  ///< fields joined by one space before time parsing
    std::string timeFormat;  ///< strptime-like format or "epoch" / "epoch_ms"; empty = none
    std::string groupRegex;  ///< session id regex (HDFS: blk_-?\d+); empty = none

    /// Throws std::invalid_argument with a message when the preset is unusable.
    void validate() const;
};

/// Parses the key = value preset text; `origin` names the source in error messages.
Preset parsePreset(const std::string& text, const std::string& origin);
/// Serialises a preset back to the same text form (stored per system in the project).
std::string presetToText(const Preset& p);

/// The built-in presets (16 loghub systems), in a stable order.
const std::vector<Preset>& builtinPresets();
/// Case-insensitive lookup among the built-ins; nullptr when unknown.
const Preset* findPreset(const std::string& name);

}  // namespace mlad
