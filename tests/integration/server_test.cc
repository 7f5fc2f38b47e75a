// `ctlflow server` with the real binary: every role boundary, sessions with
// CSRF, bad input named by field, the audit trail, and the endpoints that
// must behave like the CLI (trigger, clear, cancel, pause, apply, process
// new --like, log). The browser test (ui_test.cc) drives the UI on top.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <regex>
#include <set>

#include "harness.h"

namespace ctlflow::testing {
namespace {

class ServerTest : public CtlflowTest {
 protected:
  void SetUp() override {
    CtlflowTest::SetUp();
    ASSERT_EQ(Ctl({"apply", WriteFile("cfg.yaml",
                                      "cntl_cfg_strem:\n  - {strem_nm: S}\n  - {strem_nm: T}\n"
                                      "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n  - {prcs_grp: H, strem_nm: T}\n"
                                      "cntl_cfg_prcs:\n"
                                      "  - {prcs_nm: P1, prcs_grp: G, prir: 1, prcs_typ: 3, af_path_nm: /bin/sh,"
                                      " af_parm: \"-c 'echo hello from P1'\"}\n"
                                      "  - {prcs_nm: P2, prcs_grp: G, prir: 2, prcs_typ: 3, af_path_nm: /bin/sh,"
                                      " af_parm: \"-c 'echo broken >&2; exit 3'\"}\n"
                                      "  - {prcs_nm: Q1, prcs_grp: H, prir: 1, prcs_typ: 3, af_path_nm: /bin/true}\n"
                                      "cntl_cfg_prcs_depn:\n  - {prcs_nm: Q1, dpnd_prcs_nm: P1}\n")})
                  .exit_code,
              0);
    for (auto [user, role] : {std::pair{"vic", "viewer"}, {"olga", "operator"}, {"ada", "admin"}}) {
      ASSERT_EQ(Ctl({"user", "add", user, "--role", role}).exit_code, 0);
      CliResult t = Ctl({"token", "create", "--user", user, "--label", "test"});
      ASSERT_EQ(t.exit_code, 0) << t.err;
      tokens_[role] = t.out.substr(0, t.out.find('\n'));
    }
    port_ = StartServer({}, "server", &pid_);
    ASSERT_GT(port_, 0) << ReadFile(scratch_ + "/.server.stderr");
  }
  // Starts `ctlflow server --port 0 extra...` and returns the port it
  // listens on (0 if it never said).
  int StartServer(const std::vector<std::string>& extra, const std::string& name, int* pid) {
    std::vector<std::string> args{"server", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    *pid = CtlStart(args, name);
    std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 200; ++i) {
      std::smatch m;
      std::string out = ReadFile(scratch_ + "/." + name + ".stdout");
      if (std::regex_search(out, m, listening)) return std::stoi(m[1].str());
      usleep(50 * 1000);
    }
    return 0;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      CliResult done = Finish(pid_, "server");
      EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
    }
    CtlflowTest::TearDown();
  }

  // Stream L: one ingest of three cities into the Iceberg table staging.cities.
  void MakeCitiesStream() {
    WriteFile(home_ + "/lakehouse/schema/cities.json",
              R"({"columns": [{"name": "id", "type": "bigint", "nullable": false}, {"name": "city", "type": "string"}]})");
    WriteFile(home_ + "/lakehouse/raw/cities.csv", "id,city\n1,Oslo\n2,Lima\n3,Pune\n");
    ASSERT_EQ(Ctl({"apply", WriteFile("l.yaml", IcebergIngestStreamYaml("L", "ING", "cities",
                                                                        "schema=schema/cities.json source=raw/cities.csv"))})
                  .exit_code,
              0);
  }

  struct Reply {
    int status = 0;
    nlohmann::json json;
    std::string body;
    httplib::Headers headers;
  };
  Reply Call(const std::string& method, const std::string& path, const std::string& role,
             const std::string& body = "", httplib::Headers headers = {},
             const std::string& content_type = "application/json") {
    return CallAt(port_, method, path, role, body, std::move(headers), content_type);
  }
  Reply CallAt(int port, const std::string& method, const std::string& path, const std::string& role,
               const std::string& body = "", httplib::Headers headers = {},
               const std::string& content_type = "application/json") {
    httplib::Client client("127.0.0.1", port);
    if (!role.empty()) headers.emplace("Authorization", "Bearer " + tokens_[role]);
    httplib::Result r = method == "GET"      ? client.Get(path, headers)
                        : method == "DELETE" ? client.Delete(path, headers, body, content_type)
                                             : client.Post(path, headers, body, content_type);
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    out.json = nlohmann::json::parse(r->body, nullptr, false);
    return out;
  }

