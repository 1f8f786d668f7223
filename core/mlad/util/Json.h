#pragma once
// JSON for everything the project writes or reads (manifests, metrics, configs, split reports,
// every --json output): nlohmann-json, written through one helper so that every writer treats
// odd text the same way.
#include <nlohmann/json.hpp>
#include <string>

namespace mlad {

using Json = nlohmann::json;

/// Compact text (indent < 0) or indented. Strings that are not valid UTF-8 (names typed on a
/// terminal in another encoding, bytes from a log) are written with U+FFFD in place of the bad
/// bytes instead of throwing, so a stored or printed document always parses. NaN and
/// infinities become null.
std::string dumpJson(const Json& j, int indent = -1);

/// Parses stored or user-given JSON; throws std::runtime_error naming `what` when malformed.
Json parseJson(const std::string& text, const std::string& what);

/// Writes `j` (compact) to `path`, replacing it; throws std::runtime_error naming the file when
/// it cannot be written completely.
void writeJsonFile(const std::string& path, const Json& j);
/// Reads and parses a JSON file; throws std::runtime_error naming the file.
Json readJsonFile(const std::string& path);

}  // namespace mlad
