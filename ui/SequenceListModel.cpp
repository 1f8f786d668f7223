#include "SequenceListModel.h"

#include <QBrush>
#include <QColor>

#include <set>

#include "ProjectWorker.h"
#include "UiUtil.h"

namespace mlad::ui {

void SequenceListModel::setWorker(ProjectWorker* worker) {
    worker_ = worker;
    clear();
}

void SequenceListModel::clear() {
    setSequenceIds({});
}

void SequenceListModel::setSequenceIds(std::vector<int64_t> ids) {
    beginResetModel();
    ++generation_;
    ids_ = std::move(ids);
    rows_.clear();
    eventText_.clear();
    ordinals_ = std::make_shared<OrdinalCache>();
    pending_ = false;
    endResetModel();
    fetchMore({});
}

bool SequenceListModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && worker_ && !pending_ && rows_.size() < ids_.size();
}

void SequenceListModel::fetchMore(const QModelIndex& parent) {
    if (!canFetchMore(parent)) return;
    pending_ = true;
    const size_t from = rows_.size();
    const size_t to = std::min(ids_.size(), from + size_t(kPageSize));
    std::vector<int64_t> ids(ids_.begin() + long(from), ids_.begin() + long(to));
    auto ordinals = ordinals_;
    const quint64 gen = generation_;
    struct Page {
        std::vector<SequenceRow> rows;
        std::vector<QString> events;
    };
    worker_->query(
        this,
        [ids = std::move(ids), ordinals](Project& p) {
            Page page;
            for (int64_t id : ids) {
                auto row = sequenceById(p, id);
                if (!row) {
                    row = SequenceRow{};
                    row->id = id;
                    row->key = "(missing)";
                }
                QStringList ev;
                for (size_t i = 0; i < row->events.size() && i < size_t(kEventsShown); ++i) {
                    const int64_t t = row->events[i];
                    auto it = ordinals->find(t);
                    if (it == ordinals->end()) {
                        auto info = p.templateById(t);
                        it = ordinals->emplace(t, info ? info->ordinal : 0).first;
                    }
                    ev << (it->second ? QStringLiteral("E%1").arg(it->second)
                                      : QStringLiteral("#%1").arg(t));
                }
                if (row->events.size() > size_t(kEventsShown)) ev << QStringLiteral("…");
                page.events.push_back(ev.join(QLatin1Char(' ')));
                page.rows.push_back(std::move(*row));
            }
            return page;
        },
        [this, gen](Page& page) {
            if (gen != generation_) return;
            pending_ = false;
            if (page.rows.empty()) return;
            const int first = int(rows_.size());
            beginInsertRows({}, first, first + int(page.rows.size()) - 1);
            std::move(page.rows.begin(), page.rows.end(), std::back_inserter(rows_));
            std::move(page.events.begin(), page.events.end(), std::back_inserter(eventText_));
            endInsertRows();
            Q_EMIT pageLoaded(int(rows_.size()));
        },
        [this, gen](const QString& m) {
            if (gen != generation_) return;
            pending_ = false;
            ids_.resize(rows_.size());  // stop fetching
            Q_EMIT loadFailed(m);
        });
}

int SequenceListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int SequenceListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SequenceListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(rows_.size())) return {};
    const SequenceRow& r = rows_[size_t(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case Rank:
                return index.row() + 1;
            case Id:
                return qlonglong(r.id);
            case Key:
                return qs(r.key);
            case Label:
                return labelText(r.label);
            case Length:
                return qlonglong(r.length);
            case Distinct: {
                std::set<int32_t> d(r.events.begin(), r.events.end());
                return int(d.size());
            }
            case Templates:
                return eventText_[size_t(index.row())];
            case Start:
                return formatTs(r.startTs);
        }
    } else if (role == Qt::ForegroundRole && r.label == 1) {
        return QBrush(QColor(0xc0, 0x39, 0x2b));
    } else if (role == Qt::ToolTipRole && index.column() == Templates) {
        return tr("First %1 events (template ids); double-click for the raw lines")
            .arg(kEventsShown);
    }
    return {};
}

QVariant SequenceListModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Rank:
            return tr("#");
        case Id:
            return tr("Sequence id");
        case Key:
            return tr("Key");
        case Label:
            return tr("Label");
        case Length:
            return tr("Length");
        case Distinct:
            return tr("Distinct templates");
        case Templates:
            return tr("Events");
        case Start:
            return tr("Start (UTC)");
    }
    return {};
}

}  // namespace mlad::ui
