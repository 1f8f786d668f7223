#pragma once
// ROC and precision-recall curves of a run's test scores, side by side, with the current
// threshold marked on each as a point that follows the threshold slider. The curves come from
// core (eval::ThresholdSweep::rocCurve / prCurve, computed off the GUI thread); moving the
// marker is O(1) here (the caller passes the confusion matrix at the threshold).
#include <QWidget>

#include <vector>

#include "mlad/eval/Metrics.h"

class QChartView;
class QLabel;
class QLineSeries;
class QScatterSeries;

namespace mlad::ui {

class CurvesView : public QWidget {
    Q_OBJECT
  public:
    struct Curves {
        std::vector<eval::ThresholdSweep::CurvePoint> roc, pr;
        double rocAuc = 0, averagePrecision = 0;
        double prevalence = 0;  ///< positives / labelled test sequences: the PR chance line
    };

    explicit CurvesView(QWidget* parent = nullptr);

    /// Replaces the curves (empty curves clear the charts and show why in the caption).
    void setCurves(const Curves& curves);
    void clear(const QString& why = QString());
    /// Moves both markers to the confusion matrix at the current threshold: ROC (fpr, tpr), PR
    /// (recall, precision), where "nothing flagged" is drawn at precision 1 as the curve's own
    /// start point (scikit-learn's convention).
    void setMarker(const eval::Confusion& c, double threshold);

    QChartView* rocView() const { return rocView_; }
    QChartView* prView() const { return prView_; }
    QPointF rocMarker() const;
    QPointF prMarker() const;
    QString caption() const;
    int rocPointCount() const;
    int prPointCount() const;

  private:
    QChartView* makeChart(const QString& title, const QString& xTitle, const QString& yTitle,
                          QLineSeries** curve, QLineSeries** chance, QScatterSeries** marker);

    QChartView* rocView_;
    QChartView* prView_;
    QLineSeries* rocCurve_ = nullptr;
    QLineSeries* rocChance_ = nullptr;
    QScatterSeries* rocMarker_ = nullptr;
    QLineSeries* prCurve_ = nullptr;
    QLineSeries* prChance_ = nullptr;
    QScatterSeries* prMarker_ = nullptr;
    QString baseCaption() const;

    QLabel* caption_;
    bool hasCurves_ = false;
    double prevalence_ = 0;
};

}  // namespace mlad::ui
