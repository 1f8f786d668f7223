#include "AttentionView.h"

#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

#include "Export.h"
#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/store/Runs.h"
#include "mlad/train/Evaluate.h"
#include "mlad/viz/AttentionMath.h"

namespace mlad::ui {

namespace {
QString shortText(const std::string& s, int max = 90) {
    QString t = qs(s);
    return t.size() > max ? t.left(max - 1) + QStringLiteral("…") : t;
}
}  // namespace

// --- HeatmapWidget -----------------------------------------------------------------------

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void HeatmapWidget::setMap(std::vector<float> cells, int length, std::vector<int64_t> ids,
                           std::vector<std::string> texts, const QString& title) {
    cells_ = std::move(cells);
    length_ = length;
    ids_ = std::move(ids);
    texts_ = std::move(texts);
    // The ramp's dark end: the map's largest weight, but at least 4x the uniform weight 1/L,
    // so that near-uniform attention stays pale instead of looking like strong attention.
    float largest = 0.0f;
    for (float v : cells_) largest = std::max(largest, v);
    maxWeight_ = std::max(largest, std::min(1.0f, 4.0f / float(std::max(length, 1))));
    title_ = tr("%1 · max %2").arg(title).arg(double(largest), 0, 'g', 3);
    updateGeometry();
    update();
}

QColor HeatmapWidget::colorFor(float w, float top) {
    if (w == 0.0f) return QColor(Qt::white);
    if (top > 0.0f) w /= top;
    // From pale yellow (the smallest non-zero weight) through green-blue to dark blue at 1: a
    // sequential ramp that never returns to white, so exact zeros stay visibly apart.
    const double t = std::clamp(double(w), 0.0, 1.0);
    struct Stop {
        double at;
        int r, g, b;
    };
    static const Stop stops[] = {{0.0, 255, 240, 170},
                                 {0.25, 161, 218, 180},
                                 {0.5, 65, 182, 196},
                                 {0.75, 34, 94, 168},
                                 {1.0, 8, 29, 88}};
    for (size_t k = 1; k < std::size(stops); ++k) {
        if (t <= stops[k].at) {
            const Stop& a = stops[k - 1];
            const Stop& b = stops[k];
            const double f = (t - a.at) / (b.at - a.at);
            return QColor(int(std::lround(a.r + f * (b.r - a.r))),
                          int(std::lround(a.g + f * (b.g - a.g))),
                          int(std::lround(a.b + f * (b.b - a.b))));
        }
    }
    return QColor(8, 29, 88);
}

HeatmapWidget::Layout HeatmapWidget::layout() const {
    const QFontMetrics fm(font());
    const int label = fm.horizontalAdvance(QStringLiteral("T0000")) + 6;
    const int top = fm.height() + 6 + label;
    const int left = label;
    const int n = std::max(length_, 1);
    const int cell = std::max(3, std::min((width() - left - 4) / n, (height() - top - 4) / n));
    return {cell, left, top};
}

QSize HeatmapWidget::sizeHint() const {
    const QFontMetrics fm(font());
    const int label = fm.horizontalAdvance(QStringLiteral("T0000")) + 6;
    const int n = std::max(length_, 1);
    const int cell = std::clamp(260 / n, 6, 22);
    return {label + n * cell + 4, fm.height() + 6 + label + n * cell + 4};
}

QSize HeatmapWidget::minimumSizeHint() const {
    return sizeHint();
}

QRect HeatmapWidget::cellRect(int row, int col) const {
    const Layout l = layout();
    return {l.left + col * l.cell, l.top + row * l.cell, l.cell, l.cell};
}

void HeatmapWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QFontMetrics fm(font());
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(0, 0, width(), fm.height() + 4), Qt::AlignLeft | Qt::AlignVCenter, title_);
    if (length_ <= 0) return;
    const Layout l = layout();
    // Cells; a hairline grid when the cells are large enough to show it.
    for (int i = 0; i < length_; ++i)
        for (int j = 0; j < length_; ++j)
            p.fillRect(cellRect(i, j), colorFor(weight(i, j), maxWeight_));
    p.setPen(QPen(QColor(0xd0, 0xd0, 0xd0), 0));
    p.drawRect(l.left, l.top, l.cell * length_, l.cell * length_);
    // Template ids on both axes, every k-th so that they do not overlap.
    const int step = std::max(1, (fm.height() + 1) / std::max(l.cell, 1) + 1);
    p.setPen(palette().color(QPalette::WindowText));
    for (int i = 0; i < length_; i += step) {
        const QString id =
            i < int(ids_.size()) ? QStringLiteral("T%1").arg(ids_[size_t(i)]) : QString::number(i);
        const int mid = l.cell / 2;
        p.drawText(QRect(0, l.top + i * l.cell + mid - fm.height() / 2, l.left - 3, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, id);
        p.save();
        p.translate(l.left + i * l.cell + mid, l.top - 3);
        p.rotate(-90);
        p.drawText(QRect(0, -fm.height() / 2, l.left - 3, fm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter, id);
        p.restore();
    }
}

bool HeatmapWidget::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip && length_ > 0) {
        auto* he = static_cast<QHelpEvent*>(e);
        const Layout l = layout();
        const int col = (he->pos().x() - l.left) / l.cell;
        const int row = (he->pos().y() - l.top) / l.cell;
        if (he->pos().x() >= l.left && he->pos().y() >= l.top && row < length_ && col < length_) {
            auto describe = [&](int k) {
                const QString id = k < int(ids_.size()) ? QStringLiteral("T%1").arg(ids_[size_t(k)])
                                                        : QStringLiteral("?");
                const QString text =
                    k < int(texts_.size()) ? shortText(texts_[size_t(k)]) : QString();
                return tr("position %1, %2: %3").arg(k).arg(id, text.toHtmlEscaped());
            };
            const float w = weight(row, col);
            const QString value =
                w == 0.0f ? tr("<b>exactly 0</b> (pruned by entmax: no attention at all)")
                          : tr("weight <b>%1</b>").arg(double(w), 0, 'g', 4);
            QToolTip::showText(
                he->globalPos(),
                tr("<p>%1<br>attends to<br>%2<br>%3</p>").arg(describe(row), describe(col), value),
                this);
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QWidget::event(e);
}

// --- AttentionView -----------------------------------------------------------------------

struct AttentionView::Loaded {
    int64_t sequence = 0;
    double score = NAN;
    std::vector<std::pair<QString, AttentionMaps>> runs;
};

AttentionView::AttentionView(QWidget* parent) : QWidget(parent) {
    runCombo_ = new QComboBox(this);
    runCombo_->setObjectName(QStringLiteral("attentionRun"));
    runCombo_->setMinimumContentsLength(22);
    compareCombo_ = new QComboBox(this);
    compareCombo_->setObjectName(QStringLiteral("attentionCompare"));
    compareCombo_->setMinimumContentsLength(22);
    compareCombo_->setToolTip(
        tr("A second run shown beside the first on the same sequence, e.g. MLAD's softmax "
           "ablation or a reconstruction model"));
    sequenceBox_ = new QSpinBox(this);
    sequenceBox_->setObjectName(QStringLiteral("attentionSequence"));
    sequenceBox_->setRange(0, std::numeric_limits<int>::max());
    sequenceBox_->setSpecialValueText(tr("most anomalous"));
    sequenceBox_->setToolTip(
        tr("Sequence id (0: the run's highest-scoring test sequence). Selecting a sequence in "
           "the Results or Projection tab shows it here."));
    sequenceBox_->setMinimumWidth(130);
    showButton_ = new QPushButton(tr("Show"), this);
    modeCombo_ = new QComboBox(this);
    modeCombo_->addItems({tr("Each head"), tr("Mean over heads"), tr("Rollout through layers")});
    modeCombo_->setToolTip(
        tr("Rollout (Abnar & Zuidema 2020) follows attention through the layers, counting the "
           "residual connection as half of each layer"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Run:"), this));
    top->addWidget(runCombo_);
    top->addWidget(new QLabel(tr("beside:"), this));
    top->addWidget(compareCombo_);
    top->addWidget(new QLabel(tr("Sequence:"), this));
    top->addWidget(sequenceBox_);
    top->addWidget(showButton_);
    top->addSpacing(12);
    top->addWidget(new QLabel(tr("View:"), this));
    top->addWidget(modeCombo_);
    top->addStretch(1);

    status_ = new QLabel(this);
    status_->setWordWrap(true);
    auto* legend = new QLabel(
        tr("Row = the position that attends, column = the position attended to; every row sums "
           "to 1. <b>White cells are exactly 0</b>: entmax pruned them (softmax never does); "
           "pale yellow is the smallest non-zero weight, dark blue the map's largest (in its "
           "title; at least 4 / length, so near-uniform attention stays pale). Hover a cell "
           "for the templates and the weight."),
        this);
    legend->setWordWrap(true);

    panelHost_ = new QWidget(this);
    auto* hostLayout = new QHBoxLayout(panelHost_);
    hostLayout->setContentsMargins(0, 0, 0, 0);
    hostLayout->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(panelHost_);
    scroll->setWidgetResizable(true);

    positions_ = new QTableWidget(this);
    positions_->setObjectName(QStringLiteral("attentionPositions"));
    positions_->setColumnCount(3);
    positions_->setHorizontalHeaderLabels({tr("Position"), tr("Template"), tr("Text")});
    positions_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    positions_->verticalHeader()->hide();
    positions_->horizontalHeader()->setStretchLastSection(true);
    positions_->setMaximumHeight(170);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(status_);
    layout->addWidget(legend);
    layout->addWidget(scroll, 1);
    layout->addWidget(positions_);

    connect(showButton_, &QPushButton::clicked, this, &AttentionView::load);
    addImageExportMenu(panelHost_, QStringLiteral("attention"));
    addCsvExportMenu(positions_, QStringLiteral("attention-positions"));
    connect(modeCombo_, &QComboBox::currentIndexChanged, this, [this](int m) {
        mode_ = Mode(m);
        rebuildPanels();
    });
    status_->setText(tr("Open a project with a trained MLAD run to see its attention."));
}

AttentionView::~AttentionView() {
    worker_.reset();
}

void AttentionView::setProjectPath(const QString& path) {
    worker_.reset();
    path_ = path;
    ++generation_;
    panels_.clear();
    rebuildPanels();
    runCombo_->clear();
    compareCombo_->clear();
    if (path.isEmpty()) return;
    worker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &AttentionView::errorOccurred);
    refresh();
}

void AttentionView::refresh() {
    if (!worker_) return;
    const quint64 gen = ++generation_;
    worker_->query(
        this, [](Project& p) { return finishedRunNames(p); },
        [this, gen](const QStringList& names) {
            if (gen != generation_) return;
            const QString keepA = runCombo_->currentText(), keepB = compareCombo_->currentText();
            runCombo_->clear();
            runCombo_->addItems(names);
            compareCombo_->clear();
            compareCombo_->addItem(tr("(none)"));
            compareCombo_->addItems(names);
            if (names.contains(keepA)) runCombo_->setCurrentText(keepA);
            if (names.contains(keepB)) compareCombo_->setCurrentText(keepB);
            if (names.isEmpty())
                status_->setText(
                    tr("No finished runs yet: train MLAD in the Training tab, then "
                       "pick a sequence here."));
            else if (panels_.empty())
                status_->setText(
                    tr("Pick a run and a sequence, then Show (or select a "
                       "sequence in the Results tab)."));
        });
}

bool AttentionView::selectRun(const QString& name, const QString& compareWith) {
    const int a = runCombo_->findText(name);
    if (a < 0) return false;
    runCombo_->setCurrentIndex(a);
    const int b = compareWith.isEmpty() ? 0 : compareCombo_->findText(compareWith);
    if (b < 0) return false;
    compareCombo_->setCurrentIndex(b);
    return true;
}

void AttentionView::showEvent(QShowEvent* e) {
    QWidget::showEvent(e);
    // A newcomer opening the tab sees something at once: the run's most anomalous sequence.
    if (panels_.empty() && showButton_->isEnabled() && runCombo_->currentIndex() >= 0) load();
}

void AttentionView::setMode(Mode m) {
    modeCombo_->setCurrentIndex(int(m));
}

void AttentionView::showSequence(int64_t sequenceId) {
    sequenceBox_->setValue(int(std::clamp<int64_t>(sequenceId, 0, sequenceBox_->maximum())));
    load();
}

void AttentionView::load() {
    if (!worker_ || runCombo_->currentIndex() < 0) return;
    const QString runA = runCombo_->currentText();
    const QString runB =
        compareCombo_->currentIndex() > 0 ? compareCombo_->currentText() : QString();
    const int64_t wanted = sequenceBox_->value();
    const quint64 gen = ++generation_;
    status_->setText(tr("Computing the attention of %1…").arg(runA));
    showButton_->setEnabled(false);
    worker_->query(
        this,
        [runA, runB, wanted](Project& p) {
            Loaded out;
            out.sequence = wanted;
            if (wanted == 0) {
                // The run's highest-scoring test sequence.
                auto run = findRun(p, runA.toStdString());
                if (!run) throw std::runtime_error("no run named " + runA.toStdString());
                const RunScores s = loadRunScores(p, run->id);
                for (size_t i = 0; i < s.testScores.size() && i < s.testIds.size(); ++i)
                    if (std::isfinite(s.testScores[i]) &&
                        (out.sequence == 0 || s.testScores[i] > out.score)) {
                        out.sequence = s.testIds[i];
                        out.score = s.testScores[i];
                    }
                if (out.sequence == 0) throw std::runtime_error("the run has no test scores");
            }
            out.runs.emplace_back(runA, attentionOf(p, runA.toStdString(), out.sequence));
            if (!runB.isEmpty())
                out.runs.emplace_back(runB, attentionOf(p, runB.toStdString(), out.sequence));
            return out;
        },
        [this, gen](Loaded& loaded) {
            if (gen != generation_) return;
            showButton_->setEnabled(true);
            shownSequence_ = loaded.sequence;
            panels_.clear();
            for (auto& [name, maps] : loaded.runs) {
                Panel p;
                p.run = name;
                p.maps = std::move(maps);
                panels_.push_back(std::move(p));
            }
            {
                QSignalBlocker b(sequenceBox_);
                sequenceBox_->setValue(int(std::min<int64_t>(loaded.sequence, INT32_MAX)));
            }
            status_->setText(
                std::isnan(loaded.score)
                    ? tr("Sequence %1.").arg(loaded.sequence)
                    : tr("Sequence %1, the run's highest-scoring test sequence (score %2).")
                          .arg(loaded.sequence)
                          .arg(loaded.score, 0, 'g', 5));
            rebuildPanels();
            Q_EMIT attentionShown(int(panels_.size()));
        },
        [this, gen](const QString& m) {
            if (gen != generation_) return;
            showButton_->setEnabled(true);
            status_->setText(tr("No attention to show: %1").arg(m));
            Q_EMIT attentionUnavailable(m);
        });
}

void AttentionView::rebuildPanels() {
    // Every panel box goes (the heatmaps with them), also those of panels already replaced.
    for (auto& p : panels_) p.widgets.clear();
    for (auto* child : panelHost_->findChildren<QGroupBox*>(QString(), Qt::FindDirectChildrenOnly))
        delete child;
    positions_->setRowCount(0);
    auto* hostLayout = static_cast<QHBoxLayout*>(panelHost_->layout());
    for (auto& panel : panels_) {
        const AttentionMaps& m = panel.maps;
        auto* box = new QGroupBox(tr("%1 — sequence %2 (%3 layers × %4 heads, length %5)")
                                      .arg(panel.run)
                                      .arg(shownSequence_)
                                      .arg(m.layers)
                                      .arg(m.heads)
                                      .arg(m.length),
                                  panelHost_);
        auto* grid = new QGridLayout(box);
        const size_t cells = size_t(m.length) * size_t(m.length);
        std::vector<float> averaged, rolled;
        if (mode_ != EachHead) averaged = viz::headAverage(m.weights, m.layers, m.heads, m.length);
        if (mode_ == Rollout) rolled = viz::attentionRollout(averaged, m.layers, m.length);
        for (int l = 0; l < m.layers; ++l) {
            const int columns = mode_ == EachHead ? m.heads : 1;
            for (int h = 0; h < columns; ++h) {
                std::vector<float> map;
                QString title;
                if (mode_ == EachHead) {
                    const auto* src =
                        m.weights.data() + (size_t(l) * size_t(m.heads) + size_t(h)) * cells;
                    map.assign(src, src + cells);
                    title = tr("layer %1 · head %2").arg(l + 1).arg(h + 1);
                } else {
                    const auto& from = mode_ == Rollout ? rolled : averaged;
                    map.assign(from.begin() + long(size_t(l) * cells),
                               from.begin() + long(size_t(l + 1) * cells));
                    title = mode_ == Rollout
                                ? tr("rollout to layer %1").arg(l + 1)
                                : tr("layer %1 · mean of %2 heads").arg(l + 1).arg(m.heads);
                }
                auto* w = new HeatmapWidget(box);
                w->setMap(std::move(map), m.length, m.templateIds, m.templates, title);
                grid->addWidget(w, l, h);
                panel.widgets.push_back(w);
            }
        }
        hostLayout->addWidget(box);
    }
    if (!panels_.empty()) {
        const AttentionMaps& m = panels_.front().maps;
        positions_->setRowCount(int(m.templates.size()));
        for (int i = 0; i < int(m.templates.size()); ++i) {
            positions_->setItem(i, 0, new QTableWidgetItem(QString::number(i)));
            positions_->setItem(
                i, 1,
                new QTableWidgetItem(i < int(m.templateIds.size())
                                         ? QStringLiteral("T%1").arg(m.templateIds[size_t(i)])
                                         : QString()));
            positions_->setItem(i, 2, new QTableWidgetItem(qs(m.templates[size_t(i)])));
        }
        positions_->resizeColumnsToContents();
    }
}

}  // namespace mlad::ui
