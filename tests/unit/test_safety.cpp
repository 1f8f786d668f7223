// Issue 16: a project stays whole when two jobs meet, when the disk fills up, and when a
// process dies holding it. Real files, real processes, real SQLite.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "TestData.h"
#include "mlad/import/Importer.h"
#include "mlad/io/Preset.h"
#include "mlad/store/Project.h"
#include "mlad/store/ProjectLock.h"
#include "mlad/util/AtomicFile.h"

using namespace mlad;
using mlad::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

void writeBgl(const std::string& path, int lines, int variant = 0) {
    std::ofstream o(path);
    for (int i = 0; i < lines; ++i)
        o << "- " << 1117838570 + i << " 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779"
          << " R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected "
          << variant << " " << i % 17 << "\n";
}

/// Limits the size of any file this process writes (RLIMIT_FSIZE) for the scope: writes past
/// it fail with EFBIG, the way a full disk fails them with ENOSPC. SIGXFSZ is ignored meanwhile.
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &old_);
        oldHandler_ = signal(SIGXFSZ, SIG_IGN);
        rlimit r = old_;
        r.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &r);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &old_);
        signal(SIGXFSZ, oldHandler_);
    }

  private:
    rlimit old_{};
    sighandler_t oldHandler_{};
};

std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp") != std::string::npos)
            out.push_back(e.path().filename().string());
    return out;
}

}  // namespace

// Finding 8: a second writer job gets a clear "project busy" naming the holder, not a raw
// SQLite constraint error; the lock goes with its holder.
TEST(ProjectLock, SecondJobIsToldTheProjectIsBusyAndByWhom) {
    TempDir dir;
    const std::string path = dir.file("p.mlad");
    {
        auto first = Project::open(path, "mlad import");
        EXPECT_TRUE(fs::exists(path + ".lock"));
        try {
            auto second = Project::open(path, "mlad train");
            FAIL() << "a second writer job opened a busy project";
        } catch (const ProjectBusy& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("p.mlad is busy"), std::string::npos) << m;
            EXPECT_NE(m.find("mlad import (process " + std::to_string(getpid())), std::string::npos)
                << m;
        }
        EXPECT_NE(ProjectLock::holder(path).find("mlad import"), std::string::npos);
        // Another spelling of the same file is the same project.
        EXPECT_THROW(ProjectLock(dir.path().string() + "/./p.mlad", "x"), ProjectBusy);
        // Readers and short writes are not blocked.
        EXPECT_EQ(Project::openReadOnly(path)->systemCount(), 0u);
        EXPECT_EQ(Project::open(path)->systemCount(), 0u);
    }
    EXPECT_FALSE(fs::exists(path + ".lock")) << "the lock file stays after release";
    EXPECT_EQ(ProjectLock::holder(path), "");
    EXPECT_NO_THROW(Project::open(path, "mlad train"));
}

TEST(ProjectLock, DiesWithItsHolderProcess) {
    TempDir dir;
    const std::string path = dir.file("p.mlad");
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ProjectLock lock(path, "a job killed later");
        char c = 1;
        if (write(ready[1], &c, 1) != 1) _exit(3);
        pause();
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    EXPECT_THROW(ProjectLock(path, "mine"), ProjectBusy);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    // The killed holder leaves its lock file behind, but no lock: the next job takes it.
    EXPECT_TRUE(fs::exists(path + ".lock"));
    EXPECT_NO_THROW(ProjectLock(path, "mine"));
    close(ready[0]);
    close(ready[1]);
}

// Finding 8: two imports into one project at once: one imports, the other is told the project
// is busy (before: "UNIQUE constraint failed: lines.id"); the project holds one copy.
TEST(ProjectLock, TwoImportsAtOnceNeverMeet) {
    TempDir dir;
    const std::string path = dir.file("p.mlad");
    writeBgl(dir.file("a.log"), 30000, 1);
    writeBgl(dir.file("b.log"), 30000, 2);
    Project::open(path);  // created up front, so both threads race on the import itself
    std::atomic<int> ready{0};
    std::vector<std::string> outcome(2);
    auto job = [&](int k) {
        ready.fetch_add(1);
        while (ready.load() < 2) std::this_thread::yield();
        try {
            auto p = Project::open(path, "import " + std::to_string(k));
            ImportOptions opt;
            opt.preset = *findPreset("BGL");
            importFiles(*p, {dir.file(k == 0 ? "a.log" : "b.log")}, opt);
            outcome[size_t(k)] = "imported";
        } catch (const ProjectBusy& e) {
            outcome[size_t(k)] = std::string("busy: ") + e.what();
        } catch (const std::exception& e) {
            outcome[size_t(k)] = std::string("error: ") + e.what();
        }
    };
    std::thread t0(job, 0), t1(job, 1);
    t0.join();
    t1.join();
    int imported = 0, busy = 0;
    for (const auto& o : outcome) {
        imported += o == "imported";
        busy += o.rfind("busy: ", 0) == 0;
        EXPECT_EQ(o.rfind("error: ", 0), std::string::npos) << o;
    }
    // Threads may also run one after the other; never both at once.
    EXPECT_GE(imported, 1);
    EXPECT_EQ(imported + busy, 2);
    auto p = Project::openReadOnly(path);
    EXPECT_EQ(p->integrityCheck(), "ok");
    uint64_t lines = 0;
    for (const auto& s : p->systems()) lines += s.lines;
    EXPECT_EQ(lines, uint64_t(imported) * 30000u);
}

