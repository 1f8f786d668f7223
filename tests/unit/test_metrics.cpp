// Tests for mlad::eval metrics: every fast path is compared with a brute-force definition on
// random data (with ties and infinities), plus small cases checked by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "mlad/eval/Metrics.h"

using mlad::eval::atPrevalence;
using mlad::eval::Confusion;
using mlad::eval::quantile;
using mlad::eval::ThresholdSweep;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Data {
    std::vector<double> scores;
    std::vector<uint8_t> labels;
};

// kind 0: few distinct integer scores (many ties); 1: continuous; 2: continuous with some
// +-inf and repeated values mixed in.
Data randomData(uint32_t seed, size_t n, int kind, double posRate = 0.3) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution isPos(posRate);
    std::uniform_int_distribution<int> small(0, 6);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_int_distribution<int> pick(0, 19);
    Data d;
    for (size_t i = 0; i < n; ++i) {
        const bool pos = isPos(rng);
        double s;
        if (kind == 0) {
            s = small(rng) + (pos ? 1 : 0);  // positives a bit higher, still overlapping
        } else {
            s = normal(rng) + (pos ? 1.0 : 0.0);
            if (kind == 2) {
                const int p = pick(rng);
                if (p == 0) s = kInf;
                if (p == 1) s = -kInf;
                if (p == 2 && !d.scores.empty()) s = d.scores[i / 2];
            }
        }
        d.scores.push_back(s);
        d.labels.push_back(pos ? 1 : 0);
    }
    return d;
}

Confusion bruteConfusion(const Data& d, double t) {
    Confusion c;
    for (size_t i = 0; i < d.scores.size(); ++i) {
        const bool predicted = d.scores[i] >= t;
        const bool actual = d.labels[i] == 1;
        if (predicted && actual) ++c.tp;
        if (predicted && !actual) ++c.fp;
        if (!predicted && actual) ++c.fn;
        if (!predicted && !actual) ++c.tn;
    }
    return c;
}

std::vector<double> distinctDescending(const std::vector<double>& v) {
    std::set<double> s(v.begin(), v.end());
    return std::vector<double>(s.rbegin(), s.rend());
}

// Thresholds worth probing: every score, its neighbours, midpoints, and values outside.
std::vector<double> probeThresholds(const Data& d) {
    std::vector<double> t = {kInf, -kInf, 0.0, -1e300, 1e300};
    const auto distinct = distinctDescending(d.scores);
    for (size_t i = 0; i < distinct.size(); ++i) {
        const double s = distinct[i];
        t.push_back(s);
        t.push_back(std::nextafter(s, kInf));
        t.push_back(std::nextafter(s, -kInf));
        if (i + 1 < distinct.size() && std::isfinite(s) && std::isfinite(distinct[i + 1])) {
            t.push_back(0.5 * (s + distinct[i + 1]));
        }
    }
    return t;
}

ThresholdSweep::Best bruteBestF1(const Data& d) {
    ThresholdSweep::Best best{kInf, Confusion{}, 0.0};
    bool first = true;
    for (double t : distinctDescending(d.scores)) {
        const Confusion c = bruteConfusion(d, t);
        const double tp = double(c.tp), fp = double(c.fp), fn = double(c.fn);
        const double f1 = (2 * tp + fp + fn) == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
        if (first || f1 > best.f1) best = {t, c, f1};
        first = false;
    }
    return best;
}

double bruteAuc(const Data& d) {
    double wins = 0.0;
    uint64_t pairs = 0;
    for (size_t i = 0; i < d.scores.size(); ++i) {
        if (d.labels[i] != 1) continue;
        for (size_t j = 0; j < d.scores.size(); ++j) {
            if (d.labels[j] != 0) continue;
            ++pairs;
            if (d.scores[i] > d.scores[j]) wins += 1.0;
            if (d.scores[i] == d.scores[j]) wins += 0.5;
        }
    }
    return wins / double(pairs);
}

