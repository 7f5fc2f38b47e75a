// ctlflow's entry point: parses the command line (CLI11) and calls one
// subcommand. Exit codes: 0 success, 1 failure (a failed run, an I/O or
// database error), 2 bad input (a flag, a file, a row).
#include <CLI/CLI.hpp>
#include <sqlite3.h>
#include <iostream>
#include <thread>

#include "cli/commands.h"

using namespace ctlflow;

int main(int argc, char** argv) {
  // SQLite's memory statistics take a global mutex on every allocation,
  // which a bulk insert pays per value; nothing here reads them. Set once,
  // before the first connection, as sqlite3_config requires.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  CLI::App app{"ctlflow: low-code data pipelines from control tables"};
  app.require_subcommand(1);
  std::string home_flag;
  app.add_option("--home", home_flag, "home folder (default $CTLFLOW_HOME or ./ctlflow_home)");
  std::string db_flag;
  app.add_option("--db", db_flag,
                 "metadata store: a postgresql:// URL (default $CTLFLOW_DB, else SQLite in the home)");

  auto* init = app.add_subcommand("init", "create or upgrade the metadata store (idempotent)");

  std::string apply_path;
  bool dry_run = false, prune = false;
  auto* apply = app.add_subcommand("apply", "upsert control-table rows from YAML/CSV files in one transaction");
  apply->add_option("path", apply_path, "a .yaml file, a <table>.csv file, or a folder of them")->required();
  apply->add_flag("--dry-run", dry_run, "validate and show the changes, change nothing");
  apply->add_flag("--prune", prune, "delete rows of the given tables that the input does not list");

  std::string export_format = "yaml", export_path;
  auto* exp = app.add_subcommand("export", "write the control tables as YAML (stdout or file) or CSV (folder)");
  exp->add_option("--format", export_format, "yaml or csv")->check(CLI::IsMember({"yaml", "csv"}));
  exp->add_option("path", export_path, "output file (yaml) or folder (csv)");

  std::string validate_path;
  auto* validate = app.add_subcommand("validate", "check the control tables, or files against them");
  validate->add_option("path", validate_path, "files to check as if applied");

  std::string sql_conn, sql_text;
  bool sql_json = false;
  auto* sql = app.add_subcommand("sql", "run SQL on the metadata store, or on a named connection");
  sql->add_option("--conn", sql_conn, "a connection name such as warehouse");
  sql->add_flag("--json", sql_json, "print rows as a JSON array");
  sql->add_option("sql", sql_text, "the SQL, or - to read it from stdin")->required();
  std::vector<std::string> sql_params;
  sql->add_option("--param", sql_params, "k=v, bound to :k (with --conn; repeatable)");

  auto* process = app.add_subcommand("process", "work with process rows");
  process->require_subcommand(1);
  std::string new_name, new_like, new_csv;
  std::vector<std::string> new_sets;
  bool new_dry_run = false;
  auto* pnew = process->add_subcommand("new", "stamp new process rows from an existing one");
  pnew->add_option("name", new_name, "the new prcs_nm");
  pnew->add_option("--like", new_like, "the process to copy");
  pnew->add_option("--set", new_sets, "column=value to change (empty value = NULL)");
  pnew->add_option("--from-csv", new_csv, "CSV with prcs_nm, optional like, and columns to set");
  pnew->add_flag("--dry-run", new_dry_run, "show what would be added");

  std::string dag_stream, dag_format = "text";
  auto* dag = app.add_subcommand("dag", "print the compiled plan of a stream");
  dag->add_option("stream", dag_stream, "stream name (strem_nm)")->required();
  dag->add_option("--format", dag_format, "text, dot or json")->check(CLI::IsMember({"text", "dot", "json"}));

  RunOptions run_options;
  auto* run = app.add_subcommand("run", "run a stream once, in the foreground; exit 0 only on success");
  run->add_option("stream", run_options.stream, "stream name (strem_nm)")->required();
  run->add_option("--date", run_options.date, "data_dt, YYYY-MM-DD (default: today, UTC)");
  run->add_option("--param", run_options.params, "name=value, given to every process");
  run->add_option("--parallel", run_options.parallel, "worker threads (default: CPUs, at least 2)")
      ->check(CLI::Range(1, 1024));

  LogOptions log_options;
  auto* log = app.add_subcommand("log", "show attempt rows from cntl_cfg_log");
  log->add_option("--stream", log_options.stream);
  log->add_option("--process", log_options.process);
  log->add_option("--date", log_options.date, "data_dt, YYYY-MM-DD");
  log->add_option("--run", log_options.run_id, "run_id");
  log->add_option("--limit", log_options.limit, "only the newest N rows");
  log->add_flag("--json", log_options.json);

  std::string runs_stream;
  int64_t runs_limit = 0;
  bool runs_json = false;
  auto* runs = app.add_subcommand("runs", "show stream runs");
  runs->add_option("--stream", runs_stream);
  runs->add_option("--limit", runs_limit, "only the newest N runs");
  runs->add_flag("--json", runs_json);

  auto* example = app.add_subcommand("example", "the seed's example stream");
  example->require_subcommand(1);
  int64_t example_rows = 1000;
  auto* example_load = example->add_subcommand("load", "put AF_TEST1, its scripts and generated data into the home");
  example_load->add_option("--rows", example_rows, "taxi trips to generate (default 1000)");
  std::string example_warehouse;
  example_load->add_option("--warehouse", example_warehouse, "connection for the example's warehouse (default: warehouse)");
  std::string example_lakehouse;
  example_load->add_option("--lakehouse", example_lakehouse,
                           "connection for the example's raw files and Iceberg staging (default: lakehouse)");

  int sched_workers = 0;
  SchedulerCliOptions sched_options;
  bool no_local_workers = false;
  auto* sched = app.add_subcommand("scheduler", "run schedules, queued and triggered runs until SIGTERM");
  sched->add_option("--workers", sched_workers, "attempts at once over all runs (default: CPUs, at least 2)")
      ->check(CLI::Range(1, 1024));
  sched->add_flag("--once", sched_options.once, "tick once, finish what was started, exit");
  sched->add_flag("--no-local-workers", no_local_workers,
                  "only schedule: queue every attempt for `ctlflow worker` processes (PostgreSQL)");
  sched->add_option("--lease-s", sched_options.lease_s, "heartbeat lease; others take over after it (default 10)")
      ->check(CLI::Range(1, 3600));

  WorkerCliOptions worker_options;
  auto* worker = app.add_subcommand("worker", "run queued attempts from PostgreSQL until SIGTERM");
  worker->add_option("--slots", worker_options.slots, "attempts at once (default 2)")->check(CLI::Range(1, 1024));
  worker->add_option("--queue", worker_options.queues, "serve this queue (repeatable; default: default)");
  worker->add_option("--lease-s", worker_options.lease_s,
                     "heartbeat lease; its attempts fail over after it (default 10)")
      ->check(CLI::Range(1, 3600));
  auto* queue_cmd = app.add_subcommand("queue", "queues of `ctlflow worker` and their limits");
  queue_cmd->require_subcommand(1);
  bool queue_json = false;
  auto* queue_list = queue_cmd->add_subcommand("list", "queues with a limit or tasks: queued and running now");
  queue_list->add_flag("--json", queue_json);
  std::string queue_name;
  int64_t queue_max = -1;
  bool queue_unlimited = false;
  auto* queue_limit = queue_cmd->add_subcommand("limit", "at most N attempts of a queue run at once, over all workers");
  queue_limit->add_option("QUEUE", queue_name)->required();
  auto* max_opt = queue_limit->add_option("--max-running", queue_max, "the limit")->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  auto* unl_opt = queue_limit->add_flag("--unlimited", queue_unlimited, "remove the limit");
  max_opt->excludes(unl_opt);
  bool workers_json = false, workers_all = false;
  auto* workers_cmd = app.add_subcommand("workers", "list live workers and schedulers, their slots and heartbeats");
  workers_cmd->add_flag("--json", workers_json);
  workers_cmd->add_flag("--all", workers_all, "include stopped and lost ones");

  std::string trig_stream, trig_date;
  std::vector<std::string> trig_params;
  auto* trig = app.add_subcommand("trigger", "queue a manual run for the scheduler");
  trig->add_option("stream", trig_stream)->required();
  trig->add_option("--date", trig_date, "data_dt, YYYY-MM-DD (default: today, UTC)");
  trig->add_option("--param", trig_params, "name=value");

  std::string bf_stream, bf_from, bf_to;
  bool bf_rerun = false;
  auto* bf = app.add_subcommand("backfill", "queue one run per data_dt from --from to --to, oldest first");
  bf->add_option("stream", bf_stream)->required();
  bf->add_option("--from", bf_from, "first data_dt")->required();
  bf->add_option("--to", bf_to, "last data_dt")->required();
  bf->add_flag("--rerun-failed", bf_rerun, "re-queue the failed processes of dates whose run failed");

  std::string pause_stream, unpause_stream;
  auto* pause = app.add_subcommand("pause", "no new scheduled runs for a stream");
  pause->add_option("stream", pause_stream)->required();
  auto* unpause = app.add_subcommand("unpause", "resume a stream's schedule");
  unpause->add_option("stream", unpause_stream)->required();

  std::string clear_stream, clear_date;
  bool clear_failed = false;
  std::vector<std::string> clear_processes;
  auto* clear = app.add_subcommand("clear", "re-queue the attempts of a finished run; old attempts stay in the log");
  clear->add_option("stream", clear_stream)->required();
  clear->add_option("--date", clear_date, "data_dt of the run")->required();
  clear->add_flag("--failed-only", clear_failed, "only processes that did not succeed");
  clear->add_option("--process", clear_processes, "only this process and what is downstream of it");

  int64_t cancel_run = 0;
  auto* cancel = app.add_subcommand("cancel", "stop a run: its attempts end, it is marked cancelled");
  cancel->add_option("run_id", cancel_run)->required();

  auto* conn = app.add_subcommand("connection", "named connections (warehouses, lakehouses) and their secrets");
  conn->require_subcommand(1);
  ConnectionDef conn_def;
  auto* conn_add = conn->add_subcommand("add", "add or replace a connection");
  conn_add->add_option("name", conn_def.conn_nm)->required();
  conn_add->add_option("--type", conn_def.conn_typ, "sqlite, postgres or lakehouse")->required();
  conn_add->add_option("--url", conn_def.url, "sqlite: a folder; postgres: postgresql://...; lakehouse: file://...")
      ->required();
  conn_add->add_option("--password-env", conn_def.password_env, "environment variable holding the password");
  conn_add->add_option("--password-file", conn_def.password_file, "owner-only file holding the password");
  bool conn_json = false;
  auto* conn_list = conn->add_subcommand("list", "list connections (secrets are never shown)");
  conn_list->add_flag("--json", conn_json);
  std::string conn_name;
  auto* conn_test = conn->add_subcommand("test", "open a connection and run a trivial query");
  conn_test->add_option("name", conn_name)->required();
  auto* conn_remove = conn->add_subcommand("remove", "remove a connection no process uses");
  conn_remove->add_option("name", conn_name)->required();

  auto* lake = app.add_subcommand("lakehouse", "the Iceberg tables of a lakehouse connection and their catalog");
  lake->require_subcommand(1);
  std::string lake_conn, lake_table, lake_url, lake_as, lake_older;
  bool lake_json = false;
  ExpireOptions expire_options;
  auto conn_option = [&](CLI::App* sub) {
    sub->add_option("--conn", lake_conn, "the lakehouse connection (default: lakehouse)");
  };
  auto* lake_tables = lake->add_subcommand("tables", "list the tables of the catalog with their current totals");
  conn_option(lake_tables);
  lake_tables->add_flag("--json", lake_json);
  auto* lake_describe = lake->add_subcommand("describe", "a table's schema, partitioning and current snapshot");
  lake_describe->add_option("table", lake_table, "NAMESPACE.TABLE")->required();
  conn_option(lake_describe);
  lake_describe->add_flag("--json", lake_json);
  int64_t lake_snapshot = 0;
  std::string lake_as_of;
  lake_describe->add_option("--snapshot", lake_snapshot, "time travel: the table at this snapshot id");
  lake_describe->add_option("--as-of", lake_as_of, "time travel: the table as it was at this UTC time (YYYY-MM-DD[ HH:MM:SS])");
  auto* lake_snapshots = lake->add_subcommand("snapshots", "a table's snapshots, oldest first (* = current)");
  lake_snapshots->add_option("table", lake_table, "NAMESPACE.TABLE")->required();
  conn_option(lake_snapshots);
  lake_snapshots->add_flag("--json", lake_json);
  auto* lake_register = lake->add_subcommand("register", "register a table folder from its newest metadata file");
  lake_register->add_option("url", lake_url, "the table's folder, e.g. s3://bucket/lake/staging/T")->required();
  lake_register->add_option("--as", lake_as, "NAMESPACE.TABLE (default: the folder's last two names)");
  conn_option(lake_register);
  auto* lake_scan = lake->add_subcommand("scan", "find every table under a URL and register it");
  lake_scan->add_option("url", lake_url, "where to look (default: the lakehouse's root)");
  conn_option(lake_scan);
  auto* lake_expire = lake->add_subcommand("expire", "expire old snapshots and delete the files only they used");
  lake_expire->add_option("table", lake_table, "NAMESPACE.TABLE")->required();
  conn_option(lake_expire);
  lake_expire->add_option("--older-than", lake_older,
                          "expire snapshots older than this: a duration (30d, 12h, 0s) or a UTC time "
                          "(YYYY-MM-DD[ HH:MM:SS]); default 5d");
  lake_expire->add_option("--retain-last", expire_options.retain_last, "always keep this many newest snapshots (default 1)")
      ->check(CLI::PositiveNumber);
  lake_expire->add_flag("--dry-run", expire_options.dry_run, "report, delete nothing");
  lake_expire->add_flag("--delete-orphans", expire_options.delete_orphans,
                        "also delete files no metadata references (left by interrupted commits)");
  std::string lake_data_dt;
  bool lake_dry_run = false;
  auto* lake_delete = lake->add_subcommand(
      "delete-partition", "delete one data_dt's rows as a new snapshot (the files stay for time travel until expire)");
  lake_delete->add_option("table", lake_table, "NAMESPACE.TABLE, partitioned by data_dt")->required();
  lake_delete->add_option("--data-dt", lake_data_dt, "the date whose rows go, YYYY-MM-DD")->required();
  conn_option(lake_delete);
  lake_delete->add_flag("--dry-run", lake_dry_run, "say which files and rows would go, commit nothing");
  lake_delete->add_flag("--json", lake_json);

  ServerCliOptions server_options;
  int server_workers = 0;
  auto* server_cmd = app.add_subcommand("server", "serve the REST API (/api/v1) and the web UI until SIGTERM");
  server_cmd->add_option("--port", server_options.port, "TCP port (default 8080; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  server_cmd->add_option("--bind", server_options.bind, "address to listen on (default 127.0.0.1, loopback only)");
  server_cmd->add_option("--web", server_options.web_dir, "folder of the built web UI (default: web/dist of this build)");
  server_cmd->add_flag("--secure-cookie", server_options.secure_cookie,
                       "mark the session cookie Secure (browsers send it over HTTPS only): for a TLS proxy in front");
  server_cmd->add_flag("--with-scheduler", server_options.with_scheduler,
                       "also run the scheduler and local workers in this process (all in one)");
  server_cmd->add_option("--workers", server_workers, "with --with-scheduler: attempts at once (default: CPUs, at least 2)")
      ->check(CLI::Range(1, 1024));
  auto* user_cmd = app.add_subcommand("user", "users of the server and their roles");
  user_cmd->require_subcommand(1);
  std::string user_name, user_role, token_user, token_label;
  bool user_json = false;
  auto* user_add = user_cmd->add_subcommand("add", "add a user, or change a user's role");
  user_add->add_option("NAME", user_name)->required();
  user_add->add_option("--role", user_role, "viewer (reads), operator (also triggers, clears, pauses) or admin "
                                            "(also edits control tables and connections)")->required();
  auto* user_list = user_cmd->add_subcommand("list", "users and roles");
  user_list->add_flag("--json", user_json);
  auto* token_cmd = app.add_subcommand("token", "API tokens (stored hashed; shown once)");
  token_cmd->require_subcommand(1);
  auto* token_create = token_cmd->add_subcommand("create", "create a token for a user and print it");
  token_create->add_option("--user", token_user, "whose token")->required();
  token_create->add_option("--label", token_label, "what it is for (e.g. laptop, ci)");
  auto* token_list = token_cmd->add_subcommand("list", "tokens, without their secrets");
  token_list->add_flag("--json", user_json);
  int64_t token_id = 0;
  auto* token_revoke = token_cmd->add_subcommand("revoke", "end a token");
  token_revoke->add_option("ID", token_id)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  auto home = ResolveHome(home_flag, db_flag);
  if (!home.ok()) {
    std::cerr << "ctlflow: error: " << home.status().message() << "\n";
    return home.status().code() == ErrorCode::kInvalid ? 2 : 1;
  }
  Status status;
  bool run_ok = true;
  int exit_signal = 0;
  if (*init) status = CmdInit(*home);
  else if (*apply) status = CmdApply(*home, apply_path, dry_run, prune);
  else if (*exp) status = CmdExport(*home, export_format, export_path);
  else if (*validate) status = CmdValidate(*home, validate_path);
  else if (*sql) status = CmdSql(*home, sql_conn, sql_text, sql_json, sql_params);
  else if (*pnew) {
    if (new_csv.empty() && new_name.empty()) {
      status = Status::Invalid("process new: give a NAME, or --from-csv FILE");
    } else {
      status = CmdProcessNew(*home, new_name, new_like, new_sets, new_csv, new_dry_run);
    }
  }
  else if (*dag) status = CmdDag(*home, dag_stream, dag_format);
  else if (*run) status = CmdRun(*home, run_options, &run_ok, &exit_signal);
  else if (*log) status = CmdLog(*home, log_options);
  else if (*runs) status = CmdRuns(*home, runs_stream, runs_limit, runs_json);
  else if (*example_load) status = CmdExampleLoad(*home, example_rows, example_warehouse, example_lakehouse);
  else if (*sched) {
    int cpus = static_cast<int>(std::thread::hardware_concurrency());
    sched_options.workers = sched_workers > 0 ? sched_workers : std::max(2, cpus);
    sched_options.local_workers = !no_local_workers;
    status = CmdScheduler(*home, sched_options);
  }
  else if (*server_cmd) {
    int cpus = static_cast<int>(std::thread::hardware_concurrency());
    server_options.scheduler.workers = server_workers > 0 ? server_workers : std::max(2, cpus);
    status = CmdServer(*home, server_options);
  }
  else if (*user_add) status = CmdUserAdd(*home, user_name, user_role);
  else if (*user_list) status = CmdUserList(*home, user_json);
  else if (*token_create) status = CmdTokenCreate(*home, token_user, token_label);
  else if (*token_list) status = CmdTokenList(*home, user_json);
  else if (*token_revoke) status = CmdTokenRevoke(*home, token_id);
  else if (*worker) status = CmdWorker(*home, worker_options);
  else if (*queue_list) status = CmdQueueList(*home, queue_json);
  else if (*queue_limit) {
    if (!queue_unlimited && queue_max < 0) {
      status = Status::Invalid("queue limit: give --max-running N or --unlimited");
    } else {
      status = CmdQueueLimit(*home, queue_name,
                             queue_unlimited ? std::nullopt : std::optional<int64_t>(queue_max));
    }
  }
  else if (*workers_cmd) status = CmdWorkers(*home, workers_json, workers_all);
  else if (*trig) status = CmdTrigger(*home, trig_stream, trig_date, trig_params);
  else if (*bf) status = CmdBackfill(*home, bf_stream, bf_from, bf_to, bf_rerun);
  else if (*pause) status = CmdPause(*home, pause_stream, true);
  else if (*unpause) status = CmdPause(*home, unpause_stream, false);
  else if (*clear) status = CmdClear(*home, clear_stream, clear_date, clear_failed, clear_processes);
  else if (*cancel) status = CmdCancel(*home, cancel_run);
  else if (*conn_add) status = CmdConnectionAdd(*home, conn_def);
  else if (*conn_list) status = CmdConnectionList(*home, conn_json);
  else if (*conn_test) status = CmdConnectionTest(*home, conn_name);
  else if (*conn_remove) status = CmdConnectionRemove(*home, conn_name);
  else if (*lake_tables) status = CmdLakehouseTables(*home, lake_conn, lake_json);
  else if (*lake_describe) {
    AsOf as_of;
    if (lake_snapshot != 0) as_of.snapshot_id = lake_snapshot;
    if (!lake_as_of.empty()) {
      auto ms = ParseOlderThan(lake_as_of);
      if (!ms.ok()) status = Status::Invalid("--as-of '" + lake_as_of + "': give a UTC time YYYY-MM-DD[ HH:MM:SS]");
      else as_of.time_ms = *ms;
    }
    if (status.ok()) status = CmdLakehouseDescribe(*home, lake_conn, lake_table, lake_json, as_of);
  }
  else if (*lake_snapshots) status = CmdLakehouseSnapshots(*home, lake_conn, lake_table, lake_json);
  else if (*lake_register) status = CmdLakehouseRegister(*home, lake_conn, lake_url, lake_as);
  else if (*lake_scan) status = CmdLakehouseScan(*home, lake_conn, lake_url);
  else if (*lake_expire) {
    auto older = ParseOlderThan(lake_older.empty() ? "5d" : lake_older);
    if (!older.ok()) {
      status = older.status();
    } else {
      expire_options.older_than_ms = *older;
      status = CmdLakehouseExpire(*home, lake_conn, lake_table, expire_options);
    }
  }
  else if (*lake_delete) {
    status = CmdLakehouseDeletePartition(*home, lake_conn, lake_table, lake_data_dt, lake_dry_run, lake_json);
  }

  if (!status.ok()) {
    std::cerr << "ctlflow: error: " << status.message() << "\n";
    return status.code() == ErrorCode::kInvalid || status.code() == ErrorCode::kNotFound ? 2 : 1;
  }
  if (exit_signal != 0) return 128 + exit_signal;  // the shell's convention
  return run_ok ? 0 : 1;
}
