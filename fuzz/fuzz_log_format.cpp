// Log format strings (`--format '<Date> <Time> <Level>: <Content>'`) and lines matched against
// them: the head (before "\n---\n") is the format, each body line is matched. The fast path and
// the regex engine must agree on every line (a differential check: any difference traps).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "FuzzUtil.h"
#include "mlad/io/LogFormat.h"

using namespace mlad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto [head, body] = fuzz::splitInput(data, size);
    if (head.empty() || head.size() > 4096) return 0;
    try {
        LogFormat format{std::string(head)};
        std::vector<FieldSpan> fast, slow;
        size_t start = 0;
        while (start <= body.size()) {
            size_t end = body.find('\n', start);
            if (end == std::string_view::npos) end = body.size();
            const std::string_view line = body.substr(start, end - start);
            const bool a = format.match(line, fast);
            const bool b = format.matchRegex(line, slow);
            if (a != b) __builtin_trap();
            if (a) {
                if (fast.size() != slow.size()) __builtin_trap();
                for (size_t i = 0; i < fast.size(); ++i) {
                    if (fast[i].begin > fast[i].end || fast[i].end > line.size()) __builtin_trap();
                    if (fast[i].begin != slow[i].begin || fast[i].end != slow[i].end)
                        __builtin_trap();
                }
            }
            start = end + 1;
        }
    } catch (const std::exception&) {
    }
    return 0;
}
