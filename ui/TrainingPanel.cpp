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

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ProjectWorker.h"
#include "TaskRunner.h"
#include "UiUtil.h"
#include "mlad/seq/Splits.h"
#include "mlad/train/TrainConfig.h"
#include "mlad/util/Json.h"

namespace mlad::ui {

namespace {
QSpinBox* intBox(QWidget* parent, int lo, int hi, const QString& tip) {
    auto* b = new QSpinBox(parent);
    b->setRange(lo, hi);
    b->setToolTip(tip);
    b->setAccelerated(true);
    return b;
}

QDoubleSpinBox* realBox(QWidget* parent, double lo, double hi, int decimals, double step,
                        const QString& tip) {
    auto* b = new QDoubleSpinBox(parent);
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    b->setToolTip(tip);
    return b;
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
    model_->addItem(tr("MLAD"), QStringLiteral("mlad"));
    model_->addItem(tr("MLAD w/o entmax (softmax attention)"), QStringLiteral("w/o-entmax"));
    model_->addItem(tr("MLAD w/o GMM (reconstruction only)"), QStringLiteral("w/o-gmm"));
    model_->setToolTip(tr("The full model or one of its ablations"));
    device_ = new QComboBox(runBox);
    device_->addItem(tr("Auto"), QStringLiteral("auto"));
    device_->addItem(tr("CPU"), QStringLiteral("cpu"));
    device_->addItem(tr("CUDA (not available)"), QStringLiteral("cuda"));
    device_->setToolTip(tr("Where to train; Auto takes CUDA when available"));
    amp_ = new QCheckBox(tr("Mixed precision"), runBox);
    amp_->setObjectName(QStringLiteral("ampCheck"));
    amp_->setToolTip(
        tr("Train with autocast: float16 matrix products on CUDA, bfloat16 on CPU, with dynamic "
           "loss scaling, for training only: GMM re-estimation, scoring and the saved model run at "
           "full precision. Meant for GPUs; on CPUs it only helps where they have bfloat16 "
           "units."));
    runName_ = new QLineEdit(runBox);
    runName_->setObjectName(QStringLiteral("runName"));
    runName_->setToolTip(
        tr("A new name starts a run; the name of a cancelled or failed run "
           "resumes it from its last checkpoint"));
    runForm->addRow(tr("Split:"), splitCombo_);
    runForm->addRow(QString(), splitInfo_);
    runForm->addRow(tr("Model:"), model_);
    auto* deviceRow = new QHBoxLayout;
    deviceRow->addWidget(device_, 1);
    deviceRow->addWidget(amp_);
    runForm->addRow(tr("Device:"), deviceRow);
    runForm->addRow(tr("Run name:"), runName_);

    auto* modelBox = new QGroupBox(tr("Model"), settings);
    auto* optimBox = new QGroupBox(tr("Optimisation"), settings);
    auto* dataBox = new QGroupBox(tr("Data and threshold"), settings);
    auto* modelForm = new QFormLayout(modelBox);
    auto* optimForm = new QFormLayout(optimBox);
    auto* dataForm = new QFormLayout(dataBox);
    buildForm(modelForm, optimForm, dataForm);

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

    settingsLayout->addWidget(runBox);
    settingsLayout->addWidget(modelBox);
    settingsLayout->addWidget(optimBox);
    settingsLayout->addWidget(dataBox);
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
    total_ = new QLineSeries;
    total_->setName(tr("train total"));
    mse_ = new QLineSeries;
    mse_->setName(tr("train MSE"));
    energy_ = new QLineSeries;
    energy_->setName(tr("train energy"));
    cov_ = new QLineSeries;
    cov_->setName(tr("train cov"));
    val_ = new QLineSeries;
    val_->setName(tr("validation total"));
    xAxis_ = new QValueAxis;
    xAxis_->setTitleText(tr("epoch"));
    xAxis_->setLabelFormat(QStringLiteral("%d"));
    yAxis_ = new QValueAxis;
    yAxis_->setTitleText(tr("loss"));
    chart->addAxis(xAxis_, Qt::AlignBottom);
    chart->addAxis(yAxis_, Qt::AlignLeft);
    const QList<QPair<QLineSeries*, QColor>> styles = {{total_, QColor(0x1f, 0x4e, 0x79)},
                                                       {mse_, QColor(0x5b, 0x9b, 0xd5)},
                                                       {energy_, QColor(0xed, 0x7d, 0x31)},
                                                       {cov_, QColor(0x70, 0xad, 0x47)},
                                                       {val_, QColor(0xc0, 0x39, 0x2b)}};
    for (const auto& [s, color] : styles) {
        chart->addSeries(s);
        s->attachAxis(xAxis_);
        s->attachAxis(yAxis_);
        QPen pen(color);
        pen.setWidthF(s == total_ || s == val_ ? 2.5 : 1.5);
        if (s == val_) pen.setStyle(Qt::DashLine);
        s->setPen(pen);
        s->setPointsVisible(true);
    }
    // Clicking a legend entry hides / shows its curve: the components differ in scale (the
    // raw covariance penalty dwarfs the rest), so it starts hidden.
    for (auto* marker : chart->legend()->markers()) {
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
        if (marker->series() == cov_) {
            cov_->setVisible(false);
            apply();
        }
    }
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
    connect(resetButton, &QPushButton::clicked, this, [this] {
        TrainConfig defaults;
        defaults.model = config().model;
        setConfig(defaults);
    });
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
    if (text.isEmpty()) return TrainConfig{};
    try {
        return trainConfigFromJson(text.toStdString());
    } catch (const std::exception&) {
        return TrainConfig{};  // written by a newer version or damaged: start from defaults
    }
}

void TrainingPanel::saveConfig(const TrainConfig& c) {
    QSettings().setValue(QLatin1String(kSettingsKey), qs(dumpJson(trainConfigToJson(c))));
}

TrainingPanel::~TrainingPanel() {
    runner_->cancelAndWait();
    worker_.reset();
}

void TrainingPanel::buildForm(QFormLayout* m, QFormLayout* o, QFormLayout* d) {
    QWidget* p = this;
    alpha_ = realBox(p, 1.0, 2.0, 2, 0.1,
                     tr("α of the α-entmax attention: 1 = softmax, 1.5 = entmax-1.5, 2 = "
                        "sparsemax (ignored by w/o-entmax)"));
    dModel_ = intBox(p, 4, 1024, tr("Transformer width (must be divisible by the heads)"));
    layers_ = intBox(p, 1, 12, tr("Transformer encoder layers"));
    heads_ = intBox(p, 1, 16, tr("Attention heads per layer"));
    dFf_ = intBox(p, 4, 4096, tr("Feed-forward width inside each layer"));
    dZ_ = intBox(p, 1, 256, tr("Size of the sequence representation the GMM models"));
    comps_ = intBox(p, 1, 32, tr("Gaussian mixture components"));
    maxLen_ = intBox(p, 2, 4096, tr("Longer sequences keep their first maxLen events"));
    dropout_ = realBox(p, 0, 0.9, 2, 0.05, tr("Dropout rate"));
    mask_ = realBox(p, 0, 0.95, 2, 0.05,
                    tr("Share of events masked for the masked reconstruction objective"));
    recon_ = new QComboBox(p);
    recon_->addItem(QStringLiteral("masked"));
    recon_->addItem(QStringLiteral("full"));
    recon_->setToolTip(
        tr("masked: reconstruct masked events (default); full: reconstruct every "
           "event, which allows the identity shortcut"));
    lambdaE_ = realBox(p, 0, 10, 4, 0.01, tr("Weight of the GMM energy term in the loss"));
    lambdaC_ = realBox(p, 0, 1, 5, 0.001,
                       tr("Weight of the covariance penalty (keeps the GMM non-degenerate)"));
    m->addRow(tr("Entmax α:"), alpha_);
    m->addRow(tr("d_model:"), dModel_);
    m->addRow(tr("Layers:"), layers_);
    m->addRow(tr("Heads:"), heads_);
    m->addRow(tr("d_ff:"), dFf_);
    m->addRow(tr("d_z:"), dZ_);
    m->addRow(tr("GMM components:"), comps_);
    m->addRow(tr("Max length:"), maxLen_);
    m->addRow(tr("Dropout:"), dropout_);
    m->addRow(tr("Mask ratio:"), mask_);
    m->addRow(tr("Reconstruction:"), recon_);
    m->addRow(tr("λ energy:"), lambdaE_);
    m->addRow(tr("λ cov:"), lambdaC_);

    epochs_ = intBox(p, 1, 10000, tr("Maximum epochs (early stopping may end sooner)"));
    batch_ = intBox(p, 1, 65536, tr("Sequences per batch"));
    lr_ = realBox(p, 1e-6, 1.0, 6, 1e-4, tr("Adam learning rate"));
    patience_ = intBox(p, 0, 1000,
                       tr("Stop after this many epochs without a better validation loss "
                          "(0 = never)"));
    clip_ = realBox(p, 0, 1000, 2, 0.5, tr("Gradient norm clipping (0 = off)"));
    seed_ = intBox(p, 0, 2147483647, tr("Random seed (initialisation, masking, batches)"));
    threads_ =
        intBox(p, 0, 256, tr("LibTorch CPU threads (0 = auto: half the cores, BLAS uses all)"));
    o->addRow(tr("Epochs:"), epochs_);
    o->addRow(tr("Batch size:"), batch_);
    o->addRow(tr("Learning rate:"), lr_);
    o->addRow(tr("Patience:"), patience_);
    o->addRow(tr("Clip norm:"), clip_);
    o->addRow(tr("Seed:"), seed_);
    o->addRow(tr("Threads:"), threads_);

    embedder_ = new QComboBox(p);
    embedder_->setEditable(true);
    embedder_->addItem(QStringLiteral("corpus"));
    embedder_->setToolTip(
        tr("Template embedder: corpus (trained on the project's templates), "
           "vectors:FILE (word vectors) or torchscript:DIR (sentence encoder)"));
    embedDim_ = intBox(p, 2, 4096, tr("Template embedding size (corpus embedder)"));
    nu_ = realBox(p, 0.0001, 0.5, 4, 0.005,
                  tr("Default threshold = the (1 − ν) quantile of the validation scores"));
    d->addRow(tr("Embedder:"), embedder_);
    d->addRow(tr("Embedding size:"), embedDim_);
    d->addRow(tr("ν (threshold):"), nu_);
}

TrainConfig TrainingPanel::config() const {
    TrainConfig c;
    c.model = model_->currentData().toString().toStdString();
    c.alpha = alpha_->value();
    c.dModel = dModel_->value();
    c.nLayers = layers_->value();
    c.nHeads = heads_->value();
    c.dFf = dFf_->value();
    c.dZ = dZ_->value();
    c.components = comps_->value();
    c.maxLen = maxLen_->value();
    c.dropout = dropout_->value();
    c.maskRatio = mask_->value();
    c.recon = recon_->currentText().toStdString();
    c.lambdaEnergy = lambdaE_->value();
    c.lambdaCov = lambdaC_->value();
    c.epochs = epochs_->value();
    c.batchSize = batch_->value();
    c.lr = lr_->value();
    c.patience = patience_->value();
    c.clipNorm = clip_->value();
    c.seed = uint64_t(seed_->value());
    c.threads = threads_->value();
    c.device = device_->currentData().toString().toStdString();
    c.amp = amp_->isChecked();
    c.embedder = embedder_->currentText().trimmed().toStdString();
    c.embedDim = embedDim_->value();
    c.nu = nu_->value();
    return c;
}

void TrainingPanel::setConfig(const TrainConfig& c) {
    const int m = model_->findData(QString::fromStdString(c.model));
    if (m >= 0) model_->setCurrentIndex(m);
    alpha_->setValue(c.alpha);
    dModel_->setValue(c.dModel);
    layers_->setValue(c.nLayers);
    heads_->setValue(c.nHeads);
    dFf_->setValue(c.dFf);
    dZ_->setValue(c.dZ);
    comps_->setValue(c.components);
    maxLen_->setValue(c.maxLen);
    dropout_->setValue(c.dropout);
    mask_->setValue(c.maskRatio);
    recon_->setCurrentText(qs(c.recon));
    lambdaE_->setValue(c.lambdaEnergy);
    lambdaC_->setValue(c.lambdaCov);
    epochs_->setValue(c.epochs);
    batch_->setValue(c.batchSize);
    lr_->setValue(c.lr);
    patience_->setValue(c.patience);
    clip_->setValue(c.clipNorm);
    seed_->setValue(int(std::min<uint64_t>(c.seed, 2147483647)));
    threads_->setValue(c.threads);
    const int dev = device_->findData(QString::fromStdString(c.device));
    if (dev >= 0) device_->setCurrentIndex(dev);
    amp_->setChecked(c.amp);
    embedder_->setCurrentText(qs(c.embedder));
    embedDim_->setValue(c.embedDim);
    nu_->setValue(c.nu);
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
            device_->setItemText(2, cuda ? tr("CUDA") : tr("CUDA (not available)"));
            auto* item = qobject_cast<QStandardItemModel*>(device_->model());
            if (item) item->item(2)->setEnabled(cuda);
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
                s.epoch = e.epoch;
                s.epochs = int(epochs.size());
                s.trainLoss = e.trainLoss;
                s.trainMse = e.trainMse;
                s.trainEnergy = e.trainEnergy;
                s.trainCov = e.trainCov;
                s.valLoss = e.valLoss;
                addEpochPoint(s);
            }
        });
}

