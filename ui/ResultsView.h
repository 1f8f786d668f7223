#pragma once
// Results of a run: energy histogram of the test scores (normal vs anomalous), a threshold
// bound to a slider and a number box, live precision / recall / F1 / specificity / confusion
// matrix from a ThresholdSweep (O(log n) per move, no rescans), the default (validation
// quantile) and the ORACLE best-F1 thresholds, and the most anomalous test sequences.
#include <QWidget>

#include <memory>
#include <utility>

#include "mlad/eval/Metrics.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/viz/Histogram.h"

class QAreaSeries;
class QTabWidget;
class QChartView;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineSeries;
class QPushButton;
class QSlider;
class QTableWidget;
class QValueAxis;
class QAbstractAxis;

namespace mlad::ui {

class ProjectWorker;
class LinesDialog;
class CurvesView;

class ResultsView : public QWidget {
    Q_OBJECT
  public:
    static constexpr int kSliderSteps = 1000;
    static constexpr int kRankedRows = 200;

    explicit ResultsView(QWidget* parent = nullptr);
    ~ResultsView() override;

    void setProjectPath(const QString& path);
    void refresh();
    /// Shows run `name` (after runs are loaded); false when unknown.
    bool selectRun(const QString& name);
    /// Shows scores that are not (or not yet) a stored run, e.g. a re-scored set. The sweep,
    /// histograms and ranking are prepared on the worker thread as for a run.
    void showScores(const QString& title, RunScores scores);

    QComboBox* runCombo() const { return runCombo_; }
    QSlider* slider() const { return slider_; }
    QDoubleSpinBox* thresholdBox() const { return spin_; }
    QChartView* histogramView() const { return chartView_; }
    QTableWidget* rankedTable() const { return ranked_; }
    /// One row per system for multi-system runs (hidden otherwise).
    QTableWidget* perSystemTable() const { return perSystem_; }
    QCheckBox* logCountsBox() const { return logCounts_; }
    QCheckBox* fullRangeBox() const { return fullRange_; }
    QTabWidget* plotTabs() const { return plotTabs_; }
    CurvesView* curvesView() const { return curves_; }
    /// The plotted x range of the histogram (overflow bars included).
    std::pair<double, double> histogramRange() const { return {xLo_, xHi_}; }
    QPushButton* defaultButton() const { return defaultButton_; }
    QPushButton* oracleButton() const { return oracleButton_; }
    QPushButton* potButton() const { return potButton_; }
    QPushButton* targetButton() const { return targetButton_; }
    /// Target-side recalibration: the threshold that flags `rate` of the shown test scores,
    /// from the scores alone (no labels): for a new period or system, where a validation
    /// threshold does not carry over. The button asks for the rate.
    void applyTargetRate(double rate);
    /// The sentence naming the threshold rule in force.
    QString thresholdNoteText() const;
    /// The exact threshold in use (the number box shows it rounded).
    double threshold() const { return threshold_; }
    void setThreshold(double t);
    bool hasScores() const { return sweep_ != nullptr; }
    /// A stored run is shown (not scores given to showScores).
    bool showsStoredRun() const;
    const eval::ThresholdSweep* sweep() const { return sweep_.get(); }
    eval::Confusion currentConfusion() const;
    /// Text of a metric label: "precision" | "recall" | "f1" | "specificity" | "tp" ...
    QString metricText(const QString& name) const;
    /// How metric values are printed (shared with the tests).
    static QString formatMetric(double v);
    LinesDialog* openRankedRow(int row);
    /// A self-contained HTML report of the shown run: its facts, the metrics at the current
    /// threshold (named as default, manual or ORACLE), the histogram and both curves as
    /// embedded PNGs, and the ranked sequences. Empty when no scores are shown.
    QString reportHtml();

  Q_SIGNALS:
    void runsLoaded(int count);
    void scoresLoaded(const QString& runName);
    void thresholdChanged(double threshold);
    /// A test sequence picked in the ranked list (for the attention view).
    void sequenceSelected(qint64 sequenceId);
    void errorOccurred(const QString& message);

  private:
    struct Loaded;
    void loadRun(int comboIndex);
    /// Sweep, histograms and ranking of loaded.scores (on the worker thread).
    static void analyse(Project& p, Loaded& loaded);
    void applyLoaded(std::shared_ptr<Loaded> loaded);
    void rebuildHistogram();
    void updateMetrics();
    void updatePerSystem();
    void updateThresholdLine();
    void onSliderMoved(int pos);
    void onSpinChanged(double v);
    void setEnabledControls(bool on);

    QString path_;
    std::unique_ptr<ProjectWorker> worker_;
    quint64 generation_ = 0;
    std::shared_ptr<const eval::ThresholdSweep> sweep_;
    std::shared_ptr<Loaded> loaded_;
    double threshold_ = 0;
    bool syncing_ = false;
    bool oracleActive_ = false;

    QComboBox* runCombo_;
    QLabel* runInfo_;
    QChartView* chartView_;
    QCheckBox* logCounts_;
    QCheckBox* logBins_;
    QCheckBox* fullRange_;
    QTabWidget* plotTabs_;
    CurvesView* curves_;
    QSlider* slider_;
    QDoubleSpinBox* spin_;
    QPushButton* defaultButton_;
    QPushButton* oracleButton_;
    QPushButton* potButton_;
    QLabel* thresholdNote_;
    QPushButton* targetButton_ = nullptr;
    QLabel* summary_;
    QHash<QString, QLabel*> metricLabels_;
    QTableWidget* ranked_;
    QTableWidget* perSystem_;
    QLineSeries* thresholdLine_ = nullptr;
    QAreaSeries* flaggedArea_ = nullptr;
    double xLo_ = 0, xHi_ = 1;
    QAbstractAxis* xAxis_ = nullptr;
    QAbstractAxis* yAxis_ = nullptr;
    double yTop_ = 1;
    QString scoreName_ = QStringLiteral("score");
};

}  // namespace mlad::ui
