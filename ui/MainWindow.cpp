#include "MainWindow.h"

#include "mlad/import/DemoProject.h"
#include "mlad/store/Runs.h"
#include "mlad/train/Runtime.h"

#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include "AttentionView.h"
#include "CompareView.h"
#include "CurvesView.h"
#include "ErrorBanner.h"
#include "Export.h"
#include "ImportWizard.h"
#include "ProjectWorker.h"
#include "ProjectionView.h"
#include "ResultsView.h"
#include "SequenceBrowser.h"
#include "ShortcutLesson.h"
#include "TaskRunner.h"
#include "TemplateExplorer.h"
#include "TrainingPanel.h"
#include "UiUtil.h"
#include "mlad/import/Importer.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"

namespace mlad::ui {

namespace {
constexpr int kMaxRecent = 8;
const char* kDemoHdfs = kDemoHdfsSystem;
const char* kDemoRas = kDemoRasSystem;
const char* kDemoSplit = "demo-hdfs";  // the block split setUpDemoProject makes
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), task_(std::make_unique<TaskRunner>()) {
    setObjectName(QStringLiteral("mladMainWindow"));
    setWindowTitle(tr("MLAD Workbench"));

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    banner_ = new ErrorBanner(central);
    tabs_ = new QTabWidget(central);
    tabs_->setObjectName(QStringLiteral("mainTabs"));
    templates_ = new TemplateExplorer(tabs_);
    sequences_ = new SequenceBrowser(tabs_);
    training_ = new TrainingPanel(tabs_);
    results_ = new ResultsView(tabs_);
    attention_ = new AttentionView(tabs_);
    compare_ = new CompareView(tabs_);
    projection_ = new ProjectionView(tabs_);
    tabs_->addTab(templates_, tr("Templates"));
    tabs_->addTab(sequences_, tr("Sequences"));
    tabs_->addTab(training_, tr("Training"));
    tabs_->addTab(results_, tr("Results"));
    tabs_->addTab(attention_, tr("Attention"));
    tabs_->addTab(projection_, tr("Projection"));
    tabs_->addTab(compare_, tr("Compare"));
    lesson_ = new ShortcutLesson(training_, compare_, attention_, this);
    layout->addWidget(banner_);
    layout->addWidget(tabs_, 1);
    setCentralWidget(central);

    auto* dock = new QDockWidget(tr("Systems"), this);
    dock->setObjectName(QStringLiteral("systemsDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    systems_ = new QListWidget(dock);
    systems_->setObjectName(QStringLiteral("systemsList"));
    systems_->setMinimumWidth(200);
    dock->setWidget(systems_);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    pathLabel_ = new QLabel(tr("No project"), this);
    countsLabel_ = new QLabel(this);
    taskLabel_ = new QLabel(this);
    taskBar_ = new QProgressBar(this);
    taskBar_->setRange(0, 1000);
    taskBar_->setMaximumWidth(220);
    taskCancel_ = new QToolButton(this);
    taskCancel_->setText(tr("Cancel"));
    statusBar()->addWidget(pathLabel_, 1);
    statusBar()->addPermanentWidget(taskLabel_);
    statusBar()->addPermanentWidget(taskBar_);
    statusBar()->addPermanentWidget(taskCancel_);
    statusBar()->addPermanentWidget(countsLabel_);
    taskLabel_->hide();
    taskBar_->hide();
    taskCancel_->hide();

    createActions();

    connect(systems_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (!item) return;
        currentSystem_ = item->data(Qt::UserRole).toLongLong();
        templates_->setSystem(currentSystem_);
    });
    connect(templates_, &TemplateExplorer::errorOccurred, this, &MainWindow::showError);
    connect(sequences_, &SequenceBrowser::errorOccurred, this, &MainWindow::showError);
    connect(training_, &TrainingPanel::errorOccurred, this, &MainWindow::showError);
    connect(results_, &ResultsView::errorOccurred, this, &MainWindow::showError);
    connect(projection_, &ProjectionView::errorOccurred, this, &MainWindow::showError);
    connect(attention_, &AttentionView::errorOccurred, this, &MainWindow::showError);
    connect(compare_, &CompareView::errorOccurred, this, &MainWindow::showError);
    connect(lesson_, &ShortcutLesson::progress, this, [this](const QString& what) {
        taskLabel_->setText(what);
        taskLabel_->show();
    });
    connect(lesson_, &ShortcutLesson::finished, this, [this](bool ok, const QString& message) {
        taskLabel_->setText(message);
        if (!ok) showError(message);
        // Results shows the lesson's MLAD run.
        if (ok) results_->selectRun(ShortcutLesson::mladRunName(lesson_->split()));
        if (firstRunLesson_) {
            firstRunLesson_ = false;
            Q_EMIT demoRunsReady(ok);
        } else if (ok) {
            tabs_->setCurrentWidget(compare_);
        }
    });
    connect(this, &MainWindow::demoReady, this, [this] { ensureDemoRuns(); });
    // Every chart exports as PNG or SVG, every table as CSV (context menus).
    addImageExportMenu(templates_->timeChartView(), QStringLiteral("template-over-time"));
    addCsvExportMenu(templates_->templateView(), QStringLiteral("templates"));
    addCsvExportMenu(templates_->linesView(), QStringLiteral("template-lines"));
    addCsvExportMenu(templates_->parametersTable(), QStringLiteral("template-parameters"));
    addCsvExportMenu(sequences_->view(), QStringLiteral("sequences"));
    addImageExportMenu(training_->lossChartView(), QStringLiteral("training-loss"));
    addCsvExportMenu(training_->runsTable(), QStringLiteral("runs"));
    addImageExportMenu(results_->histogramView(), QStringLiteral("score-histogram"));
    addImageExportMenu(results_->curvesView()->rocView(), QStringLiteral("roc-curve"));
    addImageExportMenu(results_->curvesView()->prView(), QStringLiteral("pr-curve"));
    addCsvExportMenu(results_->rankedTable(), QStringLiteral("most-anomalous"));
    addImageExportMenu(projection_->plot(), QStringLiteral("projection"));
    // A run shown in Results is the attention view's run; a sequence selected in the ranked list
    // is shown there under it.
    connect(results_, &ResultsView::scoresLoaded, attention_, [this](const QString& run) {
        const int i = attention_->runCombo()->findText(run);
        if (i >= 0) attention_->runCombo()->setCurrentIndex(i);
    });
    connect(results_, &ResultsView::sequenceSelected, attention_,
            [this](qint64 id) { attention_->showSequence(int64_t(id)); });
    // The drill-down from the Sequences tab explains under the run shown in Results.
    connect(results_, &ResultsView::scoresLoaded, sequences_, [this](const QString& run) {
        sequences_->setExplainRun(results_->showsStoredRun() ? run : QString());
    });
    // The projection follows the run shown in Results and its threshold.
    connect(results_, &ResultsView::scoresLoaded, this,
            [this](const QString& run) { projection_->setRun(run, results_->threshold()); });
    connect(results_, &ResultsView::thresholdChanged, projection_, &ProjectionView::setThreshold);
    connect(projection_, &ProjectionView::sequenceActivated, attention_,
            [this](qint64 id) { attention_->showSequence(int64_t(id)); });
    connect(sequences_, &SequenceBrowser::projectDataChanged, this,
            [this] { training_->refresh(); });
    connect(training_, &TrainingPanel::projectDataChanged, this, [this] {
        results_->refresh();
        attention_->refresh();
        compare_->refresh();
    });
    connect(task_.get(), &TaskRunner::progressed, this, [this](const Progress& p) {
        const double f = p.fraction();
        taskBar_->setRange(0, f >= 0 ? 1000 : 0);
        if (f >= 0) taskBar_->setValue(int(f * 1000));
        taskLabel_->setText(describeProgress(p));
    });
    connect(task_.get(), &TaskRunner::finished, this, [this] {
        taskLabel_->hide();
        taskBar_->hide();
        taskCancel_->hide();
    });
    connect(task_.get(), &TaskRunner::failed, this,
            [this](const QString& m) { showError(tr("%1 failed: %2").arg(task_->title(), m)); });
    connect(task_.get(), &TaskRunner::cancelled, this,
            [this] { banner_->showInfo(tr("%1 cancelled.").arg(task_->title())); });
    connect(taskCancel_, &QToolButton::clicked, task_.get(), &TaskRunner::cancel);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1400, 900);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    rebuildRecentMenu();
    updateTitle();
}

MainWindow::~MainWindow() {
    task_->cancelAndWait();
    worker_.reset();
}

void MainWindow::createActions() {
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    auto* projectMenu = menuBar()->addMenu(tr("&Project"));
    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    auto* helpMenu = menuBar()->addMenu(tr("&Help"));
    auto* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);

