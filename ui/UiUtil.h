#pragma once
// Small formatting helpers shared by the views.
#include <QDateTime>
#include <QLocale>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>

#include "mlad/store/Runs.h"

namespace mlad::ui {

inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

/// Milliseconds since the epoch as "yyyy-MM-dd HH:mm:ss" (UTC), or "" when absent.
inline QString formatTs(const std::optional<int64_t>& ms) {
    if (!ms) return {};
    return QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC)
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

/// A time span in the largest unit that fits: "250 ms", "12 s", "5 min", "3 h", "2 d".
inline QString humanSpan(int64_t ms) {
    if (ms < 1000) return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000) return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'g', 3);
    if (ms < 3600000) return QStringLiteral("%1 min").arg(double(ms) / 60000.0, 0, 'g', 3);
    if (ms < 86400000) return QStringLiteral("%1 h").arg(double(ms) / 3600000.0, 0, 'g', 3);
    return QStringLiteral("%1 d").arg(double(ms) / 86400000.0, 0, 'g', 3);
}

/// Names of the runs that finished (only they have test scores), in listRuns order. Call on a
/// worker thread (ProjectWorker::query).
inline QStringList finishedRunNames(Project& project) {
    QStringList names;
    for (const auto& r : listRuns(project))
        if (r.status == "done") names << QString::fromStdString(r.name);
    return names;
}

inline QString formatCount(uint64_t n) {
    return QLocale().toString(qulonglong(n));
}

/// "label" column text for -1 / 0 / 1 style labels.
inline QString labelText(int label) {
    if (label == 1) return QStringLiteral("anomalous");
    if (label == 0) return QStringLiteral("normal");
    return QStringLiteral("?");
}

}  // namespace mlad::ui
