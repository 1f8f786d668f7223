// The classic unsupervised log anomaly baselines (loglizer's unsupervised set) as detectors.
// All read template-count vectors over TemplateKeys built from the training sequences (column
// k - 1 counts key k, so column 0 counts templates never seen in training), are fitted in one
// call and save themselves as JSON.
//   pca         Xu et al., SOSP'09: squared prediction error off the principal subspace;
//               threshold: the Q-statistic (Jackson & Mudholkar)
//   iforest     Liu et al., ICDM'08: isolation forest, 2^(-E[h]/c(psi)); validation quantile
//   logcluster  Lin et al., ICSE'16: distance to the nearest centroid of agglomerative clusters
//               of IDF-weighted vectors; threshold: max-dist
//   invariants  Lou et al., USENIX ATC'10: number of violated sparse integer count relations;
//               threshold: any violation
// Everything is deterministic for a fixed seed (own uniform draws from std::mt19937_64, so that
// no standard-library distribution's implementation enters the results).
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "mlad/detect/Builtins.h"

namespace mlad {

namespace {

// ---------------------------------------------------------------------------------------------
// Sparse count vectors

/// One sequence's counts: (column, count) with count > 0, sorted by column.
using SparseRow = std::vector<std::pair<int32_t, double>>;
using Rows = std::vector<SparseRow>;

/// Count vectors of key sequences as seq::countVectors lays them out (key k -> column k - 1),
/// kept sparse: a window holds a handful of the vocabulary's templates.
Rows countRows(const std::vector<std::vector<int32_t>>& keys, int32_t keyCount, TaskContext* ctx) {
    Rows out(keys.size());
    std::vector<int32_t> buf;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (ctx && (i & 1023) == 0) ctx->checkCancelled();
        buf = keys[i];
        std::sort(buf.begin(), buf.end());
        for (size_t a = 0; a < buf.size();) {
            const int32_t k = buf[a];
            if (k < 1 || k >= keyCount)
                throw std::out_of_range("count vectors: key " + std::to_string(k) +
                                        " outside the vocabulary");
            size_t b = a;
            while (b < buf.size() && buf[b] == k) ++b;
            out[i].emplace_back(k - 1, double(b - a));
            a = b;
        }
    }
    return out;
}

double valueAt(const SparseRow& r, int32_t col) {
    auto it = std::lower_bound(
        r.begin(), r.end(), col,
        [](const std::pair<int32_t, double>& e, int32_t c) { return e.first < c; });
    return it != r.end() && it->first == col ? it->second : 0.0;
}

/// The distinct rows in order of first appearance, with their multiplicities.
struct DistinctRows {
    Rows rows;
    std::vector<double> weights;
};

DistinctRows distinctRows(const Rows& rows, TaskContext* ctx) {
    DistinctRows d;
    std::map<SparseRow, size_t> index;
    for (size_t i = 0; i < rows.size(); ++i) {
        if (ctx && (i & 1023) == 0) ctx->checkCancelled();
        auto [it, added] = index.emplace(rows[i], d.rows.size());
        if (added) {
            d.rows.push_back(rows[i]);
            d.weights.push_back(1.0);
        } else {
            d.weights[it->second] += 1.0;
        }
    }
    return d;
}

/// Document frequencies: in how many rows each column is non-zero.
std::vector<double> documentFrequencies(const Rows& rows, int64_t cols) {
    std::vector<double> df(size_t(cols), 0.0);
    for (const auto& r : rows)
        for (const auto& [c, v] : r)
            if (v != 0) df[size_t(c)] += 1.0;
    return df;
}

// Uniform draws of our own: std::uniform_*_distribution differ between standard libraries.
double uniformOpen(std::mt19937_64& g) {  // in (0, 1)
    return (double(g() >> 11) + 0.5) * 0x1.0p-53;
}
size_t below(std::mt19937_64& g, size_t n) {
    return n <= 1 ? 0 : size_t(g() % uint64_t(n));
}

std::vector<double> doubles(const Json& j) {
    return j.get<std::vector<double>>();
}

void requireSize(size_t got, size_t want, const std::string& what) {
    if (got != want)
        throw std::invalid_argument(what + " has " + std::to_string(got) + " entries, expected " +
                                    std::to_string(want));
}

// ---------------------------------------------------------------------------------------------
// The shared part: template keys, count vectors, scoring loop, JSON file

class ClassicDetector : public Detector {
  public:
    ClassicDetector(std::string id, Json params) : id_(std::move(id)), params_(std::move(params)) {}

    const DetectorInfo& info() const override { return detectorInfo(id_); }
    const Json& params() const override { return params_; }

    void prepare(const TrainData& data, TaskContext* ctx) override {
        keys_ = seq::TemplateKeys::fromTraining(*data.project, data.train);
        train_ = countRows(keys_.encode(*data.project, data.train), keys_.size(), ctx);
        if (train_.empty()) throw std::invalid_argument(id_ + ": no training sequences");
    }

    std::vector<double> score(Project& project, const seq::EventSequences& seqs,
                              TaskContext* ctx) override {
        const Rows rows = countRows(keys_.encode(project, seqs), keys_.size(), ctx);
        std::vector<double> out(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) {
            if (ctx && (i & 255) == 0) ctx->checkCancelled();
            out[i] = scoreRow(rows[i]);
        }
        return out;
    }

    void save(const std::string& path) override {
        Json j = {{"format", 1}, {"detector", id_}, {"texts", keys_.texts()}};
        saveModel(j);
        writeJsonFile(path, j);
    }

    void load(Project&, const std::string& path, const std::string&) override {
        const Json j = readJsonFile(path);
        try {
            if (!j.is_object() || j.value("detector", std::string()) != id_)
                throw std::invalid_argument("no " + id_ + " model in it");
            keys_ = seq::TemplateKeys::fromTexts(j.at("texts").get<std::vector<std::string>>());
            loadModel(j);
        } catch (const Json::exception& e) {
            throw std::runtime_error(path + ": not a model of " + id_ + " (" + e.what() + ")");
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(path + ": not a model of " + id_ + " (" + e.what() + ")");
        } catch (const std::out_of_range& e) {
            throw std::runtime_error(path + ": not a model of " + id_ + " (" + e.what() + ")");
        }
    }

