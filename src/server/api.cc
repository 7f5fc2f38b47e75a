#include "server/api.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "config/documents.h"
#include "cron/describe.h"
#include "cron/fire_times.h"
#include "lakehouse/table_admin.h"
#include "model/status_codes.h"
#include "ops/json.h"
#include "ops/operations.h"
#include "server/config_cache.h"
#include "warehouse/connections.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kSessionCookie = "ctlflow_session";
constexpr int64_t kMaxPage = 1000;

// ---------------------------------------------------------------------------
// Input checking: JSON bodies and query parameters. Every message names the
// field, so a client (or the UI, inline) can point at it.

const char* TypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a number";
  }
}

// The fields of a JSON object body, each read once; Done() refuses any
// field no one asked for.
class Fields {
 public:
  explicit Fields(const nlohmann::json& body) : body_(body) {}

  Result<std::string> Text(const std::string& name, bool required = false) {
    seen_.insert(name);
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) {
      if (required) return Status::Invalid("field '" + name + "' is required");
      return std::string();
    }
    if (!it->is_string()) return Status::Invalid("field '" + name + "': expected a string, got " + TypeName(*it));
    return it->get<std::string>();
  }
  Result<bool> Bool(const std::string& name, bool fallback) {
    seen_.insert(name);
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return Status::Invalid("field '" + name + "': expected true or false, got " + TypeName(*it));
    return it->get<bool>();
  }
  Result<std::vector<std::string>> TextList(const std::string& name) {
    seen_.insert(name);
    std::vector<std::string> out;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return out;
    if (!it->is_array()) return Status::Invalid("field '" + name + "': expected an array of strings, got " + TypeName(*it));
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& v = (*it)[i];
      if (!v.is_string()) {
        return Status::Invalid("field '" + name + "[" + std::to_string(i) + "]': expected a string, got " + TypeName(v));
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  // An object of strings; numbers and booleans are taken as their text.
  Result<std::vector<std::pair<std::string, std::string>>> TextMap(const std::string& name) {
    seen_.insert(name);
    std::vector<std::pair<std::string, std::string>> out;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return out;
    if (!it->is_object()) return Status::Invalid("field '" + name + "': expected an object, got " + TypeName(*it));
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) out.emplace_back(k, v.get<std::string>());
      else if (v.is_null()) out.emplace_back(k, "");
      else if (v.is_number_integer() || v.is_boolean()) out.emplace_back(k, v.dump());
      else return Status::Invalid("field '" + name + "." + k + "': expected a string, got " + TypeName(v));
    }
    return out;
  }
  const nlohmann::json* Raw(const std::string& name) {
    seen_.insert(name);
    auto it = body_.find(name);
    return it == body_.end() ? nullptr : &*it;
  }
  Status Done() const {
    for (const auto& [k, v] : body_.items()) {
      (void)v;
      if (!seen_.count(k)) {
        std::string expected;
        for (const auto& s : seen_) expected += (expected.empty() ? "" : ", ") + s;
        return Status::Invalid("unknown field '" + k + "'" +
                               (expected.empty() ? "; this request takes no body" : "; expected " + expected));
      }
    }
    return Status::Ok();
  }

 private:
  const nlohmann::json& body_;
  std::set<std::string> seen_;
};

Result<int64_t> QueryInt(const httplib::Request& req, const std::string& name, int64_t fallback, int64_t lo,
                         int64_t hi) {
  if (!req.has_param(name)) return fallback;
  std::string text = req.get_param_value(name);
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v >= lo && v <= hi) return static_cast<int64_t>(v);
  } catch (...) {
  }
  return Status::Invalid("query parameter '" + name + "': expected an integer from " + std::to_string(lo) +
                         " to " + std::to_string(hi) + ", got '" + text + "'");
}

std::optional<std::string> QueryText(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::nullopt;
  return req.get_param_value(name);
}

Result<bool> QueryBool(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return false;
  std::string v = req.get_param_value(name);
  if (v == "1" || v == "true" || v.empty()) return true;
  if (v == "0" || v == "false") return false;
  return Status::Invalid("query parameter '" + name + "': expected true or false, got '" + v + "'");
}

Result<int64_t> PathInt(const std::string& text, const std::string& name) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v > 0) return static_cast<int64_t>(v);
  } catch (...) {
  }
  return Status::Invalid(name + ": expected a positive integer, got '" + text + "'");
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  std::string cookies = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string part = cookies.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid: return "invalid";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kTimeout: return "timeout";
    default: return "internal";
  }
}

int HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kTimeout: return 504;
    default: return 500;
  }
}

// A field name at the start of a message ("field 'date': ...",
// "query parameter 'limit': ...", "rows[2]: ...") for clients that mark it.
std::string FieldOf(const std::string& message) {
  static const std::regex kField(R"(^(?:field|query parameter|unknown field) '([^']+)')");
  static const std::regex kRow(R"(^(rows\[\d+\]))");
  static const std::regex kColumn(R"(column (\w+))");
  std::smatch m;
  if (std::regex_search(message, m, kField)) return m[1].str();
  if (std::regex_search(message, m, kColumn)) return m[1].str();
  if (std::regex_search(message, m, kRow)) return m[1].str();
  return "";
}

Json ErrorJson(const std::string& code, const std::string& message) {
  Json error{{"code", code}, {"message", message}};
  std::string field = FieldOf(message);
  if (!field.empty()) error["field"] = field;
  return Json{{"error", error}};
}

Json SummariesJson(const std::vector<TableChangeSummary>& summaries, bool dry_run) {
  Json tables = Json::array();
  for (const auto& s : summaries) {
    tables.push_back({{"table", s.table},
                      {"inserted", s.inserted},
                      {"updated", s.updated},
                      {"deleted", s.deleted},
                      {"unchanged", s.unchanged}});
  }
  return Json{{"dry_run", dry_run}, {"tables", tables}, {"text", FormatSummary(summaries, dry_run)}};
}

Json RowJson(const TableDef& table, const Row& row) {
  Json out = Json::object();
  for (size_t i = 0; i < table.columns.size(); ++i) out[table.columns[i].name] = ValueToJson(row.values[i]);
  return out;
}

const TableDef* EditableTable(const std::string& name) {
  const TableDef* t = FindControlTable(name);
  return t && t->config ? t : nullptr;
}

Result<const TableDef*> RequireEditableTable(const std::string& name) {
  const TableDef* t = EditableTable(name);
  if (t) return t;
  std::string names;
  for (const auto& d : ControlTableDefs())
    if (d.config) names += (names.empty() ? "" : ", ") + d.name;
  return Status::NotFound("unknown control table '" + name + "'; expected one of " + names);
}

// "request body:3: table ..." from the YAML reader, for a body written one
// row per line from line 2, becomes "rows[1]: table ...".
Status RowsRelative(const Status& status) {
  if (status.ok()) return status;
  static const std::regex kLine(R"(request body:(\d+): )");
  std::string text;
  std::string msg = status.message();
  std::sregex_iterator it(msg.begin(), msg.end(), kLine), end;
  size_t last = 0;
  for (; it != end; ++it) {
    text += msg.substr(last, it->position() - last);
    text += "rows[" + std::to_string(std::stoi((*it)[1].str()) - 2) + "]: ";
    last = it->position() + it->length();
  }
  text += msg.substr(last);
  return Status::Error(status.code(), text);
}

std::string FormatUtc(UnixSeconds t) { return FormatDateTime(CivilFromUnix(t)) + "Z"; }

