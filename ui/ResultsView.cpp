#include "ResultsView.h"

#include <QAreaSeries>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "CurvesView.h"
#include "Export.h"
#include "LinesDialog.h"
#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/eval/Pot.h"
#include "mlad/seq/Sequences.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"

namespace mlad::ui {

namespace {
constexpr int kBins = 60;
const QColor kNormal(0x5b, 0x9b, 0xd5);
const QColor kAnomalous(0xd9, 0x4a, 0x38);
const QColor kUnlabelled(0x9e, 0x9e, 0x9e);

struct Ranked {
    int64_t sequenceId = 0;
    double score = 0;
    int label = -1;
    QString key;
    int64_t length = 0;
};

struct RunChoice {
    int64_t id;
    QString name, status, model, split;
};
}  // namespace

struct ResultsView::Loaded {
    RunInfo run;
    RunScores scores;
    size_t unknown = 0, nonFinite = 0;
    std::shared_ptr<const eval::ThresholdSweep> sweep;
    // [full range][log bins]: the full [min, max] or the robust 0.5-99.5 percentile range.
    viz::ScoreHistogram hist[2][2];
    bool histogramOk = false;
    CurvesView::Curves curves;
    double natural = NAN;  ///< natural anomaly rate of the run's data (NaN: unknown)
    bool stored = false;   ///< a stored run (not showScores' ad-hoc scores)
    /// Per system, when the test sequences come from two or more (multi-system runs).
    struct SystemPart {
        QString name;
        std::shared_ptr<const eval::ThresholdSweep> sweep;
        double auc = NAN, ap = NAN;
    };
    std::vector<SystemPart> systems;
    eval::ThresholdSweep::Best oracle{};
    double auc = NAN, ap = NAN;
    std::vector<Ranked> ranked;
};

ResultsView::ResultsView(QWidget* parent) : QWidget(parent) {
    auto* top = new QHBoxLayout;
    runCombo_ = new QComboBox(this);
    runCombo_->setObjectName(QStringLiteral("resultsRunCombo"));
    runCombo_->setMinimumContentsLength(28);
    runInfo_ = new QLabel(this);
    runInfo_->setWordWrap(true);
    top->addWidget(new QLabel(tr("Run:"), this));
    top->addWidget(runCombo_);
    top->addWidget(runInfo_, 1);

    // Histogram.
    auto* chart = new QChart;
    chart->setTitle(tr("Anomaly score of the test sequences"));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chartView_ = new QChartView(chart, this);
    chartView_->setObjectName(QStringLiteral("energyHistogram"));
    chartView_->setRenderHint(QPainter::Antialiasing);
    chartView_->setMinimumHeight(280);
    logCounts_ = new QCheckBox(tr("Log count axis"), this);
    logCounts_->setToolTip(
        tr("Counts on a log scale: makes the few anomalies visible next to "
           "the bulk of normal sequences"));
    logBins_ = new QCheckBox(tr("Log score bins"), this);
    logBins_->setToolTip(
        tr("Bins of equal width in log10(score − min + 1): finer bins near the "
           "bulk of low energies, the heavy tail still visible"));
    fullRange_ = new QCheckBox(tr("Full range"), this);
    fullRange_->setToolTip(
        tr("Bins over every score from the lowest to the highest. Off (default): bins over the "
           "0.5-99.5 percentiles, the scores beyond drawn as hatched overflow bars, so a far "
           "outlier cannot squash all bars into one"));
    auto* histOptions = new QHBoxLayout;
    histOptions->addWidget(logCounts_);
    histOptions->addWidget(logBins_);
    histOptions->addWidget(fullRange_);
    histOptions->addStretch(1);
    curves_ = new CurvesView(this);

    // Threshold controls.
    slider_ = new QSlider(Qt::Horizontal, this);
    slider_->setObjectName(QStringLiteral("thresholdSlider"));
    slider_->setRange(0, kSliderSteps);
    slider_->setToolTip(
        tr("Threshold as a percentile of the test scores: sequences with a score "
           "≥ threshold are flagged anomalous"));
    spin_ = new QDoubleSpinBox(this);
    spin_->setObjectName(QStringLiteral("thresholdBox"));
    spin_->setDecimals(6);
    spin_->setKeyboardTracking(false);
    spin_->setMinimumWidth(140);
    defaultButton_ = new QPushButton(tr("Default (validation quantile)"), this);
    defaultButton_->setToolTip(
        tr("The (1 − ν) quantile of the validation scores: uses no test "
           "labels, the deployable choice"));
    oracleButton_ = new QPushButton(tr("Oracle best F1 (uses test labels)"), this);
    oracleButton_->setToolTip(
        tr("ORACLE: the threshold that maximises F1 on the test labels. An "
           "upper bound for comparison, never a deployable setting."));
    potButton_ = new QPushButton(tr("POT (validation tail)"), this);
    potButton_->setObjectName(QStringLiteral("potButton"));
    potButton_->setToolTip(
        tr("Peaks over threshold: a generalized Pareto tail fitted to the validation scores, "
           "the level they exceed with probability ν. Uses no test labels; tends to carry "
           "better than the empirical quantile of a few hundred scores"));
    targetButton_ = new QPushButton(tr("Target rate…"), this);
    targetButton_->setObjectName(QStringLiteral("targetButton"));
    targetButton_->setToolTip(
        tr("TARGET-SIDE: the threshold that flags a share you expect of the shown test scores, "
           "from the scores alone (no labels). For logs of a new period or system, where a "
           "threshold fitted on the training period's validation scores does not carry over"));
    thresholdNote_ = new QLabel(this);
    thresholdNote_->setWordWrap(true);
    auto* thresholdRow = new QHBoxLayout;
    thresholdRow->addWidget(new QLabel(tr("Threshold:"), this));
    thresholdRow->addWidget(slider_, 1);
    thresholdRow->addWidget(spin_);
    // The rules on their own row: beside the slider they squeezed it to nothing.
    auto* rulesRow = new QHBoxLayout;
    rulesRow->addWidget(new QLabel(tr("Rule:"), this));
    rulesRow->addWidget(defaultButton_);
    rulesRow->addWidget(potButton_);
    rulesRow->addWidget(targetButton_);
    rulesRow->addWidget(oracleButton_);
    rulesRow->addStretch(1);

    // Metrics.
    auto* metricsBox = new QGroupBox(tr("At this threshold"), this);
    auto* grid = new QGridLayout(metricsBox);
    auto addMetric = [&](const QString& key, const QString& title, int row, int col) {
        auto* name = new QLabel(title, metricsBox);
        auto* value = new QLabel(QStringLiteral("–"), metricsBox);
        value->setObjectName(QStringLiteral("metric_%1").arg(key));
        QFont f = value->font();
        f.setPointSizeF(f.pointSizeF() * 1.25);
        f.setBold(true);
        value->setFont(f);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        grid->addWidget(name, row, col);
        grid->addWidget(value, row, col + 1);
        metricLabels_.insert(key, value);
    };
    addMetric(QStringLiteral("precision"), tr("Precision"), 0, 0);
    addMetric(QStringLiteral("recall"), tr("Recall"), 1, 0);
    addMetric(QStringLiteral("f1"), tr("F1"), 2, 0);
    addMetric(QStringLiteral("specificity"), tr("Specificity"), 3, 0);
    auto* cm = new QLabel(tr("Confusion matrix"), metricsBox);
    QFont bold = cm->font();
    bold.setBold(true);
    cm->setFont(bold);
    grid->addWidget(cm, 0, 3, 1, 3);
    grid->addWidget(new QLabel(tr("predicted anomalous"), metricsBox), 1, 4);
    grid->addWidget(new QLabel(tr("predicted normal"), metricsBox), 1, 5);
    grid->addWidget(new QLabel(tr("actual anomalous"), metricsBox), 2, 3);
    grid->addWidget(new QLabel(tr("actual normal"), metricsBox), 3, 3);
    auto addCell = [&](const QString& key, int row, int col, const QColor& bg) {
        auto* value = new QLabel(QStringLiteral("–"), metricsBox);
        value->setObjectName(QStringLiteral("metric_%1").arg(key));
        value->setAlignment(Qt::AlignCenter);
        value->setMinimumWidth(110);
        value->setStyleSheet(
            QStringLiteral("background: %1; padding: 4px; border-radius: 3px;").arg(bg.name()));
        value->setToolTip(key.toUpper());
        grid->addWidget(value, row, col);
        metricLabels_.insert(key, value);
    };
    addCell(QStringLiteral("tp"), 2, 4, QColor(0xd5, 0xf0, 0xd5));
    addCell(QStringLiteral("fn"), 2, 5, QColor(0xfb, 0xe0, 0xdc));
    addCell(QStringLiteral("fp"), 3, 4, QColor(0xfb, 0xe0, 0xdc));
    addCell(QStringLiteral("tn"), 3, 5, QColor(0xd5, 0xf0, 0xd5));
    grid->setColumnMinimumWidth(2, 24);
    grid->setColumnStretch(6, 1);
    summary_ = new QLabel(metricsBox);
    summary_->setWordWrap(true);
    grid->addWidget(summary_, 4, 0, 1, 7);

    // Ranked list.
    ranked_ = new QTableWidget(this);
    ranked_->setObjectName(QStringLiteral("rankedSequences"));
    ranked_->setColumnCount(6);
    ranked_->setHorizontalHeaderLabels(
        {tr("Rank"), tr("Score"), tr("Label"), tr("Sequence id"), tr("Key"), tr("Length")});
    ranked_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    ranked_->setSelectionBehavior(QAbstractItemView::SelectRows);
    ranked_->verticalHeader()->hide();
    ranked_->verticalHeader()->setDefaultSectionSize(ranked_->fontMetrics().height() + 6);
    ranked_->setWordWrap(false);
    ranked_->horizontalHeader()->setStretchLastSection(true);
    ranked_->setToolTip(tr("The most anomalous test sequences; double-click for the raw lines"));
    auto* rankedBox =
        new QGroupBox(tr("Most anomalous test sequences (double-click: raw lines)"), this);
    auto* rankedLayout = new QVBoxLayout(rankedBox);
    rankedLayout->addWidget(ranked_);

    auto* leftPane = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(leftPane);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* histPage = new QWidget(this);
    auto* histLayout = new QVBoxLayout(histPage);
    histLayout->setContentsMargins(0, 0, 0, 0);
    histLayout->addWidget(chartView_, 1);
    histLayout->addLayout(histOptions);
    plotTabs_ = new QTabWidget(this);
    plotTabs_->setObjectName(QStringLiteral("resultsPlots"));
    plotTabs_->addTab(histPage, tr("Score histogram"));
    plotTabs_->addTab(curves_, tr("ROC && PR curves"));
    leftLayout->addWidget(plotTabs_, 1);
    leftLayout->addLayout(thresholdRow);
    leftLayout->addLayout(rulesRow);
    leftLayout->addWidget(thresholdNote_);
    leftLayout->addWidget(metricsBox);
    perSystem_ = new QTableWidget(this);
    perSystem_->setObjectName(QStringLiteral("perSystem"));
    perSystem_->setColumnCount(9);
    perSystem_->setHorizontalHeaderLabels({tr("System"), tr("Test sequences"), tr("Anomalous"),
                                           tr("Flagged"), tr("Precision"), tr("Recall"), tr("F1"),
                                           tr("ROC-AUC"), tr("PR-AUC")});
    perSystem_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    perSystem_->verticalHeader()->hide();
    perSystem_->setToolTip(tr("The same threshold applied to each system's test sequences"));
    perSystem_->setMaximumHeight(130);
    perSystem_->hide();
    leftLayout->addWidget(perSystem_);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(leftPane);
    splitter->addWidget(rankedBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({880, 520});

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(runCombo_, &QComboBox::currentIndexChanged, this, &ResultsView::loadRun);
    connect(slider_, &QSlider::valueChanged, this, &ResultsView::onSliderMoved);
    connect(spin_, &QDoubleSpinBox::valueChanged, this, &ResultsView::onSpinChanged);
    connect(logCounts_, &QCheckBox::toggled, this, &ResultsView::rebuildHistogram);
    connect(logBins_, &QCheckBox::toggled, this, &ResultsView::rebuildHistogram);
    connect(fullRange_, &QCheckBox::toggled, this, &ResultsView::rebuildHistogram);
    connect(defaultButton_, &QPushButton::clicked, this, [this] {
        if (!loaded_) return;
        setThreshold(loaded_->scores.defaultThreshold);
        thresholdNote_->setText(
            tr("Default threshold: the (1 − ν) quantile of the validation scores, ν = %1 (no "
               "test labels used).")
                .arg(loaded_->scores.nu));
        thresholdNote_->setStyleSheet(QString());
    });
    connect(potButton_, &QPushButton::clicked, this, [this] {
        if (!loaded_) return;
        const RunScores& s = loaded_->scores;
        try {
            setThreshold(eval::fitPot(s.valScores).threshold(s.nu));
            thresholdNote_->setText(
                tr("POT threshold: generalized Pareto tail of the validation scores at risk "
                   "ν = %1 (no test labels used).")
                    .arg(s.nu));
        } catch (const std::invalid_argument& e) {
            thresholdNote_->setText(tr("No POT threshold for this run: %1.").arg(qs(e.what())));
        }
        thresholdNote_->setStyleSheet(QString());
    });
    connect(targetButton_, &QPushButton::clicked, this, [this] {
        if (!loaded_) return;
        bool ok = false;
        const double percent = QInputDialog::getDouble(
            this, tr("Target-side threshold"),
            tr("Expected share of anomalies among the shown test sequences (%):"),
            100.0 * loaded_->scores.nu, 0.01, 99.0, 2, &ok);
        if (ok) applyTargetRate(percent / 100.0);
    });
    connect(oracleButton_, &QPushButton::clicked, this, [this] {
        if (!loaded_) return;
        setThreshold(loaded_->oracle.threshold);
        oracleActive_ = true;
        thresholdNote_->setText(
            tr("ORACLE threshold: chosen with the test labels to maximise F1 (%1). An upper "
               "bound for comparison only, not a deployable setting.")
                .arg(formatMetric(loaded_->oracle.f1)));
        thresholdNote_->setStyleSheet(QStringLiteral("color: #8a1c1a; font-weight: bold;"));
    });
    connect(ranked_, &QTableWidget::cellDoubleClicked, this,
            [this](int row) { openRankedRow(row); });
    connect(ranked_, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row < 0 || row >= ranked_->rowCount() || !ranked_->item(row, 0)) return;
        Q_EMIT sequenceSelected(ranked_->item(row, 0)->data(Qt::UserRole).toLongLong());
    });
    setEnabledControls(false);
}

