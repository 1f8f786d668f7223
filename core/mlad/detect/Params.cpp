#include "mlad/detect/Params.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "mlad/util/Strings.h"

namespace mlad {

namespace {
constexpr double kSeedMax = 9007199254740992.0;  // 2^53: exact in a double and in JSON readers

// 1048576, 0.9, 1e-09: as people write numbers.
std::string num(double v) {
    if (std::isnan(v)) return "nan";
    std::ostringstream o;
    o.precision(12);
    o << v;
    return o.str();
}
}  // namespace

ParamSpec ParamSpec::integer(std::string key, int64_t def, double lo, double hi, std::string group,
                             std::string help) {
    ParamSpec p;
    p.key = std::move(key);
    p.type = Type::Integer;
    p.def = def;
    p.lo = lo;
    p.hi = hi;
    p.group = std::move(group);
    p.help = std::move(help);
    return p;
}

ParamSpec ParamSpec::real(std::string key, double def, double lo, double hi, std::string group,
                          std::string help) {
    ParamSpec p = integer(std::move(key), 0, lo, hi, std::move(group), std::move(help));
    p.type = Type::Real;
    p.def = def;
    return p;
}

ParamSpec ParamSpec::text(std::string key, std::string def, std::string choices, std::string group,
                          std::string help) {
    ParamSpec p = integer(std::move(key), 0, 0, 0, std::move(group), std::move(help));
    p.type = Type::Text;
    p.def = std::move(def);
    p.choices = std::move(choices);
    return p;
}

ParamSpec ParamSpec::flag(std::string key, bool def, std::string group, std::string help) {
    ParamSpec p = integer(std::move(key), 0, 0, 0, std::move(group), std::move(help));
    p.type = Type::Flag;
    p.def = def;
    return p;
}

std::string ParamSpec::option() const {
    std::string o = key;
    for (char& ch : o)
        if (ch == '_') ch = '-';
    return o;
}

std::vector<std::string> ParamSpec::choiceList() const {
    std::vector<std::string> out;
    if (choices.empty()) return out;
    for (const auto& c : splitChar(choices, '|')) out.emplace_back(c);
    return out;
}

std::string ParamSpec::rangeText() const {
    switch (type) {
        case Type::Text:
            return choices.empty() ? "text" : choices;
        case Type::Flag:
            return "true|false";
        default:
            break;
    }
    return "[" + num(lo) + ", " + num(hi) + "]";
}

Json ParamSpec::coerce(const Json& v) const {
    auto bad = [&](const std::string& why) -> Json {
        throw std::invalid_argument("--" + option() + ": " + why);
    };
    switch (type) {
        case Type::Text:
            if (!v.is_string()) return bad("expected text, got " + v.dump());
            return v;
        case Type::Flag:
            if (!v.is_boolean()) return bad("expected true or false, got " + v.dump());
            return v;
        case Type::Integer: {
            if (v.is_number_integer()) return v;
            if (!v.is_number()) return bad("expected an integer, got " + v.dump());
            const double d = v.get<double>();
            if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > kSeedMax)
                return bad("expected an integer, got " + v.dump());
            return Json(int64_t(d));
        }
        case Type::Real:
            if (!v.is_number()) return bad("expected a number, got " + v.dump());
            return Json(v.get<double>());
    }
    return v;
}

std::string ParamSpec::check(const Json& v) const {
    Json c;
    try {
        c = coerce(v);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    const std::string name = "--" + option();
    if (type == Type::Flag) return "";
    if (type == Type::Text) {
        if (choices.empty()) return "";
        const std::string s = c.get<std::string>();
        for (const auto& choice : choiceList())
            if (choice == s) return "";
        return name + ": '" + s + "' is not one of " + choices;
    }
    const double d = c.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
        return name + ": " + num(d) + " is outside " + rangeText();
    }
    return "";
}

ParamList joinParams(std::initializer_list<ParamList> lists) {
    ParamList out;
    for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
    return out;
}

const ParamSpec* findParam(const ParamList& params, const std::string& key) {
    for (const auto& p : params)
        if (p.key == key) return &p;
    return nullptr;
}

namespace params {

ParamList torchTraining(int epochs, int batchSize, double lr, int patience) {
    using P = ParamSpec;
    return {
        P::integer("epochs", epochs, 1, 100000, "optimisation", "maximum epochs"),
        P::integer("batch_size", batchSize, 1, 1048576, "optimisation", "sequences per batch"),
        P::real("lr", lr, 1e-9, 10.0, "optimisation", "Adam learning rate"),
        P::integer("patience", patience, 0, 100000, "optimisation",
                   "early stopping: epochs without a better validation loss (0 = off)"),
        P::real("clip_norm", 5.0, 0.0, 1e6, "optimisation", "gradient norm clipping (0 = off)"),
        P::integer("seed", 42, 0, kSeedMax, "optimisation", "random seed"),
        P::text("device", "auto", "auto|cpu|cuda", "optimisation", "where to train"),
        P::flag("amp", false, "optimisation",
                "mixed precision for training (float16 on CUDA, bfloat16 on CPU)"),
        P::integer("threads", 0, 0, 1024, "optimisation",
                   "LibTorch CPU threads (0 = auto: half the cores)"),
    };
}

ParamList classicFitting() {
    using P = ParamSpec;
    return {
        P::integer("seed", 42, 0, kSeedMax, "optimisation", "random seed"),
        P::integer("threads", 0, 0, 1024, "optimisation", "CPU threads (0 = auto: half the cores)"),
    };
}

ParamList templateVectors() {
    using P = ParamSpec;
    return {
        P::text("embedder", "corpus", "", "data",
                "template embedder: corpus | vectors:FILE | torchscript:DIR"),
        P::integer("embed_dim", 100, 2, 4096, "data",
                   "template vector width for the corpus embedder"),
    };
}

ParamList threshold() {
    return {ParamSpec::real("nu", 0.01, 1e-6, 0.5, "threshold",
                            "default threshold: the (1 - nu) quantile of validation scores")};
}

}  // namespace params

}  // namespace mlad