    auto* newAct = fileMenu->addAction(tr("&New project…"), this, &MainWindow::newProjectDialog);
    newAct->setShortcut(QKeySequence::New);
    auto* openAct = fileMenu->addAction(tr("&Open project…"), this, &MainWindow::openProjectDialog);
    openAct->setShortcut(QKeySequence::Open);
    recentMenu_ = fileMenu->addMenu(tr("Open &recent"));
    auto* demoAct =
        fileMenu->addAction(tr("Open &demo project"), this, &MainWindow::openDemoDialog);
    demoAct->setToolTip(
        tr("Generates a small labelled HDFS-like and BGL-like log set, imports "
           "it and builds sequences and splits (first time only)"));
    fileMenu->addSeparator();
    auto* reportAct = fileMenu->addAction(tr("Export run &report (HTML)…"), this, [this] {
        const QString html = results_->reportHtml();
        if (html.isEmpty()) {
            showError(tr("Show a run in the Results tab first: the report is of that run."));
            return;
        }
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export run report"),
            QDir::home().filePath(results_->runCombo()->currentData().toString() +
                                  QStringLiteral("-report.html")),
            tr("HTML files (*.html)"));
        if (path.isEmpty()) return;
        QString error;
        if (!writeFileAtomically(path, html.toUtf8(), &error)) showError(error);
    });
    auto* closeAct = fileMenu->addAction(tr("&Close project"), this, &MainWindow::closeProject);
    fileMenu->addSeparator();
    auto* quitAct = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quitAct->setShortcut(QKeySequence::Quit);

    auto* importAct =
        projectMenu->addAction(tr("&Import logs…"), this, [this] { showImportWizard(); });
    importAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    auto* trainAct = projectMenu->addAction(tr("&Train"), this, [this] {
        tabs_->setCurrentWidget(training_);
        training_->startTraining();
    });
    trainAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    trainAct->setToolTip(tr("Train with the settings of the Training tab"));
    auto* refreshAct = projectMenu->addAction(tr("&Refresh"), this, &MainWindow::refreshAll);
    refreshAct->setShortcut(QKeySequence::Refresh);
    projectActions_ = {importAct, trainAct, refreshAct, closeAct, reportAct};

    const QStringList names = {tr("&Templates"), tr("&Sequences"),  tr("T&raining"), tr("R&esults"),
                               tr("&Attention"), tr("&Projection"), tr("&Compare")};
    for (int i = 0; i < names.size(); ++i) {
        auto* act = viewMenu->addAction(names[i], this, [this, i] { tabs_->setCurrentIndex(i); });
        act->setShortcut(QKeySequence(Qt::CTRL | (Qt::Key_1 + i)));
    }
    helpMenu->addAction(tr("&About"), this, [this] {
        // The same facts as `mlad doctor`: what a bug report needs.
        QString rows;
        for (const auto& [k, v] : runtimeReport())
            rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                        .arg(qs(k).toHtmlEscaped(), qs(v).toHtmlEscaped());
        rows += QStringLiteral("<tr><td><b>Qt</b></td><td>%1</td></tr>").arg(qVersion());
        QMessageBox::about(this, tr("About MLAD Workbench"),
                           tr("<b>MLAD Workbench</b> %1<br>Unsupervised log anomaly detection: "
                              "import, parse, sequence, train and inspect.<br><br>"
                              "<table cellspacing=4>%2</table>")
                               .arg(QStringLiteral(MLAD_VERSION), rows));
    });

    toolbar->addAction(newAct);
    toolbar->addAction(openAct);
    toolbar->addAction(demoAct);
    toolbar->addSeparator();
    toolbar->addAction(importAct);
    toolbar->addAction(trainAct);
    toolbar->addAction(refreshAct);
    toolbar->addSeparator();
    auto* lessonAct = helpMenu->addAction(tr("Identical-shortcut &lesson"), this,
                                          [this] { startShortcutLesson(); });
    lessonAct->setToolTip(
        tr("Train a reconstruction model that can copy its input and MLAD on the same split, "
           "then compare them: where the shortcut hides anomalies and where MLAD's energy "
           "separates them"));
    toolbar->addAction(lessonAct);
    projectActions_ << lessonAct;
}