void ResultsView::applyTargetRate(double rate) {
    if (!loaded_ || !(rate > 0 && rate < 1)) return;
    // Core's target-side rule, as `mlad evaluate/score --threshold target:RATE` use it.
    ThresholdChoice target;
    target.kind = ThresholdChoice::Kind::TargetQuantile;
    target.value = 1.0 - rate;
    const RunScores& s = loaded_->scores;
    try {
        setThreshold(resolveThreshold(target, s, s.testScores, s.testLabels));
    } catch (const std::invalid_argument& e) {
        thresholdNote_->setText(tr("No target-side threshold: %1.").arg(qs(e.what())));
        return;
    }
    thresholdNote_->setText(
        tr("TARGET-SIDE threshold: flags about %1 % of the shown test sequences, from their own "
           "scores (no labels): for a new period or system, where the validation threshold "
           "does not carry over.")
            .arg(100.0 * rate, 0, 'g', 3));
    thresholdNote_->setStyleSheet(QString());
}

ResultsView::~ResultsView() {
    worker_.reset();
}

void ResultsView::setEnabledControls(bool on) {
    for (QWidget* w :
         std::initializer_list<QWidget*>{slider_, spin_, defaultButton_, potButton_, targetButton_,
                                         oracleButton_, logCounts_, logBins_, fullRange_})
        w->setEnabled(on);
}

