// Help texts for every command (mlad help COMMAND).
#include "Commands.h"

namespace mlad::cli {

#define PRESET_HELP                                                                           \
    "  Format (one of):\n"                                                                    \
    "    --preset NAME        a built-in loghub preset: BGL HDFS Thunderbird Hadoop Spark\n"  \
    "                         Zookeeper OpenStack HPC Linux Mac Windows Android HealthApp\n"  \
    "                         Apache Proxifier OpenSSH\n"                                     \
    "    --preset-file FILE   a preset file (key = value lines, see datasets/presets)\n"      \
    "    --format STRING      a loghub format string, e.g. '<Date> <Time> <Level>: <Content>'\n" \
    "  Overrides:\n"                                                                          \
    "    --mask REGEX         masking regex applied to Content (repeatable; replaces the\n"   \
    "                         preset's masks)\n"                                              \
    "    --depth N --similarity X --max-children N   Drain settings\n"                        \
    "    --time-fields 'F1 F2' --time-format FMT      timestamp (strptime-like: %Y %y %m %d\n" \
    "                         %H %M %S %f %b %a, or epoch / epoch_ms)\n"                      \
    "    --group-regex RE     session id regex (e.g. blk_-?\\d+)\n"                            \
    "    --label-field F [--label-normal V]   per-line label field (V = normal, default -)\n"

const std::vector<Command>& commands() {
    static const std::vector<Command> cmds = {
        {"import", "import log files (plain or .gz) into a project",
         "usage: mlad import --project P.mlad (--preset NAME | --format STR ...) [options] FILE...\n"
         "Streams the files into the project (SQLite), parses them with Drain and stores raw\n"
         "lines, fields, timestamps, labels and a template per line. Importing a file again is\n"
         "detected and skipped; an interrupted import resumes where it stopped.\n\n"
         "  --project P.mlad      project file (created when missing)\n"
         "  --system NAME         system name (default: the preset name)\n"
         "  --labels CSV          group labels, e.g. HDFS anomaly_label.csv (BlockId,Label)\n"
         "  --force               import files that were imported before once more\n"
         "  --max-line-bytes N    longer lines are skipped and reported (default 1048576)\n"
         "  --batch-lines N       lines per transaction (default 50000)\n"
         "  --json                machine-readable report on stdout\n" PRESET_HELP,
         cmdImport},
        {"templates", "list the Drain templates of a project",
         "usage: mlad templates --project P.mlad [--system NAME] [--limit N] [--json]\n"
         "Templates by descending count with their EventId, count and labels.\n",
         cmdTemplates},
        {"export", "write loghub's _structured.csv and _templates.csv for a system",
         "usage: mlad export --project P.mlad --system NAME --out DIR\n"
         "Writes DIR/NAME_structured.csv (LineId, fields..., EventId, EventTemplate) and\n"
         "DIR/NAME_templates.csv (EventId, EventTemplate, Occurrences).\n",
         cmdExport},
        {"parse", "parse a file with Drain without a project (quick looks, benchmarks)",
         "usage: mlad parse (--preset NAME | --format STR ...) FILE --out DIR [--json]\n"
         "Writes DIR/<file>_structured.csv and DIR/<file>_templates.csv.\n" PRESET_HELP,
         cmdParse},
        {"systems", "list the systems of a project",
         "usage: mlad systems --project P.mlad [--json]\n", cmdSystems},
        {"check", "check a project: integrity, imported files and their issues",
         "usage: mlad check --project P.mlad\n"
         "Runs PRAGMA integrity_check and lists every imported file with its status and first\n"
         "issues (skipped lines with file and line number). Exit 1 when integrity fails.\n",
         cmdCheck},
        {"demo", "generate the built-in demo logs and run the whole pipeline headless",
         "usage: mlad demo --project P.mlad [--data DIR] [--report FILE] [--seed N] [--quick]\n"
         "Writes a deterministic multi-system demo log set (an HDFS-like block system and a\n"
         "BGL-like RAS system with labelled anomalies of several kinds), imports it and runs\n"
         "the pipeline, then writes a Markdown report and prints its path.\n",
         cmdDemo},
    };
    return cmds;
}

}  // namespace mlad::cli
