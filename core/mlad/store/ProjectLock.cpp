#include "mlad/store/ProjectLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace mlad {

namespace fs = std::filesystem;

namespace {

std::string readHolder(int fd) {
    char buf[512];
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return "";
    std::string s(buf, size_t(n));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    return s;
}

std::string describeSelf(const std::string& job) {
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    char when[32] = "";
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return job + " (process " + std::to_string(::getpid()) + " on " + host + ", since " + when +
           ")";
}

}  // namespace

std::string ProjectLock::lockPath(const std::string& projectPath) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(projectPath, ec), ec);
    if (ec || p.empty()) p = projectPath;
    return p.string() + ".lock";
}

ProjectLock::ProjectLock(const std::string& projectPath, const std::string& job)
    : path_(lockPath(projectPath)) {
    // Another job may release (and remove) the file between our open and our flock: retry
    // until the file we locked is the one at the path.
    for (int attempt = 0; attempt < 100; ++attempt) {
        fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd_ < 0) {
            const int err = errno;
            throw std::runtime_error("cannot lock project " + projectPath + ": cannot create " +
                                     path_ + ": " + std::strerror(err));
        }
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            std::string who = err == EWOULDBLOCK ? readHolder(fd_) : std::string();
            ::close(fd_);
            fd_ = -1;
            if (err != EWOULDBLOCK)
                throw std::runtime_error("cannot lock project " + projectPath + " (" + path_ +
                                         "): " + std::strerror(err));
            throw ProjectBusy("project " + projectPath +
                              " is busy: " + (who.empty() ? std::string("another job") : who) +
                              " is writing to it. Wait for it to finish (or stop it), then "
                              "try again");
        }
        struct stat held = {};
        struct stat now = {};
        if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &now) == 0 &&
            held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
            const std::string me = describeSelf(job) + "\n";
            if (::ftruncate(fd_, 0) == 0) {
                const ssize_t n = ::pwrite(fd_, me.data(), me.size(), 0);
                (void)n;  // the description is informative only
            }
            return;
        }
        ::close(fd_);
        fd_ = -1;
    }
    throw ProjectBusy("project " + projectPath + " is busy: its lock " + path_ +
                      " keeps changing hands");
}

ProjectLock::~ProjectLock() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());  // while still held: a waiter that opened it retries
    ::close(fd_);
}

std::string ProjectLock::holder(const std::string& projectPath) {
    const std::string path = lockPath(projectPath);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return "";
    std::string who;
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) who = readHolder(fd);
    ::close(fd);
    return who;
}

}  // namespace mlad