bool MainWindow::startShortcutLesson() {
    if (path_.isEmpty()) {
        showError(tr("Open a project first (File ▸ Open demo project has one ready)."));
        return false;
    }
    // The demo's block split when there is one, else the split chosen in the Training tab.
    QComboBox* splits = training_->splitCombo();
    const int demo = splits->findText(QString::fromLatin1(kDemoSplit));
    const QString split = demo >= 0 ? splits->itemText(demo) : splits->currentText();
    return lesson_->start(path_, split);
}

void MainWindow::ensureDemoRuns() {
    if (!trainDemoRuns_ || !worker_) {
        Q_EMIT demoRunsReady(true);
        return;
    }
    const quint64 gen = generation_;
    worker_->query(
        this, [](Project& p) { return !finishedRunNames(p).isEmpty(); },
        [this, gen](bool hasRuns) {
            if (gen != generation_) return;
            if (hasRuns) {
                Q_EMIT demoRunsReady(true);
                return;
            }
            // First open: train the demo's two runs (the shortcut lesson's pair) in the
            // background, so a newcomer sees results, not an empty tab. The split list loads
            // asynchronously; the lesson names the split itself.
            firstRunLesson_ = true;
            if (!lesson_->start(path_, QString::fromLatin1(kDemoSplit))) firstRunLesson_ = false;
        });
}

