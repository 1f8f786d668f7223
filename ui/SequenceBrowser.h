#pragma once
// Sequences of a split part (train / val / test): label, length, templates, key; double-click
// opens the raw lines. Also builds new sequence sets and splits in the background.
#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;

namespace mlad::ui {

/// What the browser keeps of each split (from core's SplitInfo).
struct SplitSummary {
    int64_t id = 0;
    QString name, protocol, info, leakage;
};

class ErrorBanner;
class ProjectWorker;
class SequenceListModel;
class TaskRunner;
class LinesDialog;

class SequenceBrowser : public QWidget {
    Q_OBJECT
  public:
    explicit SequenceBrowser(QWidget* parent = nullptr);
    ~SequenceBrowser() override;

    void setProjectPath(const QString& path);
    void refresh();

    QComboBox* splitCombo() const { return splitCombo_; }
    QComboBox* partCombo() const { return partCombo_; }
    QTableView* view() const { return view_; }
    SequenceListModel* model() const { return model_; }
    /// Opens the raw lines of the sequence in model row `row`.
    LinesDialog* openRow(int row);
    /// The run whose explanation the drill-down shows (the run shown in Results); "" = none.
    void setExplainRun(const QString& run) { explainRun_ = run; }
    /// Builds a sequence set + split with core (same as the dialog's OK); runs in background.
    /// trainUntil (chronological only): cut at this UTC time instead of the 60 % share;
    /// returns false (and says why in the status line) when it is not a time.
    bool buildSplit(const QString& system, int kind, int size, int step, const QString& protocol,
                    const QString& splitName, const QString& trainUntil = QString());
    bool isBuilding() const;
    /// The build status line (what the last build did or why it did not start).
    QString buildStatusText() const;

  Q_SIGNALS:
    void splitsLoaded(int count);
    void sequencesLoaded(int count);
    /// A split was built: other views (training) should reload their split lists.
    void projectDataChanged();
    void errorOccurred(const QString& message);

  private:
    QString explainRun_;
    void loadPart();
    void showBuildDialog();
    void showSplitInfo();

    QString path_;
    QStringList systemNames_;
    std::vector<struct SplitSummary> splits_;
    std::unique_ptr<ProjectWorker> worker_;
    std::unique_ptr<TaskRunner> builder_;
    quint64 generation_ = 0;
    QComboBox* splitCombo_;
    QComboBox* partCombo_;
    QLabel* info_;
    QLabel* leakage_;
    QPushButton* buildButton_;
    QLabel* buildStatus_;
    QTableView* view_;
    SequenceListModel* model_;
};

}  // namespace mlad::ui
