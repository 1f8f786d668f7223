#include "mlad/util/Json.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "mlad/util/AtomicFile.h"

namespace mlad {

std::string dumpJson(const Json& j, int indent) {
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Json parseJson(const std::string& text, const std::string& what) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw std::runtime_error(what + ": malformed JSON (" + e.what() + ")");
    }
}

void writeJsonFile(const std::string& path, const Json& j) {
    writeFileAtomically(path, dumpJson(j));
}

Json readJsonFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    return parseJson(text, path);
}

}  // namespace mlad
