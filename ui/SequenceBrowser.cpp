#include "SequenceBrowser.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include "LinesDialog.h"
#include "ProjectWorker.h"
#include "SequenceListModel.h"
#include "TaskRunner.h"
#include "UiUtil.h"
#include "mlad/io/TimeParse.h"
#include "mlad/seq/Splits.h"

namespace mlad::ui {

namespace {
QString partText(const char* name, const PartStats& s) {
    return QStringLiteral("%1: %2 (%3 anomalous%4)")
        .arg(QString::fromLatin1(name), formatCount(s.total), formatCount(s.anomalous))
        .arg(s.unlabelled ? QStringLiteral(", %1 unlabelled").arg(formatCount(s.unlabelled))
                          : QString());
}

SplitSummary summarise(const SplitInfo& s) {
    SplitSummary out;
    out.id = s.id;
    out.name = qs(s.name);
    out.protocol = qs(s.protocol);
    out.info =
        QStringLiteral("%1 split, seed %2 · %3 · %4 · %5")
            .arg(out.protocol)
            .arg(s.seed)
            .arg(partText("train", s.train), partText("val", s.val), partText("test", s.test));
    out.leakage = QObject::tr(
                      "Leakage: %1 test sequences identical to a training one (%2 of "
                      "them anomalous); %3 anomalous test sequences identical to a "
                      "normal one; %4 test templates never seen in training")
                      .arg(s.testIdenticalToTrain)
                      .arg(s.anomalousTestIdenticalToTrain)
                      .arg(s.anomalousIdenticalToNormal)
                      .arg(s.unseenTestTemplates.size());
    return out;
}
}  // namespace

SequenceBrowser::SequenceBrowser(QWidget* parent)
    : QWidget(parent), builder_(std::make_unique<TaskRunner>()) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    splitCombo_ = new QComboBox(this);
    splitCombo_->setObjectName(QStringLiteral("splitCombo"));
    splitCombo_->setMinimumContentsLength(18);
    partCombo_ = new QComboBox(this);
    partCombo_->addItem(tr("test"), QStringLiteral("test"));
    partCombo_->addItem(tr("train"), QStringLiteral("train"));
    partCombo_->addItem(tr("validation"), QStringLiteral("val"));
    buildButton_ = new QPushButton(tr("New sequences && split…"), this);
    buildButton_->setToolTip(
        tr("Cut a system's lines into sequences (sessions or windows) and "
           "split them into train / validation / test"));
    buildStatus_ = new QLabel(this);
    top->addWidget(new QLabel(tr("Split:"), this));
    top->addWidget(splitCombo_);
    top->addWidget(new QLabel(tr("Part:"), this));
    top->addWidget(partCombo_);
    top->addStretch(1);
    top->addWidget(buildStatus_);
    top->addWidget(buildButton_);
    layout->addLayout(top);
    info_ = new QLabel(this);
    info_->setWordWrap(true);
    leakage_ = new QLabel(this);
    leakage_->setWordWrap(true);
    leakage_->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    layout->addWidget(info_);
    layout->addWidget(leakage_);

    model_ = new SequenceListModel(this);
    view_ = new QTableView(this);
    view_->setObjectName(QStringLiteral("sequenceTable"));
    view_->setModel(model_);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setWordWrap(false);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    view_->horizontalHeader()->setSectionResizeMode(SequenceListModel::Templates,
                                                    QHeaderView::Stretch);
    view_->setAlternatingRowColors(true);
    layout->addWidget(view_, 1);

    connect(splitCombo_, &QComboBox::currentIndexChanged, this, [this] {
        showSplitInfo();
        loadPart();
    });
    connect(partCombo_, &QComboBox::currentIndexChanged, this, &SequenceBrowser::loadPart);
    connect(view_, &QTableView::doubleClicked, this,
            [this](const QModelIndex& idx) { openRow(idx.row()); });
    connect(buildButton_, &QPushButton::clicked, this, &SequenceBrowser::showBuildDialog);
    connect(model_, &SequenceListModel::pageLoaded, this, [this](int rows) {
        info_->setText(splitCombo_->currentIndex() >= 0 &&
                               size_t(splitCombo_->currentIndex()) < splits_.size()
                           ? splits_[size_t(splitCombo_->currentIndex())].info +
                                 tr(" — %1 of %2 rows loaded")
                                     .arg(formatCount(quint64(rows)),
                                          formatCount(quint64(model_->totalCount())))
                           : QString());
        if (rows <= SequenceListModel::kPageSize) {
            view_->resizeColumnToContents(SequenceListModel::Key);
            view_->resizeColumnToContents(SequenceListModel::Start);
        }
    });
    connect(model_, &SequenceListModel::loadFailed, this, &SequenceBrowser::errorOccurred);
    connect(builder_.get(), &TaskRunner::progressed, this,
            [this](const Progress& p) { buildStatus_->setText(describeProgress(p, tr("items"))); });
    connect(builder_.get(), &TaskRunner::failed, this, [this](const QString& m) {
        buildStatus_->setText(tr("Build failed"));
        Q_EMIT errorOccurred(tr("Building sequences / split failed: %1").arg(m));
    });
    connect(builder_.get(), &TaskRunner::cancelled, this,
            [this] { buildStatus_->setText(tr("Build cancelled")); });
    connect(builder_.get(), &TaskRunner::finished, this,
            [this] { buildButton_->setEnabled(!path_.isEmpty()); });
    buildButton_->setEnabled(false);
}

