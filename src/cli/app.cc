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

Result<ControlConfig> LoadConfig(MetadataStore& store) {
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> rows, store.ReadConfigTables());
  return ConfigFromRows(rows);
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

std::string UtcNow(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

std::string TodayUtc() { return UtcNow("%Y-%m-%d"); }

Result<std::map<std::string, std::string>> ParseParams(const std::vector<std::string>& params) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  std::map<std::string, std::string> out;
  for (const auto& kv : params) {
    size_t eq = kv.find('=');
    std::string key = eq == std::string::npos ? kv : kv.substr(0, eq);
    if (eq == std::string::npos || !std::regex_match(key, kName)) {
      return Status::Invalid("--param '" + kv + "': expected name=value with a name of letters, digits and _");
    }
    out[key] = kv.substr(eq + 1);
  }
  return out;
}

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

Status CheckDate(const std::string& text, const std::string& flag) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
               std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3;
  if (shape) {
    auto ymd = std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)} /
               std::chrono::day{static_cast<unsigned>(d)};
    if (ymd.ok()) return Status::Ok();
  }
  return Status::Invalid(flag + ": '" + text + "' is not a date; expected YYYY-MM-DD, e.g. 2024-11-16");
}

}  // namespace ctlflow
