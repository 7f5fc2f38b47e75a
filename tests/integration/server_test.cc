// `ctlflow server` with the real binary: every role boundary, sessions with
// CSRF, bad input named by field, the audit trail, and the endpoints that
// must behave like the CLI (trigger, clear, cancel, pause, apply, process
// new --like, log). The browser test (ui_test.cc) drives the UI on top.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <regex>

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
    pid_ = CtlStart({"server", "--port", "0"}, "server");
    std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::smatch m;
      std::string out = ReadFile(scratch_ + "/.server.stdout");
      if (std::regex_search(out, m, listening)) port_ = std::stoi(m[1].str());
      else usleep(50 * 1000);
    }
    ASSERT_GT(port_, 0) << ReadFile(scratch_ + "/.server.stderr");
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      CliResult done = Finish(pid_, "server");
      EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
    }
    CtlflowTest::TearDown();
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
    httplib::Client client("127.0.0.1", port_);
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

}  // namespace
}  // namespace ctlflow::testing
