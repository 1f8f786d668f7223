#include "TrainingPanel.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>  // environ
#include <QCoreApplication>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <thread>

#include "ProjectWorker.h"
#include "TaskRunner.h"
#include "UiUtil.h"
#include "mlad/detect/Registry.h"
#include "mlad/seq/Splits.h"
#include "mlad/train/Distributed.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/util/FreePort.h"
#include "mlad/util/Json.h"

namespace mlad::ui {

namespace {

// The other ranks of a data-parallel training started from the workbench: `mlad train`
// processes with torchrun's variables (rank 0 trains in the workbench). Their stderr goes to a
// temporary file, so that a failure can be shown with the rank's own last words. The
// destructor stops (SIGTERM, then SIGKILL) and reaps every rank still running.
class HelperRanks {
  public:
    HelperRanks(const std::string& cli, const std::vector<std::string>& args,
                const DistSettings& d) {
        if (::access(cli.c_str(), X_OK) != 0)
            throw std::runtime_error("training on " + std::to_string(d.world) +
                                     " processes needs the mlad command line, not found at " + cli);
        const std::vector<std::pair<std::string, std::string>> vars = {
            {"MASTER_ADDR", d.masterAddr},
            {"MASTER_PORT", std::to_string(d.masterPort)},
            {"WORLD_SIZE", std::to_string(d.world)},
            {"LOCAL_WORLD_SIZE", std::to_string(d.world)},
            {"MLAD_DIST_TIMEOUT", std::to_string(d.timeoutSeconds)}};
        for (int r = 1; r < d.world; ++r) {
            std::vector<std::string> env;
            for (char** e = environ; *e != nullptr; ++e) {
                const std::string kv = *e;
                const std::string key = kv.substr(0, kv.find('='));
                bool ours = key == "RANK" || key == "LOCAL_RANK";
                for (const auto& v : vars) ours = ours || key == v.first;
                if (!ours) env.push_back(kv);
            }
            for (const auto& v : vars) env.push_back(v.first + "=" + v.second);
            env.push_back("RANK=" + std::to_string(r));
            env.push_back("LOCAL_RANK=" + std::to_string(r));
            if (std::getenv("OMP_NUM_THREADS") == nullptr) env.emplace_back("OMP_NUM_THREADS=1");
            char tmpl[] = "/tmp/mlad-rank-XXXXXX";
            const int fd = ::mkstemp(tmpl);
            if (fd < 0)
                throw std::runtime_error(std::string("cannot create a log file: ") +
                                         std::strerror(errno));
            logs_.push_back(tmpl);
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_adddup2(&fa, fd, 1);
            posix_spawn_file_actions_adddup2(&fa, fd, 2);
            std::vector<std::string> argvS = {cli};
            argvS.insert(argvS.end(), args.begin(), args.end());
            std::vector<char*> argv, envp;
            for (auto& a : argvS) argv.push_back(a.data());
            argv.push_back(nullptr);
            for (auto& e : env) envp.push_back(e.data());
            envp.push_back(nullptr);
            pid_t pid = -1;
            const int rc = posix_spawn(&pid, cli.c_str(), &fa, nullptr, argv.data(), envp.data());
            posix_spawn_file_actions_destroy(&fa);
            ::close(fd);
            if (rc != 0)
                throw std::runtime_error("cannot start rank " + std::to_string(r) + " (" + cli +
                                         "): " + std::strerror(rc));
            pids_.push_back(pid);
        }
    }
    ~HelperRanks() {
        stop();
        for (const auto& l : logs_) std::remove(l.c_str());
    }
    HelperRanks(const HelperRanks&) = delete;
    HelperRanks& operator=(const HelperRanks&) = delete;

    /// Waits up to `seconds` for every rank to end; "" when all ended well, else what the
    /// first that did not said.
    std::string wait(double seconds) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        std::string failure;
        for (size_t i = 0; i < pids_.size(); ++i) {
            int status = 0;
            while (pids_[i] > 0) {
                const pid_t got = ::waitpid(pids_[i], &status, WNOHANG);
                if (got == pids_[i]) {
                    pids_[i] = -1;
                    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                    if (!ok && failure.empty()) failure = describe(i, status);
                } else if (got < 0 || std::chrono::steady_clock::now() >= end) {
                    if (failure.empty()) failure = "rank " + std::to_string(i + 1) + " did not end";
                    break;
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                }
            }
        }
        return failure;
    }
    /// Without waiting: what the first rank that has ended said, "" while all still run (a
    /// rank that ends before the group has formed has failed, whatever its status).
    std::string ended() {
        for (size_t i = 0; i < pids_.size(); ++i) {
            int status = 0;
            if (pids_[i] > 0 && ::waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
                pids_[i] = -1;
                return describe(i, status);
            }
        }
        return {};
    }
    /// Stops the ranks still running; what the first failed one said ("" when none failed).
    std::string stop() {
        for (pid_t p : pids_)
            if (p > 0) ::kill(p, SIGTERM);
        std::string why = wait(10);
        for (pid_t& p : pids_)
            if (p > 0) {
                ::kill(p, SIGKILL);
                ::waitpid(p, nullptr, 0);
                p = -1;
            }
        return why;
    }