  protected:
    /// Count-vector width: every key but the padding one.
    int64_t cols() const { return int64_t(keys_.size()) - 1; }
    double real(const std::string& key) const { return params_.at(key).get<double>(); }
    int64_t integer(const std::string& key) const {
        return int64_t(std::llround(params_.at(key).get<double>()));
    }
    std::string text(const std::string& key) const { return params_.at(key).get<std::string>(); }
    void progress(const FitObserver& o, const std::string& stage, double f) const {
        if (o.onProgress) o.onProgress(stage, f);
    }

    virtual double scoreRow(const SparseRow& row) const = 0;
    virtual void saveModel(Json& j) const = 0;
    /// Reads the model's own keys (keys_ is set); throws std::invalid_argument or a
    /// Json::exception on inconsistent content.
    virtual void loadModel(const Json& j) = 0;

    std::string id_;
    Json params_;
    seq::TemplateKeys keys_;
    Rows train_;
};

// ---------------------------------------------------------------------------------------------
// PCA (Xu et al., SOSP'09; loglizer's PCA)

double cAlphaOf(const std::string& confidence) {
    if (confidence == "0.92") return 1.7507;
    if (confidence == "0.999") return 3.2905;
    return 2.5758;  // 0.99
}

std::string percentText(const std::string& confidence) {
    if (confidence == "0.92") return "92 %";
    if (confidence == "0.999") return "99.9 %";
    return "99 %";
}

/// Upper limit of the SPE from the residual eigenvalues: Jackson & Mudholkar's Q-statistic as
/// loglizer computes it. Where h0 <= 0 (a few large and many small residual eigenvalues) that
/// formula is undefined; there the same limit follows Box's g * chi2(h) approximation with the
/// Wilson-Hilferty quantile. NaN when the residual holds no variance.
double qStatistic(const std::vector<double>& residual, double cAlpha) {
    double t1 = 0, t2 = 0, t3 = 0;
    for (double l : residual) {
        t1 += l;
        t2 += l * l;
        t3 += l * l * l;
    }
    if (!(t1 > 0) || !(t2 > 0)) return std::numeric_limits<double>::quiet_NaN();
    const double h0 = 1.0 - 2.0 * t1 * t3 / (3.0 * t2 * t2);
    if (h0 > 0) {
        const double base =
            cAlpha * std::sqrt(2.0 * t2 * h0 * h0) / t1 + 1.0 + t2 * h0 * (h0 - 1.0) / (t1 * t1);
        if (base > 0) {
            const double q = t1 * std::pow(base, 1.0 / h0);
            if (std::isfinite(q) && q > 0) return q;
        }
    }
    const double h = t1 * t1 / t2, g = t2 / t1;
    const double a = 2.0 / (9.0 * h);
    const double base = std::max(1.0 - a + cAlpha * std::sqrt(a), 0.0);
    return g * h * base * base * base;
}

class PcaDetector final : public ClassicDetector {
  public:
    using ClassicDetector::ClassicDetector;

    void fit(const FitObserver& observer, TaskContext* ctx) override {
        const int64_t d = cols();
        const double n = double(train_.size());
        const bool tfidf = text("term_weighting") == "tf-idf";
        // TF-IDF as loglizer: idf = log(N / df); its 1e-8 guard gives a column never seen in
        // training (column 0) the weight log(N / 1e-8).
        const std::vector<double> df = documentFrequencies(train_, d);
        idf_.assign(size_t(d), 1.0);
        if (tfidf)
            for (int64_t j = 0; j < d; ++j)
                idf_[size_t(j)] = std::log(n / (df[size_t(j)] > 0 ? df[size_t(j)] : 1e-8));
        // Zero-mean normalisation, and the exact per-column variance (no cancellation).
        mean_.assign(size_t(d), 0.0);
        std::vector<double> sq(size_t(d), 0.0), var(size_t(d), 0.0);
        for (const auto& r : train_)
            for (const auto& [c, v] : r) {
                const double w = v * idf_[size_t(c)];
                mean_[size_t(c)] += w;
                sq[size_t(c)] += w * w;
            }
        double second = 0;  // mean squared norm of the weighted rows: the scale of rounding
        for (int64_t j = 0; j < d; ++j) {
            mean_[size_t(j)] /= n;
            sq[size_t(j)] /= n;
            second += sq[size_t(j)];
            var[size_t(j)] = (n - df[size_t(j)]) * mean_[size_t(j)] * mean_[size_t(j)];
        }
        for (const auto& r : train_)
            for (const auto& [c, v] : r) {
                const double e = v * idf_[size_t(c)] - mean_[size_t(c)];
                var[size_t(c)] += e * e;
            }
        const double tol = 1e-10 * second;
        // Only the columns that vary in training can span principal components; the others
        // lie in the residual subspace with eigenvalue 0.
        std::vector<int64_t> active;
        std::vector<int64_t> pos(size_t(d), -1);
        for (int64_t j = 0; j < d; ++j)
            if (var[size_t(j)] / n > tol) {
                pos[size_t(j)] = int64_t(active.size());
                active.push_back(j);
            }
        const Eigen::Index a = Eigen::Index(active.size());
        progress(observer, "covariance", 0.1);
        Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(a, a);
        std::vector<std::pair<Eigen::Index, double>> nz;
        for (size_t i = 0; i < train_.size(); ++i) {
            if (ctx && (i & 1023) == 0) ctx->checkCancelled();
            nz.clear();
            for (const auto& [c, v] : train_[i])
                if (pos[size_t(c)] >= 0) nz.emplace_back(pos[size_t(c)], v * idf_[size_t(c)]);
            for (const auto& [p, wp] : nz)
                for (const auto& [q, wq] : nz) cov(p, q) += wp * wq;
        }
        for (Eigen::Index p = 0; p < a; ++p)
            for (Eigen::Index q = 0; q < a; ++q)
                cov(p, q) = cov(p, q) / n -
                            mean_[size_t(active[size_t(p)])] * mean_[size_t(active[size_t(q)])];
        if (ctx) ctx->checkCancelled();
        progress(observer, "eigendecomposition", 0.4);
        std::vector<double> lambda;  // descending
        Eigen::MatrixXd vectors;
        if (a > 0) {
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
            if (es.info() != Eigen::Success)
                throw std::runtime_error("pca: the eigendecomposition did not converge");
            vectors = es.eigenvectors().rowwise().reverse();
            for (Eigen::Index i = a - 1; i >= 0; --i) {
                const double l = es.eigenvalues()(i);
                lambda.push_back(l > tol ? l : 0.0);
            }
        }
        // Components kept: the fewest that explain n_components of the variance.
        const double total = std::accumulate(lambda.begin(), lambda.end(), 0.0);
        const double fraction = real("n_components");
        Eigen::Index k = 0;
        if (total > 0) {
            double cum = 0;
            while (k < a) {
                cum += lambda[size_t(k)];
                ++k;
                if (cum >= fraction * total * (1 - 1e-12)) break;
            }
        }
        P_ = Eigen::MatrixXd::Zero(d, k);
        for (Eigen::Index p = 0; p < a; ++p)
            for (Eigen::Index i = 0; i < k; ++i) P_(active[size_t(p)], i) = vectors(p, i);
        // The threshold: the Q-statistic of the residual eigenvalues. When training leaves no
        // variance in the residual subspace the limit is 0 (any residual is abnormal): the
        // largest training SPE is taken, raised to a rounding floor far below any real residual
        // (and to the smallest positive number, so that an SPE of 0 stays normal).
        const std::vector<double> residual(lambda.begin() + k, lambda.end());
        const std::string conf = text("confidence");
        threshold_ = qStatistic(residual, cAlphaOf(conf));
        if (!(std::isfinite(threshold_) && threshold_ > 0)) {
            threshold_ = std::max(std::numeric_limits<double>::min(), 1e-20 * second);
            for (size_t i = 0; i < train_.size(); ++i) {
                if (ctx && (i & 255) == 0) ctx->checkCancelled();
                threshold_ = std::max(threshold_, scoreRow(train_[i]));
            }
        }
        rule_ = "Q-statistic at " + percentText(conf);
        progress(observer, "done", 1.0);
    }

