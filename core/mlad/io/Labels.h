#pragma once
// The one label vocabulary of core, used wherever a label value is read from a file: group
// labels (--labels of import, e.g. HDFS anomaly_label.csv), session labels of
// sequences --session-by file|folder (e.g. loghub Hadoop app_labels.csv) and the Label column
// of pre-parsed session CSVs.
//
// A value is compared case-insensitively after trimming surrounding whitespace:
//   normal:    normal, 0, 0.0, false, no, -, success
//   anomalous: anomaly, anomalous, abnormal, alert, 1, 1.0, true, yes, failure, fail
//   unknown:   (empty field), unknown, ?, na, n/a, nan, null
// ("0.0" / "1.0" / "nan" are what pandas writes for a label column with missing values.)
// Any other value is an error "path:line: unknown label value 'X' (normal: ...; anomalous:
// ...; unknown: ...)", unless the caller asks for OtherLabelValues::Anomalous: then any other
// value names a fault category and counts as anomalous. Only session labels per file or
// folder use that (loghub Hadoop labels its applications Normal, "Machine down", "Network
// disconnection" or "Disk full"); the HDFS group labels and session CSVs use the strict form.
//
// Codes: kLabelNormal 0, kLabelAnomalous 1, kLabelUnknown -1. An unknown value leaves the
// item unlabelled: lines and sequences store NULL; a group (block, file, folder) listed with an
// unknown label is stored in group_labels with -1, which the importer and the sequence builder
// read as "unlabelled" (it overrides the label a session would otherwise derive from its lines).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlad/io/Csv.h"

namespace mlad {

constexpr int kLabelNormal = 0;
constexpr int kLabelAnomalous = 1;
constexpr int kLabelUnknown = -1;

/// What to do with a value outside the vocabulary.
enum class OtherLabelValues {
    Error,      ///< an InputError naming the file, the line and the vocabulary (the default)
    Anomalous,  ///< anomalous: the value names a fault (loghub Hadoop "Machine down", ...)
};

/// kLabelNormal, kLabelAnomalous or kLabelUnknown; nullopt for a value outside the vocabulary.
std::optional<int> classifyLabel(std::string_view value);

/// classifyLabel for a value read at path:line; a value outside the vocabulary throws
/// InputError "path:line: unknown label value 'X' (normal: ...; ...)" or, with
/// OtherLabelValues::Anomalous, is anomalous.
int parseLabel(std::string_view value, const std::string& path, uint64_t line,
               OtherLabelValues other = OtherLabelValues::Error);

/// parseLabel for field `column` of the CSV reader's current record.
int readLabel(const CsvReader& csv, size_t column,
              OtherLabelValues other = OtherLabelValues::Error);

/// The vocabulary as shown in messages: "normal: normal, 0, ...; anomalous: ...; unknown: ...".
std::string labelVocabulary();

/// Reads a group labels CSV: a header row with a "Label" column (matched exactly, or else
/// ignoring case) and an id column (the first other column: BlockId, ApplicationId, ...), one
/// (id, label) pair per record, ids trimmed, labels in the vocabulary above (kLabelUnknown for
/// an unknown one). Throws InputError naming the file and line for a missing column, a short
/// record, a value outside the vocabulary (with OtherLabelValues::Error) or a file without
/// labels.
std::vector<std::pair<std::string, int>> readGroupLabels(
    const std::string& path, OtherLabelValues other = OtherLabelValues::Error);

}  // namespace mlad
