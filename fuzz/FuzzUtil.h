#pragma once
// Shared by the fuzz targets: the input as a file (an in-memory file, so runs touch no disk),
// and the one rule of every target: bad input may throw a std::exception with a message,
// nothing else (no crash, no hang, no sanitizer report).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlad::fuzz {

/// The bytes as a regular file at /proc/self/fd/N (memfd), removed at scope exit.
class MemFile {
  public:
    MemFile(const uint8_t* data, size_t size) {
        fd_ = memfd_create("fuzz-input", MFD_CLOEXEC);
        size_t off = 0;
        while (fd_ >= 0 && off < size) {
            const ssize_t n = write(fd_, data + off, size - off);
            if (n <= 0) break;
            off += size_t(n);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~MemFile() {
        if (fd_ >= 0) close(fd_);
    }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    int fd_ = -1;
    std::string path_;
};

/// Splits the input at the first "\n---\n" into a head (e.g. a format or a second file) and a
/// body; without the separator the head is empty.
inline std::pair<std::string_view, std::string_view> splitInput(const uint8_t* data, size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    const size_t sep = all.find("\n---\n");
    if (sep == std::string_view::npos) return {std::string_view(), all};
    return {all.substr(0, sep), all.substr(sep + 5)};
}

}  // namespace mlad::fuzz