    std::optional<OwnThreshold> ownThreshold() const override {
        return OwnThreshold{threshold_, rule_};
    }

  protected:
    double scoreRow(const SparseRow& row) const override {
        Eigen::VectorXd y =
            -Eigen::Map<const Eigen::VectorXd>(mean_.data(), Eigen::Index(mean_.size()));
        for (const auto& [c, v] : row) y(c) += v * idf_[size_t(c)];
        if (P_.cols() == 0) return y.squaredNorm();
        const Eigen::VectorXd z = P_.transpose() * y;
        return (y - P_ * z).squaredNorm();
    }

    void saveModel(Json& j) const override {
        j["idf"] = idf_;
        j["mean"] = mean_;
        Json comps = Json::array();
        for (Eigen::Index i = 0; i < P_.cols(); ++i) {
            std::vector<double> col(size_t(P_.rows()));
            for (Eigen::Index r = 0; r < P_.rows(); ++r) col[size_t(r)] = P_(r, i);
            comps.push_back(col);
        }
        j["components"] = comps;
        j["threshold"] = threshold_;
        j["rule"] = rule_;
    }

    void loadModel(const Json& j) override {
        const size_t d = size_t(cols());
        idf_ = doubles(j.at("idf"));
        mean_ = doubles(j.at("mean"));
        requireSize(idf_.size(), d, "idf");
        requireSize(mean_.size(), d, "mean");
        const Json& comps = j.at("components");
        P_ = Eigen::MatrixXd::Zero(Eigen::Index(d), Eigen::Index(comps.size()));
        for (size_t i = 0; i < comps.size(); ++i) {
            const auto col = doubles(comps.at(i));
            requireSize(col.size(), d, "component " + std::to_string(i));
            for (size_t r = 0; r < d; ++r) P_(Eigen::Index(r), Eigen::Index(i)) = col[r];
        }
        threshold_ = j.at("threshold").get<double>();
        rule_ = j.at("rule").get<std::string>();
    }