  private:
    std::string describe(size_t i, int status) const {
        std::string last;
        std::ifstream in(logs_[i]);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) last = line;
        std::string how = WIFEXITED(status)
                              ? "exited with status " + std::to_string(WEXITSTATUS(status))
                              : "was killed by signal " + std::to_string(WTERMSIG(status));
        return "rank " + std::to_string(i + 1) + " " + how + (last.empty() ? "" : ": " + last);
    }
    std::vector<pid_t> pids_;
    std::vector<std::string> logs_;
};
// A spin box for reals that shows them as people write them (0.001, 1e-06), not with a fixed
// number of decimals.
class RealBox : public QDoubleSpinBox {
  public:
    explicit RealBox(QWidget* parent) : QDoubleSpinBox(parent) { setDecimals(12); }
    QString textFromValue(double v) const override { return QString::number(v, 'g', 6); }
    double valueFromText(const QString& text) const override { return text.toDouble(); }
    QValidator::State validate(QString& text, int&) const override {
        bool ok = false;
        const double v = text.toDouble(&ok);
        if (ok)
            return v >= minimum() && v <= maximum() ? QValidator::Acceptable
                                                    : QValidator::Intermediate;
        return QValidator::Intermediate;
    }
};

// The group boxes of the generated form, in order, with their titles.
const std::vector<std::pair<std::string, const char*>> kGroups = {
    {"model", QT_TRANSLATE_NOOP("TrainingPanel", "Model")},
    {"optimisation", QT_TRANSLATE_NOOP("TrainingPanel", "Optimisation")},
    {"data", QT_TRANSLATE_NOOP("TrainingPanel", "Data")},
    {"threshold", QT_TRANSLATE_NOOP("TrainingPanel", "Threshold")},
};

// One editor for a parameter, from its spec.
QWidget* makeEditor(const ParamSpec& p, QWidget* parent) {
    const QString tip = qs(p.help) + QStringLiteral(" (") + qs(p.rangeText()) +
                        QStringLiteral("; --") + qs(p.option()) + QLatin1Char(')');
    QWidget* w = nullptr;
    switch (p.type) {
        case ParamSpec::Type::Integer: {
            auto* b = new QSpinBox(parent);
            b->setRange(int(std::max(p.lo, double(std::numeric_limits<int>::min()))),
                        int(std::min(p.hi, double(std::numeric_limits<int>::max()))));
            b->setAccelerated(true);
            w = b;
            break;
        }
        case ParamSpec::Type::Real: {
            auto* b = new RealBox(parent);
            b->setRange(p.lo, p.hi);
            const double d = std::abs(p.def.get<double>());
            b->setSingleStep(d > 0 ? std::pow(10.0, std::floor(std::log10(d))) / 2 : 0.01);
            w = b;
            break;
        }
        case ParamSpec::Type::Text: {
            auto* c = new QComboBox(parent);
            if (p.choices.empty()) {
                c->setEditable(true);
                c->addItem(qs(p.def.get<std::string>()));
            } else {
                for (const auto& choice : p.choiceList()) c->addItem(qs(choice));
            }
            w = c;
            break;
        }
        case ParamSpec::Type::Flag:
            w = new QCheckBox(parent);
            break;
    }
    w->setObjectName(QStringLiteral("param_") + qs(p.key));
    w->setToolTip(tip);
    return w;
}

Json editorValue(const ParamSpec& p, const QWidget* w) {
    switch (p.type) {
        case ParamSpec::Type::Integer:
            return Json(int64_t(static_cast<const QSpinBox*>(w)->value()));
        case ParamSpec::Type::Real:
            return Json(static_cast<const QDoubleSpinBox*>(w)->value());
        case ParamSpec::Type::Text:
            return Json(static_cast<const QComboBox*>(w)->currentText().trimmed().toStdString());
        case ParamSpec::Type::Flag:
            return Json(static_cast<const QCheckBox*>(w)->isChecked());
    }
    return {};
}

void setEditorValue(const ParamSpec& p, QWidget* w, const Json& v) {
    switch (p.type) {
        case ParamSpec::Type::Integer:
            if (v.is_number())
                static_cast<QSpinBox*>(w)->setValue(
                    int(std::clamp<double>(v.get<double>(), std::numeric_limits<int>::min(),
                                           std::numeric_limits<int>::max())));
            break;
        case ParamSpec::Type::Real:
            if (v.is_number()) static_cast<QDoubleSpinBox*>(w)->setValue(v.get<double>());
            break;
        case ParamSpec::Type::Text:
            if (v.is_string()) static_cast<QComboBox*>(w)->setCurrentText(qs(v.get<std::string>()));
            break;
        case ParamSpec::Type::Flag:
            if (v.is_boolean()) static_cast<QCheckBox*>(w)->setChecked(v.get<bool>());
            break;
    }
}

// A stored manifest or metrics document as indented "key: value" lines, numbers to 4
// significant digits (the stored JSON keeps full precision; `mlad runs --json` prints it).
void describeJson(const Json& j, const QString& indent, QStringList& out) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const QString key = indent + qs(it.key()) + QStringLiteral(": ");
        if (it->is_object()) {
            out << indent + qs(it.key()) + QLatin1Char(':');
            describeJson(*it, indent + QStringLiteral("  "), out);
        } else if (it->is_number_float()) {
            out << key + QString::number(it->get<double>(), 'g', 4);
        } else if (it->is_string()) {
            out << key + qs(it->get<std::string>());
        } else {
            out << key + qs(dumpJson(*it));
        }
    }
}

