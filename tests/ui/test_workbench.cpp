// Workbench UI tests (QTest, offscreen): they drive the real widgets over real projects and
// wait with QSignalSpy / QTRY_*, never with fixed sleeps. Data from the shared datasets is
// found through MLAD_SHARED_DATA (or ../shared/datasets next to the source tree); tests that
// need it skip with a message when it is absent.
#include <QtTest>

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "AttentionView.h"
#include "CompareView.h"
#include "CurvesView.h"
#include "ErrorBanner.h"
#include "Export.h"
#include "ImportWizard.h"
#include "LinesDialog.h"
#include "MainWindow.h"
#include "ProjectionView.h"
#include "ResultsView.h"
#include "SequenceBrowser.h"
#include "SequenceListModel.h"
#include "ShortcutLesson.h"
#include "TemplateExplorer.h"
#include "TemplateModels.h"
#include "TrainingPanel.h"
#include "mlad/detect/Registry.h"
#include "mlad/eval/Metrics.h"
#include "mlad/eval/Pot.h"
#include "mlad/import/DemoProject.h"
#include "mlad/import/Importer.h"
#include "mlad/io/LogFormat.h"
#include "mlad/io/TimeParse.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/store/ProjectLock.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/train/Trainer.h"
#include "mlad/util/Json.h"

using namespace mlad;
using namespace mlad::ui;

namespace {

QString sharedDataDir() {
    const QByteArray env = qgetenv("MLAD_SHARED_DATA");
    if (!env.isEmpty()) return QString::fromLocal8Bit(env);
#ifdef MLAD_SOURCE_DIR
    const QString fromSource = QStringLiteral(MLAD_SOURCE_DIR "/../shared/datasets");
    if (QFileInfo::exists(fromSource)) return fromSource;
#endif
    return QStringLiteral("../shared/datasets");
}

/// Full path of a shared dataset file, or "" when missing.
QString sharedFile(const QString& rel) {
    const QString p = QDir(sharedDataDir()).filePath(rel);
    return QFileInfo::exists(p) ? QFileInfo(p).absoluteFilePath() : QString();
}

#define REQUIRE_SHARED(var, rel)                                                          \
    const QString var = sharedFile(QStringLiteral(rel));                                  \
    if (var.isEmpty())                                                                    \
        QSKIP(qPrintable(QStringLiteral("shared dataset file %1 not found under %2 (set " \
                                        "MLAD_SHARED_DATA)")                              \
                             .arg(QStringLiteral(rel), sharedDataDir())));

/// A tiny MLAD configuration that trains in seconds on a CPU.
TrainConfig tinyConfig(int epochs) {
    TrainConfig c = TrainConfig::defaults("mlad");
    c.set("d_model", 16).set("layers", 1).set("heads", 2).set("d_ff", 32).set("d_z", 4);
    c.set("components", 2).set("max_len", 32).set("epochs", epochs).set("batch_size", 64);
    c.set("embed_dim", 16).set("device", "cpu").set("threads", 1).set("patience", 0);
    return c;
}

/// Opens `rv` on a new empty project at `path` (scores then come through showScores), sized,
/// shown and exposed.
bool showOnEmptyProject(ResultsView& rv, const QString& path) {
    { Project::open(path.toStdString()); }
    rv.resize(1200, 800);
    rv.setProjectPath(path);
    rv.show();
    return QTest::qWaitForWindowExposed(&rv);
}

/// Records the longest interval between two ticks of a 5 ms timer: how long the event loop
/// was kept from running.
class GapMeter : public QObject {
  public:
    GapMeter() {
        timer_.setInterval(5);
        timer_.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            maxGapNs_ = std::max(maxGapNs_, now - last_);
            last_ = now;
        });
        clock_.start();
        last_ = clock_.nsecsElapsed();
        timer_.start();
    }
    double maxGapMs() const { return double(maxGapNs_) / 1e6; }

  private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0, maxGapNs_ = 0;
};

// Block sessions of the imported HDFS system and a chronological split over them.
void buildHdfsBlockSplit(Project& p) {
    SequenceSpec blocks;
    blocks.kind = SequenceSpec::Kind::SessionRegex;
    blocks.name = "blocks";
    buildSequences(p, "HDFS", blocks);
    SplitSpec split;
    split.name = "hdfs-blocks";
    split.systems = {"HDFS"};
    split.sequenceSet = "blocks";
    createSplit(p, split);
}

// Imports one file through the import wizard with a preset and waits for the end (at most
// timeoutMs): whether it succeeded, its error text and its report.
struct WizardImport {
    bool finished = false, ok = false;
    QString error;
    ImportReport report;
};
WizardImport importWithWizard(const QString& project, const QString& file, const QString& preset,
                              int timeoutMs) {
    WizardImport r;
    ImportWizard wiz(project);
    wiz.setFiles({file});
    if (!wiz.setPresetName(preset)) return r;
    QSignalSpy done(&wiz, &ImportWizard::importFinished);
    if (!wiz.startImport()) return r;
    if (done.isEmpty() && !done.wait(timeoutMs)) return r;
    r.finished = true;
    r.ok = done.at(0).at(0).toBool() && !done.at(0).at(1).toBool();
    r.error = wiz.errorText();
    r.report = wiz.report();
    return r;
}

}  // namespace

class WorkbenchTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void mainWindowEmptyProject();
    void endToEndImportTrainResults();
    void cancelImportLeavesConsistentProject();
    void cancelTrainingLeavesConsistentProject();
    void projectBusyIsReported();
    void trainingOnTwoProcesses();
    void responsivenessDuringImport();
    void sliderAtOneMillionScores();
    void largeProjectStaysResponsive();
    void histogramRobustRange();
    void heatmapDrawsExactZerosApart();
    void perSystemBreakdown();
    void splitCutAtATime();
    void trainingSettingsAreTheManifest();
    void trainingFormFollowsTheModel();
    void screenshots();

  private:
    /// ~300k BGL lines (BGL_2k.log repeated), built once per test run; "" when BGL is absent.
    QString bigBglFile();
    /// Imports HDFS_2k (with block labels) through core and builds a block split.
    bool prepareHdfsProject(const QString& path, const QString& log, const QString& labels);
    QTemporaryDir scratch_;
    QString bigFile_;
    int bigLines_ = 0;
};

void WorkbenchTest::initTestCase() {
    // Keep the tests' settings (recent projects, geometry) away from the user's.
    QCoreApplication::setOrganizationName(QStringLiteral("MLAD-tests"));
    // One settings file per process: ctest runs the test functions in parallel processes, and
    // a shared file was cleared by one while another read what it had just saved.
    QCoreApplication::setApplicationName(
        QStringLiteral("workbench-tests-%1").arg(QCoreApplication::applicationPid()));
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();  // every run starts from defaults
    QVERIFY(scratch_.isValid());
}

void WorkbenchTest::cleanupTestCase() {
    const QString file = QSettings().fileName();
    QSettings().clear();
    QFile::remove(file);
}

QString WorkbenchTest::bigBglFile() {
    if (!bigFile_.isEmpty()) return bigFile_;
    const QString bgl = sharedFile(QStringLiteral("loghub-2k/BGL/BGL_2k.log"));
    if (bgl.isEmpty()) return {};
    QFile in(bgl);
    if (!in.open(QIODevice::ReadOnly)) return {};
    QByteArray block = in.readAll();
    if (!block.endsWith('\n')) block += "\r\n";
    const int perBlock = int(block.count('\n'));
    const QString out = scratch_.filePath(QStringLiteral("bgl-300k.log"));
    QFile f(out);
    if (!f.open(QIODevice::WriteOnly)) return {};
    const int copies = 150;
    for (int i = 0; i < copies; ++i) f.write(block);
    f.close();
    bigLines_ = perBlock * copies;
    bigFile_ = out;
    return bigFile_;
}

bool WorkbenchTest::prepareHdfsProject(const QString& path, const QString& log,
                                       const QString& labels) {
    auto p = Project::open(path.toStdString());
    ImportOptions io;
    io.preset = *findPreset("HDFS");
    io.system = "HDFS";
    io.labelsCsv = labels.toStdString();
    ImportReport r = importFiles(*p, {log.toStdString()}, io);
    if (r.anyFailed() || r.imported == 0) return false;
    buildHdfsBlockSplit(*p);
    return true;
}

void WorkbenchTest::mainWindowEmptyProject() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.tabs()->count(), 7);
    QCOMPARE(w.tabs()->tabText(MainWindow::CompareTab), QStringLiteral("Compare"));
    QCOMPARE(w.tabs()->tabText(MainWindow::AttentionTab), QStringLiteral("Attention"));
    QCOMPARE(w.tabs()->tabText(0), QStringLiteral("Templates"));
    QCOMPARE(w.tabs()->tabText(MainWindow::ProjectionTab), QStringLiteral("Projection"));
    // Without a run the projection says what to do and offers nothing to compute.
    QVERIFY(!w.projectionView()->computeButton()->isEnabled());
    QVERIFY(!w.projectionView()->compute());
    QVERIFY(w.projectionView()->statusLabel()->text().contains(QStringLiteral("train")));
    QSignalSpy systems(&w, &MainWindow::systemsLoaded);
    const QString path = dir.filePath(QStringLiteral("empty.mlad"));
    QVERIFY(w.openProject(path));
    QVERIFY(QFileInfo::exists(path));
    QTRY_COMPARE(systems.count(), 1);
    QCOMPARE(systems.at(0).at(0).toInt(), 0);
    QCOMPARE(w.systemsList()->count(), 0);
    QVERIFY(w.errorBanner()->isHidden());
    for (int i = 0; i < w.tabs()->count(); ++i) {
        w.tabs()->setCurrentIndex(i);
        QVERIFY(w.tabs()->currentWidget()->isVisible());
    }
    QCOMPARE(w.recentProjects().value(0), QFileInfo(path).absoluteFilePath());
    // Training without a split says why instead of failing silently.
    QVERIFY(!w.trainingPanel()->startTraining());
    QTRY_VERIFY(!w.errorBanner()->isHidden());
    QVERIFY(w.errorBanner()->text().contains(QStringLiteral("split")));
    w.errorBanner()->dismiss();
    // A file that is not a project: the error reaches the banner, the open project stays.
    const QString bogus = dir.filePath(QStringLiteral("not-a-project.mlad"));
    QFile f(bogus);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not an SQLite database, just text\n");
    f.close();
    QVERIFY(!w.openProject(bogus));
    QVERIFY(!w.errorBanner()->isHidden());
    QVERIFY(w.errorBanner()->text().contains(QStringLiteral("not-a-project.mlad")));
    QCOMPARE(w.projectPath(), QFileInfo(path).absoluteFilePath());
}

