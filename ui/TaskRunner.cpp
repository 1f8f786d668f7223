#include "TaskRunner.h"

#include <QLocale>
#include <QMetaObject>
#include <QPointer>

#include <cmath>
#include <exception>

namespace mlad::ui {

TaskRunner::TaskRunner(QObject* parent) : QObject(parent) {
    static const int registered = qRegisterMetaType<mlad::Progress>();
    (void)registered;
}

TaskRunner::~TaskRunner() {
    cancelAndWait();
}

bool TaskRunner::start(const QString& title, Job job, std::function<void()> onSuccess) {
    if (running_) return false;
    join();  // a previous thread that has already reported may still be winding down
    running_ = true;
    title_ = title;
    QPointer<TaskRunner> self(this);
    // The progress callback runs on the worker thread: hand the snapshot to the GUI thread.
    // Events queued for a deleted runner are discarded by Qt, and the destructor joins first.
    shared_ = std::make_shared<Shared>([this](const Progress& p) {
        QMetaObject::invokeMethod(
            this, [this, p] { Q_EMIT progressed(p); }, Qt::QueuedConnection);
    });
    auto shared = shared_;
    Q_EMIT started(title);
    thread_ = std::thread([this, shared, job = std::move(job), onSuccess = std::move(onSuccess)] {
        enum class Outcome { Ok, Cancelled, Failed } outcome = Outcome::Ok;
        QString error;
        try {
            job(shared->ctx);
            if (shared->ctx.isCancelled()) outcome = Outcome::Cancelled;
        } catch (const Cancelled&) {
            outcome = Outcome::Cancelled;
        } catch (const std::exception& e) {
            outcome = Outcome::Failed;
            error = QString::fromStdString(e.what());
        } catch (...) {
            outcome = Outcome::Failed;
            error = tr("unknown error");
        }
        QMetaObject::invokeMethod(
            this,
            [this, outcome, error, onSuccess] {
                running_ = false;
                join();
                switch (outcome) {
                    case Outcome::Ok:
                        if (onSuccess) onSuccess();
                        Q_EMIT succeeded();
                        break;
                    case Outcome::Cancelled:
                        Q_EMIT cancelled();
                        break;
                    case Outcome::Failed:
                        Q_EMIT failed(error);
                        break;
                }
                Q_EMIT finished();
            },
            Qt::QueuedConnection);
    });
    return true;
}

void TaskRunner::cancel() {
    if (shared_) shared_->ctx.cancel();
}

void TaskRunner::cancelAndWait() {
    cancel();
    join();
}

void TaskRunner::join() {
    if (thread_.joinable()) thread_.join();
}

QString formatDuration(double seconds) {
    if (!(seconds >= 0) || std::isinf(seconds)) return QStringLiteral("?");
    auto s = qint64(std::llround(seconds));
    qint64 h = s / 3600, m = (s / 60) % 60, sec = s % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3")
            .arg(h)
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(sec, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
}

QString describeProgress(const Progress& p, const QString& unit) {
    QLocale loc;
    QStringList parts;
    if (!p.stage.empty()) parts << QString::fromStdString(p.stage);
    if (p.total > 0)
        parts << QStringLiteral("%1 / %2 %3")
                     .arg(loc.toString(qulonglong(p.done)), loc.toString(qulonglong(p.total)),
                          unit);
    else if (p.done > 0)
        parts << QStringLiteral("%1 %2").arg(loc.toString(qulonglong(p.done)), unit);
    if (p.bytesTotal > 0)
        parts << QStringLiteral("%1 / %2 MB")
                     .arg(double(p.bytesDone) / 1e6, 0, 'f', 1)
                     .arg(double(p.bytesTotal) / 1e6, 0, 'f', 1);
    if (p.etaSeconds >= 0) parts << QStringLiteral("ETA %1").arg(formatDuration(p.etaSeconds));
    parts << QStringLiteral("elapsed %1").arg(formatDuration(p.elapsedSeconds));
    return parts.join(QStringLiteral(" · "));
}

}  // namespace mlad::ui
