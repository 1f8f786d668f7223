#include "TemplateExplorer.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTimeZone>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

#include "ProjectWorker.h"
#include "TemplateModels.h"
#include "UiUtil.h"
#include "mlad/io/LogFormat.h"

namespace mlad::ui {

namespace {
struct TemplateList {
    std::vector<TemplateInfo> templates;
    uint64_t lines = 0;
    int contentField = -1;
    std::string systemName;
};

struct TimeBuckets {
    int64_t origin = 0, bucketMs = 1;
    std::vector<std::pair<int64_t, uint64_t>> counts;  // bucket index -> lines
};
constexpr int kTimeBuckets = 120;
}  // namespace

TemplateExplorer::TemplateExplorer(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    systemLabel_ = new QLabel(tr("No system selected"), this);
    QFont bold = systemLabel_->font();
    bold.setBold(true);
    systemLabel_->setFont(bold);
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("templateFilter"));
    filter_->setPlaceholderText(tr("Filter templates (text contains…)"));
    filter_->setClearButtonEnabled(true);
    countLabel_ = new QLabel(this);
    top->addWidget(systemLabel_);
    top->addSpacing(12);
    top->addWidget(filter_, 1);
    top->addWidget(countLabel_);
    layout->addLayout(top);

    model_ = new TemplateTableModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(Qt::UserRole);
    proxy_->setFilterKeyColumn(TemplateTableModel::Template);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("templateTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(TemplateTableModel::Count, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->horizontalHeader()->setSectionResizeMode(TemplateTableModel::Template,
                                                     QHeaderView::Stretch);
    table_->setAlternatingRowColors(true);

    detailTabs_ = new QTabWidget(this);
    // Example lines.
    auto* linesPage = new QWidget(this);
    auto* linesLayout = new QVBoxLayout(linesPage);
    linesLayout->setContentsMargins(0, 4, 0, 0);
    linesInfo_ = new QLabel(tr("Select a template to see its lines."), linesPage);
    lines_ = new LazyLineModel(this);
    linesView_ = new QTableView(linesPage);
    linesView_->setObjectName(QStringLiteral("templateLines"));
    linesView_->setModel(lines_);
    linesView_->setWordWrap(false);
    linesView_->verticalHeader()->hide();
    linesView_->verticalHeader()->setDefaultSectionSize(linesView_->fontMetrics().height() + 6);
    linesView_->horizontalHeader()->setStretchLastSection(true);
    linesView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    linesLayout->addWidget(linesInfo_);
    linesLayout->addWidget(linesView_, 1);
    detailTabs_->addTab(linesPage, tr("Example lines"));
    // Parameters.
    auto* paramsPage = new QWidget(this);
    auto* paramsLayout = new QVBoxLayout(paramsPage);
    paramsLayout->setContentsMargins(0, 4, 0, 0);
    paramsInfo_ = new QLabel(paramsPage);
    paramsInfo_->setWordWrap(true);
    params_ = new QTableWidget(paramsPage);
    params_->setObjectName(QStringLiteral("templateParameters"));
    params_->setColumnCount(4);
    params_->setHorizontalHeaderLabels(
        {tr("Position"), tr("Token"), tr("Distinct values"), tr("Top values (count)")});
    params_->horizontalHeader()->setStretchLastSection(true);
    params_->verticalHeader()->hide();
    params_->verticalHeader()->setDefaultSectionSize(params_->fontMetrics().height() + 6);
    params_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    params_->setWordWrap(false);
    paramsLayout->addWidget(paramsInfo_);
    paramsLayout->addWidget(params_, 1);
    detailTabs_->addTab(paramsPage, tr("Parameters"));
    // Occurrences over time.
    auto* timePage = new QWidget(this);
    auto* timeLayout = new QVBoxLayout(timePage);
    timeLayout->setContentsMargins(0, 4, 0, 0);
    chartInfo_ = new QLabel(timePage);
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    chartView_ = new QChartView(chart, timePage);
    chartView_->setObjectName(QStringLiteral("templateTimeChart"));
    chartView_->setRenderHint(QPainter::Antialiasing);
    chartView_->setMinimumHeight(200);
    timeLayout->addWidget(chartInfo_);
    timeLayout->addWidget(chartView_, 1);
    detailTabs_->addTab(timePage, tr("Occurrences over time"));

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(table_);
    splitter->addWidget(detailTabs_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text.trimmed());
        updateCountLabel();
    });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TemplateExplorer::onCurrentChanged);
    connect(lines_, &LazyLineModel::pageLoaded, this, [this](int newRows) {
        if (newRows > 0 && lines_->rowCount() == newRows)  // first page: fit the short columns
            for (int c = LazyLineModel::LineId; c < LazyLineModel::Raw; ++c)
                linesView_->resizeColumnToContents(c);
        updateLinesInfo();
        updateParameters();
    });
    connect(lines_, &LazyLineModel::loadFailed, this, [this](const QString& m) {
        linesInfo_->setText(tr("Could not load lines: %1").arg(m));
        Q_EMIT errorOccurred(m);
    });
    updateCountLabel();
}