SequenceBrowser::~SequenceBrowser() {
    builder_->cancelAndWait();
    model_->setWorker(nullptr);
    worker_.reset();
}

void SequenceBrowser::setProjectPath(const QString& path) {
    builder_->cancelAndWait();
    model_->setWorker(nullptr);
    worker_.reset();
    path_ = path;
    ++generation_;
    splits_.clear();
    systemNames_.clear();
    {
        QSignalBlocker b(splitCombo_);
        splitCombo_->clear();
    }
    info_->clear();
    leakage_->clear();
    buildStatus_->clear();
    buildButton_->setEnabled(!path.isEmpty());
    if (path.isEmpty()) return;
    worker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &SequenceBrowser::errorOccurred);
    model_->setWorker(worker_.get());
    refresh();
}

void SequenceBrowser::refresh() {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    struct Loaded {
        std::vector<SplitSummary> splits;
        QStringList systems;
    };
    worker_->query(
        this,
        [](Project& p) {
            Loaded out;
            for (const auto& s : listSplits(p)) out.splits.push_back(summarise(s));
            for (const auto& s : p.systems()) out.systems << qs(s.name);
            return out;
        },
        [this, gen](Loaded& r) {
            if (gen != generation_) return;
            const QString keep = splitCombo_->currentText();
            splits_ = std::move(r.splits);
            systemNames_ = r.systems;
            {
                QSignalBlocker b(splitCombo_);
                splitCombo_->clear();
                for (const auto& s : splits_) splitCombo_->addItem(s.name, qlonglong(s.id));
                const int idx = splitCombo_->findText(keep);
                splitCombo_->setCurrentIndex(idx >= 0 ? idx : 0);
            }
            if (splits_.empty()) {
                info_->setText(
                    tr("No splits yet: use “New sequences & split…” to cut a "
                       "system's lines into sequences and split them."));
                leakage_->clear();
                model_->clear();
            } else {
                showSplitInfo();
                loadPart();
            }
            Q_EMIT splitsLoaded(int(splits_.size()));
        });
}

void SequenceBrowser::showSplitInfo() {
    const int i = splitCombo_->currentIndex();
    if (i < 0 || size_t(i) >= splits_.size()) return;
    info_->setText(splits_[size_t(i)].info);
    leakage_->setText(splits_[size_t(i)].leakage);
}

void SequenceBrowser::loadPart() {
    const int i = splitCombo_->currentIndex();
    if (!worker_ || i < 0 || size_t(i) >= splits_.size()) return;
    const int64_t splitId = splits_[size_t(i)].id;
    const std::string part = partCombo_->currentData().toString().toStdString();
    const quint64 gen = ++generation_;
    model_->clear();
    worker_->query(
        this, [splitId, part](Project& p) { return splitPart(p, splitId, part); },
        [this, gen](std::vector<int64_t>& ids) {
            if (gen != generation_) return;
            const int n = int(ids.size());
            model_->setSequenceIds(std::move(ids));
            Q_EMIT sequencesLoaded(n);
        });
}

LinesDialog* SequenceBrowser::openRow(int row) {
    if (path_.isEmpty() || row < 0 || row >= model_->rowCount()) return nullptr;
    const auto& r = model_->rowAt(row);
    auto* dialog =
        new LinesDialog(path_, r.id, tr("Sequence %1 (%2) — raw lines").arg(r.id).arg(qs(r.key)),
                        this, explainRun_);
    dialog->setWindowFlag(Qt::Window);
    dialog->show();
    return dialog;
}

bool SequenceBrowser::isBuilding() const {
    return builder_->isRunning();
}