  private:
    std::vector<double> idf_, mean_;
    Eigen::MatrixXd P_;  ///< cols x components, orthonormal columns
    double threshold_ = 0;
    std::string rule_;
};

// ---------------------------------------------------------------------------------------------
// Isolation Forest (Liu, Ting & Zhou, ICDM'08)

/// c(n): the mean path length of an unsuccessful search in a binary search tree of n points.
double averagePathLength(double n) {
    if (n <= 1) return 0.0;
    if (n <= 2) return 1.0;
    return 2.0 * (std::log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

struct ITree {
    std::vector<int32_t> feature;  ///< split column, -1 at an external node
    std::vector<double> split;     ///< x < split goes left
    std::vector<int32_t> left, right;
    std::vector<int64_t> size;  ///< training points at an external node
};

class IForestDetector final : public ClassicDetector {
  public:
    using ClassicDetector::ClassicDetector;

    void fit(const FitObserver& observer, TaskContext* ctx) override {
        const size_t n = train_.size();
        const int64_t treeCount = integer("trees");
        psi_ = int64_t(std::min<size_t>(size_t(integer("sample_size")), n));
        const int limit = psi_ > 1 ? int(std::ceil(std::log2(double(psi_)))) : 0;
        std::mt19937_64 g(uint64_t(integer("seed")));
        std::vector<size_t> perm(n);
        std::iota(perm.begin(), perm.end(), size_t(0));
        Scratch s;
        s.count.assign(size_t(cols()), 0);
        s.lo.assign(size_t(cols()), 0.0);
        s.hi.assign(size_t(cols()), 0.0);
        trees_.clear();
        for (int64_t t = 0; t < treeCount; ++t) {
            if (ctx) ctx->checkCancelled();
            // A sample of psi points without replacement (partial Fisher-Yates).
            for (size_t i = 0; i < size_t(psi_); ++i) std::swap(perm[i], perm[i + below(g, n - i)]);
            std::vector<size_t> idx(perm.begin(), perm.begin() + psi_);
            ITree tree;
            build(tree, idx, 0, idx.size(), 0, limit, g, s);
            trees_.push_back(std::move(tree));
            progress(observer, "trees", double(t + 1) / double(treeCount));
        }
    }

  protected:
    /// Every tree begins with the split on column 0 (templates never seen in training), which
    /// is constant 0 in training: as in Liu et al.'s iTree a split on a constant attribute
    /// leaves one side empty, so a sequence with unseen templates ends in that empty external
    /// node after one edge (h = 1). Below it, splits draw among the attributes that vary in
    /// the node (as scikit-learn), so that sparse high-dimensional counts do not spend the
    /// height limit on empty splits.
    double scoreRow(const SparseRow& row) const override {
        double sum = 0;
        if (params_.value("isolate_unseen", true) && valueAt(row, 0) > 0) {
            sum = double(trees_.size());
        } else {
            for (const auto& t : trees_) {
                int32_t node = 0;
                double e = 1;
                while (t.feature[size_t(node)] >= 0) {
                    e += 1;
                    node = valueAt(row, t.feature[size_t(node)]) < t.split[size_t(node)]
                               ? t.left[size_t(node)]
                               : t.right[size_t(node)];
                }
                sum += e + averagePathLength(double(t.size[size_t(node)]));
            }
        }
        const double mean = trees_.empty() ? 0.0 : sum / double(trees_.size());
        const double c = std::max(averagePathLength(double(psi_)), 1.0);
        return std::pow(2.0, -mean / c);
    }

    void saveModel(Json& j) const override {
        j["psi"] = psi_;
        Json trees = Json::array();
        for (const auto& t : trees_)
            trees.push_back({{"feature", t.feature},
                             {"split", t.split},
                             {"left", t.left},
                             {"right", t.right},
                             {"size", t.size}});
        j["trees"] = trees;
    }

    void loadModel(const Json& j) override {
        psi_ = j.at("psi").get<int64_t>();
        if (psi_ < 1) throw std::invalid_argument("psi must be positive");
        trees_.clear();
        for (const auto& jt : j.at("trees")) {
            ITree t;
            t.feature = jt.at("feature").get<std::vector<int32_t>>();
            t.split = doubles(jt.at("split"));
            t.left = jt.at("left").get<std::vector<int32_t>>();
            t.right = jt.at("right").get<std::vector<int32_t>>();
            t.size = jt.at("size").get<std::vector<int64_t>>();
            const size_t m = t.feature.size();
            if (m == 0) throw std::invalid_argument("an empty tree");
            requireSize(t.split.size(), m, "split");
            requireSize(t.left.size(), m, "left");
            requireSize(t.right.size(), m, "right");
            requireSize(t.size.size(), m, "size");
            for (size_t i = 0; i < m; ++i) {
                if (t.feature[i] < 0) continue;
                // Children come after their parent: no cycles, every walk ends.
                if (t.feature[i] >= cols() || t.left[i] <= int32_t(i) || t.right[i] <= int32_t(i) ||
                    size_t(t.left[i]) >= m || size_t(t.right[i]) >= m)
                    throw std::invalid_argument("tree node " + std::to_string(i) + " is malformed");
            }
            trees_.push_back(std::move(t));
        }
    }

  private:
    struct Scratch {
        std::vector<int64_t> count;
        std::vector<double> lo, hi;
        std::vector<int32_t> touched;
        struct Cand {
            int32_t col;
            double lo, hi;
        };
        std::vector<Cand> cand;
    };

    int32_t build(ITree& t, std::vector<size_t>& idx, size_t lo, size_t hi, int depth, int limit,
                  std::mt19937_64& g, Scratch& s) {
        const int32_t node = int32_t(t.feature.size());
        t.feature.push_back(-1);
        t.split.push_back(0);
        t.left.push_back(-1);
        t.right.push_back(-1);
        t.size.push_back(int64_t(hi - lo));
        const size_t n = hi - lo;
        if (depth >= limit || n <= 1) return node;
        // The attributes that vary among the node's points (absent = 0).
        s.touched.clear();
        for (size_t i = lo; i < hi; ++i)
            for (const auto& [c, v] : train_[idx[i]]) {
                if (c == 0) continue;  // column 0 is the root split's
                if (s.count[size_t(c)]++ == 0) {
                    s.touched.push_back(c);
                    s.lo[size_t(c)] = s.hi[size_t(c)] = v;
                } else {
                    s.lo[size_t(c)] = std::min(s.lo[size_t(c)], v);
                    s.hi[size_t(c)] = std::max(s.hi[size_t(c)], v);
                }
            }
        std::sort(s.touched.begin(), s.touched.end());
        s.cand.clear();
        for (int32_t c : s.touched) {
            double a = s.lo[size_t(c)], b = s.hi[size_t(c)];
            if (size_t(s.count[size_t(c)]) < n) a = std::min(a, 0.0), b = std::max(b, 0.0);
            if (a < b) s.cand.push_back({c, a, b});
            s.count[size_t(c)] = 0;
        }
        if (s.cand.empty()) return node;  // identical points
        const auto q = s.cand[below(g, s.cand.size())];
        double p = q.lo + uniformOpen(g) * (q.hi - q.lo);
        if (p <= q.lo) p = std::nextafter(q.lo, q.hi);
        const auto mid =
            std::partition(idx.begin() + std::ptrdiff_t(lo), idx.begin() + std::ptrdiff_t(hi),
                           [&](size_t r) { return valueAt(train_[r], q.col) < p; });
        const size_t m = size_t(mid - idx.begin());
        const int32_t l = build(t, idx, lo, m, depth + 1, limit, g, s);
        const int32_t r = build(t, idx, m, hi, depth + 1, limit, g, s);
        t.feature[size_t(node)] = q.col;
        t.split[size_t(node)] = p;
        t.left[size_t(node)] = l;
        t.right[size_t(node)] = r;
        return node;
    }

    int64_t psi_ = 1;
    std::vector<ITree> trees_;
};

// ---------------------------------------------------------------------------------------------
// LogClustering (Lin et al., ICSE'16; loglizer's LogClustering)

/// Cosine distance of a unit vector `x` to the dense vector `c` of norm `cNorm`.
double cosineDistance(const SparseRow& x, const std::vector<double>& c, double cNorm) {
    if (!(cNorm > 0)) return 1.0;
    double dot = 0;
    for (const auto& [col, v] : x) dot += v * c[size_t(col)];
    const double d = 1.0 - dot / cNorm;
    return d < 1e-12 ? 0.0 : std::min(d, 2.0);
}

double sparseDot(const SparseRow& a, const SparseRow& b) {
    double dot = 0;
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].first < b[j].first) {
            ++i;
        } else if (b[j].first < a[i].first) {
            ++j;
        } else {
            dot += a[i].second * b[j].second;
            ++i, ++j;
        }
    }
    return dot;
}

