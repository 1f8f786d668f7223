// Workbench responsiveness benchmark (offscreen Qt; prints, asserts nothing).
//
//   mlad_bench_ui [SCORES] [POINTS] [REPEATS]   (defaults 1,000,000 scores, 100,000 points, 3)
//
//   - threshold slider over SCORES test scores: each move re-reads the confusion matrix, moves
//     the histogram's threshold line and shaded region and the ROC/PR markers, and repaints the
//     histogram and both curves; per move: median and worst ms, beside core's own cost of the
//     same confusion matrix (ThresholdSweep::at) as the reference;
//   - histogram rebinning: switching log bins, full range and the log count axis (rebuilds the
//     chart from the prepared bins) per switch;
//   - projection recolouring: a scatter plot of POINTS points recoloured at a new threshold and
//     repainted, per move;
//   - projection time at the workbench's default sample (10,000 points of 18 dimensions, the
//     size of MLAD's z, 1,000 iterations), with the layout posted to the plot every 10
//     iterations as the view does;
//   - the largest gap of the GUI event loop (a 5 ms timer) while the 1M scores are prepared on
//     the worker thread and while the projection runs in the background.
// Each figure is repeated REPEATS times side by side with its reference.
#include <QApplication>
#include <QChartView>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "CurvesView.h"
#include "ProjectionView.h"
#include "ResultsView.h"
#include "mlad/eval/Metrics.h"
#include "mlad/store/Project.h"
#include "mlad/tsne/Tsne.h"

using namespace mlad;      // NOLINT
using namespace mlad::ui;  // NOLINT

namespace {

/// Largest interval between two ticks of a 5 ms timer: how long the event loop was blocked.
class GapMeter {
  public:
    GapMeter() {
        timer_.setInterval(5);
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, [this] {
            const qint64 now = clock_.nsecsElapsed();
            if (last_ >= 0) worst_ = std::max(worst_, now - last_);
            last_ = now;
        });
        clock_.start();
        timer_.start();
    }
    double worstMs() const { return double(worst_) / 1e6; }

  private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = -1, worst_ = 0;
};

void waitUntil(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer t;
    t.start();
    // Sleeps in the event loop (no busy polling that would take a core from the workers).
    while (!done() && t.elapsed() < timeoutMs)
        QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
}

struct Stats {
    double median = 0, worst = 0;
};
Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.back()};
}

}  // namespace

