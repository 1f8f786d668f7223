#pragma once
// A background thread with its own SQLite connection to one project. Views post read queries
// to it and get the results back on the GUI thread through queued calls; each view owns its
// worker (so a slow query in one view never delays another) and SQLite connections are never
// shared between threads. The destructor interrupts a running query and joins the thread.
#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>

#include "mlad/store/Project.h"

namespace mlad::ui {

class ProjectWorker : public QObject {
    Q_OBJECT
  public:
    /// Opens nothing yet: the connection is opened on the worker thread at the first query.
    explicit ProjectWorker(const QString& projectPath, QObject* parent = nullptr);
    ~ProjectWorker() override;

    const QString& projectPath() const { return path_; }

    /// Runs `fn(project)` on the worker thread. Exceptions are reported through error().
    void post(std::function<void(Project&)> fn);

    /// Runs `compute(project)` on the worker thread and then `deliver(result)` on `receiver`'s
    /// thread. Nothing is delivered when the receiver is gone; failures call `onError` (or
    /// emit error() when none is given).
    template <class Compute, class Deliver>
    void query(QObject* receiver, Compute compute, Deliver deliver,
               std::function<void(const QString&)> onError = {}) {
        using R = std::decay_t<std::invoke_result_t<Compute, Project&>>;
        QPointer<QObject> guard(receiver);
        QPointer<ProjectWorker> self(this);
        post([self, guard, compute = std::move(compute), deliver = std::move(deliver),
              onError = std::move(onError)](Project& p) mutable {
            QString failure;
            std::shared_ptr<R> result;
            try {
                result = std::make_shared<R>(compute(p));
            } catch (const std::exception& e) {
                failure = QString::fromStdString(e.what());
            }
            QObject* target = guard.data();
            if (!target) return;
            if (!result) {
                QMetaObject::invokeMethod(
                    target,
                    [self, failure, onError] {
                        if (onError)
                            onError(failure);
                        else if (self)
                            Q_EMIT self->error(failure);
                    },
                    Qt::QueuedConnection);
                return;
            }
            QMetaObject::invokeMethod(
                target, [result, deliver = std::move(deliver)]() mutable { deliver(*result); },
                Qt::QueuedConnection);
        });
    }

    /// Asks SQLite to abort the query running now (if any); it then fails with "interrupted".
    void interrupt();

  Q_SIGNALS:
    void error(const QString& message);

  private:
    void run(const std::function<void(Project&)>& fn);

    QString path_;
    QThread thread_;
    QObject* context_ = nullptr;  // lives on thread_
    std::atomic<bool> stopping_{false};
    std::mutex projectMutex_;  // guards project_ pointer for interrupt()
    std::unique_ptr<Project> project_;
};

}  // namespace mlad::ui
