#include "LinesDialog.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "Export.h"
#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/seq/Sequences.h"
#include "mlad/train/Trainer.h"

namespace mlad::ui {

struct LinesDialog::Loaded {
    std::vector<LineRecord> lines;
    std::map<int64_t, std::pair<int64_t, std::string>> templates;  // id -> (ordinal, text)
    std::string key;
    int label = -1;
    int64_t length = 0;
    std::optional<SequenceExplanation> explanation;
    std::string explainError;
};

namespace {
constexpr int kMaxLines = 10000;

/// A pastel colour per template id (golden-ratio hue steps keep neighbours apart).
QColor templateColour(int64_t id) {
    const double hue = std::fmod(double(id) * 0.618033988749895, 1.0);
    return QColor::fromHsvF(float(hue), 0.22f, 1.0f);
}
}  // namespace

LinesDialog::LinesDialog(const QString& projectPath, int64_t sequenceId, const QString& title,
                         QWidget* parent, const QString& runName)
    : QDialog(parent), worker_(std::make_unique<ProjectWorker>(projectPath)) {
    setWindowTitle(title);
    setAttribute(Qt::WA_DeleteOnClose);
    resize(1200, 640);
    auto* layout = new QVBoxLayout(this);
    info_ = new QLabel(tr("Loading lines…"), this);
    info_->setWordWrap(true);
    components_ = new QLabel(this);
    components_->setWordWrap(true);
    components_->setTextFormat(Qt::RichText);
    components_->hide();
    table_ = new QTableWidget(this);
    table_->setObjectName(QStringLiteral("sequenceLines"));
    table_->setColumnCount(8);
    table_->setHorizontalHeaderLabels({tr("Line id"), tr("File line"), tr("Time (UTC)"),
                                       tr("Label"), tr("Template"), tr("In training"),
                                       tr("Contribution"), tr("Raw")});
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(false);
    table_->setColumnHidden(InTraining, runName.isEmpty());
    table_->setColumnHidden(Contribution, true);
    layout->addWidget(info_);
    layout->addWidget(components_);
    layout->addWidget(table_, 1);
    addCsvExportMenu(table_, QStringLiteral("sequence-%1").arg(sequenceId));

    connect(worker_.get(), &ProjectWorker::error, this,
            [this](const QString& m) { info_->setText(tr("Error: %1").arg(m)); });
    const std::string run = runName.toStdString();
    worker_->query(
        this,
        [sequenceId, run](Project& p) {
            Loaded out;
            auto seq = sequenceById(p, sequenceId);
            if (!seq)
                throw std::runtime_error("sequence " + std::to_string(sequenceId) + " not found");
            out.key = seq->key;
            out.label = seq->label;
            out.length = seq->length;
            out.lines = sequenceLines(p, sequenceId, kMaxLines);
            for (const auto& l : out.lines) {
                if (out.templates.count(l.templateId)) continue;
                auto t = p.templateById(l.templateId);
                out.templates[l.templateId] = t ? std::make_pair(t->ordinal, t->text)
                                                : std::make_pair(int64_t(0), std::string());
            }
            if (!run.empty()) {
                try {
                    out.explanation = explainSequence(p, run, sequenceId);
                } catch (const std::exception& e) {
                    out.explainError = e.what();
                }
            }
            return out;
        },
        [this, runName](const Loaded& r) { showLoaded(r, runName); });
}

void LinesDialog::showLoaded(const Loaded& r, const QString& runName) {
    const SequenceExplanation* ex = r.explanation ? &*r.explanation : nullptr;
    // Positions map onto lines in order when the sequence's events are its lines.
    const bool aligned = ex && ex->templateIds.size() >= r.lines.size();
    float top = 0.0f;
    if (aligned)
        for (float c : ex->contributions) top = std::max(top, c);
    const bool contributions = aligned && !ex->contributions.empty();
    table_->setColumnHidden(Contribution, !contributions);
    if (contributions)
        table_->horizontalHeaderItem(Contribution)->setText(qs(ex->contributionName));
    table_->setRowCount(int(r.lines.size()));
    int unseen = 0;
    for (int i = 0; i < int(r.lines.size()); ++i) {
        fillLine(i, r);
        if (aligned) unseen += markSeen(i, ex->unseenInTraining[size_t(i)]);
        if (contributions && size_t(i) < ex->contributions.size()) {
            const float c = ex->contributions[size_t(i)];
            auto* item = new QTableWidgetItem(QString::number(double(c), 'g', 4));
            // A bar of orange behind the value, as strong as its share of the largest.
            QColor bar(0xf5, 0x9e, 0x42);
            bar.setAlphaF(float(0.15 + 0.75 * (top > 0 ? double(c / top) : 0.0)));
            item->setBackground(bar);
            item->setData(Qt::UserRole, double(c));
            table_->setItem(i, Contribution, item);
        } else if (contributions) {
            table_->setItem(i, Contribution, new QTableWidgetItem(tr("(past max_len)")));
        }
    }
    table_->resizeColumnsToContents();
    const QString more = r.length > int64_t(r.lines.size())
                             ? tr(" (first %1 shown)").arg(r.lines.size())
                             : QString();
    QString info =
        tr("Sequence %1 · %2 · %3 events%4")
            .arg(qs(r.key), labelText(r.label))
            .arg(r.length)
            .arg(more) +
        (r.lines.empty() && r.length > 0 ? tr(" · pre-parsed session: no raw lines stored")
                                         : QString());
    if (!runName.isEmpty()) {
        if (ex)
            info += tr(" · under run %1: %2 of its templates never occur in training")
                        .arg(runName)
                        .arg(unseen);
        else
            info += tr(" · no explanation from run %1: %2").arg(runName, qs(r.explainError));
    }
    info_->setText(info);
    if (ex && !ex->componentEnergies.empty()) {
        components_->setText(componentEnergiesHtml(*ex));
        components_->show();
    }
    loaded_ = true;
    explained_ = ex != nullptr;
    Q_EMIT loaded(int(r.lines.size()));
}

void LinesDialog::fillLine(int i, const Loaded& r) {
    const auto& l = r.lines[size_t(i)];
    auto it = r.templates.find(l.templateId);
    const QString tmpl = it != r.templates.end() && it->second.first > 0
                             ? QStringLiteral("E%1").arg(it->second.first)
                             : QString();
    auto* titem = new QTableWidgetItem(tmpl);
    titem->setBackground(templateColour(l.templateId));
    if (it != r.templates.end()) titem->setToolTip(qs(it->second.second));
    table_->setItem(i, LineId, new QTableWidgetItem(QString::number(l.id)));
    table_->setItem(i, FileLine, new QTableWidgetItem(QString::number(l.lineNo)));
    table_->setItem(i, Time, new QTableWidgetItem(formatTs(l.ts)));
    table_->setItem(i, Label, new QTableWidgetItem(labelText(l.label ? *l.label : -1)));
    table_->setItem(i, Template, titem);
    auto* raw = new QTableWidgetItem(qs(l.raw));
    raw->setBackground(templateColour(l.templateId).lighter(104));
    table_->setItem(i, Raw, raw);
}

bool LinesDialog::markSeen(int i, bool isNew) {
    auto* seen = new QTableWidgetItem(isNew ? tr("NEW") : tr("yes"));
    if (isNew) {
        seen->setForeground(QColor(0xb7, 0x1c, 0x1c));
        QFont f = seen->font();
        f.setBold(true);
        seen->setFont(f);
        seen->setToolTip(tr("This template never occurs in the run's training sequences"));
    }
    table_->setItem(i, InTraining, seen);
    return isNew;
}

QString LinesDialog::componentEnergiesHtml(const SequenceExplanation& ex) {
    // The sequence's energy is -log sum_k exp(-E_k), so the lowest E_k (the component that
    // explains it best) dominates.
    const auto& e = ex.componentEnergies;
    const size_t best = size_t(std::min_element(e.begin(), e.end()) - e.begin());
    const double m = e[best];
    double sum = 0;
    for (double v : e)
        if (std::isfinite(v)) sum += std::exp(-(v - m));
    QStringList parts;
    for (size_t k = 0; k < e.size(); ++k) {
        const QString part = tr("component %1: %2 (weight %3)")
                                 .arg(k + 1)
                                 .arg(e[k], 0, 'g', 5)
                                 .arg(ex.componentWeights[k], 0, 'f', 3);
        parts << (k == best ? QStringLiteral("<b>%1</b>").arg(part) : part);
    }
    return tr("Energy per GMM component, −log(φ<sub>k</sub> N(z; μ<sub>k</sub>, Σ<sub>k</sub>)): "
              "%1. The sequence's energy −log Σ<sub>k</sub> exp(−E<sub>k</sub>) = <b>%2</b>; the "
              "lowest (bold) is the component that explains it best.")
        .arg(parts.join(QStringLiteral(" · ")))
        .arg(m - std::log(sum), 0, 'g', 6);
}

LinesDialog::~LinesDialog() = default;

}  // namespace mlad::ui
