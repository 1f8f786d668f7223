// The trivial rules that any model must beat, as detectors: they read template keys by text
// (seq/Adapters.h) and are fitted in one pass over the training sequences.
//   new-templates       count of events whose template was never seen in training; flags any
//   new-sequence        1 when the exact key sequence never occurred in training; flags any
//   distinct-templates  number of distinct templates in the sequence; validation quantile
//   rare-template       the rarest template's -log training frequency; validation quantile
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "mlad/detect/Builtins.h"

namespace mlad {

namespace {

enum class Rule { NewTemplates, NewSequence, DistinctTemplates, RareTemplate };

std::string sequenceKey(const std::vector<int32_t>& keys) {
    std::string s;
    s.reserve(keys.size() * 4);
    for (int32_t k : keys) s.append(reinterpret_cast<const char*>(&k), sizeof k);
    return s;
}

class RuleDetector final : public Detector {
  public:
    RuleDetector(const std::string& id, Rule rule, Json params)
        : id_(id), rule_(rule), params_(std::move(params)) {}

    const DetectorInfo& info() const override { return detectorInfo(id_); }
    const Json& params() const override { return params_; }

    void prepare(const TrainData& data, TaskContext*) override {
        keys_ = seq::TemplateKeys::fromTraining(*data.project, data.train);
        train_ = keys_.encode(*data.project, data.train);
    }

    void fit(const FitObserver& observer, TaskContext* ctx) override {
        seen_.clear();
        counts_.assign(size_t(keys_.size()), 0);
        total_ = 0;
        for (size_t i = 0; i < train_.size(); ++i) {
            if (ctx && (i & 1023) == 0) ctx->checkCancelled();
            seen_.insert(sequenceKey(train_[i]));
            for (int32_t k : train_[i]) ++counts_[size_t(k)];
            total_ += train_[i].size();
        }
        if (observer.onProgress) observer.onProgress("counting", 1.0);
    }

    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        const auto keys = keys_.encode(project, seqs);
        std::vector<double> out(keys.size());
        for (size_t i = 0; i < keys.size(); ++i) {
            if (ctx && (i & 1023) == 0) ctx->checkCancelled();
            out[i] = scoreOne(keys[i]);
        }
        return out;
    }

    std::optional<OwnThreshold> ownThreshold() const override {
        switch (rule_) {
            case Rule::NewTemplates:
                return OwnThreshold{0.5, "any template never seen in training"};
            case Rule::NewSequence:
                return OwnThreshold{0.5, "sequence never seen in training"};
            default:
                return std::nullopt;  // the validation quantile
        }
    }

    void save(const std::string& path) override {
        Json j = {{"format", 1}, {"texts", keys_.texts()}, {"counts", counts_}, {"total", total_}};
        Json seqs = Json::array();
        if (rule_ == Rule::NewSequence)
            for (const auto& s : seen_) {
                std::vector<int32_t> k(s.size() / sizeof(int32_t));
                std::copy(s.begin(), s.end(), reinterpret_cast<char*>(k.data()));
                seqs.push_back(k);
            }
        j["sequences"] = seqs;
        writeJsonFile(path, j);
    }

    void load(Project&, const std::string& path, const std::string&) override {
        const Json j = readJsonFile(path);
        try {
            keys_ = seq::TemplateKeys::fromTexts(j.at("texts").get<std::vector<std::string>>());
            counts_ = j.at("counts").get<std::vector<uint64_t>>();
            total_ = j.at("total").get<uint64_t>();
            seen_.clear();
            for (const auto& s : j.at("sequences")) {
                const auto k = s.get<std::vector<int32_t>>();
                seen_.insert(sequenceKey(k));
            }
        } catch (const Json::exception& e) {
            throw std::runtime_error(path + ": not a model of " + id_ + " (" + e.what() + ")");
        }
        if (counts_.size() != size_t(keys_.size()))
            throw std::runtime_error(path + ": counts and vocabulary disagree");
    }

  private:
    double scoreOne(const std::vector<int32_t>& k) const {
        switch (rule_) {
            case Rule::NewTemplates:
                return double(std::count(k.begin(), k.end(), seq::TemplateKeys::kUnknown));
            case Rule::NewSequence:
                return seen_.count(sequenceKey(k)) ? 0.0 : 1.0;
            case Rule::DistinctTemplates:
                return double(std::set<int32_t>(k.begin(), k.end()).size());
            case Rule::RareTemplate: {
                // -log of the training frequency of the rarest template; an unseen one counts
                // as half an occurrence, so that it ranks above every seen template.
                double worst = 0;
                for (int32_t key : k) {
                    const double c = key < int32_t(counts_.size()) && counts_[size_t(key)] > 0
                                         ? double(counts_[size_t(key)])
                                         : 0.5;
                    worst = std::max(worst, -std::log(c / double(std::max<uint64_t>(total_, 1))));
                }
                return worst;
            }
        }
        return 0;
    }

    std::string id_;
    Rule rule_;
    Json params_;
    seq::TemplateKeys keys_;
    std::vector<std::vector<int32_t>> train_;
    std::set<std::string> seen_;
    std::vector<uint64_t> counts_;
    uint64_t total_ = 0;
};

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> ruleDetectors() {
    struct Def {
        const char* id;
        const char* name;
        const char* description;
        const char* score;
        Rule rule;
    };
    const Def defs[] = {
        {"new-templates", "Rule: unseen templates",
         "Counts the events whose template (by text) never occurred in training; flags a "
         "sequence with any. The first thing a practitioner tries, and the bar any model must "
         "clear.",
         "unseen templates", Rule::NewTemplates},
        {"new-sequence", "Rule: unseen sequence",
         "1 when the exact sequence of templates never occurred in training, else 0; flags any "
         "unseen sequence.",
         "unseen sequence", Rule::NewSequence},
        {"distinct-templates", "Rule: distinct templates",
         "The number of distinct templates in the sequence; threshold: the validation quantile.",
         "distinct templates", Rule::DistinctTemplates},
        {"rare-template", "Rule: rarest template",
         "The rarest template's -log training frequency (unseen templates rank above all); "
         "threshold: the validation quantile.",
         "-log frequency", Rule::RareTemplate},
    };
    std::vector<std::pair<DetectorInfo, DetectorFactory>> out;
    for (const auto& d : defs) {
        DetectorInfo info;
        info.id = d.id;
        info.displayName = d.name;
        info.description = d.description;
        info.scoreName = d.score;
        info.params = joinParams({params::classicFitting(), params::threshold()});
        const std::string id = d.id;
        const Rule rule = d.rule;
        out.emplace_back(std::move(info), [id, rule](const Json& params) {
            return std::make_unique<RuleDetector>(id, rule, params);
        });
    }
    return out;
}

}  // namespace mlad