// Finding 8: processes creating one project at once (before: "table meta already exists").
TEST(ProjectLock, ProjectsCreatedAtOnceMigrateOnce) {
    for (int round = 0; round < 8; ++round) {
        TempDir dir;
        const std::string path = dir.file("p.mlad");
        std::atomic<int> ready{0};
        std::vector<std::string> errors(4);
        std::vector<std::thread> threads;
        for (int k = 0; k < 4; ++k)
            threads.emplace_back([&, k] {
                ready.fetch_add(1);
                while (ready.load() < 4) std::this_thread::yield();
                try {
                    auto p = Project::open(path);
                    if (p->schemaVersion() != Project::kSchemaVersion) errors[size_t(k)] = "old";
                } catch (const std::exception& e) {
                    errors[size_t(k)] = e.what();
                }
            });
        for (auto& t : threads) t.join();
        for (const auto& e : errors) EXPECT_EQ(e, "") << "round " << round;
        EXPECT_EQ(Project::openReadOnly(path)->integrityCheck(), "ok");
    }
}

// Findings 2 and 3 at their root: files are written whole or not at all.
TEST(AtomicFile, AFailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
    TempDir dir;
    const std::string path = dir.file("model.pt");
    writeFileAtomically(path, "the old model");
    EXPECT_EQ(readAll(path), "the old model");
    {
        FileSizeLimit limit(64 * 1024);  // the disk "fills up" at 64 KiB per file
        try {
            writeFileAtomically(path, std::string(1 << 20, 'x'));
            FAIL() << "a write past the limit succeeded";
        } catch (const std::runtime_error& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("model.pt"), std::string::npos) << m;
            EXPECT_NE(m.find("unchanged"), std::string::npos) << m;
        }
    }
    EXPECT_EQ(readAll(path), "the old model");
    EXPECT_TRUE(leftovers(dir.path()).empty());
    // A write that is never committed (an exception on the way) leaves nothing behind either.
    {
        AtomicFile f(dir.file("half.csv"));
        f << "a,b\n";
    }
    EXPECT_FALSE(fs::exists(dir.file("half.csv")));
    EXPECT_TRUE(leftovers(dir.path()).empty());
    // A folder that cannot take the file is named in the error.
    try {
        writeFileAtomically(dir.file("no/such/folder/x.csv"), "x");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no/such/folder/x.csv"), std::string::npos);
    }
}

// Disk full while importing: the import fails with a message naming the file, what was stored
// before stays whole, and the failed file is not counted as imported.
TEST(DiskFull, ImportFailsCleanlyAndKeepsWhatWasStored) {
    TempDir dir;
    const std::string path = dir.file("p.mlad");
    writeBgl(dir.file("first.log"), 2000, 1);
    writeBgl(dir.file("big.log"), 200000, 2);
    ImportOptions opt;
    opt.preset = *findPreset("BGL");
    {
        auto p = Project::open(path, "test");
        ASSERT_FALSE(importFiles(*p, {dir.file("first.log")}, opt).anyFailed());
    }
    std::error_code ec;
    const uint64_t wal = fs::file_size(path + "-wal", ec);
    const uint64_t dbBytes = fs::file_size(path) + (ec ? 0 : wal);
    std::string failure;
    {
        FileSizeLimit limit(rlim_t(dbBytes + 4 * 1024 * 1024));
        try {
            auto p = Project::open(path, "test");
            auto r = importFiles(*p, {dir.file("big.log")}, opt);
            if (r.anyFailed()) failure = r.files[0].message;
        } catch (const std::exception& e) {
            failure = e.what();
        }
    }
    EXPECT_NE(failure, "") << "200k lines fitted in 4 MiB";
    EXPECT_NE(failure.find("big.log"), std::string::npos) << failure;
    auto p = Project::open(path);
    EXPECT_EQ(p->integrityCheck(), "ok");
    auto sys = p->system("BGL");
    ASSERT_TRUE(sys);
    for (const auto& f : p->files(sys->id)) {
        if (f.path.find("big.log") != std::string::npos) {
            EXPECT_NE(f.status, "complete");
        }
    }
    uint64_t firstLines = 0;
    for (const auto& f : p->files(sys->id))
        if (f.path.find("first.log") != std::string::npos) firstLines = f.linesImported;
    EXPECT_EQ(firstLines, 2000u);
    // With room again, the import completes.
    auto r = importFiles(*p, {dir.file("big.log")}, opt);
    EXPECT_FALSE(r.anyFailed()) << r.files[0].message;
    EXPECT_EQ(p->system("BGL")->lines, 202000u);
}
