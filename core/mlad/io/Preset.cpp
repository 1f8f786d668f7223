#include "mlad/io/Preset.h"

#include <sstream>
#include <stdexcept>

#include "mlad/util/Strings.h"

namespace mlad {

// Defined in the source that CMake generates from datasets/presets/*.preset.
extern const char* const kEmbeddedPresetNames[];
extern const char* const kEmbeddedPresetTexts[];
extern const int kEmbeddedPresetCount;

void Preset::validate() const {
    if (name.empty()) throw std::invalid_argument("preset has no name");
    if (format.find("<Content>") == std::string::npos)
        throw std::invalid_argument("preset " + name + ": the format has no <Content> field");
    if (depth < 3) throw std::invalid_argument("preset " + name + ": depth must be >= 3");
    if (similarity < 0.0 || similarity > 1.0)
        throw std::invalid_argument("preset " + name + ": similarity must be in [0,1]");
    if (maxChildren < 2) throw std::invalid_argument("preset " + name + ": max_children < 2");
    if (maxTemplates < 1 || maxTemplates > 100000000)
        throw std::invalid_argument("preset " + name + ": max_templates must be in [1, 1e8]");
    if (label.kind == LabelRule::Kind::Field && label.field.empty())
        throw std::invalid_argument("preset " + name + ": label field missing");
}

static LabelRule parseLabelRule(const std::string& v, const std::string& where) {
    // "field Label normal -" | "group_file" | "none"
    auto parts = splitWhitespace(v);
    LabelRule r;
    if (parts.empty() || parts[0] == "none") return r;
    if (parts[0] == "field" && parts.size() == 4 && parts[2] == "normal") {
        r.kind = LabelRule::Kind::Field;
        r.field = std::string(parts[1]);
        r.normalValue = std::string(parts[3]);
        return r;
    }
    if (parts[0] == "group_file") {
        r.kind = LabelRule::Kind::GroupFile;
        return r;
    }
    throw std::invalid_argument(where +
                                ": label must be 'none', 'group_file' or "
                                "'field NAME normal VALUE', got '" +
                                v + "'");
}

Preset parsePreset(const std::string& text, const std::string& origin) {
    Preset p;
    std::istringstream in(text);
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        std::string_view t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto eq = t.find('=');
        std::string where = origin + ":" + std::to_string(lineNo);
        if (eq == std::string_view::npos)
            throw std::invalid_argument(where + ": expected 'key = value'");
        std::string key(trim(t.substr(0, eq)));
        // Values keep inner spaces (formats care about double spaces); only the single space
        // after '=' and trailing whitespace are dropped.
        std::string_view rawValue = t.substr(eq + 1);
        if (!rawValue.empty() && rawValue[0] == ' ') rawValue.remove_prefix(1);
        std::string value(rawValue);
        try {
            if (key == "name")
                p.name = value;
            else if (key == "description")
                p.description = value;
            else if (key == "format")
                p.format = value;
            else if (key == "mask")
                p.masks.push_back(value);
            else if (key == "depth")
                p.depth = std::stoi(value);
            else if (key == "similarity")
                p.similarity = std::stod(value);
            else if (key == "max_children")
                p.maxChildren = std::stoi(value);
            else if (key == "max_templates") {
                if (value.empty() || value[0] == '-') throw std::invalid_argument(value);
                p.maxTemplates = std::stoull(value);
            } else if (key == "label")
                p.label = parseLabelRule(value, where);
            else if (key == "time_fields") {
                for (auto f : splitWhitespace(value)) p.timeFields.emplace_back(f);
            } else if (key == "time_format")
                p.timeFormat = value;
            else if (key == "group")
                p.groupRegex = value;
            else
                throw std::invalid_argument(where + ": unknown key '" + key + "'");
        } catch (const std::invalid_argument&) {
            throw;
        } catch (const std::exception&) {
            throw std::invalid_argument(where + ": bad value for '" + key + "': " + value);
        }
    }
    p.validate();
    return p;
}

std::string presetToText(const Preset& p) {
    std::ostringstream o;
    o << "name = " << p.name << "\n";
    if (!p.description.empty()) o << "description = " << p.description << "\n";
    o << "format = " << p.format << "\n";
    for (const auto& m : p.masks) o << "mask = " << m << "\n";
    o << "depth = " << p.depth << "\nsimilarity = " << p.similarity
      << "\nmax_children = " << p.maxChildren << "\n";
    if (p.maxTemplates != Preset{}.maxTemplates) o << "max_templates = " << p.maxTemplates << "\n";
    switch (p.label.kind) {
        case LabelRule::Kind::None:
            o << "label = none\n";
            break;
        case LabelRule::Kind::Field:
            o << "label = field " << p.label.field << " normal " << p.label.normalValue << "\n";
            break;
        case LabelRule::Kind::GroupFile:
            o << "label = group_file\n";
            break;
    }
    if (!p.timeFields.empty()) {
        std::vector<std::string> f(p.timeFields.begin(), p.timeFields.end());
        o << "time_fields = " << join(f, " ") << "\ntime_format = " << p.timeFormat << "\n";
    }
    if (!p.groupRegex.empty()) o << "group = " << p.groupRegex << "\n";
    return o.str();
}

const std::vector<Preset>& builtinPresets() {
    static const std::vector<Preset> presets = [] {
        std::vector<Preset> v;
        for (int i = 0; i < kEmbeddedPresetCount; ++i)
            v.push_back(parsePreset(kEmbeddedPresetTexts[i],
                                    std::string("presets/") + kEmbeddedPresetNames[i]));
        return v;
    }();
    return presets;
}

const Preset* findPreset(const std::string& name) {
    std::string want = toLower(name);
    for (const auto& p : builtinPresets())
        if (toLower(p.name) == want) return &p;
    return nullptr;
}

}  // namespace mlad