// sklearn: AP = sum_k (R_k - R_{k-1}) P_k over distinct thresholds, highest first.
double bruteAp(const Data& d) {
    double ap = 0.0, prevRecall = 0.0;
    for (double t : distinctDescending(d.scores)) {
        const Confusion c = bruteConfusion(d, t);
        const double p = double(c.tp) / double(c.tp + c.fp);
        const double r = double(c.tp) / double(c.tp + c.fn);
        ap += (r - prevRecall) * p;
        prevRecall = r;
    }
    return ap;
}

double trapezoidArea(const std::vector<ThresholdSweep::CurvePoint>& pts) {
    double a = 0.0;
    for (size_t i = 1; i < pts.size(); ++i) {
        a += (pts[i].x - pts[i - 1].x) * 0.5 * (pts[i].y + pts[i - 1].y);
    }
    return a;
}

void expectSameConfusion(const Confusion& a, const Confusion& b, double t) {
    EXPECT_EQ(a.tp, b.tp) << "threshold " << t;
    EXPECT_EQ(a.fp, b.fp) << "threshold " << t;
    EXPECT_EQ(a.tn, b.tn) << "threshold " << t;
    EXPECT_EQ(a.fn, b.fn) << "threshold " << t;
}

}  // namespace

// ---- Confusion ---------------------------------------------------------------------------------