void ResultsView::setProjectPath(const QString& path) {
    worker_.reset();
    path_ = path;
    ++generation_;
    loaded_.reset();
    sweep_.reset();
    {
        QSignalBlocker b(runCombo_);
        runCombo_->clear();
    }
    runInfo_->clear();
    ranked_->setRowCount(0);
    chartView_->chart()->removeAllSeries();
    thresholdLine_ = nullptr;
    flaggedArea_ = nullptr;
    curves_->clear();
    setEnabledControls(false);
    updateMetrics();
    if (path.isEmpty()) return;
    worker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &ResultsView::errorOccurred);
    refresh();
}

void ResultsView::refresh() {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    worker_->query(
        this,
        [](Project& p) {
            std::vector<RunChoice> out;
            for (const auto& r : listRuns(p))
                if (r.status == "done")  // only finished runs have test scores
                    out.push_back({r.id, qs(r.name), qs(r.status), qs(r.model), qs(r.splitName)});
            return out;
        },
        [this, gen](const std::vector<RunChoice>& runs) {
            if (gen != generation_) return;
            const QString keep = runCombo_->currentData().toString();
            {
                QSignalBlocker b(runCombo_);
                runCombo_->clear();
                for (const auto& r : runs) {
                    runCombo_->addItem(
                        QStringLiteral("%1 — %2 on %3").arg(r.name, r.model, r.split), r.name);
                    runCombo_->setItemData(runCombo_->count() - 1, qlonglong(r.id),
                                           Qt::UserRole + 1);
                }
            }
            Q_EMIT runsLoaded(int(runs.size()));
            if (runs.empty()) {
                runInfo_->setText(tr("No finished runs yet: train one in the Training tab."));
                return;
            }
            const int idx = runCombo_->findData(keep);
            if (idx >= 0 && loaded_ && qs(loaded_->run.name) == keep) {
                QSignalBlocker b(runCombo_);
                runCombo_->setCurrentIndex(idx);
                return;  // already shown
            }
            runCombo_->setCurrentIndex(-1);
            runCombo_->setCurrentIndex(idx >= 0 ? idx : 0);
        });
}