  std::map<std::string, std::string> tokens_;
  int pid_ = 0;
  int port_ = 0;
};

TEST_F(ServerTest, EveryRouteChecksItsRoleAndTokensAreNeeded) {
  EXPECT_EQ(Call("GET", "/api/v1/health", "").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/openapi.json", "").json["openapi"], "3.0.3");
  Reply none = Call("GET", "/api/v1/streams", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json["error"]["code"], "unauthenticated");
  EXPECT_EQ(Call("GET", "/api/v1/streams", "", "", {{"Authorization", "Bearer ctl_wrong"}}).status, 401);

  // Each documented operation, tried as each role: what needs a role above
  // the caller's is 403 and never reaches the handler (nothing is audited as ok).
  nlohmann::json doc = Call("GET", "/api/v1/openapi.json", "").json;
  const std::map<std::string, int> rank{{"viewer", 0}, {"operator", 1}, {"admin", 2}};
  int checked = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    std::string concrete = std::regex_replace(path, std::regex(R"(\{run_id\}|\{attempt\})"), "1");
    concrete = std::regex_replace(concrete, std::regex(R"(\{stream\})"), "S");
    concrete = std::regex_replace(concrete, std::regex(R"(\{[a-z_]+\})"), "X");
    for (auto& [method, op] : ops.items()) {
      if (!op.contains("x-ctlflow-role")) continue;
      std::string M = method == "get" ? "GET" : method == "post" ? "POST" : "DELETE";
      if (concrete == "/api/v1/session") continue;  // logging out is for everyone
      for (const auto& [role, r] : rank) {
        Reply reply = Call(M, concrete, role, M == "GET" ? "" : "{}");
        bool allowed = r >= rank.at(op["x-ctlflow-role"].get<std::string>());
        if (allowed) {
          EXPECT_NE(reply.status, 403) << M << " " << concrete << " as " << role << ": " << reply.body;
        } else {
          EXPECT_EQ(reply.status, 403) << M << " " << concrete << " as " << role << ": " << reply.body;
        }
        EXPECT_NE(reply.status, 401) << M << " " << concrete;
        EXPECT_LT(reply.status, 500) << M << " " << concrete << " as " << role << ": " << reply.body;
        // A route exists for every documented path: no "no endpoint" 404.
        EXPECT_EQ(reply.body.find("no endpoint"), std::string::npos) << M << " " << concrete;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 90);
  Reply forbidden = Call("POST", "/api/v1/tables/cntl_cfg_strem", "operator", R"({"rows":[{"strem_nm":"Z"}]})");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_NE(forbidden.json["error"]["message"].get<std::string>().find("needs the role admin"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/nothing/here", "viewer").status, 404);
}

TEST_F(ServerTest, ResponsesCarrySecurityHeadersAndErrorsAreJson) {
  Reply r = Call("GET", "/api/v1/streams", "viewer");
  ASSERT_EQ(r.status, 200);
  for (const char* h : {"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"}) {
    EXPECT_TRUE(r.headers.count(h)) << h;
  }
  EXPECT_EQ(r.headers.find("Cache-Control")->second, "no-store");
  Reply missing = Call("GET", "/api/v1/nope", "viewer");
  EXPECT_EQ(missing.json["error"]["code"], "not_found");
}

TEST_F(ServerTest, LoginGivesAnHttpOnlyCookieAndWritesNeedTheCsrfToken) {
  EXPECT_EQ(Call("POST", "/api/v1/session", "", R"({"token":"ctl_nope"})").status, 401);
  Reply login = Call("POST", "/api/v1/session", "", R"({"token":")" + tokens_["operator"] + R"("})");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie = login.headers.find("Set-Cookie")->second;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string session = cookie.substr(0, cookie.find(';'));
  std::string csrf = login.json["csrf"];
  httplib::Headers with_cookie{{"Cookie", session}};
  EXPECT_EQ(Call("GET", "/api/v1/session", "", "", with_cookie).json["user"], "olga");
  Reply no_csrf = Call("POST", "/api/v1/streams/S/pause", "", "{}", with_cookie);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_NE(no_csrf.body.find("CSRF"), std::string::npos);
  httplib::Headers both{{"Cookie", session}, {"X-CSRF-Token", csrf}};
  EXPECT_EQ(Call("POST", "/api/v1/streams/S/pause", "", "{}", both).status, 200);
  EXPECT_EQ(Call("DELETE", "/api/v1/session", "", "", both).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/session", "", "", with_cookie).status, 401);
  // The pause went through the same path as `ctlflow pause`.
  EXPECT_NE(Ctl({"sql", "SELECT strem_nm FROM cntl_af.cntl_strem_state WHERE paused = 1"}).out.find("S"), std::string::npos);
}

TEST_F(ServerTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  auto expect_400 = [&](const std::string& method, const std::string& path, const std::string& body,
                        const std::string& text) {
    Reply r = Call(method, path, "admin", body);
    EXPECT_EQ(r.status, 400) << path << " " << body << ": " << r.body;
    EXPECT_NE(r.json["error"]["message"].get<std::string>().find(text), std::string::npos) << r.body;
  };
  expect_400("POST", "/api/v1/streams/S/trigger", R"({"date":"2024-01-01","when":1})", "unknown field 'when'");
  expect_400("POST", "/api/v1/streams/S/trigger", R"({"date":20240101})", "field 'date': expected a string");
  expect_400("POST", "/api/v1/streams/S/trigger", R"({"date":"2024-02-30"})", "is not a date");
  expect_400("POST", "/api/v1/streams/S/trigger", "not json", "JSON object");
  expect_400("POST", "/api/v1/tables/cntl_cfg_prcs", R"({"rows":[{"prcs_nm":"P1","colour":"red"}]})", "colour");
  expect_400("POST", "/api/v1/tables/cntl_cfg_prcs", R"({"rows":[{"prcs_nm":"P1","prir":"high"}]})", "prir");
  Reply typed = Call("POST", "/api/v1/tables/cntl_cfg_prcs", "admin", R"({"rows":[{"prcs_nm":"P1","prir":"high"}]})");
  EXPECT_EQ(typed.json["error"]["field"], "prir");
  // A cycle through another stream is found by the same validation as apply.
  expect_400("POST", "/api/v1/tables/cntl_cfg_prcs_depn", R"({"rows":[{"prcs_nm":"P1","dpnd_prcs_nm":"Q1"}]})",
             "cycle");
  expect_400("GET", "/api/v1/runs?limit=0", "", "query parameter 'limit'");
  EXPECT_EQ(Call("GET", "/api/v1/streams/NOPE", "admin").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/tables/cntl_cfg_log", "admin").status, 404);
  // Deleting a group that processes use leaves a dangling reference: refused.
  Reply del = Call("DELETE", "/api/v1/tables/cntl_cfg_prcs_grp?key=G", "admin");
  EXPECT_EQ(del.status, 400) << del.body;
  auto depn = Call("GET", "/api/v1/tables/cntl_cfg_prcs_depn", "viewer").json["rows"];
  EXPECT_EQ(depn.size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/tables/cntl_cfg_prcs_grp", "viewer").json["rows"].size(), 2u);
}

TEST_F(ServerTest, ControlTablesAreEditedLikeApplyAndEveryWriteIsAudited) {
  Reply dry = Call("POST", "/api/v1/tables/cntl_cfg_strem", "admin",
                   R"({"rows":[{"strem_nm":"NEW","descr":"from the API"}],"dry_run":true})");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json["tables"][0]["inserted"][0], "NEW");
  EXPECT_EQ(Call("GET", "/api/v1/streams/NEW", "viewer").status, 404);  // dry run: nothing changed
  ASSERT_EQ(Call("POST", "/api/v1/tables/cntl_cfg_strem", "admin", R"({"rows":[{"strem_nm":"NEW"}]})").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/streams/NEW", "viewer").status, 200);

  // New process like P1: the seed's template build.
  Reply like = Call("POST", "/api/v1/processes/P1/copy", "admin", R"({"name":"P9","set":{"prir":"3"}})");
  ASSERT_EQ(like.status, 201) << like.body;
  EXPECT_NE(Ctl({"export"}).out.find("P9"), std::string::npos);
  Reply twice = Call("POST", "/api/v1/processes/P1/copy", "admin", R"({"name":"P9"})");
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("already exists"), std::string::npos);

  // A CSV upload previews its diff, then applies.
  std::string csv = "strem_nm,descr\nNEW,changed\nCSV1,added\n";
  httplib::Client client("127.0.0.1", port_);
  Reply preview = Call("POST", "/api/v1/tables/cntl_cfg_strem/csv?dry_run=1", "admin", csv, {}, "text/csv");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(preview.json["tables"][0]["inserted"][0], "CSV1");
  EXPECT_EQ(preview.json["tables"][0]["updated"][0], "NEW");
  EXPECT_EQ(Call("GET", "/api/v1/streams/CSV1", "viewer").status, 404);
  ASSERT_EQ(Call("POST", "/api/v1/tables/cntl_cfg_strem/csv", "admin", csv, {}, "text/csv").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/streams/CSV1", "viewer").status, 200);
  Reply bad_csv = Call("POST", "/api/v1/tables/cntl_cfg_strem/csv", "admin", "strem_nm,max_active_runs\nX,many\n",
                       {}, "text/csv");
  EXPECT_EQ(bad_csv.status, 400);
  EXPECT_NE(bad_csv.body.find("upload.csv:2"), std::string::npos) << bad_csv.body;

  ASSERT_EQ(Call("DELETE", "/api/v1/tables/cntl_cfg_strem?key=CSV1", "admin").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/streams/CSV1", "viewer").status, 404);

  // Who did what, newest first; refused writes are recorded too.
  EXPECT_EQ(Call("POST", "/api/v1/streams/S/trigger", "viewer", "{}").status, 403);
  auto audit = Call("GET", "/api/v1/audit?limit=50", "admin").json["items"];
  ASSERT_GE(audit.size(), 7u);
  EXPECT_EQ(audit[0]["user_nm"], "vic");
  EXPECT_EQ(audit[0]["outcome"], "403 forbidden");
  bool saw_like = false;
  for (const auto& a : audit) saw_like |= a["user_nm"] == "ada" && a["action"] == "POST /api/v1/processes/{process}/copy";
  EXPECT_TRUE(saw_like) << audit.dump(2);
  EXPECT_EQ(Call("GET", "/api/v1/audit", "operator").status, 403);
}

// Control tables come a page at a time, searchable; and a change made by
// another process (here `ctlflow apply`) is seen by the next request, though
// the server keeps the parsed tables between requests.
TEST_F(ServerTest, TablesArePagedAndChangesFromOtherProcessesShowAtOnce) {
  EXPECT_EQ(Call("GET", "/api/v1/streams/BIG", "viewer").status, 404);
  std::string yaml = "cntl_cfg_strem:\n  - {strem_nm: BIG}\ncntl_cfg_prcs_grp:\n  - {prcs_grp: BG, strem_nm: BIG}\n"
                     "cntl_cfg_prcs:\n";
  for (int i = 0; i < 150; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "BP%03d", i);
    yaml += std::string("  - {prcs_nm: ") + name + ", prcs_grp: BG, prir: 1, prcs_typ: 3, af_path_nm: /bin/true}\n";
  }
  ASSERT_EQ(Ctl({"apply", WriteFile("big.yaml", yaml)}).exit_code, 0);
  Reply big = Call("GET", "/api/v1/streams/BIG", "viewer");
  ASSERT_EQ(big.status, 200) << big.body;
  EXPECT_EQ(big.json["processes"], 150);
  int process_nodes = 0;
  Reply graph = Call("GET", "/api/v1/streams/BIG/graph", "viewer");
  for (const auto& n : graph.json["nodes"]) process_nodes += n["kind"] == "process";
  EXPECT_EQ(process_nodes, 150) << graph.body.substr(0, 400);

  Reply first = Call("GET", "/api/v1/tables/cntl_cfg_prcs", "viewer");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json["rows"].size(), 100u);  // the default page
  EXPECT_EQ(first.json["total"], 153);
  Reply rest = Call("GET", "/api/v1/tables/cntl_cfg_prcs?limit=100&offset=100", "viewer");
  EXPECT_EQ(rest.json["rows"].size(), 53u);
  EXPECT_NE(first.json["rows"][99]["prcs_nm"], rest.json["rows"][0]["prcs_nm"]);
  Reply found = Call("GET", "/api/v1/tables/cntl_cfg_prcs?q=bp14", "viewer");
  ASSERT_EQ(found.json["rows"].size(), 10u) << found.body;  // BP140..BP149, case-insensitive
  EXPECT_EQ(found.json["total"], 10);
  Reply bad = Call("GET", "/api/v1/tables/cntl_cfg_prcs?limit=0", "viewer");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("limit"), std::string::npos) << bad.body;

  // A deletion shows too: Q1 of T no longer waits for P1 of S.
  EXPECT_EQ(Call("GET", "/api/v1/streams/S/graph", "viewer").json["dependents"].size(), 1u);
  ASSERT_EQ(Ctl({"apply", "--prune", WriteFile("small.yaml", "cntl_cfg_prcs_depn: []\n")}).exit_code, 0);
  EXPECT_EQ(Call("GET", "/api/v1/streams/S/graph", "viewer").json["dependents"].size(), 0u);
}

TEST_F(ServerTest, RunsAttemptsAndLogsAreThoseTheCliShows) {
  // A foreground run (as `ctlflow run`): P1 succeeds, P2 fails.
  EXPECT_EQ(Ctl({"run", "S", "--date", "2024-03-01"}).exit_code, 1);
  Reply runs = Call("GET", "/api/v1/runs?stream=S", "viewer");
  ASSERT_EQ(runs.json["items"].size(), 1u);
  int64_t run_id = runs.json["items"][0]["run_id"];
  EXPECT_EQ(runs.json["items"][0]["status_name"], "failed");
  std::string base = "/api/v1/runs/" + std::to_string(run_id);
  auto attempts = Call("GET", base + "/attempts", "viewer").json["items"];
  ASSERT_EQ(attempts.size(), 2u);
  Reply log = Call("GET", base + "/attempts/P1/1/log", "viewer");
  EXPECT_NE(log.json["text"].get<std::string>().find("hello from P1"), std::string::npos) << log.body;
  EXPECT_TRUE(log.json["finished"]);
  // Tailing from the end returns nothing new.
  Reply tail = Call("GET", base + "/attempts/P1/1/log?offset=" + std::to_string(log.json["next_offset"].get<int64_t>()), "viewer");
  EXPECT_EQ(tail.json["text"], "");
  Reply failed = Call("GET", base + "/attempts/P2/1/log", "viewer");
  EXPECT_NE(failed.json["text"].get<std::string>().find("broken"), std::string::npos);
  EXPECT_EQ(Call("GET", base + "/attempts/P2/1/notebook", "viewer").status, 404);
  // The log table, searched.
  auto found = Call("GET", "/api/v1/attempts?q=p2&status=99", "viewer").json["items"];
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["prcs_nm"], "P2");

  // Grid and graph.
  Reply grid = Call("GET", "/api/v1/streams/S/grid", "viewer");
  EXPECT_EQ(grid.json["runs"][0]["cells"]["P2"]["status"], 99);
  Reply graph = Call("GET", "/api/v1/streams/S/graph", "viewer");
  EXPECT_EQ(graph.json["dependents"][0]["strem_nm"], "T");  // Q1 of T waits for P1
  EXPECT_EQ(graph.json["groups"][0]["prcs_grp"], "G");

  // Clear the failed process (as `ctlflow clear --failed`), then operate.
  Reply clear = Call("POST", "/api/v1/streams/S/clear", "operator", R"({"date":"2024-03-01","failed_only":true})");
  ASSERT_EQ(clear.status, 200) << clear.body;
  EXPECT_EQ(clear.json["cleared"], nlohmann::json::array({"P2"}));
  Reply trig = Call("POST", "/api/v1/streams/S/trigger", "operator", R"({"date":"2024-03-02","params":{"k":"v"}})");
  ASSERT_EQ(trig.status, 201) << trig.body;
  int64_t queued = trig.json["run_id"];
  Reply cancel = Call("POST", "/api/v1/runs/" + std::to_string(queued) + "/cancel", "operator", "{}");
  EXPECT_EQ(cancel.status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/runs/" + std::to_string(queued) + "/cancel", "operator", "{}").status, 400);
  nlohmann::json cli_runs = Ctl({"runs", "--json"}).Json();
  ASSERT_EQ(cli_runs.size(), 2u);
  EXPECT_EQ(cli_runs[1]["status"], 97);
  EXPECT_EQ(cli_runs[1]["params"]["k"], "v");

  // Paging: newest first, with `more`.
  for (int d = 3; d <= 5; ++d) {
    ASSERT_EQ(Call("POST", "/api/v1/streams/T/trigger", "operator", R"({"date":"2024-03-0)" + std::to_string(d) + R"("})").status, 201);
  }
  Reply page1 = Call("GET", "/api/v1/runs?limit=2", "viewer");
  EXPECT_EQ(page1.json["items"][0]["data_dt"], "2024-03-05");
  EXPECT_TRUE(page1.json["more"]);
  Reply page3 = Call("GET", "/api/v1/runs?limit=2&offset=4", "viewer");
  EXPECT_EQ(page3.json["items"].size(), 1u);
  EXPECT_FALSE(page3.json["more"]);
  EXPECT_EQ(Call("GET", "/api/v1/runs?status=cancelled", "viewer").json["items"].size(), 1u);
}

TEST_F(ServerTest, ConnectionSecretsAreNeverReturned) {
  // A password in the URL is refused (as by `connection add`), and the
  // refused body is audited with the URL masked.
  Reply inline_secret = Call("POST", "/api/v1/connections", "admin",
                             R"({"conn_nm":"dw","conn_typ":"postgres","url":"postgresql://etl:hunter2@db.example/dw"})");
  EXPECT_EQ(inline_secret.status, 400);
  EXPECT_EQ(inline_secret.body.find("hunter2"), std::string::npos);
  Reply add = Call("POST", "/api/v1/connections", "admin",
                   R"({"conn_nm":"dw","conn_typ":"postgres","url":"postgresql://etl@db.example/dw","password_env":"DW_PW"})");
  ASSERT_EQ(add.status, 200) << add.body;
  Reply list = Call("GET", "/api/v1/connections", "viewer");
  EXPECT_EQ(list.body.find("hunter2"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"dw\""), std::string::npos);
  Reply audit = Call("GET", "/api/v1/audit", "admin");
  EXPECT_EQ(audit.body.find("hunter2"), std::string::npos) << audit.body;
  EXPECT_EQ(Call("POST", "/api/v1/connections", "admin", R"({"conn_nm":"x","conn_typ":"mongo","url":"u"})").status, 400);
  EXPECT_EQ(Call("DELETE", "/api/v1/connections/dw", "admin").status, 200);
  Reply metrics = Call("GET", "/api/v1/metrics", "viewer");
  EXPECT_NE(metrics.body.find("ctlflow_http_requests_total"), std::string::npos);
}

// The role policy written out by hand, apart from the route table and
// openapi.json: changing a route's role in both of those still fails here,
// and a new route fails until it is added to this table.
TEST_F(ServerTest, EveryRouteNeedsTheRoleTheWrittenPolicySays) {
  struct Rule {
    const char* method;
    const char* path;
    const char* role;  // "" = no login needed
  };
  const Rule policy[] = {
      {"GET", "/api/v1/health", ""},
      {"GET", "/api/v1/openapi.json", ""},
      {"POST", "/api/v1/session", ""},
      {"GET", "/api/v1/session", "viewer"},
      {"DELETE", "/api/v1/session", "viewer"},
      {"GET", "/api/v1/metrics", "viewer"},
      {"GET", "/api/v1/streams", "viewer"},
      {"GET", "/api/v1/streams/{stream}", "viewer"},
      {"GET", "/api/v1/streams/{stream}/graph", "viewer"},
      {"GET", "/api/v1/streams/{stream}/grid", "viewer"},
      {"POST", "/api/v1/streams/{stream}/trigger", "operator"},
      {"POST", "/api/v1/streams/{stream}/pause", "operator"},
      {"POST", "/api/v1/streams/{stream}/unpause", "operator"},
      {"POST", "/api/v1/streams/{stream}/clear", "operator"},
      {"GET", "/api/v1/runs", "viewer"},
      {"GET", "/api/v1/runs/{run_id}", "viewer"},
      {"GET", "/api/v1/runs/{run_id}/attempts", "viewer"},
      {"POST", "/api/v1/runs/{run_id}/cancel", "operator"},
      {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}", "viewer"},
      {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}/log", "viewer"},
      {"GET", "/api/v1/runs/{run_id}/attempts/{process}/{attempt}/notebook", "viewer"},
      {"GET", "/api/v1/attempts", "viewer"},
      {"GET", "/api/v1/tables", "viewer"},
      {"GET", "/api/v1/tables/{table}", "viewer"},
      {"POST", "/api/v1/tables/{table}", "admin"},
      {"DELETE", "/api/v1/tables/{table}", "admin"},
      {"POST", "/api/v1/tables/{table}/csv", "admin"},
      {"POST", "/api/v1/processes/{process}/copy", "admin"},
      {"GET", "/api/v1/connections", "viewer"},
      {"POST", "/api/v1/connections", "admin"},
      {"DELETE", "/api/v1/connections/{conn}", "admin"},
      {"POST", "/api/v1/connections/{conn}/test", "operator"},
      {"GET", "/api/v1/lakehouse/tables", "viewer"},
      {"GET", "/api/v1/lakehouse/tables/{table}/snapshots", "viewer"},
      {"POST", "/api/v1/lakehouse/tables/{table}/delete-partition", "admin"},
      {"GET", "/api/v1/audit", "admin"},
  };
  std::set<std::string> written, documented;
  for (const auto& rule : policy) written.insert(std::string(rule.method) + " " + rule.path);
  nlohmann::json doc = Call("GET", "/api/v1/openapi.json", "").json;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method, op] : ops.items()) {
      (void)op;
      std::string upper = method;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(upper + " " + path);
    }
  }
  EXPECT_EQ(written, documented) << "every route needs a line in this policy";

  const std::map<std::string, int> rank{{"viewer", 0}, {"operator", 1}, {"admin", 2}};
  int checked = 0;
  for (const auto& rule : policy) {
    std::string concrete = std::regex_replace(rule.path, std::regex(R"(\{run_id\}|\{attempt\})"), "1");
    concrete = std::regex_replace(concrete, std::regex(R"(\{stream\})"), "S");
    concrete = std::regex_replace(concrete, std::regex(R"(\{[a-z_]+\})"), "X");
    const std::string what = std::string(rule.method) + " " + concrete;
    const std::string body = std::string(rule.method) == "GET" ? "" : "{}";
    Reply anonymous = Call(rule.method, concrete, "", body);
    if (std::string(rule.role).empty()) {
      EXPECT_NE(anonymous.status, 401) << what;
      EXPECT_NE(anonymous.status, 403) << what;
      EXPECT_GT(anonymous.status, 0) << what;
      EXPECT_LT(anonymous.status, 500) << what << ": " << anonymous.body;
      continue;
    }
    EXPECT_EQ(anonymous.status, 401) << what << ": " << anonymous.body;
    for (const auto& [role, r] : rank) {
      Reply reply = Call(rule.method, concrete, role, body);
      EXPECT_GT(reply.status, 0) << what << " as " << role;
      EXPECT_LT(reply.status, 500) << what << " as " << role << ": " << reply.body;
      if (r >= rank.at(rule.role)) {
        EXPECT_NE(reply.status, 403) << what << " as " << role << ": " << reply.body;
        EXPECT_NE(reply.status, 401) << what << " as " << role << ": " << reply.body;
      } else {
        EXPECT_EQ(reply.status, 403) << what << " as " << role << ": " << reply.body;
        EXPECT_NE(reply.body.find(std::string("needs the role ") + rule.role), std::string::npos) << reply.body;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 33 * 3);
}

TEST_F(ServerTest, SecureCookieFlagMarksTheSessionCookieSecure) {
  Reply plain = Call("POST", "/api/v1/session", "", R"({"token":")" + tokens_["viewer"] + R"("})");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.headers.find("Set-Cookie")->second.find("Secure"), std::string::npos);

  int pid = 0;
  int port = StartServer({"--secure-cookie"}, "secure", &pid);
  ASSERT_GT(port, 0) << ReadFile(scratch_ + "/.secure.stderr");
  Reply login = CallAt(port, "POST", "/api/v1/session", "", R"({"token":")" + tokens_["viewer"] + R"("})");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie = login.headers.find("Set-Cookie")->second;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  httplib::Headers both{{"Cookie", cookie.substr(0, cookie.find(';'))}, {"X-CSRF-Token", login.json["csrf"]}};
  Reply logout = CallAt(port, "DELETE", "/api/v1/session", "", "", both);
  ASSERT_EQ(logout.status, 200) << logout.body;
  EXPECT_NE(logout.headers.find("Set-Cookie")->second.find("; Secure"), std::string::npos);
  kill(pid, SIGTERM);
  EXPECT_EQ(Finish(pid, "secure").exit_code, 0);
}

// A revoked token is refused at once, and so is a browser session opened
// with it; a session follows the user's role as it changes.
TEST_F(ServerTest, RevokedTokensAndTheirSessionsAreRefused) {
  Reply login = Call("POST", "/api/v1/session", "", R"({"token":")" + tokens_["operator"] + R"("})");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie = login.headers.find("Set-Cookie")->second;
  httplib::Headers session{{"Cookie", cookie.substr(0, cookie.find(';'))}, {"X-CSRF-Token", login.json["csrf"]}};
  ASSERT_EQ(Call("POST", "/api/v1/streams/S/pause", "", "{}", session).status, 200);

  std::map<std::string, int64_t> token_of;
  for (const auto& t : Ctl({"token", "list", "--json"}).Json()) token_of[t["user_nm"]] = t["token_id"];
  ASSERT_EQ(token_of.size(), 3u);
  ASSERT_EQ(Call("GET", "/api/v1/streams", "viewer").status, 200);
  ASSERT_EQ(Ctl({"token", "revoke", std::to_string(token_of["vic"])}).exit_code, 0);
  Reply revoked = Call("GET", "/api/v1/streams", "viewer");
  EXPECT_EQ(revoked.status, 401) << revoked.body;
  EXPECT_EQ(revoked.json["error"]["code"], "unauthenticated");
  EXPECT_EQ(Call("POST", "/api/v1/session", "", R"({"token":")" + tokens_["viewer"] + R"("})").status, 401);

  // olga becomes a viewer: her open session may read, no longer pause.
  ASSERT_EQ(Ctl({"user", "add", "olga", "--role", "viewer"}).exit_code, 0);
  EXPECT_EQ(Call("GET", "/api/v1/session", "", "", session).json["role"], "viewer");
  Reply demoted = Call("POST", "/api/v1/streams/S/unpause", "", "{}", session);
  EXPECT_EQ(demoted.status, 403) << demoted.body;
  ASSERT_EQ(Ctl({"token", "revoke", std::to_string(token_of["olga"])}).exit_code, 0);
  Reply ended = Call("GET", "/api/v1/session", "", "", session);
  EXPECT_EQ(ended.status, 401) << ended.body;
  EXPECT_NE(ended.json["error"]["message"].get<std::string>().find("revoked"), std::string::npos) << ended.body;
  // The admin's token is untouched.
  EXPECT_EQ(Call("GET", "/api/v1/audit", "admin").status, 200);
}

TEST_F(ServerTest, StreamsAreSearchedAndPagedWithATotal) {
  ASSERT_EQ(Ctl({"apply", WriteFile("more.yaml", "cntl_cfg_strem:\n  - {strem_nm: Sales_EU}\n  - {strem_nm: sales_us}\n"
                                                 "  - {strem_nm: HR, descr: monthly SALES commissions}\n")})
                .exit_code,
            0);
  Reply all = Call("GET", "/api/v1/streams", "viewer");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json["total"], 5);
  EXPECT_EQ(all.json["items"].size(), 5u);

  // Name or description, any case.
  Reply found = Call("GET", "/api/v1/streams?q=sales", "viewer");
  EXPECT_EQ(found.json["total"], 3) << found.body;
  std::set<std::string> names;
  for (const auto& s : found.json["items"]) names.insert(s["strem_nm"]);
  EXPECT_EQ(names, (std::set<std::string>{"Sales_EU", "sales_us", "HR"}));

  Reply first = Call("GET", "/api/v1/streams?q=sales&limit=2", "viewer");
  Reply second = Call("GET", "/api/v1/streams?q=sales&limit=2&offset=2", "viewer");
  ASSERT_EQ(first.json["items"].size(), 2u) << first.body;
  ASSERT_EQ(second.json["items"].size(), 1u) << second.body;
  EXPECT_EQ(first.json["total"], 3);
  EXPECT_EQ(second.json["total"], 3);
  EXPECT_EQ(second.json["offset"], 2);
  std::set<std::string> paged{first.json["items"][0]["strem_nm"], first.json["items"][1]["strem_nm"],
                              second.json["items"][0]["strem_nm"]};
  EXPECT_EQ(paged, names);
  EXPECT_EQ(Call("GET", "/api/v1/streams?q=nothing-like-this", "viewer").json["total"], 0);
  EXPECT_EQ(Call("GET", "/api/v1/streams?offset=9", "viewer").json["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/streams?limit=0", "viewer").status, 400);
}

// Seconds since the epoch of "YYYY-MM-DD HH:MM:SS" read as UTC.
int64_t UtcSeconds(const std::string& text) {
  std::tm tm{};
  EXPECT_TRUE(strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) << text;
  return static_cast<int64_t>(timegm(&tm));
}

std::string UtcDate(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[16];
  std::strftime(out, sizeof out, "%Y-%m-%d", &tm);
  return out;
}

// A schedule and a group edited through the API, and the stream facts the
// UI shows from them: the schedule in words, the next run in UTC and in the
// schedule's zone, and the date that run will cover.
TEST_F(ServerTest, SchedulesAndGroupsAreEditedAndTheStreamSaysWhenItRunsNext) {
  EXPECT_TRUE(Call("GET", "/api/v1/streams/S", "viewer").json["schedule"].is_null());
  // Asia/Kolkata is UTC+05:30 all year: 06:00 there is 00:30 UTC the same day.
  Reply add = Call("POST", "/api/v1/tables/cntl_cfg_schedule", "admin",
                   R"({"rows":[{"prcs_nm":"S","minutes":"0","hours":"6","day_month":"*","months":"*",)"
                   R"("tz":"Asia/Kolkata"}]})");
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_EQ(add.json["tables"][0]["table"], "cntl_cfg_schedule");
  EXPECT_EQ(add.json["tables"][0]["inserted"], nlohmann::json::array({"S"}));
  auto rows = Call("GET", "/api/v1/tables/cntl_cfg_schedule", "viewer").json["rows"];
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["prcs_nm"], "S");
  EXPECT_EQ(rows[0]["hours"], "6");
  EXPECT_EQ(rows[0]["tz"], "Asia/Kolkata");

  int64_t before = std::time(nullptr);
  Reply stream = Call("GET", "/api/v1/streams/S", "viewer");
  int64_t after = std::time(nullptr);
  ASSERT_EQ(stream.status, 200) << stream.body;
  const auto& schedule = stream.json["schedule"];
  EXPECT_EQ(schedule["words"], "every day at 06:00");
  EXPECT_EQ(schedule["cron"], "0 6 * * *");
  EXPECT_EQ(schedule["tz"], "Asia/Kolkata");
  EXPECT_EQ(schedule["active"], true);
  std::string utc = schedule["next_run_utc"];
  ASSERT_EQ(utc.size(), 20u) << utc;
  EXPECT_EQ(utc.substr(10), " 00:30:00Z");
  int64_t next = UtcSeconds(utc.substr(0, 19));
  EXPECT_GE(next, before);
  EXPECT_LE(next, after + 86400);
  EXPECT_EQ(schedule["next_run_local"], utc.substr(0, 10) + " 06:00:00");
  // The run at 06:00 covers the day before, from 06:00 to 06:00.
  EXPECT_EQ(schedule["next_data_dt"], UtcDate(next - 86400));
  // The list says the same, and a run of the stream carries its zone.
  Reply listed = Call("GET", "/api/v1/streams?q=S&limit=1", "viewer");
  EXPECT_EQ(listed.json["items"][0]["schedule"]["next_run_utc"], utc);
  Reply run = Call("POST", "/api/v1/streams/S/trigger", "operator", R"({"date":"2024-04-01"})");
  ASSERT_EQ(run.status, 201) << run.body;
  EXPECT_EQ(Call("GET", "/api/v1/runs/" + std::to_string(run.json["run_id"].get<int64_t>()), "viewer").json["tz"],
            "Asia/Kolkata");

  // An update: weekdays at 07:15; then switched off.
  Reply change = Call("POST", "/api/v1/tables/cntl_cfg_schedule", "admin",
                      R"({"rows":[{"prcs_nm":"S","minutes":"15","hours":"7","day_month":"*","months":"*",)"
                      R"("day_week":"1-5","tz":"Asia/Kolkata"}]})");
  ASSERT_EQ(change.status, 200) << change.body;
  EXPECT_EQ(change.json["tables"][0]["updated"], nlohmann::json::array({"S"}));
  auto weekdays = Call("GET", "/api/v1/streams/S", "viewer").json["schedule"];
  EXPECT_EQ(weekdays["words"], "at 07:15 on Mon-Fri");
  EXPECT_EQ(weekdays["next_run_local"].get<std::string>().substr(10), " 07:15:00");
  EXPECT_EQ(weekdays["next_run_utc"].get<std::string>().substr(10), " 01:45:00Z");
  ASSERT_EQ(Call("POST", "/api/v1/tables/cntl_cfg_schedule", "admin",
                 R"({"rows":[{"prcs_nm":"S","minutes":"15","hours":"7","day_month":"*","months":"*",)"
                 R"("day_week":"1-5","tz":"Asia/Kolkata","act_f":0}]})")
                .status,
            200);
  auto off = Call("GET", "/api/v1/streams/S", "viewer").json["schedule"];
  EXPECT_EQ(off["active"], false);
  EXPECT_FALSE(off.contains("next_run_utc")) << off.dump();

  // A zone that does not exist, or a stream that does not, is refused by name.
  Reply bad_tz = Call("POST", "/api/v1/tables/cntl_cfg_schedule", "admin",
                      R"({"rows":[{"prcs_nm":"T","minutes":"0","hours":"6","day_month":"*","months":"*",)"
                      R"("tz":"Mars/Olympus_Mons"}]})");
  EXPECT_EQ(bad_tz.status, 400);
  EXPECT_NE(bad_tz.body.find("Mars/Olympus_Mons"), std::string::npos) << bad_tz.body;
  Reply bad_stream = Call("POST", "/api/v1/tables/cntl_cfg_schedule", "admin",
                          R"({"rows":[{"prcs_nm":"NOPE","minutes":"0","hours":"6","day_month":"*","months":"*"}]})");
  EXPECT_EQ(bad_stream.status, 400);
  EXPECT_NE(bad_stream.body.find("NOPE"), std::string::npos) << bad_stream.body;
  ASSERT_EQ(Call("DELETE", "/api/v1/tables/cntl_cfg_schedule?key=S", "admin").status, 200);
  EXPECT_TRUE(Call("GET", "/api/v1/streams/S", "viewer").json["schedule"].is_null());

  // Groups: added to S, moved to T, removed.
  Reply group = Call("POST", "/api/v1/tables/cntl_cfg_prcs_grp", "admin",
                     R"({"rows":[{"prcs_grp":"G2","strem_nm":"S","prir":2}]})");
  ASSERT_EQ(group.status, 200) << group.body;
  EXPECT_EQ(group.json["tables"][0]["inserted"], nlohmann::json::array({"G2"}));
  auto groups = Call("GET", "/api/v1/streams/S/graph", "viewer").json["groups"];
  ASSERT_EQ(groups.size(), 2u) << groups.dump();
  EXPECT_EQ(groups[1]["prcs_grp"], "G2");
  EXPECT_EQ(groups[1]["prir"], 2);
  EXPECT_EQ(Call("GET", "/api/v1/streams/S", "viewer").json["groups"], 2);
  Reply moved = Call("POST", "/api/v1/tables/cntl_cfg_prcs_grp", "admin",
                     R"({"rows":[{"prcs_grp":"G2","strem_nm":"T","prir":2}]})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json["tables"][0]["updated"], nlohmann::json::array({"G2"}));
  EXPECT_EQ(Call("GET", "/api/v1/streams/S", "viewer").json["groups"], 1);
  EXPECT_EQ(Call("GET", "/api/v1/streams/T", "viewer").json["groups"], 2);
  Reply orphan = Call("POST", "/api/v1/tables/cntl_cfg_prcs_grp", "admin",
                      R"({"rows":[{"prcs_grp":"G3","strem_nm":"NOPE"}]})");
  EXPECT_EQ(orphan.status, 400);
  EXPECT_NE(orphan.body.find("NOPE"), std::string::npos) << orphan.body;
  Reply removed = Call("DELETE", "/api/v1/tables/cntl_cfg_prcs_grp?key=G2", "admin");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.json["tables"][0]["deleted"], nlohmann::json::array({"G2"}));
  EXPECT_EQ(Call("GET", "/api/v1/tables/cntl_cfg_prcs_grp", "viewer").json["total"], 2);
}

TEST_F(ServerTest, RunsAndAttemptsAreFilteredAndOneAttemptIsShown) {
  EXPECT_EQ(Ctl({"run", "S", "--date", "2024-03-01"}).exit_code, 1);
  EXPECT_EQ(Ctl({"run", "S", "--date", "2024-03-02"}).exit_code, 1);
  CliResult t = Ctl({"run", "T", "--date", "2024-03-01"});
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;

  auto dated = Call("GET", "/api/v1/runs?date=2024-03-01", "viewer").json["items"];
  ASSERT_EQ(dated.size(), 2u) << dated.dump();
  for (const auto& r : dated) EXPECT_EQ(r["data_dt"], "2024-03-01");
  auto one = Call("GET", "/api/v1/runs?date=2024-03-02&stream=S", "viewer").json["items"];
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["strem_nm"], "S");
  EXPECT_EQ(one[0]["status_name"], "failed");
  EXPECT_EQ(Call("GET", "/api/v1/runs?date=2024-03-09", "viewer").json["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/runs?date=03/01/2024", "viewer").status, 400);

  auto of_t = Call("GET", "/api/v1/attempts?stream=T", "viewer").json["items"];
  ASSERT_EQ(of_t.size(), 1u);
  EXPECT_EQ(of_t[0]["prcs_nm"], "Q1");
  EXPECT_EQ(of_t[0]["status"], 0);
  auto p1 = Call("GET", "/api/v1/attempts?process=P1", "viewer").json["items"];
  ASSERT_EQ(p1.size(), 2u);
  EXPECT_EQ(p1[0]["data_dt"], "2024-03-02");  // newest first
  EXPECT_EQ(p1[1]["data_dt"], "2024-03-01");
  auto second_day = Call("GET", "/api/v1/attempts?date=2024-03-02", "viewer").json["items"];
  ASSERT_EQ(second_day.size(), 2u);
  std::set<std::string> names;
  for (const auto& a : second_day) {
    names.insert(a["prcs_nm"]);
    EXPECT_EQ(a["data_dt"], "2024-03-02");
  }
  EXPECT_EQ(names, (std::set<std::string>{"P1", "P2"}));
  auto exact = Call("GET", "/api/v1/attempts?stream=S&process=P2&date=2024-03-01", "viewer").json["items"];
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0]["status"], 99);
  EXPECT_EQ(Call("GET", "/api/v1/attempts?stream=T&process=P1", "viewer").json["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/attempts?date=yesterday", "viewer").status, 400);

  // One attempt, with what there is to open.
  std::string base = "/api/v1/runs/" + std::to_string(exact[0]["run_id"].get<int64_t>());
  Reply failed = Call("GET", base + "/attempts/P2/1", "viewer");
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(failed.json["prcs_nm"], "P2");
  EXPECT_EQ(failed.json["strem_nm"], "S");
  EXPECT_EQ(failed.json["data_dt"], "2024-03-01");
  EXPECT_EQ(failed.json["attempt"], 1);
  EXPECT_EQ(failed.json["status"], 99);
  EXPECT_EQ(failed.json["status_name"], "failed");
  EXPECT_EQ(failed.json["has_log"], true);
  EXPECT_EQ(failed.json["has_notebook"], false);
  EXPECT_EQ(Call("GET", base + "/attempts/P1/1", "viewer").json["status_name"], "success");
  Reply missing = Call("GET", base + "/attempts/P1/2", "viewer");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.json["error"]["message"].get<std::string>().find("no attempt 2 of process P1"), std::string::npos);

