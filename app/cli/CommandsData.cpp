// Data-layer commands: import, templates, export, parse, systems, check.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "Output.h"
#include "mlad/import/Export.h"
#include "mlad/import/Importer.h"
#include "mlad/io/Preset.h"
#include "mlad/store/Project.h"
#include "mlad/util/Strings.h"

namespace mlad::cli {

namespace {

// --preset NAME | --preset-file FILE | --format STR [--mask RE ...], plus Drain overrides.
Preset presetFromArgs(const Args& a) {
    Preset p;
    if (a.has("preset")) {
        const Preset* found = findPreset(a.get("preset"));
        if (!found) {
            std::string names;
            for (const auto& b : builtinPresets()) names += (names.empty() ? "" : ", ") + b.name;
            throw UsageError("unknown preset '" + a.get("preset") + "' (known: " + names + ")");
        }
        p = *found;
    } else if (a.has("preset-file")) {
        std::FILE* f = std::fopen(a.get("preset-file").c_str(), "rb");
        if (!f) throw UsageError("cannot read preset file " + a.get("preset-file"));
        std::string text;
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
        std::fclose(f);
        p = parsePreset(text, a.get("preset-file"));
    } else if (a.has("format")) {
        p.name = a.get("system", "custom");
        p.format = a.get("format");
    } else {
        throw UsageError("give --preset NAME, --preset-file FILE or --format STRING");
    }
    if (a.has("format") && (a.has("preset") || a.has("preset-file"))) p.format = a.get("format");
    if (a.has("mask")) {
        if (a.has("preset") || a.has("preset-file")) p.masks.clear();
        p.masks = a.all("mask");
    }
    if (a.has("depth")) p.depth = int(a.getInt("depth", p.depth));
    if (a.has("similarity")) p.similarity = a.getDouble("similarity", p.similarity);
    if (a.has("max-children")) p.maxChildren = int(a.getInt("max-children", p.maxChildren));
    if (a.has("time-fields")) {
        p.timeFields.clear();
        for (auto f : splitWhitespace(a.get("time-fields"))) p.timeFields.emplace_back(f);
    }
    if (a.has("time-format")) p.timeFormat = a.get("time-format");
    if (a.has("group-regex")) p.groupRegex = a.get("group-regex");
    if (a.has("label-field")) {
        p.label.kind = LabelRule::Kind::Field;
        p.label.field = a.get("label-field");
        p.label.normalValue = a.get("label-normal", "-");
    }
    if (a.has("labels") && p.label.kind == LabelRule::Kind::None)
        p.label.kind = LabelRule::Kind::GroupFile;
    p.validate();
    return p;
}

const std::set<std::string> kPresetOptions = {
    "preset",       "preset-file", "format",      "mask",        "depth",       "similarity",
    "max-children", "time-fields", "time-format", "group-regex", "label-field", "label-normal"};

std::set<std::string> with(std::set<std::string> base, std::initializer_list<std::string> more) {
    base.insert(more.begin(), more.end());
    return base;
}

}  // namespace

int cmdImport(int argc, char** argv) {
    Args a(argc, argv, 1,
           with(kPresetOptions, {"project", "system", "labels", "batch-lines", "max-line-bytes"}),
           {"force", "json"});
    ImportOptions opt;
    opt.preset = presetFromArgs(a);
    opt.system = a.get("system", opt.preset.name);
    opt.labelsCsv = a.get("labels");
    opt.force = a.flag("force");
    opt.batchLines = size_t(a.getInt("batch-lines", 50000));
    opt.maxLineBytes = size_t(a.getInt("max-line-bytes", 1 << 20));
    if (a.positional().empty()) throw UsageError("no input files given");
    auto project = Project::open(a.require("project"));
    TaskContext ctx(terminalProgress());
    ImportReport r = importFiles(*project, a.positional(), opt, &ctx);
    endProgressLine();
    if (a.flag("json")) {
        std::cout << "{\"system\":" << jsonString(r.system) << ",\"imported\":" << r.imported
                  << ",\"skipped\":" << r.skipped << ",\"templates\":" << r.templatesAfter
                  << ",\"seconds\":" << jsonNumber(r.seconds) << ",\"files\":[";
        for (size_t i = 0; i < r.files.size(); ++i) {
            const auto& f = r.files[i];
            std::cout << (i ? "," : "") << "{\"path\":" << jsonString(f.path)
                      << ",\"status\":" << jsonString(f.status) << ",\"imported\":" << f.imported
                      << ",\"skipped\":" << f.skipped << ",\"no_match\":" << f.noMatch
                      << ",\"too_long\":" << f.tooLong << ",\"nul_bytes\":" << f.nulBytes
                      << ",\"repaired_utf8\":" << f.repairedUtf8
                      << ",\"message\":" << jsonString(f.message) << "}";
        }
        std::cout << "]}\n";
    } else {
        for (const auto& f : r.files) {
            bool bad = f.status == "failed";
            (bad ? std::cerr : std::cout) << (bad ? "error: " : "") << f.message << "\n";
            size_t shown = 0;
            for (const auto& is : f.firstIssues) {
                if (shown++ >= 5) break;
                std::cerr << "  " << is.kind << ": " << is.message << "\n";
            }
            if (f.firstIssues.size() > 5)
                std::cerr << "  ... more in the project (mlad check --project P)\n";
        }
        std::cout << "system " << r.system << ": " << r.imported << " lines imported, " << r.skipped
                  << " skipped, " << r.templatesAfter << " templates ("
                  << r.templatesAfter - r.templatesBefore << " new) in " << jsonNumber(r.seconds)
                  << " s";
        if (r.seconds > 0)
            std::cout << " (" << uint64_t(double(r.imported) / r.seconds) << " lines/s)";
        std::cout << "\n";
    }
    if (r.cancelled) return 3;
    return r.anyFailed() ? 2 : 0;
}

int cmdTemplates(int argc, char** argv) {
    Args a(argc, argv, 1, {"project", "system", "limit"}, {"json"});
    auto project = Project::openReadOnly(a.require("project"));
    auto systems = project->systems();
    if (a.has("system")) {
        auto s = project->system(a.get("system"));
        if (!s) throw UsageError("no system named '" + a.get("system") + "'");
        systems = {*s};
    }
    long long limit = a.getInt("limit", -1);
    bool json = a.flag("json");
    if (json) std::cout << "[";
    bool first = true;
    for (const auto& s : systems) {
        auto ts = project->templates(s.id);
        std::sort(ts.begin(), ts.end(),
                  [](const TemplateInfo& x, const TemplateInfo& y) { return x.count > y.count; });
        if (!json)
            std::cout << "# " << s.name << ": " << ts.size() << " templates, " << s.lines
                      << " lines\n";
        long long n = 0;
        for (const auto& t : ts) {
            if (limit >= 0 && n++ >= limit) break;
            if (json) {
                std::cout << (first ? "" : ",") << "{\"system\":" << jsonString(s.name)
                          << ",\"id\":" << t.id << ",\"event_id\":\"E" << t.ordinal
                          << "\",\"template\":" << jsonString(t.text) << ",\"count\":" << t.count
                          << ",\"anomalous\":" << t.anomalous << ",\"labelled\":" << t.labelled
                          << ",\"first_ts\":" << (t.firstTs ? std::to_string(*t.firstTs) : "null")
                          << ",\"last_ts\":" << (t.lastTs ? std::to_string(*t.lastTs) : "null")
                          << "}";
                first = false;
            } else {
                std::printf("E%-5lld %9llu  %s\n", (long long)t.ordinal,
                            (unsigned long long)t.count, t.text.c_str());
            }
        }
    }
    if (json) std::cout << "]\n";
    return 0;
}

int cmdExport(int argc, char** argv) {
    Args a(argc, argv, 1, {"project", "system", "out"}, {});
    auto project = Project::openReadOnly(a.require("project"));
    TaskContext ctx(terminalProgress());
    auto r = exportLoghub(*project, a.require("system"), a.require("out"), &ctx);
    endProgressLine();
    std::cout << "wrote " << r.structuredCsv << " (" << r.lines << " lines) and " << r.templatesCsv
              << " (" << r.templates << " templates)\n";
    return 0;
}

int cmdParse(int argc, char** argv) {
    Args a(argc, argv, 1, with(kPresetOptions, {"out", "system"}), {"json"});
    Preset p = presetFromArgs(a);
    if (a.positional().size() != 1) throw UsageError("give exactly one FILE to parse");
    TaskContext ctx(terminalProgress());
    auto r = parseToLoghub(p, a.positional()[0], a.require("out"), &ctx);
    endProgressLine();
    double rate = r.seconds > 0 ? double(r.linesRead) / r.seconds : 0;
    if (a.flag("json"))
        std::cout << "{\"lines\":" << r.linesRead << ",\"parsed\":" << r.parsed
                  << ",\"skipped\":" << r.skipped << ",\"templates\":" << r.files.templates
                  << ",\"seconds\":" << jsonNumber(r.seconds)
                  << ",\"structured\":" << jsonString(r.files.structuredCsv)
                  << ",\"templates_csv\":" << jsonString(r.files.templatesCsv) << "}\n";
    else
        std::cout << r.linesRead << " lines, " << r.parsed << " parsed, " << r.skipped
                  << " skipped, " << r.files.templates << " templates in " << jsonNumber(r.seconds)
                  << " s (" << uint64_t(rate) << " lines/s)\nwrote " << r.files.structuredCsv
                  << "\nwrote " << r.files.templatesCsv << "\n";
    return 0;
}

int cmdSystems(int argc, char** argv) {
    Args a(argc, argv, 1, {"project"}, {"json"});
    auto project = Project::openReadOnly(a.require("project"));
    auto systems = project->systems();
    if (a.flag("json")) {
        std::cout << "[";
        for (size_t i = 0; i < systems.size(); ++i) {
            const auto& s = systems[i];
            std::cout << (i ? "," : "") << "{\"id\":" << s.id << ",\"name\":" << jsonString(s.name)
                      << ",\"lines\":" << s.lines << ",\"templates\":" << s.templates
                      << ",\"anomalous_lines\":" << s.anomalousLines
                      << ",\"labelled_lines\":" << s.labelledLines
                      << ",\"format\":" << jsonString(s.preset.format) << "}";
        }
        std::cout << "]\n";
        return 0;
    }
    for (const auto& s : systems)
        std::cout << s.name << ": " << s.lines << " lines, " << s.templates << " templates, "
                  << s.anomalousLines << " anomalous of " << s.labelledLines << " labelled\n";
    return 0;
}

int cmdCheck(int argc, char** argv) {
    Args a(argc, argv, 1, {"project"}, {});
    auto project = Project::openReadOnly(a.require("project"));
    std::string integrity = project->integrityCheck();
    std::cout << "integrity: " << integrity << "\n";
    for (const auto& f : project->files()) {
        std::cout << "file #" << f.id << " " << f.path << ": " << f.status << ", "
                  << f.linesImported << " imported, " << f.linesSkipped << " skipped";
        if (!f.error.empty()) std::cout << " (" << f.error << ")";
        std::cout << "\n";
        for (const auto& is : project->issues(f.id, 10))
            std::cout << "  " << is.kind << ": " << is.message << "\n";
    }
    return integrity == "ok" ? 0 : 1;
}

}  // namespace mlad::cli
