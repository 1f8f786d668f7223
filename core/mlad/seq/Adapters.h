#pragma once
// Data adapters: what each kind of detector reads from one split, built from the project's
// sequences. Torch-free (mlad_data); detectors turn these into tensors or matrices.
//
//  - EventSequences: the sequences as project template ids, with labels and line ranges
//    (template-vector models such as MLAD look the ids up in their embedder's table);
//  - TemplateKeys: a vocabulary of templates by *text*, so that a model trained on one system
//    or period scores another whose Drain tree numbered the same templates differently;
//    templates never seen in training map to the explicit key kUnknown;
//  - nextEventWindows: event-key windows with the next key as target (DeepLog);
//  - countVectors: one row of template-key counts per sequence (DAGMM, PCA, ...).
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlad/store/Project.h"
#include "mlad/task/Task.h"

namespace mlad::seq {

struct EventSequences {
    std::vector<int64_t> ids;
    std::vector<uint8_t> labels;  ///< 1 anomalous, 0 normal, 2 unknown
    std::vector<int64_t> systemIds, firstLines, lastLines;
    std::vector<std::vector<int32_t>> events;  ///< project template ids, in line order
    size_t size() const { return ids.size(); }
    bool empty() const { return ids.empty(); }
};

/// The sequences `ids` in that order; sequences without events (nothing to score) and unknown
/// ids are left out. Cancellable.
EventSequences loadEventSequences(Project& project, const std::vector<int64_t>& ids,
                                  TaskContext* ctx = nullptr);

/// Sequences read from the project on demand, for data too large to hold: the ids and lengths
/// stay in memory (16 bytes a sequence), the events are read when asked for, by position.
/// Sequences without events and unknown ids are left out, as by loadEventSequences. One
/// prepared statement on the project's connection: use it on the thread that owns the project,
/// and keep the project open while the stream lives.
class SequenceStream {
  public:
    SequenceStream(Project& project, const std::vector<int64_t>& ids, TaskContext* ctx = nullptr);
    size_t size() const { return ids_.size(); }
    bool empty() const { return ids_.empty(); }
    const std::vector<int64_t>& ids() const { return ids_; }
    /// Stored number of events of each sequence.
    const std::vector<int64_t>& lengths() const { return lengths_; }
    /// The events of the sequences at `positions`, in that order. Throws std::runtime_error
    /// naming the sequence when it is gone or its events disagree with its stored length
    /// (a damaged project).
    std::vector<std::vector<int32_t>> events(const int64_t* positions, size_t n) const;
    /// The sequences at positions [begin, end), loaded whole.
    EventSequences load(size_t begin, size_t end) const;
    /// Calls f(part, offset) on consecutive chunks of at most `chunk` sequences; cancellable
    /// between chunks.
    template <class F>
    void forEachChunk(size_t chunk, F&& f, TaskContext* ctx = nullptr) const {
        for (size_t b = 0; b < size(); b += chunk) {
            if (ctx && b > 0) ctx->checkCancelled();
            f(load(b, std::min(size(), b + chunk)), b);
        }
    }

  private:
    Project* project_;
    std::vector<int64_t> ids_, lengths_;
};

/// Template keys by text. Key 0 pads, key 1 stands for every template never seen in training,
/// keys 2.. are the training templates in order of first appearance.
class TemplateKeys {
  public:
    static constexpr int32_t kPad = 0, kUnknown = 1, kFirst = 2;
    TemplateKeys() = default;
    /// The keys of the templates in `training`; templates of different systems with one text
    /// share a key.
    static TemplateKeys fromTraining(Project& project, const EventSequences& training);
    /// The same, read from a stream a chunk at a time (the same keys in the same order).
    static TemplateKeys fromTraining(Project& project, const SequenceStream& training,
                                     TaskContext* ctx = nullptr);
    /// The vocabulary of a saved model: texts of keys 2.. in key order.
    static TemplateKeys fromTexts(const std::vector<std::string>& texts);

    /// Number of keys, padding and unknown included.
    int32_t size() const { return int32_t(texts_.size()) + kFirst; }
    const std::vector<std::string>& texts() const { return texts_; }
    int32_t keyOf(const std::string& text) const;
    /// The sequences as keys (same order and lengths as seqs.events).
    std::vector<std::vector<int32_t>> encode(Project& project, const EventSequences& seqs) const;
    /// The key of every template of the project, by template id (for encoding batch after
    /// batch without looking texts up each time).
    std::unordered_map<int32_t, int32_t> keysOfTemplates(Project& project) const;

  private:
    /// Keys for the templates of `training` not keyed yet, in order of first appearance.
    void addTraining(Project& project, const EventSequences& training);
    std::vector<std::string> texts_;
    std::unordered_map<std::string, int32_t> index_;
};

/// Next-event windows over key sequences: for every position t >= 1 of every sequence, the
/// `history` keys before t (left-padded with kPad when t < history) and the key at t.
struct NextEventWindows {
    int history = 0;
    std::vector<int32_t> inputs;         ///< windows() x history, row-major
    std::vector<int32_t> targets;        ///< the next key of each window
    std::vector<int64_t> sequenceIndex;  ///< which sequence each window comes from
    size_t windows() const { return targets.size(); }
};
NextEventWindows nextEventWindows(const std::vector<std::vector<int32_t>>& keys, int history);

/// Count vectors: rows = sequences, columns = keys 1.. (column 0 counts unknown templates,
/// column k - 1 key k); row-major float32.
struct CountVectors {
    int64_t rows = 0, cols = 0;
    std::vector<float> values;
    float at(int64_t r, int64_t c) const { return values[size_t(r * cols + c)]; }
};
CountVectors countVectors(const std::vector<std::vector<int32_t>>& keys, int32_t keyCount);

}  // namespace mlad::seq
