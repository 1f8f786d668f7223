#pragma once
// Exports of the workbench's views: any chart or plot widget as PNG (its pixels at 2x) or SVG
// (vector, through Qt SVG's QSvgGenerator), any table as CSV (RFC 4180 quoting), and the
// context menus that offer them. Files are written to a temporary file beside the target and
// renamed over it, so a failed export never leaves half a file; the file dialogs ask before
// replacing an existing file.
#include <QImage>
#include <QString>

class QAbstractItemModel;
class QTableView;
class QTableWidget;
class QWidget;

namespace mlad::ui {

/// The widget drawn at `scale` times its size on white (what a PNG export holds).
QImage renderWidget(QWidget* widget, qreal scale = 2.0);
/// By suffix: .svg writes SVG, anything else PNG. False with *error set on failure.
bool exportWidgetImage(QWidget* widget, const QString& path, QString* error = nullptr);
/// Every row and column of the model as shown (display role), header first.
bool exportModelCsv(const QAbstractItemModel* model, const QString& path, QString* error = nullptr);
/// Writes bytes through a temporary file and a rename. False with *error on failure.
bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error = nullptr);

/// Adds "Save image as PNG / SVG…" to `widget`'s context menu.
void addImageExportMenu(QWidget* widget, const QString& suggestedName);
/// Adds "Export as CSV…" to a table's context menu.
void addCsvExportMenu(QTableView* table, const QString& suggestedName);

}  // namespace mlad::ui
