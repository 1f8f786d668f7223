#pragma once
// Runs one core job (a function taking a mlad::TaskContext) on its own thread. Progress reaches
// the GUI thread through queued signals; cancel() sets the job's cancel flag; the destructor
// cancels and waits, so an owner can simply delete its runner (klogg LogDataWorker style).
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <thread>

#include "mlad/task/Task.h"

Q_DECLARE_METATYPE(mlad::Progress)

namespace mlad::ui {

class TaskRunner : public QObject {
    Q_OBJECT
  public:
    using Job = std::function<void(TaskContext&)>;

    explicit TaskRunner(QObject* parent = nullptr);
    ~TaskRunner() override;

    /// Starts a job; returns false (and does nothing) while another job is running. Exceptions
    /// thrown by the job end it: mlad::Cancelled -> cancelled(), anything else -> failed(what).
    /// `onSuccess` runs on the GUI thread before succeeded() when the job returned normally.
    bool start(const QString& title, Job job, std::function<void()> onSuccess = {});
    void cancel();
    /// Cancels and blocks until the thread has ended (for destructors and tests).
    void cancelAndWait();
    bool isRunning() const { return running_; }
    const QString& title() const { return title_; }

  Q_SIGNALS:
    void started(const QString& title);
    void progressed(const mlad::Progress& progress);
    void succeeded();
    void failed(const QString& message);
    void cancelled();
    /// Always emitted last, whatever the outcome.
    void finished();

  private:
    void join();
    // State shared with the worker thread; it outlives this object if the thread is detached
    // (it never is: the destructor joins).
    struct Shared {
        TaskContext ctx;
        explicit Shared(TaskContext::ProgressFn fn) : ctx(std::move(fn), 0.05) {}
    };
    std::shared_ptr<Shared> shared_;
    std::thread thread_;
    bool running_ = false;
    QString title_;
};

/// Human-readable "12,345 / 100,000 lines · 3.2 / 40 MB · ETA 0:42" line for a Progress.
QString describeProgress(const Progress& p, const QString& unit = QStringLiteral("lines"));
/// "1:05:03" / "0:42" style duration.
QString formatDuration(double seconds);

}  // namespace mlad::ui
