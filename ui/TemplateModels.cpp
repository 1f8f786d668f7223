#include "TemplateModels.h"

#include <QBrush>
#include <QColor>

#include <algorithm>
#include <unordered_map>

#include "ProjectWorker.h"
#include "UiUtil.h"
#include "mlad/io/LogFormat.h"
#include "mlad/util/Strings.h"

namespace mlad::ui {

// ---------------------------------------------------------------------------------------------
// TemplateTableModel

void TemplateTableModel::setTemplates(std::vector<TemplateInfo> templates, uint64_t systemLines) {
    beginResetModel();
    templates_ = std::move(templates);
    total_ = systemLines;
    if (total_ == 0)
        for (const auto& t : templates_) total_ += t.count;
    labelled_ = std::any_of(templates_.begin(), templates_.end(),
                            [](const TemplateInfo& t) { return t.labelled > 0; });
    endResetModel();
}

int TemplateTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(templates_.size());
}

int TemplateTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TemplateTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(templates_.size())) return {};
    const TemplateInfo& t = templates_[size_t(index.row())];
    const double share = total_ ? double(t.count) / double(total_) : 0.0;
    const double anomalous = t.labelled ? double(t.anomalous) / double(t.labelled) : -1.0;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case Id:
                return QStringLiteral("E%1").arg(t.ordinal);
            case Template:
                return qs(t.text);
            case Count:
                return formatCount(t.count);
            case Share:
                return QStringLiteral("%1 %").arg(share * 100.0, 0, 'f', share < 0.001 ? 3 : 2);
            case AnomalousShare:
                return anomalous < 0 ? QStringLiteral("–")
                                     : QStringLiteral("%1 %").arg(anomalous * 100.0, 0, 'f', 1);
            case FirstSeen:
                return formatTs(t.firstTs);
            case LastSeen:
                return formatTs(t.lastTs);
        }
    } else if (role == Qt::UserRole) {  // sort keys
        switch (index.column()) {
            case Id:
                return qlonglong(t.ordinal);
            case Template:
                return qs(t.text);
            case Count:
                return qulonglong(t.count);
            case Share:
                return share;
            case AnomalousShare:
                return anomalous;
            case FirstSeen:
                return t.firstTs ? qlonglong(*t.firstTs) : qlonglong(INT64_MIN);
            case LastSeen:
                return t.lastTs ? qlonglong(*t.lastTs) : qlonglong(INT64_MIN);
        }
    } else if (role == Qt::TextAlignmentRole) {
        if (index.column() == Count || index.column() == Share || index.column() == AnomalousShare)
            return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::ToolTipRole && index.column() == Template) {
        return qs(t.text);
    } else if (role == Qt::ForegroundRole && index.column() == AnomalousShare && anomalous > 0) {
        return QBrush(QColor(0xc0, 0x39, 0x2b));
    }
    return {};
}

QVariant TemplateTableModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
            case Id:
                return tr("Id");
            case Template:
                return tr("Template");
            case Count:
                return tr("Count");
            case Share:
                return tr("Share");
            case AnomalousShare:
                return tr("Anomalous");
            case FirstSeen:
                return tr("First seen (UTC)");
            case LastSeen:
                return tr("Last seen (UTC)");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
            case Share:
                return tr("Share of the system's lines that belong to this template");
            case AnomalousShare:
                return tr("Share of this template's labelled lines that are labelled anomalous");
        }
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// LazyLineModel

struct LazyLineModel::Page {
    std::vector<LineRecord> lines;
    // Per parameter position: value -> count, over this page.
    std::vector<std::unordered_map<std::string, quint64>> counts;
    quint64 unaligned = 0;
};

void LazyLineModel::setWorker(ProjectWorker* worker) {
    worker_ = worker;
    clear();
}

void LazyLineModel::clear() {
    beginResetModel();
    ++generation_;
    templateId_ = 0;
    templateText_.clear();
    lines_.clear();
    lines_.shrink_to_fit();
    paramTokens_.clear();
    paramTokenText_.clear();
    paramCounts_.clear();
    unaligned_ = 0;
    lastId_ = 0;
    expected_ = 0;
    pending_ = false;
    exhausted_ = true;
    endResetModel();
}

void LazyLineModel::setTemplate(const TemplateInfo& tmpl, int contentField) {
    clear();
    beginResetModel();
    templateId_ = tmpl.id;
    templateText_ = tmpl.text;
    contentField_ = contentField;
    expected_ = tmpl.count;
    exhausted_ = false;
    auto tokens = splitWhitespace(templateText_);
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].find("<*>") == std::string_view::npos) continue;
        paramTokens_.push_back(int(i));
        paramTokenText_.push_back(QString::fromUtf8(tokens[i].data(), int(tokens[i].size())));
    }
    paramCounts_.assign(paramTokens_.size(), {});
    endResetModel();
    fetchMore({});
}

