#include "mlad/train/Evaluate.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace mlad {

ThresholdChoice ThresholdChoice::parse(const std::string& spec, double defaultQuantile) {
    ThresholdChoice t;
    t.value = defaultQuantile;
    if (spec.empty()) return t;
    auto colon = spec.find(':');
    std::string kind = spec.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
    try {
        if (kind == "oracle") {
            t.kind = Kind::Oracle;
        } else if (kind == "quantile") {
            t.kind = Kind::Quantile;
            if (!arg.empty()) t.value = std::stod(arg);
            if (t.value <= 0 || t.value >= 1) throw std::invalid_argument("");
        } else if (kind == "value") {
            t.kind = Kind::Value;
            t.value = std::stod(arg);
        } else {
            throw std::invalid_argument("");
        }
    } catch (const std::exception&) {
        throw std::invalid_argument("threshold '" + spec +
                                    "' must be quantile:Q (0<Q<1), value:X or oracle");
    }
    return t;
}

std::string ThresholdChoice::describe() const {
    switch (kind) {
        case Kind::Quantile: {
            std::ostringstream o;
            o << "validation quantile " << value;
            return o.str();
        }
        case Kind::Value:
            return "user value";
        case Kind::Oracle:
            return "ORACLE best F1 on test labels";
    }
    return "";
}

double naturalAnomalyRate(Project& project, int64_t splitId) {
    auto st = project.db().prepare(
        "SELECT sum(label = 1), count(label) FROM sequences WHERE set_id IN (SELECT DISTINCT "
        "q.set_id FROM split_members m JOIN sequences q ON q.id = m.sequence_id WHERE "
        "m.split_id = ?)");
    st.bind(1, splitId);
    if (!st.step() || st.getInt(1) == 0) return 0;
    return double(st.getInt(0)) / double(st.getInt(1));
}

static std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    std::ostringstream o;
    o.precision(6);
    o << v;
    return o.str();
}

std::string EvalReport::toJson() const {
    std::ostringstream o;
    o << "{\"run\":\"" << run << "\",\"model\":\"" << model << "\",\"threshold_kind\":\""
      << thresholdKind << "\",\"oracle\":" << (oracle ? "true" : "false")
      << ",\"threshold\":" << num(threshold) << ",\"precision\":" << num(precision)
      << ",\"recall\":" << num(recall) << ",\"f1\":" << num(f1)
      << ",\"specificity\":" << num(specificity) << ",\"roc_auc\":" << num(rocAuc)
      << ",\"pr_auc\":" << num(prAuc) << ",\"tp\":" << confusion.tp << ",\"fp\":" << confusion.fp
      << ",\"tn\":" << confusion.tn << ",\"fn\":" << confusion.fn
      << ",\"test_sequences\":" << testSequences << ",\"test_anomalous\":" << testAnomalous
      << ",\"unlabelled\":" << unlabelled << ",\"test_prevalence\":" << num(testPrevalence)
      << ",\"natural_prevalence\":" << num(naturalPrevalence)
      << ",\"at_natural_rate\":{\"precision\":" << num(atNatural.precision)
      << ",\"recall\":" << num(atNatural.recall) << ",\"f1\":" << num(atNatural.f1)
      << ",\"specificity\":" << num(atNatural.specificity) << "}"
      << ",\"oracle_best_f1\":{\"threshold\":" << num(oracleBest.threshold)
      << ",\"f1\":" << num(oracleBest.f1)
      << ",\"precision\":" << num(oracleBest.confusion.precision())
      << ",\"recall\":" << num(oracleBest.confusion.recall()) << "}}";
    return o.str();
}

EvalReport evaluateRun(Project& project, const std::string& runName, const ThresholdChoice& t) {
    auto run = findRun(project, runName);
    if (!run) throw std::invalid_argument("no run named '" + runName + "'");
    if (run->status != "done")
        throw std::invalid_argument("run '" + runName + "' is " + run->status + ", not done");
    RunScores s = loadRunScores(project, run->id);
    std::vector<double> scores;
    std::vector<uint8_t> labels;
    EvalReport r;
    for (size_t i = 0; i < s.testScores.size(); ++i) {
        if (s.testLabels[i] > 1) {
            ++r.unlabelled;
            continue;
        }
        scores.push_back(s.testScores[i]);
        labels.push_back(s.testLabels[i]);
    }
    eval::ThresholdSweep sweep(scores, labels);
    r.run = runName;
    r.model = run->model;
    r.testSequences = sweep.size();
    r.testAnomalous = sweep.positives();
    r.testPrevalence = sweep.size() ? double(sweep.positives()) / double(sweep.size()) : 0;
    r.naturalPrevalence = naturalAnomalyRate(project, run->splitId);
    r.oracleBest = sweep.oracleBestF1();
    switch (t.kind) {
        case ThresholdChoice::Kind::Quantile:
            r.threshold =
                s.valScores.empty() ? s.defaultThreshold : eval::quantile(s.valScores, t.value);
            break;
        case ThresholdChoice::Kind::Value:
            r.threshold = t.value;
            break;
        case ThresholdChoice::Kind::Oracle:
            r.threshold = r.oracleBest.threshold;
            r.oracle = true;
            break;
    }
    r.thresholdKind = t.describe();
    r.confusion = sweep.at(r.threshold);
    r.precision = r.confusion.precision();
    r.recall = r.confusion.recall();
    r.f1 = r.confusion.f1();
    r.specificity = r.confusion.specificity();
    r.rocAuc = sweep.rocAuc();
    r.prAuc = sweep.averagePrecision();
    r.atNatural = eval::atPrevalence(r.confusion, r.naturalPrevalence);
    return r;
}

}  // namespace mlad
