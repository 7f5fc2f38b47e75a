#include "server/auth.h"

#include <openssl/rand.h>

#include "objstore/sigv4.h"

namespace ctlflow {

Result<Role> ParseRole(const std::string& text) {
  if (text == "viewer") return Role::kViewer;
  if (text == "operator") return Role::kOperator;
  if (text == "admin") return Role::kAdmin;
  return Status::Invalid("role: expected viewer, operator or admin, got '" + text + "'");
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    return Status::Internal("the system's random number generator failed");
  }
  return HexEncode(raw);
}

Result<std::string> NewApiToken() {
  CTL_ASSIGN_OR_RETURN(std::string hex, RandomHex(32));
  return "ctl_" + hex;
}

std::string HashToken(const std::string& token) { return Sha256Hex(token); }

Result<Principal> SessionTable::Create(const std::string& user, Role role, const std::string& token_hash) {
  Principal who;
  who.user = user;
  who.role = role;
  who.via_session = true;
  who.token_hash = token_hash;
  CTL_ASSIGN_OR_RETURN(who.session_id, RandomHex(32));
  CTL_ASSIGN_OR_RETURN(who.csrf, RandomHex(16));
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  // Forget expired sessions as new ones come, so the table stays small.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    bool expired = now - it->second.last_used > idle_ || now - it->second.created > absolute_;
    it = expired ? sessions_.erase(it) : std::next(it);
  }
  sessions_[who.session_id] = {who, now, now};
  return who;
}

std::optional<Principal> SessionTable::Find(const std::string& session_id) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_used > idle_ || now - it->second.created > absolute_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.who;
}

void SessionTable::Remove(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session_id);
}

Result<Principal> AuthenticateToken(MetadataStore& store, const std::string& token) {
  CTL_ASSIGN_OR_RETURN(auto found, store.FindToken(HashToken(token)));
  if (!found) return Status::NotFound("the token is unknown or revoked");
  CTL_ASSIGN_OR_RETURN(Role role, ParseRole(found->second.role));
  Principal who;
  who.user = found->second.user_nm;
  who.role = role;
  return who;
}

}  // namespace ctlflow
