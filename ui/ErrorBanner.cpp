#include "ErrorBanner.h"

#include <QDebug>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace mlad::ui {

ErrorBanner::ErrorBanner(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("errorBanner"));
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    label_ = new QLabel(this);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("✕"));
    close->setToolTip(tr("Dismiss"));
    close->setAutoRaise(true);
    connect(close, &QToolButton::clicked, this, &ErrorBanner::dismiss);
    layout->addWidget(label_, 1);
    layout->addWidget(close);
    hide();
}

QString ErrorBanner::text() const {
    return isVisible() || !isHidden() ? label_->text() : QString();
}

void ErrorBanner::showError(const QString& message) {
    qWarning().noquote() << "error:" << message;
    showMessage(message, true);
}

void ErrorBanner::showInfo(const QString& message) {
    showMessage(message, false);
}

void ErrorBanner::showMessage(const QString& message, bool error) {
    setStyleSheet(error ? QStringLiteral("#errorBanner { background: #fde2e1; border: 1px solid "
                                         "#d9534f; } QLabel { color: #7a1c1a; }")
                        : QStringLiteral("#errorBanner { background: #e3f0fb; border: 1px solid "
                                         "#5b9bd5; } QLabel { color: #1d3f63; }"));
    label_->setText(message);
    show();
}

void ErrorBanner::dismiss() {
    label_->clear();
    hide();
}

}  // namespace mlad::ui
