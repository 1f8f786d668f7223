// Hostile project files: any bytes opened as a project (read-only, as the workbench's views and
// `mlad check` do, then read-write) and read through the calls the views make. Refusals are
// exceptions with the file's name; no crash, no hang.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "mlad/seq/Sequences.h"
#include "mlad/store/Project.h"

using namespace mlad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string dir = "/dev/shm/mlad-fuzz-open-" + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/p.mlad";
    {
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(data), long(size));
    }
    for (int mode = 0; mode < 2; ++mode) {
        try {
            auto p = mode == 0 ? Project::openReadOnly(path) : Project::open(path);
            (void)p->integrityCheck();
            for (const auto& set : sequenceSets(*p)) (void)set.count;
            for (const auto& s : p->systems()) {
                (void)p->templates(s.id);
                (void)p->files(s.id);
                (void)s.lines;
            }
        } catch (const std::exception&) {
        }
    }
    std::filesystem::remove_all(dir);
    return 0;
}
