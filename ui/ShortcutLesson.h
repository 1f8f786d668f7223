#pragma once
// The identical-shortcut lesson: trains (or reuses) two runs on one split, a shortcut-prone
// reconstruction model (full reconstruction, softmax attention, scored by reconstruction
// error) and MLAD with its defaults, then compares them and explains, from the measured
// numbers, where the reconstruction model's anomalies fall inside its normal range and MLAD's
// energy separates them, and how much each attends to the position itself. Where the shortcut
// does not show on the data, the explanation says so.
#include <QObject>
#include <QString>
#include <QStringList>

#include "CompareView.h"
#include "mlad/train/TrainConfig.h"

namespace mlad::ui {

class AttentionView;
class ProjectWorker;
class TrainingPanel;

class ShortcutLesson : public QObject {
    Q_OBJECT
  public:
    ShortcutLesson(TrainingPanel* training, CompareView* compare, AttentionView* attention,
                   QObject* parent = nullptr);
    ~ShortcutLesson() override;

    /// Starts on `split` of the project at `projectPath`; false (with finished(false, why))
    /// when it cannot start.
    bool start(const QString& projectPath, const QString& split);
    bool isRunning() const { return running_; }
    /// The split of the last start().
    QString split() const { return split_; }

    static QString shortcutRunName(const QString& split);
    static QString mladRunName(const QString& split);
    static TrainConfig shortcutConfig();
    static TrainConfig mladConfig();
    /// The explanation panel's text, from the two runs' measured summaries.
    static QString explain(const CompareView::RunSummary& shortcut,
                           const CompareView::RunSummary& mlad);

  Q_SIGNALS:
    /// e.g. "training shortcut-demo-hdfs (1 of 2)".
    void progress(const QString& what);
    void finished(bool ok, const QString& message);

  private:
    void trainNext();
    void fail(const QString& why);

    TrainingPanel* training_;
    CompareView* compare_;
    AttentionView* attention_;
    std::unique_ptr<ProjectWorker> worker_;
    QString split_, current_;
    QList<QPair<QString, TrainConfig>> pending_;
    int total_ = 0;
    bool running_ = false;
    QMetaObject::Connection trainConn_, compareConn_, compareFailConn_;
};

}  // namespace mlad::ui
