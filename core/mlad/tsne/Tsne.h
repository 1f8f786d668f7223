#pragma once
// t-SNE (van der Maaten & Hinton 2008) for the projection view and `mlad tsne`: plain C++ on
// Eigen, FFTW and hnswlib; no LibTorch, no Qt.
//
// Affinities: perplexity calibrated by binary search per point over its k = 3 x perplexity
// nearest neighbours (exact by blocked distance products for small n, HNSW built in a fixed
// order for large n), symmetrised into a sparse P. Gradient: exact O(n^2) (the reference, for
// tests), Barnes-Hut (quadtree, theta) or FFT-accelerated interpolation (Linderman et al. 2019:
// Lagrange interpolation on a uniform grid per box, the Cauchy kernel's Toeplitz structure
// convolved with FFTW), chosen by n as openTSNE's "auto". Optimisation as openTSNE: early
// exaggeration, momentum 0.5 -> 0.8, gains, learning rate max(n / exaggeration, 50) per phase,
// PCA initialisation scaled to standard deviation 1e-4.
//
// Deterministic for a fixed seed and thread count: work is split into fixed contiguous chunks
// and partial sums are added in chunk order; the HNSW graph is built on one thread in point order.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mlad/task/Task.h"

namespace mlad::tsne {

enum class Method { Auto, Exact, BarnesHut, Fft };
enum class Neighbors { Auto, Exact, Hnsw };
enum class Init { Pca, Random };

/// "auto" | "exact" | "bh" | "fft"; throws std::invalid_argument with the accepted names.
Method parseMethod(const std::string& s);
std::string methodName(Method m);

struct Options {
    double perplexity = 30.0;
    int iterations = 1000;  ///< total, early exaggeration included
    int exaggerationIters = 250;
    double exaggeration = 12.0;
    double learningRate = 0.0;  ///< 0 = auto: max(n / exaggeration in force, 50)
    double momentumEarly = 0.5, momentumLate = 0.8;
    double theta = 0.5;           ///< Barnes-Hut opening angle
    int interpolationPoints = 3;  ///< FFT: nodes per box and dimension
    int minIntervals = 50;        ///< FFT: least boxes per dimension
    Method method = Method::Auto;
    Neighbors neighbors = Neighbors::Auto;
    Init init = Init::Pca;
    uint64_t seed = 1;
    int threads = 0;      ///< 0 = hardware threads
    int klEvery = 50;     ///< KL divergence every this many iterations (0 = never)
    int layoutEvery = 0;  ///< hand out the layout every this many iterations (0 = never)
    /// Called with (iteration, n x 2 row-major layout) every layoutEvery iterations and at the end.
    std::function<void(int, const std::vector<double>&)> onLayout;
    /// Called with (iteration, KL divergence) every klEvery iterations and at the end.
    std::function<void(int, double)> onKl;
};

/// Sparse symmetric joint probabilities P (CSR, rows sum to the row's share of 1).
struct Affinities {
    int64_t n = 0;
    std::vector<int64_t> rowStart;  ///< n + 1 offsets
    std::vector<int32_t> col;
    std::vector<double> val;
};

/// Conditional affinities of each point over its k nearest neighbours, for tests: the calibrated
/// entropies (natural log) per point, next to log(perplexity).
struct Calibration {
    std::vector<double> entropy;
    std::vector<double> beta;
};

/// Points: n x d row-major.
struct Matrix {
    int64_t n = 0, d = 0;
    std::vector<double> data;
    const double* row(int64_t i) const { return data.data() + i * d; }
};

/// k nearest neighbours (excluding the point itself) by Euclidean distance: indices and squared
/// distances, n x k row-major, nearest first.
struct Knn {
    int64_t k = 0;
    std::vector<int32_t> index;
    std::vector<double> dist2;
};
Knn nearestNeighbors(const Matrix& x, int64_t k, Neighbors how, int threads, uint64_t seed,
                     TaskContext* task = nullptr);

/// P from the kNN graph: per-point binary search on the Gaussian precision to hit the perplexity,
/// then (P_j|i + P_i|j) / 2n. `calibration`, when given, receives the per-point entropies.
Affinities affinities(const Knn& knn, double perplexity, int threads,
                      Calibration* calibration = nullptr);

struct Result {
    std::vector<double> y;  ///< n x 2 row-major
    double kl = 0.0;        ///< final KL divergence
    Method method = Method::Exact;
    Neighbors neighbors = Neighbors::Exact;
    int iterations = 0;
    double seconds = 0.0;
    std::vector<std::pair<int, double>> klTrace;
};

/// The whole pipeline. Throws std::invalid_argument for bad options or data (fewer than 4
/// points, non-finite values, perplexity >= n), Cancelled when the task is cancelled (checked
/// every iteration). Progress: stage "affinities" then "optimising" with done = iteration.
Result run(const Matrix& x, const Options& options, TaskContext* task = nullptr);

/// The optimiser alone from given affinities and initial layout (tests compare gradients).
Result optimise(const Affinities& p, std::vector<double> y0, const Options& options,
                TaskContext* task = nullptr);

/// KL(P || Q) of a layout, computed exactly (O(n^2); tests and small n).
double klDivergenceExact(const Affinities& p, const std::vector<double>& y);

/// Trustworthiness (Venna & Kaski) with k neighbours, exact ranks in the input space (O(n^2 d)).
double trustworthiness(const Matrix& x, const std::vector<double>& y, int k, int threads = 0);

/// Share of each point's k nearest neighbours in the input that are among its k nearest in the
/// layout (kNN preservation), averaged over points.
double knnPreservation(const Matrix& x, const std::vector<double>& y, int k, int threads = 0);

}  // namespace mlad::tsne
