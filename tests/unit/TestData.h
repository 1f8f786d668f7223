#pragma once
// Where the shared public datasets live: $MLAD_SHARED_DATA, else ../shared/datasets relative to
// the source tree. Tests that need them GTEST_SKIP() with a clear message when absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace mlad::test {

inline std::string sharedDataDir() {
    if (const char* env = std::getenv("MLAD_SHARED_DATA"); env && *env) return env;
#ifdef MLAD_SOURCE_DIR
    return (std::filesystem::path(MLAD_SOURCE_DIR) / ".." / "shared" / "datasets").string();
#else
    return "../shared/datasets";
#endif
}

/// Full path of a file under the shared datasets, or "" when missing.
inline std::string sharedFile(const std::string& rel) {
    auto p = std::filesystem::path(sharedDataDir()) / rel;
    return std::filesystem::exists(p) ? p.string() : std::string();
}

/// A fresh temporary directory removed at scope exit.
class TempDir {
  public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("mlad-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace mlad::test

#define MLAD_REQUIRE_SHARED(var, rel)                                          \
    const std::string var = ::mlad::test::sharedFile(rel);                     \
    if (var.empty())                                                           \
        GTEST_SKIP() << "shared dataset file " << (rel) << " not found under " \
                     << ::mlad::test::sharedDataDir() << " (set MLAD_SHARED_DATA)";