  // Pause, then unpause: the stream and the store say so.
  ASSERT_EQ(Call("POST", "/api/v1/streams/S/pause", "operator", "{}").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/streams/S", "viewer").json["paused"], true);
  Reply unpause = Call("POST", "/api/v1/streams/S/unpause", "operator", "{}");
  ASSERT_EQ(unpause.status, 200) << unpause.body;
  EXPECT_EQ(unpause.json["paused"], false);
  EXPECT_EQ(Call("GET", "/api/v1/streams/S", "viewer").json["paused"], false);
  nlohmann::json paused =
      Ctl({"sql", "--json", "SELECT COUNT(*) AS n FROM cntl_af.cntl_strem_state WHERE paused = 1"}).Json();
  ASSERT_EQ(paused.size(), 1u) << paused.dump();
  EXPECT_EQ(paused[0]["n"], 0);
}

// Paging a log with any max_bytes never splits a UTF-8 character, always
// moves on, and the slices add up to the whole log.
TEST_F(ServerTest, LogSlicesKeepUtf8CharactersWhole) {
  std::string text = "START a\xC3\xA9 b\xE2\x9C\x93 c\xF0\x9F\x98\x80 \xC3\xA9\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80 END\n";
  ASSERT_EQ(Ctl({"apply", WriteFile("u.yaml", "cntl_cfg_strem:\n  - {strem_nm: U}\n"
                                              "cntl_cfg_prcs_grp:\n  - {prcs_grp: UG, strem_nm: U}\n"
                                              "cntl_cfg_prcs:\n  - {prcs_nm: UTF, prcs_grp: UG, prir: 1, prcs_typ: 3,"
                                              " af_path_nm: /bin/cat, af_parm: " + WriteFile("utf8.txt", text) + "}\n")})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"run", "U", "--date", "2024-03-01"}).exit_code, 0);
  int64_t run_id = Call("GET", "/api/v1/runs?stream=U", "viewer").json["items"][0]["run_id"];
  std::string log = "/api/v1/runs/" + std::to_string(run_id) + "/attempts/UTF/1/log";
  Reply whole = Call("GET", log, "viewer");
  ASSERT_EQ(whole.status, 200) << whole.body;
  std::string full = whole.json["text"];
  size_t start = full.find("START");
  ASSERT_NE(start, std::string::npos) << full;
  EXPECT_EQ(full.substr(start, text.size()), text);
  const std::string replacement = "\xEF\xBF\xBD";
  for (int max_bytes : {1, 2, 3, 5, 7}) {
    std::string joined;
    int64_t offset = static_cast<int64_t>(start);
    for (int calls = 0; offset < static_cast<int64_t>(full.size()); ++calls) {
      ASSERT_LT(calls, 200) << "max_bytes=" << max_bytes << " makes no progress at " << offset;
      Reply slice = Call("GET", log + "?offset=" + std::to_string(offset) + "&max_bytes=" + std::to_string(max_bytes),
                         "viewer");
      ASSERT_EQ(slice.status, 200) << slice.body;
      std::string part = slice.json["text"];
      EXPECT_EQ(part.find(replacement), std::string::npos) << "max_bytes=" << max_bytes << " split a character at "
                                                           << offset;
      EXPECT_LE(part.size(), static_cast<size_t>(std::max(max_bytes, 4)));
      ASSERT_EQ(slice.json["next_offset"].get<int64_t>(), offset + static_cast<int64_t>(part.size()));
      ASSERT_FALSE(part.empty()) << "max_bytes=" << max_bytes << " at " << offset;
      joined += part;
      offset += static_cast<int64_t>(part.size());
    }
    EXPECT_EQ(joined, full.substr(start)) << "max_bytes=" << max_bytes;
  }
  // A slice that would end inside "é" stops before it.
  size_t accent = full.find("a\xC3\xA9");
  Reply cut = Call("GET", log + "?offset=" + std::to_string(accent) + "&max_bytes=2", "viewer");
  EXPECT_EQ(cut.json["text"], "a");
  EXPECT_EQ(cut.json["next_offset"], static_cast<int64_t>(accent) + 1);
  EXPECT_EQ(Call("GET", log + "?max_bytes=0", "viewer").status, 400);
}

