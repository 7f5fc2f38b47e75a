#include "executor/task_spec.h"

#include <nlohmann/json.hpp>

namespace ctlflow {

std::string EncodeTaskSpec(const TaskSpec& s) {
  const Process& p = s.process;
  nlohmann::json j;
  j["process"] = {{"prcs_nm", p.prcs_nm},         {"prcs_grp", p.prcs_grp},   {"prir", p.prir},
                  {"src_schm_nm", p.src_schm_nm}, {"src_tbl", p.src_tbl},     {"tgt_schm_nm", p.tgt_schm_nm},
                  {"tgt_tbl", p.tgt_tbl},         {"prcs_typ", p.prcs_typ},   {"af_path_nm", p.af_path_nm},
                  {"af_parm", p.af_parm},         {"active", p.active},       {"conn_nm", p.conn_nm},
                  {"retries", p.retries},         {"retry_delay_s", p.retry_delay_s},
                  {"load_mode", p.load_mode},     {"key_cols", p.key_cols},   {"queue", p.queue}};
  if (p.timeout_s) j["process"]["timeout_s"] = *p.timeout_s;
  j["strem_nm"] = s.strem_nm;
  j["data_dt"] = s.data_dt;
  j["params"] = s.params;
  return j.dump();
}

Result<TaskSpec> DecodeTaskSpec(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("process") || !j["process"].is_object()) {
    return Status::Invalid("task spec is not a JSON object with a process");
  }
  try {
    const auto& q = j["process"];
    TaskSpec s;
    Process& p = s.process;
    p.prcs_nm = q.at("prcs_nm").get<std::string>();
    p.prcs_grp = q.value("prcs_grp", "");
    p.prir = q.value("prir", int64_t{1});
    p.src_schm_nm = q.value("src_schm_nm", "");
    p.src_tbl = q.value("src_tbl", "");
    p.tgt_schm_nm = q.value("tgt_schm_nm", "");
    p.tgt_tbl = q.value("tgt_tbl", "");
    p.prcs_typ = q.at("prcs_typ").get<int64_t>();
    p.af_path_nm = q.value("af_path_nm", "");
    p.af_parm = q.value("af_parm", "");
    p.active = q.value("active", true);
    p.conn_nm = q.value("conn_nm", "warehouse");
    p.retries = q.value("retries", int64_t{0});
    p.retry_delay_s = q.value("retry_delay_s", int64_t{60});
    if (q.contains("timeout_s")) p.timeout_s = q["timeout_s"].get<int64_t>();
    p.load_mode = q.value("load_mode", "");
    p.key_cols = q.value("key_cols", "");
    p.queue = q.value("queue", "");
    s.strem_nm = j.value("strem_nm", "");
    s.data_dt = j.value("data_dt", "");
    if (j.contains("params")) s.params = j["params"].get<std::map<std::string, std::string>>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid(std::string("task spec: ") + e.what());
  }
}

}  // namespace ctlflow
