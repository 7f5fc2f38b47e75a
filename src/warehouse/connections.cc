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

Result<ConnectionDef> ConnectionRegistry::Find(const std::string& conn_nm) const {
  std::vector<ConnectionDef> stored;
  if (store_ != nullptr) {
    CTL_ASSIGN_OR_RETURN(stored, store_->ListConnections());
  }
  for (const auto& d : EffectiveConnections(stored)) {
    if (d.conn_nm == conn_nm) return d;
  }
  return Status::NotFound("unknown connection '" + conn_nm + "'; add it with ctlflow connection add");
}

Result<std::unique_ptr<WarehouseConnection>> ConnectionRegistry::Open(const std::string& conn_nm) const {
  CTL_ASSIGN_OR_RETURN(ConnectionDef d, Find(conn_nm));
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

namespace {

// "a=1&b=2" -> {a: 1, b: 2}, with %XX decoded.
Result<std::map<std::string, std::string>> ParseQuery(const std::string& query, const std::string& what) {
  std::map<std::string, std::string> out;
  auto decode = [](const std::string& in) {
    std::string o;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        o += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        o += in[i];
      }
    }
    return o;
  };
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    pos = amp == std::string::npos ? query.size() : amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string::npos) return Status::Invalid(what + ": '" + part + "' in the URL's query is not key=value");
    out[part.substr(0, eq)] = decode(part.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<LakehouseLocation> ResolveLakehouse(const ConnectionDef& d, const std::string& home) {
  const std::string what = "connection " + d.conn_nm;
  LakehouseLocation loc;
  if (d.url.rfind("s3://", 0) != 0) {
    loc.root = "file://" + ConnectionPath(d, home);
    while (loc.root.size() > 8 && loc.root.back() == '/') loc.root.pop_back();
    return loc;
  }
  size_t q = d.url.find('?');
  loc.root = d.url.substr(0, q);
  while (!loc.root.empty() && loc.root.back() == '/') loc.root.pop_back();
  if (loc.root.size() <= 5) return Status::Invalid(what + ": the URL names no bucket; use s3://BUCKET/PREFIX");
  if (q != std::string::npos) {
    CTL_ASSIGN_OR_RETURN(auto query, ParseQuery(d.url.substr(q + 1), what));
    for (const auto& [key, value] : query) {
      if (key == "endpoint") loc.s3.endpoint = value;
      else if (key == "region") loc.s3.region = value;
      else if (key == "access_key") loc.s3.access_key = value;
      else if (key == "path_style") {
        if (value != "0" && value != "1") return Status::Invalid(what + ": path_style must be 1 or 0, not '" + value + "'");
        loc.s3.path_style = value == "1";
      } else if (key == "part_size_mb") {
        char* end = nullptr;
        long mb = std::strtol(value.c_str(), &end, 10);
        if (end == value.c_str() || *end != '\0' || mb < 5 || mb > 5000) {
          return Status::Invalid(what + ": part_size_mb must be a number from 5 to 5000, not '" + value + "'");
        }
        loc.s3.part_size = static_cast<int64_t>(mb) << 20;
      } else {
        return Status::Invalid(what + ": unknown URL option '" + key +
                               "'; known: endpoint, region, access_key, path_style, part_size_mb");
      }
    }
  }
  if (loc.s3.access_key.empty()) {
    const char* env = std::getenv("AWS_ACCESS_KEY_ID");
    if (env != nullptr) loc.s3.access_key = env;
  }
  CTL_ASSIGN_OR_RETURN(loc.s3.secret_key, ResolveSecret(d));
  if (loc.s3.secret_key.empty()) {
    const char* env = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (env != nullptr) loc.s3.secret_key = env;
  }
  if (loc.s3.access_key.empty() || loc.s3.secret_key.empty()) {
    return Status::Invalid(what + ": an s3:// lakehouse needs access_key=ID in the URL (or AWS_ACCESS_KEY_ID)"
                           " and the secret key from --password-env or --password-file");
  }
  return loc;
}

Result<std::unique_ptr<ObjectStore>> OpenLakehouseStore(const ConnectionDef& d, const std::string& home) {
  CTL_ASSIGN_OR_RETURN(LakehouseLocation loc, ResolveLakehouse(d, home));
  auto store = OpenObjectStore(loc.root, loc.s3);
  if (!store.ok()) return store.status().WithContext("connection " + d.conn_nm);
  return store;
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
  // A lakehouse: write, read back and delete a probe object.
  CTL_ASSIGN_OR_RETURN(auto store, OpenLakehouseStore(d, home));
  const std::string probe = ".ctlflow-probe-" + std::to_string(getpid());
  auto fail = [&](const Status& st) { return st.WithContext("connection " + d.conn_nm + " (" + store->Root() + ")"); };
  if (Status st = store->Put(probe, "probe\n"); !st.ok()) return fail(st);
  auto back = store->Get(probe);
  if (!back.ok()) return fail(back.status());
  if (Status st = store->Delete(probe); !st.ok()) return fail(st);
  if (*back != "probe\n") return Status::Io("connection " + d.conn_nm + ": the probe object read back differently");
  return Status::Ok();
}

}  // namespace ctlflow