void WorkbenchTest::endToEndImportTrainResults() {
    REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    const QString labels =
        sharedFile(QStringLiteral("hdfs-2k-block-labels-logllm/anomaly_label.csv"));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("e2e.mlad"));
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(path));

    // --- Import through the wizard, with its live preview.
    ImportWizard* wiz = w.showImportWizard();
    QVERIFY(wiz);
    QSignalSpy preview(wiz, &ImportWizard::previewUpdated);
    wiz->setFiles({log});
    QVERIFY(wiz->setPresetName(QStringLiteral("HDFS")));
    QCOMPARE(wiz->systemName(), QStringLiteral("HDFS"));
    wiz->setLabelsCsv(labels);
    QTRY_VERIFY(wiz->previewUpToDate() && preview.count() > 0);
    QCOMPARE(wiz->previewTable()->rowCount(), ImportWizard::kPreviewLines);
    const int fields = int(LogFormat(findPreset("HDFS")->format).fieldNames().size());
    QCOMPARE(wiz->previewTable()->columnCount(), fields + 2);
    QCOMPARE(preview.last().at(0).toInt(), ImportWizard::kPreviewLines);  // all lines match
    const QString firstTemplate =
        wiz->previewTable()->item(0, 1) ? wiz->previewTable()->item(0, 1)->text() : QString();
    QVERIFY2(!firstTemplate.isEmpty(), "the preview shows each line's template");
    // A format that does not fit: the preview says that no line matches.
    preview.clear();
    wiz->setFormat(QStringLiteral("<Date> <Time> [<Level>] <Content>"));
    QTRY_VERIFY(wiz->previewUpToDate() && preview.count() > 0);
    QCOMPARE(preview.last().at(0).toInt(), 0);
    QVERIFY(wiz->previewStatus()->text().contains(QStringLiteral("do not match")));
    // A format that does not compile: the error is shown, nothing crashes.
    preview.clear();
    wiz->setFormat(QStringLiteral("<Date> <Time"));
    QTRY_VERIFY(wiz->previewUpToDate() && preview.count() > 0);
    QVERIFY(!wiz->previewStatus()->text().isEmpty());
    QVERIFY(wiz->setPresetName(QStringLiteral("BGL")));
    QVERIFY(wiz->setPresetName(QStringLiteral("HDFS")));  // restores the preset's format
    wiz->setSystemName(QStringLiteral("HDFS"));
    preview.clear();
    QTRY_VERIFY(wiz->previewUpToDate() && preview.count() > 0);
    QCOMPARE(preview.last().at(0).toInt(), ImportWizard::kPreviewLines);

    QSignalSpy done(wiz, &ImportWizard::importFinished);
    QSignalSpy systems(&w, &MainWindow::systemsLoaded);
    QVERIFY(wiz->startImport());
    QVERIFY(wiz->isImporting());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
    QCOMPARE(done.at(0).at(0).toBool(), true);
    QCOMPARE(done.at(0).at(1).toBool(), false);
    QCOMPARE(wiz->report().imported, uint64_t(2000));
    QVERIFY(wiz->reportText().contains(QStringLiteral("2,000 lines imported")) ||
            wiz->reportText().contains(QStringLiteral("2000 lines imported")));
    QCOMPARE(wiz->progressBar()->value(), 1000);

    // --- Template table: one row per template of the system.
    size_t expectedTemplates = 0;
    int64_t systemId = 0;
    {
        auto p = Project::openReadOnly(path.toStdString());
        auto sys = p->system("HDFS");
        QVERIFY(sys);
        systemId = sys->id;
        expectedTemplates = p->templates(sys->id).size();
    }
    QVERIFY(expectedTemplates > 5);
    QTRY_VERIFY(systems.count() > 0);
    QCOMPARE(w.systemsList()->count(), 1);
    QCOMPARE(w.currentSystem(), systemId);
    TemplateExplorer* te = w.templateExplorer();
    QTRY_COMPARE(te->templateModel()->rowCount(), int(expectedTemplates));
    QCOMPARE(te->proxyModel()->rowCount(), int(expectedTemplates));

    // Filter.
    te->filterEdit()->setText(QStringLiteral("receiving"));
    const int filtered = te->proxyModel()->rowCount();
    QVERIFY(filtered > 0);
    QVERIFY(filtered < int(expectedTemplates));
    for (int r = 0; r < filtered; ++r)
        QVERIFY(te->proxyModel()
                    ->index(r, TemplateTableModel::Template)
                    .data()
                    .toString()
                    .contains(QStringLiteral("receiving"), Qt::CaseInsensitive));
    te->filterEdit()->clear();
    QCOMPARE(te->proxyModel()->rowCount(), int(expectedTemplates));

    // Sort by count (descending) and select the most frequent template: its raw lines load.
    te->templateView()->sortByColumn(TemplateTableModel::Count, Qt::DescendingOrder);
    te->selectRow(0);
    const QModelIndex top = te->proxyModel()->mapToSource(te->proxyModel()->index(0, 0));
    const TemplateInfo topTemplate = te->templateModel()->templateAt(top.row());
    for (int r = 1; r < te->proxyModel()->rowCount(); ++r)
        QVERIFY(te->templateModel()
                    ->templateAt(te->proxyModel()->mapToSource(te->proxyModel()->index(r, 0)).row())
                    .count <= topTemplate.count);
    const int expectedLines = int(std::min<uint64_t>(topTemplate.count, LazyLineModel::kPageSize));
    QTRY_COMPARE(te->linesModel()->rowCount(), expectedLines);
    for (int r = 0; r < te->linesModel()->rowCount(); ++r)
        QCOMPARE(te->linesModel()->lineAt(r).templateId, topTemplate.id);
    // Parameter summary: one row per <*> position of the template.
    const int wildcards = int(QString::fromStdString(topTemplate.text)
                                  .split(QLatin1Char(' '), Qt::SkipEmptyParts)
                                  .filter(QStringLiteral("<*>"))
                                  .size());
    QCOMPARE(te->parametersTable()->rowCount(), wildcards);
    QTRY_VERIFY(te->isTimeChartLoaded());
    QVERIFY(!te->timeChartView()->chart()->series().isEmpty());
    // Paging by key: scrolling to the end fetches the next page until all lines are there.
    if (topTemplate.count > uint64_t(LazyLineModel::kPageSize)) {
        te->linesView()->scrollToBottom();
        QTRY_VERIFY(te->linesModel()->rowCount() > LazyLineModel::kPageSize ||
                    te->linesModel()->canFetchMore({}));
        while (te->linesModel()->canFetchMore({})) te->linesModel()->fetchMore({});
        QTRY_COMPARE(te->linesModel()->rowCount(), int(topTemplate.count));
        for (int r = 1; r < te->linesModel()->rowCount(); ++r)
            QVERIFY(te->linesModel()->lineAt(r).id > te->linesModel()->lineAt(r - 1).id);
    }

    // --- Sequences and a split, built with core; the browser lists them.
    {
        auto p = Project::open(path.toStdString());
        buildHdfsBlockSplit(*p);
    }
    w.refreshAll();
    SequenceBrowser* sb = w.sequenceBrowser();
    QTRY_COMPARE(sb->splitCombo()->count(), 1);
    int testCount = 0;
    {
        auto p = Project::openReadOnly(path.toStdString());
        auto split = findSplit(*p, "hdfs-blocks");
        QVERIFY(split);
        testCount = int(splitPart(*p, split->id, "test").size());
    }
    QTRY_COMPARE(sb->model()->totalCount(), testCount);
    QTRY_COMPARE(sb->model()->rowCount(), std::min(testCount, int(SequenceListModel::kPageSize)));
    LinesDialog* lines = sb->openRow(0);
    QVERIFY(lines);
    QSignalSpy linesLoaded(lines, &LinesDialog::loaded);
    QTRY_VERIFY(lines->isLoaded());
    QCOMPARE(lines->table()->rowCount(), int(sb->model()->rowAt(0).length));
    lines->close();

    // --- Train a tiny MLAD for one epoch through the panel.
    TrainingPanel* tp = w.trainingPanel();
    QTRY_COMPARE(tp->splitCombo()->count(), 1);
    tp->setConfig(tinyConfig(1));
    QCOMPARE(tp->config().integer("d_model"), 16);
    tp->runNameEdit()->setText(QStringLiteral("tiny"));
    QSignalSpy finished(tp, &TrainingPanel::trainingFinished);
    QSignalSpy epochs(tp, &TrainingPanel::epochFinished);
    GapMeter trainGap;
    QVERIFY(tp->startTraining());
    QVERIFY(tp->isTraining());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 600000);
    qInfo("largest event-loop gap while training: %.1f ms", trainGap.maxGapMs());
    QVERIFY2(finished.at(0).at(1).toString() == QStringLiteral("finished"),
             qPrintable(tp->lastError()));
    QCOMPARE(epochs.count(), 1);
    {
        // The settings used are remembered as the run manifest (snake_case keys).
        const QString saved = QSettings().value(QStringLiteral("training/config")).toString();
        QVERIFY(saved.contains(QStringLiteral("\"d_model\":16")));
        QCOMPARE(trainConfigFromJson(saved.toStdString()).integer("d_model"), 16);
    }
    QTRY_VERIFY(!tp->runsTable()->findItems(QStringLiteral("tiny"), Qt::MatchExactly).isEmpty());
    const int runRow =
        tp->runsTable()->findItems(QStringLiteral("tiny"), Qt::MatchExactly).first()->row();
    QCOMPARE(tp->runsTable()->item(runRow, 1)->text(), QStringLiteral("done"));
    tp->runsTable()->selectRow(runRow);
    QVERIFY(tp->manifestView()->toPlainText().contains(QStringLiteral("Metrics:")));
    QVERIFY(tp->manifestView()->toPlainText().contains(QStringLiteral("Config:")));

    // --- Results: histogram, and the metrics follow the slider exactly as core computes them.
    ResultsView* rv = w.resultsView();
    QTRY_VERIFY(rv->runCombo()->findData(QStringLiteral("tiny")) >= 0);
    QSignalSpy scores(rv, &ResultsView::scoresLoaded);
    QVERIFY(rv->selectRun(QStringLiteral("tiny")));
    QTRY_VERIFY(scores.count() > 0 && rv->hasScores());
    QVERIFY(rv->histogramView()->chart()->series().size() >= 2);  // a class + threshold line

    RunScores core;
    {
        auto p = Project::openReadOnly(path.toStdString());
        auto run = findRun(*p, "tiny");
        QVERIFY(run);
        core = loadRunScores(*p, run->id);
    }
    std::vector<double> s;
    std::vector<uint8_t> l;
    for (size_t i = 0; i < core.testScores.size(); ++i)
        if (core.testLabels[i] <= 1) {
            s.push_back(core.testScores[i]);
            l.push_back(core.testLabels[i]);
        }
    const eval::ThresholdSweep sweep(s, l);
    QVERIFY(sweep.size() > 1);
    QCOMPARE(rv->threshold(), core.defaultThreshold);  // starts at the default threshold
    QStringList flaggedSeen;
    for (int pos : {100, 500, 900, 1000, 0}) {
        rv->slider()->setValue(pos);
        const size_t idx =
            size_t(std::lround(double(pos) / ResultsView::kSliderSteps * double(sweep.size() - 1)));
        const double expected = sweep.sortedScores()[idx];
        QCOMPARE(rv->threshold(), expected);
        const eval::Confusion c = sweep.at(expected);
        QCOMPARE(rv->metricText(QStringLiteral("precision")),
                 ResultsView::formatMetric(c.precision()));
        QCOMPARE(rv->metricText(QStringLiteral("recall")), ResultsView::formatMetric(c.recall()));
        QCOMPARE(rv->metricText(QStringLiteral("f1")), ResultsView::formatMetric(c.f1()));
        QCOMPARE(rv->metricText(QStringLiteral("specificity")),
                 ResultsView::formatMetric(c.specificity()));
        QCOMPARE(rv->metricText(QStringLiteral("tp")),
                 QStringLiteral("TP %1").arg(QLocale().toString(qulonglong(c.tp))));
        QCOMPARE(rv->metricText(QStringLiteral("fp")),
                 QStringLiteral("FP %1").arg(QLocale().toString(qulonglong(c.fp))));
        QCOMPARE(rv->metricText(QStringLiteral("tn")),
                 QStringLiteral("TN %1").arg(QLocale().toString(qulonglong(c.tn))));
        QCOMPARE(rv->metricText(QStringLiteral("fn")),
                 QStringLiteral("FN %1").arg(QLocale().toString(qulonglong(c.fn))));
        flaggedSeen << QString::number(c.tp + c.fp);
        // The ROC and PR markers sit at core's values for this threshold.
        const QPointF roc = rv->curvesView()->rocMarker();
        QCOMPARE(roc.x(), c.fpr());
        QCOMPARE(roc.y(), c.recall());
        const QPointF pr = rv->curvesView()->prMarker();
        QCOMPARE(pr.x(), c.recall());
        QCOMPARE(pr.y(), c.tp + c.fp ? c.precision() : 1.0);
    }
    QVERIFY(rv->curvesView()->rocPointCount() >= 2);
    QVERIFY(rv->curvesView()->prPointCount() >= 2);
    flaggedSeen.removeDuplicates();
    QVERIFY2(flaggedSeen.size() > 1, "moving the slider changes the flagged set");
    // The number box takes any threshold.
    const double typed = (sweep.minScore() + sweep.maxScore()) / 2.0;
    rv->thresholdBox()->setValue(typed);
    QCOMPARE(rv->threshold(), rv->thresholdBox()->value());
    QCOMPARE(rv->metricText(QStringLiteral("f1")),
             ResultsView::formatMetric(sweep.at(rv->threshold()).f1()));
    // Oracle and default buttons.
    rv->oracleButton()->click();
    const auto best = sweep.oracleBestF1();
    QCOMPARE(rv->threshold(), best.threshold);
    QCOMPARE(rv->metricText(QStringLiteral("f1")), ResultsView::formatMetric(best.f1));
    QVERIFY(rv->oracleButton()->text().contains(QStringLiteral("Oracle")));
    rv->defaultButton()->click();
    QCOMPARE(rv->threshold(), core.defaultThreshold);
    // Log count axis redraws without losing the threshold.
    rv->logCountsBox()->setChecked(true);
    QVERIFY(rv->histogramView()->chart()->series().size() >= 2);
    QCOMPARE(rv->threshold(), core.defaultThreshold);
    // Ranked list: most anomalous first; double-click opens raw lines.
    QCOMPARE(rv->rankedTable()->rowCount(),
             std::min<int>(int(core.testScores.size()), ResultsView::kRankedRows));
    const double topScore = *std::max_element(core.testScores.begin(), core.testScores.end());
    QCOMPARE(rv->rankedTable()->item(0, 1)->text(), QString::number(topScore, 'g', 6));
    LinesDialog* ranked = rv->openRankedRow(0);
    QVERIFY(ranked);
    QTRY_VERIFY(ranked->isLoaded());
    QVERIFY(ranked->table()->rowCount() > 0);
    ranked->close();
    QVERIFY(w.errorBanner()->isHidden());
}