// How many bytes of `text` (not empty) hold whole UTF-8 characters: a
// character cut at the end is left out. 0 when the first character is cut.
size_t WholeCharacters(const std::string& text, size_t* first_length) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  size_t start = text.size();  // of the last character
  while (start > 0 && text.size() - start < 3 && (byte(start - 1) & 0xC0) == 0x80) --start;
  if (start > 0) --start;
  unsigned char lead = byte(start);
  size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  *first_length = start == 0 ? length : 0;
  return text.size() - start < length ? start : text.size();
}

}  // namespace

// ---------------------------------------------------------------------------

struct Call {
  const httplib::Request& req;
  Principal who;
  std::vector<std::string> path;  // the {placeholders}, in order
  nlohmann::json body;            // an object (empty when there was no body)
};

struct Reply {
  Reply() = default;
  Reply(int s, Json j) : status(s), json(std::move(j)) {}
  int status = 200;
  Json json;
  std::string raw, content_type;  // raw bodies (logs, notebooks, metrics)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string audit_target;       // what the write was about, for the audit row
};

struct ApiServer::Impl {
  MetadataStore& store;
  ServerOptions options;
  ConnectionRegistry connections;
  ConfigCache config_cache;
  SessionTable sessions{std::chrono::hours(8), std::chrono::hours(24)};
  httplib::Server http;
  int bound_port = 0;
  std::atomic<int64_t> requests{0}, errors{0}, micros{0};

  Impl(MetadataStore& s, ServerOptions o)
      : store(s), options(std::move(o)), connections(options.home, &s), config_cache(s) {}

  using Handler = Result<Reply> (Impl::*)(Call&);
  struct Route {
    RouteInfo info;
    Handler handler;
    std::regex pattern;
  };
  static const std::vector<Route>& Routes();
  void Install();
  void Dispatch(const Route& route, const httplib::Request& req, httplib::Response& res);
  Result<Principal> Authenticate(const httplib::Request& req);

  // -- handlers ------------------------------------------------------------
  Result<Reply> Health(Call&) {
    CTL_ASSIGN_OR_RETURN(int64_t version, store.SchemaVersion());
    return Reply{200, Json{{"status", "ok"}, {"store", store.BackendName()}, {"schema_version", version}}};
  }
  Result<Reply> OpenApi(Call&) {
    Reply r;
    r.raw = OpenApiDocument();
    r.content_type = "application/json";
    return r;
  }
  Result<Reply> Metrics(Call&) {
    std::ostringstream out;
    out << "# HELP ctlflow_runs Stream runs by status.\n# TYPE ctlflow_runs gauge\n";
    CTL_ASSIGN_OR_RETURN(QueryResult runs, store.ExecuteSql("SELECT status, COUNT(*) FROM cntl_af.cntl_strem_run"
                                                            " GROUP BY status ORDER BY status"));
    for (const auto& row : runs.rows) {
      int64_t st = std::get<int64_t>(row[0]);
      out << "ctlflow_runs{status=\"" << RunStatusName(st) << "\"} " << ValueToString(row[1]) << "\n";
    }
    out << "# HELP ctlflow_attempts Attempts in cntl_cfg_log by status.\n# TYPE ctlflow_attempts gauge\n";
    CTL_ASSIGN_OR_RETURN(QueryResult attempts, store.ExecuteSql("SELECT status, COUNT(*) FROM cntl_af.cntl_cfg_log"
                                                                " GROUP BY status ORDER BY status"));
    for (const auto& row : attempts.rows) {
      int64_t st = std::get<int64_t>(row[0]);
      out << "ctlflow_attempts{status=\"" << AttemptStatusName(st) << "\"} " << ValueToString(row[1]) << "\n";
    }
    CTL_ASSIGN_OR_RETURN(auto workers, store.ListWorkers());
    int64_t alive = 0;
    for (const auto& w : workers) alive += w.alive;
    out << "# HELP ctlflow_workers_alive Registered workers, schedulers and runs whose lease holds.\n"
        << "# TYPE ctlflow_workers_alive gauge\nctlflow_workers_alive " << alive << "\n"
        << "# HELP ctlflow_http_requests_total API requests served.\n# TYPE ctlflow_http_requests_total counter\n"
        << "ctlflow_http_requests_total " << requests.load() << "\n"
        << "# HELP ctlflow_http_errors_total API requests answered with 4xx or 5xx.\n"
        << "# TYPE ctlflow_http_errors_total counter\nctlflow_http_errors_total " << errors.load() << "\n"
        << "# HELP ctlflow_http_request_seconds_total Time spent answering API requests.\n"
        << "# TYPE ctlflow_http_request_seconds_total counter\nctlflow_http_request_seconds_total "
        << static_cast<double>(micros.load()) / 1e6 << "\n";
    Reply r;
    r.raw = out.str();
    r.content_type = "text/plain; version=0.0.4";
    return r;
  }

