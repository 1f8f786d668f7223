#include "ShortcutLesson.h"

#include <QComboBox>

#include <cmath>
#include <memory>

#include "AttentionView.h"
#include "ProjectWorker.h"
#include "TrainingPanel.h"
#include "UiUtil.h"
#include "mlad/store/Runs.h"

namespace mlad::ui {

namespace {
QString num(double v, int decimals = 2) {
    return std::isnan(v) ? QStringLiteral("n/a") : QString::number(v, 'f', decimals);
}
QString pct(double v) {
    return std::isnan(v) ? QStringLiteral("n/a") : QStringLiteral("%1 %").arg(v * 100.0, 0, 'f', 0);
}
}  // namespace

ShortcutLesson::ShortcutLesson(TrainingPanel* training, CompareView* compare,
                               AttentionView* attention, QObject* parent)
    : QObject(parent), training_(training), compare_(compare), attention_(attention) {}

ShortcutLesson::~ShortcutLesson() = default;

QString ShortcutLesson::shortcutRunName(const QString& split) {
    return QStringLiteral("shortcut-%1").arg(split);
}

QString ShortcutLesson::mladRunName(const QString& split) {
    return QStringLiteral("mlad-%1").arg(split);
}

TrainConfig ShortcutLesson::shortcutConfig() {
    // Rebuilds its whole input from attention that may look at the position itself, and is
    // scored by how well it does so: the setting in which a model can learn to copy.
    TrainConfig c = TrainConfig::defaults("mlad");
    c.set("recon", "full").set("ablation", "w/o-gmm").set("alpha", 1.0).set("epochs", 5);
    return c;
}

TrainConfig ShortcutLesson::mladConfig() {
    TrainConfig c = TrainConfig::defaults("mlad");
    c.set("epochs", 5);
    return c;
}

bool ShortcutLesson::start(const QString& projectPath, const QString& split) {
    if (running_) return false;
    if (projectPath.isEmpty() || split.isEmpty()) {
        Q_EMIT finished(false, tr("The lesson needs a project with a split (the demo project "
                                  "has one: demo-hdfs)."));
        return false;
    }
    if (training_->isTraining()) {
        Q_EMIT finished(false, tr("A training is running; start the lesson when it is done."));
        return false;
    }
    running_ = true;
    split_ = split;
    worker_ = std::make_unique<ProjectWorker>(projectPath);
    const QString a = shortcutRunName(split), b = mladRunName(split);
    Q_EMIT progress(tr("Looking for earlier lesson runs…"));
    worker_->query(
        this, [](Project& p) { return finishedRunNames(p); },
        [this, a, b](const QStringList& done) {
            pending_.clear();
            if (!done.contains(a)) pending_.append({a, shortcutConfig()});
            if (!done.contains(b)) pending_.append({b, mladConfig()});
            total_ = int(pending_.size());
            trainNext();
        },
        [this](const QString& m) { fail(m); });
    return true;
}

void ShortcutLesson::trainNext() {
    QObject::disconnect(trainConn_);
    if (!pending_.isEmpty()) {
        const auto [name, cfg] = pending_.takeFirst();
        current_ = name;
        Q_EMIT progress(tr("Training %1 (%2 of %3; progress in the Training tab)…")
                            .arg(name)
                            .arg(total_ - int(pending_.size()))
                            .arg(total_));
        trainConn_ =
            connect(training_, &TrainingPanel::trainingFinished, this,
                    [this](const QString& run, const QString& status) {
                        if (run != current_) return;
                        if (status == QStringLiteral("finished"))
                            trainNext();
                        else
                            fail(tr("training %1 %2: %3").arg(run, status, training_->lastError()));
                    });
        if (!training_->startRun(split_, name, cfg)) fail(tr("cannot start training %1").arg(name));
        return;
    }
    // Both runs exist: compare them.
    const QString a = shortcutRunName(split_), b = mladRunName(split_);
    Q_EMIT progress(tr("Comparing %1 with %2…").arg(a, b));
    QObject::disconnect(compareConn_);
    QObject::disconnect(compareFailConn_);
    compareFailConn_ = connect(compare_, &CompareView::compareFailed, this,
                               [this](const QString& why) { fail(why); });
    compareConn_ = connect(compare_, &CompareView::compared, this, [this, a, b](int n) {
        QObject::disconnect(compareConn_);
        QObject::disconnect(compareFailConn_);
        const auto& shown = compare_->shown();
        if (n != 2 || shown.size() != 2) {
            fail(tr("the comparison did not load"));
            return;
        }
        const auto& sc = shown[0].name == a ? shown[0] : shown[1];
        const auto& ml = shown[0].name == a ? shown[1] : shown[0];
        compare_->setExplanation(explain(sc, ml));
        // The attention of MLAD's top anomaly under both models, side by side.
        attention_->refresh();
        attention_->selectRun(a, b);
        if (ml.topAnomaly) attention_->showSequence(ml.topAnomaly);
        running_ = false;
        Q_EMIT finished(true, tr("Lesson ready: %1 beside %2.").arg(a, b));
    });
    compare_->refresh();
    compare_->compare({a, b});
}

void ShortcutLesson::fail(const QString& why) {
    QObject::disconnect(trainConn_);
    QObject::disconnect(compareConn_);
    QObject::disconnect(compareFailConn_);
    running_ = false;
    Q_EMIT finished(false, tr("The shortcut lesson stopped: %1").arg(why));
}

QString ShortcutLesson::explain(const CompareView::RunSummary& sc,
                                const CompareView::RunSummary& ml) {
    QString html = tr("<b>The identical shortcut.</b> <i>%1</i> rebuilds every position of a "
                      "sequence from attention that can look at the position itself, and scores a "
                      "sequence by its reconstruction error; <i>%2</i> (MLAD) masks positions, "
                      "uses sparse α-entmax attention and scores by the energy of a Gaussian "
                      "mixture over its representations. Both trained on the same split.<br>")
                       .arg(sc.name.toHtmlEscaped(), ml.name.toHtmlEscaped());
    const bool shows = !std::isnan(sc.prAuc) && !std::isnan(ml.prAuc) && sc.prAuc + 0.1 < ml.prAuc;
    if (shows) {
        html +=
            tr("<b>Here the shortcut shows.</b> %1 of the anomalies score inside the normal "
               "range of the reconstruction model (its normal sequences' 1st–99th "
               "percentile), %2 for MLAD; the histograms overlap %3 against %4; PR-AUC %5 "
               "against %6 (chance %7). ")
                .arg(pct(sc.inside), pct(ml.inside), num(sc.overlap), num(ml.overlap),
                     num(sc.prAuc, 3), num(ml.prAuc, 3))
                .arg(sc.sequences ? double(sc.anomalous) / double(sc.sequences) : NAN, 0, 'f', 3);
    } else {
        html += tr("<b>On this data the shortcut does not show:</b> the reconstruction model "
                   "separates the anomalies about as well as MLAD (PR-AUC %1 against %2; "
                   "histogram overlap %3 against %4; %5 and %6 of the anomalies inside the "
                   "normal range). ")
                    .arg(num(sc.prAuc, 3), num(ml.prAuc, 3), num(sc.overlap), num(ml.overlap),
                         pct(sc.inside), pct(ml.inside));
    }
    if (!std::isnan(sc.selfAttention) && !std::isnan(ml.selfAttention))
        html += tr("A position's attention to itself averages %1 in the reconstruction model "
                   "and %2 in MLAD (over %3 anomalous sequences; the Attention tab shows one "
                   "side by side)%4.")
                    .arg(num(sc.selfAttention), num(ml.selfAttention))
                    .arg(sc.attentionSamples)
                    .arg(sc.selfAttention > ml.selfAttention + 0.05
                             ? tr(": the reconstruction model leans on copying its input")
                             : QString());
    html +=
        tr("<br><small>These figures use the test labels to describe the runs; no threshold "
           "or setting was chosen with them.</small>");
    return html;
}

}  // namespace mlad::ui
