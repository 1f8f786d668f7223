#pragma once
// The detectors built into the workbench, registered by the registry on first use (an explicit
// list: self-registering objects in a static library would be dropped by the linker).
#include <utility>
#include <vector>

#include "mlad/detect/Registry.h"

namespace mlad {

/// MLAD and its published-settings variant (detect/MladDetector.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> mladDetectors();

/// The trivial rules any model must beat (detect/Rules.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> ruleDetectors();

/// DeepLog's log-key LSTM (detect/DeepLog.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> deepLogDetectors();

/// The classic count-vector baselines: pca, iforest, logcluster, invariants
/// (detect/Classic.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> classicDetectors();

/// DAGMM on count vectors, with MLAD's mixture (detect/Dagmm.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> dagmmDetectors();

/// LogBERT's masked key model with the hypersphere term (detect/LogBert.cpp).
std::vector<std::pair<DetectorInfo, DetectorFactory>> logBertDetectors();

/// Every built-in detector in the order `mlad models` lists them.
inline std::vector<std::pair<DetectorInfo, DetectorFactory>> builtinDetectors() {
    auto all = mladDetectors();
    for (auto& d : deepLogDetectors()) all.push_back(std::move(d));
    for (auto& d : logBertDetectors()) all.push_back(std::move(d));
    for (auto& d : dagmmDetectors()) all.push_back(std::move(d));
    for (auto& d : classicDetectors()) all.push_back(std::move(d));
    for (auto& d : ruleDetectors()) all.push_back(std::move(d));
    return all;
}

}  // namespace mlad