TEST(Confusion, RatiosHandChecked) {
    const Confusion c{3, 1, 4, 2};  // tp fp tn fn
    EXPECT_DOUBLE_EQ(c.precision(), 3.0 / 4.0);
    EXPECT_DOUBLE_EQ(c.recall(), 3.0 / 5.0);
    // F1 = 2PR/(P+R) = 2*0.75*0.6/1.35 = 2/3
    EXPECT_DOUBLE_EQ(c.f1(), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(c.specificity(), 4.0 / 5.0);
    EXPECT_DOUBLE_EQ(c.fpr(), 1.0 / 5.0);
    EXPECT_DOUBLE_EQ(c.accuracy(), 7.0 / 10.0);
    EXPECT_EQ(c.total(), 10u);
}

TEST(Confusion, UndefinedRatiosAreZero) {
    const Confusion empty;
    EXPECT_EQ(empty.precision(), 0.0);
    EXPECT_EQ(empty.recall(), 0.0);
    EXPECT_EQ(empty.f1(), 0.0);
    EXPECT_EQ(empty.specificity(), 0.0);
    EXPECT_EQ(empty.fpr(), 0.0);
    EXPECT_EQ(empty.accuracy(), 0.0);

    const Confusion onlyNegatives{0, 0, 5, 0};
    EXPECT_EQ(onlyNegatives.precision(), 0.0);  // nothing predicted
    EXPECT_EQ(onlyNegatives.recall(), 0.0);     // no positives
    EXPECT_EQ(onlyNegatives.f1(), 0.0);
    EXPECT_EQ(onlyNegatives.specificity(), 1.0);
    EXPECT_EQ(onlyNegatives.accuracy(), 1.0);

    const Confusion onlyPositives{2, 0, 0, 1};
    EXPECT_EQ(onlyPositives.specificity(), 0.0);  // no negatives
    EXPECT_EQ(onlyPositives.fpr(), 0.0);
    EXPECT_DOUBLE_EQ(onlyPositives.precision(), 1.0);
}

// ---- ThresholdSweep vs brute force -------------------------------------------------------------

TEST(ThresholdSweep, AtMatchesBruteForceOnRandomData) {
    uint32_t seed = 1;
    for (size_t n : {1, 2, 3, 10, 137, 800}) {
        for (int kind = 0; kind < 3; ++kind) {
            const Data d = randomData(seed++, n, kind);
            const ThresholdSweep sweep(d.scores, d.labels);
            ASSERT_EQ(sweep.size(), n);
            uint64_t pos = 0;
            for (uint8_t l : d.labels) pos += l;
            EXPECT_EQ(sweep.positives(), pos);
            EXPECT_EQ(sweep.negatives(), n - pos);
            EXPECT_TRUE(std::is_sorted(sweep.sortedScores().begin(), sweep.sortedScores().end()));
            EXPECT_EQ(sweep.minScore(), *std::min_element(d.scores.begin(), d.scores.end()));
            EXPECT_EQ(sweep.maxScore(), *std::max_element(d.scores.begin(), d.scores.end()));
            for (double t : probeThresholds(d)) {
                expectSameConfusion(sweep.at(t), bruteConfusion(d, t), t);
            }
        }
    }
}

TEST(ThresholdSweep, OracleBestF1MatchesBruteForce) {
    uint32_t seed = 100;
    for (size_t n : {1, 2, 5, 60, 500}) {
        for (int kind = 0; kind < 3; ++kind) {
            for (double posRate : {0.05, 0.5, 0.9}) {
                const Data d = randomData(seed++, n, kind, posRate);
                const ThresholdSweep sweep(d.scores, d.labels);
                const auto got = sweep.oracleBestF1();
                const auto want = bruteBestF1(d);
                EXPECT_EQ(got.threshold, want.threshold) << "n=" << n << " kind=" << kind;
                expectSameConfusion(got.confusion, want.confusion, want.threshold);
                EXPECT_NEAR(got.f1, want.f1, 1e-15);
                EXPECT_EQ(got.confusion, sweep.at(got.threshold));
            }
        }
    }
}

TEST(ThresholdSweep, RocAucMatchesPairwiseCount) {
    uint32_t seed = 200;
    for (size_t n : {2, 7, 90, 700}) {
        for (int kind = 0; kind < 3; ++kind) {
            Data d = randomData(seed++, n, kind);
            // Guarantee both classes so the AUC is defined.
            d.labels[0] = 1;
            d.labels[1] = 0;
            const ThresholdSweep sweep(d.scores, d.labels);
            EXPECT_NEAR(sweep.rocAuc(), bruteAuc(d), 1e-12) << "n=" << n << " kind=" << kind;
        }
    }
}

TEST(ThresholdSweep, AveragePrecisionMatchesBruteForce) {
    uint32_t seed = 300;
    for (size_t n : {1, 2, 7, 90, 700}) {
        for (int kind = 0; kind < 3; ++kind) {
            Data d = randomData(seed++, n, kind);
            d.labels[0] = 1;
            const ThresholdSweep sweep(d.scores, d.labels);
            EXPECT_NEAR(sweep.averagePrecision(), bruteAp(d), 1e-12)
                << "n=" << n << " kind=" << kind;
        }
    }
}

// The sklearn documentation example: y = [0,0,1,1], scores = [0.1,0.4,0.35,0.8].
TEST(ThresholdSweep, SmallCaseHandChecked) {
    const ThresholdSweep sweep({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
    // >= 0.35 flags 0.35 (anomalous), 0.4 (normal), 0.8 (anomalous).
    EXPECT_EQ(sweep.at(0.35), (Confusion{2, 1, 1, 0}));
    EXPECT_EQ(sweep.at(0.36), (Confusion{1, 1, 1, 1}));
    EXPECT_EQ(sweep.at(0.8), (Confusion{1, 0, 2, 1}));
    EXPECT_EQ(sweep.at(0.81), (Confusion{0, 0, 2, 2}));
    EXPECT_EQ(sweep.at(-5.0), (Confusion{2, 2, 0, 0}));
    // Pairs (pos, neg): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 -> 3/4.
    EXPECT_DOUBLE_EQ(sweep.rocAuc(), 0.75);
    // Steps: t=0.8 R 0->1/2 at P=1; t=0.35 R 1/2->1 at P=2/3 -> 1/2 + 1/3.
    EXPECT_DOUBLE_EQ(sweep.averagePrecision(), 0.5 + 1.0 / 3.0);
    // F1 per threshold: 0.8 -> 2/3, 0.4 -> 1/2, 0.35 -> 4/5, 0.1 -> 2/3.
    const auto best = sweep.oracleBestF1();
    EXPECT_EQ(best.threshold, 0.35);
    EXPECT_DOUBLE_EQ(best.f1, 0.8);
    EXPECT_EQ(best.confusion, (Confusion{2, 1, 1, 0}));
}

TEST(ThresholdSweep, TiesCountHalfAndFormOneStep) {
    // Two groups: score 1 holds {pos, neg}, score 2 holds {pos, pos, neg}.
    const ThresholdSweep sweep({1, 2, 2, 1, 2}, {1, 1, 1, 0, 0});
    // Positives vs negatives: (1 vs 1) 0.5, (1 vs 2) 0, (2 vs 1) 1 x2, (2 vs 2) 0.5 x2 -> 3.5/6.
    EXPECT_DOUBLE_EQ(sweep.rocAuc(), 3.5 / 6.0);
    // t=2: R 2/3 at P 2/3; t=1: R 1 at P 3/5 -> 4/9 + 1/5.
    EXPECT_DOUBLE_EQ(sweep.averagePrecision(), 4.0 / 9.0 + 1.0 / 5.0);
}

// ---- edge cases --------------------------------------------------------------------------------

TEST(ThresholdSweep, AllScoresEqual) {
    const ThresholdSweep sweep({4, 4, 4, 4, 4}, {1, 0, 1, 0, 0});
    EXPECT_DOUBLE_EQ(sweep.rocAuc(), 0.5);
    EXPECT_DOUBLE_EQ(sweep.averagePrecision(), 2.0 / 5.0);  // one step to R=1 at the prevalence
    const auto best = sweep.oracleBestF1();
    EXPECT_EQ(best.threshold, 4.0);
    EXPECT_DOUBLE_EQ(best.f1, 4.0 / 7.0);  // tp 2, fp 3, fn 0
    EXPECT_EQ(sweep.at(4.0), (Confusion{2, 3, 0, 0}));
    EXPECT_EQ(sweep.at(std::nextafter(4.0, 5.0)), (Confusion{0, 0, 3, 2}));
    const auto roc = sweep.rocCurve();
    ASSERT_EQ(roc.size(), 2u);  // (0,0) then (1,1): the tie is one diagonal segment
    EXPECT_DOUBLE_EQ(trapezoidArea(roc), 0.5);
}

TEST(ThresholdSweep, SingleClass) {
    const ThresholdSweep negativesOnly({0.3, 0.1, 0.9}, {0, 0, 0});
    EXPECT_TRUE(std::isnan(negativesOnly.rocAuc()));
    EXPECT_TRUE(std::isnan(negativesOnly.averagePrecision()));
    const auto best = negativesOnly.oracleBestF1();
    EXPECT_EQ(best.f1, 0.0);
    EXPECT_EQ(best.threshold, 0.9);  // ties at F1 = 0 keep the highest threshold
    EXPECT_EQ(best.confusion, (Confusion{0, 1, 2, 0}));
    EXPECT_EQ(negativesOnly.at(0.2), (Confusion{0, 2, 1, 0}));

    const ThresholdSweep positivesOnly({0.3, 0.1, 0.9}, {1, 1, 1});
    EXPECT_TRUE(std::isnan(positivesOnly.rocAuc()));
    EXPECT_DOUBLE_EQ(positivesOnly.averagePrecision(), 1.0);
    const auto bestPos = positivesOnly.oracleBestF1();
    EXPECT_EQ(bestPos.threshold, 0.1);
    EXPECT_DOUBLE_EQ(bestPos.f1, 1.0);
}

TEST(ThresholdSweep, EmptyInput) {
    const ThresholdSweep sweep({}, {});
    EXPECT_EQ(sweep.size(), 0u);
    EXPECT_EQ(sweep.positives(), 0u);
    EXPECT_EQ(sweep.negatives(), 0u);
    EXPECT_EQ(sweep.at(0.0), Confusion{});
    EXPECT_THROW(sweep.minScore(), std::out_of_range);
    EXPECT_THROW(sweep.maxScore(), std::out_of_range);
    EXPECT_TRUE(std::isnan(sweep.rocAuc()));
    EXPECT_TRUE(std::isnan(sweep.averagePrecision()));
    const auto best = sweep.oracleBestF1();
    EXPECT_EQ(best.threshold, kInf);
    EXPECT_EQ(best.f1, 0.0);
    EXPECT_EQ(sweep.rocCurve().size(), 1u);
    EXPECT_EQ(sweep.prCurve().size(), 1u);
}

TEST(ThresholdSweep, RejectsBadInput) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(ThresholdSweep({1.0, nan}, {0, 1}), std::invalid_argument);
    EXPECT_THROW(ThresholdSweep({1.0, 2.0}, {0}), std::invalid_argument);
    EXPECT_THROW(ThresholdSweep({1.0, 2.0}, {0, 2}), std::invalid_argument);
    const ThresholdSweep sweep({1.0, 2.0}, {0, 1});
    EXPECT_THROW(sweep.at(nan), std::invalid_argument);
}

TEST(ThresholdSweep, InfiniteScoresAreOrdinaryValues) {
    const ThresholdSweep sweep({kInf, -kInf, 0.0, kInf}, {1, 0, 0, 0});
    EXPECT_EQ(sweep.at(kInf), (Confusion{1, 1, 2, 0}));
    EXPECT_EQ(sweep.at(-kInf), (Confusion{1, 3, 0, 0}));
    EXPECT_EQ(sweep.maxScore(), kInf);
    // The positive beats two negatives and ties one: 2.5 / 3.
    EXPECT_DOUBLE_EQ(sweep.rocAuc(), 2.5 / 3.0);
}

// ---- curves ------------------------------------------------------------------------------------

TEST(ThresholdSweep, RocCurvePointsAreExactAndAreaMatchesAuc) {
    uint32_t seed = 400;
    for (int kind = 0; kind < 2; ++kind) {
        const Data d = randomData(seed++, 3000, kind);
        const ThresholdSweep sweep(d.scores, d.labels);
        const double auc = sweep.rocAuc();
        const auto full = sweep.rocCurve(1'000'000);
        // Collinear points dropped, ties as diagonals: the trapezoid area is the AUC exactly.
        EXPECT_NEAR(trapezoidArea(full), auc, 1e-12);
        for (size_t maxPoints : {size_t(0), size_t(2), size_t(17), size_t(100), size_t(1000000)}) {
            const auto roc = sweep.rocCurve(maxPoints);
            ASSERT_GE(roc.size(), 2u);
            EXPECT_LE(roc.size(), std::max<size_t>(maxPoints, 2));
            EXPECT_EQ(roc.front().x, 0.0);
            EXPECT_EQ(roc.front().y, 0.0);
            EXPECT_EQ(roc.front().threshold, kInf);
            EXPECT_EQ(roc.back().x, 1.0);
            EXPECT_EQ(roc.back().y, 1.0);
            EXPECT_EQ(roc.back().threshold, sweep.minScore());
            for (size_t i = 0; i < roc.size(); ++i) {
                const Confusion c = sweep.at(roc[i].threshold);
                EXPECT_EQ(roc[i].x, c.fpr());
                EXPECT_EQ(roc[i].y, c.recall());
                if (i > 0) {
                    EXPECT_GT(roc[i - 1].threshold, roc[i].threshold);
                    EXPECT_LE(roc[i - 1].x, roc[i].x);
                    EXPECT_LE(roc[i - 1].y, roc[i].y);
                }
            }
            // Thinning by length keeps the area close (bound: step length ~ 2/(m-1)).
            if (maxPoints >= 100) {
                EXPECT_NEAR(trapezoidArea(roc), auc, 0.02);
            }
        }
    }
}

TEST(ThresholdSweep, PrCurvePointsAreExact) {
    const Data d = randomData(500, 2000, 1);
    const ThresholdSweep sweep(d.scores, d.labels);
    const size_t distinct = distinctDescending(d.scores).size();
    const auto full = sweep.prCurve(1'000'000);
    EXPECT_EQ(full.size(), distinct + 1);
    for (size_t maxPoints : {size_t(1), size_t(50), size_t(1000000)}) {
        const auto pr = sweep.prCurve(maxPoints);
        EXPECT_LE(pr.size(), std::max<size_t>(maxPoints, 2));
        EXPECT_EQ(pr.front().x, 0.0);
        EXPECT_EQ(pr.front().y, 1.0);
        EXPECT_EQ(pr.front().threshold, kInf);
        EXPECT_EQ(pr.back().x, 1.0);
        EXPECT_DOUBLE_EQ(pr.back().y, double(sweep.positives()) / double(sweep.size()));
        for (size_t i = 1; i < pr.size(); ++i) {
            const Confusion c = sweep.at(pr[i].threshold);
            EXPECT_EQ(pr[i].x, c.recall());
            EXPECT_EQ(pr[i].y, c.precision());
            EXPECT_LE(pr[i - 1].x, pr[i].x);
        }
    }
}

TEST(ThresholdSweep, RocCurveDropsCollinearPoints) {
    // Full curve (0,0) (0,.5) (0,1) (.5,1) (1,1): the middle points of each straight run go.
    const ThresholdSweep sweep({1, 2, 3, 4}, {0, 0, 1, 1});
    const auto roc = sweep.rocCurve();
    ASSERT_EQ(roc.size(), 3u);
    EXPECT_EQ(roc[1].x, 0.0);
    EXPECT_EQ(roc[1].y, 1.0);
    EXPECT_EQ(roc[1].threshold, 3.0);
    EXPECT_DOUBLE_EQ(sweep.rocAuc(), 1.0);
    // The PR curve is never thinned below maxPoints: start + one point per distinct score.
    EXPECT_EQ(sweep.prCurve().size(), 5u);
}

// Large input: checks correctness on a sample and prints timings (no assertion on time).
TEST(ThresholdSweep, MillionScores) {
    const size_t n = 1'000'000;
    const Data d = randomData(600, n, 1, 0.02);
    const auto t0 = std::chrono::steady_clock::now();
    const ThresholdSweep sweep(d.scores, d.labels);
    const auto t1 = std::chrono::steady_clock::now();
    std::mt19937 rng(601);
    std::uniform_real_distribution<double> thr(-4.0, 5.0);
    const size_t queries = 1'000'000;
    uint64_t checksum = 0;
    for (size_t i = 0; i < queries; ++i) checksum += sweep.at(thr(rng)).tp;
    const auto t2 = std::chrono::steady_clock::now();
    const double auc = sweep.rocAuc();
    const double ap = sweep.averagePrecision();
    const auto best = sweep.oracleBestF1();
    const auto t3 = std::chrono::steady_clock::now();
    EXPECT_GT(checksum, 0u);
    EXPECT_GT(auc, 0.5);  // positives are shifted up by one standard deviation
    EXPECT_GT(best.f1, 0.0);
    EXPECT_GT(ap, 0.0);
    for (int k = 0; k < 10; ++k) {
        const double t = k == 0 ? best.threshold : thr(rng);
        expectSameConfusion(sweep.at(t), bruteConfusion(d, t), t);
    }
    using ms = std::chrono::duration<double, std::milli>;
    std::cout << "[ timing ] 1M scores: build " << ms(t1 - t0).count() << " ms, " << queries
              << " at() queries " << ms(t2 - t1).count() << " ms ("
              << ms(t2 - t1).count() * 1e6 / double(queries) << " ns/query), auc+ap+bestF1 "
              << ms(t3 - t2).count() << " ms; auc=" << auc << " ap=" << ap << " bestF1=" << best.f1
              << "\n";
}

// ---- quantile ----------------------------------------------------------------------------------

// Reference: numpy's linear method written directly on a fully sorted copy.
static double referenceQuantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double h = double(v.size() - 1) * q;
    const size_t lo = size_t(std::floor(h));
    if (lo + 1 >= v.size()) return v.back();
    return v[lo] + (h - double(lo)) * (v[lo + 1] - v[lo]);
}

TEST(Quantile, HandComputedNumpyValues) {
    // numpy.quantile([1,2,3,4], q): h = 3q.
    EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.25), 1.75);
    EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
    EXPECT_NEAR(quantile({1, 2, 3, 4}, 0.9), 3.7, 1e-12);
    EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 1.0), 4.0);
    // Unsorted input; sorted [1,3,7,10], h = 2.97 -> 7 + 0.97*3.
    EXPECT_NEAR(quantile({10, 1, 7, 3}, 0.99), 9.91, 1e-12);
    EXPECT_DOUBLE_EQ(quantile({5}, 0.3), 5.0);
    EXPECT_DOUBLE_EQ(quantile({2, 9, 2, 2}, 0.5), 2.0);
    EXPECT_DOUBLE_EQ(quantile({-1, -3}, 0.5), -2.0);
    // (1 - nu) quantile with nu = 0.01 over 0..100: h = 99 -> exactly 99.
    std::vector<double> ramp;
    for (int i = 100; i >= 0; --i) ramp.push_back(i);
    EXPECT_DOUBLE_EQ(quantile(ramp, 0.99), 99.0);
}