double norm(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    return std::sqrt(s);
}

class LogClusterDetector final : public ClassicDetector {
  public:
    using ClassicDetector::ClassicDetector;

    void fit(const FitObserver& observer, TaskContext* ctx) override {
        const int64_t d = cols();
        const double n = double(train_.size());
        maxDist_ = real("max_dist");
        // Smoothed IDF (ln((1 + N) / (1 + df)) + 1): a template in every training sequence
        // keeps weight 1, so no vector becomes all-zero, and a template never seen in training
        // (column 0) weighs most.
        const std::vector<double> df = documentFrequencies(train_, d);
        idf_.resize(size_t(d));
        for (int64_t j = 0; j < d; ++j)
            idf_[size_t(j)] = std::log((1.0 + n) / (1.0 + df[size_t(j)])) + 1.0;
        // Identical vectors are merged first by complete linkage at distance 0 and do not
        // change its distances: cluster the distinct ones, weighted by multiplicity.
        DistinctRows dist = distinctRows(train_, ctx);
        Rows x(dist.rows.size());
        for (size_t i = 0; i < x.size(); ++i) x[i] = unitVector(dist.rows[i]);
        const size_t m = x.size();
        const size_t cap = size_t(integer("max_train"));
        // Offline: complete linkage over at most max_train distinct vectors (a seeded sample);
        // the rest joins online as in loglizer's online mode.
        std::vector<size_t> offline(m), online;
        std::iota(offline.begin(), offline.end(), size_t(0));
        if (m > cap) {
            std::mt19937_64 g(uint64_t(integer("seed")));
            for (size_t i = 0; i < cap; ++i) std::swap(offline[i], offline[i + below(g, m - i)]);
            std::vector<char> chosen(m, 0);
            for (size_t i = 0; i < cap; ++i) chosen[offline[i]] = 1;
            offline.clear();
            for (size_t i = 0; i < m; ++i) (chosen[i] ? offline : online).push_back(i);
        }
        progress(observer, "clustering", 0.05);
        const std::vector<size_t> root = completeLinkage(x, offline, ctx);
        centroids_.clear();
        sizes_.clear();
        std::map<size_t, size_t> clusterOf;  // root -> cluster, in order of first member
        for (size_t i = 0; i < offline.size(); ++i) {
            auto [it, added] = clusterOf.emplace(root[i], centroids_.size());
            if (added) {
                centroids_.emplace_back(size_t(d), 0.0);
                sizes_.push_back(0.0);
            }
            const size_t k = it->second;
            const double w = dist.weights[offline[i]];
            for (const auto& [c, v] : x[offline[i]]) centroids_[k][size_t(c)] += w * v;
            sizes_[k] += w;
        }
        for (size_t k = 0; k < centroids_.size(); ++k)
            for (double& v : centroids_[k]) v /= sizes_[k];
        norms_.clear();
        for (const auto& c : centroids_) norms_.push_back(norm(c));
        progress(observer, "online assignment", 0.8);
        for (size_t oi = 0; oi < online.size(); ++oi) {
            if (ctx && (oi & 63) == 0) ctx->checkCancelled();
            const size_t i = online[oi];
            const auto [best, bestDist] = nearest(x[i]);
            const double w = dist.weights[i];
            if (best < centroids_.size() && bestDist <= maxDist_) {
                auto& c = centroids_[best];
                const double f = w / (sizes_[best] + w);
                for (double& v : c) v -= f * v;
                for (const auto& [col, v] : x[i]) c[size_t(col)] += f * v;
                sizes_[best] += w;
                norms_[best] = norm(c);
            } else {
                centroids_.emplace_back(size_t(d), 0.0);
                for (const auto& [col, v] : x[i]) centroids_.back()[size_t(col)] = v;
                sizes_.push_back(w);
                norms_.push_back(norm(centroids_.back()));
            }
        }
        progress(observer, "done", 1.0);
    }

    std::optional<OwnThreshold> ownThreshold() const override {
        // Flagged when farther than max_dist (loglizer: distance > max_dist), as score >= the
        // next double above it.
        return OwnThreshold{std::nextafter(maxDist_, std::numeric_limits<double>::infinity()),
                            "farther than max-dist from every normal cluster"};
    }

  protected:
    double scoreRow(const SparseRow& row) const override { return nearest(unitVector(row)).second; }

    void saveModel(Json& j) const override {
        j["idf"] = idf_;
        j["max_dist"] = maxDist_;
        Json cs = Json::array();
        for (size_t k = 0; k < centroids_.size(); ++k) {
            std::vector<int64_t> at;
            std::vector<double> val;
            for (size_t c = 0; c < centroids_[k].size(); ++c)
                if (centroids_[k][c] != 0)
                    at.push_back(int64_t(c)), val.push_back(centroids_[k][c]);
            cs.push_back({{"columns", at}, {"values", val}, {"size", sizes_[k]}});
        }
        j["centroids"] = cs;
    }

