#pragma once
// Non-modal window listing the raw lines of one sequence (loaded in the background).
#include <QDialog>

#include <memory>

class QLabel;
class QTableWidget;

namespace mlad::ui {

class ProjectWorker;

class LinesDialog : public QDialog {
    Q_OBJECT
  public:
    LinesDialog(const QString& projectPath, int64_t sequenceId, const QString& title,
                QWidget* parent = nullptr);
    ~LinesDialog() override;
    QTableWidget* table() const { return table_; }
    bool isLoaded() const { return loaded_; }

  Q_SIGNALS:
    void loaded(int rows);

  private:
    std::unique_ptr<ProjectWorker> worker_;
    QLabel* info_;
    QTableWidget* table_;
    bool loaded_ = false;
};

}  // namespace mlad::ui
