#pragma once
// The workbench window: projects (new / open / recent / demo), a systems list on the left, and
// the Templates, Sequences, Training and Results views. Long jobs run on TaskRunners with their
// progress in the status bar; errors appear in a banner with core's message.
#include <QMainWindow>

#include <memory>

#include "demo/DemoGenerator.h"

class QLabel;
class QListWidget;
class QMenu;
class QProgressBar;
class QTabWidget;
class QToolButton;

namespace mlad::ui {

class ErrorBanner;
class ImportWizard;
class ProjectWorker;
class ResultsView;
class ProjectionView;
class SequenceBrowser;
class AttentionView;
class CompareView;
class ShortcutLesson;
class TaskRunner;
class TemplateExplorer;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    enum Tab {
        TemplatesTab,
        SequencesTab,
        TrainingTab,
        ResultsTab,
        AttentionTab,
        ProjectionTab,
        CompareTab
    };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Opens (creating when missing) a project; errors go to the banner. True on success.
    bool openProject(const QString& path);
    void closeProject();
    QString projectPath() const { return path_; }
    /// Opens the demo project at `path`, generating and importing the demo logs (and building
    /// their sequences and splits) in the background the first time.
    void openDemoProject(const QString& path, const demo::DemoOptions& options = {});
    /// The default demo project location (under the user's data directory).
    static QString defaultDemoPath();
    ImportWizard* showImportWizard();
    void selectSystem(int64_t systemId);
    int64_t currentSystem() const { return currentSystem_; }
    QStringList recentProjects() const;
    /// Grabs every view into DIR/<name>.png (for docs/screenshots); returns the files written.
    QStringList saveScreenshots(const QString& dir);

    QTabWidget* tabs() const { return tabs_; }
    TemplateExplorer* templateExplorer() const { return templates_; }
    SequenceBrowser* sequenceBrowser() const { return sequences_; }
    TrainingPanel* trainingPanel() const { return training_; }
    ResultsView* resultsView() const { return results_; }
    ProjectionView* projectionView() const { return projection_; }
    AttentionView* attentionView() const { return attention_; }
    CompareView* compareView() const { return compare_; }
    ShortcutLesson* shortcutLesson() const { return lesson_; }
    /// Starts the identical-shortcut lesson on the current (or the demo's) split.
    bool startShortcutLesson();
    /// Whether opening the demo trains its runs when it has none (default true).
    void setTrainDemoRuns(bool on) { trainDemoRuns_ = on; }
    ErrorBanner* errorBanner() const { return banner_; }
    QListWidget* systemsList() const { return systems_; }
    TaskRunner* taskRunner() const { return task_.get(); }
    ImportWizard* importWizard() const { return wizard_; }

  public Q_SLOTS:
    void refreshAll();
    void showError(const QString& message);

  Q_SIGNALS:
    void projectOpened(const QString& path);
    void systemsLoaded(int count);
    void demoReady(const QString& path);
    /// After demoReady: the demo's runs exist (trained now on first open, or found).
    void demoRunsReady(bool ok);

  protected:
    void closeEvent(QCloseEvent* e) override;

  private:
    void createActions();
    void newProjectDialog();
    void openProjectDialog();
    void openDemoDialog();
    void rebuildRecentMenu();
    void addRecent(const QString& path);
    void loadSystems();
    void updateTitle();
    void startTask(const QString& title);
    void ensureDemoRuns();

    QString path_;
    int64_t currentSystem_ = 0;
    quint64 generation_ = 0;
    std::unique_ptr<ProjectWorker> worker_;
    std::unique_ptr<TaskRunner> task_;

    ErrorBanner* banner_;
    QListWidget* systems_;
    QTabWidget* tabs_;
    TemplateExplorer* templates_;
    SequenceBrowser* sequences_;
    TrainingPanel* training_;
    ResultsView* results_;
    ProjectionView* projection_;
    AttentionView* attention_;
    CompareView* compare_;
    ShortcutLesson* lesson_;
    bool trainDemoRuns_ = true;
    bool firstRunLesson_ = false;
    ImportWizard* wizard_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QLabel* pathLabel_;
    QLabel* countsLabel_;
    QLabel* taskLabel_;
    QProgressBar* taskBar_;
    QToolButton* taskCancel_;
    QList<QAction*> projectActions_;
};

}  // namespace mlad::ui