TEST(Quantile, MatchesSortedReferenceOnRandomData) {
    std::mt19937 rng(700);
    std::normal_distribution<double> normal(0.0, 3.0);
    std::uniform_int_distribution<int> small(0, 4);
    for (size_t n : {1, 2, 3, 10, 1001}) {
        for (int kind = 0; kind < 2; ++kind) {
            std::vector<double> v;
            for (size_t i = 0; i < n; ++i) v.push_back(kind == 0 ? normal(rng) : small(rng));
            for (double q : {0.0, 0.01, 0.1, 0.333, 0.5, 0.77, 0.99, 1.0}) {
                EXPECT_NEAR(quantile(v, q), referenceQuantile(v, q), 1e-12)
                    << "n=" << n << " q=" << q;
            }
        }
    }
}

TEST(Quantile, RejectsBadInput) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(quantile({}, 0.5), std::invalid_argument);
    EXPECT_THROW(quantile({1, 2}, -0.1), std::invalid_argument);
    EXPECT_THROW(quantile({1, 2}, 1.1), std::invalid_argument);
    EXPECT_THROW(quantile({1, 2}, nan), std::invalid_argument);
    EXPECT_THROW(quantile({1, nan}, 0.5), std::invalid_argument);
}

// ---- atPrevalence ------------------------------------------------------------------------------