TEST_F(ServerTest, LakehouseTablesAndSnapshotsAreThoseTheCliShows) {
  EXPECT_EQ(Call("GET", "/api/v1/lakehouse/tables", "viewer").json["items"].size(), 0u);
  MakeCitiesStream();
  for (const char* date : {"2024-05-01", "2024-05-02"}) {
    CliResult run = Ctl({"run", "L", "--date", date});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err << Log().dump(2);
  }
  Reply tables = Call("GET", "/api/v1/lakehouse/tables", "viewer");
  ASSERT_EQ(tables.status, 200) << tables.body;
  ASSERT_EQ(tables.json["items"].size(), 1u) << tables.body;
  const auto& table = tables.json["items"][0];
  EXPECT_EQ(table["table"], "staging.cities");
  EXPECT_EQ(table["records"], 6);
  nlohmann::json cli_tables = Ctl({"lakehouse", "tables", "--json"}).Json();
  ASSERT_EQ(cli_tables.size(), 1u);
  for (const char* key : {"table", "location", "metadata_location", "snapshot_id", "records", "files", "bytes"}) {
    EXPECT_EQ(table[key], cli_tables[0][key]) << key;
  }

  Reply snapshots = Call("GET", "/api/v1/lakehouse/tables/staging.cities/snapshots", "viewer");
  ASSERT_EQ(snapshots.status, 200) << snapshots.body;
  EXPECT_EQ(snapshots.json["table"], "staging.cities");
  const auto& items = snapshots.json["items"];
  ASSERT_EQ(items.size(), 2u) << snapshots.body;
  nlohmann::json cli_snapshots = Ctl({"lakehouse", "snapshots", "staging.cities", "--json"}).Json();
  ASSERT_EQ(cli_snapshots.size(), 2u);
  int current = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    for (const char* key : {"snapshot_id", "parent_id", "sequence_number", "timestamp_ms", "operation", "current",
                            "summary"}) {
      EXPECT_EQ(items[i][key], cli_snapshots[i][key]) << i << " " << key;
    }
    current += items[i]["current"].get<bool>();
    if (items[i]["current"]) {
      EXPECT_EQ(items[i]["snapshot_id"], table["snapshot_id"]);
    }
  }
  EXPECT_EQ(current, 1);
  // The second date's commit follows the first.
  EXPECT_TRUE(items[0]["parent_id"].is_null()) << items.dump();
  EXPECT_EQ(items[1]["parent_id"], items[0]["snapshot_id"]);
  EXPECT_EQ(items[1]["summary"]["added-records"], "3") << items.dump();

  Reply unknown = Call("GET", "/api/v1/lakehouse/tables/staging.nothing/snapshots", "viewer");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_NE(unknown.body.find("staging.nothing"), std::string::npos) << unknown.body;
  Reply no_conn = Call("GET", "/api/v1/lakehouse/tables?conn=nowhere", "viewer");
  EXPECT_EQ(no_conn.status, 404) << no_conn.body;
  EXPECT_NE(no_conn.body.find("nowhere"), std::string::npos) << no_conn.body;
}