    void loadModel(const Json& j) override {
        const size_t d = size_t(cols());
        idf_ = doubles(j.at("idf"));
        requireSize(idf_.size(), d, "idf");
        maxDist_ = j.at("max_dist").get<double>();
        centroids_.clear();
        sizes_.clear();
        norms_.clear();
        for (const auto& jc : j.at("centroids")) {
            const auto at = jc.at("columns").get<std::vector<int64_t>>();
            const auto val = doubles(jc.at("values"));
            requireSize(val.size(), at.size(), "centroid values");
            std::vector<double> c(d, 0.0);
            for (size_t i = 0; i < at.size(); ++i) {
                if (at[i] < 0 || size_t(at[i]) >= d)
                    throw std::invalid_argument("centroid column " + std::to_string(at[i]) +
                                                " outside the vocabulary");
                c[size_t(at[i])] = val[i];
            }
            centroids_.push_back(std::move(c));
            sizes_.push_back(jc.at("size").get<double>());
            norms_.push_back(norm(centroids_.back()));
        }
    }

  private:
    SparseRow unitVector(const SparseRow& counts) const {
        SparseRow v;
        v.reserve(counts.size());
        double s = 0;
        for (const auto& [c, x] : counts) {
            const double w = x * idf_[size_t(c)];
            v.emplace_back(c, w);
            s += w * w;
        }
        if (s > 0) {
            const double inv = 1.0 / std::sqrt(s);
            for (auto& e : v) e.second *= inv;
        }
        return v;
    }

    /// The nearest centroid and its distance (1 when there is none); ties go to the first.
    std::pair<size_t, double> nearest(const SparseRow& unit) const {
        size_t best = centroids_.size();
        double bestDist = 1.0;
        for (size_t k = 0; k < centroids_.size(); ++k) {
            const double dk = cosineDistance(unit, centroids_[k], norms_[k]);
            if (best == centroids_.size() || dk < bestDist) best = k, bestDist = dk;
        }
        return {best, bestDist};
    }

    /// Complete-linkage clusters of x[members] cut at max_dist (scipy's fcluster 'distance'),
    /// by the nearest-neighbour chain over a condensed distance matrix (float, O(m^2) memory).
    /// A reciprocal nearest pair farther apart than max_dist can never merge below it (complete
    /// linkage distances only grow), so both are closed. Returns each member's cluster root.
    std::vector<size_t> completeLinkage(const Rows& x, const std::vector<size_t>& members,
                                        TaskContext* ctx) const {
        const size_t m = members.size();
        std::vector<size_t> root(m);
        std::iota(root.begin(), root.end(), size_t(0));
        if (m < 2) return root;
        auto at = [m](size_t i, size_t j) {
            if (i > j) std::swap(i, j);
            return i * (2 * m - i - 1) / 2 + (j - i - 1);
        };
        std::vector<float> dist(m * (m - 1) / 2);
        for (size_t i = 0; i < m; ++i) {
            if (ctx && (i & 63) == 0) ctx->checkCancelled();
            for (size_t j = i + 1; j < m; ++j) {
                double dij = 1.0 - sparseDot(x[members[i]], x[members[j]]);
                if (dij < 1e-12) dij = 0;
                dist[at(i, j)] = float(dij);
            }
        }
        // Union-find over the members; a merged cluster keeps the smaller index.
        std::vector<size_t> parent(m);
        std::iota(parent.begin(), parent.end(), size_t(0));
        auto find = [&parent](size_t i) {
            while (parent[i] != i) i = parent[i] = parent[parent[i]];
            return i;
        };
        std::vector<char> open(m, 1);
        size_t left = m;
        std::vector<size_t> chain;
        const float cut = float(maxDist_);
        size_t steps = 0;
        while (left > 0) {
            if (ctx && (++steps & 255) == 0) ctx->checkCancelled();
            if (chain.empty()) {
                size_t first = 0;
                while (!open[first]) ++first;
                if (left == 1) {
                    open[first] = 0;
                    --left;
                    break;
                }
                chain.push_back(first);
            }
            const size_t a = chain.back();
            const size_t prev = chain.size() >= 2 ? chain[chain.size() - 2] : m;
            size_t b = prev;
            float bd = prev < m ? dist[at(a, prev)] : std::numeric_limits<float>::infinity();
            for (size_t c = 0; c < m; ++c) {
                if (!open[c] || c == a) continue;
                const float dc = dist[at(a, c)];
                if (b == m || dc < bd) b = c, bd = dc;  // ties keep the chain's predecessor
            }
            if (b == m) {  // a is the last open cluster
                open[a] = 0;
                --left;
                chain.clear();
                continue;
            }
            if (b != prev) {
                chain.push_back(b);
                continue;
            }
            chain.pop_back();
            chain.pop_back();
            if (bd > cut) {  // reciprocal nearest neighbours too far apart: both are final
                open[a] = open[b] = 0;
                left -= 2;
                continue;
            }
            const size_t keep = std::min(a, b), drop = std::max(a, b);
            for (size_t c = 0; c < m; ++c)
                if (open[c] && c != keep && c != drop)
                    dist[at(keep, c)] = std::max(dist[at(keep, c)], dist[at(drop, c)]);
            open[drop] = 0;
            --left;
            parent[find(drop)] = find(keep);
        }
        for (size_t i = 0; i < m; ++i) root[i] = find(i);
        return root;
    }

    double maxDist_ = 0.3;
    std::vector<double> idf_;
    std::vector<std::vector<double>> centroids_;
    std::vector<double> sizes_, norms_;
};

// ---------------------------------------------------------------------------------------------
// Invariants Mining (Lou et al., USENIX ATC'10; loglizer's InvariantsMiner)

constexpr double kInvariantEpsilon = 0.5;  // loglizer's epsilon: |x . theta| < 0.5 holds

struct Invariant {
    std::vector<int32_t> cols;
    std::vector<double> theta;  ///< integer coefficients
};

class InvariantsDetector final : public ClassicDetector {
  public:
    using ClassicDetector::ClassicDetector;

