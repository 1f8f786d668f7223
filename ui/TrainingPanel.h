#pragma once
// Training: split, model, hyperparameters (TrainConfig) with tooltips, device, run name; the
// run trains on a TaskRunner with live loss curves per epoch, batch progress, ETA and Cancel;
// a cancelled run resumes under the same name. Finished runs are listed with their manifest.
#include <QWidget>

#include <memory>

#include "mlad/train/Trainer.h"

class QChartView;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QElapsedTimer;
class QFormLayout;
class QLabel;
class QLineEdit;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QValueAxis;

namespace mlad::ui {

class ProjectWorker;
class TaskRunner;

class TrainingPanel : public QWidget {
    Q_OBJECT
  public:
    explicit TrainingPanel(QWidget* parent = nullptr);
    ~TrainingPanel() override;

    void setProjectPath(const QString& path);
    void refresh();

    TrainConfig config() const;
    void setConfig(const TrainConfig& c);
    QComboBox* splitCombo() const { return splitCombo_; }
    QLineEdit* runNameEdit() const { return runName_; }
    QTableWidget* runsTable() const { return runs_; }
    QPlainTextEdit* manifestView() const { return manifest_; }
    QPushButton* reuseButton() const { return reuseButton_; }
    QChartView* lossChartView() const { return chartView_; }
    QProgressBar* epochProgress() const { return epochBar_; }
    QProgressBar* batchProgress() const { return batchBar_; }

    bool startTraining();
    void cancelTraining();
    bool isTraining() const;
    /// Epochs reported by the running (or last) training, for tests.
    int epochsSeen() const { return epochsSeen_; }
    QString lastError() const { return lastError_; }

  Q_SIGNALS:
    void splitsLoaded(int count);
    void runsLoaded(int count);
    void trainingStarted(const QString& runName);
    void epochFinished(int epoch);
    /// status: "finished" | "cancelled" | "failed".
    void trainingFinished(const QString& runName, const QString& status);
    void projectDataChanged();
    void errorOccurred(const QString& message);

  private:
    void buildForm(QFormLayout* model, QFormLayout* optim, QFormLayout* data);
    void resetChart();
    void addEpochPoint(const EpochStats& e);
    void rescaleChart();
    static TrainConfig loadSavedConfig();
    static void saveConfig(const TrainConfig& c);
    void showRun(int row);
    void reuseRun(int row);
    void setRunning(bool running);
    void updateEta();

    QString path_;
    std::unique_ptr<ProjectWorker> worker_;
    std::unique_ptr<TaskRunner> runner_;
    quint64 generation_ = 0;
    std::vector<RunInfo> runInfos_;
    int epochsSeen_ = 0;
    int epochsPlanned_ = 0;
    double batchFraction_ = 0;
    std::shared_ptr<QElapsedTimer> etaClock_;
    QString lastError_;
    QString runningName_;

    QComboBox* splitCombo_;
    QLabel* splitInfo_;
    QComboBox* model_;
    QComboBox* device_;
    QCheckBox* amp_;
    QLineEdit* runName_;
    QSpinBox *epochs_, *batch_, *patience_, *dModel_, *layers_, *heads_, *dFf_, *dZ_, *comps_,
        *maxLen_, *seed_, *embedDim_, *threads_;
    QDoubleSpinBox *lr_, *alpha_, *dropout_, *mask_, *lambdaE_, *lambdaC_, *nu_, *clip_;
    QComboBox *recon_, *embedder_;
    QPushButton* trainButton_;
    QPushButton* cancelButton_;
    QPushButton* reuseButton_;
    QProgressBar* epochBar_;
    QProgressBar* batchBar_;
    QLabel* status_;
    QChartView* chartView_;
    QLineSeries *total_, *mse_, *energy_, *cov_, *val_;
    QValueAxis *xAxis_, *yAxis_;
    double yMax_ = 1;
    QTableWidget* runs_;
    QPlainTextEdit* manifest_;
};

}  // namespace mlad::ui