bool ResultsView::selectRun(const QString& name) {
    const int idx = runCombo_->findData(name);
    if (idx < 0) return false;
    if (idx == runCombo_->currentIndex())
        loadRun(idx);
    else
        runCombo_->setCurrentIndex(idx);
    return true;
}

void ResultsView::loadRun(int comboIndex) {
    if (!worker_ || comboIndex < 0) return;
    const int64_t runId = runCombo_->itemData(comboIndex, Qt::UserRole + 1).toLongLong();
    const QString name = runCombo_->itemData(comboIndex).toString();
    const quint64 gen = ++generation_;
    runInfo_->setText(tr("Loading scores of %1…").arg(name));
    setEnabledControls(false);
    worker_->query(
        this,
        [runId, name](Project& p) {
            auto out = std::make_shared<Loaded>();
            auto run = findRun(p, name.toStdString());
            if (!run) throw std::runtime_error("run " + name.toStdString() + " not found");
            out->run = *run;
            out->stored = true;
            out->scores = loadRunScores(p, runId);
            analyse(p, *out);
            return out;
        },
        [this, gen](std::shared_ptr<Loaded>& loaded) {
            if (gen != generation_) return;
            applyLoaded(loaded);
        },
        [this, gen, name](const QString& m) {
            if (gen != generation_) return;
            runInfo_->setText(tr("Cannot show %1: %2").arg(name, m));
            Q_EMIT errorOccurred(tr("Cannot load the scores of run %1: %2").arg(name, m));
        });
}

void ResultsView::showScores(const QString& title, RunScores scores) {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    runInfo_->setText(tr("Preparing %1…").arg(title));
    setEnabledControls(false);
    auto shared = std::make_shared<RunScores>(std::move(scores));
    worker_->query(
        this,
        [title, shared](Project& p) {
            auto out = std::make_shared<Loaded>();
            out->run.name = title.toStdString();
            out->scores = std::move(*shared);
            analyse(p, *out);
            return out;
        },
        [this, gen](std::shared_ptr<Loaded>& loaded) {
            if (gen != generation_) return;
            applyLoaded(loaded);
        });
}

void ResultsView::analyse(Project& p, Loaded& loaded) {
    Loaded* out = &loaded;
    const RunScores& s = out->scores;
    // The sweep takes labelled scores only; unknown labels are counted apart.
    std::vector<double> scores;
    std::vector<uint8_t> labels;
    std::vector<double> finite;
    std::vector<uint8_t> finiteLabels;
    for (size_t i = 0; i < s.testScores.size(); ++i) {
        const double v = s.testScores[i];
        const uint8_t l = i < s.testLabels.size() ? s.testLabels[i] : 2;
        if (std::isnan(v)) {
            ++out->nonFinite;
            continue;
        }
        if (std::isfinite(v)) {
            finite.push_back(v);
            finiteLabels.push_back(l);
        } else {
            ++out->nonFinite;
        }
        if (l > 1) {
            ++out->unknown;
            continue;
        }
        scores.push_back(v);
        labels.push_back(l);
    }
    // Per-system sweeps when the test sequences span systems.
    {
        const std::vector<int64_t> systemOf = systemsOfSequences(p, s.testIds);
        std::map<int64_t, std::pair<std::vector<double>, std::vector<uint8_t>>> parts;
        for (size_t i = 0; i < s.testScores.size() && i < systemOf.size(); ++i) {
            const uint8_t l = i < s.testLabels.size() ? s.testLabels[i] : 2;
            if (std::isnan(s.testScores[i]) || l > 1 || systemOf[i] == 0) continue;
            parts[systemOf[i]].first.push_back(s.testScores[i]);
            parts[systemOf[i]].second.push_back(l);
        }
        if (parts.size() >= 2) {
            std::map<int64_t, std::string> names;
            for (const auto& sys : p.systems()) names[sys.id] = sys.name;
            for (auto& [id, part] : parts) {
                Loaded::SystemPart sp;
                sp.name = qs(names.count(id) ? names[id] : "#" + std::to_string(id));
                auto sw = std::make_shared<eval::ThresholdSweep>(std::move(part.first),
                                                                 std::move(part.second));
                sp.auc = sw->rocAuc();
                sp.ap = sw->averagePrecision();
                sp.sweep = sw;
                out->systems.push_back(std::move(sp));
            }
        }
    }
    auto sweep = std::make_shared<eval::ThresholdSweep>(std::move(scores), std::move(labels));
    out->oracle = sweep->oracleBestF1();
    out->auc = sweep->rocAuc();
    out->ap = sweep->averagePrecision();
    out->sweep = sweep;
    if (!finite.empty()) {
        for (int full = 0; full < 2; ++full)
            for (int logBins = 0; logBins < 2; ++logBins)
                out->hist[full][logBins] =
                    full ? viz::binScores(finite, finiteLabels, kBins, logBins != 0)
                         : viz::binScoresRobust(finite, finiteLabels, kBins, logBins != 0);
        out->histogramOk = true;
    }
    out->curves.roc = sweep->rocCurve(1000);
    out->curves.pr = sweep->prCurve(1000);
    out->curves.rocAuc = out->auc;
    out->curves.averagePrecision = out->ap;
    out->curves.prevalence =
        sweep->size() ? double(sweep->positives()) / double(sweep->size()) : 0.0;
    if (out->run.splitId > 0) {
        try {
            out->natural = naturalAnomalyRate(p, out->run.splitId);
        } catch (const std::exception&) {
            out->natural = NAN;  // no labels outside the split: the line is left out
        }
    }
    // Top sequences by score, with their keys.
    std::vector<size_t> order(s.testScores.size());
    std::iota(order.begin(), order.end(), size_t(0));
    const size_t top = std::min(order.size(), size_t(kRankedRows));
    std::partial_sort(
        order.begin(), order.begin() + long(top), order.end(), [&](size_t a, size_t b) {
            // NaN scores rank last (and keep the ordering strict).
            const double x = std::isnan(s.testScores[a]) ? -INFINITY : s.testScores[a];
            const double y = std::isnan(s.testScores[b]) ? -INFINITY : s.testScores[b];
            return x > y;
        });
    for (size_t k = 0; k < top; ++k) {
        const size_t i = order[k];
        Ranked r;
        r.sequenceId = i < s.testIds.size() ? s.testIds[i] : 0;
        r.score = s.testScores[i];
        r.label = i < s.testLabels.size() && s.testLabels[i] <= 1 ? s.testLabels[i] : -1;
        if (auto row = r.sequenceId ? sequenceById(p, r.sequenceId) : std::nullopt) {
            r.key = qs(row->key);
            r.length = row->length;
        }
        out->ranked.push_back(r);
    }
}

