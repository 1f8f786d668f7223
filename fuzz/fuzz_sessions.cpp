// Pre-parsed sessions (`mlad import-sessions`): a templates CSV (head) and a DeepLog session
// file or a sessions CSV (body) into a fresh project in memory-backed storage. Whatever the
// input, the project stays consistent (integrity_check ok) and nothing half-written stays.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "FuzzUtil.h"
#include "mlad/import/Sessions.h"
#include "mlad/store/Project.h"

using namespace mlad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    auto [head, body] = fuzz::splitInput(data + 1, size - 1);
    fuzz::MemFile templates(reinterpret_cast<const uint8_t*>(head.data()), head.size());
    fuzz::MemFile sessions(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    const std::string dir = "/dev/shm/mlad-fuzz-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/p.mlad";
    {
        auto project = Project::open(path);
        PreparsedSpec spec;
        spec.system = "S";
        spec.templatesCsv = head.empty() ? std::string() : templates.path();
        if (data[0] & 1)
            spec.csvFile = sessions.path();
        else
            spec.deeplogFile = sessions.path();
        try {
            importPreparsedSessions(*project, spec);
        } catch (const std::exception&) {
        }
        if (project->integrityCheck() != "ok") __builtin_trap();
    }
    std::filesystem::remove_all(dir);
    return 0;
}