void WorkbenchTest::cancelImportLeavesConsistentProject() {
    const QString big = bigBglFile();
    if (big.isEmpty()) QSKIP("loghub-2k/BGL/BGL_2k.log not found (set MLAD_SHARED_DATA)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("cancel.mlad"));
    { Project::open(path.toStdString()); }

    {
        ImportWizard wiz(path);
        wiz.setFiles({big});
        QVERIFY(wiz.setPresetName(QStringLiteral("BGL")));
        QSignalSpy progress(&wiz, &ImportWizard::importProgress);
        QSignalSpy done(&wiz, &ImportWizard::importFinished);
        // Cancel as soon as the first lines are in.
        connect(&wiz, &ImportWizard::importProgress, &wiz, [&wiz](quint64 lines) {
            if (lines > 0) wiz.cancelImport();
        });
        QVERIFY(wiz.startImport());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 300000);
        QVERIFY2(done.at(0).at(1).toBool(), "the import was cancelled before it ended");
        QVERIFY(wiz.report().cancelled);
        QVERIFY(wiz.report().imported < uint64_t(bigLines_));
        QVERIFY(wiz.reportText().contains(QStringLiteral("Cancelled")));
    }
    uint64_t afterCancel = 0;
    {
        auto p = Project::open(path.toStdString());
        QCOMPARE(QString::fromStdString(p->integrityCheck()), QStringLiteral("ok"));
        afterCancel = p->lineCount();
        QVERIFY(afterCancel < uint64_t(bigLines_));
    }
    // Importing again resumes and completes without duplicating lines.
    {
        const WizardImport again = importWithWizard(path, big, QStringLiteral("BGL"), 600000);
        QVERIFY(again.finished);
        QVERIFY2(again.ok, qPrintable(again.error));
        QVERIFY(!again.report.cancelled);
        QCOMPARE(int(again.report.files.size()), 1);
        QVERIFY(again.report.files[0].status == "resumed" ||
                again.report.files[0].status == "imported");
    }
    auto p = Project::open(path.toStdString());
    QCOMPARE(QString::fromStdString(p->integrityCheck()), QStringLiteral("ok"));
    const auto dup =
        p->db().queryInt("SELECT count(*) - count(DISTINCT file_id || ':' || line_no) FROM lines");
    QCOMPARE(dup.value_or(-1), int64_t(0));
    const auto maxLine = p->db().queryInt("SELECT max(line_no) FROM lines");
    QCOMPARE(maxLine.value_or(0), int64_t(bigLines_));
    QVERIFY(p->lineCount() > afterCancel);
    QVERIFY(p->lineCount() <= uint64_t(bigLines_));
    const auto files = p->files();
    QCOMPARE(int(files.size()), 1);
    QCOMPARE(QString::fromStdString(files[0].status), QStringLiteral("complete"));
    QCOMPARE(files[0].linesImported + files[0].linesSkipped, uint64_t(bigLines_));
    QCOMPARE(files[0].linesImported, p->lineCount());
}

