// A real PostgreSQL server for integration tests: initdb + pg_ctl in a
// temporary folder, on a free loopback port, started on first use by the
// test process that needs it and stopped when that process exits. As root,
// the server runs as the `postgres` user (initdb refuses root).
#pragma once

#include <string>

namespace ctlflow::testing {

struct PostgresServer {
  bool ok = false;
  std::string error;     // why it could not start
  int port = 0;
  std::string user = "ctl";
  std::string password;  // of `user`
  std::string Url(const std::string& database = "postgres") const;
};

// Starts the server once per process; later calls return the same one.
const PostgresServer& Postgres();
// Creates an empty database <prefix>_<pid>_<n> on the server and returns
// its URL; sets PGPASSWORD for this process and the ctlflow processes it
// starts. Returns "" and sets *error when that fails.
std::string CreateDatabase(const std::string& prefix, std::string* error);
// Stops the server (fast: clients are disconnected) and starts it again on
// the same port; false if that failed.
bool RestartPostgres();

}  // namespace ctlflow::testing
