#pragma once
// The one CSV reader of core: every CSV input (group labels, session labels, pre-parsed session
// and template tables, template vectors) goes through it, so they all accept the same dialect
// and report errors the same way. Streaming: one record at a time, never the whole file.
//
// Dialect (RFC 4180, with a few tolerances):
//   - comma separator; records end at LF or CRLF (a lone CR is data); the last record may lack
//     a line break;
//   - a UTF-8 byte order mark at the start of the file is dropped;
//   - a field starting with a double quote (after optional spaces or tabs) is quoted: it may
//     hold commas, doubled quotes ("" = one quote) and line breaks, so a record may span
//     several physical lines; a line break inside a quoted field is read as "\n" whatever the
//     file's line ending; spaces or tabs between a closing quote and the next comma are ignored;
//     any other character there is an error;
//   - a quote inside an unquoted field is kept as it is (a"b reads as a"b);
//   - fields are not trimmed (callers trim where they want to); header names are;
//   - blank lines (empty or only whitespace) between records are skipped;
//   - plain or gzip-compressed files (read through LineReader).
// Every error is an InputError (a std::runtime_error) whose message starts with "path:line: ",
// the physical line where the record (or the unclosed quoted field) starts.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlad/io/LineReader.h"

namespace mlad {

class CsvReader {
  public:
    struct Options {
        /// The first record is a header row naming the columns (see column()).
        bool header = true;
        /// A physical line longer than this is an error (not a CSV file, most likely).
        size_t maxLineBytes = size_t(8) << 20;
        /// A record (all its lines together) larger than this is an error: it catches an
        /// unclosed quote early instead of reading the rest of a large file into one field.
        size_t maxRecordBytes = size_t(64) << 20;
    };

    /// Opens the file and, with Options::header, reads the header row. Throws InputError when
    /// the file cannot be opened, is binary, or has no header row.
    explicit CsvReader(const std::string& path);
    CsvReader(const std::string& path, Options opt);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    /// Reads the next record into fields(); false at the end of the file. Throws InputError
    /// for malformed input (an unclosed quote at the end of the file, text after a closing
    /// quote, a line or record over the size limits).
    bool next();

    /// The fields of the current record.
    const std::vector<std::string>& fields() const { return fields_; }
    size_t size() const { return fields_.size(); }
    /// Field `column` of the current record; throws InputError ("path:line: ...") naming the
    /// column when the record is too short.
    const std::string& at(size_t column) const;
    /// Physical line (1-based) on which the current record starts.
    uint64_t line() const { return line_; }
    const std::string& path() const { return path_; }

    // Header row (empty without Options::header) -------------------------------------------
    const std::vector<std::string>& header() const { return header_; }
    uint64_t headerLine() const { return headerLine_; }
    /// Index of the column named exactly `name` (case-sensitive; header names are trimmed);
    /// nullopt when there is none.
    std::optional<size_t> findColumn(std::string_view name) const;
    /// Index of a required column; throws InputError "path:line: missing column 'X' (the
    /// columns are: A, B, C)" when the header lacks it.
    size_t column(std::string_view name) const;
    /// The header's column names, comma-separated, for messages.
    std::string columnList() const;

    /// An InputError at the current record: "path:line: message".
    InputError error(const std::string& message) const;
    [[noreturn]] void fail(const std::string& message) const;

  private:
    bool nextLine(std::string_view& line);  // false at the end of the file

    std::string path_;
    Options opt_;
    std::unique_ptr<LineReader> reader_;
    std::vector<std::string> header_;
    uint64_t headerLine_ = 0;
    std::vector<std::string> fields_;
    uint64_t line_ = 0;
};

}  // namespace mlad
