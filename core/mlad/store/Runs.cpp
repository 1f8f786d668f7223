#include "mlad/store/Runs.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "mlad/store/Sqlite.h"
#include "mlad/util/Json.h"

namespace mlad {

namespace {

const char* const kRunColumns =
    "SELECT r.id, r.name, r.model, r.split_id, r.status, r.config, r.embedder, r.seed, "
    "r.code_version, r.device, r.model_path, r.message, r.metrics, r.train_seconds, "
    "r.created_at, r.finished_at, s.name FROM runs r LEFT JOIN splits s ON s.id = r.split_id ";

RunInfo readRun(sql::Statement& st) {
    RunInfo r;
    r.id = st.getInt(0);
    r.name = st.getText(1);
    r.model = st.getText(2);
    r.splitId = st.isNull(3) ? 0 : st.getInt(3);
    r.status = st.getText(4);
    r.configJson = st.getText(5);
    r.embedder = st.getText(6);
    r.seed = uint64_t(st.getInt(7));
    r.codeVersion = st.getText(8);
    r.device = st.getText(9);
    r.modelPath = st.isNull(10) ? "" : st.getText(10);
    r.message = st.isNull(11) ? "" : st.getText(11);
    r.metricsJson = st.isNull(12) ? "" : st.getText(12);
    r.trainSeconds = st.isNull(13) ? 0 : st.getDouble(13);
    r.createdAt = st.getText(14);
    r.finishedAt = st.isNull(15) ? "" : st.getText(15);
    r.splitName = st.isNull(16) ? "" : st.getText(16);
    return r;
}

// "nu" of a stored run config; the default when it is missing or the text is not JSON.
double configNu(const std::string& configJson) {
    constexpr double kDefault = 0.01;
    const Json j = Json::parse(configJson, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return kDefault;
    auto it = j.find("nu");
    return it != j.end() && it->is_number() ? it->get<double>() : kDefault;
}

}  // namespace

std::vector<RunInfo> listRuns(Project& project) {
    auto st = project.db().prepare(std::string(kRunColumns) + "ORDER BY r.id");
    std::vector<RunInfo> out;
    while (st.step()) out.push_back(readRun(st));
    return out;
}

std::optional<RunInfo> findRun(Project& project, const std::string& name) {
    auto st = project.db().prepare(std::string(kRunColumns) + "WHERE r.name = ?");
    st.bind(1, name);
    if (!st.step()) return std::nullopt;
    return readRun(st);
}

double EpochRecord::value(const std::string& key) const {
    for (const auto& [k, v] : values)
        if (k == key) return v;
    return std::numeric_limits<double>::quiet_NaN();
}

std::vector<EpochRecord> runEpochs(Project& project, int64_t runId) {
    auto st = project.db().prepare(
        "SELECT epoch, key, value FROM run_epoch_values WHERE run_id = ? ORDER BY epoch, ord");
    st.bind(1, runId);
    std::vector<EpochRecord> out;
    while (st.step()) {
        const int epoch = int(st.getInt(0));
        if (out.empty() || out.back().epoch != epoch) out.push_back({epoch, {}});
        out.back().values.emplace_back(st.getText(1), st.isNull(2)
                                                          ? std::numeric_limits<double>::quiet_NaN()
                                                          : st.getDouble(2));
    }
    return out;
}

StoredRunScores readRunScores(Project& project, int64_t runId) {
    StoredRunScores r;
    auto cfg =
        project.db().prepare("SELECT config, threshold, threshold_rule FROM runs WHERE id = ?");
    cfg.bind(1, runId);
    if (!cfg.step()) throw std::invalid_argument("no run with id " + std::to_string(runId));
    r.nu = configNu(cfg.getText(0));
    if (!cfg.isNull(1) && std::isfinite(cfg.getDouble(1))) {
        r.ownThreshold = cfg.getDouble(1);
        r.ownRule = cfg.isNull(2) ? "the detector's rule" : cfg.getText(2);
    }
    cfg.reset();
    auto st = project.db().prepare(
        "SELECT s.part, s.sequence_id, s.score, q.label FROM run_scores s JOIN sequences q ON "
        "q.id = s.sequence_id WHERE s.run_id = ? ORDER BY q.set_id, q.ordinal");
    st.bind(1, runId);
    while (st.step()) {
        const std::string_view part = st.getTextView(0);
        if (part == "val") {
            r.valIds.push_back(st.getInt(1));
            r.valScores.push_back(st.getDouble(2));
        } else if (part == "test") {
            r.testIds.push_back(st.getInt(1));
            r.testScores.push_back(st.getDouble(2));
            r.testLabels.push_back(st.isNull(3) ? 2 : uint8_t(st.getInt(3)));
        }
    }
    return r;
}

LabelCounts splitSourceLabelCounts(Project& project, int64_t splitId) {
    auto st = project.db().prepare(
        "SELECT coalesce(sum(label = 1), 0), count(label) FROM sequences WHERE set_id IN "
        "(SELECT DISTINCT q.set_id FROM split_members m JOIN sequences q ON q.id = "
        "m.sequence_id WHERE m.split_id = ?)");
    st.bind(1, splitId);
    LabelCounts c;
    if (st.step()) {
        c.anomalous = uint64_t(st.getInt(0));
        c.labelled = uint64_t(st.getInt(1));
    }
    return c;
}

int64_t createRun(Project& project, const NewRun& run) {
    auto& db = project.db();
    db.prepare(
          "INSERT INTO runs(name, model, split_id, status, config, embedder, seed, "
          "code_version, device) VALUES (?,?,?,'running',?,?,?,?,?)")
        .bind(1, run.name)
        .bind(2, run.model)
        .bind(3, run.splitId)
        .bind(4, run.configJson)
        .bind(5, run.embedder)
        .bind(6, int64_t(run.seed))
        .bind(7, run.codeVersion)
        .bind(8, run.device)
        .run();
    return db.lastInsertId();
}

void restartRun(Project& project, int64_t runId, const std::string& configJson,
                const std::string& device) {
    project.db()
        .prepare(
            "UPDATE runs SET status = 'running', message = NULL, config = ?, device = ? "
            "WHERE id = ?")
        .bind(1, configJson)
        .bind(2, device)
        .bind(3, runId)
        .run();
}

void stopRun(Project& project, int64_t runId, const std::string& status,
             const std::string& message) {
    if (status != "failed" && status != "cancelled")
        throw std::invalid_argument("stopRun: status '" + status +
                                    "' is neither failed nor cancelled");
    project.db()
        .prepare(
            "UPDATE runs SET status = ?, message = ?, finished_at = datetime('now') WHERE id = ?")
        .bind(1, status)
        .bind(2, message)
        .bind(3, runId)
        .run();
}

void insertRunEpoch(Project& project, int64_t runId, const EpochRecord& e) {
    sql::Transaction tx(project.db());
    project.db()
        .prepare("DELETE FROM run_epoch_values WHERE run_id = ? AND epoch = ?")
        .bind(1, runId)
        .bind(2, e.epoch)
        .run();
    auto st = project.db().prepare(
        "INSERT INTO run_epoch_values(run_id, epoch, key, ord, value) VALUES (?,?,?,?,?)");
    for (size_t i = 0; i < e.values.size(); ++i) {
        st.bind(1, runId).bind(2, e.epoch).bind(3, e.values[i].first).bind(4, int64_t(i));
        if (std::isfinite(e.values[i].second))
            st.bind(5, e.values[i].second);
        else
            st.bindNull(5);
        st.run();
    }
    tx.commit();
}

void storeRunScores(Project& project, int64_t runId, const std::vector<int64_t>& valIds,
                    const std::vector<double>& valScores, const std::vector<int64_t>& testIds,
                    const std::vector<double>& testScores, const std::string& modelPath,
                    double trainSeconds) {
    if (valIds.size() != valScores.size() || testIds.size() != testScores.size())
        throw std::invalid_argument("storeRunScores: ids and scores differ in length");
    auto& db = project.db();
    sql::Transaction tx(db);
    db.prepare("DELETE FROM run_scores WHERE run_id = ?").bind(1, runId).run();
    auto ins =
        db.prepare("INSERT INTO run_scores(run_id, sequence_id, part, score) VALUES (?,?,?,?)");
    for (size_t i = 0; i < valScores.size(); ++i)
        ins.bind(1, runId).bind(2, valIds[i]).bind(3, "val").bind(4, valScores[i]).run();
    for (size_t i = 0; i < testScores.size(); ++i)
        ins.bind(1, runId).bind(2, testIds[i]).bind(3, "test").bind(4, testScores[i]).run();
    db.prepare(
          "UPDATE runs SET status = 'done', model_path = ?, train_seconds = ?, "
          "finished_at = datetime('now') WHERE id = ?")
        .bind(1, modelPath)
        .bind(2, trainSeconds)
        .bind(3, runId)
        .run();
    tx.commit();
}

void setRunThreshold(Project& project, int64_t runId, double threshold, const std::string& rule) {
    if (!std::isfinite(threshold))
        throw std::invalid_argument("a run's threshold must be a finite number");
    project.db()
        .prepare("UPDATE runs SET threshold = ?, threshold_rule = ? WHERE id = ?")
        .bind(1, threshold)
        .bind(2, rule)
        .bind(3, runId)
        .run();
}

void setRunMetrics(Project& project, int64_t runId, const std::string& metricsJson) {
    project.db()
        .prepare("UPDATE runs SET metrics = ? WHERE id = ?")
        .bind(1, metricsJson)
        .bind(2, runId)
        .run();
}

}  // namespace mlad
