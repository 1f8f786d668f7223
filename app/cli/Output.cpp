#include "Output.h"

#include <unistd.h>

#include <cstdio>

#include "mlad/util/Strings.h"

namespace mlad::cli {

static bool gDrawn = false;

TaskContext::ProgressFn terminalProgress() {
    if (!isatty(STDERR_FILENO)) return {};
    return [](const Progress& p) {
        double f = p.fraction();
        const int width = 30;
        std::string bar;
        if (f >= 0) {
            int filled = int(f * width + 0.5);
            bar = "[" + std::string(size_t(filled), '#') +
                  std::string(size_t(width - filled), '.') + "] " + std::to_string(int(f * 100)) +
                  "%";
        }
        std::string counts =
            std::to_string(p.done) + (p.total ? "/" + std::to_string(p.total) : "");
        std::string bytes =
            p.bytesTotal ? " " + humanBytes(p.bytesDone) + "/" + humanBytes(p.bytesTotal) : "";
        std::string eta = p.etaSeconds >= 0 ? " ETA " + humanDuration(p.etaSeconds) : "";
        std::string stage =
            p.stage.size() > 40 ? "..." + p.stage.substr(p.stage.size() - 37) : p.stage;
        std::fprintf(stderr, "\r\033[K%s %s %s%s%s", stage.c_str(), bar.c_str(), counts.c_str(),
                     bytes.c_str(), eta.c_str());
        std::fflush(stderr);
        gDrawn = true;
    };
}

void endProgressLine() {
    if (gDrawn) std::fprintf(stderr, "\r\033[K");
    gDrawn = false;
}

std::string fmtNumber(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

}  // namespace mlad::cli
