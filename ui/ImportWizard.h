#pragma once
// Import dialog: files, a preset or a custom format string + masks, a live preview of the first
// lines split into fields with their Drain templates, system name, optional labels CSV. The
// import runs on a TaskRunner (own SQLite connection) with progress, ETA and Cancel; the
// per-file report (skipped lines, issues naming file and line) is shown when it ends.
#include <QDialog>
#include <QStringList>

#include <memory>

#include "mlad/import/Importer.h"
#include "mlad/io/Preset.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTimer;

namespace mlad::ui {

class TaskRunner;

class ImportWizard : public QDialog {
    Q_OBJECT
  public:
    static constexpr int kPreviewLines = 50;

    explicit ImportWizard(const QString& projectPath, QWidget* parent = nullptr);
    ~ImportWizard() override;

    // Programmatic driving (the tests use these; the widgets call them too).
    void setFiles(const QStringList& files);
    QStringList files() const { return files_; }
    /// Selects a built-in preset by name (case-insensitive); false when unknown.
    bool setPresetName(const QString& name);
    QString presetName() const;
    void setFormat(const QString& format);
    void setMasks(const QStringList& masks);
    void setSystemName(const QString& name);
    QString systemName() const;
    void setLabelsCsv(const QString& path);
    /// The preset the import would use now (the selected one with the edited format/masks).
    Preset currentPreset() const;

    /// Starts the import; false (with the reason shown) when the inputs are incomplete.
    bool startImport();
    void cancelImport();
    bool isImporting() const;
    const ImportReport& report() const { return report_; }
    QString reportText() const;
    QString errorText() const;

    QTableWidget* previewTable() const { return preview_; }
    QLabel* previewStatus() const { return previewStatus_; }
    QProgressBar* progressBar() const { return progress_; }
    QLabel* progressLabel() const { return progressLabel_; }
    /// True once the preview reflects the current files and format (after the debounce).
    bool previewUpToDate() const { return !previewPending_ && !previewLoading_; }

  Q_SIGNALS:
    void previewUpdated(int matchedLines, int templates);
    void importStarted();
    /// Lines imported so far (throttled, from the import thread's progress reports).
    void importProgress(quint64 linesDone, double fraction);
    /// ok = finished without a whole-import failure (per-file failures are in the report).
    void importFinished(bool ok, bool cancelled);

  protected:
    void closeEvent(QCloseEvent* e) override;
    void reject() override;

  private:
    void addFilesDialog();
    void browseLabels();
    void onPresetChanged();
    void schedulePreview();
    void loadPreviewLines();
    void updatePreview();
    void setRunning(bool running);
    void showReport(bool cancelled);
    void showError(const QString& message);

    QString projectPath_;
    QStringList files_;
    std::vector<std::string> previewRaw_;  // first lines of the first file
    QString previewFile_;
    bool previewPending_ = false;
    bool previewLoading_ = false;
    ImportReport report_;
    bool updatingPreset_ = false;

    QListWidget* fileList_;
    QComboBox* presetCombo_;
    QLabel* presetDescription_;
    QLineEdit* formatEdit_;
    QPlainTextEdit* masksEdit_;
    QLineEdit* systemEdit_;
    QLineEdit* labelsEdit_;
    QTableWidget* preview_;
    QLabel* previewStatus_;
    QProgressBar* progress_;
    QLabel* progressLabel_;
    QPlainTextEdit* reportView_;
    QLabel* errorLabel_;
    QPushButton* importButton_;
    QPushButton* cancelButton_;
    QPushButton* closeButton_;
    QTimer* previewTimer_;
    std::unique_ptr<TaskRunner> runner_;
    std::unique_ptr<TaskRunner> previewRunner_;
};

}  // namespace mlad::ui