TemplateExplorer::~TemplateExplorer() {
    // Stop the workers before the models they deliver to go away.
    lines_->setWorker(nullptr);
    linesWorker_.reset();
    worker_.reset();
}

void TemplateExplorer::setProjectPath(const QString& path) {
    lines_->setWorker(nullptr);
    linesWorker_.reset();
    worker_.reset();
    path_ = path;
    systemId_ = 0;
    ++generation_;
    model_->setTemplates({}, 0);
    systemLabel_->setText(tr("No system selected"));
    if (path.isEmpty()) {
        updateCountLabel();
        return;
    }
    worker_ = std::make_unique<ProjectWorker>(path);
    linesWorker_ = std::make_unique<ProjectWorker>(path);
    connect(worker_.get(), &ProjectWorker::error, this, &TemplateExplorer::errorOccurred);
    lines_->setWorker(linesWorker_.get());
    updateCountLabel();
}

void TemplateExplorer::setSystem(int64_t systemId) {
    systemId_ = systemId;
    refresh();
}

void TemplateExplorer::refresh() {
    const quint64 gen = ++generation_;
    lines_->clear();
    if (!worker_ || systemId_ == 0) {
        model_->setTemplates({}, 0);
        updateCountLabel();
        return;
    }
    const int64_t systemId = systemId_;
    countLabel_->setText(tr("loading…"));
    worker_->query(
        this,
        [systemId](Project& p) {
            TemplateList out;
            auto sys = p.systemById(systemId);
            if (!sys) throw std::runtime_error("system " + std::to_string(systemId) + " not found");
            out.systemName = sys->name;
            out.lines = sys->lines;
            out.templates = p.templates(systemId);
            try {
                out.contentField = LogFormat(sys->preset.format).contentIndex();
            } catch (const std::exception&) {
                out.contentField = -1;
            }
            return out;
        },
        [this, gen](TemplateList& r) {
            if (gen != generation_) return;
            contentField_ = r.contentField;
            systemLabel_->setText(tr("System %1").arg(qs(r.systemName)));
            const int n = int(r.templates.size());
            model_->setTemplates(std::move(r.templates), r.lines);
            table_->setColumnHidden(TemplateTableModel::AnomalousShare, !model_->hasLabels());
            table_->resizeColumnToContents(TemplateTableModel::Id);
            table_->resizeColumnToContents(TemplateTableModel::Count);
            table_->resizeColumnToContents(TemplateTableModel::FirstSeen);
            table_->resizeColumnToContents(TemplateTableModel::LastSeen);
            updateCountLabel();
            Q_EMIT templatesLoaded(n);
        });
}

