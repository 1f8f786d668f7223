#pragma once
// Two or more finished runs side by side: their score histograms on a shared axis (each run's
// scores normalised to its own 0.5-99.5 percentile range, counts as shares per class), ROC and
// precision-recall curves overlaid, and a table of metrics at each run's default threshold with
// the separation measures of the identical-shortcut lesson. An optional explanation panel on
// top carries the lesson's text.
#include <QWidget>

#include <memory>
#include <vector>

#include "mlad/eval/Metrics.h"

class QChartView;
class QLabel;
class QListWidget;
class QTableWidget;
class QVBoxLayout;

namespace mlad::ui {

class ProjectWorker;

class CompareView : public QWidget {
    Q_OBJECT
  public:
    /// What is shown of one run (computed on the worker thread).
    struct RunSummary {
        QString name, model, scoreName, thresholdRule;
        size_t sequences = 0, anomalous = 0;
        double rocAuc = NAN, prAuc = NAN, precision = NAN, recall = NAN, f1 = NAN;
        double overlap = NAN;        ///< eval::histogramOverlap
        double inside = NAN;         ///< eval::anomaliesInsideNormalRange
        double selfAttention = NAN;  ///< eval::attentionSelfShare over sampled anomalies
        int attentionSamples = 0;
        std::vector<eval::ThresholdSweep::CurvePoint> roc, pr;
        std::vector<double> normalShare, anomalousShare;  ///< per bin over [0, 1]
        int64_t topAnomaly = 0;  ///< the highest-scoring anomalous test sequence
    };
    static constexpr int kBins = 30;

    explicit CompareView(QWidget* parent = nullptr);
    ~CompareView() override;

    void setProjectPath(const QString& path);
    void refresh();
    /// Checks exactly `runs` in the list and compares them.
    void compare(const QStringList& runs);
    /// Rich text shown above the charts (the lesson); empty hides the panel.
    void setExplanation(const QString& html);

    QListWidget* runList() const { return runs_; }
    QTableWidget* metricsTable() const { return table_; }
    QChartView* rocView() const { return rocView_; }
    QChartView* prView() const { return prView_; }
    QLabel* explanationLabel() const { return explanation_; }
    const std::vector<RunSummary>& shown() const { return shown_; }
    /// Histogram charts currently shown (one per run).
    int histogramCount() const { return int(histograms_.size()); }

  Q_SIGNALS:
    void compared(int runs);
    void compareFailed(const QString& why);
    void errorOccurred(const QString& message);

  private:
    void loadChecked();
    void showSummaries();

    QString path_;
    std::unique_ptr<ProjectWorker> worker_;
    quint64 generation_ = 0;
    std::vector<RunSummary> shown_;

    QListWidget* runs_;
    QLabel* explanation_;
    QLabel* status_;
    QWidget* histHost_;
    QVBoxLayout* histLayout_;
    std::vector<QChartView*> histograms_;
    QChartView* rocView_;
    QChartView* prView_;
    QTableWidget* table_;
};

}  // namespace mlad::ui
