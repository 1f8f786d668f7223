#pragma once
// One long write job per project at a time. SQLite keeps every single transaction safe, but
// an import, a sequence build or a training run spans many transactions and assumes nobody
// else writes the same rows in between (two imports at once used to end in a raw "UNIQUE
// constraint failed"). A job therefore holds the project's writer lock: an flock(2) on
// PROJECT.lock beside the project, which the kernel drops when the holder's process ends,
// however it ends, so a crash never leaves a stale lock. The lock file names its holder
// (job, process id, host, start time) for the "project busy" message and is removed on release.

#include <memory>
#include <stdexcept>
#include <string>

namespace mlad {

/// Thrown when another job holds the project's writer lock. what() names the project and the
/// holder and says what to do.
struct ProjectBusy : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ProjectLock {
  public:
    /// Takes the lock of the project at `projectPath` for `job` (e.g. "mlad import"), without
    /// waiting. Throws ProjectBusy when it is held (also by another job of this process), and
    /// std::runtime_error naming the lock file when it cannot be created.
    ProjectLock(const std::string& projectPath, const std::string& job);
    ~ProjectLock();
    ProjectLock(const ProjectLock&) = delete;
    ProjectLock& operator=(const ProjectLock&) = delete;

    /// The lock file of a project (its canonical path + ".lock").
    static std::string lockPath(const std::string& projectPath);
    /// The holder's description ("mlad import (process 123 on host, since 2026-...Z)"), or ""
    /// when the project is not locked. For status displays; racy by nature.
    static std::string holder(const std::string& projectPath);

  private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace mlad
