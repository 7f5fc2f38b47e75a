// `ctlflow server`: the REST API (/api/v1, JSON) and the web UI's files
// from one process, over cpp-httplib.
//
// Every endpoint is one row of a route table (api.cc) that says its method,
// path, the least role it needs, and whether it writes; the table drives
// the HTTP routing, the authorization check, the audit trail, and the test
// that keeps openapi.json true. Handlers call the same operations as the CLI
// (src/ops), so `ctlflow trigger` and POST .../trigger cannot drift apart.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/auth.h"
#include "store/metadata_store.h"

namespace ctlflow {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;            // 0 = any free port
  std::string home;           // the home folder: attempt logs, the embedded warehouse and lakehouse
  std::string web_dir;        // the built UI (web/dist); "" = API only
  bool secure_cookie = false; // add Secure to the session cookie (behind TLS)
};

struct RouteInfo {
  std::string method, path;   // path with {name} placeholders
  std::optional<Role> role;   // nullopt = no login needed
  bool writes = false;        // recorded in the audit table; needs CSRF with a session
  std::string summary;
};
const std::vector<RouteInfo>& ApiRoutes();
// The OpenAPI 3 document served at /api/v1/openapi.json.
const std::string& OpenApiDocument();

class ApiServer {
 public:
  // `store` must outlive the server; it is shared by the request threads.
  ApiServer(MetadataStore& store, ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket (port 0 picks one); an error names the
  // address when it is taken.
  Status Bind();
  int port() const;
  // Serves until Stop() is called from another thread.
  Status Serve();
  void Stop();

 private:
  friend const std::vector<RouteInfo>& ApiRoutes();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctlflow
