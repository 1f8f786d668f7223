#include "CompareView.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "Export.h"
#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/eval/Separation.h"
#include "mlad/store/Runs.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"

namespace mlad::ui {

namespace {

const QColor kRunColours[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                              QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
                              QColor(0xff, 0x7f, 0x0e), QColor(0x8c, 0x56, 0x4b)};
const QColor kNormal(0x5b, 0x9b, 0xd5);
const QColor kAnomalous(0xd9, 0x4a, 0x38);

QColor runColour(size_t i) {
    return kRunColours[i % std::size(kRunColours)];
}

QString fmt(double v, int decimals = 3) {
    return std::isnan(v) ? QStringLiteral("–") : QString::number(v, 'f', decimals);
}

CompareView::RunSummary summarise(Project& p, const std::string& name) {
    auto run = findRun(p, name);
    if (!run) throw std::runtime_error("no run named '" + name + "'");
    CompareView::RunSummary r;
    r.name = qs(name);
    r.model = qs(run->model);
    r.scoreName = qs(runScoreName(run->configJson));
    const RunScores s = loadRunScores(p, run->id);
    r.thresholdRule = qs(s.thresholdRule);
    std::vector<double> scores;
    std::vector<uint8_t> labels;
    std::vector<int64_t> anomalousIds;
    double top = -INFINITY;
    for (size_t i = 0; i < s.testScores.size(); ++i) {
        const double v = s.testScores[i];
        if (std::isnan(v)) continue;
        const uint8_t l = i < s.testLabels.size() ? s.testLabels[i] : 2;
        if (l > 1) continue;
        scores.push_back(v);
        labels.push_back(l);
        if (l == 1 && i < s.testIds.size()) {
            anomalousIds.push_back(s.testIds[i]);
            if (v > top) {
                top = v;
                r.topAnomaly = s.testIds[i];
            }
        }
    }
    const eval::ThresholdSweep sweep(scores, labels);
    r.sequences = sweep.size();
    r.anomalous = sweep.positives();
    r.rocAuc = sweep.rocAuc();
    r.prAuc = sweep.averagePrecision();
    const eval::Confusion c = sweep.at(s.defaultThreshold);
    r.precision = c.precision();
    r.recall = c.recall();
    r.f1 = c.f1();
    r.roc = sweep.rocCurve(500);
    r.pr = sweep.prCurve(500);
    r.overlap = eval::histogramOverlap(scores, labels, CompareView::kBins);
    r.inside = eval::anomaliesInsideNormalRange(scores, labels);
    // Shares per bin over the run's own 0.5-99.5 percentile range mapped to [0, 1].
    eval::ClassShares shares = eval::robustClassShares(scores, labels, CompareView::kBins);
    r.normalShare = std::move(shares.normal);
    r.anomalousShare = std::move(shares.anomalous);
    // How much a position attends to itself, over up to 10 anomalous test sequences in test
    // order (not picked by score).
    // (run->model names the ablation, e.g. "w/o-gmm": attentionOf asks the run's detector.)
    anomalousIds.resize(std::min<size_t>(anomalousIds.size(), 10));
    try {
        double sum = 0;
        for (const AttentionMaps& m : attentionOf(p, name, anomalousIds)) {
            if (m.length < 1) continue;
            sum += eval::attentionSelfShare(m.weights, m.layers, m.heads, m.length);
            ++r.attentionSamples;
        }
        if (r.attentionSamples) r.selfAttention = sum / r.attentionSamples;
    } catch (const std::invalid_argument&) {
        // The detector has no attention (DeepLog, the classic baselines): shown as n/a.
    }
    return r;
}

QChartView* makeCurveChart(QWidget* parent, const QString& title) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(280, 240);
    return view;
}

void resetAxes(QChart* chart, const QString& xTitle, const QString& yTitle, QValueAxis** x,
               QValueAxis** y) {
    chart->removeAllSeries();
    for (auto* a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    *x = new QValueAxis;
    *y = new QValueAxis;
    (*x)->setTitleText(xTitle);
    (*y)->setTitleText(yTitle);
    chart->addAxis(*x, Qt::AlignBottom);
    chart->addAxis(*y, Qt::AlignLeft);
}

}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    runs_ = new QListWidget(this);
    runs_->setObjectName(QStringLiteral("compareRuns"));
    runs_->setToolTip(tr("Tick two or more finished runs to compare them"));
    auto* runsBox = new QGroupBox(tr("Runs (tick two or more)"), this);
    auto* runsLayout = new QVBoxLayout(runsBox);
    runsLayout->addWidget(runs_);
    runsBox->setMaximumWidth(230);

    explanation_ = new QLabel(this);
    explanation_->setObjectName(QStringLiteral("compareExplanation"));
    explanation_->setWordWrap(true);
    explanation_->setTextFormat(Qt::RichText);
    explanation_->setStyleSheet(QStringLiteral(
        "QLabel { background: #fff8e1; border: 1px solid #e0c068; border-radius: 4px; "
        "padding: 8px; }"));
    explanation_->hide();
    status_ = new QLabel(this);
    status_->setWordWrap(true);

    histHost_ = new QWidget(this);
    histLayout_ = new QVBoxLayout(histHost_);
    histLayout_->setContentsMargins(0, 0, 0, 0);
    auto* histScroll = new QScrollArea(this);
    histScroll->setWidget(histHost_);
    histScroll->setWidgetResizable(true);
    histScroll->setFrameShape(QFrame::NoFrame);

    rocView_ = makeCurveChart(this, tr("ROC curves"));
    rocView_->setObjectName(QStringLiteral("compareRoc"));
    prView_ = makeCurveChart(this, tr("Precision-recall curves"));
    prView_->setObjectName(QStringLiteral("comparePr"));
    auto* curves = new QWidget(this);
    auto* curvesLayout = new QVBoxLayout(curves);
    curvesLayout->setContentsMargins(0, 0, 0, 0);
    curvesLayout->addWidget(rocView_, 1);
    curvesLayout->addWidget(prView_, 1);

    table_ = new QTableWidget(this);
    table_->setObjectName(QStringLiteral("compareMetrics"));
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->setColumnCount(11);
    table_->setHorizontalHeaderLabels({tr("Run"), tr("Model"), tr("Score"), tr("Precision"),
                                       tr("Recall"), tr("F1"), tr("ROC-AUC"), tr("PR-AUC"),
                                       tr("Histogram overlap"), tr("Anomalies inside normal range"),
                                       tr("Self-attention")});
    table_->horizontalHeaderItem(3)->setToolTip(tr("At the run's default threshold"));
    table_->horizontalHeaderItem(8)->setToolTip(
        tr("Overlap coefficient of the normal and anomalous score histograms (1 = identical, "
           "0 = disjoint); uses the test labels, describes the run"));
    table_->horizontalHeaderItem(9)->setToolTip(
        tr("Share of anomalies scoring between the 1st and 99th percentile of the normal "
           "sequences: no threshold flags them without flagging normal ones"));
    table_->horizontalHeaderItem(10)->setToolTip(
        tr("Mean attention a position pays to itself (1 = copying its input, 1/length = "
           "uniform), over up to 10 anomalous test sequences"));
    table_->setMaximumHeight(160);

    auto* charts = new QSplitter(Qt::Horizontal, this);
    charts->addWidget(histScroll);
    charts->addWidget(curves);
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 2);
    charts->setChildrenCollapsible(false);
    charts->setSizes({660, 440});
    histScroll->setMinimumWidth(380);

    auto* right = new QVBoxLayout;
    right->addWidget(explanation_);
    right->addWidget(status_);
    right->addWidget(charts, 1);
    right->addWidget(table_);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(runsBox);
    layout->addLayout(right, 1);

    connect(runs_, &QListWidget::itemChanged, this, [this] { loadChecked(); });
    addImageExportMenu(histHost_, QStringLiteral("compare-histograms"));
    addImageExportMenu(rocView_, QStringLiteral("compare-roc"));
    addImageExportMenu(prView_, QStringLiteral("compare-pr"));
    addCsvExportMenu(table_, QStringLiteral("compare-metrics"));
    status_->setText(tr("Tick two or more finished runs on the left."));
}

CompareView::~CompareView() {
    worker_.reset();
}

void CompareView::setProjectPath(const QString& path) {
    worker_.reset();
    path_ = path;
    ++generation_;
    shown_.clear();
    showSummaries();
    {
        QSignalBlocker b(runs_);
        runs_->clear();
    }
    setExplanation({});
    if (path.isEmpty()) return;
    worker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &CompareView::errorOccurred);
    refresh();
}

void CompareView::refresh() {
    if (!worker_) return;
    worker_->query(
        this, [](Project& p) { return finishedRunNames(p); },
        [this](const QStringList& names) {
            QStringList checked;
            for (int i = 0; i < runs_->count(); ++i)
                if (runs_->item(i)->checkState() == Qt::Checked) checked << runs_->item(i)->text();
            QSignalBlocker b(runs_);
            runs_->clear();
            for (const auto& n : names) {
                auto* item = new QListWidgetItem(n, runs_);
                item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                item->setCheckState(checked.contains(n) ? Qt::Checked : Qt::Unchecked);
            }
        });
}

void CompareView::compare(const QStringList& runs) {
    {
        QSignalBlocker b(runs_);
        for (const auto& name : runs)
            if (runs_->findItems(name, Qt::MatchExactly).isEmpty()) {
                auto* item = new QListWidgetItem(name, runs_);
                item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            }
        for (int i = 0; i < runs_->count(); ++i)
            runs_->item(i)->setCheckState(runs.contains(runs_->item(i)->text()) ? Qt::Checked
                                                                                : Qt::Unchecked);
    }
    loadChecked();
}

void CompareView::setExplanation(const QString& html) {
    explanation_->setText(html);
    explanation_->setVisible(!html.isEmpty());
}

void CompareView::loadChecked() {
    if (!worker_) return;
    std::vector<std::string> names;
    for (int i = 0; i < runs_->count(); ++i)
        if (runs_->item(i)->checkState() == Qt::Checked)
            names.push_back(runs_->item(i)->text().toStdString());
    const quint64 gen = ++generation_;
    if (names.size() < 2) {
        shown_.clear();
        showSummaries();
        status_->setText(tr("Tick two or more finished runs on the left."));
        return;
    }
    status_->setText(tr("Loading %1 runs…").arg(names.size()));
    worker_->query(
        this,
        [names](Project& p) {
            std::vector<RunSummary> out;
            for (const auto& n : names) out.push_back(summarise(p, n));
            return out;
        },
        [this, gen](std::vector<RunSummary>& out) {
            if (gen != generation_) return;
            shown_ = std::move(out);
            status_->setText(
                tr("Histograms: each run's scores mapped to its own 0.5–99.5 percentile range "
                   "(0 to 1) so that runs with different score scales share one axis; bars are "
                   "shares of each class. Metrics at each run's default threshold."));
            showSummaries();
            Q_EMIT compared(int(shown_.size()));
        },
        [this, gen](const QString& m) {
            if (gen != generation_) return;
            status_->setText(tr("Cannot compare: %1").arg(m));
            Q_EMIT compareFailed(m);
        });
}

