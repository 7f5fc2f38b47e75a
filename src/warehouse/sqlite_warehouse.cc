#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

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

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

bool IsTransactionControl(const std::string& keyword) {
  return keyword == "BEGIN" || keyword == "COMMIT" || keyword == "END" || keyword == "ROLLBACK" ||
         keyword == "SAVEPOINT" || keyword == "RELEASE";
}

bool IsDml(const std::string& keyword) {
  return keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" ||
         keyword == "REPLACE" || keyword == "WITH" || keyword == "MERGE";
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
      auto where = [&]() {
        return "statement " + std::to_string(st.number) + " (line " + std::to_string(st.line) +
               ": " + st.Excerpt() + ")";
      };
      auto prepared = Prepare(st.text);
      if (!prepared.ok()) return Status::Database(where() + ": " + prepared.status().message());
      SqliteStmt& stmt = *prepared;
      for (int i = 1; i <= stmt.ParameterCount(); ++i) {
        std::string name = stmt.ParameterName(i);
        if (name.empty()) {
          return Status::Invalid(where() + ": positional parameter '?' is not supported; use :name");
        }
        auto it = params.find(name.substr(1));
        if (it == params.end()) {
          std::string known;
          for (const auto& [k, v] : params) known += (known.empty() ? ":" : ", :") + k;
          return Status::Invalid(where() + ": unknown parameter " + name + "; available: " + known);
        }
        CTL_RETURN_IF_ERROR(stmt.Bind(i, it->second));
      }
      QueryResult rows;
      for (int i = 0; i < stmt.ColumnCount(); ++i) rows.columns.push_back(stmt.ColumnName(i));
      while (true) {
        auto has_row = stmt.Step();
        if (!has_row.ok()) return Status::Database(where() + ": " + has_row.status().message());
        if (!*has_row) break;
        std::vector<Value> row;
        for (int i = 0; i < stmt.ColumnCount(); ++i) row.push_back(stmt.Column(i));
        rows.rows.push_back(std::move(row));
      }
      std::string keyword = st.Keyword();
      bool dml = !stmt.ReadOnly() && IsDml(keyword);
      if (dml) {
        rows.changes = db_.Changes();
        result.target_row = rows.changes;
      }
      ++result.statements;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started).count();
      if (log) {
        std::string line = "statement " + std::to_string(st.number) + " (line " +
                           std::to_string(st.line) + "): " + keyword;
        if (dml) line += ", " + std::to_string(rows.changes) + " rows changed";
        if (!rows.columns.empty()) line += ", " + std::to_string(rows.rows.size()) + " rows returned";
        log(line + ", " + std::to_string(ms) + " ms");
      }
      if (!rows.columns.empty()) {
        // A final SELECT may report the counts itself.
        if (rows.rows.size() == 1) {
          for (size_t c = 0; c < rows.columns.size(); ++c) {
            const Value& v = rows.rows[0][c];
            if (!std::holds_alternative<int64_t>(v)) continue;
            if (Lower(rows.columns[c]) == "source_row") result.source_row = std::get<int64_t>(v);
            if (Lower(rows.columns[c]) == "target_row") result.target_row = std::get<int64_t>(v);
          }
        }
        result.last = std::move(rows);
      } else if (dml) {
        result.last = std::move(rows);
      }
    }
    if (own_transaction && !statements.empty()) CTL_RETURN_IF_ERROR(tx.Commit());
    return result;
  }

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

Result<std::unique_ptr<WarehouseConnection>> ConnectionRegistry::Open(const std::string& conn_nm) const {
  if (conn_nm == "warehouse") {
    return OpenSqliteWarehouse((fs::path(home_) / "warehouse").string());
  }
  return Status::NotFound("unknown connection '" + conn_nm +
                          "'; this version knows only the embedded 'warehouse' (SQLite under the home)");
}

}  // namespace ctlflow
