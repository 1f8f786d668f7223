#pragma once
// Templates of one system: a sortable, filterable table; for the selected template its raw
// lines (lazy, paged by key), a value summary per <*> position and its occurrences over time.
#include <QWidget>

#include <cstdint>
#include <memory>

class QChartView;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;
class QTabWidget;

namespace mlad::ui {

class LazyLineModel;
class ProjectWorker;
class TemplateTableModel;

class TemplateExplorer : public QWidget {
    Q_OBJECT
  public:
    explicit TemplateExplorer(QWidget* parent = nullptr);
    ~TemplateExplorer() override;

    /// Empty path = no project.
    void setProjectPath(const QString& path);
    void setSystem(int64_t systemId);
    int64_t systemId() const { return systemId_; }
    void refresh();

    TemplateTableModel* templateModel() const { return model_; }
    QSortFilterProxyModel* proxyModel() const { return proxy_; }
    QTableView* templateView() const { return table_; }
    LazyLineModel* linesModel() const { return lines_; }
    QTableView* linesView() const { return linesView_; }
    QLineEdit* filterEdit() const { return filter_; }
    QTableWidget* parametersTable() const { return params_; }
    QChartView* timeChartView() const { return chartView_; }
    QTabWidget* detailTabs() const { return detailTabs_; }
    /// Selects the template shown in proxy row `row` (as a click would).
    void selectRow(int row);
    bool isTimeChartLoaded() const { return timeLoaded_; }

  Q_SIGNALS:
    void templatesLoaded(int count);
    void timeChartLoaded(int buckets);
    void errorOccurred(const QString& message);

  private:
    void onCurrentChanged();
    void updateCountLabel();
    void updateParameters();
    void updateLinesInfo();
    void loadTimeChart(int64_t templateId);

    QString path_;
    std::unique_ptr<ProjectWorker> worker_;       // template list, time chart
    std::unique_ptr<ProjectWorker> linesWorker_;  // raw line pages
    int64_t systemId_ = 0;
    int contentField_ = -1;
    quint64 generation_ = 0;
    bool timeLoaded_ = false;

    QLabel* systemLabel_;
    QLineEdit* filter_;
    QLabel* countLabel_;
    TemplateTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* table_;
    QTabWidget* detailTabs_;
    LazyLineModel* lines_;
    QTableView* linesView_;
    QLabel* linesInfo_;
    QTableWidget* params_;
    QLabel* paramsInfo_;
    QChartView* chartView_;
    QLabel* chartInfo_;
};

}  // namespace mlad::ui