void SequenceBrowser::showBuildDialog() {
    if (path_.isEmpty()) return;
    if (systemNames_.isEmpty()) {
        Q_EMIT errorOccurred(tr("Import logs first: the project has no systems."));
        return;
    }
    QDialog dialog(this);
    dialog.setWindowTitle(tr("New sequences and split"));
    auto* form = new QFormLayout(&dialog);
    auto* system = new QComboBox(&dialog);
    system->addItems(systemNames_);
    auto* kind = new QComboBox(&dialog);
    kind->addItem(tr("Sessions by id (the preset's group regex, e.g. HDFS blocks)"));
    kind->addItem(tr("Fixed windows of N lines"));
    kind->addItem(tr("Sliding windows (N lines, every S lines)"));
    auto* size = new QSpinBox(&dialog);
    size->setRange(2, 100000);
    size->setValue(20);
    auto* step = new QSpinBox(&dialog);
    step->setRange(1, 100000);
    step->setValue(10);
    auto* protocol = new QComboBox(&dialog);
    protocol->addItem(tr("chronological (train on the first 60 %, test on the rest)"),
                      QStringLiteral("chronological"));
    protocol->addItem(tr("chronological, cut at a time (train before it, test from it)"),
                      QStringLiteral("chronological-until"));
    protocol->addItem(tr("paper (test = all anomalies + as many normal)"), QStringLiteral("paper"));
    auto* until = new QLineEdit(&dialog);
    until->setPlaceholderText(tr("UTC, e.g. 2005-09-01T00:00"));
    until->setToolTip(
        tr("Sequences whose first line is before this time train (their normal ones); the "
           "others are the test part. Needs timestamps in the log."));
    auto* name = new QLineEdit(&dialog);
    auto updateName = [=] {
        name->setText(QStringLiteral("%1-%2").arg(system->currentText().toLower(),
                                                  protocol->currentData().toString()));
    };
    updateName();
    connect(system, &QComboBox::currentIndexChanged, &dialog, updateName);
    connect(protocol, &QComboBox::currentIndexChanged, &dialog, updateName);
    auto updateEnabled = [=] {
        size->setEnabled(kind->currentIndex() > 0);
        step->setEnabled(kind->currentIndex() == 2);
        until->setEnabled(protocol->currentData().toString() == "chronological-until");
    };
    updateEnabled();
    connect(kind, &QComboBox::currentIndexChanged, &dialog, updateEnabled);
    connect(protocol, &QComboBox::currentIndexChanged, &dialog, updateEnabled);
    form->addRow(tr("System:"), system);
    form->addRow(tr("Sequences:"), kind);
    form->addRow(tr("Window size N:"), size);
    form->addRow(tr("Step S:"), step);
    form->addRow(tr("Protocol:"), protocol);
    form->addRow(tr("Train until:"), until);
    form->addRow(tr("Split name:"), name);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted) return;
    const bool cut = protocol->currentData().toString() == "chronological-until";
    buildSplit(system->currentText(), kind->currentIndex(), size->value(), step->value(),
               cut ? QStringLiteral("chronological") : protocol->currentData().toString(),
               name->text().trimmed(), cut ? until->text().trimmed() : QString());
}

QString SequenceBrowser::buildStatusText() const {
    return buildStatus_->text();
}

bool SequenceBrowser::buildSplit(const QString& system, int kind, int size, int step,
                                 const QString& protocol, const QString& splitName,
                                 const QString& trainUntil) {
    if (path_.isEmpty() || builder_->isRunning()) return false;
    std::optional<int64_t> cutAt;
    if (!trainUntil.isEmpty()) {
        cutAt = parseUtcTime(trainUntil.toStdString());
        if (!cutAt) {
            buildStatus_->setText(
                tr("“%1” is not a time: give UTC as 2005-09-01 or 2005-09-01T00:00.")
                    .arg(trainUntil));
            return false;
        }
    }
    SequenceSpec spec;
    switch (kind) {
        case 0:
            spec.kind = SequenceSpec::Kind::SessionRegex;
            spec.name = "sessions";
            break;
        case 1:
            spec.kind = SequenceSpec::Kind::Window;
            spec.size = spec.step = size_t(size);
            spec.name = "windows" + std::to_string(size);
            break;
        default:
            spec.kind = SequenceSpec::Kind::Window;
            spec.size = size_t(size);
            spec.step = size_t(step);
            spec.name = "sliding" + std::to_string(size) + "-" + std::to_string(step);
            break;
    }
    SplitSpec split;
    split.name = splitName.toStdString();
    split.protocol = protocol.toStdString();
    split.systems = {system.toStdString()};
    split.sequenceSet = spec.name;
    split.trainUntil = cutAt;
    const std::string projectPath = path_.toStdString(), sys = system.toStdString();
    buildButton_->setEnabled(false);
    buildStatus_->setText(tr("Building…"));
    auto summary = std::make_shared<QString>();
    builder_->start(
        tr("Build split"),
        [projectPath, sys, spec, split, summary](TaskContext& ctx) {
            auto project = Project::open(projectPath, "workbench split build");
            SequenceSetInfo set = buildSequences(*project, sys, spec, &ctx);
            ctx.checkCancelled();
            SplitInfo info = createSplit(*project, split);
            *summary = tr("%1: %2 sequences (%3 anomalous) → split %4")
                           .arg(qs(set.name))
                           .arg(set.count)
                           .arg(set.anomalous)
                           .arg(qs(info.name));
        },
        [this, summary, splitName] {
            buildStatus_->setText(*summary);
            refresh();
            // Show the new split once the list is back.
            auto* conn = new QMetaObject::Connection;
            *conn = connect(this, &SequenceBrowser::splitsLoaded, this, [this, conn, splitName] {
                disconnect(*conn);
                delete conn;
                const int idx = splitCombo_->findText(splitName);
                if (idx >= 0) splitCombo_->setCurrentIndex(idx);
            });
            Q_EMIT projectDataChanged();
        });
    return true;
}

}  // namespace mlad::ui
