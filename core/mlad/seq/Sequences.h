#pragma once
// Sequences: fixed / sliding windows over a system's lines (by count or time span), sessions
// grouped by an id regex (HDFS blk_...), by source file or by source folder (loghub Hadoop:
// one application folder = one session), and event-only sequences (pre-parsed sessions, which
// mlad/import/Sessions.h imports as event-id lists).
// A sequence is anomalous when any member line is (or when its session's label says so).
// Stored with its line range or member list so any sequence traces back to raw lines.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad {

struct SequenceSpec {
    enum class Kind { Window, TimeWindow, SessionRegex, SessionFile, SessionFolder };
    Kind kind = Kind::Window;
    std::string name;        ///< sequence-set name; empty = derived from the parameters
    size_t size = 20;        ///< Window: lines per window
    size_t step = 20;        ///< Window: lines between window starts (== size: fixed windows)
    int64_t spanMs = 0;      ///< TimeWindow: window length
    int64_t stepMs = 0;      ///< TimeWindow: distance between window starts
    std::string regex;       ///< SessionRegex: id pattern (default: the system's group regex)
    std::string labelsCsv;   ///< SessionFolder / SessionFile: labels per folder / file name
    bool timeOrder = false;  ///< Window: order lines by timestamp instead of import order
    size_t minLength = 1;    ///< drop sequences shorter than this
    /// Extend the existing set of this name (same kind and parameters) with sequences over the
    /// lines after the last line it covers (new imports), keeping its sequences, their ids and
    /// the splits and runs that use them. Windows in import order and time windows only: a
    /// session may span old and new lines.
    bool extend = false;
};

struct SequenceSetInfo {
    int64_t id = 0;
    int64_t systemId = 0;
    std::string system;
    std::string name;
    std::string kind;
    std::string params;
    uint64_t count = 0;
    uint64_t anomalous = 0;
    uint64_t unlabelled = 0;
};

struct SequenceRow {
    int64_t id = 0;
    int64_t setId = 0;
    int64_t systemId = 0;
    int64_t ordinal = 0;
    std::string key;
    int label = -1;  ///< -1 unknown
    int64_t length = 0;
    int64_t firstLine = 0, lastLine = 0;  ///< 0 for pre-parsed sessions
    std::optional<int64_t> startTs, endTs;
    std::vector<int32_t> events;  ///< template ids
};

/// Builds (or rebuilds, replacing a set of the same name that no split uses) a sequence set
/// for one system, or extends one (SequenceSpec::extend).
SequenceSetInfo buildSequences(Project& project, const std::string& system,
                               const SequenceSpec& spec, TaskContext* ctx = nullptr);

/// A sequence known by its events only, with no member lines (a pre-parsed session).
struct EventSequence {
    std::string key;
    int label = -1;               ///< -1 unknown
    std::vector<int32_t> events;  ///< template ids (templates.id) of `system`
};
/// Creates (or replaces, like buildSequences) the set `name` of `system` from event-only
/// sequences, in the given order, in one transaction (nested in the caller's, if any). `kind`
/// and `params` are stored with the set. Used by the pre-parsed session import
/// (mlad/import/Sessions.h).
SequenceSetInfo writeEventSequences(Project& project, const std::string& system,
                                    const std::string& name, const std::string& kind,
                                    const std::string& params,
                                    const std::vector<EventSequence>& sequences,
                                    TaskContext* ctx = nullptr);

std::vector<SequenceSetInfo> sequenceSets(Project& project);
std::optional<SequenceSetInfo> findSequenceSet(Project& project, const std::string& system,
                                               const std::string& name);
/// Sequences of a set in ordinal order, paged by key (ordinal > afterOrdinal).
std::vector<SequenceRow> sequencesOfSet(Project& project, int64_t setId, int64_t afterOrdinal = 0,
                                        int limit = -1);
std::optional<SequenceRow> sequenceById(Project& project, int64_t id);
/// The ids and start times of a set's sequences in ordinal order, without their events or
/// keys (24 bytes a sequence, for sets too large to load whole).
struct SequenceStart {
    int64_t id = 0;
    std::optional<int64_t> startTs;
};
std::vector<SequenceStart> sequenceStartsOfSet(Project& project, int64_t setId);
/// The system id of each sequence of `ids`, in that order (0 for an unknown id): one indexed
/// lookup each, without reading the events.
std::vector<int64_t> systemsOfSequences(Project& project, const std::vector<int64_t>& ids);
/// The line ids of a sequence's members in order (empty for pre-parsed sessions).
std::vector<int64_t> sequenceLineIds(Project& project, int64_t sequenceId);
/// The member lines themselves (raw text etc.), at most `limit`.
std::vector<LineRecord> sequenceLines(Project& project, int64_t sequenceId, int limit = 10000);

}  // namespace mlad
