#include "common/identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace ctlflow {

namespace {

std::string Hostname() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) return "localhost";
  return host;
}

}  // namespace

std::string ProcessIdentity() { return Hostname() + ":" + std::to_string(getpid()); }

bool ProcessAlive(const std::string& identity) {
  size_t colon = identity.rfind(':');
  if (colon == std::string::npos) return false;
  if (identity.substr(0, colon) != Hostname()) return true;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(identity.substr(colon + 1)));
  } catch (...) {
    return false;
  }
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // A reused pid: the process there now is not a ctlflow.
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (comm && std::getline(comm, name) && name != "ctlflow") return false;
  // A zombie has exited already.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (stat && std::getline(stat, line)) {
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return false;
  }
  return true;
}

}  // namespace ctlflow
