#include "mlad/detect/Registry.h"

#include <mutex>
#include <set>
#include <stdexcept>

#include "mlad/detect/Builtins.h"
#include "mlad/train/TrainConfig.h"

namespace mlad {

namespace {

struct Entry {
    DetectorInfo info;
    DetectorFactory make;
};

struct Registry {
    std::mutex mutex;
    std::vector<std::unique_ptr<Entry>> entries;  // stable addresses for the infos handed out
};

Registry& registry() {
    static Registry r;
    return r;
}

void addEntry(Registry& r, DetectorInfo info, DetectorFactory make) {
    if (info.id.empty() || info.id.find_first_of(" \t\n/\\\"'") != std::string::npos)
        throw std::invalid_argument("detector id '" + info.id +
                                    "': ids are non-empty, without spaces, quotes or slashes");
    if (!make) throw std::invalid_argument("detector " + info.id + ": no factory");
    std::set<std::string> keys;
    for (const auto& p : info.params) {
        if (!keys.insert(p.key).second)
            throw std::invalid_argument("detector " + info.id + ": parameter '" + p.key +
                                        "' listed twice");
        if (auto msg = p.check(p.def); !msg.empty())
            throw std::invalid_argument("detector " + info.id + ": default of " + msg);
    }
    for (const auto& e : r.entries)
        if (e->info.id == info.id)
            throw std::invalid_argument("detector id '" + info.id + "' is already registered");
    r.entries.push_back(std::make_unique<Entry>(Entry{std::move(info), std::move(make)}));
}

Registry& ready() {
    static std::once_flag once;
    Registry& r = registry();
    std::call_once(once, [&r] {
        // All or nothing: checked in a scratch registry first, so that a bad built-in reports
        // its own error every time instead of "already registered" on a retry.
        Registry scratch;
        auto builtins = builtinDetectors();
        for (auto& [info, make] : builtins) addEntry(scratch, info, make);
        std::lock_guard<std::mutex> lock(r.mutex);
        for (auto& e : scratch.entries) r.entries.push_back(std::move(e));
    });
    return r;
}

const Entry* findEntry(Registry& r, const std::string& id) {
    for (const auto& e : r.entries)
        if (e->info.id == id) return e.get();
    return nullptr;
}

}  // namespace

void registerDetector(DetectorInfo info, DetectorFactory make) {
    Registry& r = ready();
    std::lock_guard<std::mutex> lock(r.mutex);
    addEntry(r, std::move(info), std::move(make));
}

std::vector<const DetectorInfo*> detectorInfos() {
    Registry& r = ready();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::vector<const DetectorInfo*> out;
    for (const auto& e : r.entries) out.push_back(&e->info);
    return out;
}

const DetectorInfo* findDetector(const std::string& id) {
    Registry& r = ready();
    std::lock_guard<std::mutex> lock(r.mutex);
    const Entry* e = findEntry(r, id);
    return e ? &e->info : nullptr;
}

const DetectorInfo& detectorInfo(const std::string& id) {
    if (const DetectorInfo* d = findDetector(id)) return *d;
    std::string known;
    for (const auto* d : detectorInfos()) known += (known.empty() ? "" : "|") + d->id;
    throw std::invalid_argument("--model: unknown model '" + id + "' (" + known + ")");
}

std::unique_ptr<Detector> createDetector(const TrainConfig& config, bool validate) {
    if (validate) validateTrainConfig(config);
    const DetectorInfo& info = detectorInfo(config.model);
    for (const auto& p : info.params)
        if (!config.params.contains(p.key))
            throw std::invalid_argument("--" + p.option() + ": missing");
    DetectorFactory make;
    {
        Registry& r = ready();
        std::lock_guard<std::mutex> lock(r.mutex);
        make = findEntry(r, config.model)->make;
    }
    auto d = make(config.params);
    if (!d) throw std::logic_error("detector " + config.model + ": the factory returned nothing");
    return d;
}

Json registryJson() {
    Json out = Json::array();
    for (const DetectorInfo* d : detectorInfos()) {
        Json caps = Json::array();
        if (d->caps.attention) caps.push_back("attention");
        if (d->caps.contributions) caps.push_back("contributions");
        if (d->caps.nextEvent) caps.push_back("next-event");
        if (d->caps.representation) caps.push_back("representation");
        if (d->caps.componentEnergies) caps.push_back("component-energies");
        Json params = Json::array();
        for (const auto& p : d->params) {
            const char* type = p.type == ParamSpec::Type::Integer ? "integer"
                               : p.type == ParamSpec::Type::Real  ? "real"
                               : p.type == ParamSpec::Type::Text  ? "text"
                                                                  : "flag";
            params.push_back({{"key", p.key},
                              {"option", "--" + p.option()},
                              {"type", type},
                              {"default", p.def},
                              {"range", p.rangeText()},
                              {"group", p.group},
                              {"help", p.help}});
        }
        out.push_back({{"id", d->id},
                       {"name", d->displayName},
                       {"description", d->description},
                       {"score", d->scoreName},
                       {"iterative", d->iterative},
                       {"capabilities", caps},
                       {"params", params}});
    }
    return out;
}

}  // namespace mlad
