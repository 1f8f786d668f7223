// Help texts for every command (mlad help COMMAND).
#include "Commands.h"

namespace mlad::cli {

#define PRESET_HELP                                                                              \
    "  Format (one of):\n"                                                                       \
    "    --preset NAME        a built-in loghub preset: BGL HDFS Thunderbird Hadoop Spark\n"     \
    "                         Zookeeper OpenStack HPC Linux Mac Windows Android HealthApp\n"     \
    "                         Apache Proxifier OpenSSH\n"                                        \
    "    --preset-file FILE   a preset file (key = value lines, see datasets/presets)\n"         \
    "    --format STRING      a loghub format string, e.g. '<Date> <Time> <Level>: <Content>'\n" \
    "  Overrides:\n"                                                                             \
    "    --mask REGEX         masking regex applied to Content (repeatable; replaces the\n"      \
    "                         preset's masks)\n"                                                 \
    "    --depth N --similarity X --max-children N   Drain settings\n"                           \
    "    --time-fields 'F1 F2' --time-format FMT      timestamp (strptime-like: %Y %y %m %d\n"   \
    "                         %H %M %S %f %b %a, or epoch / epoch_ms)\n"                         \
    "    --group-regex RE     session id regex (e.g. blk_-?\\d+)\n"                              \
    "    --label-field F [--label-normal V]   per-line label field (V = normal, default -)\n"

const std::vector<Command>& commands() {
    static const std::vector<Command> cmds = {
        {"import", "import log files (plain or .gz) into a project",
         "usage: mlad import --project P.mlad (--preset NAME | --format STR ...) [options] "
         "FILE...\n"
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
        {"sequences", "build sequences of a system: windows, time windows or sessions",
         "usage: mlad sequences --project P.mlad --system NAME (--window N [--step M] "
         "[--time-order]\n"
         "         | --time-window D [--time-step D] | --session-regex RE\n"
         "         | --session-by file|folder|regex [--labels CSV]) [--name SET] [--min-length N]\n"
         "Windows count lines in import order (or time order with --time-order); durations are\n"
         "like 30s, 5m, 1h. Sessions by regex use the preset's group regex when none is given\n"
         "(HDFS: blk_-?\\d+). --session-by folder makes one session per source folder (loghub\n"
         "Hadoop applications) with labels from a CSV keyed by folder name (anything but Normal\n"
         "is anomalous). A sequence is anomalous when any member line is.\n",
         cmdSequences},
        {"import-sessions", "import pre-parsed sessions (DeepLog files, session CSVs)",
         "usage: mlad import-sessions --project P.mlad --system NAME --templates TEMPLATES.csv\n"
         "         (--deeplog FILE --label normal|anomaly\n"
         "          | --csv FILE [--id-column BlockId] [--label-column Label] [--events-column "
         "EventIds])\n"
         "         [--name SET]\n"
         "TEMPLATES.csv maps EventId (E<n>) to EventTemplate; events are numbers n.\n",
         cmdImportSessions},
        {"split", "create a named, seeded evaluation split with its leakage report",
         "usage: mlad split --project P.mlad --name S --protocol "
         "paper|chronological|multi-system|transfer\n"
         "         [--system A[,B...]] [--train-system A --test-system B] [--set SET]\n"
         "         [--seed N] [--train-fraction 0.6] [--val-fraction 0.1] [--base "
         "chronological|paper] [--json]\n"
         "paper: test = all anomalous + as many random normal sequences, train = the other\n"
         "normal ones. chronological (honest numbers): the first train-fraction of sequences is\n"
         "the training window (normal ones only, its latest val-fraction held out for\n"
         "validation), the rest is test. Prints identical train/test sequences and test\n"
         "templates never seen in training.\n",
         cmdSplit},
        {"embed", "compute semantic template vectors (cached in the project)",
         "usage: mlad embed --project P.mlad [--embedder corpus|vectors:FILE|torchscript:DIR] "
         "[--dim 100] [--json]\n"
         "corpus: skip-gram + character n-grams trained on all systems' templates (offline).\n"
         "vectors:FILE: a CSV (template,v1..vd) or .npy + .txt index computed elsewhere.\n"
         "torchscript:DIR: DIR/model.pt + DIR/vocab.txt (tools/export_sentence_encoder.py).\n",
         cmdEmbed},
        {"train", "train MLAD (or an ablation) on a split",
         "usage: mlad train --project P.mlad --split S [--model mlad] [--ablation "
         "w/o-entmax|w/o-gmm]\n"
         "         [--alpha 1.5] [--epochs 30] [--batch-size 512] [--lr 0.001] [--device "
         "auto|cpu|cuda]\n"
         "         [--run NAME] [--seed 42] [--threads N] [--recon masked|full] [--mask-ratio "
         "0.3]\n"
         "         [--d-model 100] [--layers 2] [--heads 4] [--d-ff 256] [--d-z 16] [--components "
         "5]\n"
         "         [--max-len 128] [--dropout 0.1] [--lambda-energy 0.1] [--lambda-cov 0.005]\n"
         "         [--patience 5] [--embedder corpus] [--embed-dim 100] [--nu 0.01] [--amp] "
         "[--json]\n"
         "Trains in the foreground with per-epoch losses; a cancelled or failed run resumes\n"
         "from its last checkpoint when trained again with the same --run name.\n"
         "--amp: mixed precision (autocast: float16 matrix products on CUDA, bfloat16 on CPU,\n"
         "with dynamic loss scaling) for training only: GMM re-estimation, scoring and the\n"
         "saved model run at full precision. On CPUs without bfloat16 units it is slower.\n",
         cmdTrain},
        {"evaluate", "metrics of a run at a threshold",
         "usage: mlad evaluate --project P.mlad --run NAME [--threshold "
         "quantile:0.99|value:X|oracle] [--json]\n"
         "Default threshold: the (1 - nu) quantile of the validation scores. oracle picks the\n"
         "best F1 on the test labels and is always labelled ORACLE.\n",
         cmdEvaluate},
        {"score", "score sequences with a trained run and write a CSV",
         "usage: mlad score --project P.mlad --run NAME (--system NAME [--set SET] | "
         "--sequences-of-split S:test)\n"
         "         --out scores.csv [--threshold X]\n"
         "Columns: sequence_id, system, first_line, last_line, label, score, predicted.\n",
         cmdScore},
        {"runs", "list training runs with their manifests",
         "usage: mlad runs --project P.mlad [--json]\n", cmdRuns},
        {"demo", "generate the built-in demo logs and run the whole pipeline headless",
         "usage: mlad demo --project P.mlad [--data DIR] [--report FILE] [--seed N] [--quick]\n"
         "                 [--epochs N] [--no-train]\n"
         "Writes a deterministic multi-system demo log set (an HDFS-like block system and a\n"
         "BGL-like RAS system with labelled anomalies of several kinds), imports it and runs\n"
         "the pipeline, then writes a Markdown report and prints its path.\n",
         cmdDemo},
    };
    return cmds;
}

}  // namespace mlad::cli
