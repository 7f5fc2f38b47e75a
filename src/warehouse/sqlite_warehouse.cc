#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

#include "common/strings.h"
#include "warehouse/sql_script.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace {

namespace fs = std::filesystem;

bool IsIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class SqliteWarehouse final : public WarehouseConnection {
 public:
  SqliteWarehouse(std::string folder, SqliteDb db) : folder_(std::move(folder)), db_(std::move(db)) {}

  Status AttachExisting() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder_, ec)) {
      std::string stem = entry.path().stem().string();
      if (entry.path().extension() != ".db" || stem == "warehouse" || !IsIdentifier(stem)) continue;
      if (!db_.IsAttached(stem)) CTL_RETURN_IF_ERROR(db_.Attach(entry.path().string(), stem));
    }
    return Status::Ok();
  }

  Result<ScriptResult> RunScript(const std::string& script, const SqlParams& params,
                                 const ScriptLog& log, const std::function<bool()>& stop) override {
    // SQLite calls this every few thousand VM steps; non-zero interrupts.
    struct StopGuard {
      sqlite3* db;
      ~StopGuard() { sqlite3_progress_handler(db, 0, nullptr, nullptr); }
    } guard{db_.get()};
    if (stop) {
      sqlite3_progress_handler(
          db_.get(), 10000,
          [](void* fn) -> int { return (*static_cast<const std::function<bool()>*>(fn))() ? 1 : 0; },
          const_cast<std::function<bool()>*>(&stop));
    }
    std::vector<SqlStatement> statements = SplitSqlScript(script);
    bool own_transaction = std::none_of(statements.begin(), statements.end(),
                                        [](const SqlStatement& s) {
                                          return IsTransactionControl(s.Keyword());
                                        });
    SqliteTransaction tx(db_);
    if (own_transaction && !statements.empty()) CTL_RETURN_IF_ERROR(tx.Begin());
    ScriptResult result;
    for (const auto& st : statements) {
      auto started = std::chrono::steady_clock::now();
      auto prepared = Prepare(st.text);
      if (!prepared.ok()) return Status::Database(st.Where() + ": " + prepared.status().message());
      SqliteStmt& stmt = *prepared;
      for (int i = 1; i <= stmt.ParameterCount(); ++i) {
        std::string name = stmt.ParameterName(i);
        if (name.empty()) {
          return Status::Invalid(st.Where() + ": positional parameter '?' is not supported; use :name");
        }
        auto it = params.find(name.substr(1));
        if (it == params.end()) {
          std::string known;
          for (const auto& [k, v] : params) known += (known.empty() ? ":" : ", :") + k;
          return Status::Invalid(st.Where() + ": unknown parameter " + name + "; available: " + known);
        }
        CTL_RETURN_IF_ERROR(stmt.Bind(i, it->second));
      }
      QueryResult rows;
      for (int i = 0; i < stmt.ColumnCount(); ++i) rows.columns.push_back(stmt.ColumnName(i));
      while (true) {
        auto has_row = stmt.Step();
        if (!has_row.ok()) return Status::Database(st.Where() + ": " + has_row.status().message());
        if (!*has_row) break;
        std::vector<Value> row;
        for (int i = 0; i < stmt.ColumnCount(); ++i) row.push_back(stmt.Column(i));
        rows.rows.push_back(std::move(row));
      }
      bool dml = !stmt.ReadOnly() && IsDml(st.Keyword());
      if (dml) rows.changes = db_.Changes();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started).count();
      RecordStatement(st, std::move(rows), dml, ms, &result, log);
    }
    if (own_transaction && !statements.empty()) CTL_RETURN_IF_ERROR(tx.Commit());
    return result;
  }

  Result<std::optional<std::vector<WarehouseColumn>>> DescribeTable(
      const std::string& schema, const std::string& table) override {
    std::string db_name = "main";
    if (!schema.empty() && Lower(schema) != "main") {
      if (!IsIdentifier(schema)) return Status::Invalid("schema name '" + schema + "' is not an identifier");
      if (!db_.IsAttached(schema)) {
        CTL_RETURN_IF_ERROR(db_.Attach((fs::path(folder_) / (Lower(schema) + ".db")).string(), schema));
      }
      db_name = schema;
    }
    CTL_ASSIGN_OR_RETURN(QueryResult rows,
                         db_.Query("SELECT name, type FROM pragma_table_info(?1, ?2)",
                                   {Value(table), Value(db_name)}));
    if (rows.rows.empty()) return std::optional<std::vector<WarehouseColumn>>();
    std::vector<WarehouseColumn> columns;
    for (const auto& r : rows.rows) columns.push_back({ValueToString(r[0]), ValueToString(r[1])});
    return std::optional(std::move(columns));
  }

  Result<QueryResult> Execute(const std::string& sql, const SqlParams& params) override {
    CTL_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
    for (int i = 1; i <= stmt.ParameterCount(); ++i) {
      std::string name = stmt.ParameterName(i);
      auto it = name.empty() ? params.end() : params.find(name.substr(1));
      if (it == params.end()) {
        return Status::Invalid("unknown parameter " + (name.empty() ? std::string("?") : name) +
                               " in: " + sql.substr(0, 200));
      }
      CTL_RETURN_IF_ERROR(stmt.Bind(i, it->second));
    }
    QueryResult rows;
    for (int i = 0; i < stmt.ColumnCount(); ++i) rows.columns.push_back(stmt.ColumnName(i));
    while (true) {
      CTL_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
      if (!has_row) break;
      std::vector<Value> row;
      for (int i = 0; i < stmt.ColumnCount(); ++i) row.push_back(stmt.Column(i));
      rows.rows.push_back(std::move(row));
    }
    if (!stmt.ReadOnly()) rows.changes = db_.Changes();
    return rows;
  }

  Result<std::unique_ptr<BulkInsert>> BeginBulkInsert(const std::string& schema, const std::string& table,
                                                      const std::vector<std::string>& columns) override {
    class Insert final : public BulkInsert {
     public:
      explicit Insert(SqliteStmt stmt) : stmt_(std::move(stmt)) {}
      Status Add(const std::vector<Value>& values) override {
        // Every parameter is bound again, and `values` outlives the step.
        stmt_.Rewind();
        for (size_t i = 0; i < values.size(); ++i) {
          CTL_RETURN_IF_ERROR(stmt_.BindBorrowed(static_cast<int>(i + 1), values[i]));
        }
        auto done = stmt_.Step();
        if (!done.ok()) return done.status();
        ++rows_;
        return Status::Ok();
      }
      Result<int64_t> Finish() override { return rows_; }

     private:
      SqliteStmt stmt_;
      int64_t rows_ = 0;
    };
    std::string sql = "INSERT INTO " + QualifiedName(schema, table) + " (";
    std::string marks;
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + QuoteName(columns[i]);
      marks += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    CTL_ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql + ") VALUES (" + marks + ")"));
    return std::unique_ptr<BulkInsert>(std::make_unique<Insert>(std::move(stmt)));
  }

  std::string QuoteName(const std::string& name) const override { return QuoteIdent(name); }

  std::string TypeName(const WarehouseType& type) const override {
    using Kind = WarehouseType::Kind;
    switch (type.kind) {
      case Kind::kInteger:
      case Kind::kBigint:
      case Kind::kBoolean:
        return "INTEGER";
      case Kind::kDouble:
      case Kind::kDecimal:
        return "REAL";
      default:
        return "TEXT";
    }
  }

  std::string TempSchema() const override { return "temp"; }
  std::string TempTable(const std::string& name) const override { return "temp." + QuoteIdent(name); }

  std::string UniqueIndexSql(const std::string& schema, const std::string& table, const std::string& index,
                             const std::string& columns) const override {
    // SQLite: the index lives in the table's schema, named by the index.
    return "CREATE UNIQUE INDEX IF NOT EXISTS " + QualifiedName(schema, index) + " ON " + QuoteIdent(table) +
           " (" + columns + ")";
  }

  Status Begin() override { return db_.Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return db_.Exec("COMMIT"); }
  Status Rollback() override {
    if (sqlite3_get_autocommit(db_.get())) return Status::Ok();
    return db_.Exec("ROLLBACK");
  }

  void SetStop(std::function<bool()> stop) override {
    stop_ = std::move(stop);
    if (!stop_) {
      sqlite3_progress_handler(db_.get(), 0, nullptr, nullptr);
      return;
    }
    sqlite3_progress_handler(
        db_.get(), 10000,
        [](void* fn) -> int { return (*static_cast<std::function<bool()>*>(fn))() ? 1 : 0; },
        &stop_);
  }

  ~SqliteWarehouse() override { sqlite3_progress_handler(db_.get(), 0, nullptr, nullptr); }

 private:
  // Prepares a statement, attaching <folder>/<schema>.db when the statement
  // names a schema that is not attached yet.
  Result<SqliteStmt> Prepare(const std::string& sql) {
    static const std::regex kUnknown(R"(unknown database (\S+))");
    for (int tries = 0; tries < 8; ++tries) {
      auto stmt = db_.Prepare(sql);
      if (stmt.ok()) return stmt;
      std::smatch m;
      const std::string& msg = stmt.status().message();
      if (!std::regex_search(msg, m, kUnknown)) return stmt;
      std::string schema = m[1].str();
      schema.erase(std::remove(schema.begin(), schema.end(), '"'), schema.end());
      if (!IsIdentifier(schema)) return stmt;
      CTL_RETURN_IF_ERROR(db_.Attach((fs::path(folder_) / (Lower(schema) + ".db")).string(), schema));
    }
    return Status::Database("too many schemas in one statement");
  }

  std::string folder_;
  SqliteDb db_;
  std::function<bool()> stop_;
};

}  // namespace

Result<std::unique_ptr<WarehouseConnection>> OpenSqliteWarehouse(const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return Status::Io("cannot create warehouse folder " + folder + ": " + ec.message());
  CTL_ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open((fs::path(folder) / "warehouse.db").string()));
  auto wh = std::make_unique<SqliteWarehouse>(folder, std::move(db));
  CTL_RETURN_IF_ERROR(wh->AttachExisting());
  return std::unique_ptr<WarehouseConnection>(std::move(wh));
}


}  // namespace ctlflow
