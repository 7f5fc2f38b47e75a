// One function per subcommand. Each returns a Status; main() turns it into
// a message on stderr and an exit code (2 for bad input, 1 otherwise).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "lakehouse/table_admin.h"
#include "store/metadata_store.h"

namespace ctlflow {

Status CmdInit(const Home& home);
Status CmdApply(const Home& home, const std::string& path, bool dry_run, bool prune);
Status CmdValidate(const Home& home, const std::string& path);
Status CmdExport(const Home& home, const std::string& format, const std::string& path);
// `params` (k=v) are bound to :k in the SQL; only with a connection.
Status CmdSql(const Home& home, const std::string& conn, const std::string& sql, bool json,
              const std::vector<std::string>& params = {});
Status CmdProcessNew(const Home& home, const std::string& name, const std::string& like,
                     const std::vector<std::string>& sets, const std::string& from_csv, bool dry_run);
Status CmdDag(const Home& home, const std::string& stream, const std::string& format);

struct RunOptions {
  std::string stream;
  std::string date;
  std::vector<std::string> params;  // k=v
  int parallel = 0;                 // 0 = number of CPUs
};
// Sets *succeeded to whether the run succeeded, and *exit_signal to the
// signal (SIGINT, SIGTERM) that cancelled it, if any.
Status CmdRun(const Home& home, const RunOptions& options, bool* succeeded, int* exit_signal);

struct LogOptions {
  std::string stream, process, date;
  int64_t run_id = 0;
  int64_t limit = 0;
  bool json = false;
};
Status CmdLog(const Home& home, const LogOptions& options);
Status CmdRuns(const Home& home, const std::string& stream, int64_t limit, bool json);

// `warehouse` (optional) is the connection the example's sql, load and
// notebook processes use instead of the built-in `warehouse`; `lakehouse`
// the one holding its raw files and Iceberg staging table instead of the
// built-in `lakehouse`.
Status CmdExampleLoad(const Home& home, int64_t rows, const std::string& warehouse = "",
                      const std::string& lakehouse = "");

struct SchedulerCliOptions {
  int workers = 2;           // local worker slots
  bool once = false;         // tick once, finish what was started, exit
  bool local_workers = true; // false: queue attempts for `ctlflow worker`
  int64_t lease_s = 10;      // heartbeat lease of this scheduler
};
// The daemon; with once = true it ticks once and exits when idle.
Status CmdScheduler(const Home& home, const SchedulerCliOptions& options);
// The daemon's loop, stopping (draining) when `stop` sees a signal.
Status RunScheduler(const Home& home, const SchedulerCliOptions& options, const SignalWatcher& stop);

struct ServerCliOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;
  std::string web_dir;   // "" = the built UI next to the binary, if any
  bool secure_cookie = false;  // the session cookie gets Secure (served behind TLS)
  bool with_scheduler = false;
  SchedulerCliOptions scheduler;
};
// `ctlflow server`: the REST API and the web UI until SIGTERM; with
// with_scheduler also the scheduler and local workers (all in one).
Status CmdServer(const Home& home, const ServerCliOptions& options);
// `ctlflow user add|list`, `ctlflow token create|list|revoke`.
Status CmdUserAdd(const Home& home, const std::string& name, const std::string& role);
Status CmdUserList(const Home& home, bool json);
Status CmdTokenCreate(const Home& home, const std::string& user, const std::string& label);
Status CmdTokenList(const Home& home, bool json);
Status CmdTokenRevoke(const Home& home, int64_t token_id);

struct WorkerCliOptions {
  int slots = 2;
  std::vector<std::string> queues;  // empty = {"default"}
  int64_t lease_s = 10;
};
// `ctlflow worker`: runs queued attempts from PostgreSQL until SIGTERM.
Status CmdWorker(const Home& home, const WorkerCliOptions& options);
// `ctlflow workers`: registered workers, schedulers and runs, with liveness.
Status CmdWorkers(const Home& home, bool json, bool all);
// `ctlflow queue list` and `ctlflow queue limit NAME --max-running N | --unlimited`.
Status CmdQueueList(const Home& home, bool json);
Status CmdQueueLimit(const Home& home, const std::string& queue, std::optional<int64_t> max_running);
Status CmdTrigger(const Home& home, const std::string& stream, const std::string& date,
                  const std::vector<std::string>& params);
Status CmdBackfill(const Home& home, const std::string& stream, const std::string& from,
                   const std::string& to, bool rerun_failed);
Status CmdPause(const Home& home, const std::string& stream, bool paused);
Status CmdClear(const Home& home, const std::string& stream, const std::string& date, bool failed_only,
                const std::vector<std::string>& processes);
Status CmdCancel(const Home& home, int64_t run_id);

Status CmdConnectionAdd(const Home& home, const ConnectionDef& def);
Status CmdConnectionList(const Home& home, bool json);
Status CmdConnectionTest(const Home& home, const std::string& name);
Status CmdConnectionRemove(const Home& home, const std::string& name);

// `ctlflow lakehouse ...`; `conn` is a lakehouse connection ("" = lakehouse).
Status CmdLakehouseTables(const Home& home, const std::string& conn, bool json);
Status CmdLakehouseDescribe(const Home& home, const std::string& conn, const std::string& table, bool json,
                            const AsOf& as_of = {});
Status CmdLakehouseSnapshots(const Home& home, const std::string& conn, const std::string& table, bool json);
Status CmdLakehouseRegister(const Home& home, const std::string& conn, const std::string& url, const std::string& as);
Status CmdLakehouseScan(const Home& home, const std::string& conn, const std::string& url);
// "--older-than": a duration back from now (30d, 12h, 15m, 0s) or a UTC
// time "YYYY-MM-DD[ HH:MM:SS]", as Unix ms.
Result<int64_t> ParseOlderThan(const std::string& text);
Status CmdLakehouseExpire(const Home& home, const std::string& conn, const std::string& table,
                          const ExpireOptions& options);
// Removes one data_dt's files from the table as a new snapshot (or, with
// dry_run, says which it would remove); a date with no rows succeeds and
// commits nothing.
Status CmdLakehouseDeletePartition(const Home& home, const std::string& conn, const std::string& table,
                                   const std::string& data_dt, bool dry_run, bool json);

}  // namespace ctlflow
