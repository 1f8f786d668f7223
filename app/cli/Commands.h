#pragma once
// The mlad CLI commands. Each returns the process exit code; errors are thrown and reported by
// main() on stderr with a non-zero exit.
#include <string>
#include <vector>

namespace mlad::cli {

struct Command {
    const char* name;
    const char* summary;
    const char* usage;                  ///< full help text: synopsis and every option
    int (*run)(int argc, char** argv);  ///< argv[0] is the command name
};

const std::vector<Command>& commands();

int cmdImport(int argc, char** argv);
int cmdTemplates(int argc, char** argv);
int cmdExport(int argc, char** argv);
int cmdParse(int argc, char** argv);
int cmdSystems(int argc, char** argv);
int cmdDemo(int argc, char** argv);
int cmdCheck(int argc, char** argv);
int cmdSequences(int argc, char** argv);
int cmdImportSessions(int argc, char** argv);
int cmdSplit(int argc, char** argv);
int cmdEmbed(int argc, char** argv);
int cmdTrain(int argc, char** argv);
int cmdEvaluate(int argc, char** argv);
int cmdScore(int argc, char** argv);
int cmdRuns(int argc, char** argv);

}  // namespace mlad::cli