void TemplateExplorer::selectRow(int row) {
    QModelIndex idx = proxy_->index(row, 0);
    if (!idx.isValid()) return;
    table_->selectionModel()->setCurrentIndex(
        idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void TemplateExplorer::onCurrentChanged() {
    QModelIndex idx = proxy_->mapToSource(table_->selectionModel()->currentIndex());
    if (!idx.isValid()) {
        lines_->clear();
        return;
    }
    const TemplateInfo& t = model_->templateAt(idx.row());
    lines_->setTemplate(t, contentField_);
    linesInfo_->setText(tr("Loading lines of E%1…").arg(t.ordinal));
    updateParameters();
    loadTimeChart(t.id);
}

void TemplateExplorer::updateCountLabel() {
    const int total = model_->rowCount(), shown = proxy_->rowCount();
    countLabel_->setText(shown == total ? tr("%1 templates").arg(total)
                                        : tr("%1 of %2 templates").arg(shown).arg(total));
}

void TemplateExplorer::updateLinesInfo() {
    const int n = lines_->rowCount();
    QString text = tr("%1 of %2 lines loaded")
                       .arg(formatCount(quint64(n)), formatCount(lines_->expectedTotal()));
    if (!lines_->isExhausted()) text += tr(" (scroll down to load more)");
    linesInfo_->setText(text);
}

void TemplateExplorer::updateParameters() {
    auto summaries = lines_->parameterSummaries();
    params_->setRowCount(summaries.size());
    for (int i = 0; i < summaries.size(); ++i) {
        const auto& s = summaries[i];
        QStringList top;
        for (const auto& [value, n] : s.top) top << QStringLiteral("%1 (%2)").arg(value).arg(n);
        params_->setItem(i, 0, new QTableWidgetItem(QStringLiteral("#%1").arg(i + 1)));
        params_->setItem(i, 1, new QTableWidgetItem(s.token));
        params_->setItem(i, 2, new QTableWidgetItem(QString::number(s.distinct)));
        auto* item = new QTableWidgetItem(top.join(QStringLiteral(", ")));
        item->setToolTip(top.join(QLatin1Char('\n')));
        params_->setItem(i, 3, item);
    }
    params_->resizeColumnsToContents();
    params_->horizontalHeader()->setStretchLastSection(true);
    if (lines_->templateId() == 0)
        paramsInfo_->setText(tr("Select a template to summarise its parameter values."));
    else if (summaries.isEmpty())
        paramsInfo_->setText(tr("This template has no <*> parameters."));
    else
        paramsInfo_->setText(
            tr("Values at each <*> position over the %1 lines loaded so far%2.")
                .arg(formatCount(quint64(lines_->rowCount())))
                .arg(lines_->unalignedLines()
                         ? tr(" (%1 lines whose tokens do not align with the template skipped)")
                               .arg(lines_->unalignedLines())
                         : QString()));
}

void TemplateExplorer::loadTimeChart(int64_t templateId) {
    timeLoaded_ = false;
    chartInfo_->setText(tr("Loading…"));
    QChart* chart = chartView_->chart();
    chart->removeAllSeries();
    for (auto* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
    if (!worker_) return;
    const quint64 gen = generation_;
    worker_->query(
        this,
        [templateId](Project& p) {
            TimeBuckets out;
            auto t = p.templateById(templateId);
            if (!t || !t->firstTs || !t->lastTs) return out;
            out.origin = *t->firstTs;
            const int64_t span = std::max<int64_t>(1, *t->lastTs - *t->firstTs + 1);
            out.bucketMs = std::max<int64_t>(1, (span + kTimeBuckets - 1) / kTimeBuckets);
            out.counts = p.templateTimeBuckets(templateId, out.origin, out.bucketMs);
            return out;
        },
        [this, gen, templateId](const TimeBuckets& r) {
            if (gen != generation_ || lines_->templateId() != templateId) return;
            QChart* chart = chartView_->chart();
            if (r.counts.empty()) {
                chartInfo_->setText(tr("No timestamps for this template's lines."));
                timeLoaded_ = true;
                Q_EMIT timeChartLoaded(0);
                return;
            }
            // Zero-filled step outline over all buckets, filled down to the axis.
            auto* upper = new QLineSeries;
            auto* lower = new QLineSeries;
            const int64_t lastBucket = r.counts.back().first;
            // QDateTimeAxis labels in local time: shift the values so that they read as UTC.
            const int64_t shift =
                int64_t(QDateTime::fromMSecsSinceEpoch(r.origin).offsetFromUtc()) * 1000;
            size_t k = 0;
            uint64_t peak = 0;
            for (int64_t b = 0; b <= lastBucket; ++b) {
                uint64_t n = 0;
                if (k < r.counts.size() && r.counts[k].first == b) n = r.counts[k++].second;
                peak = std::max(peak, n);
                const double x0 = double(r.origin - shift + b * r.bucketMs);
                const double x1 = double(r.origin - shift + (b + 1) * r.bucketMs);
                upper->append(x0, double(n));
                upper->append(x1, double(n));
                lower->append(x0, 0);
                lower->append(x1, 0);
            }
            auto* area = new QAreaSeries(upper, lower);
            area->setColor(QColor(0x5b, 0x9b, 0xd5));
            area->setBorderColor(QColor(0x2e, 0x6d, 0xa4));
            chart->addSeries(area);
            auto* x = new QDateTimeAxis;
            const int64_t spanMs = (lastBucket + 1) * r.bucketMs;
            x->setFormat(spanMs > 2LL * 86400000 ? QStringLiteral("yyyy-MM-dd")
                         : spanMs > 60000        ? QStringLiteral("MM-dd HH:mm")
                                                 : QStringLiteral("HH:mm:ss.zzz"));
            x->setTitleText(tr("Time (UTC)"));
            x->setTickCount(6);
            auto* y = new QValueAxis;
            y->setLabelFormat(QStringLiteral("%d"));
            y->setRange(0, double(std::max<uint64_t>(peak, 1)) * 1.05);
            y->setTitleText(tr("Lines per %1").arg(humanSpan(r.bucketMs)));
            chart->addAxis(x, Qt::AlignBottom);
            chart->addAxis(y, Qt::AlignLeft);
            area->attachAxis(x);
            area->attachAxis(y);
            chartInfo_->setText(tr("%1 buckets of %2; peak %3 lines")
                                    .arg(lastBucket + 1)
                                    .arg(humanSpan(r.bucketMs))
                                    .arg(peak));
            timeLoaded_ = true;
            Q_EMIT timeChartLoaded(int(lastBucket + 1));
        });
}

}  // namespace mlad::ui
