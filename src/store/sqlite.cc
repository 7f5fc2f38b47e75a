#include "store/sqlite.h"

namespace ctlflow {

namespace {

Status BindValue(sqlite3_stmt* s, int index, const Value& value, sqlite3_destructor_type text_lifetime) {
  int rc = SQLITE_OK;
  if (IsNull(value)) {
    rc = sqlite3_bind_null(s, index);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    rc = sqlite3_bind_int64(s, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(s, index, *d);
  } else {
    const auto& text = std::get<std::string>(value);
    rc = sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), text_lifetime);
  }
  if (rc != SQLITE_OK) {
    return Status::Database(std::string("binding parameter ") + std::to_string(index) + ": " +
                            sqlite3_errstr(rc));
  }
  return Status::Ok();
}

}  // namespace

Status SqliteStmt::Bind(int index, const Value& value) {
  return BindValue(stmt_.get(), index, value, SQLITE_TRANSIENT);
}

Status SqliteStmt::BindBorrowed(int index, const Value& value) {
  return BindValue(stmt_.get(), index, value, SQLITE_STATIC);
}

Status SqliteStmt::Bind(const char* name, const Value& value) {
  int index = sqlite3_bind_parameter_index(stmt_.get(), name);
  if (index == 0) return Status::NotFound(std::string("no parameter ") + name);
  return Bind(index, value);
}

Result<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Status::Database(sqlite3_errmsg(sqlite3_db_handle(stmt_.get())));
}

Status SqliteStmt::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  return Status::Ok();
}

void SqliteStmt::Rewind() { sqlite3_reset(stmt_.get()); }

int SqliteStmt::ColumnCount() const { return sqlite3_column_count(stmt_.get()); }

std::string SqliteStmt::ColumnName(int i) const {
  const char* name = sqlite3_column_name(stmt_.get(), i);
  return name ? name : "";
}

Value SqliteStmt::Column(int i) const {
  sqlite3_stmt* s = stmt_.get();
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL: return std::monostate{};
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return sqlite3_column_double(s, i);
    default: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      int size = sqlite3_column_bytes(s, i);
      return std::string(text ? text : "", static_cast<size_t>(size));
    }
  }
}

int SqliteStmt::ParameterCount() const { return sqlite3_bind_parameter_count(stmt_.get()); }

std::string SqliteStmt::ParameterName(int i) const {
  const char* name = sqlite3_bind_parameter_name(stmt_.get(), i);
  return name ? name : "";
}

bool SqliteStmt::ReadOnly() const { return sqlite3_stmt_readonly(stmt_.get()) != 0; }

std::string SqliteStmt::Sql() const {
  const char* sql = sqlite3_sql(stmt_.get());
  return sql ? sql : "";
}

Result<SqliteDb> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  SqliteDb db;
  db.db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::Database("cannot open SQLite database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(raw, 30000);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status::Database(msg);
  }
  return Status::Ok();
}

Result<SqliteStmt> SqliteDb::Prepare(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return Status::Database(sqlite3_errmsg(db_.get()));
  }
  return SqliteStmt(raw);
}

Result<SqliteStmt> SqliteDb::PrepareNext(const char* sql, const char** tail) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return Status::Database(sqlite3_errmsg(db_.get()));
  }
  return SqliteStmt(raw);
}

Result<QueryResult> SqliteDb::Query(const std::string& sql, const std::vector<Value>& params) {
  CTL_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
  return Run(stmt, params);
}

Result<QueryResult> SqliteDb::Run(SqliteStmt& stmt, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    CTL_RETURN_IF_ERROR(stmt.Bind(static_cast<int>(i + 1), params[i]));
  }
  QueryResult result;
  for (int i = 0; i < stmt.ColumnCount(); ++i) result.columns.push_back(stmt.ColumnName(i));
  while (true) {
    CTL_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    std::vector<Value> row;
    row.reserve(result.columns.size());
    for (int i = 0; i < stmt.ColumnCount(); ++i) row.push_back(stmt.Column(i));
    result.rows.push_back(std::move(row));
  }
  result.changes = stmt.ReadOnly() ? 0 : Changes();
  return result;
}

Status SqliteDb::Attach(const std::string& path, const std::string& schema) {
  CTL_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare("ATTACH DATABASE ?1 AS \"" + schema + "\""));
  CTL_RETURN_IF_ERROR(stmt.Bind(1, Value(path)));
  CTL_ASSIGN_OR_RETURN(bool unused, stmt.Step());
  (void)unused;
  return Status::Ok();
}

bool SqliteDb::IsAttached(const std::string& schema) {
  return sqlite3_db_filename(db_.get(), schema.c_str()) != nullptr;
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_.get()); }

std::string SqliteDb::LastError() const { return sqlite3_errmsg(db_.get()); }

SqliteTransaction::~SqliteTransaction() { Rollback(); }

Status SqliteTransaction::Begin() {
  // Inside an enclosing transaction (a batch), join it: the outer one
  // commits or rolls back everything.
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    joined_ = true;
    return Status::Ok();
  }
  CTL_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status SqliteTransaction::Commit() {
  if (joined_) return Status::Ok();
  if (!open_) return Status::Internal("commit without an open transaction");
  Status st = db_.Exec("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

void SqliteTransaction::Rollback() {
  if (open_) {
    (void)db_.Exec("ROLLBACK");
    open_ = false;
  }
}

}  // namespace ctlflow
