#include "mlad/io/Labels.h"

#include "mlad/util/Strings.h"

namespace mlad {

namespace {

// The vocabulary, in the order shown in messages; keep Labels.h in step.
const std::vector<std::string_view> kNormal = {"normal", "0", "0.0", "false", "no", "-", "success"};
const std::vector<std::string_view> kAnomalous = {
    "anomaly", "anomalous", "abnormal", "alert", "1", "1.0", "true", "yes", "failure", "fail"};
const std::vector<std::string_view> kUnknown = {"", "unknown", "?", "na", "n/a", "nan", "null"};

bool contains(const std::vector<std::string_view>& set, std::string_view v) {
    for (auto s : set)
        if (s == v) return true;
    return false;
}

std::string listOf(const std::vector<std::string_view>& set) {
    std::string out;
    for (auto s : set) {
        if (!out.empty()) out += ", ";
        out += s.empty() ? std::string("(empty)") : std::string(s);
    }
    return out;
}

}  // namespace

std::optional<int> classifyLabel(std::string_view value) {
    const std::string v = toLower(trim(value));
    if (contains(kNormal, v)) return kLabelNormal;
    if (contains(kAnomalous, v)) return kLabelAnomalous;
    if (contains(kUnknown, v)) return kLabelUnknown;
    return std::nullopt;
}

std::string labelVocabulary() {
    return "normal: " + listOf(kNormal) + "; anomalous: " + listOf(kAnomalous) +
           "; unknown: " + listOf(kUnknown);
}

int parseLabel(std::string_view value, const std::string& path, uint64_t line,
               OtherLabelValues other) {
    if (auto label = classifyLabel(value)) return *label;
    if (other == OtherLabelValues::Anomalous) return kLabelAnomalous;
    throw InputError(path, line,
                     "unknown label value '" + std::string(value) + "' (" + labelVocabulary() +
                         "; case and surrounding spaces are ignored)");
}

int readLabel(const CsvReader& csv, size_t column, OtherLabelValues other) {
    return parseLabel(csv.at(column), csv.path(), csv.line(), other);
}

std::vector<std::pair<std::string, int>> readGroupLabels(const std::string& path,
                                                         OtherLabelValues other) {
    CsvReader csv(path);
    const auto& header = csv.header();
    std::optional<size_t> labelCol = csv.findColumn("Label");
    if (!labelCol)
        for (size_t i = 0; i < header.size() && !labelCol; ++i)
            if (toLower(header[i]) == "label") labelCol = i;
    if (!labelCol)
        throw InputError(path, csv.headerLine(),
                         "missing column 'Label' (the columns are: " + csv.columnList() +
                             "); a labels file has an id column and a Label column");
    std::optional<size_t> idCol;
    for (size_t i = 0; i < header.size() && !idCol; ++i)
        if (i != *labelCol) idCol = i;
    if (!idCol)
        throw InputError(path, csv.headerLine(),
                         "no id column besides '" + header[*labelCol] +
                             "'; a labels file has an id column (e.g. BlockId) and a Label column");
    std::vector<std::pair<std::string, int>> out;
    while (csv.next()) {
        const int label = readLabel(csv, *labelCol, other);
        out.emplace_back(std::string(trim(csv.at(*idCol))), label);
    }
    if (out.empty()) throw InputError(path, 0, "no labels found (only a header row)");
    return out;
}

}  // namespace mlad
