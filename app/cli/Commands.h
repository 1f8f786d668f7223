#pragma once
// The mlad CLI commands, registered on a Cli (see Cli.h): the data half in CommandsData.cpp
// (mlad, no LibTorch), the ML half in CommandsModel.cpp and CommandsDemo.cpp (mlad-ml).
#include "Cli.h"

namespace mlad::cli {

void addDataCommands(Cli& cli);
/// `mlad launch`: data-parallel ranks (CommandsLaunch.cpp).
void addLaunchCommand(Cli& cli);
/// argv: `train` generates the options of the model named by --model.
void addModelCommands(Cli& cli, int argc, char** argv);
void addDemoCommand(Cli& cli);
void addTsneCommand(Cli& cli);

}  // namespace mlad::cli
