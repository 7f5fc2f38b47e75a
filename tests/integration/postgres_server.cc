#include "postgres_server.h"

#include "store/postgres.h"

#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

namespace ctlflow::testing {

namespace {

namespace fs = std::filesystem;

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string BinDir() {
  glob_t g{};
  std::string found;
  if (glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0 && g.gl_pathc > 0) {
    found = fs::path(g.gl_pathv[g.gl_pathc - 1]).parent_path().string();
  }
  globfree(&g);
  return found;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

class Server {
 public:
  Server() {
    std::string bin = BinDir();
    if (bin.empty()) {
      info_.error = "no /usr/lib/postgresql/*/bin/initdb; install the postgresql package";
      return;
    }
    char tmpl[] = "/tmp/ctlflow-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      info_.error = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    info_.password = "pg-secret-" + std::to_string(getpid());
    info_.port = FreePort();
    {
      std::ofstream pw(dir_ + "/pw");
      pw << info_.password << "\n";
    }
    as_ = "";
    if (geteuid() == 0) {
      // initdb refuses root: run the server as postgres, in a folder it owns.
      passwd* pg = getpwnam("postgres");
      if (pg == nullptr) {
        info_.error = "running as root and there is no postgres user";
        return;
      }
      std::string chown = "chown -R postgres " + Quote(dir_);
      if (std::system(chown.c_str()) != 0) {
        info_.error = "cannot chown " + dir_;
        return;
      }
      as_ = "runuser -u postgres -- ";
    }
    pg_ctl_ = bin + "/pg_ctl";
    std::string initdb = as_ + bin + "/initdb -D " + Quote(dir_ + "/data") + " -U " + info_.user +
                         " --pwfile=" + Quote(dir_ + "/pw") + " -A scram-sha-256 >" + Quote(dir_ + "/initdb.log") + " 2>&1";
    if (std::system(initdb.c_str()) != 0) {
      info_.error = "initdb failed; see " + dir_ + "/initdb.log";
      return;
    }
    start_ = as_ + pg_ctl_ + " -D " + Quote(dir_ + "/data") + " -l " + Quote(dir_ + "/server.log") +
                        " -w -t 60 -o " + Quote("-p " + std::to_string(info_.port) +
                                                " -c listen_addresses=127.0.0.1 -k " + dir_) +
                        " start >/dev/null 2>&1";
    if (std::system(start_.c_str()) != 0) {
      info_.error = "pg_ctl start failed; see " + dir_ + "/server.log";
      return;
    }
    started_ = true;
    info_.ok = true;
  }

  ~Server() {
    if (started_) {
      std::string stop = as_ + pg_ctl_ + " -D " + Quote(dir_ + "/data") + " -m immediate -w stop >/dev/null 2>&1";
      (void)std::system(stop.c_str());
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  const PostgresServer& info() const { return info_; }

  bool Restart() const {
    if (!started_) return false;
    std::string stop = as_ + pg_ctl_ + " -D " + Quote(dir_ + "/data") + " -m fast -w stop >/dev/null 2>&1";
    return std::system(stop.c_str()) == 0 && std::system(start_.c_str()) == 0;
  }

 private:
  PostgresServer info_;
  std::string dir_, as_, pg_ctl_, start_;
  bool started_ = false;
};

}  // namespace

std::string PostgresServer::Url(const std::string& database) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port) + "/" + database;
}

static const Server& TheServer() {
  // Started on first use; the destructor stops it when the process exits.
  static const Server server;
  return server;
}

const PostgresServer& Postgres() { return TheServer().info(); }

bool RestartPostgres() { return TheServer().Restart(); }

std::string CreateDatabase(const std::string& prefix, std::string* error) {
  const PostgresServer& pg = Postgres();
  if (!pg.ok) {
    *error = pg.error;
    return "";
  }
  setenv("PGPASSWORD", pg.password.c_str(), 1);
  static std::atomic<int> counter{0};
  const std::string db = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  auto admin = PgConn::Connect(pg.Url("postgres"));
  auto created = admin.ok() ? admin->Exec("CREATE DATABASE " + db) : Result<QueryResult>(admin.status());
  if (!created.ok()) {
    *error = created.status().message();
    return "";
  }
  return pg.Url(db);
}

}  // namespace ctlflow::testing
