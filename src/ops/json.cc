#include "ops/json.h"

#include "model/status_codes.h"
#include "warehouse/connections.h"

namespace ctlflow {

nlohmann::ordered_json ValueToJson(const Value& v) {
  if (IsNull(v)) return nullptr;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

namespace {
nlohmann::ordered_json OptText(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}
nlohmann::ordered_json OptInt(const std::optional<int64_t>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}
}  // namespace

nlohmann::ordered_json AttemptToJson(const AttemptRecord& a) {
  return {{"prcs_nm", a.prcs_nm},       {"data_dt", OptText(a.data_dt)},
          {"start_dt", OptText(a.start_dt)}, {"end_dt", OptText(a.end_dt)},
          {"status", a.status},          {"message", OptText(a.message)},
          {"source_row", OptInt(a.source_row)}, {"target_row", OptInt(a.target_row)},
          {"run_id", a.run_id},          {"attempt", a.attempt},
          {"strem_nm", OptText(a.strem_nm)}, {"log_path", OptText(a.log_path)},
          {"worker_nm", OptText(a.worker_nm)}, {"queued_dt", OptText(a.queued_dt)}};
}

nlohmann::ordered_json RunToJson(const RunRecord& r) {
  auto params = nlohmann::ordered_json::parse(r.params_json.empty() ? "{}" : r.params_json,
                                              nullptr, false);
  return {{"run_id", r.run_id},         {"strem_nm", r.strem_nm},
          {"data_dt", r.data_dt},       {"status", r.status},
          {"status_name", RunStatusName(r.status)},
          {"run_typ", r.run_typ},       {"params", params.is_discarded() ? nlohmann::ordered_json::object() : params},
          {"queued_dt", OptText(r.queued_dt)}, {"start_dt", OptText(r.start_dt)},
          {"end_dt", OptText(r.end_dt)},  {"message", OptText(r.message)}};
}

nlohmann::ordered_json ConnectionToJson(const ConnectionDef& d) {
  return {{"conn_nm", d.conn_nm},
          {"conn_typ", d.conn_typ},
          {"url", MaskUrl(d.url)},
          {"password_env", OptText(d.password_env)},
          {"password_file", OptText(d.password_file)},
          {"builtin", d.upt_dt.empty()}};
}

}  // namespace ctlflow
