// The CLI's shared pieces: where the home folder is, opening the metadata
// store (migrating it implicitly), and reading the config for the compiler.
// Subcommands are thin: they parse flags, call the layers, print.
#pragma once

#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "compiler/compiler.h"
#include "ops/operations.h"
#include "store/metadata_store.h"

namespace ctlflow {

struct Home {
  std::string path;  // absolute
  // The metadata store: "" for the embedded SQLite file in `path`, or a
  // postgresql:// URL (--db, else $CTLFLOW_DB).
  std::string db;
  std::string MetadataPath() const;
  std::string WarehouseFolder() const;
  std::string LakehouseFolder() const;
};

// --home, else $CTLFLOW_HOME, else ./ctlflow_home; created when missing.
// --db, else $CTLFLOW_DB, else the embedded store.
Result<Home> ResolveHome(const std::string& flag, const std::string& db_flag = "");
Result<std::unique_ptr<MetadataStore>> OpenStore(const Home& home);

// "host:pid/local-" — the prefix of worker_nm for this process's workers.
std::string LocalWorkerName();
// This process's cntl_worker row (id "host:pid").
WorkerRecord SelfRecord(const std::string& kind, int64_t slots, const std::string& queues, int64_t lease_s);
// UTC timestamp for daemon console lines.
std::string Stamp();


// Watches for SIGINT/SIGTERM so long-running commands can stop cleanly
// instead of dying with attempts left "running". Construct it before any
// thread starts: the signals are blocked in every thread and picked up by
// one thread with sigtimedwait.
class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  int signal() const { return signal_; }  // 0 until one arrives
  std::string Describe() const;           // "interrupted (SIGINT)", ...

 private:
  sigset_t set_, old_;
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  std::thread thread_;
};

}  // namespace ctlflow