void CompareView::showSummaries() {
    for (auto* v : histograms_) delete v;
    histograms_.clear();
    QValueAxis *rx, *ry, *px, *py;
    resetAxes(rocView_->chart(), tr("false-positive rate"), tr("recall (TPR)"), &rx, &ry);
    resetAxes(prView_->chart(), tr("recall"), tr("precision"), &px, &py);
    for (auto* a : {rx, ry, px, py}) {
        a->setRange(0, 1);
        a->setTickCount(6);
        a->setLabelFormat(QStringLiteral("%.1f"));
    }
    table_->setRowCount(int(shown_.size()));
    for (size_t k = 0; k < shown_.size(); ++k) {
        const RunSummary& r = shown_[k];
        const QColor colour = runColour(k);
        // Histogram of this run.
        auto* chart = new QChart;
        chart->setTitle(tr("<b>%1</b> (%2)").arg(r.name.toHtmlEscaped(), r.scoreName));
        chart->setMargins(QMargins(2, 2, 2, 2));
        chart->legend()->setAlignment(Qt::AlignRight);
        auto* x = new QValueAxis;
        auto* y = new QValueAxis;
        x->setRange(0, 1);
        x->setTickCount(6);
        x->setLabelFormat(QStringLiteral("%.1f"));
        x->setTitleText(tr("%1, normalised per run").arg(r.scoreName));
        double peak = 0.05;
        for (size_t b = 0; b < r.normalShare.size(); ++b)
            peak = std::max({peak, r.normalShare[b], r.anomalousShare[b]});
        y->setRange(0, peak * 1.08);
        y->setLabelFormat(QStringLiteral("%.2f"));
        y->setTitleText(tr("share"));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        auto addClass = [&](const std::vector<double>& share, const QString& name,
                            const QColor& c) {
            auto* upper = new QLineSeries;
            auto* lower = new QLineSeries;
            const double w = 1.0 / double(share.size());
            for (size_t b = 0; b < share.size(); ++b) {
                upper->append(double(b) * w, share[b]);
                upper->append(double(b + 1) * w, share[b]);
            }
            lower->append(0, 0);
            lower->append(1, 0);
            auto* area = new QAreaSeries(upper, lower);
            area->setName(name);
            QColor fill = c;
            fill.setAlpha(140);
            area->setBrush(fill);
            area->setPen(QPen(c.darker(130), 1.2));
            chart->addSeries(area);
            area->attachAxis(x);
            area->attachAxis(y);
        };
        addClass(r.normalShare, tr("normal"), kNormal);
        addClass(r.anomalousShare, tr("anomalous"), kAnomalous);
        auto* view = new QChartView(chart, histHost_);
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(360, 190);
        histLayout_->addWidget(view);
        histograms_.push_back(view);

        // Curves.
        auto* roc = new QLineSeries;
        roc->setName(tr("AUC %1").arg(fmt(r.rocAuc)));
        for (const auto& pt : r.roc) roc->append(pt.x, pt.y);
        auto* pr = new QLineSeries;
        pr->setName(tr("AP %1").arg(fmt(r.prAuc)));
        for (const auto& pt : r.pr) pr->append(pt.x, pt.y);
        for (auto [series, view2, ax, ay] :
             {std::tuple{roc, rocView_, rx, ry}, std::tuple{pr, prView_, px, py}}) {
            series->setPen(QPen(colour, 2.0));
            view2->chart()->addSeries(series);
            series->attachAxis(ax);
            series->attachAxis(ay);
        }

        // Table row.
        const QStringList cells = {
            r.name,
            r.model,
            r.scoreName,
            fmt(r.precision),
            fmt(r.recall),
            fmt(r.f1),
            fmt(r.rocAuc),
            fmt(r.prAuc),
            fmt(r.overlap),
            std::isnan(r.inside) ? QStringLiteral("–")
                                 : QStringLiteral("%1 %").arg(r.inside * 100.0, 0, 'f', 0),
            std::isnan(r.selfAttention)
                ? tr("n/a")
                : tr("%1 (%2 seq.)").arg(fmt(r.selfAttention)).arg(r.attentionSamples)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 0) item->setForeground(colour.darker(110));
            table_->setItem(int(k), c, item);
        }
    }
    rocView_->chart()->setTitle(tr("ROC curves (colours as the runs in the table)"));
    prView_->chart()->setTitle(tr("Precision-recall curves"));
    table_->resizeColumnsToContents();
}

}  // namespace mlad::ui