// Another job (here a CLI training, as its lock says) writes to the project: the workbench's
// import refuses with the "project busy" message naming it, changes nothing, and goes through
// once the other job has finished.
void WorkbenchTest::projectBusyIsReported() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("busy.mlad"));
    { Project::open(path.toStdString()); }
    const QString log = dir.filePath(QStringLiteral("small.log"));
    {
        std::ofstream out(log.toStdString());
        for (int i = 0; i < 5; ++i)
            out << "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.5" << i
                << ".363779 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error "
                   "corrected\n";
    }
    auto other = std::make_unique<mlad::ProjectLock>(path.toStdString(), "mlad train");
    const WizardImport refused = importWithWizard(path, log, QStringLiteral("BGL"), 60000);
    QVERIFY(refused.finished);
    QVERIFY(!refused.ok);
    QVERIFY2(refused.error.contains(QStringLiteral("busy")), qPrintable(refused.error));
    QVERIFY2(refused.error.contains(QStringLiteral("mlad train")), qPrintable(refused.error));
    QVERIFY2(refused.error.contains(QStringLiteral("Wait for it to finish")),
             qPrintable(refused.error));
    QCOMPARE(Project::open(path.toStdString())->lineCount(), uint64_t(0));
    other.reset();
    const WizardImport after = importWithWizard(path, log, QStringLiteral("BGL"), 60000);
    QVERIFY(after.finished);
    QVERIFY2(after.ok, qPrintable(after.error));
    QCOMPARE(Project::open(path.toStdString())->lineCount(), uint64_t(5));
}

// The training panel's "Processes": rank 0 trains in the workbench, rank 1 is `mlad train`
// started with torchrun's variables; the run records both and its losses are those of one
// process with the doubled batch. A rank that cannot start is a clear failure, not a hang.
void WorkbenchTest::trainingOnTwoProcesses() {
    REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    const QString labels =
        sharedFile(QStringLiteral("hdfs-2k-block-labels-logllm/anomaly_label.csv"));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("two.mlad"));
    QVERIFY(prepareHdfsProject(path, log, labels));
    TrainingPanel tp;
    if (!tp.processesBox()->isVisibleTo(&tp))
        QSKIP("no data-parallel training in this build or one core only");
    tp.setCliPath(QStringLiteral(MLAD_CLI_PATH));
    tp.setProjectPath(path);
    QTRY_COMPARE(tp.splitCombo()->count(), 1);
    auto train = [&](const QString& name, int processes, int batch) -> QString {
        TrainConfig c = tinyConfig(3);
        c.set("batch_size", batch).set("seed", 9);
        tp.setConfig(c);
        tp.processesBox()->setValue(processes);
        tp.runNameEdit()->setText(name);
        QSignalSpy finished(&tp, &TrainingPanel::trainingFinished);
        if (!tp.startTraining()) return QStringLiteral("not started");
        if (!finished.wait(600000)) return QStringLiteral("timed out");
        for (int i = 0; i < 600 && tp.isTraining(); ++i) QTest::qWait(100);
        return finished.at(0).at(1).toString();
    };
    QCOMPARE(train(QStringLiteral("one"), 1, 32), QStringLiteral("finished"));
    QCOMPARE(train(QStringLiteral("two"), 2, 16), QStringLiteral("finished"));
    {
        auto p = Project::open(path.toStdString());
        const auto one = findRun(*p, "one"), two = findRun(*p, "two");
        QVERIFY(one && two);
        QVERIFY2(two->device.find("x 2 ranks") != std::string::npos, two->device.c_str());
        const auto e1 = runEpochs(*p, one->id), e2 = runEpochs(*p, two->id);
        QCOMPARE(e1.size(), e2.size());
        for (size_t i = 0; i < e1.size(); ++i)
            for (const char* key : {"train_loss", "val_loss"})
                QVERIFY2(std::abs(e1[i].value(key) - e2[i].value(key)) <=
                             1e-4 * std::max(1.0, std::abs(e1[i].value(key))),
                         key);
    }
    // The other rank's program is missing: the run fails at once and says why.
    tp.setCliPath(dir.filePath(QStringLiteral("no-such-mlad")));
    QSignalSpy errors(&tp, &TrainingPanel::errorOccurred);
    QCOMPARE(train(QStringLiteral("three"), 2, 16), QStringLiteral("failed"));
    QVERIFY(!errors.isEmpty());
    QVERIFY2(errors.last().at(0).toString().contains(QStringLiteral("not found")),
             qPrintable(errors.last().at(0).toString()));
    // The other rank starts but fails before joining: the run fails as soon as it has ended,
    // with what it said (it waited out the 120 s timeout before).
    const QString failing = dir.filePath(QStringLiteral("failing-mlad"));
    {
        QFile f(failing);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\necho 'mlad: no split named s' >&2\nexit 2\n");
    }
    QVERIFY(QFile::setPermissions(failing, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    tp.setCliPath(failing);
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(train(QStringLiteral("four"), 2, 16), QStringLiteral("failed"));
    const QString said = errors.last().at(0).toString();
    QVERIFY2(said.contains(QStringLiteral("rank 1 exited with status 2")) &&
                 said.contains(QStringLiteral("no split named s")),
             qPrintable(said));
    qInfo("a helper rank that failed before joining ended the run after %.1f s",
          clock.elapsed() / 1000.0);
}

void WorkbenchTest::cancelTrainingLeavesConsistentProject() {
    REQUIRE_SHARED(log, "loghub-2k/HDFS/HDFS_2k.log");
    const QString labels =
        sharedFile(QStringLiteral("hdfs-2k-block-labels-logllm/anomaly_label.csv"));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("cancel-train.mlad"));
    QVERIFY(prepareHdfsProject(path, log, labels));
    TrainingPanel tp;
    tp.setProjectPath(path);
    QTRY_COMPARE(tp.splitCombo()->count(), 1);
    TrainConfig c = tinyConfig(200);
    c.set("batch_size", 16);
    c.set("amp", true);  // the resumed run must come back with mixed precision on
    tp.setConfig(c);
    QVERIFY(tp.findChild<QCheckBox*>(QStringLiteral("param_amp"))->isChecked());
    tp.runNameEdit()->setText(QStringLiteral("to-cancel"));
    QSignalSpy finished(&tp, &TrainingPanel::trainingFinished);
    connect(&tp, &TrainingPanel::epochFinished, &tp, [&tp](int) { tp.cancelTraining(); });
    QVERIFY(tp.startTraining());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 600000);
    QCOMPARE(finished.at(0).at(1).toString(), QStringLiteral("cancelled"));
    QVERIFY(tp.epochsSeen() < 200);
    {
        auto p = Project::open(path.toStdString());
        QCOMPARE(QString::fromStdString(p->integrityCheck()), QStringLiteral("ok"));
        auto run = findRun(*p, "to-cancel");
        QVERIFY(run);
        QCOMPARE(QString::fromStdString(run->status), QStringLiteral("cancelled"));
    }
    // Resume under the same name (the panel's "Resume this run" loads its name, split and
    // settings); this time it runs to the end.
    QTRY_VERIFY(!tp.isTraining());
    disconnect(&tp, &TrainingPanel::epochFinished, &tp, nullptr);
    QTRY_VERIFY(
        !tp.runsTable()->findItems(QStringLiteral("to-cancel"), Qt::MatchExactly).isEmpty());
    const int row =
        tp.runsTable()->findItems(QStringLiteral("to-cancel"), Qt::MatchExactly).first()->row();
    QCOMPARE(tp.runsTable()->item(row, 1)->text(), QStringLiteral("cancelled"));
    tp.setConfig(TrainConfig::defaults());
    tp.runNameEdit()->setText(QStringLiteral("something-else"));
    tp.runsTable()->selectRow(row);
    QVERIFY(tp.reuseButton()->isEnabled());
    tp.reuseButton()->click();
    QCOMPARE(tp.runNameEdit()->text(), QStringLiteral("to-cancel"));
    QCOMPARE(tp.config().integer("d_model"), c.integer("d_model"));
    QCOMPARE(tp.config().integer("batch_size"), c.integer("batch_size"));
    QCOMPARE(tp.config().integer("epochs"), c.integer("epochs"));
    QVERIFY(tp.config().flag("amp"));
    TrainConfig resumed = tp.config();
    resumed.set("epochs", tp.epochsSeen() + 1);
    tp.setConfig(resumed);
    finished.clear();
    QVERIFY(tp.startTraining());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 600000);
    QVERIFY2(finished.at(0).at(1).toString() == QStringLiteral("finished"),
             qPrintable(tp.lastError()));
    auto p = Project::open(path.toStdString());
    QCOMPARE(QString::fromStdString(findRun(*p, "to-cancel")->status), QStringLiteral("done"));
    QVERIFY2(findRun(*p, "to-cancel")->device.find("mixed precision") != std::string::npos,
             findRun(*p, "to-cancel")->device.c_str());
    QCOMPARE(QString::fromStdString(p->integrityCheck()), QStringLiteral("ok"));
}

void WorkbenchTest::responsivenessDuringImport() {
    const QString big = bigBglFile();
    if (big.isEmpty()) QSKIP("loghub-2k/BGL/BGL_2k.log not found (set MLAD_SHARED_DATA)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(dir.filePath(QStringLiteral("gap.mlad"))));
    ImportWizard* wiz = w.showImportWizard();
    QVERIFY(wiz);
    wiz->setFiles({big});
    QVERIFY(wiz->setPresetName(QStringLiteral("BGL")));
    QTRY_VERIFY(wiz->previewUpToDate());
    QSignalSpy done(wiz, &ImportWizard::importFinished);
    QSignalSpy progress(wiz, &ImportWizard::importProgress);
    QElapsedTimer clock;
    clock.start();
    GapMeter gap;
    QVERIFY(wiz->startImport());
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 600000);
    const double seconds = clock.elapsed() / 1000.0;
    qInfo(
        "imported %d lines in %.1f s through the UI; %lld progress updates; largest "
        "event-loop gap %.1f ms",
        bigLines_, seconds, qlonglong(progress.count()), gap.maxGapMs());
    QCOMPARE(done.at(0).at(0).toBool(), true);
    QCOMPARE(wiz->report().imported + wiz->report().skipped, uint64_t(bigLines_));
    QVERIFY(progress.count() > 0);
}

