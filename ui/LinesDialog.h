#pragma once
// Non-modal window listing the raw lines of one sequence (loaded in the background): the
// drill-down. Each template gets its own pastel colour so repeats stand out; with a run given,
// templates the run never saw in training are marked, each event's contribution to the score is
// shown where the run's detector explains it (MLAD: the masked reconstruction error of the
// position), and the energy per mixture component.
#include <QDialog>

#include <memory>

class QLabel;
class QTableWidget;

namespace mlad {
struct SequenceExplanation;
}

namespace mlad::ui {

class ProjectWorker;

class LinesDialog : public QDialog {
    Q_OBJECT
  public:
    enum Column { LineId, FileLine, Time, Label, Template, InTraining, Contribution, Raw };

    LinesDialog(const QString& projectPath, int64_t sequenceId, const QString& title,
                QWidget* parent = nullptr, const QString& runName = QString());
    ~LinesDialog() override;
    QTableWidget* table() const { return table_; }
    bool isLoaded() const { return loaded_; }
    /// With a run: whether its explanation arrived (false when it failed or there is no run).
    bool isExplained() const { return explained_; }
    QLabel* componentsLabel() const { return components_; }

  Q_SIGNALS:
    void loaded(int rows);

  private:
    struct Loaded;
    void showLoaded(const Loaded& r, const QString& runName);
    void fillLine(int row, const Loaded& r);
    /// Marks the row's template as seen in training or NEW; returns isNew.
    bool markSeen(int row, bool isNew);
    static QString componentEnergiesHtml(const SequenceExplanation& ex);

    std::unique_ptr<ProjectWorker> worker_;
    QLabel* info_;
    QLabel* components_;
    QTableWidget* table_;
    bool loaded_ = false;
    bool explained_ = false;
};

}  // namespace mlad::ui
