#include "mlad/store/Sqlite.h"

#include <sqlite3.h>

namespace mlad::sql {

static std::string message(sqlite3* db, const std::string& what) {
    return what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

// SQLite says "disk I/O error" or "database or disk is full"; say what the user can do.
static std::string hint(int rc) {
    if (rc == SQLITE_FULL) return " (the disk is full: free some space and try again)";
    if ((rc & 0xff) == SQLITE_IOERR)
        return " (the disk may be full or failing: check free space and the device)";
    return "";
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
    int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                       : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string m = message(db_, "cannot open project " + path);
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error(m, rc);
    }
    sqlite3_busy_timeout(db_, 10000);
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
    if (db_) sqlite3_close_v2(db_);
}

void Database::exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string m = std::string("SQL error in ") + path_ + ": " + (err ? err : "?") + hint(rc) +
                        " (while running: " + sql.substr(0, 120) + ")";
        sqlite3_free(err);
        throw Error(m, rc);
    }
}

Statement Database::prepare(const std::string& sql) {
    return Statement(db_, sql);
}
int64_t Database::lastInsertId() const {
    return sqlite3_last_insert_rowid(db_);
}
int Database::changes() const {
    return sqlite3_changes(db_);
}
void Database::interrupt() {
    if (db_) sqlite3_interrupt(db_);
}

std::optional<int64_t> Database::queryInt(const std::string& sql) {
    Statement st(db_, sql);
    if (!st.step() || st.isNull(0)) return std::nullopt;
    return st.getInt(0);
}

std::optional<std::string> Database::queryText(const std::string& sql) {
    Statement st(db_, sql);
    if (!st.step() || st.isNull(0)) return std::nullopt;
    return st.getText(0);
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &st_, nullptr) != SQLITE_OK)
        throw Error(message(db, "cannot prepare '" + sql.substr(0, 160) + "'"),
                    sqlite3_extended_errcode(db));
}

Statement::~Statement() {
    if (st_) sqlite3_finalize(st_);
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_) {
    o.st_ = nullptr;
}
Statement& Statement::operator=(Statement&& o) noexcept {
    if (this != &o) {
        if (st_) sqlite3_finalize(st_);
        db_ = o.db_;
        st_ = o.st_;
        o.st_ = nullptr;
    }
    return *this;
}

static void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK) throw Error(message(db, what), rc);
}

Statement& Statement::bind(int i, int64_t v) {
    check(db_, sqlite3_bind_int64(st_, i, v), "bind");
    return *this;
}
Statement& Statement::bind(int i, double v) {
    check(db_, sqlite3_bind_double(st_, i, v), "bind");
    return *this;
}
Statement& Statement::bind(int i, std::string_view v, bool transient) {
    check(db_,
          sqlite3_bind_text(st_, i, v.data() ? v.data() : "", int(v.size()),
                            transient ? SQLITE_TRANSIENT : SQLITE_STATIC),
          "bind");
    return *this;
}
Statement& Statement::bindBlob(int i, const void* data, size_t n, bool transient) {
    check(db_,
          sqlite3_bind_blob(st_, i, n ? data : "", int(n),
                            transient ? SQLITE_TRANSIENT : SQLITE_STATIC),
          "bind");
    return *this;
}
Statement& Statement::bindNull(int i) {
    check(db_, sqlite3_bind_null(st_, i), "bind");
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string m = message(db_, std::string("SQL step failed for '") +
                                     std::string(sqlite3_sql(st_)).substr(0, 160) + "'") +
                    hint(rc);
    sqlite3_reset(st_);
    throw Error(m, rc);
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::runKeepBindings() {
    step();
    sqlite3_reset(st_);
}

void Statement::reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

int64_t Statement::getInt(int col) const {
    return sqlite3_column_int64(st_, col);
}
double Statement::getDouble(int col) const {
    return sqlite3_column_double(st_, col);
}
std::string Statement::getText(int col) const {
    return std::string(getTextView(col));
}
std::string_view Statement::getTextView(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    int n = sqlite3_column_bytes(st_, col);
    return p ? std::string_view(p, size_t(n)) : std::string_view();
}
std::string Statement::getBlob(int col) const {
    const void* p = sqlite3_column_blob(st_, col);
    int n = sqlite3_column_bytes(st_, col);
    return p ? std::string(static_cast<const char*>(p), size_t(n)) : std::string();
}
bool Statement::isNull(int col) const {
    return sqlite3_column_type(st_, col) == SQLITE_NULL;
}
int Statement::columnCount() const {
    return sqlite3_column_count(st_);
}

Transaction::Transaction(Database& db) : db_(db) {
    nested_ = sqlite3_get_autocommit(db_.handle()) == 0;
    db_.exec(nested_ ? "SAVEPOINT mlad_nested" : "BEGIN IMMEDIATE");
}
Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec(nested_ ? "ROLLBACK TO mlad_nested; RELEASE mlad_nested" : "ROLLBACK");
        } catch (...) {
            // Nothing sensible to do in a destructor; SQLite rolls back on close anyway.
        }
    }
}
void Transaction::commit() {
    db_.exec(nested_ ? "RELEASE mlad_nested" : "COMMIT");
    done_ = true;
}

}  // namespace mlad::sql