void ResultsView::applyLoaded(std::shared_ptr<Loaded> loaded) {
    loaded_ = std::move(loaded);
    sweep_ = loaded_->sweep;
    // Titles name the run's own score ("energy" for MLAD, "reconstruction error" for its
    // w/o-gmm ablation, "score" for a detector without energy).
    scoreName_ = qs(runScoreName(loaded_->run.configJson));
    QString title = scoreName_;
    if (!title.isEmpty()) title[0] = title[0].toUpper();
    chartView_->chart()->setTitle(tr("%1 (anomaly score) of the test sequences").arg(title));
    const auto& s = loaded_->scores;
    QString info =
        tr("%1 test sequences (%2 anomalous, %3 normal%4) · ROC-AUC %5 · PR-AUC %6")
            .arg(formatCount(s.testScores.size()), formatCount(sweep_->positives()),
                 formatCount(sweep_->negatives()))
            .arg(loaded_->unknown ? tr(", %1 unlabelled").arg(loaded_->unknown) : QString())
            .arg(formatMetric(loaded_->auc), formatMetric(loaded_->ap));
    if (loaded_->nonFinite) info += tr(" · %1 non-finite scores").arg(loaded_->nonFinite);
    runInfo_->setText(info);

    ranked_->setRowCount(int(loaded_->ranked.size()));
    for (int i = 0; i < int(loaded_->ranked.size()); ++i) {
        const Ranked& r = loaded_->ranked[size_t(i)];
        const QStringList cells = {QString::number(i + 1),
                                   QString::number(r.score, 'g', 6),
                                   labelText(r.label),
                                   QString::number(r.sequenceId),
                                   r.key,
                                   QString::number(r.length)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (r.label == 1) item->setForeground(kAnomalous.darker(130));
            if (c == 0) item->setData(Qt::UserRole, qlonglong(r.sequenceId));
            ranked_->setItem(i, c, item);
        }
    }
    ranked_->resizeColumnsToContents();

    const bool any = sweep_->size() > 0;
    const double lo = any ? sweep_->minScore() : 0.0, hi = any ? sweep_->maxScore() : 1.0;
    const double span = std::max(hi - lo, 1e-9);
    {
        QSignalBlocker b(spin_);
        spin_->setRange(lo - span * 0.05 - 1e-6, hi + span * 0.05 + 1e-6);
        spin_->setSingleStep(span / 200.0);
    }
    oracleActive_ = false;
    setEnabledControls(true);
    curves_->setCurves(loaded_->curves);
    rebuildHistogram();
    setThreshold(s.defaultThreshold);
    thresholdNote_->setText(tr("Default threshold: the (1 − ν) quantile of the validation "
                               "scores, ν = %1 (no test labels used).")
                                .arg(s.nu));
    thresholdNote_->setStyleSheet(QString());
    Q_EMIT scoresLoaded(qs(loaded_->run.name));
}