QString MainWindow::defaultDemoPath() {
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty()) dir = QDir::homePath() + QStringLiteral("/.mlad");
    return QDir(dir).filePath(QStringLiteral("demo/demo.mlad"));
}

void MainWindow::newProjectDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("New project"), QDir::homePath(),
                                                tr("MLAD projects (*.mlad)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QStringLiteral(".mlad"))) path += QStringLiteral(".mlad");
    if (QFileInfo::exists(path)) {
        showError(tr("%1 already exists; use Open to open it.").arg(path));
        return;
    }
    openProject(path);
}

void MainWindow::openProjectDialog() {
    QString path = QFileDialog::getOpenFileName(this, tr("Open project"), QDir::homePath(),
                                                tr("MLAD projects (*.mlad);;All files (*)"));
    if (!path.isEmpty()) openProject(path);
}

void MainWindow::openDemoDialog() {
    QSettings settings;
    QString suggested = settings.value(QStringLiteral("demoPath"), defaultDemoPath()).toString();
    QString path = QFileDialog::getSaveFileName(this, tr("Demo project location"), suggested,
                                                tr("MLAD projects (*.mlad)"), nullptr,
                                                QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty()) return;
    settings.setValue(QStringLiteral("demoPath"), path);
    openDemoProject(path);
}

bool MainWindow::openProject(const QString& path) {
    if (task_->isRunning()) task_->cancelAndWait();
    std::unique_ptr<Project> check;
    try {
        // Creates or migrates the file; quick, and errors must reach the user right away.
        QDir().mkpath(QFileInfo(path).absolutePath());
        check = Project::open(QFileInfo(path).absoluteFilePath().toStdString());
    } catch (const std::exception& e) {
        showError(tr("Cannot open project %1: %2").arg(path, qs(e.what())));
        return false;
    }
    check.reset();
    closeProject();
    path_ = QFileInfo(path).absoluteFilePath();
    worker_ = std::make_unique<ProjectWorker>(path_);
    connect(worker_.get(), &ProjectWorker::error, this, &MainWindow::showError);
    templates_->setProjectPath(path_);
    sequences_->setProjectPath(path_);
    training_->setProjectPath(path_);
    results_->setProjectPath(path_);
    projection_->setProjectPath(path_);
    attention_->setProjectPath(path_);
    compare_->setProjectPath(path_);
    if (wizard_) {
        wizard_->close();
        wizard_->deleteLater();
        wizard_ = nullptr;
    }
    banner_->dismiss();
    addRecent(path_);
    QSettings().setValue(QStringLiteral("lastProject"), path_);
    updateTitle();
    loadSystems();
    Q_EMIT projectOpened(path_);
    return true;
}

