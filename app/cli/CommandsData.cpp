// Data-layer commands (the `mlad` executable, no LibTorch): import, templates, export, parse,
// systems, check, sequences, import-sessions, split, runs.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include "Commands.h"
#include "Output.h"
#include "mlad/import/Export.h"
#include "mlad/import/Importer.h"
#include "mlad/import/Sessions.h"
#include "mlad/io/Preset.h"
#include "mlad/io/TimeParse.h"
#include "mlad/seq/Sequences.h"
#include "mlad/seq/Splits.h"
#include "mlad/store/Project.h"
#include "mlad/store/Runs.h"
#include "mlad/util/Strings.h"

namespace mlad::cli {

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// --preset NAME | --preset-file FILE | --format STR [--mask RE ...], plus Drain overrides.
struct PresetArgs {
    std::string preset, presetFile, format, timeFields, timeFormat, groupRegex, labelField;
    std::string labelNormal = "-";
    std::vector<std::string> masks;
    int depth = 0, maxChildren = 0;
    int64_t maxTemplates = 0;
    double similarity = 0;
    CLI::Option *oDepth = nullptr, *oSimilarity = nullptr, *oMaxChildren = nullptr,
                *oMaxTemplates = nullptr, *oTimeFields = nullptr, *oTimeFormat = nullptr,
                *oGroupRegex = nullptr, *oLabelField = nullptr;

    void add(CLI::App* s) {
        const char* g = "Format (one of --preset, --preset-file, --format) and overrides";
        s->add_option("--preset", preset,
                      "a built-in loghub preset: BGL HDFS Thunderbird Hadoop Spark Zookeeper "
                      "OpenStack HPC Linux Mac Windows Android HealthApp Apache Proxifier OpenSSH")
            ->group(g);
        s->add_option("--preset-file", presetFile, "a preset file (key = value lines)")
            ->group(g)
            ->type_name("FILE");
        s->add_option("--format", format,
                      "a loghub format string, e.g. '<Date> <Time> <Level>: <Content>'")
            ->group(g);
        s->add_option("--mask", masks,
                      "masking regex applied to Content (repeatable; replaces the preset's)")
            ->group(g)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->type_name("REGEX");
        oDepth = s->add_option("--depth", depth, "Drain parse-tree depth")
                     ->group(g)
                     ->check(intRange(3, 100));
        oSimilarity = s->add_option("--similarity", similarity, "Drain similarity threshold")
                          ->group(g)
                          ->check(realRange(0.0, 1.0));
        oMaxChildren = s->add_option("--max-children", maxChildren, "Drain children per node")
                           ->group(g)
                           ->check(intRange(2, 1000000));
        oMaxTemplates =
            s->add_option("--max-templates", maxTemplates,
                          "Drain's template cap (default 100000); past it, lines join their "
                          "nearest template and the import says how many did")
                ->group(g)
                ->check(intRange(1, 100000000));
        oTimeFields = s->add_option("--time-fields", timeFields,
                                    "fields forming the timestamp, e.g. 'Date Time'")
                          ->group(g);
        oTimeFormat = s->add_option("--time-format", timeFormat,
                                    "strptime-like: %Y %y %m %d %H %M %S %f %b %a, or epoch / "
                                    "epoch_ms")
                          ->group(g);
        oGroupRegex =
            s->add_option("--group-regex", groupRegex, "session id regex (e.g. blk_-?\\d+)")
                ->group(g);
        oLabelField = s->add_option("--label-field", labelField, "per-line label field")->group(g);
        s->add_option("--label-normal", labelNormal,
                      "the --label-field value of normal lines (default -)")
            ->group(g);
    }

