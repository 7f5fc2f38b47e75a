// `ctlflow connection add|list|test|remove`: named connections, whose
// secrets are referenced (an environment variable, an owner-only file) and
// never stored or shown.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "warehouse/connections.h"

namespace ctlflow {

namespace {

std::string SecretSource(const ConnectionDef& d) {
  if (!d.password_env.empty()) return "env:" + d.password_env;
  if (!d.password_file.empty()) return "file:" + d.password_file;
  return "";
}

}  // namespace

Status CmdConnectionAdd(const Home& home, const ConnectionDef& input) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(ConnectionDef def, SaveConnection(*store, input));
  std::cout << "connection " << def.conn_nm << " (" << def.conn_typ << ", " << MaskUrl(def.url) << ") saved";
  if (!SecretSource(def).empty()) std::cout << "; password from " << SecretSource(def);
  std::cout << "\n";
  return Status::Ok();
}

Status CmdConnectionList(const Home& home, bool json) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(auto stored, store->ListConnections());
  std::vector<ConnectionDef> all = EffectiveConnections(stored);
  if (json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& d : all) rows.push_back(ConnectionToJson(d));
    std::cout << rows.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : all) {
    rows.push_back({d.conn_nm, d.conn_typ, MaskUrl(d.url), SecretSource(d),
                    d.upt_dt.empty() ? "built-in" : d.upt_dt});
  }
  PrintTable(std::cout, {"conn_nm", "conn_typ", "url", "password", "upt_dt"}, rows);
  return Status::Ok();
}

Status CmdConnectionTest(const Home& home, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_ASSIGN_OR_RETURN(ConnectionDef def, FindConnection(*store, name));
  CTL_RETURN_IF_ERROR(TestConnection(def, home.path));
  std::cout << "connection " << name << " (" << def.conn_typ << ", " << MaskUrl(def.url) << "): ok\n";
  return Status::Ok();
}

Status CmdConnectionRemove(const Home& home, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(RemoveUnusedConnection(*store, name));
  std::cout << "connection " << name << " removed\n";
  return Status::Ok();
}

}  // namespace ctlflow
