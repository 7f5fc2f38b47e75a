// `ctlflow connection add|list|test|remove`: named connections, whose
// secrets are referenced (an environment variable, an owner-only file) and
// never stored or shown.
#include <filesystem>
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

Result<ConnectionDef> FindConnection(MetadataStore& store, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(auto stored, store.ListConnections());
  for (const auto& d : EffectiveConnections(stored)) {
    if (d.conn_nm == name) return d;
  }
  return Status::NotFound("no connection named '" + name + "'; see ctlflow connection list");
}

}  // namespace

Status CmdConnectionAdd(const Home& home, const ConnectionDef& input) {
  ConnectionDef def = input;
  if (!def.password_file.empty()) {
    def.password_file = std::filesystem::absolute(def.password_file).lexically_normal().string();
  }
  CTL_RETURN_IF_ERROR(ValidateConnection(def));
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  CTL_RETURN_IF_ERROR(store->UpsertConnection(def));
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
    for (const auto& d : all) {
      rows.push_back({{"conn_nm", d.conn_nm},
                      {"conn_typ", d.conn_typ},
                      {"url", MaskUrl(d.url)},
                      {"password_env", d.password_env.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.password_env)},
                      {"password_file", d.password_file.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.password_file)},
                      {"builtin", d.upt_dt.empty()}});
    }
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
  CTL_ASSIGN_OR_RETURN(ControlConfig config, LoadConfig(*store));
  std::string users;
  for (const auto& p : config.processes) {
    if (p.conn_nm == name) users += (users.empty() ? "" : ", ") + p.prcs_nm;
  }
  if (!users.empty()) {
    return Status::Invalid("connection " + name + " is used by cntl_cfg_prcs.conn_nm of " + users +
                           "; change those rows first");
  }
  CTL_RETURN_IF_ERROR(store->RemoveConnection(name));
  std::cout << "connection " << name << " removed\n";
  return Status::Ok();
}

}  // namespace ctlflow
