#include "Cli.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "mlad/util/Version.h"

namespace mlad::cli {

const std::vector<CommandEntry>& commandTable() {
    static const std::vector<CommandEntry> table = {
        {"import", "import log files (plain or .gz) into a project", Half::Data},
        {"templates", "list the Drain templates of a project", Half::Data},
        {"export", "write loghub's _structured.csv and _templates.csv for a system", Half::Data},
        {"parse", "parse a file with Drain without a project (quick looks, benchmarks)",
         Half::Data},
        {"systems", "list the systems of a project", Half::Data},
        {"check", "check a project: integrity, imported files and their issues", Half::Data},
        {"sequences", "build sequences of a system: windows, time windows or sessions", Half::Data},
        {"import-sessions", "import pre-parsed sessions (DeepLog files, session CSVs)", Half::Data},
        {"split", "create a named, seeded evaluation split with its leakage report", Half::Data},
        {"runs", "list training runs with their manifests", Half::Data},
        {"embed", "compute semantic template vectors (cached in the project)", Half::Ml},
        {"models", "list the detectors with their parameters", Half::Ml},
        {"train", "train a detector (MLAD, its ablations, ...) on a split", Half::Ml},
        {"evaluate", "metrics of a run at a threshold", Half::Ml},
        {"experiment", "the paper's experiments (table2, table3, alpha-sweep, multi-system)",
         Half::Ml},
        {"score", "score sequences with a trained run and write a CSV", Half::Ml},
        {"tsne", "2-D t-SNE layout of a numeric CSV or of a run's test sequences", Half::Ml},
        {"demo", "generate the built-in demo logs and run the whole pipeline headless", Half::Ml},
        {"launch", "run a command (train) as several data-parallel ranks, like torchrun",
         Half::Data},
        {"doctor", "show the versions, threads, BLAS and CUDA this installation uses", Half::Ml},
    };
    return table;
}

const CommandEntry* findCommand(const std::string& name) {
    for (const auto& c : commandTable())
        if (name == c.name) return &c;
    return nullptr;
}

namespace {

std::string numberText(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

// Parses the whole of `s` as a number; false when it is not one.
bool parseReal(const std::string& s, double& out) {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
    char* end = nullptr;
    errno = 0;
    out = std::strtod(s.c_str(), &end);
    return end && *end == '\0';
}

}  // namespace

CLI::Validator intRange(int64_t lo, int64_t hi) {
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& s) -> std::string {
            char* end = nullptr;
            errno = 0;
            long long v = std::strtoll(s.c_str(), &end, 10);
            if (s.empty() || !end || *end != '\0' || std::isspace(static_cast<unsigned char>(s[0])))
                return "'" + s + "' is not an integer (range " + range + ")";
            if (errno == ERANGE || v < lo || v > hi) return s + " is outside the range " + range;
            return {};
        },
        range, "intRange");
}

CLI::Validator realRange(double lo, double hi) {
    const std::string range = "[" + numberText(lo) + ", " + numberText(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& s) -> std::string {
            double v;
            if (!parseReal(s, v)) return "'" + s + "' is not a number (range " + range + ")";
            if (!std::isfinite(v) || v < lo || v > hi) return s + " is outside the range " + range;
            return {};
        },
        range, "realRange");
}

CLI::Validator finiteReal() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            double v;
            if (!parseReal(s, v)) return "'" + s + "' is not a number";
            if (!std::isfinite(v)) return s + " is not a finite number";
            return {};
        },
        "finite", "finiteReal");
}

Cli::Cli(const std::string& exe, Half half) : app_("", exe), half_(half) {
    app_.set_help_flag();  // the top level prints its own command list
    app_.require_subcommand(0, 1);
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app_.option_defaults()->always_capture_default();
    app_.get_formatter()->column_width(34);
}

CLI::App* Cli::add(const std::string& name, std::function<int()> run) {
    const CommandEntry* e = findCommand(name);
    CLI::App* sub = app_.add_subcommand(name, e ? e->summary : "");
    sub->set_help_flag("-h,--help", "print this help and exit");
    runners_[sub] = std::move(run);
    return sub;
}

