#include "store/sql_backend.h"

namespace ctlflow {

std::string ControlColumnDdl(const ColumnDef& c, const char* integer_type, const std::string& now_default) {
  std::string ddl = c.name + (c.type == ColumnType::kInteger ? std::string(" ") + integer_type : " TEXT");
  if (!c.nullable) ddl += " NOT NULL";
  if (!c.default_sql.empty()) {
    ddl += " DEFAULT " + (c.default_sql == "CURRENT_TIMESTAMP" ? now_default : c.default_sql);
  }
  if (c.name == "act_f" || c.name == "catchup") {
    // Named so the engine's message says what is wrong: "CHECK constraint
    // failed: column act_f: expected 0 or 1".
    ddl += " CONSTRAINT \"column " + c.name + ": expected 0 or 1\" CHECK (" + c.name + " IN (0, 1))";
  }
  return ddl;
}

std::string ControlTableDdl(const TableDef& t, const char* integer_type, const std::string& now_default) {
  std::string ddl = "CREATE TABLE IF NOT EXISTS cntl_af." + t.name + " (";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    ddl += (i ? ", " : "") + ControlColumnDdl(t.columns[i], integer_type, now_default);
  }
  if (!t.key.empty()) {
    ddl += ", PRIMARY KEY (";
    for (size_t i = 0; i < t.key.size(); ++i) ddl += (i ? ", " : "") + t.key[i];
    ddl += ")";
  }
  return ddl + ")";
}

}  // namespace ctlflow
