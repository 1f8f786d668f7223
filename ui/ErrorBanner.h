#pragma once
// A dismissible error strip shown above a view: errors reach the user with core's message
// without a modal dialog that would block the window (or a test).
#include <QFrame>

class QLabel;

namespace mlad::ui {

class ErrorBanner : public QFrame {
    Q_OBJECT
  public:
    explicit ErrorBanner(QWidget* parent = nullptr);
    QString text() const;

  public Q_SLOTS:
    /// Shows `message` (also logged with qWarning); a second message replaces the first.
    void showError(const QString& message);
    void showInfo(const QString& message);
    void dismiss();

  private:
    void showMessage(const QString& message, bool error);
    QLabel* label_;
};

}  // namespace mlad::ui