void Cli::printHelp() const {
    std::cout << "mlad " MLAD_VERSION " (" << codeVersion()
              << ") - unsupervised log anomaly detection (MLAD, Drain, LibTorch)\n\n"
                 "usage: mlad COMMAND [options]\n       mlad help COMMAND\n\ncommands:\n";
    for (const auto& c : commandTable()) std::printf("  %-16s %s\n", c.name, c.summary);
    std::cout << "\nRun 'mlad help COMMAND' or 'mlad COMMAND --help' for a command's options.\n"
                 "Errors go to stderr with a non-zero exit status; --json gives machine-readable "
                 "output where offered.\n";
    std::cout.flush();
}

int Cli::runHelp(const std::string& name) {
    for (const auto& [sub, run] : runners_)
        if (sub->get_name() == name) {
            std::cout << sub->help("mlad");
            return 0;
        }
    std::cerr << "mlad: unknown command '" << name << "' (see mlad --help)\n";
    return 1;
}

int Cli::main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        printHelp();
        return argc < 2 ? 1 : 0;
    }
    const std::string name = argv[1];
    if (name == "--version") {
        std::cout << "mlad " MLAD_VERSION " (" << codeVersion() << ")\n";
        return 0;
    }
    if (name == "help") {
        if (argc < 3) {
            printHelp();
            return 0;
        }
        const CommandEntry* e = findCommand(argv[2]);
        if (e && e->half != half_) handOver(e->half, argv);
        return runHelp(argv[2]);
    }
    const CommandEntry* e = findCommand(name);
    if (!e) {
        std::cerr << "mlad: unknown command '" << name << "' (see mlad --help)\n";
        return 1;
    }
    if (e->half != half_) handOver(e->half, argv);
    try {
        app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return runHelp(name);
    } catch (const CLI::ParseError& err) {
        std::cerr << "mlad " << name << ": " << err.what() << "\nRun 'mlad help " << name
                  << "' for its options.\n";
        return 1;
    }
    for (const auto& [sub, run] : runners_) {
        if (!sub->parsed()) continue;
        try {
            return run();
        } catch (const UsageError& err) {
            std::cerr << "mlad " << name << ": " << err.what() << "\nRun 'mlad help " << name
                      << "' for its options.\n";
            return 1;
        } catch (const std::exception& err) {
            std::cerr << "mlad " << name << ": error: " << err.what() << "\n";
            return 2;
        }
    }
    return 1;
}

void handOver(Half target, char** argv) {
    namespace fs = std::filesystem;
    const char* env = std::getenv(target == Half::Ml ? "MLAD_ML_EXE" : "MLAD_DATA_EXE");
    std::string exe;
    if (env && *env) {
        exe = env;
    } else {
        std::error_code ec;
        fs::path self = fs::read_symlink("/proc/self/exe", ec);
        exe = (self.parent_path() / (target == Half::Ml ? "mlad-ml" : "mlad")).string();
    }
    argv[0] = const_cast<char*>(exe.c_str());
    std::cout.flush();
    ::execv(exe.c_str(), argv);
    std::cerr << "mlad: '" << (argv[1] ? argv[1] : "") << "' runs in "
              << (target == Half::Ml ? "mlad-ml, the LibTorch half of the CLI"
                                     : "mlad, the data half of the CLI")
              << ", which could not be started from " << exe << " (" << std::strerror(errno)
              << "); install it beside this program or set "
              << (target == Half::Ml ? "MLAD_ML_EXE" : "MLAD_DATA_EXE") << "\n";
    std::exit(2);
}

CLI::Option* addProjectOption(CLI::App* sub, std::string& path, const std::string& help) {
    return sub->add_option("--project", path, help)->required()->type_name("P.mlad");
}

void printJson(const Json& j) {
    std::cout << dumpJson(j) << "\n";
}

}  // namespace mlad::cli