void MainWindow::closeProject() {
    if (wizard_ && wizard_->isImporting()) wizard_->cancelImport();
    ++generation_;
    worker_.reset();
    path_.clear();
    currentSystem_ = 0;
    systems_->clear();
    templates_->setProjectPath({});
    sequences_->setProjectPath({});
    training_->setProjectPath({});
    results_->setProjectPath({});
    projection_->setProjectPath({});
    attention_->setProjectPath({});
    compare_->setProjectPath({});
    countsLabel_->clear();
    updateTitle();
}

void MainWindow::updateTitle() {
    const bool open = !path_.isEmpty();
    setWindowTitle(open ? tr("%1 — MLAD Workbench").arg(QFileInfo(path_).fileName())
                        : tr("MLAD Workbench"));
    pathLabel_->setText(open ? path_ : tr("No project: File ▸ New, Open or Open demo project"));
    for (auto* a : projectActions_) a->setEnabled(open);
}

void MainWindow::loadSystems() {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    struct Loaded {
        std::vector<SystemInfo> systems;
    };
    worker_->query(
        this, [](Project& p) { return Loaded{p.systems()}; },
        [this, gen](const Loaded& r) {
            if (gen != generation_) return;
            const int64_t keep = currentSystem_;
            QSignalBlocker block(systems_);
            systems_->clear();
            uint64_t lines = 0, templates = 0;
            QListWidgetItem* select = nullptr;
            for (const auto& s : r.systems) {
                lines += s.lines;
                templates += s.templates;
                auto* item = new QListWidgetItem(
                    tr("%1\n%2 lines · %3 templates")
                        .arg(qs(s.name), formatCount(s.lines), formatCount(s.templates)),
                    systems_);
                item->setData(Qt::UserRole, qlonglong(s.id));
                QString tip = tr("Format: %1").arg(qs(s.preset.format));
                if (s.labelledLines)
                    tip += tr("\n%1 of %2 labelled lines anomalous")
                               .arg(formatCount(s.anomalousLines), formatCount(s.labelledLines));
                item->setToolTip(tip);
                if (s.id == keep || !select) select = item;
            }
            countsLabel_->setText(tr("%1 systems · %2 lines · %3 templates")
                                      .arg(r.systems.size())
                                      .arg(formatCount(lines), formatCount(templates)));
            block.unblock();
            if (select) {
                systems_->setCurrentItem(select);
                currentSystem_ = select->data(Qt::UserRole).toLongLong();
                templates_->setSystem(currentSystem_);
            } else {
                currentSystem_ = 0;
                templates_->setSystem(0);
            }
            Q_EMIT systemsLoaded(int(r.systems.size()));
        });
}

void MainWindow::selectSystem(int64_t systemId) {
    for (int i = 0; i < systems_->count(); ++i)
        if (systems_->item(i)->data(Qt::UserRole).toLongLong() == systemId) {
            systems_->setCurrentRow(i);
            return;
        }
}

void MainWindow::refreshAll() {
    if (path_.isEmpty()) return;
    loadSystems();
    sequences_->refresh();
    training_->refresh();
    results_->refresh();
    attention_->refresh();
}

void MainWindow::showError(const QString& message) {
    banner_->showError(message);
}

ImportWizard* MainWindow::showImportWizard() {
    if (path_.isEmpty()) {
        showError(tr("Open or create a project first."));
        return nullptr;
    }
    if (!wizard_) {
        wizard_ = new ImportWizard(path_, this);
        wizard_->setWindowFlag(Qt::Window);
        connect(wizard_, &ImportWizard::importFinished, this, [this](bool ok, bool) {
            if (!ok) showError(tr("Import failed: %1").arg(wizard_->errorText()));
            loadSystems();
        });
    }
    wizard_->show();
    wizard_->raise();
    wizard_->activateWindow();
    return wizard_;
}

