// mlad: the command-line face of MLAD Workbench, data half (no LibTorch, no Qt). The ML
// commands (embed, train, evaluate, score, demo) are handed over to mlad-ml; see Cli.h.
#include "Cli.h"
#include "Commands.h"

int main(int argc, char** argv) {
    mlad::cli::Cli cli("mlad", mlad::cli::Half::Data);
    mlad::cli::addDataCommands(cli);
    return cli.main(argc, argv);
}
