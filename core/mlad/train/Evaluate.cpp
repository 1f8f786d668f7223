#include "mlad/train/Evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "mlad/eval/Pot.h"

namespace mlad {

ThresholdChoice ThresholdChoice::parse(const std::string& spec, double defaultQuantile) {
    ThresholdChoice t;
    t.value = defaultQuantile;
    if (spec.empty()) {
        t.runDefault = true;
        return t;
    }
    {
        // A bare number is the threshold itself.
        char* end = nullptr;
        const double v = std::strtod(spec.c_str(), &end);
        if (end && *end == '\0' && end != spec.c_str() && std::isfinite(v)) {
            t.kind = Kind::Value;
            t.value = v;
            return t;
        }
    }
    auto colon = spec.find(':');
    std::string kind = spec.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
    try {
        if (kind == "oracle") {
            t.kind = Kind::Oracle;
        } else if (kind == "quantile") {
            t.kind = Kind::Quantile;
            if (!arg.empty()) t.value = std::stod(arg);
            if (!(t.value > 0 && t.value < 1)) throw std::invalid_argument("");  // NaN too
        } else if (kind == "pot" || kind == "target-pot") {
            t.kind = kind == "pot" ? Kind::Pot : Kind::TargetPot;
            t.value = arg.empty() ? 1.0 - defaultQuantile : std::stod(arg);
            if (!(t.value > 0 && t.value < 1)) throw std::invalid_argument("");
        } else if (kind == "target") {
            t.kind = Kind::TargetQuantile;
            const double rate = arg.empty() ? 1.0 - defaultQuantile : std::stod(arg);
            if (!(rate > 0 && rate < 1)) throw std::invalid_argument("");
            t.value = 1.0 - rate;
        } else if (kind == "target-quantile") {
            t.kind = Kind::TargetQuantile;
            if (!arg.empty()) t.value = std::stod(arg);
            if (!(t.value > 0 && t.value < 1)) throw std::invalid_argument("");
        } else if (kind == "value") {
            t.kind = Kind::Value;
            t.value = std::stod(arg);
            if (!std::isfinite(t.value)) throw std::invalid_argument("");
        } else {
            throw std::invalid_argument("");
        }
    } catch (const std::exception&) {
        throw std::invalid_argument("threshold '" + spec +
                                    "' must be quantile:Q (0<Q<1), pot:RISK (0<RISK<1), "
                                    "target:RATE, target-quantile:Q, target-pot:RISK, value:X "
                                    "(or a number) or oracle");
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
        case Kind::Pot: {
            std::ostringstream o;
            o << "validation POT, risk " << value;
            return o.str();
        }
        case Kind::TargetQuantile: {
            std::ostringstream o;
            o << "TARGET-SIDE quantile " << value << " of the scored sequences (no labels)";
            return o.str();
        }
        case Kind::TargetPot: {
            std::ostringstream o;
            o << "TARGET-SIDE POT, risk " << value << ", on the scored sequences (no labels)";
            return o.str();
        }
    }
    return "";
}

RunScores loadRunScores(Project& project, int64_t runId) {
    StoredRunScores stored = readRunScores(project, runId);
    RunScores r;
    r.testIds = std::move(stored.testIds);
    r.testScores = std::move(stored.testScores);
    r.testLabels = std::move(stored.testLabels);
    r.valScores = std::move(stored.valScores);
    r.nu = stored.nu;
    if (stored.ownThreshold) {
        r.defaultThreshold = *stored.ownThreshold;
        r.thresholdRule = stored.ownRule;
        r.detectorRule = true;
        return r;
    }
    ThresholdChoice q;
    q.value = 1.0 - r.nu;
    r.thresholdRule = q.describe();
    if (!r.valScores.empty())
        r.defaultThreshold = eval::quantile(r.valScores, 1.0 - r.nu);
    else if (!r.testScores.empty())
        r.defaultThreshold = *std::max_element(r.testScores.begin(), r.testScores.end());
    return r;
}

double naturalAnomalyRate(Project& project, int64_t splitId) {
    const LabelCounts c = splitSourceLabelCounts(project, splitId);
    if (c.labelled == 0) return 0;
    return double(c.anomalous) / double(c.labelled);
}

Json EvalReport::json() const {
    // Json stores NaN and infinities as numbers; dumpJson writes them as null.
    Json j = {
        {"run", run},
        {"model", model},
        {"threshold_kind", thresholdKind},
        {"oracle", oracle},
        {"threshold", threshold},
        {"precision", precision},
        {"recall", recall},
        {"f1", f1},
        {"specificity", specificity},
        {"roc_auc", rocAuc},
        {"pr_auc", prAuc},
        {"tp", confusion.tp},
        {"fp", confusion.fp},
        {"tn", confusion.tn},
        {"fn", confusion.fn},
        {"test_sequences", testSequences},
        {"test_anomalous", testAnomalous},
        {"unlabelled", unlabelled},
        {"test_prevalence", testPrevalence},
        {"natural_prevalence", naturalPrevalence},
        {"at_natural_rate",
         {{"precision", atNatural.precision},
          {"recall", atNatural.recall},
          {"f1", atNatural.f1},
          {"specificity", atNatural.specificity}}},
        {"oracle_best_f1",
         {{"threshold", oracleBest.threshold},
          {"f1", oracleBest.f1},
          {"precision", oracleBest.confusion.precision()},
          {"recall", oracleBest.confusion.recall()}}},
    };
    return j;
}

std::string EvalReport::toJson() const {
    return dumpJson(json());
}

double resolveThreshold(const ThresholdChoice& t, const RunScores& run,
                        const std::vector<double>& target, const std::vector<uint8_t>& labels) {
    if (t.runDefault) return run.defaultThreshold;
    switch (t.kind) {
        case ThresholdChoice::Kind::Quantile:
            return run.valScores.empty() ? run.defaultThreshold
                                         : eval::quantile(run.valScores, t.value);
        case ThresholdChoice::Kind::Value:
            return t.value;
        case ThresholdChoice::Kind::Oracle: {
            std::vector<double> sc;
            std::vector<uint8_t> lb;
            for (size_t i = 0; i < target.size() && i < labels.size(); ++i)
                if (labels[i] <= 1 && std::isfinite(target[i])) {
                    sc.push_back(target[i]);
                    lb.push_back(labels[i]);
                }
            if (sc.empty())
                throw std::invalid_argument("the oracle threshold needs labelled sequences");
            return eval::ThresholdSweep(sc, lb).oracleBestF1().threshold;
        }
        case ThresholdChoice::Kind::Pot:
            return run.valScores.empty() ? run.defaultThreshold
                                         : eval::fitPot(run.valScores).threshold(t.value);
        case ThresholdChoice::Kind::TargetQuantile:
        case ThresholdChoice::Kind::TargetPot: {
            // Every scored sequence, labelled or not; the labels are not read.
            std::vector<double> finite;
            for (double v : target)
                if (std::isfinite(v)) finite.push_back(v);
            if (finite.empty()) throw std::invalid_argument("no finite scores to recalibrate on");
            return t.kind == ThresholdChoice::Kind::TargetQuantile
                       ? eval::quantile(finite, t.value)
                       : eval::fitPot(finite).threshold(t.value);
        }
    }
    return run.defaultThreshold;
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
    r.threshold = resolveThreshold(t, s, s.testScores, s.testLabels);
    r.oracle = t.kind == ThresholdChoice::Kind::Oracle && !t.runDefault;
    r.thresholdKind = t.describe();
    if (t.runDefault && s.detectorRule) {
        // The detector's own rule (e.g. DeepLog's "any next key outside the top 9").
        r.threshold = s.defaultThreshold;
        r.thresholdKind = s.thresholdRule;
    }
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
