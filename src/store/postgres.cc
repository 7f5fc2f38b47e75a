#include "store/postgres.h"

#include <poll.h>

#include <cstdlib>

#include "common/strings.h"

namespace ctlflow {

namespace {

// Type OIDs from pg_type.h (stable across versions).
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26,
              kFloat4Oid = 700, kFloat8Oid = 701;

std::string TrimMessage(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

QueryResult PgResult::ToQueryResult() const {
  QueryResult out;
  PGresult* r = res_.get();
  if (r == nullptr) return out;
  const int cols = PQnfields(r), rows = PQntuples(r);
  for (int c = 0; c < cols; ++c) out.columns.push_back(PQfname(r, c));
  out.rows.reserve(rows);
  for (int i = 0; i < rows; ++i) {
    std::vector<Value> row;
    row.reserve(cols);
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back();
        continue;
      }
      const char* text = PQgetvalue(r, i, c);
      switch (PQftype(r, c)) {
        case kInt8Oid:
        case kInt4Oid:
        case kInt2Oid:
        case kOidOid:
          row.emplace_back(static_cast<int64_t>(std::strtoll(text, nullptr, 10)));
          break;
        case kBoolOid:
          row.emplace_back(static_cast<int64_t>(text[0] == 't' ? 1 : 0));
          break;
        case kFloat4Oid:
        case kFloat8Oid:
          row.emplace_back(std::strtod(text, nullptr));
          break;
        default:
          row.emplace_back(std::string(text, PQgetlength(r, i, c)));
      }
    }
    out.rows.push_back(std::move(row));
  }
  const char* tuples = PQcmdTuples(r);
  out.changes = (tuples != nullptr && *tuples != '\0') ? std::strtoll(tuples, nullptr, 10) : 0;
  return out;
}

Result<PgConn> PgConn::Connect(const std::string& url, const std::string& password,
                               int connect_timeout_s) {
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"dbname", "password", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), password.empty() ? nullptr : password.c_str(),
                          timeout.c_str(), "ctlflow", nullptr};
  PgConn conn;
  conn.password_ = password;
  conn.conn_.reset(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn.conn_) return Status::Io("postgresql: out of memory");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    return Status::Io("postgresql: " +
                      MaskSecrets(TrimMessage(PQerrorMessage(conn.conn_.get())), password));
  }
  // Our notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(conn.conn_.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

Status PgConn::ErrorFrom(PGresult* r, const std::string& sql) const {
  if (Broken() || r == nullptr) {
    return Status::Io("postgresql connection lost: " +
                      MaskSecrets(TrimMessage(PQerrorMessage(conn_.get())), password_));
  }
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
  const char* position = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
  std::string message = primary ? primary : TrimMessage(PQresultErrorMessage(r));
  if (detail) message += " (" + std::string(detail) + ")";
  if (position) {
    // Name the line of the statement the server pointed at.
    long pos = std::strtol(position, nullptr, 10);
    int line = 1;
    for (long i = 0; i + 1 < pos && i < static_cast<long>(sql.size()); ++i) line += sql[i] == '\n';
    message += " at line " + std::to_string(line);
  }
  message = MaskSecrets(message, password_);
  const std::string code = state ? state : "";
  if (code == "23505") return Status::Conflict(message);
  // Class 08: connection exception; 57P0x: server shutting down / starting.
  if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0) {
    return Status::Io("postgresql connection lost: " + message);
  }
  // A deadlock or serialization failure: the transaction was rolled back
  // and is safe to retry, like a lost connection.
  if (code == "40P01" || code == "40001") {
    return Status::Io("postgresql transaction rolled back, retry: " + message);
  }
  return Status::Database(message + (code.empty() ? "" : " [SQLSTATE " + code + "]"));
}

