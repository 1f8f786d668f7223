#include "ProjectionView.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRubberBand>
#include <QSpinBox>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "LinesDialog.h"
#include "TaskRunner.h"
#include "mlad/store/Project.h"
#include "mlad/train/Evaluate.h"
#include "mlad/train/Trainer.h"
#include "mlad/tsne/Tsne.h"

namespace mlad::ui {

// ---- ScatterPlot -----------------------------------------------------------------------------

ScatterPlot::ScatterPlot(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("projectionPlot"));
    setMouseTracking(true);
    setMinimumSize(360, 300);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    rubber_ = new QRubberBand(QRubberBand::Rectangle, this);
}

void ScatterPlot::setPoints(std::vector<Point> points) {
    points_ = std::move(points);
    xy_.clear();
    selection_.clear();
    update();
    Q_EMIT selectionChanged();
}

void ScatterPlot::setLayoutXY(const std::vector<double>& xy) {
    if (xy.size() != 2 * points_.size() || points_.empty()) return;
    xy_ = xy;
    x0_ = y0_ = std::numeric_limits<double>::infinity();
    x1_ = y1_ = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < points_.size(); ++i) {
        x0_ = std::min(x0_, xy_[2 * i]);
        x1_ = std::max(x1_, xy_[2 * i]);
        y0_ = std::min(y0_, xy_[2 * i + 1]);
        y1_ = std::max(y1_, xy_[2 * i + 1]);
    }
    if (!(x1_ > x0_)) x1_ = x0_ + 1e-9;
    if (!(y1_ > y0_)) y1_ = y0_ + 1e-9;
    update();
}

void ScatterPlot::setThreshold(double t) {
    threshold_ = t;
    update();
}

ScatterPlot::Class ScatterPlot::classOf(int i) const {
    const Point& p = points_[size_t(i)];
    const bool flagged = p.score >= threshold_;
    if (p.label == 1) return flagged ? Anomaly : FalseNegative;
    if (p.label == 0) return flagged ? FalsePositive : Normal;
    return flagged ? FlaggedUnlabelled : Unlabelled;
}

std::array<int, ScatterPlot::kClasses> ScatterPlot::classCounts() const {
    std::array<int, kClasses> c{};
    for (int i = 0; i < pointCount(); ++i) ++c[size_t(classOf(i))];
    return c;
}

QColor ScatterPlot::colourOf(Class c) {
    switch (c) {
        case Normal:
            return QColor(0x8d, 0xa9, 0xc4);
        case Anomaly:
            return QColor(0xd6, 0x27, 0x28);
        case FalsePositive:
            return QColor(0xff, 0x7f, 0x0e);
        case FalseNegative:
            return QColor(0x6a, 0x3d, 0x9a);
        case Unlabelled:
            return QColor(0xb0, 0xb0, 0xb0);
        case FlaggedUnlabelled:
            return QColor(0x20, 0x20, 0x20);
    }
    return Qt::black;
}

QString ScatterPlot::nameOf(Class c) {
    switch (c) {
        case Normal:
            return tr("normal");
        case Anomaly:
            return tr("anomaly, flagged");
        case FalsePositive:
            return tr("false positive");
        case FalseNegative:
            return tr("false negative");
        case Unlabelled:
            return tr("unlabelled");
        case FlaggedUnlabelled:
            return tr("unlabelled, flagged");
    }
    return {};
}

QRectF ScatterPlot::plotRect() const {
    return QRectF(rect()).adjusted(12, 12, -12, -12);
}

QPointF ScatterPlot::screenPos(int i) const {
    const QRectF r = plotRect();
    // Equal scales on both axes: t-SNE distances mean the same in x and y.
    const double s = std::min(r.width() / (x1_ - x0_), r.height() / (y1_ - y0_));
    const double cx = (x0_ + x1_) / 2, cy = (y0_ + y1_) / 2;
    return {r.center().x() + (xy_[2 * size_t(i)] - cx) * s,
            r.center().y() - (xy_[2 * size_t(i) + 1] - cy) * s};
}

int ScatterPlot::pointAt(const QPointF& pos) const {
    if (!hasLayout()) return -1;
    int best = -1;
    double bestD = 36.0;  // 6 px
    for (int i = 0; i < pointCount(); ++i) {
        const QPointF d = screenPos(i) - pos;
        const double d2 = d.x() * d.x() + d.y() * d.y();
        if (d2 <= bestD) {
            bestD = d2;
            best = i;
        }
    }
    return best;
}

