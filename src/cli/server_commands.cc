// `ctlflow server` (the REST API and web UI, optionally with the scheduler
// in the same process) and the users and tokens that may call it.
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "server/api.h"

namespace ctlflow {

namespace fs = std::filesystem;

namespace {

// --web, else $CTLFLOW_WEB_DIR, else the UI built in this source tree.
std::string WebDir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("CTLFLOW_WEB_DIR");
    dir = env && *env ? env : CTLFLOW_DEFAULT_WEB_DIR;
  }
  std::error_code ec;
  return fs::exists(fs::path(dir) / "index.html", ec) ? dir : "";
}

}  // namespace

Status CmdServer(const Home& home, const ServerCliOptions& options) {
  // Before any thread starts, so every thread has the signals blocked.
  SignalWatcher stop;
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  ServerOptions server_options;
  server_options.bind = options.bind;
  server_options.port = options.port;
  server_options.home = home.path;
  server_options.secure_cookie = options.secure_cookie;
  server_options.web_dir = WebDir(options.web_dir);
  if (!options.web_dir.empty() && server_options.web_dir.empty()) {
    return Status::Invalid("--web " + options.web_dir + ": no index.html there; build the UI with "
                           "npm ci --prefix web && npm run build --prefix web");
  }
  ApiServer server(*store, server_options);
  CTL_RETURN_IF_ERROR(server.Bind());
  CTL_ASSIGN_OR_RETURN(auto users, store->ListUsers());
  std::cout << Stamp() << " ctlflow server listening on http://" << options.bind << ":" << server.port()
            << (server_options.web_dir.empty() ? " (API only: the web UI is not built)" : "") << std::endl;
  if (users.empty()) {
    std::cout << Stamp() << " no users yet: ctlflow user add NAME --role admin && ctlflow token create --user NAME"
              << std::endl;
  }
  Status served;
  std::thread http([&] { served = server.Serve(); });
  Status result;
  if (options.with_scheduler) {
    result = RunScheduler(home, options.scheduler, stop);
  } else {
    while (stop.signal() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << Stamp() << " server stopping" << std::endl;
  server.Stop();
  http.join();
  CTL_RETURN_IF_ERROR(result);
  return served;
}

Status CmdUserAdd(const Home& home, const std::string& name, const std::string& role) {
  CTL_RETURN_IF_ERROR(ParseRole(role).status());
  static const std::regex kName("[A-Za-z0-9_.@-]{1,64}");
  if (!std::regex_match(name, kName)) {
    return Status::Invalid("user name '" + name + "': use 1-64 letters, digits and _ . @ -");
  }
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(store->UpsertUser({name, role, ""}));
  std::cout << "user " << name << " has the role " << role << "; give them a token with ctlflow token create --user "
            << name << "\n";
  return Status::Ok();
}

Status CmdUserList(const Home& home, bool json) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(auto users, store->ListUsers());
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& u : users) rows.push_back({{"user_nm", u.user_nm}, {"role", u.role}, {"created_dt", u.created_dt}});
    std::cout << rows.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : users) rows.push_back({u.user_nm, u.role, u.created_dt});
  PrintTable(std::cout, {"user_nm", "role", "created_dt"}, rows);
  return Status::Ok();
}

Status CmdTokenCreate(const Home& home, const std::string& user, const std::string& label) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(std::string token, NewApiToken());
  CTL_ASSIGN_OR_RETURN(int64_t id, store->CreateToken(user, HashToken(token), label));
  // The token itself goes to stdout alone, so scripts can capture it; it is
  // stored only as a hash and cannot be shown again.
  std::cerr << "token " << id << " for " << user << " (shown once; ctlflow token revoke " << id << " ends it):\n";
  std::cout << token << "\n";
  return Status::Ok();
}

Status CmdTokenList(const Home& home, bool json) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(auto tokens, store->ListTokens());
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& t : tokens) {
      rows.push_back({{"token_id", t.token_id}, {"user_nm", t.user_nm}, {"label", t.label},
                      {"created_dt", t.created_dt}, {"last_used_dt", t.last_used_dt}, {"revoked", t.revoked}});
    }
    std::cout << rows.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tokens) {
    rows.push_back({std::to_string(t.token_id), t.user_nm, t.label, t.created_dt, t.last_used_dt,
                    t.revoked ? "revoked" : "live"});
  }
  PrintTable(std::cout, {"token_id", "user_nm", "label", "created_dt", "last_used_dt", "state"}, rows);
  return Status::Ok();
}

Status CmdTokenRevoke(const Home& home, int64_t token_id) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(store->RevokeToken(token_id));
  std::cout << "token " << token_id << " revoked\n";
  return Status::Ok();
}

}  // namespace ctlflow