    void fit(const FitObserver& observer, TaskContext* ctx) override {
        const int64_t d = cols();
        const double n = double(train_.size());
        const double pct = real("percentage");
        const size_t maxSize = size_t(integer("max_size"));
        const size_t maxColumns = size_t(integer("max_columns"));
        invariants_.clear();
        // Columns that are zero in every training sequence (column 0: templates never seen in
        // training) are invariants of one template: count = 0.
        const std::vector<double> df = documentFrequencies(train_, d);
        std::vector<int32_t> cand;
        for (int64_t j = 0; j < d; ++j) {
            if (df[size_t(j)] == 0)
                invariants_.push_back({{int32_t(j)}, {1.0}});
            else
                cand.push_back(int32_t(j));
        }
        // Bounded search: the max_columns templates in most training sequences.
        std::stable_sort(cand.begin(), cand.end(),
                         [&df](int32_t a, int32_t b) { return df[size_t(a)] > df[size_t(b)]; });
        if (cand.size() > maxColumns) cand.resize(maxColumns);
        std::sort(cand.begin(), cand.end());
        const size_t c = cand.size();
        // The training vectors on those columns, distinct with multiplicities.
        std::map<std::vector<double>, double> proj;
        for (size_t i = 0; i < train_.size(); ++i) {
            if (ctx && (i & 1023) == 0) ctx->checkCancelled();
            std::vector<double> z(c, 0.0);
            for (size_t k = 0; k < c; ++k) z[k] = valueAt(train_[i], cand[k]);
            proj[z] += 1.0;
        }
        Z_ = Eigen::MatrixXd(Eigen::Index(proj.size()), Eigen::Index(c));
        W_ = Eigen::VectorXd(Eigen::Index(proj.size()));
        {
            Eigen::Index r = 0;
            for (const auto& [z, w] : proj) {
                for (size_t k = 0; k < c; ++k) Z_(r, Eigen::Index(k)) = z[k];
                W_(r++) = w;
            }
        }
        need_ = pct * n;
        progress(observer, "invariant space", 0.1);
        const Eigen::MatrixXd gram = Z_.transpose() * W_.asDiagonal() * Z_;
        // How many invariants to look for: the dimension of the (almost) null space, counted
        // from the smallest singular direction while it holds for `percentage` of training.
        size_t wanted = invariants_.size();
        if (c > 0) {
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(gram);
            if (es.info() != Eigen::Success)
                throw std::runtime_error("invariants: the eigendecomposition did not converge");
            for (Eigen::Index i = 0; i < Eigen::Index(c); ++i) {
                if (support(Z_ * es.eigenvectors().col(i)) >= need_)
                    ++wanted;
                else
                    break;
            }
        }
        // Apriori search over column sets of growing size: a set is tried only when all its
        // subsets one smaller were tried without being (or containing) an invariant.
        using Set = std::vector<size_t>;  // indices into cand, ascending
        std::vector<Set> level;
        for (size_t k = 0; k < c; ++k) level.push_back({k});
        std::vector<Set> found;
        size_t tried = 0;
        for (size_t size = 2; size <= maxSize && invariants_.size() < wanted && !level.empty();
             ++size) {
            const std::set<Set> alive(level.begin(), level.end());
            std::vector<Set> next;
            for (size_t a = 0; a < level.size() && invariants_.size() < wanted; ++a)
                for (size_t b = a + 1; b < level.size() && invariants_.size() < wanted; ++b) {
                    // Join two sets sharing all but their last column.
                    if (!std::equal(level[a].begin(), level[a].end() - 1, level[b].begin())) break;
                    Set s = level[a];
                    s.push_back(level[b].back());
                    bool ok = true;
                    for (size_t drop = 0; ok && drop + 2 < s.size(); ++drop) {
                        Set sub = s;
                        sub.erase(sub.begin() + std::ptrdiff_t(drop));
                        ok = alive.count(sub) > 0;
                    }
                    for (size_t f = 0; ok && f < found.size(); ++f)
                        ok = !std::includes(s.begin(), s.end(), found[f].begin(), found[f].end());
                    if (!ok) continue;
                    if (ctx && (++tried & 63) == 0) ctx->checkCancelled();
                    std::vector<double> theta;
                    if (valid(gram, s, theta)) {
                        Invariant inv;
                        for (size_t k : s) inv.cols.push_back(cand[k]);
                        inv.theta = theta;
                        invariants_.push_back(std::move(inv));
                        found.push_back(s);
                    } else {
                        next.push_back(std::move(s));
                    }
                }
            level = std::move(next);
            progress(observer, "invariants of " + std::to_string(size) + " templates",
                     0.1 + 0.9 * double(size - 1) / double(std::max<size_t>(maxSize - 1, 1)));
        }
        Z_.resize(0, 0);
        W_.resize(0);
        progress(observer, "done", 1.0);
    }

    std::optional<OwnThreshold> ownThreshold() const override {
        return OwnThreshold{0.5, "violates a mined invariant"};
    }

  protected:
    double scoreRow(const SparseRow& row) const override {
        double violated = 0;
        for (const auto& inv : invariants_) {
            double s = 0;
            for (size_t k = 0; k < inv.cols.size(); ++k)
                s += inv.theta[k] * valueAt(row, inv.cols[k]);
            if (std::abs(s) >= kInvariantEpsilon) violated += 1;
        }
        return violated;
    }

    void saveModel(Json& j) const override {
        Json a = Json::array();
        for (const auto& inv : invariants_)
            a.push_back({{"columns", inv.cols}, {"theta", inv.theta}});
        j["invariants"] = a;
    }

    void loadModel(const Json& j) override {
        invariants_.clear();
        for (const auto& ji : j.at("invariants")) {
            Invariant inv;
            inv.cols = ji.at("columns").get<std::vector<int32_t>>();
            inv.theta = doubles(ji.at("theta"));
            requireSize(inv.theta.size(), inv.cols.size(), "invariant coefficients");
            for (int32_t c : inv.cols)
                if (c < 0 || c >= cols())
                    throw std::invalid_argument("invariant column " + std::to_string(c) +
                                                " outside the vocabulary");
            invariants_.push_back(std::move(inv));
        }
    }

  private:
    /// Training weight of the distinct rows where |values| < epsilon.
    double support(const Eigen::VectorXd& values) const {
        double s = 0;
        for (Eigen::Index r = 0; r < values.size(); ++r)
            if (std::abs(values(r)) < kInvariantEpsilon) s += W_(r);
        return s;
    }