void WorkbenchTest::largeProjectStaysResponsive() {
    // Opening and browsing a large project: the largest GUI-thread stall of each step is
    // printed (not asserted: the machine's speed is not the code's). The project comes from
    // MLAD_UI_LARGE_PROJECT (bench/workbench_scale.sh builds one of 10M lines); otherwise one of
    // 300k BGL lines is built here, so that every step runs in CI too.
    QString path = qEnvironmentVariable("MLAD_UI_LARGE_PROJECT");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    if (path.isEmpty()) {
        const QString big = bigBglFile();
        if (big.isEmpty()) QSKIP("loghub-2k/BGL/BGL_2k.log not found (set MLAD_SHARED_DATA)");
        path = dir.filePath(QStringLiteral("large.mlad"));
        auto p = Project::open(path.toStdString());
        ImportOptions opt;
        opt.preset = *findPreset("BGL");
        importFiles(*p, {big.toStdString()}, opt);
        SequenceSpec w;
        w.size = 20;
        w.step = 20;
        buildSequences(*p, "BGL", w);
        SplitSpec split;
        split.name = "chrono";
        split.systems = {"BGL"};
        createSplit(*p, split);
        trainRun(*p, "chrono", "rule", TrainConfig::defaults("new-templates"));
    }
    QVERIFY2(QFileInfo::exists(path), qPrintable(path));
    // What the views should come to show, from core.
    int64_t systemId = 0;
    int templates = 0, testCount = 0;
    uint64_t lines = 0;
    QString runName;
    {
        auto p = Project::openReadOnly(path.toStdString());
        const auto systems = p->systems();
        QVERIFY(!systems.empty());
        systemId = systems.front().id;
        templates = int(p->templates(systemId).size());
        lines = p->lineCount(systemId);
        const auto splits = listSplits(*p);
        QVERIFY(!splits.empty());
        testCount = int(splitPart(*p, splits.front().id, "test").size());
        for (const auto& r : listRuns(*p))
            if (r.status == "done" && r.splitId == splits.front().id)
                runName = QString::fromStdString(r.name);
        QVERIFY2(!runName.isEmpty(), "the project needs a finished run on its first split");
    }

    struct Step {
        QString name;
        double stallMs, seconds;
    };
    std::vector<Step> steps;
    // Runs `action` and waits for `ready`, measuring the largest event-loop gap meanwhile (a
    // synchronous action counts whole: the GUI cannot repaint while it runs).
    auto step = [&](const QString& name, const std::function<void()>& action,
                    const std::function<bool()>& ready) {
        GapMeter gap;
        QElapsedTimer clock;
        clock.start();
        QTest::qWait(20);  // the meter's first ticks
        action();
        QTRY_VERIFY_WITH_TIMEOUT(ready(), 600000);
        QTest::qWait(20);  // work queued by the last change (repaints) counts too
        steps.push_back({name, gap.maxGapMs(), clock.elapsed() / 1000.0});
    };

    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    TemplateExplorer* te = w.templateExplorer();
    step(
        QStringLiteral("open the project, system list and template table"),
        [&] { QVERIFY(w.openProject(path)); },
        [&] {
            return w.systemsList()->count() > 0 && w.currentSystem() == systemId &&
                   te->templateModel()->rowCount() == templates;
        });
    QVERIFY(!QTest::currentTestFailed());
    step(
        QStringLiteral("templates: sort by count, open the most frequent one"),
        [&] {
            w.tabs()->setCurrentWidget(te);
            te->templateView()->sortByColumn(TemplateTableModel::Count, Qt::DescendingOrder);
            te->selectRow(0);
        },
        [&] { return te->linesModel()->rowCount() > 0 && te->isTimeChartLoaded(); });
    step(
        QStringLiteral("templates: scroll its lines five pages down"),
        [&] {
            for (int k = 0; k < 5; ++k) {
                te->linesView()->scrollToBottom();
                QTest::qWait(50);
            }
        },
        [&] { return te->linesModel()->rowCount() > LazyLineModel::kPageSize; });
    SequenceBrowser* sb = w.sequenceBrowser();
    step(
        QStringLiteral("sequences: the split's test part"), [&] { w.tabs()->setCurrentWidget(sb); },
        [&] { return sb->model()->totalCount() == testCount && sb->model()->rowCount() > 0; });
    step(
        QStringLiteral("sequences: scroll five pages down"),
        [&] {
            for (int k = 0; k < 5; ++k) {
                sb->view()->scrollToBottom();
                QTest::qWait(50);
            }
        },
        [&] {
            return sb->model()->rowCount() >=
                   std::min(testCount, 2 * int(SequenceListModel::kPageSize));
        });
    LinesDialog* dialog = nullptr;
    step(
        QStringLiteral("sequences: open a sequence's lines"),
        [&] { dialog = sb->openRow(sb->model()->rowCount() - 1); },
        [&] { return dialog && dialog->isLoaded(); });
    if (dialog) dialog->close();
    ResultsView* rv = w.resultsView();
    step(
        QStringLiteral("results: the run's scores, histogram and curves"),
        [&] {
            w.tabs()->setCurrentWidget(rv);
            QTRY_VERIFY(rv->runCombo()->findData(runName) >= 0);
            QVERIFY(rv->selectRun(runName));
        },
        [&] { return rv->hasScores(); });
    step(
        QStringLiteral("results: twenty slider moves"),
        [&] {
            for (int k = 1; k <= 20; ++k) {
                rv->slider()->setValue(k * ResultsView::kSliderSteps / 20);
                QTest::qWait(10);
            }
        },
        [] { return true; });
    QVERIFY(!QTest::currentTestFailed());

    double worst = 0;
    qInfo("large project: %s, %llu lines of the first system, %d templates, %d test sequences",
          qPrintable(path), static_cast<unsigned long long>(lines), templates, testCount);
    for (const auto& s : steps) {
        qInfo("  %-55s largest GUI stall %8.1f ms  (%.2f s to ready)", qPrintable(s.name),
              s.stallMs, s.seconds);
        worst = std::max(worst, s.stallMs);
    }
    qInfo("largest GUI-thread stall while opening and browsing: %.1f ms", worst);
    QCOMPARE(steps.size(), size_t(8));
}

void WorkbenchTest::sliderAtOneMillionScores() {
    // The threshold slider over 1M test scores: each move re-reads the confusion matrix from the
    // sorted-score sweep (no rescan) and redraws the threshold line. Prints the time per move.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ResultsView rv;
    QVERIFY(showOnEmptyProject(rv, dir.filePath(QStringLiteral("scores.mlad"))));
    RunScores rs;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    const size_t n = 1000000;
    for (size_t i = 0; i < n; ++i) {
        const bool anomalous = i % 100 == 0;
        rs.testScores.push_back(anomalous ? 3.0 + normal(rng) : normal(rng));
        rs.testLabels.push_back(anomalous ? 1 : 0);
    }
    for (int i = 0; i < 1000; ++i) rs.valScores.push_back(normal(rng));
    rs.defaultThreshold = eval::quantile(rs.valScores, 0.99);
    const eval::ThresholdSweep sweep(rs.testScores, rs.testLabels);
    QSignalSpy loaded(&rv, &ResultsView::scoresLoaded);
    rv.showScores(QStringLiteral("synthetic 1M"), rs);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 && rv.hasScores(), 120000);
    QCOMPARE(rv.threshold(), rs.defaultThreshold);
    QElapsedTimer clock;
    double worst = 0, total = 0;
    const int moves = 200;
    for (int k = 1; k <= moves; ++k) {
        clock.start();
        rv.slider()->setValue(k * ResultsView::kSliderSteps / moves);
        rv.histogramView()->viewport()->repaint();  // include drawing the moved line
        const double ms = clock.nsecsElapsed() / 1e6;
        worst = std::max(worst, ms);
        total += ms;
        const eval::Confusion c = sweep.at(rv.threshold());
        QCOMPARE(rv.metricText(QStringLiteral("f1")), ResultsView::formatMetric(c.f1()));
        QCOMPARE(rv.metricText(QStringLiteral("recall")), ResultsView::formatMetric(c.recall()));
    }
    qInfo(
        "threshold slider over %zu scores: %.2f ms per move on average, %.2f ms at worst "
        "(metrics + repaint)",
        n, total / moves, worst);
    // The POT rule: core's fit on the validation scores at risk nu, named in the note.
    rv.potButton()->click();
    QCOMPARE(rv.threshold(), eval::fitPot(rs.valScores).threshold(rs.nu));
    QVERIFY(rv.thresholdNoteText().startsWith(QStringLiteral("POT threshold")));
    // Target-side recalibration: the (1 - rate) quantile of the shown test scores, named.
    QVERIFY(rv.targetButton()->isEnabled());
    rv.applyTargetRate(0.05);
    QCOMPARE(rv.threshold(), eval::quantile(rs.testScores, 0.95));
    QVERIFY2(rv.thresholdNoteText().startsWith(QStringLiteral("TARGET-SIDE")),
             qPrintable(rv.thresholdNoteText()));
}

void WorkbenchTest::heatmapDrawsExactZerosApart() {
    // Exact zeros are white; the smallest non-zero weight is not; the colour ramp is monotone
    // towards dark at 1.
    HeatmapWidget hw;
    hw.setMap({0.0f, 1e-6f, 1.0f - 1e-6f, 0.5f, 0.0f, 0.5f, 1.0f, 0.0f, 0.0f}, 3, {7, 8, 9},
              {"a <b>", "b", "c"}, QStringLiteral("test"));
    hw.resize(200, 220);
    hw.show();
    QVERIFY(QTest::qWaitForWindowExposed(&hw));
    const QImage img = hw.grab().toImage();
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            const QColor px = img.pixelColor(hw.cellRect(i, j).center());
            QCOMPARE(px == QColor(Qt::white), hw.weight(i, j) == 0.0f);
        }
    QVERIFY(HeatmapWidget::colorFor(1e-6f) != QColor(Qt::white));
    QCOMPARE(hw.maxWeight(), 1.0f);
    QCOMPARE(HeatmapWidget::colorFor(0.1f, 0.1f), HeatmapWidget::colorFor(1.0f));
    QVERIFY(HeatmapWidget::colorFor(1.0f).lightness() < HeatmapWidget::colorFor(0.5f).lightness());
    QVERIFY(HeatmapWidget::colorFor(0.5f).lightness() < HeatmapWidget::colorFor(1e-6f).lightness());
}

