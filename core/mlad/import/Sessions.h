#pragma once
// Pre-parsed sessions: DeepLog's one-session-per-line event ids, or a CSV with id, label and
// event columns (deep-loglizer's sessions.csv), imported as a sequence set of their own system
// with a templates CSV (EventId,EventTemplate) mapping event ids to template text. There are
// no raw lines: each session is stored with its events only (seq/Sequences.h).
#include <string>

#include "mlad/seq/Sequences.h"
#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad {

struct PreparsedSpec {
    std::string system;
    std::string templatesCsv;  ///< EventId (E<n> or n), EventTemplate; other columns ignored
    std::string deeplogFile;   ///< one session per line, space-separated event numbers
    int deeplogLabel = 0;      ///< label of every session in deeplogFile
    std::string csvFile;       ///< or a CSV with the columns below
    /// session id column; empty = "BlockId" when the CSV has it, else ids are made up from the
    /// row number ("row1", "row2", ...). A column named here must exist.
    std::string idColumn;
    /// labels in the vocabulary of mlad/io/Labels.h (strict: other values are an error; an
    /// unknown value leaves the session unlabelled)
    std::string labelColumn = "Label";
    /// event numbers (E<n> or n) separated by spaces or commas, optionally in [ ]
    std::string eventsColumn = "EventIds";
    std::string setName;  ///< default "sessions"
};

/// Reads the files (CSV through mlad/io/Csv.h; errors name file:line) before writing anything,
/// then creates the system if needed, its missing templates and the set, in one transaction.
SequenceSetInfo importPreparsedSessions(Project& project, const PreparsedSpec& spec,
                                        TaskContext* ctx = nullptr);

}  // namespace mlad
