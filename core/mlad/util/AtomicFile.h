#pragma once
// Files written whole or not at all. Every file the product writes for a user (models,
// checkpoints, scores, reports) goes through a temporary file beside the target, is flushed
// to disk and renamed over it: a reader sees the old file or the new one, never half of one,
// and a full disk or a crash leaves the old file and no temporary behind.

#include <string>
#include <string_view>

namespace mlad {

class AtomicFile {
  public:
    /// Creates a unique temporary file in `path`'s folder. Throws std::runtime_error naming
    /// `path` and the system's reason when the folder cannot take it.
    explicit AtomicFile(std::string path);
    ~AtomicFile();  ///< removes the temporary file unless commit() succeeded
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::string_view bytes);  ///< buffered; throws on a write error (disk full)
    AtomicFile& operator<<(std::string_view bytes) {
        write(bytes);
        return *this;
    }
    /// Flushes, syncs and renames over the target. Throws (and removes the temporary) on error.
    void commit();
    const std::string& path() const { return path_; }

  private:
    void flush();
    [[noreturn]] void fail(const std::string& what, int err);

    std::string path_, tmp_;
    std::string buffer_;
    int fd_ = -1;
    bool done_ = false;
};

/// Writes `bytes` to `path` through an AtomicFile.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace mlad