    Preset build(const std::string& system, bool groupLabels) const {
        Preset p;
        if (!preset.empty()) {
            const Preset* found = findPreset(preset);
            if (!found) {
                std::string names;
                for (const auto& b : builtinPresets())
                    names += (names.empty() ? "" : ", ") + b.name;
                throw UsageError("unknown preset '" + preset + "' (known: " + names + ")");
            }
            p = *found;
        } else if (!presetFile.empty()) {
            std::ifstream f(presetFile, std::ios::binary);
            if (!f) throw UsageError("cannot read preset file " + presetFile);
            std::ostringstream text;
            text << f.rdbuf();
            p = parsePreset(text.str(), presetFile);
        } else if (!format.empty()) {
            p.name = system.empty() ? "custom" : system;
            p.format = format;
        } else {
            throw UsageError("give --preset NAME, --preset-file FILE or --format STRING");
        }
        if (!format.empty()) p.format = format;
        if (!masks.empty()) p.masks = masks;
        if (oDepth->count()) p.depth = depth;
        if (oSimilarity->count()) p.similarity = similarity;
        if (oMaxChildren->count()) p.maxChildren = maxChildren;
        if (oMaxTemplates->count()) p.maxTemplates = uint64_t(maxTemplates);
        if (oTimeFields->count()) {
            p.timeFields.clear();
            for (auto f : splitWhitespace(timeFields)) p.timeFields.emplace_back(f);
        }
        if (oTimeFormat->count()) p.timeFormat = timeFormat;
        if (oGroupRegex->count()) p.groupRegex = groupRegex;
        if (oLabelField->count()) {
            p.label.kind = LabelRule::Kind::Field;
            p.label.field = labelField;
            p.label.normalValue = labelNormal;
        }
        if (groupLabels && p.label.kind == LabelRule::Kind::None)
            p.label.kind = LabelRule::Kind::GroupFile;
        p.validate();
        return p;
    }
};

Json setJson(const SequenceSetInfo& s) {
    return {{"system", s.system},        {"set", s.name},        {"kind", s.kind},
            {"params", s.params},        {"sequences", s.count}, {"anomalous", s.anomalous},
            {"unlabelled", s.unlabelled}};
}

void printSet(const SequenceSetInfo& s, bool json) {
    if (json)
        printJson(setJson(s));
    else
        std::cout << s.system << "/" << s.name << " (" << s.kind << ", " << s.params
                  << "): " << s.count << " sequences, " << s.anomalous << " anomalous, "
                  << s.unlabelled << " unlabelled\n";
}

int64_t parseDurationMs(const std::string& option, const std::string& s) {
    size_t pos = 0;
    double v = 0;
    try {
        v = std::stod(s, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    std::string unit = s.substr(pos);
    double mult = unit == "ms"                  ? 1
                  : unit == "s" || unit.empty() ? 1000
                  : unit == "m"                 ? 60000
                  : unit == "h"                 ? 3600000
                  : unit == "d"                 ? 86400000
                                                : -1;
    const double ms = v * mult;
    if (pos == 0 || mult < 0 || !(v > 0) || !(ms >= 1) || ms > 1e15)
        throw UsageError(option + ": bad duration '" + s +
                         "' (a positive number with ms, s, m, h or d, at least 1 ms: 30s, 5m, 1h)");
    return int64_t(ms);
}

void addImport(Cli& cli) {
    struct O {
        std::string project, system, labels;
        std::vector<std::string> files;
        bool force = false, json = false;
        int64_t batchLines = 50000, maxLineBytes = 1 << 20;
        PresetArgs preset;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("import", [o]() {
        ImportOptions opt;
        opt.preset = o->preset.build(o->system, !o->labels.empty());
        opt.system = o->system.empty() ? opt.preset.name : o->system;
        opt.labelsCsv = o->labels;
        opt.force = o->force;
        opt.batchLines = size_t(o->batchLines);
        opt.maxLineBytes = size_t(o->maxLineBytes);
        auto project = Project::open(o->project, "mlad import");
        TaskContext ctx(terminalProgress());
        ImportReport r = importFiles(*project, o->files, opt, &ctx);
        endProgressLine();
        if (o->json) {
            Json files = Json::array();
            for (const auto& f : r.files)
                files.push_back({{"path", f.path},
                                 {"status", f.status},
                                 {"imported", f.imported},
                                 {"skipped", f.skipped},
                                 {"no_match", f.noMatch},
                                 {"too_long", f.tooLong},
                                 {"nul_bytes", f.nulBytes},
                                 {"repaired_utf8", f.repairedUtf8},
                                 {"template_cap_lines", f.templateCapLines},
                                 {"message", f.message}});
            printJson({{"system", r.system},
                       {"imported", r.imported},
                       {"skipped", r.skipped},
                       {"templates", r.templatesAfter},
                       {"seconds", r.seconds},
                       {"files", files}});
        } else {
            for (const auto& f : r.files) {
                bool bad = f.status == "failed";
                (bad ? std::cerr : std::cout) << (bad ? "error: " : "") << f.message << "\n";
                size_t shown = 0;
                for (const auto& is : f.firstIssues) {
                    if (is.kind == "error" && is.message == f.message) continue;  // said above
                    if (shown++ >= 5) break;
                    std::cerr << "  " << is.kind << ": " << is.message << "\n";
                }
                if (f.firstIssues.size() > 5)
                    std::cerr << "  ... more in the project (mlad check --project P)\n";
            }
            std::cout << "system " << r.system << ": " << r.imported << " lines imported, "
                      << r.skipped << " skipped, " << r.templatesAfter << " templates ("
                      << r.templatesAfter - r.templatesBefore << " new) in " << fmtNumber(r.seconds)
                      << " s";
            if (r.seconds > 0)
                std::cout << " (" << uint64_t(double(r.imported) / r.seconds) << " lines/s)";
            std::cout << "\n";
        }
        if (r.cancelled) return 3;
        return r.anyFailed() ? 2 : 0;
    });
    s->footer(
        "Streams the files into the project (SQLite), parses them with Drain and stores raw\n"
        "lines, fields, timestamps, labels and a template per line. Importing a file again is\n"
        "detected and skipped; an interrupted import resumes where it stopped.");
    addProjectOption(s, o->project, "project file (created when missing)");
    s->add_option("--system", o->system, "system name (default: the preset name)");
    s->add_option("--labels", o->labels,
                  "group labels, e.g. HDFS anomaly_label.csv (BlockId,Label)")
        ->type_name("CSV");
    s->add_flag("--force", o->force, "import files that were imported before once more");
    s->add_option("--max-line-bytes", o->maxLineBytes, "longer lines are skipped and reported")
        ->check(intRange(64, int64_t(1) << 31));
    s->add_option("--batch-lines", o->batchLines, "lines per transaction")
        ->check(intRange(1, 10000000));
    s->add_flag("--json", o->json, "machine-readable report on stdout");
    s->add_option("files", o->files, "log files (plain or .gz)")->required()->type_name("FILE");
    o->preset.add(s);
}

void addTemplates(Cli& cli) {
    struct O {
        std::string project, system;
        int64_t limit = -1;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("templates", [o]() {
        auto project = Project::openReadOnly(o->project);
        auto systems = project->systems();
        if (!o->system.empty()) {
            auto sys = project->system(o->system);
            if (!sys) throw UsageError("no system named '" + o->system + "'");
            systems = {*sys};
        }
        Json all = Json::array();
        for (const auto& sys : systems) {
            auto ts = project->templates(sys.id);
            std::stable_sort(
                ts.begin(), ts.end(),
                [](const TemplateInfo& x, const TemplateInfo& y) { return x.count > y.count; });
            if (!o->json)
                std::cout << "# " << sys.name << ": " << ts.size() << " templates, " << sys.lines
                          << " lines\n";
            int64_t n = 0;
            for (const auto& t : ts) {
                if (o->limit >= 0 && n++ >= o->limit) break;
                if (o->json) {
                    all.push_back({{"system", sys.name},
                                   {"id", t.id},
                                   {"event_id", "E" + std::to_string(t.ordinal)},
                                   {"template", t.text},
                                   {"count", t.count},
                                   {"anomalous", t.anomalous},
                                   {"labelled", t.labelled},
                                   {"first_ts", t.firstTs ? Json(*t.firstTs) : Json(nullptr)},
                                   {"last_ts", t.lastTs ? Json(*t.lastTs) : Json(nullptr)}});
                } else {
                    std::printf("E%-5lld %9llu  %s\n", (long long)t.ordinal,
                                (unsigned long long)t.count, t.text.c_str());
                }
            }
        }
        if (o->json) printJson(all);
        return 0;
    });
    s->footer("Templates by descending count with their EventId, count and labels.");
    addProjectOption(s, o->project);
    s->add_option("--system", o->system, "only this system");
    s->add_option("--limit", o->limit, "at most N templates per system")
        ->check(intRange(0, kInt64Max))
        ->default_str("all");
    s->add_flag("--json", o->json, "machine-readable output");
}

void addExport(Cli& cli) {
    struct O {
        std::string project, system, out;
        bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("export", [o]() {
        auto project = Project::openReadOnly(o->project);
        TaskContext ctx(terminalProgress());
        ExportResult r;
        try {
            r = exportLoghub(*project, o->system, o->out, o->force, &ctx);
        } catch (const OutputExists& e) {
            throw UsageError(std::string(e.what()) + "; give --force to replace it");
        }
        endProgressLine();
        std::cout << "wrote " << r.structuredCsv << " (" << r.lines << " lines) and "
                  << r.templatesCsv << " (" << r.templates << " templates)\n";
        return 0;
    });
    s->footer(
        "Writes DIR/NAME_structured.csv (LineId, fields..., EventId, EventTemplate) and\n"
        "DIR/NAME_templates.csv (EventId, EventTemplate, Occurrences).");
    addProjectOption(s, o->project);
    s->add_option("--system", o->system, "the system to export")->required();
    s->add_option("--out", o->out, "output folder")->required()->type_name("DIR");
    s->add_flag("--force", o->force, "replace CSVs of the same names in DIR");
}

void addParse(Cli& cli) {
    struct O {
        std::string file, out, system;
        bool json = false, force = false;
        PresetArgs preset;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("parse", [o]() {
        Preset p = o->preset.build(o->system, false);
        TaskContext ctx(terminalProgress());
        ParseOnlyResult r;
        try {
            r = parseToLoghub(p, o->file, o->out, o->force, &ctx);
        } catch (const OutputExists& e) {
            throw UsageError(std::string(e.what()) + "; give --force to replace them");
        }
        endProgressLine();
        double rate = r.seconds > 0 ? double(r.linesRead) / r.seconds : 0;
        if (o->json)
            printJson({{"lines", r.linesRead},
                       {"parsed", r.parsed},
                       {"skipped", r.skipped},
                       {"templates", r.files.templates},
                       {"template_cap_lines", r.templateCapLines},
                       {"seconds", r.seconds},
                       {"structured", r.files.structuredCsv},
                       {"templates_csv", r.files.templatesCsv}});
        else
            std::cout << r.linesRead << " lines, " << r.parsed << " parsed, " << r.skipped
                      << " skipped, " << r.files.templates << " templates in "
                      << fmtNumber(r.seconds) << " s (" << uint64_t(rate) << " lines/s)\nwrote "
                      << r.files.structuredCsv << "\nwrote " << r.files.templatesCsv << "\n";
        if (r.templateCapLines)
            std::cerr << "warning: Drain's template cap was reached: " << r.templateCapLines
                      << " lines joined their nearest template. The format or masks may not fit "
                         "this log; check the templates or raise --max-templates\n";
        return 0;
    });
    s->footer("Writes DIR/<file>_structured.csv and DIR/<file>_templates.csv.");
    s->add_option("file", o->file, "the log file")->required()->type_name("FILE");
    s->add_option("--out", o->out, "output folder")->required()->type_name("DIR");
    s->add_option("--system", o->system, "name used with --format (default custom)");
    s->add_flag("--json", o->json, "machine-readable output");
    s->add_flag("--force", o->force, "replace CSVs of the same names in DIR");
    o->preset.add(s);
}

void addSystems(Cli& cli) {
    struct O {
        std::string project;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("systems", [o]() {
        auto project = Project::openReadOnly(o->project);
        auto systems = project->systems();
        if (o->json) {
            Json all = Json::array();
            for (const auto& sys : systems)
                all.push_back({{"id", sys.id},
                               {"name", sys.name},
                               {"lines", sys.lines},
                               {"templates", sys.templates},
                               {"anomalous_lines", sys.anomalousLines},
                               {"labelled_lines", sys.labelledLines},
                               {"format", sys.preset.format}});
            printJson(all);
            return 0;
        }
        for (const auto& sys : systems)
            std::cout << sys.name << ": " << sys.lines << " lines, " << sys.templates
                      << " templates, " << sys.anomalousLines << " anomalous of "
                      << sys.labelledLines << " labelled\n";
        return 0;
    });
    addProjectOption(s, o->project);
    s->add_flag("--json", o->json, "machine-readable output");
}

void addCheck(Cli& cli) {
    struct O {
        std::string project;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("check", [o]() {
        auto project = Project::openReadOnly(o->project);
        std::string integrity = project->integrityCheck();
        Json files = Json::array();
        if (!o->json) std::cout << "integrity: " << integrity << "\n";
        for (const auto& f : project->files()) {
            auto issues = project->issues(f.id, 10);
            if (o->json) {
                Json is = Json::array();
                for (const auto& i : issues)
                    is.push_back({{"kind", i.kind}, {"message", i.message}});
                files.push_back({{"id", f.id},
                                 {"path", f.path},
                                 {"status", f.status},
                                 {"imported", f.linesImported},
                                 {"skipped", f.linesSkipped},
                                 {"error", f.error},
                                 {"issues", is}});
                continue;
            }
            std::cout << "file #" << f.id << " " << f.path << ": " << f.status << ", "
                      << f.linesImported << " imported, " << f.linesSkipped << " skipped";
            if (!f.error.empty()) std::cout << " (" << f.error << ")";
            std::cout << "\n";
            for (const auto& i : issues) std::cout << "  " << i.kind << ": " << i.message << "\n";
        }
        if (o->json) printJson({{"integrity", integrity}, {"files", files}});
        return integrity == "ok" ? 0 : 1;
    });
    s->footer(
        "Runs PRAGMA integrity_check and lists every imported file with its status and first\n"
        "issues (skipped lines with file and line number). Exit 1 when integrity fails.");
    addProjectOption(s, o->project);
    s->add_flag("--json", o->json, "machine-readable output");
}

void addSequences(Cli& cli) {
    struct O {
        std::string project, system, timeWindow, timeStep, sessionRegex, sessionBy, labels, name;
        int64_t window = 20, step = 0, minLength = 1;
        bool json = false, timeOrder = false, extend = false;
        CLI::Option *oWindow = nullptr, *oStep = nullptr, *oTimeWindow = nullptr,
                    *oSessionRegex = nullptr, *oSessionBy = nullptr;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("sequences", [o]() {
        SequenceSpec spec;
        spec.name = o->name;
        spec.minLength = size_t(o->minLength);
        spec.extend = o->extend;
        if (o->oWindow->count()) {
            spec.kind = SequenceSpec::Kind::Window;
            spec.size = size_t(o->window);
            spec.step = o->oStep->count() ? size_t(o->step) : spec.size;
            spec.timeOrder = o->timeOrder;
        } else if (o->oTimeWindow->count()) {
            spec.kind = SequenceSpec::Kind::TimeWindow;
            spec.spanMs = parseDurationMs("--time-window", o->timeWindow);
            spec.stepMs =
                o->timeStep.empty() ? spec.spanMs : parseDurationMs("--time-step", o->timeStep);
        } else if (o->oSessionRegex->count()) {
            spec.kind = SequenceSpec::Kind::SessionRegex;
            spec.regex = o->sessionRegex;
        } else if (o->oSessionBy->count()) {
            spec.kind = o->sessionBy == "file"     ? SequenceSpec::Kind::SessionFile
                        : o->sessionBy == "folder" ? SequenceSpec::Kind::SessionFolder
                                                   : SequenceSpec::Kind::SessionRegex;
            spec.labelsCsv = o->labels;
        } else {
            throw UsageError(
                "give --window N [--step M], --time-window D [--time-step D], "
                "--session-regex RE or --session-by file|folder|regex");
        }
        auto project = Project::open(o->project, "mlad sequences");
        TaskContext ctx(terminalProgress());
        auto info = buildSequences(*project, o->system, spec, &ctx);
        endProgressLine();
        printSet(info, o->json);
        return 0;
    });
    s->footer(
        "Windows count lines in import order (or time order with --time-order); durations are\n"
        "like 30s, 5m, 1h. Sessions by regex use the preset's group regex when none is given\n"
        "(HDFS: blk_-?\\d+). --session-by folder makes one session per source folder (loghub\n"
        "Hadoop applications) with labels from a CSV keyed by folder name. A sequence is\n"
        "anomalous when any member line is. --extend adds the sequences of lines imported\n"
        "since the set was built (same settings), keeping the old ones and their splits.");
    addProjectOption(s, o->project);
    s->add_option("--system", o->system, "the system")->required();
    o->oWindow = s->add_option("--window", o->window, "fixed windows of N lines")
                     ->check(intRange(1, 1000000));
    o->oStep = s->add_option("--step", o->step, "window step in lines")
                   ->check(intRange(1, 1000000))
                   ->default_str("the window");
    s->add_flag("--time-order", o->timeOrder, "windows in timestamp order, not import order");
    o->oTimeWindow =
        s->add_option("--time-window", o->timeWindow, "time windows, e.g. 5m")->type_name("D");
    s->add_option("--time-step", o->timeStep, "time-window step (default: the window)")
        ->type_name("D");
    o->oSessionRegex = s->add_option("--session-regex", o->sessionRegex,
                                     "sessions by id regex (the preset's when empty)")
                           ->type_name("RE");
    o->oSessionBy = s->add_option("--session-by", o->sessionBy, "sessions by file or folder")
                        ->check(CLI::IsMember({"file", "folder", "regex"}));
    s->add_option("--labels", o->labels, "session labels CSV (with --session-by)")
        ->type_name("CSV");
    s->add_option("--name", o->name, "name of the sequence set");
    s->add_flag("--extend", o->extend,
                "extend the set of this name with the lines imported after it (windows only)");
    s->add_option("--min-length", o->minLength, "drop shorter sequences")
        ->check(intRange(1, 1000000));
    s->add_flag("--json", o->json, "machine-readable output");
}

void addImportSessions(Cli& cli) {
    struct O {
        PreparsedSpec spec;
        std::string project, label = "normal";
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("import-sessions", [o]() {
        PreparsedSpec spec = o->spec;
        spec.deeplogLabel = o->label == "anomaly" ? 1 : 0;
        auto project = Project::open(o->project, "mlad import-sessions");
        TaskContext ctx(terminalProgress());
        auto info = importPreparsedSessions(*project, spec, &ctx);
        endProgressLine();
        printSet(info, o->json);
        return 0;
    });
    s->footer("TEMPLATES.csv maps EventId (E<n>) to EventTemplate; events are numbers n.");
    addProjectOption(s, o->project);
    s->add_option("--system", o->spec.system, "system name")->required();
    s->add_option("--templates", o->spec.templatesCsv, "EventId,EventTemplate CSV")
        ->required()
        ->type_name("CSV");
    s->add_option("--deeplog", o->spec.deeplogFile, "a DeepLog session file (one per line)")
        ->type_name("FILE");
    s->add_option("--label", o->label, "label of every session of --deeplog")
        ->check(CLI::IsMember({"normal", "anomaly"}));
    s->add_option("--csv", o->spec.csvFile, "a session CSV")->type_name("FILE");
    s->add_option("--id-column", o->spec.idColumn,
                  "session id column of --csv (default: BlockId if there, else made-up ids)");
    s->add_option("--label-column", o->spec.labelColumn, "label column of --csv");
    s->add_option("--events-column", o->spec.eventsColumn, "event list column of --csv");
    s->add_option("--name", o->spec.setName, "name of the sequence set");
    s->add_flag("--json", o->json, "machine-readable output");
}

void addSplit(Cli& cli) {
    struct O {
        SplitSpec spec;
        std::string project, systems, trainUntil;
        int64_t seed = 42;
        bool json = false;
        CLI::Option* oFraction = nullptr;
    };
    auto o = std::make_shared<O>();
    o->spec.protocol = "chronological";
    CLI::App* s = cli.add("split", [o]() {
        SplitSpec spec = o->spec;
        spec.seed = uint64_t(o->seed);
        if (!o->trainUntil.empty()) {
            spec.trainUntil = parseUtcTime(o->trainUntil);
            if (!spec.trainUntil)
                throw UsageError("--train-until '" + o->trainUntil +
                                 "': not a time (give UTC as 2005-09-01, 2005-09-01T00:00 or "
                                 "2005-09-01 00:00:00, or @SECONDS)");
            if (o->oFraction->count())
                throw UsageError("give --train-until or --train-fraction, not both");
        }
        for (const auto& n : splitChar(o->systems, ','))
            if (!n.empty()) spec.systems.push_back(n);
        auto project = Project::open(o->project, "mlad split");
        auto info = createSplit(*project, spec);
        if (o->json) {
            Json report = parseJson(info.reportJson, "split report");
            report["name"] = info.name;
            printJson(report);
            return 0;
        }
        std::printf("split %s (%s, seed %llu) over %s\n", info.name.c_str(), info.protocol.c_str(),
                    (unsigned long long)info.seed, join(info.systems, ", ").c_str());
        auto part = [](const char* n, const PartStats& p) {
            std::printf("  %-5s %7llu sequences, %6llu anomalous (rate %.4f), %llu unlabelled\n", n,
                        (unsigned long long)p.total, (unsigned long long)p.anomalous,
                        p.anomalyRate(), (unsigned long long)p.unlabelled);
        };
        part("train", info.train);
        part("val", info.val);
        part("test", info.test);
        std::printf(
            "  leakage: %llu test sequences identical to a training sequence (%llu of them "
            "anomalous); %llu anomalous sequences identical to a normal one;\n"
            "           %zu test templates never seen in training\n",
            (unsigned long long)info.testIdenticalToTrain,
            (unsigned long long)info.anomalousTestIdenticalToTrain,
            (unsigned long long)info.anomalousIdenticalToNormal, info.unseenTestTemplateCount);
        for (size_t i = 0; i < info.unseenTestTemplates.size() && i < 10; ++i)
            std::printf("    unseen: %s\n", info.unseenTestTemplates[i].c_str());
        return 0;
    });
    s->footer(
        "paper: test = all anomalous + as many random normal sequences, train = the other\n"
        "normal ones. chronological (honest numbers): the first train-fraction of sequences is\n"
        "the training window (normal ones only, its latest val-fraction held out for\n"
        "validation), the rest is test; --train-until 2005-09-01T00:00 cuts at a time (UTC,\n"
        "each sequence's first line) instead. transfer: train on --train-system's normal\n"
        "sequences, test on all of --test-system's (each may name its --train-set / --test-set).\n"
        "Prints identical train/test sequences and test templates never seen in training.");
    addProjectOption(s, o->project);
    s->add_option("--name", o->spec.name, "split name")->required();
    s->add_option("--protocol", o->spec.protocol, "how to split")
        ->check(CLI::IsMember({"paper", "chronological", "multi-system", "transfer"}));
    s->add_option("--system", o->systems, "systems, comma-separated (default: all)")
        ->type_name("A[,B...]");
    s->add_option("--train-system", o->spec.trainSystem, "transfer: the training system");
    s->add_option("--train-set", o->spec.trainSet, "transfer: its sequence set (default: --set)");
    s->add_option("--test-system", o->spec.testSystem, "transfer: the test system");
    s->add_option("--test-set", o->spec.testSet, "transfer: its sequence set (default: --set)");
    s->add_option("--set", o->spec.sequenceSet, "sequence set (default: the latest)");
    s->add_option("--seed", o->seed, "random seed")->check(intRange(0, kInt64Max));
    o->oFraction =
        s->add_option("--train-fraction", o->spec.trainFraction, "chronological training share")
            ->check(realRange(0.001, 0.999));
    s->add_option("--train-until", o->trainUntil,
                  "chronological: sequences starting before this UTC time train, the rest test")
        ->type_name("TIME");
    s->add_option("--val-fraction", o->spec.valFraction, "validation share of training")
        ->check(realRange(0.0, 0.99));
    s->add_option("--base", o->spec.base, "multi-system / transfer: per-system protocol")
        ->check(CLI::IsMember({"chronological", "paper"}));
    s->add_flag("--json", o->json, "the leakage report as JSON");
}

void addRuns(Cli& cli) {
    struct O {
        std::string project;
        bool json = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* s = cli.add("runs", [o]() {
        auto project = Project::openReadOnly(o->project);
        auto runs = listRuns(*project);
        if (o->json) {
            Json all = Json::array();
            for (const auto& r : runs) {
                auto stored = [&](const std::string& text) {
                    if (text.empty()) return Json(nullptr);
                    try {
                        return parseJson(text, "run " + r.name);
                    } catch (const std::exception&) {
                        return Json(text);  // a damaged manifest is shown as text, not dropped
                    }
                };
                all.push_back({{"name", r.name},
                               {"model", r.model},
                               {"split", r.splitName},
                               {"status", r.status},
                               {"message", r.message},
                               {"embedder", r.embedder},
                               {"seed", r.seed},
                               {"device", r.device},
                               {"code_version", r.codeVersion},
                               {"train_seconds", r.trainSeconds},
                               {"config", stored(r.configJson)},
                               {"metrics", stored(r.metricsJson)}});
            }
            printJson(all);
            return 0;
        }
        for (const auto& r : runs)
            std::cout << r.name << "  " << r.model << "  split " << r.splitName << "  " << r.status
                      << "  " << fmtNumber(r.trainSeconds) << " s  " << r.device
                      << (r.message.empty() ? "" : "  (" + r.message + ")") << "\n";
        return 0;
    });
    addProjectOption(s, o->project);
    s->add_flag("--json", o->json, "the runs with their manifests as JSON");
}

}  // namespace

void addDataCommands(Cli& cli) {
    addImport(cli);
    addTemplates(cli);
    addExport(cli);
    addParse(cli);
    addSystems(cli);
    addCheck(cli);
    addSequences(cli);
    addImportSessions(cli);
    addSplit(cli);
    addRuns(cli);
    addLaunchCommand(cli);
}

}  // namespace mlad::cli
