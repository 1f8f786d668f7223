#include "mlad/train/TrainConfig.h"

#include <stdexcept>

#include "mlad/detect/Registry.h"

namespace mlad {

namespace {

// The model names of earlier versions: MLAD's ablations were models of their own.
bool resolveAlias(std::string& model, Json& params) {
    if (model == "MLAD") model = "mlad";
    if (model == "w/o-entmax" || model == "w/o-gmm") {
        params["ablation"] = model;
        model = "mlad";
        return true;
    }
    return false;
}

const ParamSpec& specOf(const TrainConfig& c, const std::string& key) {
    const ParamSpec* p = findParam(detectorInfo(c.model).params, key);
    if (!p) throw std::invalid_argument("--" + key + ": not a parameter of model " + c.model);
    return *p;
}

}  // namespace

TrainConfig TrainConfig::defaults(const std::string& model) {
    TrainConfig c;
    c.model = model;
    Json ablation = Json::object();
    resolveAlias(c.model, ablation);
    for (const auto& p : detectorInfo(c.model).params) c.params[p.key] = p.def;
    if (ablation.contains("ablation")) c.set("ablation", ablation["ablation"]);
    return c;
}

int64_t TrainConfig::integer(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end() || !it->is_number_integer())
        throw std::invalid_argument("run config: no integer '" + key + "'");
    return it->get<int64_t>();
}

double TrainConfig::real(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end() || !it->is_number())
        throw std::invalid_argument("run config: no number '" + key + "'");
    return it->get<double>();
}

std::string TrainConfig::text(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end() || !it->is_string())
        throw std::invalid_argument("run config: no text '" + key + "'");
    return it->get<std::string>();
}

bool TrainConfig::flag(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end() || !it->is_boolean())
        throw std::invalid_argument("run config: no flag '" + key + "'");
    return it->get<bool>();
}

TrainConfig& TrainConfig::set(const std::string& key, const Json& value) {
    params[key] = specOf(*this, key).coerce(value);
    return *this;
}

std::string TrainConfig::label() const {
    auto it = params.find("ablation");
    if (it == params.end() || !it->is_string() || *it == "none") return model;
    return model == "mlad" ? it->get<std::string>() : model + " " + it->get<std::string>();
}

void validateTrainConfig(const TrainConfig& c) {
    const DetectorInfo* info = findDetector(c.model);
    if (!info) {
        std::string known;
        for (const auto* d : detectorInfos()) known += (known.empty() ? "" : "|") + d->id;
        throw std::invalid_argument("--model: unknown model '" + c.model + "' (" + known + ")");
    }
    if (!c.params.is_object()) throw std::invalid_argument("run config: not a JSON object");
    for (const auto& [key, value] : c.params.items())
        if (!findParam(info->params, key))
            throw std::invalid_argument("--" + key + ": not a parameter of model " + c.model);
    for (const auto& p : info->params) {
        auto it = c.params.find(p.key);
        if (it == c.params.end()) throw std::invalid_argument("--" + p.option() + ": missing");
        if (auto msg = p.check(*it); !msg.empty()) throw std::invalid_argument(msg);
    }
    if (info->check) info->check(c.params);
}

Json trainConfigToJson(const TrainConfig& c) {
    Json j = c.params;
    j["model"] = c.model;
    return j;
}

TrainConfig trainConfigFromJson(const std::string& text) {
    Json j = parseJson(text, "run config");
    if (!j.is_object()) throw std::runtime_error("run config: not a JSON object");
    std::string model = "mlad";
    if (auto it = j.find("model"); it != j.end() && it->is_string()) model = it->get<std::string>();
    TrainConfig c;
    try {
        c = TrainConfig::defaults(model);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("run config: ") + e.what());
    }
    for (const auto& p : detectorInfo(c.model).params) {
        auto it = j.find(p.key);
        if (it == j.end() || it->is_null()) continue;
        try {
            c.params[p.key] = p.coerce(*it);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(std::string("run config: ") + e.what());
        }
    }
    return c;
}

std::vector<std::string> trainOptions(const TrainConfig& c) {
    std::vector<std::string> out = {"--model", c.model};
    for (const auto& p : detectorInfo(c.model).params) {
        auto it = c.params.find(p.key);
        if (it == c.params.end() || it->is_null()) continue;
        const std::string name = "--" + p.option();
        switch (p.type) {
            case ParamSpec::Type::Flag:
                out.push_back(name + (it->get<bool>() ? "=true" : "=false"));
                break;
            case ParamSpec::Type::Text:
                out.push_back(name);
                out.push_back(it->get<std::string>());
                break;
            case ParamSpec::Type::Integer:
            case ParamSpec::Type::Real:
                out.push_back(name);
                out.push_back(it->dump());  // JSON numbers round-trip exactly
                break;
        }
    }
    return out;
}

}  // namespace mlad