    /// Whether the columns `s` hold an invariant: the smallest singular direction of their
    /// counts, scaled so that its smallest coefficient is 1, 2 or 3 and rounded to integers
    /// (loglizer), holds for `percentage` of the training sequences. A relation among columns
    /// that are zero in all but a (1 - percentage) share of training holds trivially and is
    /// refused.
    bool valid(const Eigen::MatrixXd& gram, const std::vector<size_t>& s,
               std::vector<double>& theta) const {
        const Eigen::Index k = Eigen::Index(s.size());
        Eigen::MatrixXd sub(k, k);
        for (Eigen::Index a = 0; a < k; ++a)
            for (Eigen::Index b = 0; b < k; ++b)
                sub(a, b) = gram(Eigen::Index(s[size_t(a)]), Eigen::Index(s[size_t(b)]));
        Eigen::MatrixXd z(Z_.rows(), k);
        for (Eigen::Index a = 0; a < k; ++a) z.col(a) = Z_.col(Eigen::Index(s[size_t(a)]));
        double touched = 0;
        for (Eigen::Index r = 0; r < z.rows(); ++r)
            if ((z.row(r).array() != 0).any()) touched += W_(r);
        if (!(touched > W_.sum() - need_)) return false;
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(sub);
        if (es.info() != Eigen::Success) return false;
        Eigen::VectorXd v = es.eigenvectors().col(0);
        const double minAbs = v.cwiseAbs().minCoeff();
        if (!(minAbs > 1e-6)) return false;  // a smaller set holds the relation
        if (v(0) < 0) v = -v;
        for (double scale : {1.0, 2.0, 3.0}) {
            Eigen::VectorXd t = (v * (scale / minAbs)).array().round();
            if ((t.array() == 0).any()) continue;
            if (support(z * t) >= need_) {
                theta.assign(t.data(), t.data() + t.size());
                return true;
            }
        }
        return false;
    }

    std::vector<Invariant> invariants_;
    Eigen::MatrixXd Z_;  ///< fitting only: distinct training rows on the candidate columns
    Eigen::VectorXd W_;  ///< their multiplicities
    double need_ = 0;    ///< training weight an invariant must hold for
};

// ---------------------------------------------------------------------------------------------

template <class D>
DetectorFactory factory(const std::string& id) {
    return [id](const Json& params) { return std::make_unique<D>(id, params); };
}

}  // namespace

std::vector<std::pair<DetectorInfo, DetectorFactory>> classicDetectors() {
    using P = ParamSpec;
    std::vector<std::pair<DetectorInfo, DetectorFactory>> out;
    auto add = [&out](DetectorInfo info, const ParamList& own, DetectorFactory make) {
        info.iterative = false;
        info.params = joinParams({params::classicFitting(), own, params::threshold()});
        out.emplace_back(std::move(info), std::move(make));
    };
    {
        DetectorInfo info;
        info.id = "pca";
        info.displayName = "PCA";
        info.description =
            "PCA (Xu et al., SOSP 2009, as in loglizer): template count vectors, TF-IDF weighted "
            "and centred, scored by their squared prediction error (SPE) off the principal "
            "subspace; flagged above Jackson and Mudholkar's Q-statistic.";
        info.scoreName = "SPE";
        add(std::move(info),
            {P::text("term_weighting", "tf-idf", "none|tf-idf", "model",
                     "weighting of the template counts before centring"),
             P::real("n_components", 0.95, 0.001, 1.0, "model",
                     "principal components kept: the fewest explaining this share of the "
                     "variance"),
             P::text("confidence", "0.99", "0.92|0.99|0.999", "threshold",
                     "confidence of the Q-statistic threshold (c_alpha 1.7507 | 2.5758 | "
                     "3.2905)")},
            factory<PcaDetector>("pca"));
    }
    {
        DetectorInfo info;
        info.id = "iforest";
        info.displayName = "Isolation Forest";
        info.description =
            "Isolation Forest (Liu et al., ICDM 2008) on template count vectors: the score "
            "2^(-E[h]/c(n)) from the mean path length over random isolation trees, where "
            "templates never seen in training isolate a sequence at the root.";
        info.scoreName = "anomaly score";
        add(std::move(info),
            {P::integer("trees", 100, 1, 10000, "model", "isolation trees"),
             P::integer("sample_size", 256, 2, 1048576, "model",
                        "training sequences drawn per tree (at most all)"),
             P::flag("isolate_unseen", true, "model",
                     "isolate sequences with templates never seen in training at the root "
                     "(off: Liu et al.'s trees alone, which cannot split on that column)")},
            factory<IForestDetector>("iforest"));
    }
    {
        DetectorInfo info;
        info.id = "logcluster";
        info.displayName = "LogClustering";
        info.description =
            "LogClustering (Lin et al., ICSE 2016, as in loglizer): IDF-weighted, normalised "
            "count vectors of the training sequences are clustered agglomeratively (complete "
            "linkage, cosine distance); a sequence is scored by its distance to the nearest "
            "cluster centroid.";
        info.scoreName = "distance";
        add(std::move(info),
            {P::real("max_dist", 0.3, 1e-6, 1.0, "model",
                     "cosine distance that closes a cluster; farther sequences are anomalous"),
             P::integer("max_train", 5000, 2, 10000, "model",
                        "distinct training vectors clustered offline (a seeded sample); the "
                        "rest join the nearest cluster online")},
            factory<LogClusterDetector>("logcluster"));
    }
    {
        DetectorInfo info;
        info.id = "invariants";
        info.displayName = "Invariants Mining";
        info.description =
            "Invariants Mining (Lou et al., USENIX ATC 2010, as in loglizer): sparse integer "
            "linear relations among template counts that hold for almost all training "
            "sequences; a sequence is scored by the number of relations it violates.";
        info.scoreName = "violations";
        add(std::move(info),
            {P::real("percentage", 0.98, 0.5, 1.0, "model",
                     "share of training sequences an invariant must hold for"),
             P::integer("max_size", 3, 2, 4, "model", "most templates in one invariant"),
             P::integer("max_columns", 60, 2, 200, "model",
                        "templates searched: those in most training sequences")},
            factory<InvariantsDetector>("invariants"));
    }
    return out;
}

}  // namespace mlad