  Result<Reply> Login(Call& c) {
    Fields f(c.body);
    CTL_ASSIGN_OR_RETURN(std::string token, f.Text("token", true));
    CTL_RETURN_IF_ERROR(f.Done());
    auto who = AuthenticateToken(store, token);
    if (!who.ok()) {
      Reply r{401, ErrorJson("unauthenticated", "wrong or revoked token")};
      r.audit_target = "session";
      return r;
    }
    CTL_ASSIGN_OR_RETURN(Principal session, sessions.Create(who->user, who->role, HashToken(token)));
    c.who = session;
    Reply r{200, Json{{"user", session.user}, {"role", RoleName(session.role)}, {"csrf", session.csrf}}};
    std::string cookie = std::string(kSessionCookie) + "=" + session.session_id +
                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=86400";
    if (options.secure_cookie) cookie += "; Secure";
    r.headers.emplace_back("Set-Cookie", cookie);
    r.audit_target = "session";
    return r;
  }
  Result<Reply> Whoami(Call& c) {
    Json out{{"user", c.who.user}, {"role", RoleName(c.who.role)}, {"via", c.who.via_session ? "session" : "token"}};
    if (c.who.via_session) out["csrf"] = c.who.csrf;
    return Reply{200, out};
  }
  Result<Reply> Logout(Call& c) {
    if (c.who.via_session) sessions.Remove(c.who.session_id);
    Reply r{200, Json{{"logged_out", true}}};
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                             (options.secure_cookie ? "; Secure" : ""));
    r.audit_target = "session";
    return r;
  }

  // Streams -----------------------------------------------------------------
  Result<Json> ScheduleJson(const Schedule& s, UnixSeconds now) {
    CronFields fields{s.minutes, s.hours, s.day_month, s.months, s.day_week};
    Json out{{"cron", s.minutes + " " + s.hours + " " + s.day_month + " " + s.months + " " +
                          (s.day_week.empty() ? "*" : s.day_week)},
             {"words", DescribeCron(fields)},
             {"tz", s.tz},
             {"active", s.active},
             {"catchup", s.catchup}};
    auto spec = ParseCron(fields);
    auto tz = TimeZone::Load(s.tz.empty() ? "UTC" : s.tz);
    if (spec.ok() && tz.ok() && s.active) {
      // As the scheduler sees it: the schedule's start_dt / end_dt bound the intervals.
      if (auto next = NextScheduledInterval(*spec, *tz, now, LocalBoundToUtc(s.start_dt, *tz),
                                            LocalBoundToUtc(s.end_dt, *tz))) {
        out["next_run_utc"] = FormatUtc(next->end);
        out["next_run_local"] = FormatDateTime(tz->ToLocal(next->end));
        out["next_data_dt"] = next->data_dt;
      }
    }
    return out;
  }

  Result<Json> StreamJson(const StreamFacts& facts, const std::set<std::string>& paused, int64_t last_runs,
                          UnixSeconds now) {
    const Stream& s = *facts.stream;
    Json out{{"strem_nm", s.strem_nm},
             {"descr", s.descr},
             {"owner", s.owner},
             {"active", s.active},
             {"paused", paused.count(s.strem_nm) > 0},
             {"max_active_runs", s.max_active_runs}};
    out["schedule"] = nullptr;
    if (facts.schedule) {
      CTL_ASSIGN_OR_RETURN(out["schedule"], ScheduleJson(*facts.schedule, now));
    }
    out["groups"] = facts.groups;
    out["processes"] = facts.processes;
    RunFilter filter;
    filter.stream = s.strem_nm;
    filter.limit = last_runs;
    filter.newest_first = true;
    CTL_ASSIGN_OR_RETURN(auto runs, store.ListRuns(filter));
    Json list = Json::array();
    for (const auto& r : runs) {
      list.push_back({{"run_id", r.run_id}, {"data_dt", r.data_dt}, {"status", r.status},
                      {"status_name", RunStatusName(r.status)}});
    }
    out["last_runs"] = list;
    return out;
  }

  Result<Reply> ListStreams(Call& c) {
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "limit", 50, 1, kMaxPage));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    CTL_ASSIGN_OR_RETURN(int64_t runs, QueryInt(c.req, "runs", 10, 0, 100));
    std::string q = Lower(QueryText(c.req, "q").value_or(""));  // case-insensitive, as the other searches
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    CTL_ASSIGN_OR_RETURN(auto paused_list, store.PausedStreams());
    std::set<std::string> paused(paused_list.begin(), paused_list.end());
    std::vector<const StreamFacts*> matching;
    for (const auto& s : snap->config.streams) {
      if (!q.empty() && Lower(s.strem_nm).find(q) == std::string::npos && Lower(s.descr).find(q) == std::string::npos) {
        continue;
      }
      matching.push_back(snap->Find(s.strem_nm));
    }
    UnixSeconds now = std::time(nullptr);
    Json items = Json::array();
    for (size_t i = offset; i < matching.size() && static_cast<int64_t>(items.size()) < limit; ++i) {
      CTL_ASSIGN_OR_RETURN(Json s, StreamJson(*matching[i], paused, runs, now));
      items.push_back(std::move(s));
    }
    return Reply{200, Json{{"items", items}, {"total", matching.size()}, {"offset", offset}, {"limit", limit}}};
  }

  Result<const StreamFacts*> FindStream(const ConfigSnapshot& snap, const std::string& name) {
    if (const StreamFacts* s = snap.Find(name)) return s;
    return Status::NotFound("unknown stream '" + name + "' in cntl_cfg_strem");
  }

  Result<Reply> GetStream(Call& c) {
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    CTL_ASSIGN_OR_RETURN(const StreamFacts* s, FindStream(*snap, c.path[0]));
    CTL_ASSIGN_OR_RETURN(auto paused_list, store.PausedStreams());
    std::set<std::string> paused(paused_list.begin(), paused_list.end());
    CTL_ASSIGN_OR_RETURN(Json out, StreamJson(*s, paused, 25, std::time(nullptr)));
    return Reply{200, out};
  }

  // The compiled plan (as `ctlflow dag --format json`), plus the processes
  // of other streams that wait for this one's.
  Result<Reply> StreamGraph(Call& c) {
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    CTL_RETURN_IF_ERROR(FindStream(*snap, c.path[0]).status());
    CTL_ASSIGN_OR_RETURN(auto plan, config_cache.PlanOf(snap, c.path[0]));
    Json out = Json::parse(plan->ToJson());
    const ControlConfig& config = snap->config;
    auto stream_of = [&](const std::string& prcs_nm) {
      auto it = snap->stream_of_process.find(prcs_nm);
      return it == snap->stream_of_process.end() ? std::string() : it->second;
    };
    Json groups = Json::array();
    for (const auto& g : config.groups) {
      if (g.strem_nm == c.path[0]) groups.push_back({{"prcs_grp", g.prcs_grp}, {"prir", g.prir}, {"active", g.active}});
    }
    out["groups"] = groups;
    Json dependents = Json::array();
    for (const auto& d : config.dependencies) {
      if (stream_of(d.dpnd_prcs_nm) == c.path[0] && stream_of(d.prcs_nm) != c.path[0]) {
        dependents.push_back({{"prcs_nm", d.prcs_nm}, {"strem_nm", stream_of(d.prcs_nm)},
                              {"waits_for", d.dpnd_prcs_nm}});
      }
    }
    out["dependents"] = dependents;
    return Reply{200, out};
  }

  // Recent runs x processes: each cell is the newest attempt of the process
  // in the run.
  Result<Reply> StreamGrid(Call& c) {
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "runs", 25, 1, 200));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    CTL_RETURN_IF_ERROR(FindStream(*snap, c.path[0]).status());
    CTL_ASSIGN_OR_RETURN(auto plan, config_cache.PlanOf(snap, c.path[0]));
    Json processes = Json::array();
    for (int i : plan->order()) {
      const PlanNode& n = plan->nodes()[i];
      if (n.kind == PlanNode::Kind::kProcess) processes.push_back({{"prcs_nm", n.name}, {"prcs_grp", n.group}});
    }
    RunFilter filter;
    filter.stream = c.path[0];
    filter.limit = limit;
    filter.offset = offset;
    filter.newest_first = true;
    CTL_ASSIGN_OR_RETURN(auto runs, store.ListRuns(filter));
    Json rows = Json::array();
    for (const auto& r : runs) {
      LogFilter lf;
      lf.run_id = r.run_id;
      CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(lf));
      Json cells = Json::object();
      for (const auto& a : attempts) {
        if (cells.contains(a.prcs_nm) && cells[a.prcs_nm]["attempt"].get<int64_t>() > a.attempt) continue;
        cells[a.prcs_nm] = {{"attempt", a.attempt}, {"status", a.status}, {"status_name", AttemptStatusName(a.status)},
                            {"start_dt", a.start_dt}, {"end_dt", a.end_dt}};
      }
      Json run = RunToJson(r);
      run["cells"] = cells;
      rows.push_back(std::move(run));
    }
    return Reply{200, Json{{"processes", processes}, {"runs", rows}}};
  }

  Result<Reply> Trigger(Call& c) {
    Fields f(c.body);
    CTL_ASSIGN_OR_RETURN(std::string date, f.Text("date"));
    CTL_ASSIGN_OR_RETURN(auto params_list, f.TextMap("params"));
    CTL_RETURN_IF_ERROR(f.Done());
    std::map<std::string, std::string> params(params_list.begin(), params_list.end());
    CTL_RETURN_IF_ERROR(CheckParamNames(params, "field 'params'"));
    CTL_ASSIGN_OR_RETURN(TriggerResult run, TriggerRun(store, c.path[0], date, params, "field 'date'"));
    Reply r{201, Json{{"run_id", run.run_id}, {"strem_nm", run.stream}, {"data_dt", run.data_dt},
                      {"status_name", "queued"}}};
    r.audit_target = "stream " + run.stream + " run " + std::to_string(run.run_id);
    return r;
  }
  Result<Reply> SetPaused(Call& c, bool paused) {
    Fields f(c.body);
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_RETURN_IF_ERROR(PauseStream(store, c.path[0], paused));
    Reply r{200, Json{{"strem_nm", c.path[0]}, {"paused", paused}}};
    r.audit_target = "stream " + c.path[0];
    return r;
  }
  Result<Reply> Pause(Call& c) { return SetPaused(c, true); }
  Result<Reply> Unpause(Call& c) { return SetPaused(c, false); }
  Result<Reply> Clear(Call& c) {
    Fields f(c.body);
    CTL_ASSIGN_OR_RETURN(std::string date, f.Text("date", true));
    CTL_ASSIGN_OR_RETURN(bool failed_only, f.Bool("failed_only", false));
    CTL_ASSIGN_OR_RETURN(auto processes, f.TextList("processes"));
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_ASSIGN_OR_RETURN(ClearResult cleared, ClearStreamRun(store, c.path[0], date, failed_only, processes,
                                                             "field 'date'", "field 'processes'"));
    Json names = Json::array();
    for (const auto& cl : cleared.clears) names.push_back(cl.prcs_nm);
    Reply r{200, Json{{"run_id", cleared.run_id}, {"cleared", names}}};
    r.audit_target = "stream " + c.path[0] + " run " + std::to_string(cleared.run_id);
    return r;
  }

  // Runs and attempts ---------------------------------------------------------
  Result<Reply> ListRunsHandler(Call& c) {
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "limit", 50, 1, kMaxPage));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    RunFilter filter;
    filter.stream = QueryText(c.req, "stream");
    filter.data_dt = QueryText(c.req, "date");
    if (filter.data_dt) CTL_RETURN_IF_ERROR(CheckDate(*filter.data_dt, "query parameter 'date'"));
    if (auto st = QueryText(c.req, "status")) {
      std::optional<RunStatus> parsed;
      for (RunStatus known : {RunStatus::kSuccess, RunStatus::kRunning, RunStatus::kQueued, RunStatus::kCancelled,
                              RunStatus::kFailed}) {
        int64_t code = static_cast<int64_t>(known);
        if (*st == RunStatusName(code) || *st == std::to_string(code)) parsed = known;
      }
      if (!parsed) {
        return Status::Invalid("query parameter 'status': unknown run status '" + *st +
                               "'; expected success, running, queued, cancelled or failed");
      }
      filter.statuses.push_back(*parsed);
    }
    filter.limit = limit + 1;  // one more tells whether there is a next page
    filter.offset = offset;
    filter.newest_first = true;
    CTL_ASSIGN_OR_RETURN(auto runs, store.ListRuns(filter));
    bool more = static_cast<int64_t>(runs.size()) > limit;
    if (more) runs.pop_back();
    Json items = Json::array();
    for (const auto& r : runs) items.push_back(RunToJson(r));
    return Reply{200, Json{{"items", items}, {"offset", offset}, {"limit", limit}, {"more", more}}};
  }

  Result<RunRecord> FindRun(const std::string& text) {
    CTL_ASSIGN_OR_RETURN(int64_t id, PathInt(text, "run id"));
    RunFilter filter;
    filter.run_id = id;
    CTL_ASSIGN_OR_RETURN(auto runs, store.ListRuns(filter));
    if (runs.empty()) return Status::NotFound("no run with id " + text);
    return runs[0];
  }

  Result<Reply> GetRun(Call& c) {
    CTL_ASSIGN_OR_RETURN(RunRecord run, FindRun(c.path[0]));
    Json out = RunToJson(run);
    out["interval_start"] = run.interval_start;
    out["interval_end"] = run.interval_end;
    out["cancel_requested"] = run.cancel_requested;
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    const StreamFacts* facts = snap->Find(run.strem_nm);
    out["tz"] = facts && facts->schedule && !facts->schedule->tz.empty() ? facts->schedule->tz : "UTC";
    return Reply{200, out};
  }

  Result<Reply> RunAttempts(Call& c) {
    CTL_ASSIGN_OR_RETURN(RunRecord run, FindRun(c.path[0]));
    LogFilter filter;
    filter.run_id = run.run_id;
    CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(filter));
    Json items = Json::array();
    for (const auto& a : attempts) items.push_back(AttemptToJson(a));
    return Reply{200, Json{{"items", items}}};
  }

  Result<Reply> CancelHandler(Call& c) {
    Fields f(c.body);
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_ASSIGN_OR_RETURN(RunRecord run, FindRun(c.path[0]));
    CTL_ASSIGN_OR_RETURN(std::string what, CancelRun(store, run.run_id, "cancelled by " + c.who.user + " from the API"));
    Reply r{200, Json{{"run_id", run.run_id}, {"message", what}}};
    r.audit_target = "run " + std::to_string(run.run_id);
    return r;
  }

  Result<Reply> ListAttempts(Call& c) {
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "limit", 100, 1, kMaxPage));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    LogFilter filter;
    filter.stream = QueryText(c.req, "stream");
    filter.process = QueryText(c.req, "process");
    filter.data_dt = QueryText(c.req, "date");
    if (filter.data_dt) CTL_RETURN_IF_ERROR(CheckDate(*filter.data_dt, "query parameter 'date'"));
    filter.search = QueryText(c.req, "q");
    if (c.req.has_param("status")) {
      CTL_ASSIGN_OR_RETURN(int64_t st, QueryInt(c.req, "status", 0, 0, 99));
      filter.status = st;
    }
    if (c.req.has_param("run_id")) {
      CTL_ASSIGN_OR_RETURN(int64_t id, QueryInt(c.req, "run_id", 0, 1, INT64_MAX));
      filter.run_id = id;
    }
    filter.limit = limit + 1;
    filter.offset = offset;
    filter.newest_first = true;
    CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(filter));
    bool more = static_cast<int64_t>(attempts.size()) > limit;
    if (more) attempts.pop_back();
    Json items = Json::array();
    for (const auto& a : attempts) items.push_back(AttemptToJson(a));
    return Reply{200, Json{{"items", items}, {"offset", offset}, {"limit", limit}, {"more", more}}};
  }

  Result<AttemptRecord> FindAttempt(Call& c) {
    CTL_ASSIGN_OR_RETURN(RunRecord run, FindRun(c.path[0]));
    CTL_ASSIGN_OR_RETURN(int64_t attempt, PathInt(c.path[2], "attempt"));
    LogFilter filter;
    filter.run_id = run.run_id;
    filter.process = c.path[1];
    CTL_ASSIGN_OR_RETURN(auto attempts, store.QueryLog(filter));
    for (const auto& a : attempts)
      if (a.attempt == attempt) return a;
    return Status::NotFound("run " + c.path[0] + " has no attempt " + c.path[2] + " of process " + c.path[1]);
  }

  Result<Reply> GetAttempt(Call& c) {
    CTL_ASSIGN_OR_RETURN(AttemptRecord a, FindAttempt(c));
    Json out = AttemptToJson(a);
    out["status_name"] = AttemptStatusName(a.status);
    std::error_code ec;
    out["has_log"] = !a.log_path.empty() && fs::exists(a.log_path, ec);
    out["has_notebook"] = !a.log_path.empty() && fs::exists(a.log_path + ".ipynb", ec);
    return Reply{200, out};
  }

  // A slice of the attempt's log from `offset`; clients tail it by asking
  // again from next_offset while `finished` is false.
  Result<Reply> AttemptLog(Call& c) {
    CTL_ASSIGN_OR_RETURN(AttemptRecord a, FindAttempt(c));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT64_MAX));
    CTL_ASSIGN_OR_RETURN(int64_t max_bytes, QueryInt(c.req, "max_bytes", 256 * 1024, 1, 8 * 1024 * 1024));
    bool finished = a.status != static_cast<int64_t>(AttemptStatus::kRunning) &&
                    a.status != static_cast<int64_t>(AttemptStatus::kQueued) &&
                    a.status != static_cast<int64_t>(AttemptStatus::kWaiting);
    Json out{{"offset", offset}, {"finished", finished}, {"status", a.status}};
    std::ifstream in(a.log_path, std::ios::binary);
    if (a.log_path.empty() || !in) {
      out["text"] = "";
      out["next_offset"] = offset;
      out["size"] = 0;
      return Reply{200, out};
    }
    in.seekg(0, std::ios::end);
    int64_t size = in.tellg();
    int64_t from = std::min(offset, size);
    in.seekg(from);
    std::string text(static_cast<size_t>(std::min(max_bytes, size - from)), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    // A slice keeps whole UTF-8 characters only, so the next slice starts at
    // a character (bad bytes become U+FFFD). A max_bytes smaller than the
    // first character gets that character whole, so paging moves on; a log
    // still being written may end inside one, which waits for the next call.
    if (!text.empty() && (from + static_cast<int64_t>(text.size()) < size || !finished)) {
      size_t first_length = 0;
      size_t keep = WholeCharacters(text, &first_length);
      if (keep > 0) {
        text.resize(keep);
      } else if (from + static_cast<int64_t>(first_length) <= size) {
        text.resize(first_length);
        in.clear();
        in.seekg(from);
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
      } else {
        text.clear();
      }
    }
    out["text"] = text;
    out["next_offset"] = from + static_cast<int64_t>(text.size());
    out["size"] = size;
    Reply r{200, out};
    return r;
  }

  Result<Reply> AttemptNotebook(Call& c) {
    CTL_ASSIGN_OR_RETURN(AttemptRecord a, FindAttempt(c));
    std::string path = a.log_path + ".ipynb";
    std::ifstream in(path, std::ios::binary);
    if (a.log_path.empty() || !in) {
      return Status::NotFound("attempt " + c.path[2] + " of " + c.path[1] + " has no executed notebook");
    }
    std::ostringstream text;
    text << in.rdbuf();
    Reply r;
    r.raw = text.str();
    r.content_type = "application/x-ipynb+json";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + a.prcs_nm + "-run" +
                                                      std::to_string(a.run_id) + "-attempt" +
                                                      std::to_string(a.attempt) + ".ipynb\"");
    return r;
  }

  // Control tables -------------------------------------------------------------
  Result<Reply> ListTableDefs(Call&) {
    Json tables = Json::array();
    for (const auto& t : ControlTableDefs()) {
      if (!t.config) continue;
      Json columns = Json::array();
      for (const auto& col : t.columns) {
        columns.push_back({{"name", col.name},
                           {"type", col.type == ColumnType::kInteger ? "integer" : "text"},
                           {"nullable", col.nullable},
                           {"default", col.default_sql},
                           {"key", std::find(t.key.begin(), t.key.end(), col.name) != t.key.end()}});
      }
      tables.push_back({{"name", t.name}, {"key", t.key}, {"columns", columns}});
    }
    return Reply{200, Json{{"tables", tables}}};
  }

  Result<Reply> GetTable(Call& c) {
    CTL_ASSIGN_OR_RETURN(const TableDef* def, RequireEditableTable(c.path[0]));
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "limit", 100, 1, kMaxPage));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    std::string q = Lower(QueryText(c.req, "q").value_or(""));
    CTL_ASSIGN_OR_RETURN(auto snap, config_cache.Current());
    Json rows = Json::array();
    int64_t matched = 0;
    for (const auto& t : snap->tables) {
      if (t.table->name != def->name) continue;
      for (const auto& r : t.rows) {
        if (!q.empty()) {
          bool hit = false;
          for (const auto& v : r.values) hit = hit || Lower(ValueToString(v)).find(q) != std::string::npos;
          if (!hit) continue;
        }
        if (matched++ >= offset && static_cast<int64_t>(rows.size()) < limit) rows.push_back(RowJson(*def, r));
      }
    }
    return Reply{200, Json{{"table", def->name}, {"key", def->key}, {"rows", rows}, {"total", matched},
                           {"offset", offset}, {"limit", limit}}};
  }

  // Rows as JSON objects, read by the same reader as `apply` (JSON is YAML),
  // so types, nulls, unknown columns and duplicate keys are judged alike.
  Result<ConfigDocument> RowsDocument(const TableDef& def, const nlohmann::json& rows) {
    if (!rows.is_array()) return Status::Invalid("field 'rows': expected an array of objects, got " + std::string(TypeName(rows)));
    std::ostringstream text;
    text << "{" << nlohmann::json(def.name).dump() << ": [\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!rows[i].is_object()) {
        return Status::Invalid("rows[" + std::to_string(i) + "]: expected an object, got " + TypeName(rows[i]));
      }
      for (const auto& [k, v] : rows[i].items()) {
        if (v.is_object() || v.is_array() || v.is_number_float()) {
          return Status::Invalid("rows[" + std::to_string(i) + "]: table " + def.name + " column " + k +
                                 ": expected a string, an integer or null, got " + TypeName(v));
        }
      }
      text << rows[i].dump() << (i + 1 < rows.size() ? ",\n" : "\n");
    }
    text << "]}\n";
    std::istringstream in(text.str());
    auto doc = ReadConfigYaml(in, "request body");
    if (!doc.ok()) return RowsRelative(doc.status());
    return doc;
  }

  Result<std::vector<TableChangeSummary>> ApplyRows(const ConfigDocument& doc, bool dry_run) {
    auto applied = ApplyDocument(store, doc, /*prune=*/false, dry_run);
    if (!applied.ok()) return RowsRelative(applied.status());
    return applied;
  }

  Result<Reply> UpsertRows(Call& c) {
    CTL_ASSIGN_OR_RETURN(const TableDef* def, RequireEditableTable(c.path[0]));
    Fields f(c.body);
    const nlohmann::json* rows = f.Raw("rows");
    CTL_ASSIGN_OR_RETURN(bool dry_run, f.Bool("dry_run", false));
    CTL_RETURN_IF_ERROR(f.Done());
    if (!rows) return Status::Invalid("field 'rows' is required: an array of row objects");
    CTL_ASSIGN_OR_RETURN(ConfigDocument doc, RowsDocument(*def, *rows));
    CTL_ASSIGN_OR_RETURN(auto summaries, ApplyRows(doc, dry_run));
    Reply r{200, SummariesJson(summaries, dry_run)};
    r.audit_target = "table " + def->name + (dry_run ? " (dry run)" : "");
    return r;
  }

  Result<Reply> DeleteRowsHandler(Call& c) {
    CTL_ASSIGN_OR_RETURN(const TableDef* def, RequireEditableTable(c.path[0]));
    std::vector<std::string> keys;
    for (size_t i = 0; i < c.req.get_param_value_count("key"); ++i) keys.push_back(c.req.get_param_value("key", i));
    if (keys.empty()) return Status::Invalid("query parameter 'key' is required: the row key (\"P\" or \"P/DEP\")");
    CTL_ASSIGN_OR_RETURN(bool dry_run, QueryBool(c.req, "dry_run"));
    CTL_ASSIGN_OR_RETURN(auto summaries, DeleteRows(store, *def, keys, dry_run));
    Reply r{200, SummariesJson(summaries, dry_run)};
    std::string joined;
    for (const auto& k : keys) joined += (joined.empty() ? "" : ",") + k;
    r.audit_target = "table " + def->name + " rows " + joined + (dry_run ? " (dry run)" : "");
    return r;
  }

  // A CSV file for one table, as `apply TABLE.csv` reads it: the preview is
  // the same call with dry_run.
  Result<Reply> UploadCsv(Call& c) {
    CTL_ASSIGN_OR_RETURN(const TableDef* def, RequireEditableTable(c.path[0]));
    CTL_ASSIGN_OR_RETURN(bool dry_run, QueryBool(c.req, "dry_run"));
    CTL_ASSIGN_OR_RETURN(bool prune, QueryBool(c.req, "prune"));
    std::error_code ec;
    CTL_ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
    fs::path dir = fs::temp_directory_path() / ("ctlflow-upload-" + suffix);
    fs::create_directories(dir, ec);
    if (ec) return Status::Io("cannot create " + dir.string() + ": " + ec.message());
    struct Cleanup {
      fs::path dir;
      ~Cleanup() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
    } cleanup{dir};
    fs::path file = dir / (def->name + ".csv");
    {
      std::ofstream out(file, std::ios::binary);
      out << c.req.body;
      if (!out.flush()) return Status::Io("cannot write " + file.string());
    }
    auto doc = ReadConfigPath(file.string());
    if (!doc.ok()) {
      std::string msg = doc.status().message();
      std::string prefix = file.string();
      for (size_t at; (at = msg.find(prefix)) != std::string::npos;) msg.replace(at, prefix.size(), "upload.csv");
      return Status::Error(doc.status().code(), msg);
    }
    auto applied = ApplyDocument(store, *doc, prune, dry_run);
    if (!applied.ok()) {
      std::string msg = applied.status().message();
      std::string prefix = file.string();
      for (size_t at; (at = msg.find(prefix)) != std::string::npos;) msg.replace(at, prefix.size(), "upload.csv");
      return Status::Error(applied.status().code(), msg);
    }
    Reply r{200, SummariesJson(*applied, dry_run)};
    r.audit_target = "table " + def->name + " csv upload" + (prune ? " with prune" : "") + (dry_run ? " (dry run)" : "");
    return r;
  }

  Result<Reply> CopyProcess(Call& c) {
    Fields f(c.body);
    ProcessStamp stamp;
    stamp.like = c.path[0];
    stamp.where = "request body";
    CTL_ASSIGN_OR_RETURN(stamp.name, f.Text("name", true));
    CTL_ASSIGN_OR_RETURN(stamp.sets, f.TextMap("set"));
    CTL_ASSIGN_OR_RETURN(bool dry_run, f.Bool("dry_run", false));
    CTL_RETURN_IF_ERROR(f.Done());
    auto summaries = StampProcesses(store, {stamp}, dry_run);
    if (!summaries.ok()) {
      // "request body: table cntl_cfg_prcs row X column Y: ..." names the column.
      return summaries.status();
    }
    Reply r{201, SummariesJson(*summaries, dry_run)};
    if (dry_run) r.status = 200;
    r.audit_target = "process " + stamp.name + " like " + stamp.like + (dry_run ? " (dry run)" : "");
    return r;
  }

  // Connections ------------------------------------------------------------------
  Result<Reply> ListConnectionsHandler(Call&) {
    CTL_ASSIGN_OR_RETURN(auto stored, store.ListConnections());
    Json items = Json::array();
    for (const auto& d : EffectiveConnections(stored)) items.push_back(ConnectionToJson(d));
    return Reply{200, Json{{"items", items}}};
  }
  Result<Reply> SaveConnectionHandler(Call& c) {
    Fields f(c.body);
    ConnectionDef def;
    CTL_ASSIGN_OR_RETURN(def.conn_nm, f.Text("conn_nm", true));
    CTL_ASSIGN_OR_RETURN(def.conn_typ, f.Text("conn_typ", true));
    CTL_ASSIGN_OR_RETURN(def.url, f.Text("url", true));
    CTL_ASSIGN_OR_RETURN(def.password_env, f.Text("password_env"));
    CTL_ASSIGN_OR_RETURN(def.password_file, f.Text("password_file"));
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_ASSIGN_OR_RETURN(ConnectionDef saved, SaveConnection(store, def));
    Reply r{200, ConnectionToJson(saved)};
    r.audit_target = "connection " + saved.conn_nm;
    return r;
  }
  Result<Reply> RemoveConnectionHandler(Call& c) {
    CTL_RETURN_IF_ERROR(RemoveUnusedConnection(store, c.path[0]));
    Reply r{200, Json{{"conn_nm", c.path[0]}, {"removed", true}}};
    r.audit_target = "connection " + c.path[0];
    return r;
  }
  Result<Reply> TestConnectionHandler(Call& c) {
    Fields f(c.body);
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_ASSIGN_OR_RETURN(ConnectionDef def, FindConnection(store, c.path[0]));
    Status tested = TestConnection(def, options.home);
    Reply r{200, Json{{"conn_nm", def.conn_nm}, {"ok", tested.ok()}, {"message", tested.ok() ? "ok" : tested.message()}}};
    r.audit_target = "connection " + def.conn_nm;
    return r;
  }

  // Lakehouse ----------------------------------------------------------------------
  Result<Lakehouse> OpenLake(Call& c) {
    std::string conn = QueryText(c.req, "conn").value_or("lakehouse");
    return OpenLakehouse(connections, conn);
  }
  Result<Reply> LakehouseTables(Call& c) {
    CTL_ASSIGN_OR_RETURN(Lakehouse lake, OpenLake(c));
    CTL_ASSIGN_OR_RETURN(auto tables, ListTables(lake));
    Json items = Json::array();
    for (const auto& t : tables) {
      items.push_back({{"table", t.ident.ToString()}, {"location", t.location},
                       {"metadata_location", t.metadata_location}, {"snapshot_id", t.snapshot_id},
                       {"records", t.records}, {"files", t.files}, {"bytes", t.bytes},
                       {"last_updated_ms", t.last_updated_ms}});
    }
    return Reply{200, Json{{"items", items}}};
  }
  Result<Reply> LakehouseSnapshots(Call& c) {
    CTL_ASSIGN_OR_RETURN(Lakehouse lake, OpenLake(c));
    CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(c.path[0], "table"));
    CTL_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots(lake, ident));
    Json items = Json::array();
    for (const auto& s : snapshots) {
      // No parent is null, as in `ctlflow lakehouse snapshots --json`.
      items.push_back({{"snapshot_id", s.snapshot_id}, {"parent_id", s.parent_id ? Json(s.parent_id) : Json()},
                       {"sequence_number", s.sequence_number}, {"timestamp_ms", s.timestamp_ms},
                       {"operation", s.operation}, {"summary", s.summary}, {"current", s.current}});
    }
    return Reply{200, Json{{"table", ident.ToString()}, {"items", items}}};
  }
  // As `ctlflow lakehouse delete-partition --json`; a date with no rows is
  // 200 with committed false, as the CLI's exit 0.
  Result<Reply> LakehouseDeletePartition(Call& c) {
    Fields f(c.body);
    CTL_ASSIGN_OR_RETURN(std::string data_dt, f.Text("data_dt", true));
    CTL_ASSIGN_OR_RETURN(bool dry_run, f.Bool("dry_run", false));
    CTL_RETURN_IF_ERROR(f.Done());
    CTL_RETURN_IF_ERROR(CheckDate(data_dt, "field 'data_dt'"));
    CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(c.path[0], "table"));
    CTL_ASSIGN_OR_RETURN(Lakehouse lake, OpenLake(c));
    CTL_ASSIGN_OR_RETURN(DeletePartitionOutcome outcome, DeleteDataDt(lake, ident, data_dt, dry_run));
    Reply r{200, DeletePartitionJson(outcome)};
    r.audit_target = lake.name + ":" + ident.ToString() + " data_dt " + data_dt +
                     (dry_run ? " (dry run)" : outcome.snapshot_id ? " snapshot " + std::to_string(outcome.snapshot_id)
                                                                   : " (no rows)");
    return r;
  }

  // Audit ----------------------------------------------------------------------------
  Result<Reply> ListAuditHandler(Call& c) {
    CTL_ASSIGN_OR_RETURN(int64_t limit, QueryInt(c.req, "limit", 100, 1, kMaxPage));
    CTL_ASSIGN_OR_RETURN(int64_t offset, QueryInt(c.req, "offset", 0, 0, INT32_MAX));
    CTL_ASSIGN_OR_RETURN(auto rows, store.ListAudit(limit, offset));
    Json items = Json::array();
    for (const auto& a : rows) {
      items.push_back({{"audit_id", a.audit_id}, {"at_dt", a.at_dt}, {"user_nm", a.user_nm}, {"action", a.action},
                       {"target", a.target}, {"detail", a.detail}, {"outcome", a.outcome}});
    }
    return Reply{200, Json{{"items", items}, {"offset", offset}, {"limit", limit}}};
  }
};

