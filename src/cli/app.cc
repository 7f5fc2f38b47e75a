#include "cli/app.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace ctlflow {

namespace fs = std::filesystem;

std::string Home::MetadataPath() const { return (fs::path(path) / "cntl_af.db").string(); }
std::string Home::WarehouseFolder() const { return (fs::path(path) / "warehouse").string(); }
std::string Home::LakehouseFolder() const { return (fs::path(path) / "lakehouse").string(); }

Result<Home> ResolveHome(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("CTLFLOW_HOME");
    dir = env && *env ? env : "ctlflow_home";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Io("cannot create the home folder " + dir + ": " + ec.message());
  Home home;
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
  CTL_ASSIGN_OR_RETURN(auto store, OpenSqliteMetadataStore(home.MetadataPath()));
  CTL_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Result<ControlConfig> LoadConfig(MetadataStore& store) {
  CTL_ASSIGN_OR_RETURN(std::vector<TableRows> rows, store.ReadConfigTables());
  return ConfigFromRows(rows);
}

std::string LocalWorkerName() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "localhost");
  return std::string(host) + ":" + std::to_string(getpid()) + "/local-";
}

std::string TodayUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
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