// The route behind `ctlflow lakehouse delete-partition`: admins only (it
// destroys data), bad input named by field, the same outcome as the CLI's
// --json, and audited.
TEST_F(ServerTest, LakehouseDeletePartitionRemovesOneDateLikeTheCliAndIsAudited) {
  MakeCitiesStream();
  for (const char* date : {"2024-05-01", "2024-05-02"}) ASSERT_EQ(Ctl({"run", "L", "--date", date}).exit_code, 0);
  const std::string path = "/api/v1/lakehouse/tables/staging.cities/delete-partition";
  auto snapshots = [&] { return Call("GET", "/api/v1/lakehouse/tables/staging.cities/snapshots", "viewer").json["items"]; };
  const nlohmann::json before = snapshots();
  ASSERT_EQ(before.size(), 2u);

  EXPECT_EQ(Call("POST", path, "operator", R"({"data_dt":"2024-05-01"})").status, 403);
  Reply bad_date = Call("POST", path, "admin", R"({"data_dt":"2024-05-32"})");
  EXPECT_EQ(bad_date.status, 400) << bad_date.body;
  EXPECT_EQ(bad_date.json["error"]["field"], "data_dt") << bad_date.body;
  Reply missing = Call("POST", path, "admin", R"({"dry_run":true})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json["error"]["message"], "field 'data_dt' is required") << missing.body;
  Reply bad_flag = Call("POST", path, "admin", R"({"data_dt":"2024-05-01","dry_run":"yes"})");
  EXPECT_EQ(bad_flag.json["error"]["field"], "dry_run") << bad_flag.body;
  Reply unknown = Call("POST", path, "admin", R"({"data_dt":"2024-05-01","date":"2024-05-01"})");
  EXPECT_EQ(unknown.json["error"]["field"], "date") << unknown.body;
  Reply no_table = Call("POST", "/api/v1/lakehouse/tables/staging.nothing/delete-partition", "admin",
                        R"({"data_dt":"2024-05-01"})");
  EXPECT_EQ(no_table.status, 404);
  EXPECT_NE(no_table.body.find("staging.nothing"), std::string::npos) << no_table.body;

  Reply dry = Call("POST", path, "admin", R"({"data_dt":"2024-05-01","dry_run":true})");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json["committed"], false);
  EXPECT_EQ(dry.json["records"], 3);
  EXPECT_EQ(dry.json["files"].size(), 1u);
  EXPECT_EQ(snapshots().size(), 2u);

  Reply done = Call("POST", path, "admin", R"({"data_dt":"2024-05-01"})");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.json["table"], "staging.cities");
  EXPECT_EQ(done.json["committed"], true);
  EXPECT_EQ(done.json["records"], 3);
  EXPECT_EQ(done.json["files"], dry.json["files"]);
  EXPECT_EQ(done.json["previous_snapshot_id"], before[1]["snapshot_id"]);
  EXPECT_EQ(done.json["dates"], nlohmann::json::array({"2024-05-02"}));
  const nlohmann::json after = snapshots();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2]["snapshot_id"], done.json["snapshot_id"]);
  EXPECT_EQ(after[2]["operation"], "delete");
  EXPECT_EQ(Call("GET", "/api/v1/lakehouse/tables", "viewer").json["items"][0]["records"], 3);

  // The same request again finds nothing, as the CLI's --json says.
  Reply again = Call("POST", path, "admin", R"({"data_dt":"2024-05-01"})");
  ASSERT_EQ(again.status, 200) << again.body;
  nlohmann::json cli = Ctl({"lakehouse", "delete-partition", "staging.cities", "--data-dt", "2024-05-01", "--json"}).Json();
  EXPECT_EQ(again.json, cli);
  EXPECT_EQ(again.json["committed"], false);
  EXPECT_EQ(snapshots().size(), 3u);

  auto audit = Call("GET", "/api/v1/audit?limit=20", "admin").json["items"];
  std::vector<std::string> targets;
  for (const auto& a : audit) {
    if (a["action"] == "POST /api/v1/lakehouse/tables/{table}/delete-partition" && a["outcome"] == "ok") {
      EXPECT_EQ(a["user_nm"], "ada");
      targets.push_back(a["target"].get<std::string>());
    }
  }
  EXPECT_EQ(targets, (std::vector<std::string>{
                         "lakehouse:staging.cities data_dt 2024-05-01 (no rows)",
                         "lakehouse:staging.cities data_dt 2024-05-01 snapshot " +
                             std::to_string(done.json["snapshot_id"].get<int64_t>()),
                         "lakehouse:staging.cities data_dt 2024-05-01 (dry run)"}))
      << audit.dump(2);
}

