#include "CurvesView.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>
#include <utility>

namespace mlad::ui {

namespace {
const QColor kCurve(0x2b, 0x5c, 0x8a);
const QColor kMarker(0xd9, 0x4a, 0x38);

QString fmt(double v) {
    return std::isnan(v) ? QStringLiteral("n/a") : QString::number(v, 'f', 4);
}
}  // namespace

CurvesView::CurvesView(QWidget* parent) : QWidget(parent) {
    rocView_ = makeChart(tr("ROC curve"), tr("false-positive rate"),
                         tr("true-positive rate (recall)"), &rocCurve_, &rocChance_, &rocMarker_);
    rocView_->setObjectName(QStringLiteral("rocCurve"));
    prView_ = makeChart(tr("Precision-recall curve"), tr("recall"), tr("precision"), &prCurve_,
                        &prChance_, &prMarker_);
    prView_->setObjectName(QStringLiteral("prCurve"));
    caption_ = new QLabel(this);
    caption_->setWordWrap(true);
    auto* charts = new QHBoxLayout;
    charts->addWidget(rocView_, 1);
    charts->addWidget(prView_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(charts, 1);
    layout->addWidget(caption_);
    clear();
}

QChartView* CurvesView::makeChart(const QString& title, const QString& xTitle,
                                  const QString& yTitle, QLineSeries** curve, QLineSeries** chance,
                                  QScatterSeries** marker) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->hide();  // the titles and the caption say what the lines are
    auto* x = new QValueAxis;
    auto* y = new QValueAxis;
    for (const auto& [axis, name] :
         std::initializer_list<std::pair<QValueAxis*, QString>>{{x, xTitle}, {y, yTitle}}) {
        axis->setRange(0.0, 1.0);
        axis->setTickCount(6);
        axis->setMinorTickCount(1);
        axis->setLabelFormat(QStringLiteral("%.1f"));
        axis->setTitleText(name);
    }
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);

    *chance = new QLineSeries;
    (*chance)->setPen(QPen(QColor(0x9e, 0x9e, 0x9e), 1.2, Qt::DashLine));
    *curve = new QLineSeries;
    (*curve)->setPen(QPen(kCurve, 2.0));
    *marker = new QScatterSeries;
    (*marker)->setMarkerSize(12.0);
    (*marker)->setColor(kMarker);
    (*marker)->setBorderColor(Qt::black);
    for (QXYSeries* s : std::initializer_list<QXYSeries*>{*chance, *curve, *marker}) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(300, 280);
    return view;
}

QString CurvesView::baseCaption() const {
    return tr("Each point of a curve is one threshold; the red point follows the threshold "
              "slider. Dashed: chance (the diagonal; precision = the share of anomalies, %1). "
              "The areas use no threshold.")
        .arg(prevalence_, 0, 'f', 3);
}

void CurvesView::clear(const QString& why) {
    hasCurves_ = false;
    for (QXYSeries* s : std::initializer_list<QXYSeries*>{rocCurve_, rocChance_, rocMarker_,
                                                          prCurve_, prChance_, prMarker_})
        s->clear();
    rocView_->chart()->setTitle(tr("ROC curve"));
    prView_->chart()->setTitle(tr("Precision-recall curve"));
    caption_->setText(why.isEmpty() ? tr("Curves appear when a run with labelled test "
                                         "sequences is shown.")
                                    : why);
}

void CurvesView::setCurves(const Curves& curves) {
    if (curves.roc.size() < 2 || curves.pr.size() < 2 || std::isnan(curves.rocAuc)) {
        clear(
            tr("No curves: they need labelled test sequences of both classes (normal and "
               "anomalous)."));
        return;
    }
    QList<QPointF> roc, pr;
    roc.reserve(qsizetype(curves.roc.size()));
    pr.reserve(qsizetype(curves.pr.size()));
    for (const auto& p : curves.roc) roc.append({p.x, p.y});
    for (const auto& p : curves.pr) pr.append({p.x, p.y});
    rocCurve_->replace(roc);
    prCurve_->replace(pr);
    rocView_->chart()->setTitle(tr("ROC curve · AUC %1").arg(fmt(curves.rocAuc)));
    prView_->chart()->setTitle(
        tr("Precision-recall curve · average precision %1").arg(fmt(curves.averagePrecision)));
    prevalence_ = curves.prevalence;
    rocChance_->replace(QList<QPointF>{{0, 0}, {1, 1}});
    prChance_->replace(QList<QPointF>{{0, curves.prevalence}, {1, curves.prevalence}});
    hasCurves_ = true;
    caption_->setText(baseCaption());
}

void CurvesView::setMarker(const eval::Confusion& c, double threshold) {
    if (!hasCurves_) return;
    const bool nothingFlagged = c.tp + c.fp == 0;
    const QPointF rocPoint(c.fpr(), c.recall());
    const QPointF prPoint(c.recall(), nothingFlagged ? 1.0 : c.precision());
    rocMarker_->replace(QList<QPointF>{rocPoint});
    prMarker_->replace(QList<QPointF>{prPoint});
    caption_->setText(
        tr("<b>Red point: threshold %1</b> — false-positive rate %2, recall %3, precision %4%5. ")
            .arg(threshold, 0, 'g', 6)
            .arg(fmt(rocPoint.x()), fmt(rocPoint.y()), fmt(prPoint.y()))
            .arg(nothingFlagged ? tr(" (nothing flagged)") : QString()) +
        baseCaption());
}

QPointF CurvesView::rocMarker() const {
    return rocMarker_->count() ? rocMarker_->at(0) : QPointF(NAN, NAN);
}

QPointF CurvesView::prMarker() const {
    return prMarker_->count() ? prMarker_->at(0) : QPointF(NAN, NAN);
}

QString CurvesView::caption() const {
    return caption_->text();
}

int CurvesView::rocPointCount() const {
    return int(rocCurve_->count());
}

int CurvesView::prPointCount() const {
    return int(prCurve_->count());
}

}  // namespace mlad::ui
