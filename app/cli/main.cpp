// mlad: the command-line face of MLAD Workbench. Same core as the GUI, no Qt.
#include <cstring>
#include <exception>
#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "mlad/train/Trainer.h"

namespace mlad::cli {

static void printHelp() {
    std::cout << "mlad " MLAD_VERSION " (" MLAD_GIT_VERSION
                 ") - unsupervised log anomaly "
                 "detection (MLAD, Drain, LibTorch)\n\n"
                 "usage: mlad COMMAND [options]\n       mlad help COMMAND\n\ncommands:\n";
    for (const auto& c : commands()) std::printf("  %-16s %s\n", c.name, c.summary);
    std::cout << "\nRun 'mlad help COMMAND' or 'mlad COMMAND --help' for a command's options.\n"
                 "Errors go to stderr with a non-zero exit status; --json gives machine-readable "
                 "output where offered.\n";
}

static const Command* find(const std::string& name) {
    for (const auto& c : commands())
        if (name == c.name) return &c;
    return nullptr;
}

}  // namespace mlad::cli

int main(int argc, char** argv) {
    using namespace mlad::cli;
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        printHelp();
        return argc < 2 ? 1 : 0;
    }
    std::string name = argv[1];
    if (name == "--version") {
        std::cout << "mlad " MLAD_VERSION " (" MLAD_GIT_VERSION ")\n";
        return 0;
    }
    if (name == "help") {
        if (argc < 3) {
            printHelp();
            return 0;
        }
        const Command* c = find(argv[2]);
        if (!c) {
            std::cerr << "mlad: unknown command '" << argv[2] << "'\n";
            return 1;
        }
        std::cout << c->usage;
        return 0;
    }
    const Command* c = find(name);
    if (!c) {
        std::cerr << "mlad: unknown command '" << name << "' (see mlad --help)\n";
        return 1;
    }
    for (int i = 2; i < argc; ++i)
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::cout << c->usage;
            return 0;
        }
    try {
        mlad::configureTorchThreads();
        return c->run(argc - 1, argv + 1);
    } catch (const UsageError& e) {
        std::cerr << "mlad " << name << ": " << e.what() << "\n\n" << c->usage;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "mlad " << name << ": error: " << e.what() << "\n";
        return 2;
    }
}
