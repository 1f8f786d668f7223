#pragma once
// Projection (the paper's Fig. 7): t-SNE of a run's test-sequence representations (MLAD: the
// latent z), computed in the background with progress and an animated layout, coloured normal /
// anomaly / false positive / false negative at the Results view's threshold and recoloured live
// when it moves. Hover shows a sequence, a click opens its raw lines, dragging a rectangle lists
// the sequences inside it.
#include <QImage>
#include <QWidget>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRubberBand;
class QSpinBox;

namespace mlad::ui {

class LinesDialog;
class TaskRunner;

/// Scatter plot of 2-D points in classes by label and threshold; QPainter, no chart library
/// (tens of thousands of points repaint in a few milliseconds).
class ScatterPlot : public QWidget {
    Q_OBJECT
  public:
    enum Class { Normal, Anomaly, FalsePositive, FalseNegative, Unlabelled, FlaggedUnlabelled };
    static constexpr int kClasses = 6;
    struct Point {
        int64_t id = 0;
        int label = -1;  ///< 1 anomalous, 0 normal, -1 unknown
        double score = 0;
    };

    explicit ScatterPlot(QWidget* parent = nullptr);
    /// New points; the layout is empty until setLayoutXY.
    void setPoints(std::vector<Point> points);
    /// n x 2 row-major coordinates for the current points (ignored when the count differs).
    void setLayoutXY(const std::vector<double>& xy);
    void setThreshold(double t);
    double threshold() const { return threshold_; }
    int pointCount() const { return int(points_.size()); }
    bool hasLayout() const { return !xy_.empty(); }
    const Point& point(int i) const { return points_[size_t(i)]; }
    Class classOf(int i) const;
    std::array<int, kClasses> classCounts() const;
    static QColor colourOf(Class c);
    static QString nameOf(Class c);
    /// Where point i is drawn, in widget coordinates.
    QPointF screenPos(int i) const;
    /// The point drawn nearest to `pos` within 6 pixels, or -1.
    int pointAt(const QPointF& pos) const;
    /// Selects the points drawn inside `r` (widget coordinates); emits selectionChanged.
    void selectRect(const QRectF& r);
    const std::vector<int>& selection() const { return selection_; }

  Q_SIGNALS:
    void pointActivated(qint64 sequenceId);
    void selectionChanged();

  protected:
    void paintEvent(QPaintEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;

  private:
    /// A premultiplied ARGB disc, size x size pixels, antialiased by 4 x 4 supersampling.
    struct Sprite {
        int size = 0;
        std::vector<uint32_t> pixels;
    };
    static Sprite discSprite(const QColor& colour, double radius);
    static void blendSprite(QImage& img, const Sprite& s, int left, int top);
    QRectF plotRect() const;
    std::vector<Point> points_;
    std::vector<double> xy_;
    double threshold_ = 0;
    double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
    std::vector<int> selection_;
    QRubberBand* rubber_ = nullptr;
    QPoint pressPos_;
    bool dragging_ = false;
};

class ProjectionView : public QWidget {
    Q_OBJECT
  public:
    explicit ProjectionView(QWidget* parent = nullptr);
    ~ProjectionView() override;

    void setProjectPath(const QString& path);
    /// The run to project and its current threshold (the Results view's); clears the plot.
    void setRun(const QString& runName, double threshold);
    void setThreshold(double t);
    /// Starts the projection in the background; false when there is no run or one is running.
    bool compute();
    void cancel();
    bool isComputing() const;
    const QString& runName() const { return run_; }

    ScatterPlot* plot() const { return plot_; }
    QSpinBox* sampleBox() const { return sample_; }
    QSpinBox* iterationsBox() const { return iterations_; }
    QPushButton* computeButton() const { return compute_; }
    QListWidget* selectionList() const { return selected_; }
    QLabel* statusLabel() const { return status_; }
    LinesDialog* openSequence(qint64 id);

  Q_SIGNALS:
    void projectionFinished(int points);
    /// A point was clicked (its raw lines open; the attention view shows it too).
    void sequenceActivated(qint64 sequenceId);
    void errorOccurred(const QString& message);

  private:
    void updateLegend();
    void updateSelectionList();

    QString path_, run_;
    double threshold_ = 0;
    std::unique_ptr<TaskRunner> runner_;
    quint64 generation_ = 0;
    bool restartPending_ = false;
    ScatterPlot* plot_;
    QSpinBox* sample_;
    QSpinBox* iterations_;
    QPushButton* compute_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QLabel* legend_;
    QListWidget* selected_;
};

}  // namespace mlad::ui
