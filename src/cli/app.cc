#include "cli/app.h"

#include "common/identity.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <regex>

namespace ctlflow {

namespace fs = std::filesystem;

std::string Home::MetadataPath() const { return (fs::path(path) / "cntl_af.db").string(); }
std::string Home::WarehouseFolder() const { return (fs::path(path) / "warehouse").string(); }
std::string Home::LakehouseFolder() const { return (fs::path(path) / "lakehouse").string(); }

Result<Home> ResolveHome(const std::string& flag, const std::string& db_flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("CTLFLOW_HOME");
    dir = env && *env ? env : "ctlflow_home";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Io("cannot create the home folder " + dir + ": " + ec.message());
  Home home;
  home.db = db_flag;
  if (home.db.empty()) {
    const char* env = std::getenv("CTLFLOW_DB");
    home.db = env ? env : "";
  }
  if (!home.db.empty() && home.db.rfind("postgresql://", 0) != 0 && home.db.rfind("postgres://", 0) != 0) {
    return Status::Invalid("--db must be a postgresql:// URL (the embedded store needs no --db), got '" +
                           home.db.substr(0, home.db.find('@')) + "'");
  }
  home.path = fs::absolute(dir, ec).lexically_normal().string();
  if (!home.path.empty() && home.path.back() == '/' && home.path.size() > 1) home.path.pop_back();
  // The embedded warehouse and lakehouse live here; processes rely on them.
  for (const std::string& sub : {home.WarehouseFolder(), home.LakehouseFolder()}) {
    fs::create_directories(sub, ec);
    if (ec) return Status::Io("cannot create " + sub + ": " + ec.message());
  }
  return home;
}

Result<std::unique_ptr<MetadataStore>> OpenStore(const Home& home) {
  auto opened = home.db.empty() ? OpenSqliteMetadataStore(home.MetadataPath())
                                : OpenPostgresMetadataStore(home.db);
  CTL_ASSIGN_OR_RETURN(auto store, std::move(opened));
  CTL_RETURN_IF_ERROR(store->Migrate());
  return store;
}


std::string LocalWorkerName() { return ProcessIdentity() + "/local-"; }

WorkerRecord SelfRecord(const std::string& kind, int64_t slots, const std::string& queues, int64_t lease_s) {
  WorkerRecord w;
  w.worker_id = ProcessIdentity();
  w.kind = kind;
  w.host = w.worker_id.substr(0, w.worker_id.rfind(':'));
  w.pid = getpid();
  w.slots = slots;
  w.queues = queues;
  w.lease_s = lease_s;
  return w;
}

std::string Stamp() { return UtcNow("%Y-%m-%dT%H:%M:%SZ"); }

SignalWatcher::SignalWatcher() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1);  // only used to wake the thread when done
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  thread_ = std::thread([this] {
    while (!done_) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      if ((sig == SIGINT || sig == SIGTERM) && signal_ == 0) signal_ = sig;
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

std::string SignalWatcher::Describe() const {
  switch (signal_) {
    case SIGINT: return "interrupted (SIGINT)";
    case SIGTERM: return "terminated (SIGTERM)";
    default: return "";
  }
}

}  // namespace ctlflow
