#include "Export.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QBuffer>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTableView>
#include <QWidget>

namespace mlad::ui {

namespace {
QString csvField(const QString& v) {
    if (!v.contains(QLatin1Char(',')) && !v.contains(QLatin1Char('"')) &&
        !v.contains(QLatin1Char('\n')) && !v.contains(QLatin1Char('\r')))
        return v;
    QString q = v;
    q.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

void setError(QString* error, const QString& message) {
    if (error) *error = message;
}
}  // namespace

bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);  // writes beside the target, renames on commit()
    if (!file.open(QIODevice::WriteOnly)) {
        setError(error, QObject::tr("cannot write %1: %2").arg(path, file.errorString()));
        return false;
    }
    if (file.write(bytes) != bytes.size() || !file.commit()) {
        setError(error, QObject::tr("writing %1 failed: %2").arg(path, file.errorString()));
        file.cancelWriting();
        return false;
    }
    return true;
}

QImage renderWidget(QWidget* widget, qreal scale) {
    QImage image(widget->size() * scale, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(scale);
    image.fill(Qt::white);
    QPainter painter(&image);
    widget->render(&painter);
    painter.end();
    return image;
}

bool exportWidgetImage(QWidget* widget, const QString& path, QString* error) {
    if (!widget) {
        setError(error, QObject::tr("nothing to export"));
        return false;
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (path.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(widget->size());
        svg.setViewBox(QRect(QPoint(0, 0), widget->size()));
        svg.setTitle(widget->windowTitle().isEmpty() ? QFileInfo(path).baseName()
                                                     : widget->windowTitle());
        svg.setDescription(QObject::tr("Exported from MLAD Workbench"));
        QPainter painter;
        if (!painter.begin(&svg)) {
            setError(error, QObject::tr("cannot draw %1 as SVG").arg(path));
            return false;
        }
        widget->render(&painter);
        painter.end();
    } else {
        // Twice the screen resolution, so the image stays sharp in documents.
        if (!renderWidget(widget).save(&buffer, "PNG")) {
            setError(error, QObject::tr("cannot encode %1 as PNG").arg(path));
            return false;
        }
    }
    return writeFileAtomically(path, bytes, error);
}

bool exportModelCsv(const QAbstractItemModel* model, const QString& path, QString* error) {
    if (!model) {
        setError(error, QObject::tr("nothing to export"));
        return false;
    }
    QString out;
    QStringList row;
    for (int c = 0; c < model->columnCount(); ++c)
        row << csvField(model->headerData(c, Qt::Horizontal).toString());
    out += row.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int r = 0; r < model->rowCount(); ++r) {
        row.clear();
        for (int c = 0; c < model->columnCount(); ++c)
            row << csvField(model->data(model->index(r, c)).toString());
        out += row.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return writeFileAtomically(path, out.toUtf8(), error);
}

void addImageExportMenu(QWidget* widget, const QString& suggestedName) {
    widget->setContextMenuPolicy(Qt::ActionsContextMenu);
    for (const auto& [label, suffix] :
         {std::pair{QObject::tr("Save image as PNG…"), QStringLiteral("png")},
          std::pair{QObject::tr("Save image as SVG…"), QStringLiteral("svg")}}) {
        auto* act = new QAction(label, widget);
        QObject::connect(act, &QAction::triggered, widget, [widget, suggestedName, suffix] {
            const QString path = QFileDialog::getSaveFileName(
                widget, QObject::tr("Save image"),
                QDir::home().filePath(suggestedName + QLatin1Char('.') + suffix),
                suffix == QStringLiteral("svg") ? QObject::tr("SVG images (*.svg)")
                                                : QObject::tr("PNG images (*.png)"));
            if (path.isEmpty()) return;
            QString error;
            if (!exportWidgetImage(widget, path, &error))
                QMessageBox::warning(widget, QObject::tr("Export failed"), error);
        });
        widget->addAction(act);
    }
}

void addCsvExportMenu(QTableView* table, const QString& suggestedName) {
    table->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* act = new QAction(QObject::tr("Export table as CSV…"), table);
    QObject::connect(act, &QAction::triggered, table, [table, suggestedName] {
        const QString path = QFileDialog::getSaveFileName(
            table, QObject::tr("Export CSV"), QDir::home().filePath(suggestedName + ".csv"),
            QObject::tr("CSV files (*.csv)"));
        if (path.isEmpty()) return;
        QString error;
        if (!exportModelCsv(table->model(), path, &error))
            QMessageBox::warning(table, QObject::tr("Export failed"), error);
    });
    table->addAction(act);
}

}  // namespace mlad::ui
