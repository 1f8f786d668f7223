#pragma once
// Evaluation splits, each stored under a name with its seed so it is reproducible:
//  - paper: test = all anomalous sequences + as many random normal ones; train = the remaining
//    normal ones; a validation slice of the normal training sequences is held out.
//  - chronological: the first trainFraction of sequences (in build order = time order) is the
//    training window, of which only normal sequences are used and the last valFraction share
//    is validation; everything after the window is test. No shuffling across the boundary.
//    With trainUntil the window is cut at a point in time instead: sequences whose first line
//    is before it train, the others test (sets without timestamps are refused).
//  - multi-system: the union of several systems, each split chronologically (or paper).
//  - transfer: train (and validate) on system A's normal sequences, test on all of system B;
//    each side may name its own sequence set (A may equal B when the sets differ).
// Every split reports its leakage facts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mlad/store/Project.h"

namespace mlad {

struct SplitSpec {
    std::string name;
    std::string protocol = "chronological";  ///< paper | chronological | multi-system | transfer
    std::vector<std::string> systems;        ///< systems (one for paper/chronological)
    std::string trainSystem, testSystem;     ///< transfer
    std::string trainSet, testSet;           ///< transfer: sets of each side (default: --set)
    std::string sequenceSet;                 ///< set name per system; empty = the latest set
    std::string base = "chronological";      ///< multi-system: per-system protocol
    uint64_t seed = 42;
    double trainFraction = 0.6;  ///< chronological: training window share
    /// chronological: cut at this time (ms since the epoch, UTC) instead of trainFraction.
    std::optional<int64_t> trainUntil;
    double valFraction = 0.1;  ///< share of the normal training sequences held out
};

struct PartStats {
    uint64_t total = 0, anomalous = 0, unlabelled = 0;
    double anomalyRate() const {
        uint64_t labelled = total - unlabelled;
        return labelled ? double(anomalous) / double(labelled) : 0.0;
    }
};

struct SplitInfo {
    int64_t id = 0;
    std::string name, protocol, params;
    uint64_t seed = 0;
    PartStats train, val, test;
    /// Leakage facts.
    uint64_t testIdenticalToTrain = 0;           ///< test sequences whose events occur in train
    uint64_t anomalousTestIdenticalToTrain = 0;  ///< ... of which anomalous
    uint64_t anomalousIdenticalToNormal = 0;     ///< anomalous test seqs identical to a normal one
    std::vector<std::string> unseenTestTemplates;  ///< test templates never seen in training
    /// how many there are: a split read back from the project keeps only the first 50 texts
    size_t unseenTestTemplateCount = 0;
    std::vector<std::string> systems;
    std::string reportJson;
};

/// Creates (or replaces) a split. Throws std::invalid_argument with a clear message for
/// unknown systems / sets or impossible parameters.
SplitInfo createSplit(Project& project, const SplitSpec& spec);
std::vector<SplitInfo> listSplits(Project& project);
std::optional<SplitInfo> findSplit(Project& project, const std::string& name);
/// The kinds of the sequence sets a split's training part comes from ("window", "time",
/// "session_regex", "imported", ...), sorted.
std::vector<std::string> splitTrainingKinds(Project& project, int64_t splitId);

/// Sequence ids of one part (train | val | test) in ordinal order.
std::vector<int64_t> splitPart(Project& project, int64_t splitId, const std::string& part);

}  // namespace mlad