void MainWindow::openDemoProject(const QString& path, const demo::DemoOptions& options) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    bool ready = false;
    if (QFileInfo::exists(abs)) {
        try {
            auto p = Project::open(abs.toStdString());
            ready = p->system(kDemoHdfs).has_value() && p->system(kDemoRas).has_value();
        } catch (const std::exception& e) {
            showError(tr("Cannot open demo project %1: %2").arg(abs, qs(e.what())));
            return;
        }
    }
    if (ready) {
        if (openProject(abs)) Q_EMIT demoReady(abs);
        return;
    }
    if (task_->isRunning()) {
        showError(tr("Another task is running (%1).").arg(task_->title()));
        return;
    }
    closeProject();
    QDir().mkpath(QFileInfo(abs).absolutePath());
    const std::string projectPath = abs.toStdString();
    const std::string dataDir = QDir(QFileInfo(abs).absolutePath())
                                    .filePath(QStringLiteral("mlad-demo-data"))
                                    .toStdString();
    auto warnings = std::make_shared<QStringList>();
    startTask(tr("Demo project"));
    task_->start(
        tr("Demo project"),
        [projectPath, dataDir, options, warnings](TaskContext& ctx) {
            Progress p;
            p.stage = "generating demo logs";
            ctx.report(p, true);
            demo::DemoFiles files = demo::generateDemo(dataDir, options);
            auto project = Project::open(projectPath, "workbench demo set-up");
            setUpDemoProject(*project, files, &ctx);
        },
        [this, abs, warnings] {
            if (openProject(abs)) {
                if (!warnings->isEmpty()) showError(warnings->join(QLatin1Char('\n')));
                Q_EMIT demoReady(abs);
            }
        });
}

void MainWindow::startTask(const QString& title) {
    taskLabel_->setText(tr("%1…").arg(title));
    taskBar_->setRange(0, 0);
    taskLabel_->show();
    taskBar_->show();
    taskCancel_->show();
}

QStringList MainWindow::recentProjects() const {
    return QSettings().value(QStringLiteral("recentProjects")).toStringList();
}

void MainWindow::addRecent(const QString& path) {
    QStringList recent = recentProjects();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    QSettings().setValue(QStringLiteral("recentProjects"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    const QStringList recent = recentProjects();
    for (int i = 0; i < recent.size(); ++i) {
        const QString p = recent[i];
        auto* act = recentMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(p), this,
                                           [this, p] { openProject(p); });
        act->setEnabled(QFileInfo::exists(p));
    }
    recentMenu_->setEnabled(!recent.isEmpty());
}

QStringList MainWindow::saveScreenshots(const QString& dir) {
    QDir().mkpath(dir);
    QStringList written;
    const int current = tabs_->currentIndex();
    const QStringList names = {QStringLiteral("templates"), QStringLiteral("sequences"),
                               QStringLiteral("training"),  QStringLiteral("results"),
                               QStringLiteral("attention"), QStringLiteral("projection"),
                               QStringLiteral("compare")};
    for (int i = 0; i < tabs_->count() && i < names.size(); ++i) {
        tabs_->setCurrentIndex(i);
        const QString file = QDir(dir).filePath(QStringLiteral("%1.png").arg(names[i]));
        if (grab().save(file)) written << file;
        if (i == TemplatesTab) {
            // The template's occurrences over time and its parameter summary too.
            QTabWidget* details = templates_->detailTabs();
            const int shown = details->currentIndex();
            const QStringList extra = {QString(), QStringLiteral("parameters"),
                                       QStringLiteral("time")};
            for (int d = 1; d < details->count() && d < extra.size(); ++d) {
                details->setCurrentIndex(d);
                const QString f =
                    QDir(dir).filePath(QStringLiteral("templates-%1.png").arg(extra[d]));
                if (grab().save(f)) written << f;
            }
            details->setCurrentIndex(shown);
        }
        if (i == ResultsTab) {
            // The ROC and PR curves page of the results.
            QTabWidget* plots = results_->plotTabs();
            const int shown = plots->currentIndex();
            plots->setCurrentIndex(1);
            const QString f = QDir(dir).filePath(QStringLiteral("curves.png"));
            if (grab().save(f)) written << f;
            plots->setCurrentIndex(shown);
        }
    }
    if (compare_->explanationLabel()->isVisible() ||
        !compare_->explanationLabel()->text().isEmpty()) {
        // The comparison carrying the identical-shortcut lesson.
        tabs_->setCurrentWidget(compare_);
        const QString f = QDir(dir).filePath(QStringLiteral("shortcut-lesson.png"));
        if (grab().save(f)) written << f;
    }
    tabs_->setCurrentIndex(current);
    if (wizard_) {
        const QString file = QDir(dir).filePath(QStringLiteral("import-wizard.png"));
        if (wizard_->grab().save(file)) written << file;
    }
    return written;
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (training_->isTraining()) training_->cancelTraining();
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(e);
}

}  // namespace mlad::ui
