#include "warehouse/connections.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>

#include "store/postgres.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace fs = std::filesystem;

std::vector<ConnectionDef> BuiltinConnections() {
  return {ConnectionDef{"lakehouse", "lakehouse", "file://lakehouse", "", "", ""},
          ConnectionDef{"warehouse", "sqlite", "warehouse", "", "", ""}};
}

std::vector<ConnectionDef> EffectiveConnections(const std::vector<ConnectionDef>& stored) {
  std::map<std::string, ConnectionDef> by_name;
  for (const auto& d : BuiltinConnections()) by_name[d.conn_nm] = d;
  for (const auto& d : stored) by_name[d.conn_nm] = d;
  std::vector<ConnectionDef> out;
  for (auto& [name, d] : by_name) out.push_back(d);
  return out;
}

namespace {

const std::regex kUserInfo(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@:]*):([^/@]*)@)");

}  // namespace

std::string MaskUrl(const std::string& url) {
  return std::regex_replace(url, kUserInfo, "$1$2:****@", std::regex_constants::format_first_only);
}

Status ValidateConnection(const ConnectionDef& d) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  auto fail = [&](const std::string& what) {
    return Status::Invalid("connection " + d.conn_nm + ": " + what);
  };
  if (!std::regex_match(d.conn_nm, kName)) {
    return Status::Invalid("connection name '" + d.conn_nm + "': use letters, digits and _");
  }
  if (d.conn_typ != "sqlite" && d.conn_typ != "postgres" && d.conn_typ != "lakehouse") {
    return fail("--type '" + d.conn_typ + "': expected sqlite, postgres or lakehouse");
  }
  if (d.url.empty()) return fail("--url is required");
  if (std::regex_search(d.url, kUserInfo)) {
    return fail("the URL contains a password; give it with --password-env VAR or --password-file PATH instead");
  }
  if (d.conn_typ == "postgres" && d.url.rfind("postgresql://", 0) != 0 && d.url.rfind("postgres://", 0) != 0) {
    return fail("a postgres URL starts with postgresql://, e.g. postgresql://etl@db.example:5432/dwh");
  }
  if (d.conn_typ == "lakehouse" && d.url.rfind("file://", 0) != 0 && d.url.rfind("s3://", 0) != 0) {
    return fail("a lakehouse URL is file://FOLDER or s3://BUCKET/PREFIX");
  }
  if (d.conn_typ == "sqlite" && d.url.find("://") != std::string::npos) {
    return fail("a sqlite URL is a folder path (relative to the home, or absolute)");
  }
  if (!d.password_env.empty() && !d.password_file.empty()) {
    return fail("give --password-env or --password-file, not both");
  }
  if (!d.password_env.empty() && !std::regex_match(d.password_env, kName)) {
    return fail("--password-env '" + d.password_env + "' is not an environment variable name");
  }
  if (!d.password_file.empty()) {
    struct stat st{};
    if (stat(d.password_file.c_str(), &st) != 0) return fail("--password-file " + d.password_file + " does not exist");
    if ((st.st_mode & 077) != 0) {
      return fail("--password-file " + d.password_file +
                  " is readable by others; make it owner-only: chmod 600 " + d.password_file);
    }
  }
  return Status::Ok();
}

Result<std::string> ResolveSecret(const ConnectionDef& d) {
  if (!d.password_env.empty()) {
    const char* value = std::getenv(d.password_env.c_str());
    if (value == nullptr) {
      return Status::NotFound("connection " + d.conn_nm + ": environment variable " + d.password_env +
                              " (its password) is not set");
    }
    return std::string(value);
  }
  if (!d.password_file.empty()) {
    struct stat st{};
    if (stat(d.password_file.c_str(), &st) != 0) {
      return Status::NotFound("connection " + d.conn_nm + ": password file " + d.password_file + " is missing");
    }
    if ((st.st_mode & 077) != 0) {
      return Status::Invalid("connection " + d.conn_nm + ": password file " + d.password_file +
                             " is readable by others; chmod 600 it");
    }
    std::ifstream in(d.password_file);
    std::string secret;
    std::getline(in, secret);
    return secret;
  }
  return std::string();
}

std::string ConnectionPath(const ConnectionDef& d, const std::string& home) {
  std::string path = d.url;
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  fs::path p(path);
  return (p.is_relative() ? fs::path(home) / p : p).lexically_normal().string();
}

namespace {

Status TestPostgres(const ConnectionDef& d, const std::string& secret) {
  auto conn = PgConn::Connect(d.url, secret);
  if (!conn.ok()) {
    return Status::Io("connection " + d.conn_nm + " (" + MaskUrl(d.url) + "): " + conn.status().message());
  }
  auto one = conn->Query("SELECT 1");
  if (!one.ok()) return Status::Io("connection " + d.conn_nm + ": SELECT 1 failed: " + one.status().message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<WarehouseConnection>> ConnectionRegistry::Open(const std::string& conn_nm) const {
  std::vector<ConnectionDef> stored;
  if (store_ != nullptr) {
    CTL_ASSIGN_OR_RETURN(stored, store_->ListConnections());
  }
  for (const auto& d : EffectiveConnections(stored)) {
    if (d.conn_nm != conn_nm) continue;
    if (d.conn_typ == "sqlite") return OpenSqliteWarehouse(ConnectionPath(d, home_));
    if (d.conn_typ == "postgres") {
      CTL_ASSIGN_OR_RETURN(std::string secret, ResolveSecret(d));
      auto wh = OpenPostgresWarehouse(d.url, secret);
      if (!wh.ok()) return wh.status().WithContext("connection " + conn_nm + " (" + MaskUrl(d.url) + ")");
      return wh;
    }
    if (d.conn_typ == "lakehouse") {
      return Status::Invalid("connection " + conn_nm + " is a lakehouse (files), not a SQL warehouse");
    }
    return Status::Invalid("connection " + conn_nm + " is " + d.conn_typ + ", not a SQL warehouse");
  }
  return Status::NotFound("unknown connection '" + conn_nm + "'; add it with ctlflow connection add");
}

Status TestConnection(const ConnectionDef& d, const std::string& home) {
  CTL_ASSIGN_OR_RETURN(std::string secret, ResolveSecret(d));
  if (d.conn_typ == "postgres") return TestPostgres(d, secret);
  if (d.conn_typ == "sqlite") {
    CTL_ASSIGN_OR_RETURN(auto wh, OpenSqliteWarehouse(ConnectionPath(d, home)));
    CTL_ASSIGN_OR_RETURN(ScriptResult r, wh->RunScript("SELECT 1", {}, nullptr));
    (void)r;
    return Status::Ok();
  }
  if (d.url.rfind("s3://", 0) == 0) {
    return Status::Invalid("connection " + d.conn_nm + ": s3:// lakehouses are not available in this version");
  }
  fs::path dir = ConnectionPath(d, home);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("connection " + d.conn_nm + ": no folder " + dir.string());
  fs::path probe = dir / (".ctlflow-probe-" + std::to_string(getpid()));
  {
    std::ofstream out(probe);
    out << "probe\n";
    if (!out.flush()) return Status::Io("connection " + d.conn_nm + ": cannot write in " + dir.string());
  }
  fs::remove(probe, ec);
  return Status::Ok();
}

}  // namespace ctlflow
