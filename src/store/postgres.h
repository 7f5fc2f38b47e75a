// Move-only RAII owners of PGconn* and PGresult*, with Status-returning
// calls. Used by the PostgreSQL metadata store, the workers' queue and the
// PostgreSQL warehouse.
//
// Parameters are always sent separately from the SQL text ($1..$n); values
// are never spliced. Errors carry PostgreSQL's message, detail and SQLSTATE;
// a unique violation is a Conflict and a lost connection is Io, so callers
// can tell a lost race and a retryable failure from a bug.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/tables.h"
#include "store/sqlite.h"  // QueryResult

namespace ctlflow {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : res_(r) {}
  PGresult* get() const { return res_.get(); }
  ExecStatusType status() const { return PQresultStatus(res_.get()); }
  // Converts every row: integers and booleans to int64, floats to double,
  // everything else (numeric, dates, text) to its text form; NULL to null.
  QueryResult ToQueryResult() const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> res_;
};

struct PgNotification {
  std::string channel;
  std::string payload;
};

class PgConn {
 public:
  PgConn() = default;
  // Connects to a libpq URL or keyword string. The password, when given,
  // travels as its own keyword and never appears in the URL or a message.
  static Result<PgConn> Connect(const std::string& url, const std::string& password = "",
                                int connect_timeout_s = 5);

  // One statement with positional parameters $1..$n; returns every row.
  Result<QueryResult> Query(const std::string& sql, const std::vector<Value>& params = {});
  // From now on, Query prepares each distinct SQL text once per connection
  // and then only executes it (no parse and plan per call). For callers
  // whose statements are few and keep their parameter types, such as the
  // metadata store; not for user scripts.
  void CacheStatements() { cache_statements_ = true; }
  // One or more statements without parameters (simple query protocol); the
  // result of the last one is returned.
  Result<QueryResult> Exec(const std::string& sql);

  // COPY ... FROM STDIN: Begin, any number of Put, then End (or Abort).
  Status CopyBegin(const std::string& copy_sql);
  Status CopyPut(const std::string& data);
  Result<int64_t> CopyEnd();  // rows copied
  void CopyAbort(const std::string& why);

  // LISTEN on a channel (an identifier, quoted here).
  Status Listen(const std::string& channel);
  // Notifications received so far; waits up to `timeout` for the first one.
  Result<std::vector<PgNotification>> WaitForNotifications(std::chrono::milliseconds timeout);

  // Asks the server to cancel the statement running on this connection;
  // callable from another thread.
  void Cancel();

  bool Broken() const { return !conn_ || PQstatus(conn_.get()) == CONNECTION_BAD; }
  PGconn* get() const { return conn_.get(); }

 private:
  Status ErrorFrom(PGresult* r, const std::string& sql) const;
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
  std::string password_;  // only to mask it out of messages
  bool cache_statements_ = false;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// True for errors worth retrying after reconnecting (connection lost,
// server shutting down or starting up).
bool IsTransientPgError(const Status& status);

}  // namespace ctlflow
