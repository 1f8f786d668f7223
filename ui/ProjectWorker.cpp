#include "ProjectWorker.h"

namespace mlad::ui {

ProjectWorker::ProjectWorker(const QString& projectPath, QObject* parent)
    : QObject(parent), path_(projectPath) {
    context_ = new QObject;
    context_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, context_, &QObject::deleteLater);
    thread_.setObjectName(QStringLiteral("ProjectWorker"));
    thread_.start();
}

ProjectWorker::~ProjectWorker() {
    stopping_ = true;
    interrupt();
    thread_.quit();
    thread_.wait();
    // The connection belongs to the (now ended) worker thread; closing it here is safe.
    std::lock_guard<std::mutex> lock(projectMutex_);
    project_.reset();
}

void ProjectWorker::post(std::function<void(Project&)> fn) {
    QMetaObject::invokeMethod(
        context_, [this, fn = std::move(fn)] { run(fn); }, Qt::QueuedConnection);
}

void ProjectWorker::interrupt() {
    std::lock_guard<std::mutex> lock(projectMutex_);
    if (project_) project_->interrupt();
}

void ProjectWorker::run(const std::function<void(Project&)>& fn) {
    if (stopping_) return;
    try {
        if (!project_) {
            // Read-only where possible; a project whose WAL files are gone (no other connection
            // open) needs a read-write open to recreate them.
            std::unique_ptr<Project> p;
            try {
                p = Project::openReadOnly(path_.toStdString());
                p->systemCount();  // fails when the read-only open cannot read the file
            } catch (const std::exception&) {
                p = Project::open(path_.toStdString());
            }
            std::lock_guard<std::mutex> lock(projectMutex_);
            project_ = std::move(p);
        }
        fn(*project_);
    } catch (const std::exception& e) {
        if (stopping_) return;
        QString msg = QString::fromStdString(e.what());
        QMetaObject::invokeMethod(
            this, [this, msg] { Q_EMIT error(msg); }, Qt::QueuedConnection);
    }
}

}  // namespace mlad::ui
