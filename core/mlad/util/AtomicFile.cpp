#include "mlad/util/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace mlad {

namespace {
constexpr size_t kBufferBytes = 1 << 20;

// The process's umask, read without changing it (umask(2) can only read by setting, which
// races with other threads creating files): Linux reports it in /proc/self/status.
mode_t processUmask() {
    static const mode_t mask = [] {
        std::ifstream in("/proc/self/status");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("Umask:", 0) == 0) return mode_t(std::stoul(line.substr(6), nullptr, 8));
        return mode_t(022);
    }();
    return mask;
}

std::string reason(int err) {
    return err == ENOSPC ? std::string("the disk is full (") + std::strerror(err) + ")"
                         : std::string(std::strerror(err));
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    std::string pattern = path_ + ".tmp-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) {
        const int err = errno;
        throw std::runtime_error("cannot write " + path_ + ": " + reason(err));
    }
    tmp_ = name.data();
    // mkstemp creates 0600; give the file the permissions a plain create would.
    ::fchmod(fd_, 0666 & ~processUmask());
    buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
    if (done_) return;
    if (fd_ >= 0) ::close(fd_);
    ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    done_ = true;  // nothing left to clean up
    throw std::runtime_error(what + " " + path_ + " failed: " + reason(err) +
                             "; the previous file, if any, is unchanged");
}

void AtomicFile::flush() {
    size_t off = 0;
    while (off < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("writing", errno);
        }
        off += size_t(n);
    }
    buffer_.clear();
}

void AtomicFile::write(std::string_view bytes) {
    if (done_ || fd_ < 0) throw std::logic_error("AtomicFile::write after commit: " + path_);
    if (buffer_.size() + bytes.size() > kBufferBytes) flush();
    if (bytes.size() >= kBufferBytes) {
        buffer_.assign(bytes.data(), bytes.size());
        flush();
    } else {
        buffer_.append(bytes.data(), bytes.size());
    }
}

void AtomicFile::commit() {
    if (done_ || fd_ < 0) throw std::logic_error("AtomicFile::commit twice: " + path_);
    flush();
    if (::fsync(fd_) != 0 && errno != EINVAL) fail("writing", errno);  // EINVAL: not syncable
    if (::close(fd_) != 0) {
        fd_ = -1;
        fail("writing", errno);
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("renaming the new file over", errno);
    done_ = true;
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    AtomicFile f(path);
    f.write(bytes);
    f.commit();
}

}  // namespace mlad