void ScatterPlot::selectRect(const QRectF& r) {
    selection_.clear();
    if (hasLayout())
        for (int i = 0; i < pointCount(); ++i)
            if (r.contains(screenPos(i))) selection_.push_back(i);
    update();
    Q_EMIT selectionChanged();
}

ScatterPlot::Sprite ScatterPlot::discSprite(const QColor& colour, double radius) {
    Sprite s;
    s.size = int(std::ceil(2.0 * radius)) + 2;
    s.pixels.assign(size_t(s.size) * size_t(s.size), 0u);
    const double centre = s.size / 2.0;
    for (int y = 0; y < s.size; ++y)
        for (int x = 0; x < s.size; ++x) {
            // Coverage of the pixel by the disc, 4 x 4 samples.
            int inside = 0;
            for (int sy = 0; sy < 4; ++sy)
                for (int sx = 0; sx < 4; ++sx) {
                    const double dx = x + (sx + 0.5) / 4.0 - centre;
                    const double dy = y + (sy + 0.5) / 4.0 - centre;
                    inside += dx * dx + dy * dy <= radius * radius;
                }
            const double a = inside / 16.0;
            const auto ch = [a](int v) { return uint32_t(std::lround(v * a)); };
            s.pixels[size_t(y) * size_t(s.size) + size_t(x)] =
                (uint32_t(std::lround(255 * a)) << 24) | (ch(colour.red()) << 16) |
                (ch(colour.green()) << 8) | ch(colour.blue());
        }
    return s;
}

void ScatterPlot::blendSprite(QImage& img, const Sprite& s, int left, int top) {
    const int w = img.width(), h = img.height();
    for (int y = 0; y < s.size; ++y) {
        const int iy = top + y;
        if (iy < 0 || iy >= h) continue;
        auto* row = reinterpret_cast<uint32_t*>(img.scanLine(iy));
        const uint32_t* src = s.pixels.data() + size_t(y) * size_t(s.size);
        for (int x = 0; x < s.size; ++x) {
            const int ix = left + x;
            const uint32_t sp = src[x];
            const uint32_t sa = sp >> 24;
            if (ix < 0 || ix >= w || sa == 0) continue;
            if (sa == 255) {
                row[ix] = sp;  // the disc's opaque interior
                continue;
            }
            // Premultiplied "source over", d = s + d * (1 - sa), two channels per multiply
            // (Qt's BYTE_MUL): red/blue and alpha/green.
            const uint32_t d = row[ix], inv = 255 - sa;
            uint32_t rb = (d & 0x00ff00ffu) * inv + 0x00800080u;
            rb = ((rb + ((rb >> 8) & 0x00ff00ffu)) >> 8) & 0x00ff00ffu;
            uint32_t ag = ((d >> 8) & 0x00ff00ffu) * inv + 0x00800080u;
            ag = (ag + ((ag >> 8) & 0x00ff00ffu)) & 0xff00ff00u;
            row[ix] = sp + (rb | ag);
        }
    }
}

void ScatterPlot::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    p.setPen(QColor(0xcc, 0xcc, 0xcc));
    p.drawRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5));
    if (!hasLayout()) {
        p.setPen(QColor(0x55, 0x55, 0x55));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   points_.empty()
                       ? tr("No projection yet.\nSelect a run in Results, then press "
                            "\"Compute projection\".")
                       : tr("Computing the layout of %1 sequences…").arg(points_.size()));
        return;
    }
    // Points are blended as pre-rendered antialiased discs straight into an image: QPainter's
    // wide antialiased points cost ~3 us each (100,000 points: ~330 ms a repaint), the blend
    // ~0.1 us. Normal points first, the rarer classes on top.
    const qreal dpr = devicePixelRatioF();
    QImage layer((QSizeF(size()) * dpr).toSize(), QImage::Format_ARGB32_Premultiplied);
    layer.fill(Qt::transparent);
    const Class order[] = {Normal,        Unlabelled,    FlaggedUnlabelled,
                           FalsePositive, FalseNegative, Anomaly};
    std::array<std::vector<int>, kClasses> byClass;
    for (int i = 0; i < pointCount(); ++i) byClass[size_t(classOf(i))].push_back(i);
    for (Class c : order) {
        const bool rare = c != Normal && c != Unlabelled;
        const Sprite sprite = discSprite(colourOf(c), (rare ? 3.0 : 2.25) * dpr);
        for (int i : byClass[size_t(c)]) {
            const QPointF pos = screenPos(i) * dpr;
            blendSprite(layer, sprite, int(std::lround(pos.x() - sprite.size / 2.0)),
                        int(std::lround(pos.y() - sprite.size / 2.0)));
        }
    }
    layer.setDevicePixelRatio(dpr);
    p.drawImage(QPointF(0, 0), layer);
    p.setRenderHint(QPainter::Antialiasing);
    if (!selection_.empty()) {
        p.setPen(QPen(Qt::black, 1.2));
        p.setBrush(Qt::NoBrush);
        for (int i : selection_) p.drawEllipse(screenPos(i), 4.5, 4.5);
    }
}

