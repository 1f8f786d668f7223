#pragma once
// Helpers for the benchmarks: big input files built at run time from the shared samples, peak
// memory from /proc, timing.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace mlad::bench {

inline std::string sharedDataDir() {
    if (const char* env = std::getenv("MLAD_SHARED_DATA"); env && *env) return env;
    return std::string(MLAD_SOURCE_DIR) + "/../shared/datasets";
}

/// Peak resident set size of this process in MiB (VmHWM).
inline double peakRssMiB() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return -1;
}

/// Writes `lines` lines to `out` by repeating the lines of `sample` (streaming, no big buffer).
inline uint64_t buildRepeated(const std::string& sample, const std::string& out, uint64_t lines) {
    std::vector<std::string> src;
    {
        std::ifstream in(sample);
        std::string l;
        while (std::getline(in, l)) {
            if (!l.empty() && l.back() == '\r') l.pop_back();
            src.push_back(l);
        }
    }
    if (src.empty()) throw std::runtime_error("empty sample " + sample);
    std::ofstream o(out, std::ios::binary);
    for (uint64_t i = 0; i < lines; ++i) o << src[i % src.size()] << '\n';
    o.flush();
    return uint64_t(std::filesystem::file_size(out));
}

class Timer {
  public:
    Timer() : t0_(std::chrono::steady_clock::now()) {}
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }

  private:
    std::chrono::steady_clock::time_point t0_;
};

}  // namespace mlad::bench