TEST_F(ServerTest, ConnectionTestsSayWhetherAndWhyNot) {
  Reply warehouse = Call("POST", "/api/v1/connections/warehouse/test", "operator", "{}");
  ASSERT_EQ(warehouse.status, 200) << warehouse.body;
  EXPECT_EQ(warehouse.json["conn_nm"], "warehouse");
  EXPECT_EQ(warehouse.json["ok"], true);
  EXPECT_EQ(warehouse.json["message"], "ok");
  EXPECT_EQ(Call("POST", "/api/v1/connections/lakehouse/test", "operator", "{}").json["ok"], true);

  ASSERT_EQ(Call("POST", "/api/v1/connections", "admin",
                 R"({"conn_nm":"dw","conn_typ":"postgres","url":"postgresql://etl@127.0.0.1:1/dw",)"
                 R"("password_env":"CTLFLOW_TEST_PASSWORD_NEVER_SET"})")
                .status,
            200);
  Reply broken = Call("POST", "/api/v1/connections/dw/test", "operator", "{}");
  ASSERT_EQ(broken.status, 200) << broken.body;
  EXPECT_EQ(broken.json["ok"], false);
  EXPECT_NE(broken.json["message"].get<std::string>().find("CTLFLOW_TEST_PASSWORD_NEVER_SET"), std::string::npos)
      << broken.body;
  Reply unknown = Call("POST", "/api/v1/connections/nowhere/test", "operator", "{}");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("nowhere"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/connections/dw/test", "operator", R"({"deep":true})").status, 400);
  // Tests are audited as the operator's.
  auto audit = Call("GET", "/api/v1/audit?limit=5", "admin").json["items"];
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0]["user_nm"], "olga");
  EXPECT_EQ(audit[0]["action"], "POST /api/v1/connections/{conn}/test");
}

