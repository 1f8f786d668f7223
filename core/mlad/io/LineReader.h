#pragma once
// Streaming line reader for plain and gzip files: reads large blocks, hands out string_views,
// never holds more than one block plus one line in memory. Lines longer than the limit are
// skipped (reported to the caller), not buffered.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mlad {

/// An input problem that stops reading a file, with the file and 1-based line it happened at.
class InputError : public std::runtime_error {
  public:
    InputError(std::string file, uint64_t line, const std::string& what)
        : std::runtime_error(file + (line ? ":" + std::to_string(line) : std::string()) + ": " +
                             what),
          file_(std::move(file)),
          line_(line),
          reason_(what) {}
    const std::string& file() const { return file_; }
    uint64_t line() const { return line_; }
    /// The message without the "file:line: " prefix (for lists that show the place apart).
    const std::string& reason() const { return reason_; }

  private:
    std::string file_;
    uint64_t line_;
    std::string reason_;
};

class LineReader {
  public:
    struct Options {
        size_t maxLineBytes = size_t(1) << 20;  ///< longer lines are skipped
        size_t blockBytes = size_t(4) << 20;
    };
    enum class Status { Line, TooLong, End };

    /// Opens the file; throws InputError when it cannot be opened or is binary.
    explicit LineReader(const std::string& path);
    LineReader(const std::string& path, Options opt);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    /// Next line without its terminator (\n or \r\n). On TooLong, `line` is empty and
    /// skippedLength() tells the length. Throws InputError on read errors, a truncated gzip
    /// stream, or a file that shrank while being read.
    Status next(std::string_view& line);
    uint64_t lineNumber() const { return lineNo_; }
    uint64_t skippedLength() const { return skippedLen_; }
    /// Bytes of the file consumed so far (compressed bytes for gzip) and the file size.
    uint64_t bytesRead() const;
    uint64_t fileSize() const { return fileSize_; }
    bool isGzip() const { return gz_ != nullptr; }
    const std::string& path() const { return path_; }

  private:
    void openStream();  // gzip detection, first block, binary check (the constructor's work)
    size_t fill();      // reads more data at the end of the buffer; returns bytes added

    std::string path_;
    Options opt_;
    int fd_ = -1;
    void* gz_ = nullptr;  // gzFile
    uint64_t fileSize_ = 0;
    uint64_t rawRead_ = 0;
    std::vector<char> buf_;
    size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    bool skipping_ = false;
    uint64_t lineNo_ = 0;
    uint64_t skippedLen_ = 0;
};

}  // namespace mlad
