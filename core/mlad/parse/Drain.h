#pragma once
// Drain (He et al., ICWS'17) as in the logparser benchmark implementation: a fixed-depth parse
// tree (a length layer, then depth-3 prefix-token layers), a similarity threshold over
// constant tokens, max children per node, tokens with digits routed to <*>, templates updated in
// place as lines join a cluster. Cluster ids never change, so stored template ids stay stable.
//
// Tokens are interned to integers, but only tokens that appear in some template are kept:
// a line token never seen in a template cannot equal one, so it needs no entry. Memory then
// grows with the number of templates, not with the file.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mlad {

class TokenTable {
  public:
    static constexpr int32_t kWildcard = 0;  ///< id of "<*>"
    TokenTable();
    int32_t find(std::string_view tok) const;  ///< -1 when absent
    int32_t intern(std::string_view tok);
    const std::string& text(int32_t id) const { return texts_[size_t(id)]; }
    size_t size() const { return texts_.size(); }

  private:
    void rehash(size_t slots);
    std::vector<std::string> texts_;
    std::vector<size_t> hashes_;
    std::vector<int32_t> slots_;  // open addressing, -1 = empty
};

struct DrainOptions {
    int depth = 4;
    double similarity = 0.5;
    int maxChildren = 100;
    /// Safeguards for input Drain was not made for (e.g. a format whose message field holds
    /// unique ids in every word): without them every line of such a log becomes a template of
    /// its own and each new line is compared with all of them (quadratic). A leaf holds at most
    /// maxLeafTemplates templates and the tree at most maxTemplates; past either bound a line
    /// that matches no template joins the most similar template of its leaf (which then
    /// generalises), and forcedLines() counts it. Real logs stay far below both (the loghub
    /// samples have at most a few hundred templates per system).
    size_t maxTemplates = 100000;
    size_t maxLeafTemplates = 1000;
};

struct DrainCluster {
    std::vector<int32_t> tokens;  ///< current template
    std::string path;             ///< tree keys taken when the cluster was inserted (space-joined)
    uint64_t count = 0;
    bool changed = false;  ///< template text changed since clearChanged()
};

class Drain {
  public:
    explicit Drain(DrainOptions opt = {});

    /// Adds one (masked) log message; returns its cluster index.
    int add(std::string_view maskedContent);
    /// Re-creates a stored cluster at its original place in the tree. Clusters must be restored
    /// in index order; returns the new index.
    int restore(std::string_view templateText, std::string_view treePath, uint64_t count);

    size_t size() const { return clusters_.size(); }
    const DrainCluster& cluster(int i) const { return clusters_[size_t(i)]; }
    std::string templateText(int i) const;
    /// Indices whose template changed since the last call, then clears the marks.
    std::vector<int> takeChanged();
    const DrainOptions& options() const { return opt_; }
    /// Lines put with their nearest template because a bound of DrainOptions was reached.
    uint64_t forcedLines() const { return forced_; }

  private:
    struct Node {
        std::vector<std::pair<int32_t, int32_t>> children;  // token id -> node index
        std::vector<int32_t> clusters;                      // leaf: cluster indices
        int32_t child(int32_t tok) const {
            for (const auto& c : children)
                if (c.first == tok) return c.second;
            return -1;
        }
    };
    struct Match {
        int cluster = -1;  ///< the template the line belongs to, -1 = a new one
        int nearest = -1;  ///< the most similar template of the leaf reached, whatever its score
        bool leafFull = false;
    };
    int32_t newNode();
    Match search(const std::vector<int32_t>& ids) const;
    void insert(int cluster, const std::vector<std::string_view>* rawTokens);
    Match fastMatch(const std::vector<int32_t>& leaf, const std::vector<int32_t>& ids) const;

    DrainOptions opt_;
    int tokenLayers_;  // prefix-token layers below the length layer
    TokenTable tokens_;
    std::vector<Node> nodes_;
    std::unordered_map<size_t, int32_t> lengthNodes_;
    // Messages no longer than the prefix layers never reach a leaf in logparser's Drain (each
    // becomes its own cluster, grouped later by identical text): they are matched exactly here.
    std::unordered_map<std::string, int> shortMessages_;
    static std::string idKey(const std::vector<int32_t>& ids);
    std::vector<DrainCluster> clusters_;
    std::vector<int> changed_;
    uint64_t forced_ = 0;
    // Scratch buffers reused across add() calls.
    std::vector<std::string_view> scratchTokens_;
    std::vector<int32_t> scratchIds_;
};

}  // namespace mlad
