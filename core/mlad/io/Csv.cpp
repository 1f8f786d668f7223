#include "mlad/io/Csv.h"

#include "mlad/util/Strings.h"

namespace mlad {

namespace {

// How a character is shown in a message: printable ASCII as itself, anything else as \xNN.
std::string shownChar(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string(1, c);
    const char* hex = "0123456789abcdef";
    return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

}  // namespace

CsvReader::CsvReader(const std::string& path) : CsvReader(path, Options{}) {}

CsvReader::CsvReader(const std::string& path, Options opt) : path_(path), opt_(opt) {
    LineReader::Options ro;
    ro.maxLineBytes = opt_.maxLineBytes;
    ro.blockBytes = size_t(1) << 20;
    reader_ = std::make_unique<LineReader>(path, ro);
    if (opt_.header) {
        if (!next()) throw InputError(path_, 0, "empty file: expected a header row");
        header_.reserve(fields_.size());
        for (const auto& f : fields_) header_.emplace_back(trim(f));
        headerLine_ = line_;
        fields_.clear();
    }
}

CsvReader::~CsvReader() = default;

bool CsvReader::nextLine(std::string_view& line) {
    auto status = reader_->next(line);
    if (status == LineReader::Status::End) return false;
    if (status == LineReader::Status::TooLong)
        throw InputError(path_, reader_->lineNumber(),
                         "line of " + humanBytes(reader_->skippedLength()) +
                             " exceeds the CSV line limit of " + humanBytes(opt_.maxLineBytes));
    if (reader_->lineNumber() == 1 && startsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    return true;
}

bool CsvReader::next() {
    fields_.clear();
    std::string_view text;
    do {
        if (!nextLine(text)) return false;
    } while (trim(text).empty());  // blank lines between records
    line_ = reader_->lineNumber();

    enum class State { FieldStart, Unquoted, Quoted, AfterQuote };
    State state = State::FieldStart;
    std::string field;
    uint64_t quoteLine = 0;  // where the open quoted field started
    size_t recordBytes = 0;
    while (true) {
        recordBytes += text.size() + 1;
        if (recordBytes > opt_.maxRecordBytes)
            throw InputError(
                path_, state == State::Quoted ? quoteLine : line_,
                "record exceeds " + humanBytes(opt_.maxRecordBytes) +
                    (state == State::Quoted ? " inside a quoted field opened on this line (a quote "
                                              "that is never closed?)"
                                            : ""));
        for (size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            switch (state) {
                case State::FieldStart:
                    if (c == '"') {
                        field.clear();  // spaces before the opening quote are not data
                        state = State::Quoted;
                        quoteLine = reader_->lineNumber();
                    } else if (c == ',') {
                        fields_.push_back(std::move(field));
                        field.clear();
                    } else {
                        field.push_back(c);
                        if (c != ' ' && c != '\t') state = State::Unquoted;
                    }
                    break;
                case State::Unquoted:
                    if (c == ',') {
                        fields_.push_back(std::move(field));
                        field.clear();
                        state = State::FieldStart;
                    } else {
                        field.push_back(c);
                    }
                    break;
                case State::Quoted:
                    if (c != '"') {
                        field.push_back(c);
                    } else if (i + 1 < text.size() && text[i + 1] == '"') {
                        field.push_back('"');
                        ++i;
                    } else {
                        state = State::AfterQuote;
                    }
                    break;
                case State::AfterQuote:
                    if (c == ',') {
                        fields_.push_back(std::move(field));
                        field.clear();
                        state = State::FieldStart;
                    } else if (c != ' ' && c != '\t') {
                        throw InputError(path_, reader_->lineNumber(),
                                         "unexpected character '" + shownChar(c) +
                                             "' after the closing quote of a field (a quote "
                                             "inside a quoted field is written as \"\")");
                    }
                    break;
            }
        }
        if (state != State::Quoted) break;
        // A line break inside a quoted field: the record goes on on the next line.
        if (!nextLine(text))
            throw InputError(path_, quoteLine,
                             "quoted field opened on this line is not closed before the end of "
                             "the file");
        field.push_back('\n');
    }
    fields_.push_back(std::move(field));
    return true;
}

const std::string& CsvReader::at(size_t column) const {
    if (column < fields_.size()) return fields_[column];
    std::string name = column < header_.size()
                           ? "'" + header_[column] + "' (column " + std::to_string(column + 1) + ")"
                           : std::to_string(column + 1);
    fail("record has " + std::to_string(fields_.size()) + " field(s); column " + name +
         " is missing");
}

std::optional<size_t> CsvReader::findColumn(std::string_view name) const {
    for (size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return i;
    return std::nullopt;
}

size_t CsvReader::column(std::string_view name) const {
    if (auto i = findColumn(name)) return *i;
    throw InputError(path_, headerLine_,
                     "missing column '" + std::string(name) +
                         "' (the columns are: " + columnList() + "; names are case-sensitive)");
}

std::string CsvReader::columnList() const {
    std::string out;
    for (const auto& h : header_) out += (out.empty() ? "" : ", ") + h;
    return out.empty() ? "none" : out;
}

InputError CsvReader::error(const std::string& message) const {
    return InputError(path_, line_, message);
}

void CsvReader::fail(const std::string& message) const {
    throw error(message);
}

}  // namespace mlad
