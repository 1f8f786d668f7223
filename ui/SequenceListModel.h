#pragma once
// Lazy list of the sequences of one split part: the ids come first (one query), the rows
// (key, label, length, events) are fetched 500 at a time in the background as the view scrolls.
#include <QAbstractTableModel>

#include <map>
#include <memory>
#include <vector>

#include "mlad/seq/Sequences.h"

namespace mlad::ui {

class ProjectWorker;

class SequenceListModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    enum Column { Rank, Id, Key, Label, Length, Distinct, Templates, Start, ColumnCount };
    static constexpr int kPageSize = 500;
    static constexpr int kEventsShown = 12;

    using QAbstractTableModel::QAbstractTableModel;

    void setWorker(ProjectWorker* worker);
    /// Shows these sequences (in this order); rows load lazily.
    void setSequenceIds(std::vector<int64_t> ids);
    void clear();
    int totalCount() const { return int(ids_.size()); }
    int64_t sequenceIdAt(int row) const { return rows_[size_t(row)].id; }
    const SequenceRow& rowAt(int row) const { return rows_[size_t(row)]; }
    bool isLoading() const { return pending_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

  Q_SIGNALS:
    void pageLoaded(int rows);
    void loadFailed(const QString& message);

  private:
    using OrdinalCache = std::map<int64_t, int64_t>;  // template id -> ordinal (worker only)
    ProjectWorker* worker_ = nullptr;
    quint64 generation_ = 0;
    std::vector<int64_t> ids_;
    std::vector<SequenceRow> rows_;
    std::vector<QString> eventText_;
    std::shared_ptr<OrdinalCache> ordinals_;
    bool pending_ = false;
};

}  // namespace mlad::ui