void ScatterPlot::mouseMoveEvent(QMouseEvent* e) {
    if (dragging_) {
        rubber_->setGeometry(QRect(pressPos_, e->pos()).normalized());
        if (!rubber_->isVisible() && (e->pos() - pressPos_).manhattanLength() > 4) rubber_->show();
        return;
    }
    const int i = pointAt(e->position());
    if (i < 0) {
        QToolTip::hideText();
        return;
    }
    const Point& pt = points_[size_t(i)];
    const QString label = pt.label == 1   ? tr("anomalous")
                          : pt.label == 0 ? tr("normal")
                                          : tr("unknown");
    QToolTip::showText(e->globalPosition().toPoint(),
                       tr("sequence %1\nlabel: %2\nscore: %3\n%4\nclick to open its lines")
                           .arg(pt.id)
                           .arg(label)
                           .arg(pt.score, 0, 'g', 6)
                           .arg(nameOf(classOf(i))),
                       this);
}

void ScatterPlot::mousePressEvent(QMouseEvent* e) {
    if (e->button() != Qt::LeftButton) return;
    pressPos_ = e->pos();
    dragging_ = true;
    rubber_->setGeometry(QRect(pressPos_, QSize()));
}

void ScatterPlot::mouseReleaseEvent(QMouseEvent* e) {
    if (!dragging_ || e->button() != Qt::LeftButton) return;
    dragging_ = false;
    rubber_->hide();
    if ((e->pos() - pressPos_).manhattanLength() <= 4) {
        const int i = pointAt(e->position());
        if (i >= 0)
            Q_EMIT pointActivated(points_[size_t(i)].id);
        else if (!selection_.empty())
            selectRect(QRectF());
        return;
    }
    selectRect(QRectF(QRect(pressPos_, e->pos()).normalized()));
}

// ---- ProjectionView --------------------------------------------------------------------------