bool LazyLineModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && worker_ && templateId_ != 0 && !exhausted_ && !pending_;
}

void LazyLineModel::fetchMore(const QModelIndex& parent) {
    if (!canFetchMore(parent)) return;
    pending_ = true;
    const quint64 gen = generation_;
    const int64_t templateId = templateId_, after = lastId_;
    const std::string text = templateText_;
    const std::vector<int> params = paramTokens_;
    const int contentField = contentField_;
    worker_->query(
        this,
        [=](Project& p) {
            Page page;
            page.lines = p.linesOfTemplate(templateId, after, kPageSize);
            // Align the template's tokens with the line's Content tokens: the parameter at
            // template token i is the line's token i (when both have the same token count).
            page.counts.resize(params.size());
            const size_t templateTokens = splitWhitespace(text).size();
            for (const auto& l : page.lines) {
                std::string_view content = l.raw;
                if (contentField >= 0) {
                    auto spans = unpackSpans(l.fields);
                    if (size_t(contentField) < spans.size() &&
                        spans[size_t(contentField)].end <= l.raw.size())
                        content = std::string_view(l.raw).substr(
                            spans[size_t(contentField)].begin,
                            spans[size_t(contentField)].end - spans[size_t(contentField)].begin);
                }
                auto tokens = splitWhitespace(content);
                if (tokens.size() != templateTokens) {
                    ++page.unaligned;
                    continue;
                }
                for (size_t k = 0; k < params.size(); ++k)
                    ++page.counts[k][std::string(tokens[size_t(params[k])])];
            }
            return page;
        },
        [this, gen](Page& page) { applyPage(gen, page); },
        [this, gen](const QString& message) {
            if (gen != generation_) return;
            pending_ = false;
            exhausted_ = true;  // stop asking; the error is shown by the view
            Q_EMIT loadFailed(message);
        });
}

void LazyLineModel::applyPage(quint64 generation, Page& page) {
    if (generation != generation_) return;  // stale: another template was selected meanwhile
    pending_ = false;
    if (page.lines.size() < size_t(kPageSize)) exhausted_ = true;
    if (page.lines.empty()) {
        Q_EMIT pageLoaded(0);
        return;
    }
    for (size_t k = 0; k < page.counts.size() && k < paramCounts_.size(); ++k)
        for (const auto& [value, n] : page.counts[k])
            paramCounts_[k][QString::fromStdString(value)] += n;
    unaligned_ += page.unaligned;
    const int first = int(lines_.size());
    beginInsertRows({}, first, first + int(page.lines.size()) - 1);
    lastId_ = page.lines.back().id;
    std::move(page.lines.begin(), page.lines.end(), std::back_inserter(lines_));
    endInsertRows();
    Q_EMIT pageLoaded(int(lines_.size()) - first);
}

QVector<ParameterSummary> LazyLineModel::parameterSummaries(int topN) const {
    QVector<ParameterSummary> out;
    for (size_t k = 0; k < paramTokens_.size(); ++k) {
        ParameterSummary s;
        s.tokenIndex = paramTokens_[k];
        s.token = paramTokenText_[k];
        const auto& counts = paramCounts_[k];
        s.distinct = int(counts.size());
        QVector<QPair<QString, quint64>> all;
        all.reserve(counts.size());
        for (auto it = counts.begin(); it != counts.end(); ++it) {
            all.append({it.key(), it.value()});
            s.seen += it.value();
        }
        const int n = std::min<int>(topN, int(all.size()));
        std::partial_sort(all.begin(), all.begin() + n, all.end(),
                          [](const auto& a, const auto& b) {
                              return a.second != b.second ? a.second > b.second : a.first < b.first;
                          });
        s.top = all.mid(0, n);
        out.append(s);
    }
    return out;
}

int LazyLineModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(lines_.size());
}

int LazyLineModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LazyLineModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(lines_.size())) return {};
    const LineRecord& l = lines_[size_t(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case LineId:
                return qlonglong(l.id);
            case FileLine:
                return qlonglong(l.lineNo);
            case Time:
                return formatTs(l.ts);
            case Label:
                return labelText(l.label ? *l.label : -1);
            case Raw:
                return qs(l.raw);
        }
    } else if (role == Qt::ToolTipRole && index.column() == Raw) {
        return qs(l.raw);
    } else if (role == Qt::ForegroundRole && l.label && *l.label == 1) {
        return QBrush(QColor(0xc0, 0x39, 0x2b));
    }
    return {};
}

QVariant LazyLineModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case LineId:
            return tr("Line id");
        case FileLine:
            return tr("File line");
        case Time:
            return tr("Time (UTC)");
        case Label:
            return tr("Label");
        case Raw:
            return tr("Raw line");
    }
    return {};
}

}  // namespace mlad::ui
