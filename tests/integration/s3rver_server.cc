#include "s3rver_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <memory>
#include <vector>

extern char** environ;

namespace ctlflow::testing {

namespace {

namespace fs = std::filesystem;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

struct Running {
  S3rverServer server;
  pid_t pid = 0;
  std::string dir;
  ~Running() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

Running* Start() {
  auto* r = new Running;
  char tmpl[] = "/tmp/ctlflow-s3rver-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    r->server.error = "mkdtemp failed";
    return r;
  }
  r->dir = tmpl;
  r->server.port = FreePort();
  const std::string script = std::string(CTLFLOW_SOURCE_DIR) + "/tests/js/s3rver_start.cjs";
  std::vector<std::string> args = {"node", script, "-d", r->dir + "/data", "-a", "127.0.0.1", "-p",
                                   std::to_string(r->server.port), "--silent", "--configure-bucket",
                                   r->server.bucket};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = {"NODE_OPTIONS=--openssl-legacy-provider"};
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("NODE_OPTIONS=", 0) != 0) env_strings.push_back(*e);
  }
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = r->dir + "/s3rver.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = posix_spawnp(&r->pid, "node", &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r->pid = 0;
    r->server.error = "cannot start node";
    return r;
  }
  for (int i = 0; i < 200; ++i) {
    if (Accepts(r->server.port)) {
      r->server.ok = true;
      return r;
    }
    int status = 0;
    if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
      r->pid = 0;
      r->server.error = "s3rver exited; see " + log;
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r->server.error = "s3rver did not listen within 10 s; see " + log;
  return r;
}

}  // namespace

const S3rverServer& S3rver() {
  static std::unique_ptr<Running> running(Start());
  return running->server;
}

}  // namespace ctlflow::testing