const std::vector<ApiServer::Impl::Route>& ApiServer::Impl::Routes() {
  using I = ApiServer::Impl;
  constexpr std::optional<Role> kPublic = std::nullopt;
  const Role V = Role::kViewer, O = Role::kOperator, A = Role::kAdmin;
  struct Def {
    const char* method;
    const char* path;
    std::optional<Role> role;
    bool writes;
    const char* summary;
    Handler handler;
  };
  static const std::vector<Route> routes = [&] {
    const Def defs[] = {
        {"GET", "/api/v1/health", kPublic, false, "Liveness and the metadata store in use", &I::Health},
        {"GET", "/api/v1/openapi.json", kPublic, false, "This API's OpenAPI document", &I::OpenApi},
        {"POST", "/api/v1/session", kPublic, true, "Log in with an API token; sets the session cookie", &I::Login},
        {"GET", "/api/v1/session", V, false, "Who is logged in, with the CSRF token", &I::Whoami},
        {"DELETE", "/api/v1/session", V, true, "Log out", &I::Logout},
        {"GET", "/api/v1/metrics", V, false, "Prometheus metrics", &I::Metrics},
        {"GET", "/api/v1/streams", V, false, "Streams with schedule, next run and last runs", &I::ListStreams},
        {"GET", "/api/v1/streams/{stream}", V, false, "One stream", &I::GetStream},
        {"GET", "/api/v1/streams/{stream}/graph", V, false, "The compiled graph of a stream", &I::StreamGraph},
        {"GET", "/api/v1/streams/{stream}/grid", V, false, "Recent runs x processes", &I::StreamGrid},
        {"POST", "/api/v1/streams/{stream}/trigger", O, true, "Queue a manual run", &I::Trigger},
        {"POST", "/api/v1/streams/{stream}/pause", O, true, "Pause scheduling", &I::Pause},
        {"POST", "/api/v1/streams/{stream}/unpause", O, true, "Resume scheduling", &I::Unpause},
        {"POST", "/api/v1/streams/{stream}/clear", O, true, "Re-run processes of a date's run", &I::Clear},
        {"GET", "/api/v1/runs", V, false, "Runs, newest first, filtered and paged", &I::ListRunsHandler},
        {"GET", "/api/v1/runs/{run_id}", V, false, "One run", &I::GetRun},
        {"GET", "/api/v1/runs/{run_id}/attempts", V, false, "The attempts of a run", &I::RunAttempts},
        {"POST", "/api/v1/runs/{run_id}/cancel", O, true, "Cancel a queued or running run", &I::CancelHandler},
        {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}", V, false, "One attempt", &I::GetAttempt},
        {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}/log", V, false, "An attempt's log, from an offset",
         &I::AttemptLog},
        {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}/notebook", V, false,
         "The executed notebook of an attempt", &I::AttemptNotebook},
        {"GET", "/api/v1/attempts", V, false, "Search cntl_cfg_log, newest first", &I::ListAttempts},
        {"GET", "/api/v1/tables", V, false, "The control tables' columns", &I::ListTableDefs},
        {"GET", "/api/v1/tables/{table}", V, false, "The rows of a control table, a page at a time (total says how many match)", &I::GetTable},
        {"POST", "/api/v1/tables/{table}", A, true, "Insert or update rows, validated like apply", &I::UpsertRows},
        {"DELETE", "/api/v1/tables/{table}", A, true, "Delete rows by key, validated like apply --prune",
         &I::DeleteRowsHandler},
        {"POST", "/api/v1/tables/{table}/csv", A, true, "Apply a CSV file of rows (dry_run previews)", &I::UploadCsv},
        {"POST", "/api/v1/processes/{process}/copy", A, true, "New process like this one", &I::CopyProcess},
        {"GET", "/api/v1/connections", V, false, "Connections, without secrets", &I::ListConnectionsHandler},
        {"POST", "/api/v1/connections", A, true, "Add or change a connection", &I::SaveConnectionHandler},
        {"DELETE", "/api/v1/connections/{conn}", A, true, "Remove an unused connection", &I::RemoveConnectionHandler},
        {"POST", "/api/v1/connections/{conn}/test", O, true, "Test a connection", &I::TestConnectionHandler},
        {"GET", "/api/v1/lakehouse/tables", V, false, "Iceberg tables of a lakehouse", &I::LakehouseTables},
        {"GET", "/api/v1/lakehouse/tables/{table}/snapshots", V, false, "Snapshots of an Iceberg table",
         &I::LakehouseSnapshots},
        {"POST", "/api/v1/lakehouse/tables/{table}/delete-partition", A, true,
         "Delete one data_dt's rows as a new snapshot (dry_run previews)", &I::LakehouseDeletePartition},
        {"GET", "/api/v1/audit", A, false, "The audit trail, newest first", &I::ListAuditHandler},
    };
    std::vector<Route> out;
    static const std::regex kPlaceholder(R"(\{[a-z_]+\})");
    for (const auto& d : defs) {
      std::string re = std::regex_replace(std::string(d.path), kPlaceholder, "([^/]+)");
      out.push_back({RouteInfo{d.method, d.path, d.role, d.writes, d.summary}, d.handler, std::regex(re)});
    }
    return out;
  }();
  return routes;
}

