#pragma once
// Item models of the template explorer: the template table of one system, and the lazily
// paged raw lines of one template (fetched by key in the background as the view scrolls).
#include <QAbstractTableModel>
#include <QHash>
#include <QVector>

#include <cstdint>
#include <string>
#include <vector>

#include "mlad/store/Project.h"

namespace mlad::ui {

class ProjectWorker;

/// One row per template of a system. Qt::UserRole gives the numeric value used for sorting.
class TemplateTableModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Id, Template, Count, Share, AnomalousShare, FirstSeen, LastSeen, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    void setTemplates(std::vector<TemplateInfo> templates, uint64_t systemLines);
    const TemplateInfo& templateAt(int row) const { return templates_[size_t(row)]; }
    bool hasLabels() const { return labelled_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;

  private:
    std::vector<TemplateInfo> templates_;
    uint64_t total_ = 0;
    bool labelled_ = false;
};

/// Top values seen at one <*> position of a template, over the lines fetched so far.
struct ParameterSummary {
    int tokenIndex = 0;  ///< position in the template's whitespace tokens
    QString token;       ///< the template token, e.g. "<*>" or "blk_<*>"
    quint64 seen = 0;
    QVector<QPair<QString, quint64>> top;  ///< most frequent first
    int distinct = 0;
};

/// Raw lines of one template, fetched 500 at a time by line id (never OFFSET). Results that
/// arrive for a template that is no longer shown are dropped (generation counter).
class LazyLineModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { LineId, FileLine, Time, Label, Raw, ColumnCount };
    static constexpr int kPageSize = 500;

    using QAbstractTableModel::QAbstractTableModel;

    void setWorker(ProjectWorker* worker);
    /// Shows the lines of `tmpl`; contentField is the Content field index of the system's
    /// format (for the parameter summary; -1 = whole line).
    void setTemplate(const TemplateInfo& tmpl, int contentField);
    void clear();
    int64_t templateId() const { return templateId_; }
    const LineRecord& lineAt(int row) const { return lines_[size_t(row)]; }
    bool isLoading() const { return pending_; }
    bool isExhausted() const { return exhausted_; }
    quint64 expectedTotal() const { return expected_; }

    /// Per <*> position summaries over the lines loaded so far (top `topN` values each).
    QVector<ParameterSummary> parameterSummaries(int topN = 8) const;
    quint64 unalignedLines() const { return unaligned_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

  Q_SIGNALS:
    void pageLoaded(int newRows);
    void loadFailed(const QString& message);

  private:
    struct Page;
    void applyPage(quint64 generation, Page& page);

    ProjectWorker* worker_ = nullptr;
    quint64 generation_ = 0;
    int64_t templateId_ = 0;
    std::string templateText_;
    int contentField_ = -1;
    quint64 expected_ = 0;
    int64_t lastId_ = 0;
    bool pending_ = false;
    bool exhausted_ = true;
    std::vector<LineRecord> lines_;
    std::vector<int> paramTokens_;  // template token index per <*> position
    std::vector<QString> paramTokenText_;
    std::vector<QHash<QString, quint64>> paramCounts_;
    quint64 unaligned_ = 0;
};

}  // namespace mlad::ui
