#pragma once
// The mlad command line, built with CLI11: a table of every command (name, summary, and which
// executable runs it), typed options with ranges, generated help, and the common main().
//
// Two executables share this: `mlad` links only the torch-free data library and runs the data
// commands; the ML commands (embed, train, evaluate, score, demo) live in `mlad-ml`, which
// links LibTorch, and `mlad` hands over to it with execv(). So `mlad --version`, `import`,
// `templates`... never load LibTorch (about 1 s of start-up), and users still type `mlad train`.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlad/util/Json.h"

namespace mlad::cli {

/// A usage mistake: reported with the command's name and a pointer to its help, exit status 1.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class Half { Data, Ml };

struct CommandEntry {
    const char* name;
    const char* summary;
    Half half;  ///< which executable runs it
};

/// Every command of `mlad`, in the order `mlad --help` lists them.
const std::vector<CommandEntry>& commandTable();
const CommandEntry* findCommand(const std::string& name);

/// Integer option range: the validator refuses malformed text, fractions, and values outside
/// [lo, hi], naming the range ("[1, 1000000]").
CLI::Validator intRange(int64_t lo, int64_t hi);
/// Real option range: refuses malformed text, NaN, infinities and values outside [lo, hi].
CLI::Validator realRange(double lo, double hi);
/// Any finite real number.
CLI::Validator finiteReal();

/// One executable's commands: each registered subcommand with the function that runs it.
class Cli {
  public:
    Cli(const std::string& exe, Half half);
    /// Adds the subcommand `name` (its summary from commandTable()); `run` is called after a
    /// successful parse and returns the exit status.
    CLI::App* add(const std::string& name, std::function<int()> run);
    /// Parses and runs; prints errors on stderr. Exit status: the command's own, 1 for usage
    /// errors, 2 for failures.
    int main(int argc, char** argv);

  private:
    void printHelp() const;
    int runHelp(const std::string& name);
    CLI::App app_;
    Half half_;
    std::map<CLI::App*, std::function<int()>> runners_;
};

/// Replaces this process with the other half's executable (found next to this one, or
/// $MLAD_ML_EXE / $MLAD_DATA_EXE), passing argv on. Returns only on failure, with a message.
[[noreturn]] void handOver(Half target, char** argv);

/// `--project P.mlad`, required.
CLI::Option* addProjectOption(CLI::App* sub, std::string& path,
                              const std::string& help = "project file (.mlad)");

/// Prints a JSON document on stdout (compact, one line).
void printJson(const Json& j);

}  // namespace mlad::cli
