// mlad-ml: the LibTorch half of the mlad CLI (embed, train, evaluate, score, demo). Users run
// it through `mlad COMMAND`, which hands over to it; data commands given here go back to mlad.
#include "Cli.h"
#include "Commands.h"
#include "mlad/train/Runtime.h"

int main(int argc, char** argv) {
    mlad::configureTorchThreads();
    mlad::cli::Cli cli("mlad", mlad::cli::Half::Ml);
    mlad::cli::addModelCommands(cli, argc, argv);
    return cli.main(argc, argv);
}