void ResultsView::rebuildHistogram() {
    QChart* chart = chartView_->chart();
    chart->removeAllSeries();
    for (auto* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
    thresholdLine_ = nullptr;
    flaggedArea_ = nullptr;
    xAxis_ = yAxis_ = nullptr;
    if (!loaded_ || !loaded_->histogramOk) return;
    const viz::ScoreHistogram& h =
        loaded_->hist[fullRange_->isChecked() ? 1 : 0][logBins_->isChecked() ? 1 : 0];
    const bool logY = logCounts_->isChecked();
    const double base = logY ? 0.5 : 0.0;

    // Overflow bars sit beside the binned range, separated by a gap, two bins wide.
    const double wLow = h.binHigh(0) - h.binLow(0);
    const double wHigh = h.binHigh(h.bins() - 1) - h.binLow(h.bins() - 1);
    const bool below = h.below.total() > 0, above = h.above.total() > 0;
    const double belowLo = h.lo - 2.5 * wLow, belowHi = h.lo - 0.5 * wLow;
    const double aboveLo = h.hi + 0.5 * wHigh, aboveHi = h.hi + 2.5 * wHigh;
    xLo_ = below ? belowLo : h.lo;
    xHi_ = above ? aboveHi : h.hi;

    uint64_t peak = 1;
    for (size_t i = 0; i < h.bins(); ++i)
        peak = std::max({peak, h.normal[i], h.anomalous[i], h.unlabeled[i]});
    for (const auto* o : {&h.below, &h.above})
        peak = std::max({peak, o->normal, o->anomalous, o->unlabeled});
    yTop_ = logY ? double(peak) * 2.0 : double(peak) * 1.08;

    auto* x = new QValueAxis;
    x->setRange(xLo_, xHi_);
    QString xTitle = tr("%1 (higher = more anomalous)").arg(scoreName_);
    if (below || above) {
        QStringList parts;
        if (below)
            parts << tr("%1 below %2").arg(formatCount(h.below.total())).arg(h.lo, 0, 'g', 4);
        if (above)
            parts << tr("%1 above %2").arg(formatCount(h.above.total())).arg(h.hi, 0, 'g', 4);
        xTitle += tr(" · hatched overflow bars: %1").arg(parts.join(tr(", ")));
    }
    x->setTitleText(xTitle);
    x->setLabelFormat(QStringLiteral("%.3g"));
    x->setTickCount(9);
    QAbstractAxis* y;
    if (logY) {
        auto* ly = new QLogValueAxis;
        ly->setBase(10);
        ly->setRange(base, yTop_);
        ly->setLabelFormat(QStringLiteral("%g"));
        y = ly;
    } else {
        auto* vy = new QValueAxis;
        vy->setRange(0, yTop_);
        vy->setLabelFormat(QStringLiteral("%d"));
        y = vy;
    }
    y->setTitleText(tr("sequences"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    xAxis_ = x;
    yAxis_ = y;

    auto addArea = [&](QLineSeries* upper, QLineSeries* lower, const QBrush& brush, const QPen& pen,
                       const QString& name, bool inLegend) {
        auto* area = new QAreaSeries(upper, lower);
        area->setName(name);
        area->setBrush(brush);
        area->setPen(pen);
        chart->addSeries(area);
        area->attachAxis(x);
        area->attachAxis(y);
        if (!inLegend)
            for (auto* m : chart->legend()->markers(area)) m->setVisible(false);
        return area;
    };

    // The flagged region (score >= threshold), shaded behind the bars.
    {
        auto* upper = new QLineSeries;
        auto* lower = new QLineSeries;
        flaggedArea_ = addArea(upper, lower, QColor(0xd9, 0x4a, 0x38, 28), Qt::NoPen,
                               tr("flagged (score ≥ threshold)"), true);
    }

    // Overlaid step outlines, each filled down to the baseline (semi-transparent); the
    // overflow bars of the same class hatched in its colour.
    auto addClass = [&](const std::vector<uint64_t>& counts, uint64_t belowCount,
                        uint64_t aboveCount, const QString& name, const QColor& color) {
        uint64_t total = belowCount + aboveCount;
        for (auto c : counts) total += c;
        if (total == 0) return;
        auto* upper = new QLineSeries;
        auto* lower = new QLineSeries;
        for (size_t i = 0; i < counts.size(); ++i) {
            const double v = counts[i] > 0 ? double(counts[i]) : base;
            upper->append(h.binLow(i), v);
            upper->append(h.binHigh(i), v);
        }
        lower->append(h.binLow(0), base);
        lower->append(h.binHigh(counts.size() - 1), base);
        QColor fill = color;
        fill.setAlpha(150);
        const QPen outline(color.darker(130), 1.2);
        addArea(upper, lower, fill, outline,
                QStringLiteral("%1 (%2)").arg(name, formatCount(total)), true);
        auto overflowBar = [&](double a, double b, uint64_t count) {
            if (count == 0) return;
            auto* up = new QLineSeries;
            auto* low = new QLineSeries;
            up->append(a, double(count));
            up->append(b, double(count));
            low->append(a, base);
            low->append(b, base);
            addArea(up, low, QBrush(color.darker(120), Qt::BDiagPattern), outline,
                    tr("%1 beyond the range").arg(name), false);
        };
        overflowBar(belowLo, belowHi, belowCount);
        overflowBar(aboveLo, aboveHi, aboveCount);
    };
    addClass(h.normal, h.below.normal, h.above.normal, tr("normal"), kNormal);
    addClass(h.anomalous, h.below.anomalous, h.above.anomalous, tr("anomalous"), kAnomalous);
    addClass(h.unlabeled, h.below.unlabeled, h.above.unlabeled, tr("unlabelled"), kUnlabelled);

    thresholdLine_ = new QLineSeries;
    thresholdLine_->setName(tr("threshold"));
    QPen pen(QColor(0x22, 0x22, 0x22), 2.0, Qt::DashLine);
    thresholdLine_->setPen(pen);
    chart->addSeries(thresholdLine_);
    thresholdLine_->attachAxis(x);
    thresholdLine_->attachAxis(y);
    updateThresholdLine();
}

void ResultsView::updateThresholdLine() {
    if (sweep_) curves_->setMarker(sweep_->at(threshold_), threshold_);
    if (!thresholdLine_) return;
    const double base = logCounts_->isChecked() ? 0.5 : 0.0;
    // A threshold beyond the plotted range is drawn at the range's edge (inside the overflow
    // bar that holds it).
    const double t = std::clamp(threshold_, xLo_, xHi_);
    thresholdLine_->replace(QList<QPointF>{{t, base}, {t, yTop_}});
    if (flaggedArea_) {
        flaggedArea_->upperSeries()->replace(QList<QPointF>{{t, yTop_}, {xHi_, yTop_}});
        flaggedArea_->lowerSeries()->replace(QList<QPointF>{{t, base}, {xHi_, base}});
    }
}

void ResultsView::setThreshold(double t) {
    if (!std::isfinite(t)) return;
    threshold_ = t;
    syncing_ = true;
    spin_->setValue(t);
    if (sweep_ && sweep_->size() > 1) {
        const auto& sorted = sweep_->sortedScores();
        const size_t idx =
            size_t(std::lower_bound(sorted.begin(), sorted.end(), t) - sorted.begin());
        const double frac = double(std::min(idx, sorted.size() - 1)) / double(sorted.size() - 1);
        slider_->setValue(int(std::lround(frac * kSliderSteps)));
    }
    syncing_ = false;
    oracleActive_ = false;
    updateMetrics();
    updateThresholdLine();
    Q_EMIT thresholdChanged(threshold_);
}

void ResultsView::onSliderMoved(int pos) {
    if (syncing_ || !sweep_ || sweep_->size() == 0) return;
    const auto& sorted = sweep_->sortedScores();
    const size_t idx = size_t(std::lround(double(pos) / kSliderSteps * double(sorted.size() - 1)));
    threshold_ = sorted[std::min(idx, sorted.size() - 1)];
    syncing_ = true;
    spin_->setValue(threshold_);
    syncing_ = false;
    thresholdNote_->setText(tr("Manual threshold (slider = percentile %1 of the test scores).")
                                .arg(double(pos) / kSliderSteps * 100.0, 0, 'f', 1));
    thresholdNote_->setStyleSheet(QString());
    updateMetrics();
    updateThresholdLine();
    Q_EMIT thresholdChanged(threshold_);
}

void ResultsView::onSpinChanged(double v) {
    if (syncing_ || !sweep_) return;
    setThreshold(v);
    thresholdNote_->setText(tr("Manual threshold."));
    thresholdNote_->setStyleSheet(QString());
}

QString ResultsView::thresholdNoteText() const {
    return thresholdNote_->text();
}

bool ResultsView::showsStoredRun() const {
    return loaded_ && loaded_->stored;
}

eval::Confusion ResultsView::currentConfusion() const {
    return sweep_ ? sweep_->at(threshold_) : eval::Confusion{};
}

QString ResultsView::formatMetric(double v) {
    return std::isnan(v) ? QStringLiteral("n/a") : QString::number(v, 'f', 4);
}

QString ResultsView::metricText(const QString& name) const {
    auto* l = metricLabels_.value(name);
    return l ? l->text() : QString();
}

void ResultsView::updateMetrics() {
    if (!sweep_) {
        for (auto* l : metricLabels_) l->setText(QStringLiteral("–"));
        summary_->clear();
        perSystem_->hide();
        return;
    }
    const eval::Confusion c = sweep_->at(threshold_);
    metricLabels_[QStringLiteral("precision")]->setText(formatMetric(c.precision()));
    metricLabels_[QStringLiteral("recall")]->setText(formatMetric(c.recall()));
    metricLabels_[QStringLiteral("f1")]->setText(formatMetric(c.f1()));
    metricLabels_[QStringLiteral("specificity")]->setText(formatMetric(c.specificity()));
    metricLabels_[QStringLiteral("tp")]->setText(QStringLiteral("TP %1").arg(formatCount(c.tp)));
    metricLabels_[QStringLiteral("fp")]->setText(QStringLiteral("FP %1").arg(formatCount(c.fp)));
    metricLabels_[QStringLiteral("tn")]->setText(QStringLiteral("TN %1").arg(formatCount(c.tn)));
    metricLabels_[QStringLiteral("fn")]->setText(QStringLiteral("FN %1").arg(formatCount(c.fn)));
    const uint64_t flagged = c.tp + c.fp;
    summary_->setText(
        tr("Flagged %1 of %2 labelled test sequences (%3 %) at threshold %4; "
           "accuracy %5, false-positive rate %6.")
            .arg(formatCount(flagged), formatCount(c.total()))
            .arg(c.total() ? 100.0 * double(flagged) / double(c.total()) : 0.0, 0, 'f', 2)
            .arg(threshold_, 0, 'g', 8)
            .arg(formatMetric(c.accuracy()), formatMetric(c.fpr())));
    updatePerSystem();
    const double pi = loaded_ ? loaded_->natural : NAN;
    const double prevalence =
        sweep_->size() ? double(sweep_->positives()) / double(sweep_->size()) : 0.0;
    if (std::isfinite(pi) && pi > 0 && sweep_->positives() && sweep_->negatives() &&
        std::abs(pi - prevalence) > 1e-3) {
        // The test set's mix differs from the data's (e.g. the paper's balanced split): what
        // the same TPR and FPR mean at the natural rate.
        const eval::RateMetrics r = eval::atPrevalence(c, pi);
        const double falseShare = c.tp + c.fp ? 1.0 - r.precision : 0.0;
        summary_->setText(
            summary_->text() +
            tr("\nAt the natural anomaly rate of these logs (%1 %, this test set has %2 %): "
               "precision %3, F1 %4; %5 % of the flagged sequences would be false alarms.")
                .arg(pi * 100.0, 0, 'g', 3)
                .arg(prevalence * 100.0, 0, 'g', 3)
                .arg(formatMetric(r.precision), formatMetric(r.f1))
                .arg(falseShare * 100.0, 0, 'f', 1));
    }
}

namespace {
/// A widget rendered at 2x into a base64 PNG data URI (hidden tabs render at their last size).
QString widgetPng(QWidget* w, QSize size) {
    if (size.width() < 200 || size.height() < 150) size = QSize(900, 420);
    const QSize old = w->size();
    if (w->size() != size) w->resize(size);
    const QImage image = renderWidget(w);
    if (w->size() != old) w->resize(old);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return QStringLiteral("data:image/png;base64,") + QString::fromLatin1(bytes.toBase64());
}
}  // namespace

QString ResultsView::reportHtml() {
    if (!loaded_ || !sweep_) return {};
    const eval::Confusion c = sweep_->at(threshold_);
    auto esc = [](const QString& s) { return s.toHtmlEscaped(); };
    QString h;
    h += QStringLiteral(
             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%1</title>"
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px "
             "8px;text-align:left}th{background:#f3f3f3}img{max-width:100%}"
             ".oracle{color:#8a1c1a;font-weight:bold}</style></head><body>\n")
             .arg(esc(tr("MLAD run report: %1").arg(qs(loaded_->run.name))));
    h += QStringLiteral("<h1>%1</h1>\n").arg(esc(tr("Run %1").arg(qs(loaded_->run.name))));
    h += QStringLiteral("<p>%1</p>\n").arg(esc(runInfo_->text()));
    h += QStringLiteral("<p>%1</p>\n")
             .arg(esc(tr("Model %1 on split %2; written %3 by MLAD Workbench %4.")
                          .arg(qs(loaded_->run.model), qs(loaded_->run.splitName),
                               QDateTime::currentDateTimeUtc().toString(Qt::ISODate),
                               QStringLiteral(MLAD_VERSION))));
    h += QStringLiteral("<h2>%1</h2>\n").arg(esc(tr("At the threshold")));
    h += QStringLiteral("<p%1>%2</p>\n")
             .arg(oracleActive_ ? QStringLiteral(" class=\"oracle\"") : QString(),
                  esc(thresholdNote_->text()));
    h += QStringLiteral(
             "<table><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th><th>TP</th>"
             "<th>FP</th><th>TN</th><th>FN</th><th>%5</th></tr>")
             .arg(tr("Precision"), tr("Recall"), tr("F1"), tr("Specificity"), tr("Threshold"));
    h += QStringLiteral(
             "<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td>"
             "<td>%7</td><td>%8</td><td>%9</td></tr></table>\n")
             .arg(formatMetric(c.precision()), formatMetric(c.recall()), formatMetric(c.f1()),
                  formatMetric(c.specificity()))
             .arg(c.tp)
             .arg(c.fp)
             .arg(c.tn)
             .arg(c.fn)
             .arg(threshold_, 0, 'g', 8);
    h += QStringLiteral("<p>%1</p>\n").arg(esc(summary_->text()).replace("\n", "<br>"));
    h += QStringLiteral("<h2>%1</h2>\n<img alt=\"histogram\" src=\"%2\">\n")
             .arg(esc(tr("Score histogram")), widgetPng(chartView_, chartView_->size()));
    h += QStringLiteral("<h2>%1</h2>\n<img alt=\"curves\" src=\"%2\">\n")
             .arg(esc(tr("ROC and precision-recall curves")),
                  widgetPng(curves_, chartView_->size()));
    h += QStringLiteral("<h2>%1</h2>\n<table><tr>").arg(esc(tr("Most anomalous test sequences")));
    for (int col = 0; col < ranked_->columnCount(); ++col)
        h += QStringLiteral("<th>%1</th>").arg(esc(ranked_->horizontalHeaderItem(col)->text()));
    h += QStringLiteral("</tr>\n");
    for (int row = 0; row < ranked_->rowCount() && row < 100; ++row) {
        h += QStringLiteral("<tr>");
        for (int col = 0; col < ranked_->columnCount(); ++col)
            h += QStringLiteral("<td>%1</td>")
                     .arg(esc(ranked_->item(row, col) ? ranked_->item(row, col)->text()
                                                      : QString()));
        h += QStringLiteral("</tr>\n");
    }
    h += QStringLiteral("</table>\n</body></html>\n");
    return h;
}

void ResultsView::updatePerSystem() {
    if (!loaded_ || loaded_->systems.size() < 2) {
        perSystem_->hide();
        return;
    }
    perSystem_->setRowCount(int(loaded_->systems.size()));
    for (int r = 0; r < int(loaded_->systems.size()); ++r) {
        const auto& sp = loaded_->systems[size_t(r)];
        const eval::Confusion c = sp.sweep->at(threshold_);
        const QStringList cells = {sp.name,
                                   formatCount(sp.sweep->size()),
                                   formatCount(sp.sweep->positives()),
                                   formatCount(c.tp + c.fp),
                                   formatMetric(c.precision()),
                                   formatMetric(c.recall()),
                                   formatMetric(c.f1()),
                                   formatMetric(sp.auc),
                                   formatMetric(sp.ap)};
        for (int col = 0; col < cells.size(); ++col) {
            if (auto* item = perSystem_->item(r, col))
                item->setText(cells[col]);
            else
                perSystem_->setItem(r, col, new QTableWidgetItem(cells[col]));
        }
    }
    perSystem_->show();
}

LinesDialog* ResultsView::openRankedRow(int row) {
    if (path_.isEmpty() || row < 0 || row >= ranked_->rowCount()) return nullptr;
    const int64_t id = ranked_->item(row, 0)->data(Qt::UserRole).toLongLong();
    auto* dialog =
        new LinesDialog(path_, id,
                        tr("Test sequence %1 (rank %2, score %3) — raw lines")
                            .arg(id)
                            .arg(row + 1)
                            .arg(ranked_->item(row, 1)->text()),
                        this, loaded_ && loaded_->stored ? qs(loaded_->run.name) : QString());
    dialog->setWindowFlag(Qt::Window);
    dialog->show();
    return dialog;
}

}  // namespace mlad::ui