void WorkbenchTest::histogramRobustRange() {
    // One far outlier must not squash the histogram: by default the bins span the 0.5-99.5
    // percentiles and the outlier is an overflow bar; "Full range" bins min..max.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ResultsView rv;
    QVERIFY(showOnEmptyProject(rv, dir.filePath(QStringLiteral("outlier.mlad"))));
    RunScores rs;
    for (int i = 0; i < 2000; ++i) {
        rs.testScores.push_back(i % 20 == 0 ? 5.0 + i * 0.001 : i * 0.002);
        rs.testLabels.push_back(i % 20 == 0 ? 1 : 0);
    }
    rs.testScores.push_back(1e6);
    rs.testLabels.push_back(0);
    rs.valScores = {0.5, 1.0, 2.0};
    rs.defaultThreshold = 2.0;
    QSignalSpy loaded(&rv, &ResultsView::scoresLoaded);
    rv.showScores(QStringLiteral("outlier"), rs);
    QTRY_VERIFY(loaded.count() == 1 && rv.hasScores());
    QVERIFY(!rv.fullRangeBox()->isChecked());
    const auto robust = rv.histogramRange();
    QVERIFY2(robust.second < 10.0, "the outlier at 1e6 stays out of the binned range");
    auto* x = qobject_cast<QValueAxis*>(rv.histogramView()->chart()->axes(Qt::Horizontal).first());
    QVERIFY(x);
    QVERIFY(x->titleText().contains(QStringLiteral("overflow")));
    rv.fullRangeBox()->setChecked(true);
    QCOMPARE(rv.histogramRange().second, 1e6);
    rv.fullRangeBox()->setChecked(false);
    QCOMPARE(rv.histogramRange(), robust);
    // Curves: AUC-bearing names, the marker at the default threshold.
    const eval::ThresholdSweep sweep(rs.testScores, rs.testLabels);
    const eval::Confusion c = sweep.at(rs.defaultThreshold);
    QCOMPARE(rv.curvesView()->rocMarker(), QPointF(c.fpr(), c.recall()));
    QCOMPARE(rv.curvesView()->prMarker(), QPointF(c.recall(), c.precision()));
    QVERIFY(rv.curvesView()->rocPointCount() >= 2);
    rv.plotTabs()->setCurrentIndex(1);
    QVERIFY(rv.curvesView()->isVisible());
    // Three validation scores are too few for POT: the note says so, the threshold stays.
    const double before = rv.threshold();
    rv.potButton()->click();
    QCOMPARE(rv.threshold(), before);
    QVERIFY(rv.thresholdNoteText().contains(QStringLiteral("No POT threshold")));
}