// A notebook process keeps its executed copy; the API hands it out as a
// download named after the process, run and attempt.
TEST_F(ServerTest, AnExecutedNotebookIsDownloaded) {
  nlohmann::json notebook{
      {"nbformat", 4},
      {"nbformat_minor", 5},
      {"metadata", {{"kernelspec", {{"name", "python3"}, {"language", "python"}, {"display_name", "Python 3"}}}}},
      {"cells", nlohmann::json::array({{{"cell_type", "code"},
                                        {"id", "c0"},
                                        {"metadata", nlohmann::json::object()},
                                        {"source", "print('hello from ' + 'the notebook')"},
                                        {"outputs", nlohmann::json::array()},
                                        {"execution_count", nullptr}}})}};
  WriteFile(home_ + "/nb/hello.ipynb", notebook.dump(1));
  ASSERT_EQ(Ctl({"apply", WriteFile("nb.yaml", "cntl_cfg_strem:\n  - {strem_nm: N}\n"
                                               "cntl_cfg_prcs_grp:\n  - {prcs_grp: NG, strem_nm: N}\n"
                                               "cntl_cfg_prcs:\n  - {prcs_nm: NB, prcs_grp: NG, prir: 1, prcs_typ: 1,"
                                               " af_path_nm: nb/hello.ipynb}\n")})
                .exit_code,
            0);
  CliResult run = Ctl({"run", "N", "--date", "2024-03-01"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << Log().dump(2);
  int64_t run_id = Call("GET", "/api/v1/runs?stream=N", "viewer").json["items"][0]["run_id"];
  std::string base = "/api/v1/runs/" + std::to_string(run_id) + "/attempts/NB/1";
  Reply attempt = Call("GET", base, "viewer");
  ASSERT_EQ(attempt.status, 200) << attempt.body;
  EXPECT_EQ(attempt.json["status_name"], "success");
  EXPECT_EQ(attempt.json["has_log"], true);
  EXPECT_EQ(attempt.json["has_notebook"], true);

  Reply download = Call("GET", base + "/notebook", "viewer");
  ASSERT_EQ(download.status, 200) << download.body;
  EXPECT_EQ(download.headers.find("Content-Type")->second, "application/x-ipynb+json");
  EXPECT_EQ(download.headers.find("Content-Disposition")->second,
            "attachment; filename=\"NB-run" + std::to_string(run_id) + "-attempt1.ipynb\"");
  ASSERT_TRUE(download.json.is_object()) << download.body.substr(0, 400);
  // The cell we wrote, with what it printed (ctlflow adds a parameters cell).
  std::string printed;
  int ours = 0;
  for (const auto& cell : download.json["cells"]) {
    if (cell["source"].dump().find("hello from ' + 'the notebook") == std::string::npos) continue;
    ++ours;
    for (const auto& out : cell["outputs"]) {
      if (out.contains("text")) printed += out["text"].is_string() ? out["text"].get<std::string>() : out["text"].dump();
    }
  }
  EXPECT_EQ(ours, 1) << download.body.substr(0, 2000);
  EXPECT_NE(printed.find("hello from the notebook"), std::string::npos) << download.body.substr(0, 2000);
  EXPECT_EQ(Call("GET", base + "/notebook", "").status, 401);
}

}  // namespace
}  // namespace ctlflow::testing