ProjectionView::ProjectionView(QWidget* parent)
    : QWidget(parent), runner_(std::make_unique<TaskRunner>()) {
    plot_ = new ScatterPlot(this);
    sample_ = new QSpinBox(this);
    sample_->setObjectName(QStringLiteral("projectionSample"));
    sample_->setRange(10, 200000);
    sample_->setSingleStep(1000);
    sample_->setValue(10000);
    sample_->setToolTip(tr("At most this many test sequences (a seeded sample)"));
    iterations_ = new QSpinBox(this);
    iterations_->setObjectName(QStringLiteral("projectionIterations"));
    iterations_->setRange(50, 5000);
    iterations_->setSingleStep(250);
    iterations_->setValue(1000);
    compute_ = new QPushButton(tr("Compute projection"), this);
    compute_->setObjectName(QStringLiteral("projectionCompute"));
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setEnabled(false);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(240);
    status_ = new QLabel(tr("No run selected: train one, then pick it in Results."), this);
    status_->setWordWrap(true);
    legend_ = new QLabel(this);
    legend_->setTextFormat(Qt::RichText);
    legend_->setWordWrap(true);
    selected_ = new QListWidget(this);
    selected_->setObjectName(QStringLiteral("projectionSelection"));
    selected_->setToolTip(
        tr("Drag a rectangle on the plot to list sequences; double-click one "
           "to open its lines"));

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Sequences:"), this));
    controls->addWidget(sample_);
    controls->addWidget(new QLabel(tr("Iterations:"), this));
    controls->addWidget(iterations_);
    controls->addWidget(compute_);
    controls->addWidget(cancel_);
    controls->addWidget(progress_);
    controls->addStretch(1);

    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(legend_);
    sideLayout->addWidget(new QLabel(tr("Selected sequences (drag a rectangle):"), side));
    sideLayout->addWidget(selected_, 1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(plot_);
    split->addWidget(side);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(status_);
    layout->addWidget(split, 1);

    connect(compute_, &QPushButton::clicked, this, [this] { compute(); });
    connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
    connect(plot_, &ScatterPlot::pointActivated, this, [this](qint64 id) {
        openSequence(id);
        Q_EMIT sequenceActivated(id);
    });
    connect(plot_, &ScatterPlot::selectionChanged, this, [this] { updateSelectionList(); });
    connect(selected_, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { openSequence(item->data(Qt::UserRole).toLongLong()); });
    connect(runner_.get(), &TaskRunner::progressed, this, [this](const Progress& p) {
        if (p.stage == "optimising" && p.total > 0) {
            progress_->setValue(int(1000 * p.done / p.total));
            status_->setText(tr("t-SNE of %1 sequences of run %2: iteration %3 / %4")
                                 .arg(plot_->pointCount())
                                 .arg(run_)
                                 .arg(p.done)
                                 .arg(p.total));
        } else {
            status_->setText(tr("Run %1: %2…").arg(run_, QString::fromStdString(p.stage)));
        }
    });
    connect(runner_.get(), &TaskRunner::failed, this, [this](const QString& m) {
        status_->setText(tr("The projection failed: %1").arg(m));
        Q_EMIT errorOccurred(tr("Projection: %1").arg(m));
    });
    connect(runner_.get(), &TaskRunner::cancelled, this,
            [this] { status_->setText(tr("Projection cancelled.")); });
    connect(runner_.get(), &TaskRunner::finished, this, [this] {
        compute_->setEnabled(!run_.isEmpty());
        cancel_->setEnabled(false);
        if (restartPending_) {
            // The run changed while a projection was computing: it starts over for the new
            // run once the old job has ended.
            restartPending_ = false;
            compute();
        }
    });
    compute_->setEnabled(false);
    updateLegend();
}

ProjectionView::~ProjectionView() {
    runner_->cancelAndWait();
}

void ProjectionView::setProjectPath(const QString& path) {
    runner_->cancelAndWait();
    path_ = path;
    setRun(QString(), 0.0);
}

void ProjectionView::setRun(const QString& runName, double threshold) {
    if (runName == run_) {
        setThreshold(threshold);
        return;
    }
    // A projection under way was asked for: it starts over for the new run (when the runner
    // reports the old job finished).
    restartPending_ = runner_->isRunning() && !runName.isEmpty();
    runner_->cancelAndWait();
    ++generation_;
    run_ = runName;
    threshold_ = threshold;
    plot_->setThreshold(threshold);
    plot_->setPoints({});
    progress_->setValue(0);
    compute_->setEnabled(!run_.isEmpty());
    status_->setText(run_.isEmpty()
                         ? tr("No run selected: train one, then pick it in Results.")
                         : tr("Run %1: press \"Compute projection\" for a t-SNE map of its test "
                              "sequences.")
                               .arg(run_));
    updateLegend();
}

void ProjectionView::setThreshold(double t) {
    threshold_ = t;
    plot_->setThreshold(t);
    updateLegend();
}

bool ProjectionView::isComputing() const {
    return runner_->isRunning();
}

void ProjectionView::cancel() {
    runner_->cancel();
}

bool ProjectionView::compute() {
    if (run_.isEmpty() || path_.isEmpty() || runner_->isRunning()) return false;
    const std::string path = path_.toStdString(), run = run_.toStdString();
    const int sample = sample_->value(), iters = iterations_->value();
    const quint64 gen = ++generation_;
    plot_->setPoints({});
    progress_->setValue(0);
    // Posts `fn(view)` to the GUI thread; dropped when a newer projection has started since. The
    // runner joins its thread before this view is destroyed, so `this` outlives every post.
    auto post = [this, gen](auto fn) {
        QMetaObject::invokeMethod(
            this,
            [this, gen, fn = std::move(fn)]() mutable {
                if (gen == generation_) fn(this);
            },
            Qt::QueuedConnection);
    };
    auto job = [path, run, sample, iters, post](TaskContext& ctx) {
        Progress prog;
        prog.stage = "representing the test sequences";
        ctx.report(prog, true);
        auto project = Project::openReadOnly(path);
        auto r = findRun(*project, run);
        if (!r) throw std::runtime_error("no run named '" + run + "'");
        const RunScores sc = loadRunScores(*project, r->id);
        std::vector<size_t> order(sc.testIds.size());
        std::iota(order.begin(), order.end(), size_t(0));
        if (order.size() > size_t(sample)) {
            std::mt19937_64 rng(1);
            std::shuffle(order.begin(), order.end(), rng);
            order.resize(size_t(sample));
            std::sort(order.begin(), order.end());
        }
        std::vector<int64_t> ids;
        std::map<int64_t, size_t> at;
        for (size_t k : order) {
            ids.push_back(sc.testIds[k]);
            at[sc.testIds[k]] = k;
        }
        Representations rep;
        try {
            rep = representationsOf(*project, run, ids);
        } catch (const std::invalid_argument& e) {
            // The run's detector has no representation (DeepLog, the classic baselines): the
            // view says so instead of failing.
            const QString why = QString::fromStdString(e.what());
            post([why](ProjectionView* v) {
                v->status_->setText(
                    tr("No projection for this run: %1. Projections need a detector with a "
                       "sequence representation, such as MLAD.")
                        .arg(why));
            });
            return;
        }
        ctx.checkCancelled();
        if (rep.ids.size() < 4)
            throw std::runtime_error("the run has fewer than 4 test sequences to project");
        std::vector<ScatterPlot::Point> pts;
        tsne::Matrix x;
        x.n = int64_t(rep.ids.size());
        x.d = int64_t(rep.vectors.front().size());
        for (size_t i = 0; i < rep.ids.size(); ++i) {
            const size_t k = at.at(rep.ids[i]);
            const uint8_t label = sc.testLabels[k];
            pts.push_back({rep.ids[i], label > 1 ? -1 : int(label), sc.testScores[k]});
            x.data.insert(x.data.end(), rep.vectors[i].begin(), rep.vectors[i].end());
        }
        const int n = int(pts.size());
        post([pts = std::move(pts)](ProjectionView* v) mutable {
            v->plot_->setPoints(std::move(pts));
        });
        tsne::Options o;
        o.iterations = iters;
        o.exaggerationIters = std::min(250, iters);
        o.perplexity = std::min(30.0, std::floor(double(n - 1) / 3.0));
        o.seed = 1;
        o.layoutEvery = 10;  // the map animates while it settles
        o.onLayout = [post](int, const std::vector<double>& y) {
            post([y](ProjectionView* v) { v->plot_->setLayoutXY(y); });
        };
        o.onKl = [post, iters](int it, double kl) {
            if (it < iters) return;
            post([kl, it](ProjectionView* v) {
                v->status_->setText(tr("t-SNE of %1 sequences of run %2: %3 iterations, KL "
                                       "divergence %4. Hover a point for its sequence, click to "
                                       "open it, drag a rectangle to list sequences.")
                                        .arg(v->plot_->pointCount())
                                        .arg(v->run_)
                                        .arg(it)
                                        .arg(kl, 0, 'f', 3));
            });
        };
        tsne::run(x, o, &ctx);
    };
    compute_->setEnabled(false);
    cancel_->setEnabled(true);
    return runner_->start(
        tr("Projecting %1").arg(run_), [job = std::move(job)](TaskContext& ctx) { job(ctx); },
        [this, gen] {
            if (gen != generation_) return;
            progress_->setValue(1000);
            updateLegend();
            Q_EMIT projectionFinished(plot_->pointCount());
        });
}

void ProjectionView::updateLegend() {
    const auto counts = plot_->classCounts();
    QString html = tr("<b>At threshold %1</b><br>").arg(threshold_, 0, 'g', 6);
    for (int c = 0; c < ScatterPlot::kClasses; ++c) {
        const auto cls = ScatterPlot::Class(c);
        if (counts[size_t(c)] == 0 &&
            (cls == ScatterPlot::Unlabelled || cls == ScatterPlot::FlaggedUnlabelled))
            continue;
        html += QStringLiteral("<span style=\"color:%1; font-size:14pt\">&#9679;</span> %2: %3<br>")
                    .arg(ScatterPlot::colourOf(cls).name(), ScatterPlot::nameOf(cls))
                    .arg(counts[size_t(c)]);
    }
    legend_->setText(html);
}

void ProjectionView::updateSelectionList() {
    selected_->clear();
    for (int i : plot_->selection()) {
        const auto& p = plot_->point(i);
        auto* item = new QListWidgetItem(tr("%1 · %2 · score %3")
                                             .arg(p.id)
                                             .arg(ScatterPlot::nameOf(plot_->classOf(i)))
                                             .arg(p.score, 0, 'g', 5),
                                         selected_);
        item->setData(Qt::UserRole, QVariant::fromValue<qint64>(p.id));
        item->setForeground(ScatterPlot::colourOf(plot_->classOf(i)).darker(120));
    }
}

LinesDialog* ProjectionView::openSequence(qint64 id) {
    if (path_.isEmpty()) return nullptr;
    auto* dialog = new LinesDialog(path_, id, tr("Sequence %1 — raw lines").arg(id), this, run_);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

}  // namespace mlad::ui
