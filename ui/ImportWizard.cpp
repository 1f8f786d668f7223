#include "ImportWizard.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <set>

#include "TaskRunner.h"
#include "UiUtil.h"
#include "mlad/io/LineReader.h"
#include "mlad/parse/LineParser.h"

namespace mlad::ui {

namespace {
const QString kCustom = QStringLiteral("Custom format");

QStringList masksOf(const Preset& p) {
    QStringList out;
    for (const auto& m : p.masks) out << qs(m);
    return out;
}
}  // namespace

ImportWizard::ImportWizard(const QString& projectPath, QWidget* parent)
    : QDialog(parent),
      projectPath_(projectPath),
      runner_(std::make_unique<TaskRunner>()),
      previewRunner_(std::make_unique<TaskRunner>()) {
    setWindowTitle(tr("Import log files"));
    setObjectName(QStringLiteral("importWizard"));
    resize(1280, 820);

    // Left column: files, format, target.
    auto* filesBox = new QGroupBox(tr("1. Files"), this);
    auto* filesLayout = new QVBoxLayout(filesBox);
    fileList_ = new QListWidget(filesBox);
    fileList_->setMinimumHeight(60);
    fileList_->setMaximumHeight(110);
    auto* fileButtons = new QHBoxLayout;
    auto* addButton = new QPushButton(tr("Add files…"), filesBox);
    auto* removeButton = new QPushButton(tr("Remove"), filesBox);
    fileButtons->addWidget(addButton);
    fileButtons->addWidget(removeButton);
    fileButtons->addStretch(1);
    filesLayout->addWidget(fileList_);
    filesLayout->addLayout(fileButtons);

    auto* formatBox = new QGroupBox(tr("2. Log format"), this);
    auto* formatLayout = new QFormLayout(formatBox);
    presetCombo_ = new QComboBox(formatBox);
    presetCombo_->addItem(kCustom, QString());
    for (const auto& p : builtinPresets()) presetCombo_->addItem(qs(p.name), qs(p.name));
    presetCombo_->setToolTip(
        tr("A built-in loghub format; edit the format or masks below to "
           "adapt it"));
    presetDescription_ = new QLabel(formatBox);
    presetDescription_->setWordWrap(true);
    presetDescription_->setStyleSheet(QStringLiteral("color: palette(mid);"));
    formatEdit_ = new QLineEdit(formatBox);
    formatEdit_->setObjectName(QStringLiteral("formatEdit"));
    formatEdit_->setPlaceholderText(QStringLiteral("<Date> <Time> <Level> <Component>: <Content>"));
    formatEdit_->setToolTip(
        tr("loghub format string: <Name> is a field, <Content> is the "
           "message that Drain parses, spaces match any whitespace"));
    masksEdit_ = new QPlainTextEdit(formatBox);
    masksEdit_->setObjectName(QStringLiteral("masksEdit"));
    masksEdit_->setPlaceholderText(
        tr("One regular expression per line (RE2); each match in "
           "Content becomes <*>"));
    masksEdit_->setFixedHeight(masksEdit_->fontMetrics().lineSpacing() * 5 + 12);
    masksEdit_->setLineWrapMode(QPlainTextEdit::NoWrap);
    formatLayout->addRow(tr("Preset:"), presetCombo_);
    formatLayout->addRow(QString(), presetDescription_);
    formatLayout->addRow(tr("Format:"), formatEdit_);
    formatLayout->addRow(tr("Masks:"), masksEdit_);

    auto* targetBox = new QGroupBox(tr("3. Target"), this);
    auto* targetLayout = new QFormLayout(targetBox);
    systemEdit_ = new QLineEdit(targetBox);
    systemEdit_->setObjectName(QStringLiteral("systemEdit"));
    systemEdit_->setToolTip(tr("Lines are added to this system; one system has one format"));
    labelsEdit_ = new QLineEdit(targetBox);
    labelsEdit_->setPlaceholderText(tr("optional, e.g. anomaly_label.csv (BlockId,Label)"));
    auto* labelsRow = new QHBoxLayout;
    auto* labelsBrowse = new QPushButton(tr("Browse…"), targetBox);
    labelsRow->addWidget(labelsEdit_, 1);
    labelsRow->addWidget(labelsBrowse);
    targetLayout->addRow(tr("System name:"), systemEdit_);
    targetLayout->addRow(tr("Labels CSV:"), labelsRow);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(filesBox);
    leftLayout->addWidget(formatBox);
    leftLayout->addWidget(targetBox);
    leftLayout->addStretch(1);

    // Right column: the live preview.
    auto* previewBox =
        new QGroupBox(tr("Preview (first %1 lines of the first file)").arg(kPreviewLines), this);
    auto* previewLayout = new QVBoxLayout(previewBox);
    previewStatus_ = new QLabel(tr("Add a file to see a preview."), previewBox);
    previewStatus_->setWordWrap(true);
    preview_ = new QTableWidget(previewBox);
    preview_->setObjectName(QStringLiteral("importPreview"));
    preview_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    preview_->setWordWrap(false);
    preview_->verticalHeader()->hide();
    preview_->verticalHeader()->setDefaultSectionSize(preview_->fontMetrics().height() + 6);
    previewLayout->addWidget(previewStatus_);
    previewLayout->addWidget(preview_, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(previewBox);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({430, 850});

    // Bottom: progress, report, buttons.
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setTextVisible(true);
    progressLabel_ = new QLabel(this);
    reportView_ = new QPlainTextEdit(this);
    reportView_->setObjectName(QStringLiteral("importReport"));
    reportView_->setReadOnly(true);
    reportView_->setLineWrapMode(QPlainTextEdit::NoWrap);
    reportView_->setFixedHeight(reportView_->fontMetrics().lineSpacing() * 7 + 12);
    reportView_->setPlaceholderText(tr("The import report appears here."));
    errorLabel_ = new QLabel(this);
    errorLabel_->setWordWrap(true);
    errorLabel_->setStyleSheet(QStringLiteral("color: #b52a1c;"));
    errorLabel_->hide();
    importButton_ = new QPushButton(tr("Import"), this);
    importButton_->setDefault(true);
    cancelButton_ = new QPushButton(tr("Cancel import"), this);
    cancelButton_->setEnabled(false);
    closeButton_ = new QPushButton(tr("Close"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(progress_, 1);
    buttons->addWidget(importButton_);
    buttons->addWidget(cancelButton_);
    buttons->addWidget(closeButton_);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter, 1);
    layout->addWidget(errorLabel_);
    layout->addLayout(buttons);
    layout->addWidget(progressLabel_);
    layout->addWidget(reportView_);

    previewTimer_ = new QTimer(this);
    previewTimer_->setSingleShot(true);
    previewTimer_->setInterval(200);  // debounce typing in the format / masks
    connect(previewTimer_, &QTimer::timeout, this, &ImportWizard::updatePreview);

    connect(addButton, &QPushButton::clicked, this, &ImportWizard::addFilesDialog);
    connect(removeButton, &QPushButton::clicked, this, [this] {
        const int row = fileList_->currentRow();
        if (row < 0 || row >= files_.size()) return;
        QStringList f = files_;
        f.removeAt(row);
        setFiles(f);
    });
    connect(labelsBrowse, &QPushButton::clicked, this, &ImportWizard::browseLabels);
    connect(presetCombo_, &QComboBox::currentIndexChanged, this, &ImportWizard::onPresetChanged);
    connect(formatEdit_, &QLineEdit::textChanged, this, &ImportWizard::schedulePreview);
    connect(masksEdit_, &QPlainTextEdit::textChanged, this, &ImportWizard::schedulePreview);
    connect(importButton_, &QPushButton::clicked, this, &ImportWizard::startImport);
    connect(cancelButton_, &QPushButton::clicked, this, &ImportWizard::cancelImport);
    connect(closeButton_, &QPushButton::clicked, this, &ImportWizard::close);

    connect(runner_.get(), &TaskRunner::progressed, this, [this](const Progress& p) {
        const double f = p.fraction();
        if (f >= 0) {
            progress_->setRange(0, 1000);
            progress_->setValue(int(f * 1000.0));
        } else {
            progress_->setRange(0, 0);
        }
        progressLabel_->setText(describeProgress(p));
        Q_EMIT importProgress(p.done, f);
    });
    connect(previewRunner_.get(), &TaskRunner::failed, this, [this](const QString& m) {
        previewLoading_ = false;
        previewRaw_.clear();
        previewStatus_->setText(tr("Cannot read %1").arg(m));
        preview_->clear();
        preview_->setRowCount(0);
        Q_EMIT previewUpdated(0, 0);
    });
    onPresetChanged();
}

ImportWizard::~ImportWizard() {
    runner_->cancelAndWait();
    previewRunner_->cancelAndWait();
}

void ImportWizard::addFilesDialog() {
    QStringList picked =
        QFileDialog::getOpenFileNames(this, tr("Log files to import"), QString(),
                                      tr("Log files (*.log *.txt *.gz *.out);;All files (*)"));
    if (picked.isEmpty()) return;
    QStringList f = files_;
    for (const auto& p : picked)
        if (!f.contains(p)) f << p;
    setFiles(f);
}

void ImportWizard::browseLabels() {
    QString picked = QFileDialog::getOpenFileName(this, tr("Labels CSV"), QString(),
                                                  tr("CSV files (*.csv);;All files (*)"));
    if (!picked.isEmpty()) setLabelsCsv(picked);
}

void ImportWizard::setFiles(const QStringList& files) {
    files_ = files;
    fileList_->clear();
    for (const auto& f : files_) {
        QFileInfo info(f);
        auto* item = new QListWidgetItem(QStringLiteral("%1  (%2 MB)")
                                             .arg(info.fileName())
                                             .arg(double(info.size()) / 1e6, 0, 'f', 1),
                                         fileList_);
        item->setToolTip(f);
    }
    loadPreviewLines();
}

bool ImportWizard::setPresetName(const QString& name) {
    for (int i = 1; i < presetCombo_->count(); ++i)
        if (presetCombo_->itemData(i).toString().compare(name, Qt::CaseInsensitive) == 0) {
            presetCombo_->setCurrentIndex(i);
            return true;
        }
    return false;
}

QString ImportWizard::presetName() const {
    return presetCombo_->currentData().toString();
}

void ImportWizard::setFormat(const QString& format) {
    formatEdit_->setText(format);
}

void ImportWizard::setMasks(const QStringList& masks) {
    masksEdit_->setPlainText(masks.join(QLatin1Char('\n')));
}

void ImportWizard::setSystemName(const QString& name) {
    systemEdit_->setText(name);
}
QString ImportWizard::systemName() const {
    return systemEdit_->text().trimmed();
}
void ImportWizard::setLabelsCsv(const QString& path) {
    labelsEdit_->setText(path);
}

void ImportWizard::onPresetChanged() {
    const QString name = presetCombo_->currentData().toString();
    const Preset* p = name.isEmpty() ? nullptr : findPreset(name.toStdString());
    const QString oldSystem = systemEdit_->text().trimmed();
    bool systemWasDefault = oldSystem.isEmpty() || presetCombo_->findData(oldSystem) >= 0 ||
                            oldSystem == QStringLiteral("Custom");
    updatingPreset_ = true;
    if (p) {
        presetDescription_->setText(qs(p->description));
        formatEdit_->setText(qs(p->format));
        formatEdit_->setCursorPosition(0);
        setMasks(masksOf(*p));
        if (systemWasDefault) systemEdit_->setText(qs(p->name));
    } else {
        presetDescription_->setText(
            tr("Write a loghub format string; Drain settings default to "
               "depth 4, similarity 0.5."));
        if (systemWasDefault) systemEdit_->setText(QStringLiteral("Custom"));
    }
    updatingPreset_ = false;
    schedulePreview();
}

Preset ImportWizard::currentPreset() const {
    const QString name = presetCombo_->currentData().toString();
    const Preset* base = name.isEmpty() ? nullptr : findPreset(name.toStdString());
    Preset p = base ? *base : Preset{};
    if (!base) {
        p.name = "Custom";
        p.description = "custom format entered in the import wizard";
    }
    p.format = formatEdit_->text().trimmed().toStdString();
    p.masks.clear();
    for (const auto& line : masksEdit_->toPlainText().split(QLatin1Char('\n'))) {
        const QString m = line.trimmed();
        if (!m.isEmpty()) p.masks.push_back(m.toStdString());
    }
    return p;
}

void ImportWizard::schedulePreview() {
    previewPending_ = true;
    previewTimer_->start();
}

void ImportWizard::loadPreviewLines() {
    previewRaw_.clear();
    previewFile_.clear();
    if (files_.isEmpty()) {
        previewStatus_->setText(tr("Add a file to see a preview."));
        schedulePreview();
        return;
    }
    // Reading is quick, but the file may sit on a slow disk or be compressed: off the GUI thread.
    const std::string path = files_.front().toStdString();
    auto lines = std::make_shared<std::vector<std::string>>();
    previewRunner_->cancelAndWait();
    previewLoading_ = true;
    previewStatus_->setText(tr("Reading %1…").arg(files_.front()));
    previewRunner_->start(
        tr("preview"),
        [path, lines](TaskContext& ctx) {
            LineReader reader(path);
            std::string_view line;
            LineReader::Status st;
            while (lines->size() < size_t(kPreviewLines) &&
                   (st = reader.next(line)) != LineReader::Status::End) {
                ctx.checkCancelled();
                if (st == LineReader::Status::Line) lines->emplace_back(line);
            }
        },
        [this, lines] {
            previewLoading_ = false;
            previewRaw_ = std::move(*lines);
            previewFile_ = files_.value(0);
            schedulePreview();
        });
}

void ImportWizard::updatePreview() {
    previewPending_ = false;
    if (previewLoading_) return;  // updated again when the lines arrive
    preview_->clear();
    preview_->clearSpans();
    preview_->setRowCount(0);
    preview_->setColumnCount(0);
    if (previewRaw_.empty()) {
        if (!files_.isEmpty()) previewStatus_->setText(tr("The first file has no lines."));
        Q_EMIT previewUpdated(0, 0);
        return;
    }
    const Preset preset = currentPreset();
    std::unique_ptr<LineParser> parser;
    try {
        parser = std::make_unique<LineParser>(preset);
    } catch (const std::exception& e) {
        previewStatus_->setText(QStringLiteral("<span style='color:#b52a1c'>%1</span>")
                                    .arg(qs(e.what()).toHtmlEscaped()));
        Q_EMIT previewUpdated(0, 0);
        return;
    }
    const auto& names = parser->format().fieldNames();
    const int nFields = int(names.size());
    // "#", the template, then the fields: the template is what the preview is for.
    QStringList headers;
    headers << tr("#") << tr("Template");
    for (const auto& n : names) headers << qs(n);
    preview_->setColumnCount(nFields + 2);
    preview_->setHorizontalHeaderLabels(headers);
    preview_->setRowCount(int(previewRaw_.size()));

    std::vector<int> clusters(previewRaw_.size(), -1);
    int matched = 0;
    ParsedLine pl;
    for (size_t i = 0; i < previewRaw_.size(); ++i) {
        const int row = int(i);
        preview_->setItem(row, 0, new QTableWidgetItem(QString::number(i + 1)));
        if (!parser->parse(previewRaw_[i], pl)) {
            auto* item = new QTableWidgetItem(tr("no match: %1").arg(qs(previewRaw_[i])));
            item->setForeground(QColor(0xb5, 0x2a, 0x1c));
            item->setToolTip(qs(previewRaw_[i]));
            preview_->setItem(row, 2, item);
            if (nFields > 1) preview_->setSpan(row, 2, 1, nFields);
            continue;
        }
        ++matched;
        clusters[i] = pl.cluster;
        for (int f = 0; f < nFields && size_t(f) < pl.spans.size(); ++f) {
            const auto v = pl.field(size_t(f));
            preview_->setItem(row, f + 2,
                              new QTableWidgetItem(QString::fromUtf8(v.data(), int(v.size()))));
        }
    }
    // Templates after all preview lines: Drain generalises as more lines join a cluster.
    std::set<int> distinct;
    for (size_t i = 0; i < previewRaw_.size(); ++i) {
        if (clusters[i] < 0) continue;
        distinct.insert(clusters[i]);
        auto* item = new QTableWidgetItem(qs(parser->drain().templateText(clusters[i])));
        item->setForeground(QColor(0x1d, 0x5f, 0x9e));
        preview_->setItem(int(i), 1, item);
    }
    preview_->resizeColumnsToContents();
    for (int c = 0; c < preview_->columnCount(); ++c)
        preview_->setColumnWidth(c, std::min(preview_->columnWidth(c), c == 1 ? 520 : 300));
    const int unmatched = int(previewRaw_.size()) - matched;
    QString status = tr("%1 of %2 lines match the format · %3 templates")
                         .arg(matched)
                         .arg(previewRaw_.size())
                         .arg(distinct.size());
    if (unmatched > 0)
        status += QStringLiteral(" · <span style='color:#b52a1c'>%1</span>")
                      .arg(tr("%1 lines do not match and would be skipped").arg(unmatched));
    previewStatus_->setText(status);
    Q_EMIT previewUpdated(matched, int(distinct.size()));
}

bool ImportWizard::startImport() {
    if (runner_->isRunning()) return false;
    errorLabel_->hide();
    if (files_.isEmpty()) {
        showError(tr("Add at least one file to import."));
        return false;
    }
    if (systemName().isEmpty()) {
        showError(tr("Enter a system name."));
        return false;
    }
    const Preset preset = currentPreset();
    try {
        preset.validate();
        LineParser check(preset);  // format and masks compile
    } catch (const std::exception& e) {
        showError(tr("The format is not usable: %1").arg(qs(e.what())));
        return false;
    }
    ImportOptions options;
    options.preset = preset;
    options.system = systemName().toStdString();
    options.labelsCsv = labelsEdit_->text().trimmed().toStdString();
    std::vector<std::string> files;
    for (const auto& f : files_) files.push_back(f.toStdString());
    const std::string projectPath = projectPath_.toStdString();

    auto result = std::make_shared<ImportReport>();
    report_ = ImportReport{};
    reportView_->clear();
    progressLabel_->setText(tr("Starting…"));
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    setRunning(true);
    auto finish = [this, result](bool ok, bool cancelled) {
        report_ = *result;
        setRunning(false);
        showReport(cancelled || report_.cancelled);
        Q_EMIT importFinished(ok, cancelled || report_.cancelled);
    };
    disconnect(runner_.get(), &TaskRunner::succeeded, this, nullptr);
    disconnect(runner_.get(), &TaskRunner::cancelled, this, nullptr);
    disconnect(runner_.get(), &TaskRunner::failed, this, nullptr);
    connect(runner_.get(), &TaskRunner::succeeded, this, [finish] { finish(true, false); });
    connect(runner_.get(), &TaskRunner::cancelled, this, [finish] { finish(true, true); });
    connect(runner_.get(), &TaskRunner::failed, this, [this, finish](const QString& m) {
        showError(tr("Import failed: %1").arg(m));
        finish(false, false);
    });
    runner_->start(tr("Import"), [projectPath, files, options, result](TaskContext& ctx) {
        auto project = Project::open(projectPath, "workbench import");
        *result = importFiles(*project, files, options, &ctx);
    });
    Q_EMIT importStarted();
    return true;
}

void ImportWizard::cancelImport() {
    if (!runner_->isRunning()) return;
    progressLabel_->setText(tr("Cancelling after the current batch…"));
    runner_->cancel();
}

bool ImportWizard::isImporting() const {
    return runner_->isRunning();
}

void ImportWizard::setRunning(bool running) {
    importButton_->setEnabled(!running);
    cancelButton_->setEnabled(running);
    closeButton_->setEnabled(!running);
    presetCombo_->setEnabled(!running);
    formatEdit_->setReadOnly(running);
    masksEdit_->setReadOnly(running);
    systemEdit_->setReadOnly(running);
}

void ImportWizard::showReport(bool cancelled) {
    QStringList out;
    const auto& r = report_;
    out << tr("%1 into system %2: %3 lines imported, %4 skipped, templates %5 → %6, %7 s")
               .arg(cancelled ? tr("Cancelled") : tr("Done"), qs(r.system))
               .arg(formatCount(r.imported), formatCount(r.skipped))
               .arg(r.templatesBefore)
               .arg(r.templatesAfter)
               .arg(r.seconds, 0, 'f', 1);
    for (const auto& f : r.files) {
        out << QStringLiteral("• [%1] %2").arg(qs(f.status), qs(f.message));
        if (f.skipped > 0 || f.repairedUtf8 > 0)
            out << tr("    skipped %1 (no match %2, too long %3, NUL bytes %4); repaired UTF-8 %5")
                       .arg(f.skipped)
                       .arg(f.noMatch)
                       .arg(f.tooLong)
                       .arg(f.nulBytes)
                       .arg(f.repairedUtf8);
        if (f.resumedFrom > 0) out << tr("    resumed after line %1").arg(f.resumedFrom);
        for (const auto& issue : f.firstIssues)
            out << QStringLiteral("    %1:%2 %3: %4")
                       .arg(qs(f.path))
                       .arg(issue.line)
                       .arg(qs(issue.kind), qs(issue.message));
    }
    reportView_->setPlainText(out.join(QLatin1Char('\n')));
    progress_->setRange(0, 1000);
    if (!cancelled) progress_->setValue(1000);
    if (r.anyFailed()) showError(tr("Some files failed; see the report below."));
}

QString ImportWizard::reportText() const {
    return reportView_->toPlainText();
}
QString ImportWizard::errorText() const {
    return errorLabel_->isHidden() ? QString() : errorLabel_->text();
}

void ImportWizard::showError(const QString& message) {
    errorLabel_->setText(message);
    errorLabel_->show();
}

void ImportWizard::closeEvent(QCloseEvent* e) {
    if (runner_->isRunning()) {
        cancelImport();
        e->ignore();
        return;
    }
    QDialog::closeEvent(e);
}

void ImportWizard::reject() {
    if (runner_->isRunning()) {
        cancelImport();
        return;
    }
    QDialog::reject();
}

}  // namespace mlad::ui