void WorkbenchTest::screenshots() {
    // Runs the demo flow (generate + import + sequences + splits in the background, train,
    // results); writes PNGs only when MLAD_SCREENSHOTS_DIR is set.
    const QString outDir = qEnvironmentVariable("MLAD_SCREENSHOTS_DIR");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("demo/demo.mlad"));
    MainWindow w;
    w.resize(1440, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    demo::DemoOptions opt;
    opt.hdfsBlocks = 1200;
    opt.rasLines = 12000;
    QSignalSpy ready(&w, &MainWindow::demoReady);
    QSignalSpy runsReady(&w, &MainWindow::demoRunsReady);
    w.openDemoProject(path, opt);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 300000);
    QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->text()));
    QTRY_COMPARE(w.systemsList()->count(), 2);
    // First open: the demo's runs (the shortcut lesson's pair) train in the background and
    // Results then shows MLAD's; the comparison carries the lesson.
    QTRY_COMPARE_WITH_TIMEOUT(runsReady.count(), 1, 600000);
    QVERIFY2(runsReady.at(0).at(0).toBool(), qPrintable(w.errorBanner()->text()));
    const QString mladRun = ShortcutLesson::mladRunName(QStringLiteral("demo-hdfs"));
    const QString shortcutRun = ShortcutLesson::shortcutRunName(QStringLiteral("demo-hdfs"));
    QTRY_VERIFY(w.resultsView()->hasScores() &&
                w.resultsView()->runCombo()->currentData().toString() == mladRun);
    CompareView* cv = w.compareView();
    QCOMPARE(int(cv->shown().size()), 2);
    QCOMPARE(cv->histogramCount(), 2);
    QCOMPARE(cv->metricsTable()->rowCount(), 2);
    QCOMPARE(cv->rocView()->chart()->series().size(), 2);
    QVERIFY(!cv->explanationLabel()->isHidden());
    QVERIFY(cv->explanationLabel()->text().contains(QStringLiteral("shortcut")));
    for (const auto& r : cv->shown()) {
        QVERIFY(r.name == mladRun || r.name == shortcutRun);
        QVERIFY(r.sequences > 0 && r.anomalous > 0);
        qInfo(
            "lesson run %s: PR-AUC %.3f ROC-AUC %.3f overlap %.3f inside %.3f self-attention "
            "%.3f",
            qPrintable(r.name), r.prAuc, r.rocAuc, r.overlap, r.inside, r.selfAttention);
        QVERIFY(!std::isnan(r.rocAuc) && !std::isnan(r.overlap) && !std::isnan(r.selfAttention));
    }
    // The lesson's attention: MLAD's top anomaly under both models.
    QTRY_COMPARE(w.attentionView()->panelCount(), 2);
    // Opening it again finds it ready (no second generation, no training).
    w.openDemoProject(path, opt);
    QCOMPARE(ready.count(), 2);
    QTRY_COMPARE(runsReady.count(), 2);
    // The lesson again reuses its runs and opens the comparison.
    QSignalSpy lessonDone(w.shortcutLesson(), &ShortcutLesson::finished);
    QVERIFY(w.startShortcutLesson());
    QTRY_COMPARE_WITH_TIMEOUT(lessonDone.count(), 1, 120000);
    QVERIFY(lessonDone.at(0).at(0).toBool());
    QCOMPARE(w.tabs()->currentIndex(), int(MainWindow::CompareTab));
    QCOMPARE(int(cv->shown().size()), 2);

    TemplateExplorer* te = w.templateExplorer();
    QTRY_VERIFY(te->templateModel()->rowCount() > 0);
    te->selectRow(0);
    QTRY_VERIFY(te->linesModel()->rowCount() > 0 && te->isTimeChartLoaded());

    TrainingPanel* tp = w.trainingPanel();
    QTRY_VERIFY(tp->splitCombo()->count() >= 1);
    tp->splitCombo()->setCurrentIndex(tp->splitCombo()->findText(QStringLiteral("demo-hdfs")));
    TrainConfig c = tinyConfig(3);
    c.set("d_model", 32).set("d_ff", 64).set("layers", 2);
    tp->setConfig(c);
    tp->runNameEdit()->setText(QStringLiteral("demo-tiny"));
    QSignalSpy finished(tp, &TrainingPanel::trainingFinished);
    QVERIFY(tp->startTraining());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 600000);
    QVERIFY2(finished.at(0).at(1).toString() == QStringLiteral("finished"),
             qPrintable(tp->lastError()));
    ResultsView* rv = w.resultsView();
    QTRY_VERIFY(rv->runCombo()->findData(QStringLiteral("demo-tiny")) >= 0);
    QVERIFY(rv->selectRun(QStringLiteral("demo-tiny")));
    QTRY_VERIFY(rv->hasScores());
    rv->logCountsBox()->setChecked(true);
    QTRY_VERIFY(
        !tp->runsTable()->findItems(QStringLiteral("demo-tiny"), Qt::MatchExactly).isEmpty());
    tp->runsTable()->selectRow(
        tp->runsTable()->findItems(QStringLiteral("demo-tiny"), Qt::MatchExactly).first()->row());
    SequenceBrowser* sb = w.sequenceBrowser();
    QTRY_VERIFY(sb->splitCombo()->count() >= 1);
    sb->splitCombo()->setCurrentIndex(sb->splitCombo()->findText(QStringLiteral("demo-hdfs")));
    QTRY_VERIFY(sb->model()->rowCount() > 0);

    // --- Projection: t-SNE of the run's test sequences, coloured at the Results threshold.
    ProjectionView* pv = w.projectionView();
    QTRY_COMPARE(pv->runName(), QStringLiteral("demo-tiny"));
    QCOMPARE(pv->plot()->threshold(), rv->threshold());
    QSignalSpy projected(pv, &ProjectionView::projectionFinished);
    pv->sampleBox()->setValue(60);  // a seeded sample of 60 sequences
    pv->iterationsBox()->setValue(100);
    QVERIFY(pv->compute());
    QVERIFY(!pv->compute());  // one at a time
    QTRY_COMPARE_WITH_TIMEOUT(projected.count(), 1, 120000);
    QCOMPARE(projected.at(0).at(0).toInt(), 60);
    QCOMPARE(pv->plot()->pointCount(), 60);
    QVERIFY(pv->plot()->hasLayout());
    // Every test sequence (the demo's are fewer than the default sample), 300 iterations.
    pv->sampleBox()->setValue(10000);
    pv->iterationsBox()->setValue(300);
    QVERIFY(pv->compute());
    QTRY_COMPARE_WITH_TIMEOUT(projected.count(), 2, 300000);
    QCOMPARE(pv->plot()->pointCount(), int(rv->sweep()->size()));
    // The colours are Results' confusion matrix at the same threshold, before and after the
    // slider moves.
    auto coloursMatchResults = [&] {
        const auto counts = pv->plot()->classCounts();
        const eval::Confusion c = rv->currentConfusion();
        QCOMPARE(pv->plot()->threshold(), rv->threshold());
        QCOMPARE(uint64_t(counts[ScatterPlot::Anomaly]), c.tp);
        QCOMPARE(uint64_t(counts[ScatterPlot::FalsePositive]), c.fp);
        QCOMPARE(uint64_t(counts[ScatterPlot::FalseNegative]), c.fn);
        QCOMPARE(uint64_t(counts[ScatterPlot::Normal]), c.tn);
    };
    coloursMatchResults();
    rv->slider()->setValue(ResultsView::kSliderSteps / 2);
    coloursMatchResults();
    QVERIFY(pv->plot()->classCounts()[ScatterPlot::FalsePositive] > 0);
    rv->defaultButton()->click();
    coloursMatchResults();
    // Hover finds a drawn point; a rectangle over the whole plot selects every point; a
    // sequence opens its raw lines.
    w.tabs()->setCurrentIndex(MainWindow::ProjectionTab);
    QTRY_VERIFY(pv->plot()->isVisible());
    QCOMPARE(pv->plot()->pointAt(pv->plot()->screenPos(0)) >= 0, true);
    pv->plot()->selectRect(QRectF(pv->plot()->rect()));
    QCOMPARE(pv->selectionList()->count(), pv->plot()->pointCount());
    LinesDialog* lines = pv->openSequence(pv->plot()->point(0).id);
    QVERIFY(lines);
    QTRY_VERIFY(lines->isLoaded());
    QVERIFY(lines->table()->rowCount() > 0);
    lines->close();
    pv->plot()->selectRect(QRectF());
    QCOMPARE(pv->selectionList()->count(), 0);

    // --- Export: charts as PNG and SVG, tables as CSV, the HTML run report.
    {
        QTemporaryDir exportDir;
        QVERIFY(exportDir.isValid());
        QString err;
        w.tabs()->setCurrentIndex(MainWindow::ResultsTab);
        QTRY_VERIFY(rv->histogramView()->isVisible());
        const QSize shown = rv->histogramView()->size();
        const QString png = exportDir.filePath(QStringLiteral("histogram.png"));
        QVERIFY2(exportWidgetImage(rv->histogramView(), png, &err), qPrintable(err));
        const QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), shown * 2);
        for (QWidget* chart : std::initializer_list<QWidget*>{
                 rv->curvesView()->rocView(), w.compareView()->rocView(), pv->plot()}) {
            const QString svg = exportDir.filePath(QStringLiteral("chart.svg"));
            QVERIFY2(exportWidgetImage(chart, svg, &err), qPrintable(err));
            QSvgRenderer renderer(svg);
            QVERIFY2(renderer.isValid(), "the SVG parses");
        }
        const QString csv = exportDir.filePath(QStringLiteral("ranked.csv"));
        QVERIFY2(exportModelCsv(rv->rankedTable()->model(), csv, &err), qPrintable(err));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = file.readAll().trimmed().split('\n');
        QCOMPARE(rows.size(), rv->rankedTable()->rowCount() + 1);
        QVERIFY(rows[0].startsWith("Rank,Score,Label"));
        const QString metrics = exportDir.filePath(QStringLiteral("compare.csv"));
        QVERIFY(exportModelCsv(w.compareView()->metricsTable()->model(), metrics, &err));
        const QString html = rv->reportHtml();
        QVERIFY(html.contains(QStringLiteral("data:image/png;base64,")));
        QVERIFY(html.contains(QStringLiteral("demo-tiny")));
        QVERIFY(html.trimmed().endsWith(QStringLiteral("</html>")));
        // A write that cannot happen fails cleanly and leaves nothing behind.
        QVERIFY(!writeFileAtomically(QStringLiteral("/proc/no-such-dir/x.csv"), "x", &err));
        QVERIFY(err.contains(QStringLiteral("/proc/no-such-dir/x.csv")));
        QVERIFY(!QFileInfo::exists(QStringLiteral("/proc/no-such-dir/x.csv")));
    }

    // --- Drill-down from the ranked list: raw lines, templates unseen in training marked, each
    // event's masked reconstruction error, the energy per GMM component.
    LinesDialog* drill = rv->openRankedRow(0);
    QVERIFY(drill);
    QTRY_VERIFY_WITH_TIMEOUT(drill->isLoaded(), 60000);
    QVERIFY(drill->isExplained());
    QVERIFY(drill->table()->rowCount() > 0);
    QVERIFY(!drill->table()->isColumnHidden(LinesDialog::Contribution));
    QVERIFY(!drill->table()->isColumnHidden(LinesDialog::InTraining));
    QCOMPARE(drill->table()->horizontalHeaderItem(LinesDialog::Contribution)->text(),
             QStringLiteral("masked reconstruction error"));
    for (int i = 0; i < drill->table()->rowCount(); ++i) {
        const QString seen = drill->table()->item(i, LinesDialog::InTraining)->text();
        QVERIFY(seen == QStringLiteral("yes") || seen == QStringLiteral("NEW"));
        QVERIFY(drill->table()->item(i, LinesDialog::Contribution));
    }
    QVERIFY(drill->componentsLabel()->isVisible());
    QVERIFY(drill->componentsLabel()->text().contains(QStringLiteral("component 1")));
    if (!outDir.isEmpty()) {
        QDir().mkpath(outDir);
        QVERIFY(drill->grab().save(QDir(outDir).filePath(QStringLiteral("drilldown.png"))));
    }
    drill->close();

    // --- Attention: selecting a ranked sequence in Results shows its maps, layers x heads,
    // beside the same sequence under a second run (here the same run: the mechanism).
    AttentionView* av = w.attentionView();
    QTRY_VERIFY(av->runCombo()->findText(QStringLiteral("demo-tiny")) >= 0);
    QVERIFY(av->selectRun(QStringLiteral("demo-tiny"), QStringLiteral("demo-tiny")));
    QSignalSpy shown(av, &AttentionView::attentionShown);
    rv->rankedTable()->setCurrentCell(0, 0);
    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 60000);
    QCOMPARE(av->shownSequence(), rv->rankedTable()->item(0, 0)->data(Qt::UserRole).toLongLong());
    QCOMPARE(av->panelCount(), 2);
    const AttentionMaps& maps = av->maps(0);
    QCOMPARE(maps.layers, 2);
    QCOMPARE(int(av->heatmaps(0).size()), maps.layers * maps.heads);
    QCOMPARE(int(av->heatmaps(1).size()), maps.layers * maps.heads);
    w.tabs()->setCurrentIndex(MainWindow::AttentionTab);
    QTRY_VERIFY(av->heatmaps(0).front()->isVisible());
    int zeros = 0;
    auto checkMaps = [&](int panel) {
        int nonZeros = 0;
        zeros = 0;
        for (HeatmapWidget* hw : av->heatmaps(panel)) {
            QCOMPARE(hw->length(), maps.length);
            const QImage img = hw->grab().toImage();
            for (int i = 0; i < hw->length(); ++i) {
                double sum = 0;
                for (int j = 0; j < hw->length(); ++j) {
                    const float wgt = hw->weight(i, j);
                    sum += double(wgt);
                    const QColor px = img.pixelColor(hw->cellRect(i, j).center());
                    QCOMPARE(px, HeatmapWidget::colorFor(wgt, hw->maxWeight()));
                    (wgt == 0.0f ? zeros : nonZeros)++;
                }
                QVERIFY2(std::abs(sum - 1.0) < 1e-4, "every attention row sums to 1");
            }
        }
        QVERIFY(nonZeros > 0);
    };
    checkMaps(0);
    qInfo("attention of sequence %lld: %d exact zeros (entmax) among %d weights",
          qlonglong(av->shownSequence()), zeros,
          maps.layers * maps.heads * maps.length * maps.length);
    av->setMode(AttentionView::HeadAverage);
    QCOMPARE(int(av->heatmaps(0).size()), maps.layers);
    checkMaps(0);
    av->setMode(AttentionView::Rollout);
    QCOMPARE(int(av->heatmaps(0).size()), maps.layers);
    checkMaps(0);
    av->setMode(AttentionView::EachHead);

    ImportWizard* wiz = w.showImportWizard();
    QVERIFY(wiz);
    const QString demoLog =
        QFileInfo(path).absolutePath() + QStringLiteral("/mlad-demo-data/demo_ras.log");
    wiz->setFiles({demoLog});
    QVERIFY(wiz->setPresetName(QStringLiteral("BGL")));
    QTRY_VERIFY(wiz->previewUpToDate() && wiz->previewTable()->rowCount() > 0);

    if (outDir.isEmpty()) {
        qInfo("MLAD_SCREENSHOTS_DIR not set: demo flow checked, no screenshots written");
        return;
    }
    const QStringList files = w.saveScreenshots(outDir);
    for (const auto& f : files) qInfo("screenshot: %s", qPrintable(f));
    QCOMPARE(files.size(), 12);
    for (const char* name : {"results.png", "curves.png", "attention.png", "projection.png",
                             "compare.png", "shortcut-lesson.png", "drilldown.png"})
        QVERIFY2(QFileInfo::exists(QDir(outDir).filePath(QString::fromLatin1(name))), name);
}

