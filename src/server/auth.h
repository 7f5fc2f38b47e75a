// Who is calling the server: API tokens (stored as SHA-256 of the secret),
// login sessions (in memory, an HttpOnly cookie plus a CSRF token), and the
// three roles.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/metadata_store.h"

namespace ctlflow {

// viewer reads; operator also triggers, clears, cancels and pauses; admin
// also edits the control tables and connections.
enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
Result<Role> ParseRole(const std::string& text);
const char* RoleName(Role role);

// `bytes` random bytes from the operating system's CSPRNG, hex-encoded.
Result<std::string> RandomHex(size_t bytes);
// A new API token: "ctl_" + 64 hex digits. Shown once, stored hashed.
Result<std::string> NewApiToken();
std::string HashToken(const std::string& token);

struct Principal {
  std::string user;
  Role role = Role::kViewer;
  bool via_session = false;  // a browser: state changes need the CSRF token
  std::string csrf;          // the session's CSRF token
  std::string session_id;
  std::string token_hash;    // of the token a session was opened with
};

// Login sessions, in this server's memory: a restart logs everyone out. A
// session ends `idle` after its last use and `absolute` after login.
class SessionTable {
 public:
  SessionTable(std::chrono::seconds idle, std::chrono::seconds absolute)
      : idle_(idle), absolute_(absolute) {}
  // `token_hash` is the login token's: the server checks it on each use,
  // so revoking the token (or changing the user's role) reaches the session.
  Result<Principal> Create(const std::string& user, Role role, const std::string& token_hash = "");
  std::optional<Principal> Find(const std::string& session_id);
  void Remove(const std::string& session_id);

 private:
  struct Entry {
    Principal who;
    std::chrono::steady_clock::time_point created, last_used;
  };
  std::chrono::seconds idle_, absolute_;
  std::mutex mu_;
  std::map<std::string, Entry> sessions_;  // by session id
};

// Finds the user of a bearer token; Unauthenticated-style NotFound if none.
Result<Principal> AuthenticateToken(MetadataStore& store, const std::string& token);

}  // namespace ctlflow
