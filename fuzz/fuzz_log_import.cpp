// The log reader, the format parser, the masks and Drain on any bytes, as `mlad import` and
// `mlad parse` read them: the first byte picks a built-in preset (or a custom format given in
// the head before "\n---\n"), the rest is the log file (plain or gzip).
#include <cstdint>
#include <stdexcept>

#include "FuzzUtil.h"
#include "mlad/io/LineReader.h"
#include "mlad/io/Preset.h"
#include "mlad/parse/LineParser.h"

using namespace mlad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const auto& presets = builtinPresets();
    auto [head, body] = fuzz::splitInput(data + 1, size - 1);
    Preset preset = presets[data[0] % presets.size()];
    if (!head.empty()) {
        preset.format = std::string(head);
        preset.name = "custom";
    }
    try {
        LineParser parser(preset);
        fuzz::MemFile file(reinterpret_cast<const uint8_t*>(body.data()), body.size());
        LineReader::Options opt;
        opt.maxLineBytes = 1 << 16;
        opt.blockBytes = 1 << 16;
        LineReader reader(file.path(), opt);
        std::string_view line;
        ParsedLine pl;
        while (reader.next(line) != LineReader::Status::End) parser.parse(line, pl);
        // Every template Drain made has text; reading them back must not fail.
        for (size_t c = 0; c < parser.drain().size(); ++c)
            if (parser.drain().templateText(int(c)).empty() &&
                parser.drain().cluster(int(c)).count == 0)
                __builtin_trap();
    } catch (const std::exception&) {
        // invalid format, binary or truncated input: reported to the user, fine here
    }
    return 0;
}