Result<QueryResult> PgConn::Query(const std::string& sql, const std::vector<Value>& params) {
  if (!conn_) return Status::Io("postgresql: not connected");
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size());
  std::vector<Oid> types(params.size(), 0);  // 0: the server infers the type
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (IsNull(v)) {
      values[i] = nullptr;
      continue;
    }
    if (std::holds_alternative<int64_t>(v)) types[i] = kInt8Oid;
    if (std::holds_alternative<double>(v)) types[i] = kFloat8Oid;
    text[i] = ValueToString(v);
    values[i] = text[i].c_str();
  }
  const int n = static_cast<int>(params.size());
  // Statements with many values (multi-row inserts) vary in length, so
  // they are not worth a slot in the cache.
  if (cache_statements_ && params.size() <= 32) {
    constexpr size_t kMaxPrepared = 1000;
    auto it = prepared_.find(sql);
    if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
      std::string name = "ctl_" + std::to_string(prepared_.size() + 1);
      PgResult prep(PQprepare(conn_.get(), name.c_str(), sql.c_str(), n, types.data()));
      if (prep.status() != PGRES_COMMAND_OK) return ErrorFrom(prep.get(), sql);
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    if (it != prepared_.end()) {
      PgResult r(PQexecPrepared(conn_.get(), it->second.c_str(), n, values.data(), nullptr, nullptr, 0));
      if (r.status() != PGRES_TUPLES_OK && r.status() != PGRES_COMMAND_OK) return ErrorFrom(r.get(), sql);
      return r.ToQueryResult();
    }
  }
  PgResult r(PQexecParams(conn_.get(), sql.c_str(), n, types.data(), values.data(), nullptr, nullptr, 0));
  if (r.status() != PGRES_TUPLES_OK && r.status() != PGRES_COMMAND_OK) {
    return ErrorFrom(r.get(), sql);
  }
  return r.ToQueryResult();
}

Result<QueryResult> PgConn::Exec(const std::string& sql) {
  if (!conn_) return Status::Io("postgresql: not connected");
  PgResult r(PQexec(conn_.get(), sql.c_str()));
  if (r.status() != PGRES_TUPLES_OK && r.status() != PGRES_COMMAND_OK &&
      r.status() != PGRES_EMPTY_QUERY) {
    return ErrorFrom(r.get(), sql);
  }
  return r.ToQueryResult();
}

Status PgConn::CopyBegin(const std::string& copy_sql) {
  if (!conn_) return Status::Io("postgresql: not connected");
  PgResult r(PQexec(conn_.get(), copy_sql.c_str()));
  if (r.status() != PGRES_COPY_IN) return ErrorFrom(r.get(), copy_sql);
  return Status::Ok();
}

Status PgConn::CopyPut(const std::string& data) {
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) {
    return Status::Io("postgresql COPY: " + TrimMessage(PQerrorMessage(conn_.get())));
  }
  return Status::Ok();
}

Result<int64_t> PgConn::CopyEnd() {
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) {
    return Status::Io("postgresql COPY: " + TrimMessage(PQerrorMessage(conn_.get())));
  }
  Status status = Status::Ok();
  int64_t rows = 0;
  while (PGresult* raw = PQgetResult(conn_.get())) {
    PgResult r(raw);
    if (r.status() != PGRES_COMMAND_OK) {
      if (status.ok()) status = ErrorFrom(r.get(), "");
    } else {
      rows = std::strtoll(PQcmdTuples(r.get()), nullptr, 10);
    }
  }
  if (!status.ok()) return status;
  return rows;
}

void PgConn::CopyAbort(const std::string& why) {
  if (!conn_) return;
  PQputCopyEnd(conn_.get(), why.c_str());
  while (PGresult* raw = PQgetResult(conn_.get())) PQclear(raw);
}

Status PgConn::Listen(const std::string& channel) {
  auto r = Exec("LISTEN " + QuoteIdent(channel));
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<PgNotification>> PgConn::WaitForNotifications(std::chrono::milliseconds timeout) {
  if (!conn_) return Status::Io("postgresql: not connected");
  std::vector<PgNotification> out;
  auto drain = [&]() -> Status {
    if (PQconsumeInput(conn_.get()) != 1) {
      return Status::Io("postgresql connection lost: " + TrimMessage(PQerrorMessage(conn_.get())));
    }
    while (PGnotify* n = PQnotifies(conn_.get())) {
      out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
      PQfreemem(n);
    }
    return Status::Ok();
  };
  CTL_RETURN_IF_ERROR(drain());
  if (!out.empty() || timeout.count() <= 0) return out;
  pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
  if (fd.fd < 0) return Status::Io("postgresql connection lost");
  int rc = poll(&fd, 1, static_cast<int>(timeout.count()));
  if (rc > 0) CTL_RETURN_IF_ERROR(drain());
  return out;
}

void PgConn::Cancel() {
  if (!conn_) return;
  PGcancel* c = PQgetCancel(conn_.get());
  if (c == nullptr) return;
  char buf[256];
  PQcancel(c, buf, sizeof(buf));
  PQfreeCancel(c);
}

bool IsTransientPgError(const Status& status) {
  return status.code() == ErrorCode::kIo &&
         status.message().find("postgresql") != std::string::npos;
}

}  // namespace ctlflow
