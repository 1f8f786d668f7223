#include "LinesDialog.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <map>

#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/seq/Sequences.h"

namespace mlad::ui {

namespace {
struct LoadedLines {
    std::vector<LineRecord> lines;
    std::map<int64_t, std::pair<int64_t, std::string>> templates;  // id -> (ordinal, text)
    std::string key;
    int label = -1;
    int64_t length = 0;
};
constexpr int kMaxLines = 10000;
}  // namespace

LinesDialog::LinesDialog(const QString& projectPath, int64_t sequenceId, const QString& title,
                         QWidget* parent)
    : QDialog(parent), worker_(std::make_unique<ProjectWorker>(projectPath)) {
    setWindowTitle(title);
    setAttribute(Qt::WA_DeleteOnClose);
    resize(1100, 600);
    auto* layout = new QVBoxLayout(this);
    info_ = new QLabel(tr("Loading lines…"), this);
    table_ = new QTableWidget(this);
    table_->setObjectName(QStringLiteral("sequenceLines"));
    table_->setColumnCount(6);
    table_->setHorizontalHeaderLabels(
        {tr("Line id"), tr("File line"), tr("Time (UTC)"), tr("Label"), tr("Template"), tr("Raw")});
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(false);
    layout->addWidget(info_);
    layout->addWidget(table_, 1);

    connect(worker_.get(), &ProjectWorker::error, this,
            [this](const QString& m) { info_->setText(tr("Error: %1").arg(m)); });
    worker_->query(
        this,
        [sequenceId](Project& p) {
            LoadedLines out;
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
            return out;
        },
        [this](const LoadedLines& r) {
            table_->setRowCount(int(r.lines.size()));
            for (int i = 0; i < int(r.lines.size()); ++i) {
                const auto& l = r.lines[size_t(i)];
                auto it = r.templates.find(l.templateId);
                QString tmpl = it != r.templates.end() && it->second.first > 0
                                   ? QStringLiteral("E%1").arg(it->second.first)
                                   : QString();
                auto* titem = new QTableWidgetItem(tmpl);
                if (it != r.templates.end()) titem->setToolTip(qs(it->second.second));
                table_->setItem(i, 0, new QTableWidgetItem(QString::number(l.id)));
                table_->setItem(i, 1, new QTableWidgetItem(QString::number(l.lineNo)));
                table_->setItem(i, 2, new QTableWidgetItem(formatTs(l.ts)));
                table_->setItem(i, 3, new QTableWidgetItem(labelText(l.label ? *l.label : -1)));
                table_->setItem(i, 4, titem);
                table_->setItem(i, 5, new QTableWidgetItem(qs(l.raw)));
            }
            table_->resizeColumnsToContents();
            QString more = r.length > int64_t(r.lines.size())
                               ? tr(" (first %1 shown)").arg(r.lines.size())
                               : QString();
            info_->setText(tr("Sequence %1 · %2 · %3 events%4")
                               .arg(qs(r.key), labelText(r.label))
                               .arg(r.length)
                               .arg(more) +
                           (r.lines.empty() && r.length > 0
                                ? tr(" · pre-parsed session: no raw lines stored")
                                : QString()));
            loaded_ = true;
            Q_EMIT loaded(int(r.lines.size()));
        });
}

LinesDialog::~LinesDialog() = default;

}  // namespace mlad::ui