void WorkbenchTest::splitCutAtATime() {
    // The split dialog's "cut at a time" protocol: the browser builds a chronological split cut
    // at a UTC time, refuses text that is not a time, and the split's test part starts there.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("cut.mlad"));
    int64_t mid = 0;
    {
        auto p = Project::open(path.toStdString());
        demo::DemoOptions opt;
        opt.hdfsBlocks = 100;
        opt.rasLines = 2000;
        const auto files =
            demo::generateDemo(dir.filePath(QStringLiteral("data")).toStdString(), opt);
        setUpDemoProject(*p, files, nullptr);
        auto st = p->db().prepare(
            "SELECT min(l.ts), max(l.ts) FROM lines l JOIN systems s ON s.id = l.system_id "
            "WHERE s.name = ?");
        st.bind(1, std::string(kDemoRasSystem));
        QVERIFY(st.step());
        mid = st.getInt(0) + (st.getInt(1) - st.getInt(0)) / 2;
        mid -= mid % 1000;  // whole seconds: the time as the user types it
    }
    SequenceBrowser sb;
    sb.setProjectPath(path);
    sb.show();
    QVERIFY(QTest::qWaitForWindowExposed(&sb));
    QVERIFY(!sb.buildSplit(QString::fromLatin1(kDemoRasSystem), 1, 20, 20,
                           QStringLiteral("chronological"), QStringLiteral("bad"),
                           QStringLiteral("2005-13-01")));
    QVERIFY2(sb.buildStatusText().contains(QStringLiteral("not a time")),
             qPrintable(sb.buildStatusText()));
    const QString cut = QString::fromStdString(formatUtcTime(mid));
    QString error;
    connect(&sb, &SequenceBrowser::errorOccurred, &sb, [&error](const QString& m) { error = m; });
    // Windows of 10 (the demo's split already uses its windows of 20).
    QVERIFY(sb.buildSplit(QString::fromLatin1(kDemoRasSystem), 1, 10, 10,
                          QStringLiteral("chronological"), QStringLiteral("cut"), cut));
    QTRY_VERIFY_WITH_TIMEOUT(!sb.isBuilding(), 120000);
    QTRY_VERIFY2(sb.splitCombo()->findText(QStringLiteral("cut")) >= 0,
                 qPrintable(sb.buildStatusText() + QStringLiteral(": ") + error));
    auto p = Project::openReadOnly(path.toStdString());
    const auto split = findSplit(*p, "cut");
    QVERIFY(split);
    QVERIFY2(QString::fromStdString(split->params).contains(QStringLiteral("train_until=") + cut),
             split->params.c_str());
    QVERIFY(split->test.total > 0 && split->train.total > 0);
    auto st = p->db().prepare("SELECT start_ts FROM sequences WHERE id = ?");
    for (const char* part : {"train", "test"})
        for (int64_t id : splitPart(*p, split->id, part)) {
            st.reset();
            st.bind(1, id);
            QVERIFY(st.step());
            QVERIFY(std::string(part) == "train" ? st.getInt(0) < mid : st.getInt(0) >= mid);
        }
}

void WorkbenchTest::perSystemBreakdown() {
    // Scores of test sequences from two systems: Results adds one row per system whose metrics
    // are core's on that system's sequences at the same threshold.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("two.mlad"));
    {
        auto p = Project::open(path.toStdString());
        demo::DemoOptions opt;
        opt.hdfsBlocks = 300;
        opt.rasLines = 3000;
        const auto files =
            demo::generateDemo(dir.filePath(QStringLiteral("data")).toStdString(), opt);
        setUpDemoProject(*p, files, nullptr);
    }
    RunScores rs;
    std::map<std::string, std::pair<std::vector<double>, std::vector<uint8_t>>> expected;
    {
        auto p = Project::openReadOnly(path.toStdString());
        std::map<int64_t, std::string> names;
        for (const auto& s : p->systems()) names[s.id] = s.name;
        std::mt19937 rng(5);
        std::normal_distribution<double> noise(0.0, 1.0);
        for (const auto& set : sequenceSets(*p))
            for (const auto& q : sequencesOfSet(*p, set.id))
                if (q.label == 0 || q.label == 1) {
                    rs.testIds.push_back(q.id);
                    rs.testLabels.push_back(uint8_t(q.label));
                    rs.testScores.push_back(2.0 * q.label + noise(rng));
                    expected[names[q.systemId]].first.push_back(rs.testScores.back());
                    expected[names[q.systemId]].second.push_back(uint8_t(q.label));
                }
    }
    QCOMPARE(int(expected.size()), 2);
    rs.valScores = {0.0, 1.0};
    rs.defaultThreshold = 1.0;
    ResultsView rv;
    rv.resize(1300, 900);
    rv.setProjectPath(path);
    rv.show();
    QVERIFY(QTest::qWaitForWindowExposed(&rv));
    QSignalSpy loaded(&rv, &ResultsView::scoresLoaded);
    rv.showScores(QStringLiteral("two systems"), rs);
    QTRY_VERIFY(loaded.count() == 1 && rv.hasScores());
    QTableWidget* table = rv.perSystemTable();
    QVERIFY(table->isVisible());
    QCOMPARE(table->rowCount(), 2);
    for (double t : {1.0, 0.0, 2.5}) {
        rv.setThreshold(t);
        for (int r = 0; r < 2; ++r) {
            const auto& [scores, labels] = expected.at(table->item(r, 0)->text().toStdString());
            const eval::ThresholdSweep sweep(scores, labels);
            const eval::Confusion c = sweep.at(t);
            QCOMPARE(table->item(r, 1)->text(), QLocale().toString(qulonglong(sweep.size())));
            QCOMPARE(table->item(r, 3)->text(), QLocale().toString(qulonglong(c.tp + c.fp)));
            QCOMPARE(table->item(r, 6)->text(), ResultsView::formatMetric(c.f1()));
            QCOMPARE(table->item(r, 7)->text(), ResultsView::formatMetric(sweep.rocAuc()));
        }
    }
}

void WorkbenchTest::trainingSettingsAreTheManifest() {
    // The panel starts from the manifest JSON stored under training/config ...
    TrainConfig c = tinyConfig(7);
    c.set("lambda_energy", 0.25).set("nu", 0.05).set("seed", 1234);
    QSettings().setValue(QStringLiteral("training/config"),
                         QString::fromStdString(dumpJson(trainConfigToJson(c))));
    {
        TrainingPanel tp;
        const TrainConfig got = tp.config();
        QCOMPARE(got.params, c.params);
        QCOMPARE(got.model, c.model);
        QCOMPARE(got.text("device"), std::string("cpu"));
    }
    // ... and from the defaults when that value is missing or not a manifest.
    const TrainConfig defaults = TrainConfig::defaults();
    for (const QString& bad :
         {QString(), QStringLiteral("{not json"), QStringLiteral("{\"d_model\": \"wide\"}")}) {
        if (bad.isEmpty())
            QSettings().remove(QStringLiteral("training/config"));
        else
            QSettings().setValue(QStringLiteral("training/config"), bad);
        TrainingPanel tp;
        QCOMPARE(tp.config().params, defaults.params);
    }
    QSettings().remove(QStringLiteral("training/config"));
}

void WorkbenchTest::trainingFormFollowsTheModel() {
    // A detector registered at run time, with parameters of its own.
    if (!findDetector("ui-toy")) {
        DetectorInfo info;
        info.id = "ui-toy";
        info.displayName = "UI toy";
        info.description = "a detector with a parameter of its own (a test)";
        info.params = joinParams(
            {{ParamSpec::integer("neighbours", 7, 1, 100, "model", "neighbours"),
              ParamSpec::text("metric", "cosine", "cosine|euclidean", "model", "metric")},
             params::classicFitting(),
             params::threshold()});
        registerDetector(info, [](const Json&) { return std::unique_ptr<Detector>(); });
    }
    QSettings().remove(QStringLiteral("training/config"));
    TrainingPanel tp;
    QComboBox* models = tp.modelCombo();
    const int toy = models->findData(QStringLiteral("ui-toy"));
    QVERIFY(toy >= 0);
    QVERIFY(models->findData(QStringLiteral("mlad-paper")) >= 0);
    QVERIFY(tp.paramEditor(QStringLiteral("d_model")));
    QVERIFY(!tp.paramEditor(QStringLiteral("neighbours")));
    auto* threads = qobject_cast<QSpinBox*>(tp.paramEditor(QStringLiteral("threads")));
    QVERIFY(threads);
    threads->setValue(3);

    models->setCurrentIndex(toy);  // the user picks another model
    QVERIFY(!tp.paramEditor(QStringLiteral("d_model")));
    auto* neighbours = qobject_cast<QSpinBox*>(tp.paramEditor(QStringLiteral("neighbours")));
    QVERIFY(neighbours);
    QCOMPARE(neighbours->value(), 7);
    QVERIFY(qobject_cast<QComboBox*>(tp.paramEditor(QStringLiteral("metric"))));
    QVERIFY(tp.paramEditor(QStringLiteral("neighbours"))
                ->toolTip()
                .contains(QStringLiteral("[1, 100]")));
    neighbours->setValue(12);
    TrainConfig c = tp.config();
    QCOMPARE(c.model, std::string("ui-toy"));
    QCOMPARE(c.integer("neighbours"), 12);
    QCOMPARE(c.integer("threads"), 3);  // the machine's settings carry over
    QVERIFY(!c.has("d_model"));
    validateTrainConfig(c);
    // The optimisation group has no torch settings for it; the data group is empty and hidden.
    QVERIFY(!tp.paramEditor(QStringLiteral("epochs")));
    QVERIFY(tp.findChild<QWidget*>(QStringLiteral("paramGroup_data"))->isHidden());

    // mlad-paper: MLAD's form with the paper's defaults.
    models->setCurrentIndex(models->findData(QStringLiteral("mlad-paper")));
    QCOMPARE(tp.config().model, std::string("mlad-paper"));
    QCOMPARE(tp.config().real("dropout"), 0.5);
    QVERIFY(tp.paramEditor(QStringLiteral("d_model")));
    // setConfig switches the form too.
    tp.setConfig(c);
    QCOMPARE(models->currentData().toString(), QStringLiteral("ui-toy"));
    QCOMPARE(tp.config().integer("neighbours"), 12);
}

QTEST_MAIN(WorkbenchTest)
#include "test_workbench.moc"
