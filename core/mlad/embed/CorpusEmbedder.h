#pragma once
// Default, offline embedder: word vectors learned on the project's own templates (skip-gram with
// negative sampling + fastText-style character n-grams), template vector = SIF-weighted mean of
// its word vectors (see templateWords() for the word split). No pretrained weights needed.
#include "mlad/embed/Embedder.h"

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mlad::embed {

struct CorpusOptions {
    int dim = 100;
    int window = 5;     ///< max context distance; the effective window is drawn in 1..window
    int negatives = 5;  ///< negative samples per (word, context) pair
    int epochs = 5;
    int minN = 3, maxN = 6;  ///< character n-gram lengths (in UTF-8 characters) of "<word>"
    int buckets = 200000;    ///< hash buckets for n-grams
    double lr = 0.05;        ///< start learning rate, decays linearly to 0
    /// SIF (Arora et al. 2017): weight words by a/(a+p(w)) in the template mean and remove the
    /// training templates' first singular direction from every template vector.
    bool sif = true;
    double sifA = 1e-3;
    uint64_t seed = 1;
    /// A template seen `count` times is trained 1+floor(log2(count)) times per epoch, capped
    /// here: frequent templates matter more, but a corpus of a few thousand templates still
    /// trains in seconds.
    int maxRepeats = 8;
    /// Tiny corpora get extra epochs until at least this many centre words were trained:
    /// 5 passes over a few hundred templates leave the vectors close to their random start.
    uint64_t minTokens = 500000;
};

class CorpusEmbedder : public Embedder {
  public:
    /// Trains on (template text, occurrence count) pairs. Single-threaded and deterministic for
    /// a given seed and input order. `progress` gets the done fraction in [0,1] every ~1% of
    /// the work; returning false cancels (throws mlad::Cancelled, a std::runtime_error).
    /// Throws std::invalid_argument on nonsensical options.
    static CorpusEmbedder train(const std::vector<std::pair<std::string, uint64_t>>& sentences,
                                const CorpusOptions& options,
                                const std::function<bool(double fraction)>& progress = {});

    std::string kind() const override { return "corpus"; }
    std::string version() const override;
    int dim() const override { return opt_.dim; }
    Eigen::MatrixXf embed(const std::vector<std::string>& templates) const override;

    /// Mean of the word's own row (if in the vocabulary) and its known n-gram rows; n-grams never
    /// seen in training are ignored. Unseen words thus get a vector from shared n-grams; a word
    /// with no known n-gram gets zeros. kParamOnlyToken has a dedicated fixed vector.
    Eigen::VectorXf wordVector(const std::string& word) const;

    /// Binary blob (little-endian) with options, vocabulary, frequencies and the trained rows.
    std::string serialize() const;
    /// Throws std::runtime_error on a blob that is truncated, corrupt or of another format.
    static CorpusEmbedder deserialize(const std::string& blob);

    const CorpusOptions& options() const { return opt_; }
    /// Vocabulary words (training order of first appearance) and their training frequencies.
    const std::vector<std::string>& vocabulary() const { return words_; }
    /// p(w) used for SIF (0 for words outside the vocabulary).
    double wordProbability(const std::string& word) const;

    static constexpr uint32_t kFormat = 1;

  private:
    CorpusEmbedder() = default;
    void finalize();  // builds lookup tables and cached word vectors
    std::vector<uint32_t> ngramBuckets(const std::string& word) const;

    CorpusOptions opt_;
    std::vector<std::string> words_;
    std::vector<double> freq_;  // weighted training counts, same order as words_
    double totalFreq_ = 0.0;
    uint64_t inputDigest_ = 0;  // hash of the ordered training input (text + counts)
    // Input rows: one per vocabulary word, then one per bucket used by any vocabulary word.
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMatrix rows_;                   // (nwords + nbuckets) x dim
    std::vector<uint32_t> bucketIds_;  // bucket id of row nwords + i
    Eigen::VectorXf paramOnly_;        // vector of kParamOnlyToken
    // SIF common component (unit length, or empty): removed from every template vector because
    // it is shared by all templates and otherwise dominates the cosine similarities.
    Eigen::VectorXf commonDir_;

    // Derived (finalize()).
    std::unordered_map<std::string, int> wordIndex_;
    std::unordered_map<uint32_t, int> bucketRow_;
    RowMatrix wordVecs_;  // nwords x dim, cached wordVector() of vocabulary words
};

}  // namespace mlad::embed
