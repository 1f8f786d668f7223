#include "mlad/train/TrainConfig.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace mlad {

namespace {

using C = TrainConfig;
constexpr double kSeedMax = 9007199254740992.0;  // 2^53: exact in a double and in JSON readers

}  // namespace

const std::vector<TrainParam>& trainParams() {
    // clang-format off
    static const std::vector<TrainParam> params = {
        {"alpha", &C::alpha, 1.0, 2.0, "", "model", "entmax alpha: 1 = softmax, 1.5 = exact 1.5-entmax, 2 = sparsemax"},
        {"d_model", &C::dModel, 1, 4096, "", "model", "Transformer width (divisible by --heads)"},
        {"layers", &C::nLayers, 1, 48, "", "model", "encoder layers"},
        {"heads", &C::nHeads, 1, 64, "", "model", "attention heads per layer"},
        {"d_ff", &C::dFf, 1, 65536, "", "model", "feed-forward width"},
        {"d_z", &C::dZ, 1, 1024, "", "model", "width of the representation the GMM sees"},
        {"components", &C::components, 1, 64, "", "model", "GMM components"},
        {"max_len", &C::maxLen, 1, 100000, "", "model", "longer sequences keep their first max-len events"},
        {"dropout", &C::dropout, 0.0, 0.9, "", "model", "dropout probability"},
        {"mask_ratio", &C::maskRatio, 0.01, 1.0, "", "model", "share of positions masked for reconstruction"},
        {"recon", &C::recon, 0, 0, "masked|full", "model", "masked reconstruction, or full (the identical-shortcut mode)"},
        {"lambda_energy", &C::lambdaEnergy, 0.0, 1e6, "", "model", "weight of the GMM energy in the loss"},
        {"lambda_cov", &C::lambdaCov, 0.0, 1e6, "", "model", "weight of the covariance penalty"},
        {"cov_eps", &C::covEps, 0.0, 1.0, "", "model", "diagonal added to each GMM covariance"},
        {"epochs", &C::epochs, 1, 100000, "", "optimisation", "maximum epochs"},
        {"batch_size", &C::batchSize, 1, 1048576, "", "optimisation", "sequences per batch"},
        {"lr", &C::lr, 1e-9, 10.0, "", "optimisation", "Adam learning rate"},
        {"patience", &C::patience, 0, 100000, "", "optimisation", "early stopping: epochs without a better validation loss (0 = off)"},
        {"clip_norm", &C::clipNorm, 0.0, 1e6, "", "optimisation", "gradient norm clipping (0 = off)"},
        {"seed", &C::seed, 0, kSeedMax, "", "optimisation", "random seed"},
        {"device", &C::device, 0, 0, "auto|cpu|cuda", "optimisation", "where to train"},
        {"amp", &C::amp, 0, 0, "", "optimisation", "mixed precision for training (float16 on CUDA, bfloat16 on CPU)"},
        {"threads", &C::threads, 0, 1024, "", "optimisation", "LibTorch CPU threads (0 = auto: half the cores)"},
        {"embedder", &C::embedder, 0, 0, "", "data", "template embedder: corpus | vectors:FILE | torchscript:DIR"},
        {"embed_dim", &C::embedDim, 2, 4096, "", "data", "template vector width for the corpus embedder"},
        {"nu", &C::nu, 1e-6, 0.5, "", "threshold", "default threshold: the (1 - nu) quantile of validation scores"},
    };
    // clang-format on
    return params;
}

const TrainParam* findTrainParam(const std::string& key) {
    for (const auto& p : trainParams())
        if (key == p.key) return &p;
    return nullptr;
}

std::string TrainParam::option() const {
    std::string o = key;
    for (char& ch : o)
        if (ch == '_') ch = '-';
    return o;
}

bool TrainParam::isInteger() const {
    return std::holds_alternative<int C::*>(member) ||
           std::holds_alternative<uint64_t C::*>(member);
}
bool TrainParam::isReal() const {
    return std::holds_alternative<double C::*>(member);
}
bool TrainParam::isText() const {
    return std::holds_alternative<std::string C::*>(member);
}
bool TrainParam::isFlag() const {
    return std::holds_alternative<bool C::*>(member);
}

