#pragma once
// Thin RAII layer over the SQLite C API: prepared statements reused with bind/reset, and
// transactions that roll back unless committed.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace mlad::sql {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what, int code = 0) : std::runtime_error(what), code_(code) {}
    /// SQLite's extended result code, 0 when the error did not come from SQLite.
    int code() const { return code_; }
    /// Another connection holds a lock this one needed (SQLITE_BUSY / SQLITE_LOCKED).
    bool busy() const { return (code_ & 0xff) == 5 || (code_ & 0xff) == 6; }

  private:
    int code_ = 0;
};

class Statement;

class Database {
  public:
    enum class Mode { ReadWrite, ReadOnly };
    /// Opens (creating when ReadWrite) a database file; throws Error naming the file.
    explicit Database(const std::string& path, Mode mode = Mode::ReadWrite);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(const std::string& sql);
    Statement prepare(const std::string& sql);
    int64_t lastInsertId() const;
    int changes() const;
    /// Makes the statement running now on this connection (if any) stop with an "interrupted"
    /// error. Safe to call from any thread while another thread uses the connection (this is
    /// sqlite3_interrupt); the Database itself must stay alive during the call.
    void interrupt();
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }
    /// Value of the first column of the first row, for simple lookups.
    std::optional<int64_t> queryInt(const std::string& sql);
    std::optional<std::string> queryText(const std::string& sql);

  private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

class Statement {
  public:
    Statement(sqlite3* db, const std::string& sql);
    ~Statement();
    Statement(Statement&& o) noexcept;
    Statement& operator=(Statement&& o) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding is 1-based, as in SQLite. Text and blobs are copied only when `transient`.
    Statement& bind(int i, int64_t v);
    Statement& bind(int i, int v) { return bind(i, int64_t(v)); }
    Statement& bind(int i, uint64_t v) { return bind(i, int64_t(v)); }
    Statement& bind(int i, double v);
    Statement& bind(int i, std::string_view v, bool transient = true);
    Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Statement& bindBlob(int i, const void* data, size_t n, bool transient = true);
    Statement& bindNull(int i);
    template <class T>
    Statement& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bindNull(i);
    }

    /// Steps once: true when a row is available, false when done. Throws on error.
    bool step();
    /// Steps to completion (for statements without rows) and resets.
    void run();
    /// Like run() for an INSERT/UPDATE whose parameters are all bound again before the next
    /// call: steps once and resets without clearing the bindings (the bulk-load hot path).
    void runKeepBindings();
    void reset();

    int64_t getInt(int col) const;
    double getDouble(int col) const;
    std::string getText(int col) const;
    std::string_view getTextView(int col) const;  ///< valid until the next step/reset
    std::string getBlob(int col) const;
    bool isNull(int col) const;
    int columnCount() const;

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* st_ = nullptr;
};

/// BEGIN IMMEDIATE on construction, ROLLBACK in the destructor unless commit() was called.
/// Inside an open transaction it nests as a SAVEPOINT, so functions that need atomicity can be
/// called both on their own and as part of a larger transaction.
class Transaction {
  public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

  private:
    Database& db_;
    bool done_ = false;
    bool nested_ = false;
};

}  // namespace mlad::sql
