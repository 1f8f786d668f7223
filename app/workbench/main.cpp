// mlad-workbench: the desktop application.
//   mlad-workbench [--demo PATH] [--screenshots DIR] [PROJECT]
// --demo opens the demo project at PATH (generated and imported in the background the first
// time); --screenshots grabs every view into DIR once the project is shown, then quits.
#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QSettings>
#include <QTimer>

#include <cstdio>

#include "AttentionView.h"
#include "LinesDialog.h"
#include "MainWindow.h"
#include "ProjectionView.h"
#include "ResultsView.h"
#include "ShortcutLesson.h"
#include "TemplateExplorer.h"
#include "TrainingPanel.h"
#include "mlad/train/Trainer.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    mlad::configureTorchThreads();
    QApplication::setOrganizationName(QStringLiteral("MLAD"));
    QApplication::setApplicationName(QStringLiteral("MLAD Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(MLAD_VERSION));
    // The installed desktop entry (resources/mlad-workbench.desktop) and its icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("mlad-workbench"));
    QIcon icon(QStringLiteral(":/icons/mlad-workbench.svg"));
    for (int size : {16, 32, 64, 256})
        icon.addFile(QStringLiteral(":/icons/mlad-workbench-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Unsupervised log anomaly detection workbench"));
    cli.addHelpOption();
    cli.addVersionOption();
    QCommandLineOption demo(
        QStringLiteral("demo"),
        QStringLiteral("Create (first time) and open the demo project at PATH."),
        QStringLiteral("PATH"));
    QCommandLineOption shots(QStringLiteral("screenshots"),
                             QStringLiteral("Save a PNG of every view into DIR, then quit."),
                             QStringLiteral("DIR"));
    cli.addOption(demo);
    cli.addOption(shots);
    cli.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("Project file (*.mlad)"));
    cli.process(app);

    mlad::ui::MainWindow window;
    window.show();

    const QString shotsDir = cli.value(shots);
    const bool isDemo = cli.isSet(demo);
    auto takeShots = [&window, shotsDir, isDemo] {
        if (shotsDir.isEmpty()) return;
        // Give the views a moment to receive their first background results.
        QTimer::singleShot(1500, &window, [&window, shotsDir, isDemo] {
            auto save = [&window, shotsDir] {
                const QStringList files = window.saveScreenshots(shotsDir);
                for (const auto& f : files) std::printf("%s\n", qPrintable(f));
                QApplication::exit(files.isEmpty() ? 1 : 0);
            };
            // With a run shown, its projection is computed first (the view starts empty), then
            // the attention of its most anomalous test sequence (unless the lesson showed one).
            auto* pv = window.projectionView();
            auto* av = window.attentionView();
            // Last, the drill-down of the most anomalous test sequence.
            auto drill = [&window, shotsDir, save] {
                std::fprintf(stderr, "screenshots: drill-down\n");
                auto* d = window.resultsView()->openRankedRow(0);
                if (!d) {
                    save();
                    return;
                }
                d->resize(1300, 700);
                QObject::connect(d, &mlad::ui::LinesDialog::loaded, &window, [d, shotsDir, save] {
                    QDir().mkpath(shotsDir);
                    d->grab().save(QDir(shotsDir).filePath(QStringLiteral("drilldown.png")));
                    d->close();
                    save();
                });
            };
            auto attention = [av, drill] {
                std::fprintf(stderr, "screenshots: attention\n");
                QObject::connect(av, &mlad::ui::AttentionView::attentionShown, av, drill);
                QObject::connect(av, &mlad::ui::AttentionView::attentionUnavailable, av, drill);
                if (av->panelCount() > 0 || av->runCombo()->currentIndex() < 0)
                    drill();
                else
                    av->showSequence(0);
            };
            auto projection = [&window, pv, attention] {
                std::fprintf(stderr, "screenshots: projection\n");
                QObject::connect(pv, &mlad::ui::ProjectionView::projectionFinished, &window,
                                 attention);
                QObject::connect(pv, &mlad::ui::ProjectionView::errorOccurred, &window, attention);
                if (!pv->compute()) attention();
            };
            // On the demo the comparison shows the shortcut lesson (its runs exist by now).
            // Elsewhere it shows when the lesson's two runs were trained (it never trains here).
            const QString split = window.trainingPanel()->splitCombo()->currentText();
            auto* runs = window.resultsView()->runCombo();
            const bool lessonRuns =
                runs->findData(mlad::ui::ShortcutLesson::shortcutRunName(split)) >= 0 &&
                runs->findData(mlad::ui::ShortcutLesson::mladRunName(split)) >= 0;
            if ((isDemo || lessonRuns) && !window.shortcutLesson()->isRunning()) {
                std::fprintf(stderr, "screenshots: shortcut lesson\n");
                QObject::connect(window.shortcutLesson(), &mlad::ui::ShortcutLesson::finished,
                                 &window, [projection](bool ok, const QString& message) {
                                     if (!ok)
                                         std::fprintf(stderr, "screenshots: %s\n",
                                                      qPrintable(message));
                                     projection();
                                 });
                window.startShortcutLesson();  // reports a failure to start through finished
            } else {
                projection();
            }
        });
    };
    if (isDemo) {
        QObject::connect(&window, &mlad::ui::MainWindow::demoRunsReady, &window, takeShots);
        window.openDemoProject(cli.value(demo));
    } else if (!cli.positionalArguments().isEmpty()) {
        if (window.openProject(cli.positionalArguments().first()))
            takeShots();
        else if (!shotsDir.isEmpty())
            return 1;
    } else {
        const QString last = QSettings().value(QStringLiteral("lastProject")).toString();
        if (!last.isEmpty() && QFileInfo::exists(last)) window.openProject(last);
        takeShots();
    }
    return app.exec();
}