Json TrainParam::get(const TrainConfig& c) const {
    return std::visit([&c](auto m) { return Json(c.*m); }, member);
}

std::string TrainParam::rangeText() const {
    if (isText()) return *choices ? choices : "text";
    if (isFlag()) return "true|false";
    std::ostringstream o;
    o << "[" << lo << ", " << hi << "]";
    return o.str();
}

std::string TrainParam::check(const TrainConfig& c) const {
    const std::string name = "--" + option();
    if (auto m = std::get_if<std::string C::*>(&member)) {
        if (!*choices) return "";
        const std::string v = c.**m;
        std::string all = choices;
        size_t start = 0;
        while (start <= all.size()) {
            size_t bar = all.find('|', start);
            if (bar == std::string::npos) bar = all.size();
            if (all.compare(start, bar - start, v) == 0 && v.size() == bar - start) return "";
            start = bar + 1;
        }
        return name + ": '" + v + "' is not one of " + all;
    }
    if (isFlag()) return "";
    const double v = get(c).get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) {
        std::ostringstream o;
        o << name << ": " << get(c).dump() << " is outside " << rangeText();
        return o.str();
    }
    return "";
}

void TrainParam::set(TrainConfig& c, const Json& v, bool checkRange) const {
    const std::string name = std::string(key);
    auto bad = [&](const std::string& why) {
        throw std::invalid_argument("config key '" + name + "': " + why);
    };
    std::visit(
        [&](auto m) {
            using T = std::decay_t<decltype(c.*m)>;
            if constexpr (std::is_same_v<T, std::string>) {
                if (!v.is_string()) bad("expected text");
                c.*m = v.get<std::string>();
            } else if constexpr (std::is_same_v<T, bool>) {
                if (!v.is_boolean()) bad("expected true or false");
                c.*m = v.get<bool>();
            } else {
                if (!v.is_number()) bad("expected a number");
                const double d = v.get<double>();
                if constexpr (std::is_integral_v<T>)
                    if (d != std::floor(d)) bad("expected an integer");
                if (!std::isfinite(d)) bad("not a finite number");
                if (checkRange && (d < lo || d > hi)) bad("outside " + rangeText());
                c.*m = std::is_integral_v<T> && v.is_number_unsigned() ? T(v.get<uint64_t>())
                       : std::is_integral_v<T>                         ? T(v.get<int64_t>())
                                                                       : T(d);
            }
        },
        member);
}

void validateTrainConfig(const TrainConfig& c) {
    if (c.model != "mlad" && c.model != "w/o-entmax" && c.model != "w/o-gmm")
        throw std::invalid_argument("--model: unknown model '" + c.model + "' (" +
                                    std::string(kTrainModels) + ")");
    for (const auto& p : trainParams())
        if (auto msg = p.check(c); !msg.empty()) throw std::invalid_argument(msg);
    if (c.dModel % c.nHeads != 0)
        throw std::invalid_argument("--d-model " + std::to_string(c.dModel) +
                                    " is not divisible by --heads " + std::to_string(c.nHeads));
    if (c.embedder.empty()) throw std::invalid_argument("--embedder: empty");
}

Json trainConfigToJson(const TrainConfig& c) {
    Json j = Json::object();
    j["model"] = c.model;
    for (const auto& p : trainParams()) j[p.key] = p.get(c);
    return j;
}

TrainConfig trainConfigFromJson(const std::string& text) {
    TrainConfig c;
    Json j = parseJson(text, "run config");
    if (!j.is_object()) throw std::runtime_error("run config: not a JSON object");
    if (auto it = j.find("model"); it != j.end() && it->is_string())
        c.model = it->get<std::string>();
    for (const auto& p : trainParams()) {
        auto it = j.find(p.key);
        if (it == j.end() || it->is_null()) continue;
        try {
            p.set(c, *it, false);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(std::string("run config: ") + e.what());
        }
    }
    return c;
}

}  // namespace mlad
