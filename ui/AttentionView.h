#pragma once
// Attention maps of one sequence under a trained run (the detector's attention capability):
// a heatmap per layer and head (QImage-free QPainter cells: Qt Charts has no heatmap), the mean
// over heads per layer, or attention rollout through the layers; template ids on the axes and
// template texts in the tooltips; entmax's exact zeros drawn white, distinct from the palest
// non-zero weight. A second run (e.g. the softmax ablation) can be shown beside the first on
// the same sequence.
#include <QWidget>

#include <memory>
#include <vector>

#include "mlad/train/Trainer.h"

class QComboBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QWidget;

namespace mlad::ui {

class ProjectWorker;

/// One L x L attention map. Row i = the query position, column j = the attended position.
class HeatmapWidget : public QWidget {
    Q_OBJECT
  public:
    explicit HeatmapWidget(QWidget* parent = nullptr);
    /// cells: L x L row-major; ids: template id per position (axis labels); texts: template
    /// text per position (tooltips).
    void setMap(std::vector<float> cells, int length, std::vector<int64_t> ids,
                std::vector<std::string> texts, const QString& title);
    int length() const { return length_; }
    float weight(int row, int col) const {
        return cells_[size_t(row) * size_t(length_) + size_t(col)];
    }
    /// Where cell (row, col) is drawn, in widget coordinates.
    QRect cellRect(int row, int col) const;
    /// The colour of a weight: white for an exact zero, else a light-yellow-to-dark-blue ramp
    /// over (0, top] that never reaches white (top: the map's largest weight, so that a map of
    /// a long sequence, whose weights are all small, still shows its structure).
    static QColor colorFor(float w, float top = 1.0f);
    /// The ramp's dark end: the map's largest weight, at least min(1, 4 / length).
    float maxWeight() const { return maxWeight_; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

  protected:
    void paintEvent(QPaintEvent* e) override;
    bool event(QEvent* e) override;

  private:
    struct Layout {
        int cell, left, top;
    };
    Layout layout() const;

    std::vector<float> cells_;
    int length_ = 0;
    std::vector<int64_t> ids_;
    std::vector<std::string> texts_;
    QString title_;
    float maxWeight_ = 1.0f;
};

class AttentionView : public QWidget {
    Q_OBJECT
  public:
    enum Mode { EachHead, HeadAverage, Rollout };

    explicit AttentionView(QWidget* parent = nullptr);
    ~AttentionView() override;

    void setProjectPath(const QString& path);
    void refresh();
    /// Shows `sequenceId` under the chosen run(s) (0: the run's highest-scoring test sequence).
    void showSequence(int64_t sequenceId);
    bool selectRun(const QString& name, const QString& compareWith = QString());
    void setMode(Mode m);

    QComboBox* runCombo() const { return runCombo_; }
    QComboBox* compareCombo() const { return compareCombo_; }
    QSpinBox* sequenceBox() const { return sequenceBox_; }
    QLabel* statusLabel() const { return status_; }
    /// Shown panels (1, or 2 with a comparison run) and their maps.
    int panelCount() const { return int(panels_.size()); }
    const AttentionMaps& maps(int panel) const { return panels_[size_t(panel)].maps; }
    const std::vector<HeatmapWidget*>& heatmaps(int panel) const {
        return panels_[size_t(panel)].widgets;
    }
    int64_t shownSequence() const { return shownSequence_; }

  Q_SIGNALS:
    void attentionShown(int panels);
    /// The chosen run cannot show attention for the sequence (no capability, no scores ...).
    void attentionUnavailable(const QString& why);
    void errorOccurred(const QString& message);

  protected:
    void showEvent(QShowEvent* e) override;

  private:
    struct Panel {
        QString run;
        AttentionMaps maps;
        std::vector<HeatmapWidget*> widgets;
    };
    struct Loaded;
    void load();
    void rebuildPanels();

    QString path_;
    std::unique_ptr<ProjectWorker> worker_;
    quint64 generation_ = 0;
    Mode mode_ = EachHead;
    int64_t shownSequence_ = 0;
    std::vector<Panel> panels_;

    QComboBox* runCombo_;
    QComboBox* compareCombo_;
    QComboBox* modeCombo_;
    QSpinBox* sequenceBox_;
    QPushButton* showButton_;
    QLabel* status_;
    QWidget* panelHost_;
    QTableWidget* positions_;
};

}  // namespace mlad::ui