TEST(AtPrevalence, HandChecked) {
    const Confusion c{90, 5, 95, 10};  // TPR 0.9, FPR 0.05 on a balanced set
    // At the test set's own prevalence the plain precision comes back: 90 / 95.
    const auto balanced = atPrevalence(c, 0.5);
    EXPECT_DOUBLE_EQ(balanced.precision, 90.0 / 95.0);
    EXPECT_DOUBLE_EQ(balanced.precision, c.precision());
    EXPECT_DOUBLE_EQ(balanced.recall, 0.9);
    EXPECT_DOUBLE_EQ(balanced.f1, c.f1());
    EXPECT_DOUBLE_EQ(balanced.specificity, 0.95);

    // pi = 1%: P = 0.009 / (0.009 + 0.05 * 0.99) = 0.009 / 0.0585.
    const auto rare = atPrevalence(c, 0.01);
    const double p = 0.009 / 0.0585;
    EXPECT_NEAR(rare.precision, p, 1e-12);
    EXPECT_DOUBLE_EQ(rare.recall, 0.9);
    EXPECT_NEAR(rare.f1, 2 * p * 0.9 / (p + 0.9), 1e-12);
    EXPECT_DOUBLE_EQ(rare.specificity, 0.95);

    EXPECT_EQ(atPrevalence(c, 0.0).precision, 0.0);
    EXPECT_DOUBLE_EQ(atPrevalence(c, 1.0).precision, 1.0);
    const auto none = atPrevalence(Confusion{}, 0.3);
    EXPECT_EQ(none.precision, 0.0);
    EXPECT_EQ(none.f1, 0.0);
}

TEST(AtPrevalence, RejectsBadPrevalence) {
    const Confusion c{1, 1, 1, 1};
    EXPECT_THROW(atPrevalence(c, -0.1), std::invalid_argument);
    EXPECT_THROW(atPrevalence(c, 1.5), std::invalid_argument);
    EXPECT_THROW(atPrevalence(c, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}