void TrainingPanel::resetChart() {
    for (auto* s : {total_, mse_, energy_, cov_, val_}) s->clear();
    xAxis_->setRange(1, 2);
    xAxis_->setTickCount(2);
    yAxis_->setRange(0, 1);
    yMax_ = 1;
}

void TrainingPanel::addEpochPoint(const EpochStats& e) {
    const double x = e.epoch;
    const std::pair<QLineSeries*, double> points[] = {{total_, e.trainLoss},
                                                      {mse_, e.trainMse},
                                                      {energy_, e.trainEnergy},
                                                      {cov_, e.trainCov},
                                                      {val_, e.valLoss}};
    for (const auto& [series, v] : points)
        if (std::isfinite(v)) series->append(x, v);
    const int last = std::max(2, std::max(e.epochs, e.epoch));
    xAxis_->setRange(1, last);
    xAxis_->setTickCount(std::min(last, 11));
    rescaleChart();
}

void TrainingPanel::rescaleChart() {
    // The y range covers the visible curves only.
    double lo = 0, hi = 0;
    bool any = false;
    for (auto* s : {total_, mse_, energy_, cov_, val_}) {
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
    if (path_.isEmpty()) {
        Q_EMIT errorOccurred(tr("Open a project first."));
        return false;
    }
    if (runner_->isRunning()) return false;
    const QString split = splitCombo_->currentText();
    if (split.isEmpty()) {
        Q_EMIT errorOccurred(tr("No split to train on: build one in the Sequences tab."));
        return false;
    }
    const QString name = runName_->text().trimmed();
    if (name.isEmpty()) {
        Q_EMIT errorOccurred(tr("Enter a run name."));
        return false;
    }
    const TrainConfig cfg = config();
    if (cfg.dModel % cfg.nHeads != 0) {
        Q_EMIT errorOccurred(tr("d_model (%1) must be divisible by the number of heads (%2).")
                                 .arg(cfg.dModel)
                                 .arg(cfg.nHeads));
        return false;
    }
    saveConfig(cfg);
    resetChart();
    epochsSeen_ = 0;
    epochsPlanned_ = cfg.epochs;
    batchFraction_ = 0;
    lastError_.clear();
    runningName_ = name;
    epochBar_->setRange(0, cfg.epochs);
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
                status_->setText(
                    tr("Epoch %1/%2: train %3 (MSE %4, energy %5, cov %6), validation %7%8 · "
                       "%9 s")
                        .arg(e.epoch)
                        .arg(e.epochs)
                        .arg(e.trainLoss, 0, 'g', 5)
                        .arg(e.trainMse, 0, 'g', 4)
                        .arg(e.trainEnergy, 0, 'g', 4)
                        .arg(e.trainCov, 0, 'g', 4)
                        .arg(e.valLoss, 0, 'g', 5)
                        .arg(e.improved ? tr(" (best so far)") : QString())
                        .arg(e.seconds, 0, 'f', 1));
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
    runner_->start(
        tr("Training"),
        [projectPath, splitName, runName, cfg, callbacks](TaskContext& ctx) {
            auto project = Project::open(projectPath);
            trainRun(*project, splitName, runName, cfg, &ctx, callbacks);
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