const std::vector<RouteInfo>& ApiRoutes() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const auto& r : ApiServer::Impl::Routes()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

Result<Principal> ApiServer::Impl::Authenticate(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (!auth.empty()) {
    if (auth.rfind("Bearer ", 0) != 0) return Status::NotFound("Authorization: expected 'Bearer <token>'");
    return AuthenticateToken(store, auth.substr(7));
  }
  std::string session = CookieValue(req, kSessionCookie);
  if (!session.empty()) {
    std::optional<Principal> who = sessions.Find(session);
    if (!who) return Status::NotFound("the session has expired; log in again");
    // A session lasts no longer than its token, and follows the user's role.
    CTL_ASSIGN_OR_RETURN(auto token, store.FindToken(who->token_hash));
    if (!token) {
      sessions.Remove(session);
      return Status::NotFound("the token this session was opened with is revoked; log in again");
    }
    CTL_ASSIGN_OR_RETURN(who->role, ParseRole(token->second.role));
    return *who;
  }
  return Status::NotFound("log in, or send Authorization: Bearer <token> (ctlflow token create)");
}

void ApiServer::Impl::Dispatch(const Route& route, const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  Call call{req, {}, {}, nlohmann::json::object()};
  for (size_t i = 1; i < req.matches.size(); ++i) call.path.push_back(req.matches[i].str());
  auto send = [&](int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
  };
  auto audit = [&](const std::string& target, const std::string& outcome) {
    if (!route.info.writes) return;
    std::string detail = req.body.size() > 4000 ? req.body.substr(0, 4000) + "..." : req.body;
    if (route.info.path == "/api/v1/session") detail = "";  // the token is a secret
    if (route.info.path.rfind("/api/v1/connections", 0) == 0 && !req.body.empty()) {
      auto parsed = nlohmann::json::parse(req.body, nullptr, false);  // a URL may hold a password
      if (parsed.is_object() && parsed.contains("url") && parsed["url"].is_string()) {
        parsed["url"] = MaskUrl(parsed["url"].get<std::string>());
      }
      detail = parsed.is_discarded() ? "" : parsed.dump();
    }
    AuditRecord a{0, "", call.who.user.empty() ? "anonymous" : call.who.user,
                  route.info.method + " " + route.info.path, target.empty() ? req.path : target, detail, outcome};
    (void)store.AppendAudit(a);  // the write itself already happened or failed; do not mask it
  };
  auto finish = [&] {
    ++requests;
    if (res.status >= 400) ++errors;
    micros += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  };

  if (route.info.role) {
    auto who = Authenticate(req);
    if (!who.ok()) {
      res.set_header("WWW-Authenticate", "Bearer");
      send(401, ErrorJson("unauthenticated", who.status().message()));
      return finish();
    }
    call.who = *who;
    if (static_cast<int>(call.who.role) < static_cast<int>(*route.info.role)) {
      send(403, ErrorJson("forbidden", route.info.method + " " + route.info.path + " needs the role " +
                                           RoleName(*route.info.role) + "; " + call.who.user + " is " +
                                           RoleName(call.who.role)));
      audit("", "403 forbidden");
      return finish();
    }
    if (route.info.writes && call.who.via_session && req.get_header_value("X-CSRF-Token") != call.who.csrf) {
      send(403, ErrorJson("forbidden", "missing or wrong X-CSRF-Token header (GET /api/v1/session returns it)"));
      audit("", "403 csrf");
      return finish();
    }
  }
  bool json_body = route.info.path.find("/csv") == std::string::npos;
  if (json_body && !req.body.empty()) {
    call.body = nlohmann::json::parse(req.body, nullptr, false);
    if (call.body.is_discarded() || !call.body.is_object()) {
      send(400, ErrorJson("invalid", "the request body must be a JSON object"));
      audit("", "400 bad body");
      return finish();
    }
  }
  Result<Reply> reply = Status::Internal("no reply");
  try {
    reply = (this->*route.handler)(call);
  } catch (const std::exception& e) {
    reply = Status::Internal(std::string("unexpected error: ") + e.what());
  }
  if (!reply.ok()) {
    const Status& st = reply.status();
    send(HttpStatusOf(st.code()), ErrorJson(ErrorCodeName(st.code()), st.message()));
    audit("", std::to_string(res.status) + " " + st.message().substr(0, 500));
    return finish();
  }
  for (const auto& [k, v] : reply->headers) res.set_header(k, v);
  if (!reply->content_type.empty()) {
    res.status = reply->status;
    res.set_content(reply->raw, reply->content_type);
  } else {
    send(reply->status, reply->json);
  }
  audit(reply->audit_target, reply->status < 400 ? "ok" : std::to_string(reply->status));
  finish();
}