QString prettyJson(const std::string& text) {
    if (text.empty()) return QStringLiteral("(none)");
    const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return qs(text);
    QStringList out;
    describeJson(j, QStringLiteral("  "), out);
    return out.join(QLatin1Char('\n'));
}

// QSettings key of the remembered training settings (the manifest JSON of TrainConfig.h).
constexpr const char* kSettingsKey = "training/config";

struct SplitChoice {
    QString name, info;
};
}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent)
    : QWidget(parent), runner_(std::make_unique<TaskRunner>()) {
    // ---- Left: settings.
    auto* settings = new QWidget(this);
    auto* settingsLayout = new QVBoxLayout(settings);
    settingsLayout->setContentsMargins(0, 0, 4, 0);

    auto* runBox = new QGroupBox(tr("Run"), settings);
    auto* runForm = new QFormLayout(runBox);
    splitCombo_ = new QComboBox(runBox);
    splitCombo_->setObjectName(QStringLiteral("trainSplitCombo"));
    splitCombo_->setToolTip(tr("Split to train on (Sequences tab ▸ New sequences & split)"));
    splitInfo_ = new QLabel(runBox);
    splitInfo_->setWordWrap(true);
    splitInfo_->setStyleSheet(QStringLiteral("color: palette(mid);"));
    model_ = new QComboBox(runBox);
    model_->setObjectName(QStringLiteral("modelCombo"));
    for (const DetectorInfo* d : detectorInfos()) {
        model_->addItem(qs(d->displayName), qs(d->id));
        model_->setItemData(model_->count() - 1, qs(d->description), Qt::ToolTipRole);
    }
    model_->setToolTip(tr("The detector; its parameters are listed below"));
    modelInfo_ = new QLabel(runBox);
    modelInfo_->setWordWrap(true);
    modelInfo_->setStyleSheet(QStringLiteral("color: palette(mid);"));
    runName_ = new QLineEdit(runBox);
    runName_->setObjectName(QStringLiteral("runName"));
    runName_->setToolTip(
        tr("A new name starts a run; the name of a cancelled or failed run "
           "resumes it from its last checkpoint"));
    runForm->addRow(tr("Split:"), splitCombo_);
    runForm->addRow(QString(), splitInfo_);
    runForm->addRow(tr("Model:"), model_);
    runForm->addRow(QString(), modelInfo_);
    runForm->addRow(tr("Run name:"), runName_);
    processes_ = new QSpinBox(runBox);
    processes_->setObjectName(QStringLiteral("processesBox"));
    processes_->setRange(1, std::max(1, QThread::idealThreadCount()));
    processes_->setValue(1);
    processes_->setToolTip(
        tr("Train as this many data-parallel processes, one thread each (like mlad launch): "
           "the batch size is per process, so 2 processes with batch 256 take steps of 512"));
    runForm->addRow(tr("Processes:"), processes_);
    // Only where it can help: a build with c10d and a machine with more than one core.
    const bool parallel = distributedAvailable() && QThread::idealThreadCount() > 1;
    processes_->setVisible(parallel);
    runForm->labelForField(processes_)->setVisible(parallel);
    cliPath_ = QCoreApplication::applicationDirPath() + QStringLiteral("/mlad");
    settingsLayout->addWidget(runBox);
    for (const auto& [group, title] : kGroups) {
        auto* box = new QGroupBox(tr(title), settings);
        box->setObjectName(QStringLiteral("paramGroup_") + qs(group));
        groupForms_[group] = new QFormLayout(box);
        settingsLayout->addWidget(box);
    }

    trainButton_ = new QPushButton(tr("Train"), settings);
    trainButton_->setObjectName(QStringLiteral("trainButton"));
    trainButton_->setToolTip(tr("Start training (Ctrl+T)"));
    cancelButton_ = new QPushButton(tr("Cancel"), settings);
    cancelButton_->setEnabled(false);
    auto* resetButton = new QPushButton(tr("Defaults"), settings);
    resetButton->setToolTip(tr("Reset the hyperparameters to their defaults"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(trainButton_);
    buttons->addWidget(cancelButton_);
    buttons->addStretch(1);
    buttons->addWidget(resetButton);

    settingsLayout->addStretch(1);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(settings);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(settings->sizeHint().width() + 24);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(scroll, 1);
    leftLayout->addLayout(buttons);

    // ---- Right: progress, loss curves, runs.
    epochBar_ = new QProgressBar(this);
    epochBar_->setFormat(tr("epoch %v / %m"));
    epochBar_->setRange(0, 1);
    epochBar_->setValue(0);
    batchBar_ = new QProgressBar(this);
    batchBar_->setFormat(tr("batch %v / %m"));
    batchBar_->setRange(0, 1);
    batchBar_->setValue(0);
    status_ = new QLabel(tr("Idle"), this);
    status_->setWordWrap(true);
    auto* bars = new QHBoxLayout;
    bars->addWidget(epochBar_, 1);
    bars->addWidget(batchBar_, 1);

    auto* chart = new QChart;
    chart->setTitle(tr("Loss per epoch"));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    xAxis_ = new QValueAxis;
    xAxis_->setTitleText(tr("epoch"));
    xAxis_->setLabelFormat(QStringLiteral("%d"));
    yAxis_ = new QValueAxis;
    yAxis_->setTitleText(tr("loss"));
    chart->addAxis(xAxis_, Qt::AlignBottom);
    chart->addAxis(yAxis_, Qt::AlignLeft);
    chartView_ = new QChartView(chart, this);
    chartView_->setObjectName(QStringLiteral("lossChart"));
    chartView_->setToolTip(tr("Click a legend entry to hide or show its curve"));
    chartView_->setRenderHint(QPainter::Antialiasing);
    chartView_->setMinimumHeight(260);
    resetChart();

    runs_ = new QTableWidget(this);
    runs_->setObjectName(QStringLiteral("runsTable"));
    runs_->setColumnCount(7);
    runs_->setHorizontalHeaderLabels({tr("Run"), tr("Status"), tr("Model"), tr("Split"),
                                      tr("Device"), tr("Train time"), tr("Created")});
    runs_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runs_->setSelectionMode(QAbstractItemView::SingleSelection);
    runs_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    runs_->verticalHeader()->hide();
    runs_->verticalHeader()->setDefaultSectionSize(runs_->fontMetrics().height() + 6);
    runs_->horizontalHeader()->setStretchLastSection(true);
    manifest_ = new QPlainTextEdit(this);
    manifest_->setObjectName(QStringLiteral("runManifest"));
    manifest_->setReadOnly(true);
    manifest_->setPlaceholderText(tr("Select a run to see its manifest."));
    manifest_->setLineWrapMode(QPlainTextEdit::NoWrap);
    reuseButton_ = new QPushButton(tr("Resume / reuse settings"), this);
    reuseButton_->setEnabled(false);
    reuseButton_->setToolTip(
        tr("Loads the selected run's hyperparameters and split; for a "
           "cancelled or failed run also its name, so that Train resumes "
           "it from its last checkpoint"));
    auto* runsPane = new QWidget(this);
    auto* runsLayout = new QVBoxLayout(runsPane);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    runsLayout->addWidget(runs_, 1);
    runsLayout->addWidget(reuseButton_, 0, Qt::AlignLeft);
    auto* runsSplit = new QSplitter(Qt::Horizontal, this);
    runsSplit->addWidget(runsPane);
    runsSplit->addWidget(manifest_);
    runsSplit->setStretchFactor(0, 1);
    runsSplit->setStretchFactor(1, 1);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(bars);
    topLayout->addWidget(status_);
    topLayout->addWidget(chartView_, 1);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(top);
    right->addWidget(runsSplit);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    auto* layout = new QHBoxLayout(this);
    layout->addWidget(left, 0);
    layout->addWidget(right, 1);

    connect(trainButton_, &QPushButton::clicked, this, &TrainingPanel::startTraining);
    connect(cancelButton_, &QPushButton::clicked, this, &TrainingPanel::cancelTraining);
    connect(resetButton, &QPushButton::clicked, this,
            [this] { setConfig(TrainConfig::defaults(formModel_)); });
    connect(model_, &QComboBox::currentIndexChanged, this,
            [this] { buildForm(model_->currentData().toString().toStdString()); });
    connect(splitCombo_, &QComboBox::currentIndexChanged, this,
            [this] { splitInfo_->setText(splitCombo_->currentData(Qt::ToolTipRole).toString()); });
    connect(runs_, &QTableWidget::currentCellChanged, this, [this](int row) { showRun(row); });
    connect(reuseButton_, &QPushButton::clicked, this, [this] { reuseRun(runs_->currentRow()); });
    connect(runner_.get(), &TaskRunner::finished, this, [this] {
        setRunning(false);
        refresh();
        Q_EMIT projectDataChanged();
    });
    setConfig(loadSavedConfig());
    setRunning(false);
}

TrainConfig TrainingPanel::loadSavedConfig() {
    // The last hyperparameters used are remembered between sessions (QSettings) as the run
    // manifest JSON, so the keys are spelled as everywhere else (snake_case).
    const QString text = QSettings().value(QLatin1String(kSettingsKey)).toString();
    if (text.isEmpty()) return TrainConfig::defaults();
    try {
        return trainConfigFromJson(text.toStdString());
    } catch (const std::exception&) {
        // Written by a newer version, for a detector this build lacks, or damaged.
        return TrainConfig::defaults();
    }
}

void TrainingPanel::saveConfig(const TrainConfig& c) {
    QSettings().setValue(QLatin1String(kSettingsKey), qs(dumpJson(trainConfigToJson(c))));
}

TrainingPanel::~TrainingPanel() {
    runner_->cancelAndWait();
    worker_.reset();
}

QWidget* TrainingPanel::paramEditor(const QString& key) const {
    auto it = editors_.find(key.toStdString());
    return it == editors_.end() ? nullptr : it->second;
}

void TrainingPanel::buildForm(const std::string& model) {
    if (model == formModel_ && !editors_.empty()) return;
    const DetectorInfo* info = findDetector(model);
    if (!info) return;
    // A new model starts from its own defaults (mlad-paper's are the paper's settings); only
    // the choices about this machine carry over.
    Json keep = Json::object();
    if (!formModel_.empty())
        if (const DetectorInfo* old = findDetector(formModel_))
            for (const auto& p : old->params)
                if (auto it = editors_.find(p.key);
                    it != editors_.end() &&
                    (p.key == "device" || p.key == "threads" || p.key == "amp"))
                    keep[p.key] = editorValue(p, it->second);
    for (auto& [group, form] : groupForms_)
        while (form->rowCount() > 0) form->removeRow(0);
    editors_.clear();
    formModel_ = model;
    for (const auto& p : info->params) {
        auto gi = groupForms_.find(p.group);
        QFormLayout* form = gi != groupForms_.end() ? gi->second : groupForms_.at("model");
        QWidget* w = makeEditor(p, form->parentWidget());
        setEditorValue(p, w, keep.contains(p.key) ? keep[p.key] : p.def);
        if (auto* combo = qobject_cast<QComboBox*>(w); combo && p.key == "device") {
            const int cuda = combo->findText(QStringLiteral("cuda"));
            auto* items = qobject_cast<QStandardItemModel*>(combo->model());
            if (cuda >= 0 && items) items->item(cuda)->setEnabled(cudaAvailable_);
        }
        form->addRow(qs(p.key) + QLatin1Char(':'), w);
        editors_[p.key] = w;
    }
    for (auto& [group, form] : groupForms_) form->parentWidget()->setVisible(form->rowCount() > 0);
    modelInfo_->setText(qs(info->description));
    // The scroll area is as wide as the widest generated row.
    if (auto* area = findChild<QScrollArea*>(); area && area->widget())
        area->setMinimumWidth(area->widget()->sizeHint().width() + 24);
    const int idx = model_->findData(qs(model));
    if (idx >= 0 && idx != model_->currentIndex()) {
        QSignalBlocker b(model_);
        model_->setCurrentIndex(idx);
    }
}

TrainConfig TrainingPanel::config() const {
    TrainConfig c = TrainConfig::defaults(formModel_);
    for (const auto& p : detectorInfo(formModel_).params)
        if (auto it = editors_.find(p.key); it != editors_.end())
            c.params[p.key] = editorValue(p, it->second);
    return c;
}

void TrainingPanel::setConfig(const TrainConfig& c) {
    if (!findDetector(c.model)) return;
    buildForm(c.model);
    for (const auto& p : detectorInfo(c.model).params)
        if (auto it = editors_.find(p.key); it != editors_.end() && c.params.contains(p.key))
            setEditorValue(p, it->second, c.params.at(p.key));
}

void TrainingPanel::setProjectPath(const QString& path) {
    runner_->cancelAndWait();
    worker_.reset();
    path_ = path;
    ++generation_;
    runInfos_.clear();
    runs_->setRowCount(0);
    manifest_->clear();
    {
        QSignalBlocker b(splitCombo_);
        splitCombo_->clear();
    }
    splitInfo_->clear();
    resetChart();
    status_->setText(path.isEmpty() ? tr("No project") : tr("Idle"));
    setRunning(false);
    if (path.isEmpty()) return;
    worker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &TrainingPanel::errorOccurred);
    // CUDA detection initialises the driver (can take seconds): on the worker thread, once.
    worker_->query(
        this, [](Project&) { return cudaAvailable(); },
        [this](bool cuda) {
            cudaAvailable_ = cuda;
            if (auto* combo = qobject_cast<QComboBox*>(paramEditor(QStringLiteral("device")))) {
                const int i = combo->findText(QStringLiteral("cuda"));
                auto* items = qobject_cast<QStandardItemModel*>(combo->model());
                if (i >= 0 && items) items->item(i)->setEnabled(cuda);
            }
        });
    refresh();
}

void TrainingPanel::refresh() {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    struct Loaded {
        std::vector<SplitChoice> splits;
        std::vector<RunInfo> runs;
    };
    worker_->query(
        this,
        [](Project& p) {
            Loaded out;
            for (const auto& s : listSplits(p))
                out.splits.push_back(
                    {qs(s.name), tr("%1 · train %2 · val %3 · test %4 (%5 anomalous)")
                                     .arg(qs(s.protocol))
                                     .arg(s.train.total)
                                     .arg(s.val.total)
                                     .arg(s.test.total)
                                     .arg(s.test.anomalous)});
            out.runs = listRuns(p);
            return out;
        },
        [this, gen](Loaded& r) {
            if (gen != generation_) return;
            const QString keep = splitCombo_->currentText();
            {
                QSignalBlocker b(splitCombo_);
                splitCombo_->clear();
                for (const auto& s : r.splits) {
                    splitCombo_->addItem(s.name);
                    splitCombo_->setItemData(splitCombo_->count() - 1, s.info, Qt::ToolTipRole);
                }
                const int idx = splitCombo_->findText(keep);
                if (idx >= 0) splitCombo_->setCurrentIndex(idx);
            }
            splitInfo_->setText(r.splits.empty()
                                    ? tr("No splits: build one in the Sequences tab.")
                                    : splitCombo_->currentData(Qt::ToolTipRole).toString());
            const QString selected = runs_->currentRow() >= 0 && runs_->item(runs_->currentRow(), 0)
                                         ? runs_->item(runs_->currentRow(), 0)->text()
                                         : QString();
            runInfos_ = std::move(r.runs);
            QSignalBlocker b(runs_);
            runs_->setRowCount(int(runInfos_.size()));
            int selectRow = -1;
            for (int i = 0; i < int(runInfos_.size()); ++i) {
                const RunInfo& run = runInfos_[size_t(i)];
                const QStringList cells = {qs(run.name),     qs(run.status),
                                           qs(run.model),    qs(run.splitName),
                                           qs(run.device),   formatDuration(run.trainSeconds),
                                           qs(run.createdAt)};
                for (int c = 0; c < cells.size(); ++c) {
                    auto* item = new QTableWidgetItem(cells[c]);
                    if (c == 1 && run.status != "done")
                        item->setForeground(QColor(0xb5, 0x6a, 0x00));
                    runs_->setItem(i, c, item);
                }
                if (qs(run.name) == selected) selectRow = i;
            }
            runs_->resizeColumnsToContents();
            b.unblock();
            if (selectRow >= 0) runs_->selectRow(selectRow);
            if (runName_->text().isEmpty() || !isTraining()) {
                // Suggest a fresh name unless the user typed one that is not taken yet.
                bool taken = false;
                for (const auto& run : runInfos_)
                    if (qs(run.name) == runName_->text()) taken = run.status == "done";
                if (runName_->text().isEmpty() || taken)
                    runName_->setText(QStringLiteral("run-%1").arg(
                        QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
            }
            Q_EMIT splitsLoaded(int(r.splits.size()));
            Q_EMIT runsLoaded(int(runInfos_.size()));
        });
}

void TrainingPanel::reuseRun(int row) {
    if (row < 0 || size_t(row) >= runInfos_.size() || isTraining()) return;
    const RunInfo& r = runInfos_[size_t(row)];
    try {
        setConfig(trainConfigFromJson(r.configJson));
    } catch (const std::exception& e) {
        Q_EMIT errorOccurred(
            tr("The settings of %1 cannot be read: %2").arg(qs(r.name), qs(e.what())));
        return;
    }
    const int split = splitCombo_->findText(qs(r.splitName));
    if (split >= 0) splitCombo_->setCurrentIndex(split);
    if (r.status != "done") {
        runName_->setText(qs(r.name));
        status_->setText(tr("Train to resume %1 from its last checkpoint.").arg(qs(r.name)));
    } else {
        runName_->setText(QStringLiteral("%1-again").arg(qs(r.name)));
        status_->setText(tr("Settings of %1 loaded.").arg(qs(r.name)));
    }
}

void TrainingPanel::showRun(int row) {
    reuseButton_->setEnabled(row >= 0 && size_t(row) < runInfos_.size());
    if (row >= 0 && size_t(row) < runInfos_.size())
        reuseButton_->setText(runInfos_[size_t(row)].status == "done" ? tr("Reuse settings")
                                                                      : tr("Resume this run"));
    if (row < 0 || size_t(row) >= runInfos_.size()) {
        manifest_->clear();
        return;
    }
    const RunInfo& r = runInfos_[size_t(row)];
    QStringList lines;
    lines << tr("Run %1 (#%2): %3").arg(qs(r.name)).arg(r.id).arg(qs(r.status));
    if (!r.message.empty()) lines << tr("Message: %1").arg(qs(r.message));
    lines << tr("Model %1 on split %2, device %3, seed %4")
                 .arg(qs(r.model), qs(r.splitName), qs(r.device))
                 .arg(r.seed);
    lines << tr("Embedder: %1").arg(qs(r.embedder));
    lines << tr("Created %1, finished %2, train time %3")
                 .arg(qs(r.createdAt), qs(r.finishedAt), formatDuration(r.trainSeconds));
    lines << tr("Code version: %1").arg(qs(r.codeVersion));
    lines << tr("Model file: %1").arg(qs(r.modelPath));
    lines << QString() << tr("Metrics:") << prettyJson(r.metricsJson);
    lines << QString() << tr("Config:") << prettyJson(r.configJson);
    manifest_->setPlainText(lines.join(QLatin1Char('\n')));
    if (isTraining() || !worker_) return;
    // Show the run's recorded loss curves.
    const int64_t runId = r.id;
    const quint64 gen = generation_;
    worker_->query(
        this, [runId](Project& p) { return runEpochs(p, runId); },
        [this, gen](const std::vector<EpochRecord>& epochs) {
            if (gen != generation_ || isTraining()) return;
            resetChart();
            for (const auto& e : epochs) {
                EpochStats s;
                static_cast<EpochRecord&>(s) = e;
                s.epochs = int(epochs.size());
                addEpochPoint(s);
            }
        });
}

void TrainingPanel::resetChart() {
    auto* chart = chartView_->chart();
    for (auto& [key, series] : series_) {
        chart->removeSeries(series);
        delete series;
    }
    series_.clear();
    xAxis_->setRange(1, 2);
    xAxis_->setTickCount(2);
    yAxis_->setRange(0, 1);
}

// One curve per epoch metric the detector reports ("train_loss", "train_mse", "val_loss"...),
// created when first seen. Clicking a legend entry hides / shows its curve; terms differ in
// scale (MLAD's raw covariance penalty dwarfs the rest), so a penalty starts hidden.
QLineSeries* TrainingPanel::seriesFor(const std::string& key) {
    if (auto it = series_.find(key); it != series_.end()) return it->second;
    static const QColor palette[] = {QColor(0x1f, 0x4e, 0x79), QColor(0x5b, 0x9b, 0xd5),
                                     QColor(0xed, 0x7d, 0x31), QColor(0x70, 0xad, 0x47),
                                     QColor(0x7b, 0x3f, 0x9e), QColor(0x8c, 0x8c, 0x8c)};
    auto* chart = chartView_->chart();
    auto* s = new QLineSeries;
    QString name = qs(key);
    name.replace(QLatin1Char('_'), QLatin1Char(' '));
    if (key == "train_loss") name = tr("train total");
    if (key == "val_loss") name = tr("validation total");
    s->setName(name);
    chart->addSeries(s);
    s->attachAxis(xAxis_);
    s->attachAxis(yAxis_);
    const bool main = key == "train_loss" || key == "val_loss";
    QPen pen(key == "val_loss" ? QColor(0xc0, 0x39, 0x2b)
                               : palette[series_.size() % (sizeof palette / sizeof palette[0])]);
    pen.setWidthF(main ? 2.5 : 1.5);
    if (key == "val_loss") pen.setStyle(Qt::DashLine);
    s->setPen(pen);
    s->setPointsVisible(true);
    series_[key] = s;
    for (auto* marker : chart->legend()->markers(s)) {
        auto apply = [this, marker] {
            marker->setVisible(true);
            QFont f = marker->font();
            f.setStrikeOut(!marker->series()->isVisible());
            marker->setFont(f);
            marker->setLabelBrush(marker->series()->isVisible() ? QBrush(Qt::black)
                                                                : QBrush(Qt::gray));
            rescaleChart();
        };
        connect(marker, &QLegendMarker::clicked, this, [marker, apply] {
            marker->series()->setVisible(!marker->series()->isVisible());
            apply();
        });
        if (key == "train_cov") {
            s->setVisible(false);
            apply();
        }
    }
    return s;
}

void TrainingPanel::addEpochPoint(const EpochStats& e) {
    const double x = e.epoch;
    for (const auto& [key, v] : e.values)
        if (key != "seconds" && std::isfinite(v)) seriesFor(key)->append(x, v);
    const int last = std::max(2, std::max(e.epochs, e.epoch));
    xAxis_->setRange(1, last);
    xAxis_->setTickCount(std::min(last, 11));
    rescaleChart();
}

void TrainingPanel::rescaleChart() {
    // The y range covers the visible curves only.
    double lo = 0, hi = 0;
    bool any = false;
    for (const auto& [key, s] : series_) {
        if (!s->isVisible()) continue;
        for (const QPointF& p : s->points()) {
            lo = any ? std::min(lo, p.y()) : p.y();
            hi = any ? std::max(hi, p.y()) : p.y();
            any = true;
        }
    }
    if (!any) {
        yAxis_->setRange(0, 1);
        return;
    }
    lo = std::min(lo, 0.0);
    const double pad = std::max(1e-9, (hi - lo) * 0.05);
    yAxis_->setRange(lo < 0 ? lo - pad : 0.0, hi + pad);
}

bool TrainingPanel::startTraining() {
    return startRun(splitCombo_->currentText(), runName_->text().trimmed(), config(), true);
}

bool TrainingPanel::startRun(const QString& split, const QString& name, const TrainConfig& cfg,
                             bool remember) {
    if (path_.isEmpty()) {
        Q_EMIT errorOccurred(tr("Open a project first."));
        return false;
    }
    if (runner_->isRunning()) return false;
    if (split.isEmpty()) {
        Q_EMIT errorOccurred(tr("No split to train on: build one in the Sequences tab."));
        return false;
    }
    if (name.isEmpty()) {
        Q_EMIT errorOccurred(tr("Enter a run name."));
        return false;
    }
    try {
        validateTrainConfig(cfg);
    } catch (const std::invalid_argument& e) {
        Q_EMIT errorOccurred(tr("Cannot train: %1").arg(qs(e.what())));
        return false;
    }
    const int plannedEpochs = cfg.has("epochs") ? int(cfg.integer("epochs")) : 1;
    if (remember) saveConfig(cfg);
    resetChart();
    epochsSeen_ = 0;
    epochsPlanned_ = plannedEpochs;
    batchFraction_ = 0;
    lastError_.clear();
    runningName_ = name;
    epochBar_->setRange(0, plannedEpochs);
    epochBar_->setValue(0);
    batchBar_->setRange(0, 1);
    batchBar_->setValue(0);
    status_->setText(tr("Preparing %1 (embedding templates, loading sequences)…").arg(name));
    setRunning(true);

    const std::string projectPath = path_.toStdString(), splitName = split.toStdString(),
                      runName = name.toStdString();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    // The callbacks run on the training thread: post copies to the GUI thread. Batch updates
    // are throttled so that tiny models do not flood the event queue.
    auto lastBatchPost = std::make_shared<std::chrono::steady_clock::time_point>();
    TrainCallbacks callbacks;
    callbacks.onEpoch = [this](const EpochStats& e) {
        QMetaObject::invokeMethod(
            this,
            [this, e] {
                epochsSeen_ = e.epoch;
                epochBar_->setRange(0, e.epochs);
                epochBar_->setValue(e.epoch);
                addEpochPoint(e);
                QStringList terms;
                for (const auto& [key, v] : e.values)
                    if (key.rfind("train_", 0) == 0 && key != "train_loss")
                        terms << QStringLiteral("%1 %2").arg(qs(key.substr(6))).arg(v, 0, 'g', 4);
                status_->setText(tr("Epoch %1/%2: train %3%4, validation %5%6 · %7 s")
                                     .arg(e.epoch)
                                     .arg(e.epochs)
                                     .arg(e.trainLoss(), 0, 'g', 5)
                                     .arg(terms.isEmpty() ? QString()
                                                          : QStringLiteral(" (") +
                                                                terms.join(QStringLiteral(", ")) +
                                                                QLatin1Char(')'))
                                     .arg(e.valLoss(), 0, 'g', 5)
                                     .arg(e.improved ? tr(" (best so far)") : QString())
                                     .arg(e.seconds(), 0, 'f', 1));
                Q_EMIT epochFinished(e.epoch);
            },
            Qt::QueuedConnection);
    };
    callbacks.onBatch = [this, lastBatchPost](const BatchStats& b) {
        auto now = std::chrono::steady_clock::now();
        if (b.batch != b.batches && now - *lastBatchPost < std::chrono::milliseconds(50)) return;
        *lastBatchPost = now;
        QMetaObject::invokeMethod(
            this,
            [this, b] {
                batchBar_->setRange(0, std::max(1, b.batches));
                batchBar_->setValue(b.batch);
                epochBar_->setValue(b.epoch - 1);
                batchFraction_ = b.batches > 0 ? double(b.batch) / b.batches : 0;
                epochsSeen_ = std::max(epochsSeen_, b.epoch - 1);
                updateEta();
            },
            Qt::QueuedConnection);
    };
    etaClock_ = clock;
    Q_EMIT trainingStarted(name);
    const int processes = processes_->isVisibleTo(this) ? processes_->value() : 1;
    const std::string cli = cliPath_.toStdString();
    runner_->start(
        tr("Training"),
        [projectPath, splitName, runName, cfg, callbacks, processes, cli](TaskContext& ctx) {
            auto project = Project::open(projectPath, "workbench training");
            if (processes <= 1) {
                trainRun(*project, splitName, runName, cfg, &ctx, callbacks);
                return;
            }
            // Data-parallel: this thread is rank 0, `mlad train` processes the others.
            DistSettings d;
            d.world = processes;
            d.masterPort = freeLoopbackPort();
            d.timeoutSeconds = 120;
            std::vector<std::string> args = {"train",   "--project", projectPath, "--split",
                                             splitName, "--run",     runName};
            for (auto& o : trainOptions(cfg)) args.push_back(std::move(o));
            HelperRanks helpers(cli, args, d);
            // While the ranks gather: a cancel, or a helper that has already ended, stops the
            // wait at once instead of after the timeout.
            d.giveUp = [&ctx, &helpers] {
                ctx.checkCancelled();
                return helpers.ended();
            };
            try {
                trainRun(*project, splitName, runName, cfg, &ctx, callbacks, &d);
            } catch (const Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                const std::string why = helpers.stop();
                throw std::runtime_error(std::string(e.what()) + (why.empty() ? "" : "; " + why));
            }
            const std::string failed = helpers.wait(60);
            if (!failed.empty()) throw std::runtime_error(failed);
        },
        [this, name] {
            status_->setText(tr("Run %1 finished after %2 epochs in %3.")
                                 .arg(name)
                                 .arg(epochsSeen_)
                                 .arg(formatDuration(etaClock_->elapsed() / 1000.0)));
        });
    disconnect(runner_.get(), &TaskRunner::succeeded, this, nullptr);
    connect(runner_.get(), &TaskRunner::succeeded, this,
            [this] { Q_EMIT trainingFinished(runningName_, QStringLiteral("finished")); });
    disconnect(runner_.get(), &TaskRunner::cancelled, this, nullptr);
    connect(runner_.get(), &TaskRunner::cancelled, this, [this] {
        status_->setText(tr("Cancelled after %1 epochs; train again with the same run name "
                            "to resume from its checkpoint.")
                             .arg(epochsSeen_));
        Q_EMIT trainingFinished(runningName_, QStringLiteral("cancelled"));
    });
    disconnect(runner_.get(), &TaskRunner::failed, this, nullptr);
    connect(runner_.get(), &TaskRunner::failed, this, [this](const QString& m) {
        lastError_ = m;
        status_->setText(tr("Training failed: %1").arg(m));
        Q_EMIT errorOccurred(tr("Training %1 failed: %2").arg(runningName_, m));
        Q_EMIT trainingFinished(runningName_, QStringLiteral("failed"));
    });
    return true;
}

void TrainingPanel::updateEta() {
    if (!etaClock_ || epochsPlanned_ <= 0) return;
    const double f = (double(epochsSeen_) + batchFraction_) / double(epochsPlanned_);
    const double elapsed = etaClock_->elapsed() / 1000.0;
    QString text = tr("Epoch %1/%2 · batch %3/%4 · elapsed %5")
                       .arg(epochsSeen_ + 1)
                       .arg(epochsPlanned_)
                       .arg(batchBar_->value())
                       .arg(batchBar_->maximum())
                       .arg(formatDuration(elapsed));
    if (f > 0.0 && f < 1.0)
        text += tr(" · ETA %1 (at most; early stopping may end sooner)")
                    .arg(formatDuration(elapsed * (1.0 - f) / f));
    status_->setText(text);
}

void TrainingPanel::cancelTraining() {
    if (!runner_->isRunning()) return;
    status_->setText(tr("Cancelling after the current batch…"));
    runner_->cancel();
}

bool TrainingPanel::isTraining() const {
    return runner_->isRunning();
}

void TrainingPanel::setRunning(bool running) {
    trainButton_->setEnabled(!running && !path_.isEmpty());
    cancelButton_->setEnabled(running);
    splitCombo_->setEnabled(!running);
    runName_->setReadOnly(running);
}

}  // namespace mlad::ui
