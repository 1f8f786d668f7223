#pragma once
// Training: split, detector, its parameters, run name; the run trains on a TaskRunner with
// live loss curves per epoch, batch progress, ETA and Cancel; a cancelled run resumes under the
// same name. Finished runs are listed with their manifest.
//
// The parameter form is generated from the chosen detector's spec (detect/Registry.h): no
// parameter is listed here by hand, and the form changes with the model.
#include <QWidget>

#include <map>
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
    QComboBox* modelCombo() const { return model_; }
    /// The generated editor of a parameter of the current model (nullptr when it has none).
    QWidget* paramEditor(const QString& key) const;
    QLineEdit* runNameEdit() const { return runName_; }
    /// Data-parallel processes for the next run (shown where the build has it and the machine
    /// more than one core): rank 0 trains in the workbench, the others are `mlad train`
    /// processes (train/Distributed.h).
    QSpinBox* processesBox() const { return processes_; }
    /// The `mlad` command line the other ranks run (default: beside the workbench).
    void setCliPath(const QString& path) { cliPath_ = path; }
    QTableWidget* runsTable() const { return runs_; }
    QPlainTextEdit* manifestView() const { return manifest_; }
    QPushButton* reuseButton() const { return reuseButton_; }
    QChartView* lossChartView() const { return chartView_; }
    QProgressBar* epochProgress() const { return epochBar_; }
    QProgressBar* batchProgress() const { return batchBar_; }

    /// Trains the form's configuration on the form's split under the form's run name.
    bool startTraining();
    /// Trains `cfg` on `split` as run `name` without touching the form (the demo runs and the
    /// shortcut lesson); `remember` stores cfg as the form's next default. False (with
    /// errorOccurred) when it cannot start.
    bool startRun(const QString& split, const QString& name, const TrainConfig& cfg,
                  bool remember = false);
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
    /// Generates the parameter form of `model`, keeping the values of the keys it shares with
    /// the previous model.
    void buildForm(const std::string& model);
    void resetChart();
    void addEpochPoint(const EpochStats& e);
    QLineSeries* seriesFor(const std::string& key);
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
    QLabel* modelInfo_;
    QLineEdit* runName_;
    QSpinBox* processes_;
    QString cliPath_;
    std::string formModel_;
    std::map<std::string, QFormLayout*> groupForms_;  ///< by parameter group
    std::map<std::string, QWidget*> editors_;         ///< by parameter key
    bool cudaAvailable_ = false;
    QPushButton* trainButton_;
    QPushButton* cancelButton_;
    QPushButton* reuseButton_;
    QProgressBar* epochBar_;
    QProgressBar* batchBar_;
    QLabel* status_;
    QChartView* chartView_;
    std::map<std::string, QLineSeries*> series_;  ///< by epoch metric key
    QValueAxis *xAxis_, *yAxis_;
    double yMax_ = 1;
    QTableWidget* runs_;
    QPlainTextEdit* manifest_;
};

}  // namespace mlad::ui