void ApiServer::Impl::Install() {
  http.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
  });
  http.set_payload_max_length(16 * 1024 * 1024);
  // Without TCP_NODELAY, the second request on a kept-alive connection waits
  // for the client's delayed ACK (40 ms on Linux) before its reply leaves.
  http.set_tcp_nodelay(true);
  for (const auto& route : Routes()) {
    std::string re = std::regex_replace(route.info.path, std::regex(R"(\{[a-z_]+\})"), "([^/]+)");
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      Dispatch(route, req, res);
    };
    if (route.info.method == "GET") http.Get(re, handler);
    else if (route.info.method == "POST") http.Post(re, handler);
    else if (route.info.method == "DELETE") http.Delete(re, handler);
  }
  // Anything else under /api is JSON too, never the UI's index.html.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/api/", 0) == 0 && res.body.empty()) {
      Json body = res.status == 404 ? ErrorJson("not_found", "no endpoint " + req.method + " " + req.path +
                                                                 "; see /api/v1/openapi.json")
                                    : ErrorJson("invalid", "HTTP " + std::to_string(res.status));
      res.set_content(body.dump(), "application/json");
    }
  });
  if (!options.web_dir.empty()) {
    http.set_mount_point("/", options.web_dir);
    // Pages have stable URLs (/streams/S, /runs/7, ...); the browser asks for
    // them directly, and the single-page UI answers them all.
    std::string index = (fs::path(options.web_dir) / "index.html").string();
    http.Get(R"(/(streams|runs|attempts|log|tables|connections|lakehouse|login|audit)(/.*)?)",
             [index](const httplib::Request&, httplib::Response& res) {
               std::ifstream in(index, std::ios::binary);
               std::ostringstream text;
               text << in.rdbuf();
               res.set_header("Cache-Control", "no-cache");
               res.set_content(text.str(), "text/html; charset=utf-8");
             });
  } else {
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ctlflow server: the API is at /api/v1 (see /api/v1/openapi.json). The web UI is not built;"
                      " run `npm ci --prefix web && npm run build --prefix web` and start the server again.\n",
                      "text/plain; charset=utf-8");
    });
  }
}

ApiServer::ApiServer(MetadataStore& store, ServerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {
  impl_->Install();
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    int port = impl_->http.bind_to_any_port(o.bind);
    if (port <= 0) return Status::Io("cannot listen on " + o.bind + " (any port)");
    impl_->bound_port = port;
    return Status::Ok();
  }
  if (!impl_->http.bind_to_port(o.bind, o.port)) {
    return Status::Io("cannot listen on " + o.bind + ":" + std::to_string(o.port) +
                      " (is another server using the port? choose one with --port)");
  }
  impl_->bound_port = o.port;
  return Status::Ok();
}

int ApiServer::port() const { return impl_->bound_port; }

Status ApiServer::Serve() {
  if (!impl_->http.listen_after_bind()) return Status::Io("the HTTP server stopped with an error");
  return Status::Ok();
}

void ApiServer::Stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace ctlflow
