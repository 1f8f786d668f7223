#include "mlad/util/Json.h"

#include <stdexcept>

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

}  // namespace mlad