/// Slider moves and histogram rebinning on a ResultsView showing the scores; `reference` is
/// core's sweep of the same scores.
void benchSlider(ResultsView& rv, const eval::ThresholdSweep& reference, int repeats) {
    for (int rep = 0; rep < repeats; ++rep) {
        // Slider: both plot pages repainted per move (the hidden one would not be, in use).
        std::vector<double> ui, core;
        for (int k = 1; k <= 100; ++k) {
            QElapsedTimer t;
            t.start();
            rv.slider()->setValue(k * ResultsView::kSliderSteps / 101);
            rv.histogramView()->viewport()->repaint();
            rv.curvesView()->rocView()->viewport()->repaint();
            rv.curvesView()->prView()->viewport()->repaint();
            ui.push_back(double(t.nsecsElapsed()) / 1e6);
            t.restart();
            volatile uint64_t tp = reference.at(rv.threshold()).tp;
            (void)tp;
            core.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        const Stats s = stats(ui), c = stats(core);
        std::printf(
            "  [%d] slider move (metrics, line, region, markers, 3 repaints): median "
            "%.2f ms, worst %.2f ms (frame budget 16 ms); core's confusion matrix alone "
            "%.4f ms\n",
            rep + 1, s.median, s.worst, c.median);

        std::vector<double> rebin;
        for (QCheckBox* box :
             {rv.fullRangeBox(), rv.logCountsBox(), rv.fullRangeBox(), rv.logCountsBox()}) {
            QElapsedTimer t;
            t.start();
            box->toggle();
            rv.histogramView()->viewport()->repaint();
            rebin.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        const Stats r = stats(rebin);
        std::printf(
            "  [%d] histogram rebinning (range / count axis switch + repaint): median "
            "%.2f ms, worst %.2f ms\n",
            rep + 1, r.median, r.worst);
    }
}

/// Recolouring a scatter plot of nPoints points at new thresholds.
void benchRecolour(const std::vector<double>& scores, int nPoints, int repeats) {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0.0, 1.0);
    // Projection recolouring.
    ScatterPlot plot;
    plot.resize(1000, 760);
    plot.show();
    if (!QTest::qWaitForWindowExposed(&plot))
        std::fprintf(stderr, "the plot window is not exposed: its repaint times mean nothing\n");
    {
        std::vector<ScatterPlot::Point> pts(static_cast<size_t>(nPoints));
        std::vector<double> xy(size_t(nPoints) * 2);
        for (int i = 0; i < nPoints; ++i) {
            pts[size_t(i)] = {int64_t(i + 1), i % 100 == 0 ? 1 : 0, scores[size_t(i)]};
            xy[size_t(2 * i)] = normal(rng);
            xy[size_t(2 * i + 1)] = normal(rng);
        }
        plot.setPoints(std::move(pts));
        plot.setLayoutXY(xy);
    }
    for (int rep = 0; rep < repeats; ++rep) {
        std::vector<double> move, bare;
        for (int k = 0; k < 30; ++k) {
            QElapsedTimer t;
            t.start();
            plot.setThreshold(-2.0 + 0.15 * k);
            plot.repaint();
            move.push_back(double(t.nsecsElapsed()) / 1e6);
            t.restart();
            plot.repaint();  // reference: the same repaint without a threshold change
            bare.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        const Stats m = stats(move), b = stats(bare);
        std::printf(
            "  [%d] projection recolour of %d points + repaint: median %.2f ms, worst "
            "%.2f ms; repaint alone %.2f ms (ratio %.2f)\n",
            rep + 1, nPoints, m.median, m.worst, b.median, m.median / b.median);
    }
}

/// t-SNE of the default sample with the layout posted to a plot, beside t-SNE alone.
void benchProjection(int repeats) {
    std::normal_distribution<double> normal(0.0, 1.0);
    // Projection at the default sample, layouts posted to a plot as the view does.
    for (int rep = 0; rep < repeats; ++rep) {
        const int n = 10000, d = 18;
        tsne::Matrix x;
        x.n = n;
        x.d = d;
        x.data.resize(size_t(n) * d);
        std::mt19937_64 g(uint64_t(rep + 1));
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < d; ++j)
                x.data[size_t(i) * d + size_t(j)] = normal(g) + 6.0 * double((i % 10) == j);
        ScatterPlot view;
        view.resize(1000, 760);
        view.show();
        if (!QTest::qWaitForWindowExposed(&view))
            std::fprintf(stderr,
                         "the plot window is not exposed: its repaint times mean nothing\n");
        std::vector<ScatterPlot::Point> pts(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) pts[size_t(i)] = {int64_t(i + 1), i % 50 == 0, double(i % 7)};
        view.setPoints(std::move(pts));
        tsne::Options o;
        o.seed = 1;
        o.layoutEvery = 10;
        o.onLayout = [&view](int, const std::vector<double>& y) {
            QMetaObject::invokeMethod(
                &view, [&view, y] { view.setLayoutXY(y); }, Qt::QueuedConnection);
        };
        std::atomic<bool> done{false};
        GapMeter gap;
        QElapsedTimer t;
        t.start();
        std::thread worker([&] {
            tsne::run(x, o, nullptr);
            done = true;
        });
        waitUntil([&] { return done.load(); }, 900000);
        worker.join();
        QApplication::processEvents();
        const double animated = double(t.nsecsElapsed()) / 1e9;
        const double worstGap = gap.worstMs();
        // Reference: the same t-SNE without a view.
        tsne::Options bare = o;
        bare.onLayout = nullptr;
        t.restart();
        tsne::run(x, bare, nullptr);
        const double alone = double(t.nsecsElapsed()) / 1e9;
        std::printf(
            "  [%d] projection of the default sample (10,000 x 18, 1,000 iterations): "
            "animated in a view %.1f s, t-SNE alone %.1f s (ratio %.2f); largest GUI "
            "event-loop gap %.1f ms\n",
            rep + 1, animated, alone, animated / alone, worstGap);
    }
}

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM",
            qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const size_t nScores = argc > 1 ? size_t(std::atoll(argv[1])) : 1000000;
    const int nPoints = argc > 2 ? std::atoi(argv[2]) : 100000;
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bench.mlad"));
    { Project::open(path.toStdString()); }
    ResultsView rv;
    rv.resize(1400, 860);
    rv.setProjectPath(path);
    rv.show();
    RunScores rs;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (size_t i = 0; i < nScores; ++i) {
        const bool anomalous = i % 100 == 0;
        rs.testScores.push_back(anomalous ? 3.0 + normal(rng) : normal(rng));
        rs.testLabels.push_back(anomalous ? 1 : 0);
        rs.testIds.push_back(int64_t(i + 1));
    }
    rs.testScores[5] = 1e6;  // one far outlier: the robust range matters
    for (int i = 0; i < 1000; ++i) rs.valScores.push_back(normal(rng));
    rs.defaultThreshold = eval::quantile(rs.valScores, 0.99);
    const eval::ThresholdSweep reference(rs.testScores, rs.testLabels);

    std::printf("workbench responsiveness (offscreen Qt, %zu scores, %d scatter points)\n", nScores,
                nPoints);
    {
        GapMeter gap;
        QSignalSpy loaded(&rv, &ResultsView::scoresLoaded);
        QElapsedTimer t;
        t.start();
        rv.showScores(QStringLiteral("synthetic"), rs);
        waitUntil([&] { return loaded.count() > 0; }, 600000);
        std::printf(
            "  prepare %zu scores on the worker (sweep, 4 histograms, curves, ranking): "
            "%.0f ms; largest GUI event-loop gap meanwhile %.1f ms\n",
            nScores, double(t.nsecsElapsed()) / 1e6, gap.worstMs());
    }

    benchSlider(rv, reference, repeats);
    benchRecolour(rs.testScores, nPoints, repeats);
    benchProjection(repeats);
    return 0;
}
