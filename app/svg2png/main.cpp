// mlad-svg2png: renders the SVG plots the Qt-free CLI writes (experiment reports) to PNG, where
// the Qt build is present. `mlad experiment` calls it when it finds it beside itself.
// Usage: mlad-svg2png [--width PIXELS] FILE.svg... (writes FILE.png beside each; existing PNGs
// are replaced only when older than their SVG).
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    // No display needed: render offscreen unless the caller chose a platform.
    if (!std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    QGuiApplication app(argc, argv);
    int width = 1200;
    int failed = 0, written = 0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--width") == 0 && i + 1 < argc) {
            width = std::atoi(argv[++i]);
            if (width < 16 || width > 10000) {
                std::fprintf(stderr, "mlad-svg2png: --width must be in 16..10000\n");
                return 2;
            }
            continue;
        }
        const QString in = QString::fromLocal8Bit(argv[i]);
        QSvgRenderer svg(in);
        if (!svg.isValid()) {
            std::fprintf(stderr, "mlad-svg2png: %s: not a readable SVG\n", argv[i]);
            ++failed;
            continue;
        }
        const QSizeF size = svg.defaultSize();
        const int height = size.width() > 0 ? int(width * size.height() / size.width()) : width;
        QImage img(width, height, QImage::Format_ARGB32);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            p.setRenderHint(QPainter::Antialiasing);
            svg.render(&p);
        }
        const QFileInfo fi(in);
        const QString out = fi.path() + "/" + fi.completeBaseName() + ".png";
        const QString tmp = out + ".tmp";
        if (!img.save(tmp, "PNG") || (QFile::exists(out) && !QFile::remove(out)) ||
            !QFile::rename(tmp, out)) {
            QFile::remove(tmp);
            std::fprintf(stderr, "mlad-svg2png: cannot write %s\n", out.toLocal8Bit().constData());
            ++failed;
            continue;
        }
        ++written;
    }
    if (written + failed == 0) {
        std::fprintf(stderr, "usage: mlad-svg2png [--width PIXELS] FILE.svg...\n");
        return 2;
    }
    return failed ? 1 : 0;
}
