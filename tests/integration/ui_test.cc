// The browser test: Debian's Chromium, driven by playwright-core
// (tests/js/ui_test.mjs), against the real all-in-one `ctlflow server
// --with-scheduler` holding the seed's example. It logs in, pauses and
// unpauses the example, opens its graph and a graph with an upstream process
// of another stream, triggers a run and watches it turn green, opens a
// failing attempt's log, adds a process from the form, searches a control
// table, previews and applies a CSV upload, copies a process ("new like
// this one"), searches the log, follows a running attempt's log, and is
// refused an edit as a viewer. With CTLFLOW_SCREENSHOT_DIR set it also
// writes the README's screenshots there (docs/images).
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

class UiTest : public CtlflowTest {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      CliResult done = Finish(pid_, "server");
      EXPECT_EQ(done.exit_code, 0) << done.err;
    }
    CtlflowTest::TearDown();
  }
  std::string Token(const std::string& user, const std::string& role) {
    EXPECT_EQ(Ctl({"user", "add", user, "--role", role}).exit_code, 0);
    CliResult t = Ctl({"token", "create", "--user", user});
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return t.out.substr(0, t.out.find('\n'));
  }
  int pid_ = 0;
};

TEST_F(UiTest, AnOperatorSeesRunsAndEditsTheControlTablesFromTheBrowser) {
  ASSERT_TRUE(fs::exists(CTLFLOW_SOURCE_DIR "/web/dist/index.html"))
      << "the web UI is not built: npm ci --prefix web && npm run build --prefix web";
  ASSERT_TRUE(fs::exists(CTLFLOW_SOURCE_DIR "/tests/js/node_modules/playwright-core"))
      << "npm ci --prefix tests/js";
  ASSERT_EQ(Ctl({"example", "load", "--rows", "60"}).exit_code, 0);
  // A second stream whose run failed, so there is a red attempt with a log.
  ASSERT_EQ(Ctl({"apply", WriteFile("broken.yaml",
                                    "cntl_cfg_strem:\n  - {strem_nm: NIGHTLY_EXPORT, descr: exports that fail}\n"
                                    "cntl_cfg_prcs_grp:\n  - {prcs_grp: EXPORT, strem_nm: NIGHTLY_EXPORT}\n"
                                    "cntl_cfg_prcs:\n"
                                    "  - {prcs_nm: EXPORT_FILES, prcs_grp: EXPORT, prir: 1, prcs_typ: 3,"
                                    " af_path_nm: /bin/sh, af_parm: \"-c 'echo writing; echo disk on fire >&2; exit 3'\"}\n")})
                .exit_code,
            0);
  CliResult failed = Ctl({"run", "NIGHTLY_EXPORT", "--date", "2024-11-16"});
  ASSERT_NE(failed.exit_code, 0) << failed.out;
  // A stream whose process waits for one of the example's (a cross-stream
  // edge in its graph), and one whose process prints a line, waits until the
  // browser test creates the gate file (or 2 minutes), prints another and
  // reports row counts: its log is followed while it runs.
  std::string gate = scratch_ + "/follow.gate";
  std::string script = WriteFile("follow.sh",
                                 "echo 'first line: copying rides'\n"
                                 "n=0\n"
                                 "while [ ! -e \"$1\" ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n + 1)); done\n"
                                 "echo 'second line: 7 of 12 rides copied'\n"
                                 "echo '{\"source_row\": 12, \"target_row\": 7, \"message\": \"copied 7 of 12 rides\"}'"
                                 " > \"$CTLFLOW_RESULT_FILE\"\n");
  ASSERT_EQ(Ctl({"apply", WriteFile("more.yaml",
                                    "cntl_cfg_strem:\n"
                                    "  - {strem_nm: RIDE_REPORTS, descr: reports on the example's aggregates}\n"
                                    "  - {strem_nm: SLOW_COPY, descr: a copy whose log is followed}\n"
                                    "cntl_cfg_prcs_grp:\n"
                                    "  - {prcs_grp: REPORTS, strem_nm: RIDE_REPORTS}\n"
                                    "  - {prcs_grp: COPY, strem_nm: SLOW_COPY}\n"
                                    "cntl_cfg_prcs:\n"
                                    "  - {prcs_nm: REPORT_RIDES, prcs_grp: REPORTS, prir: 1, prcs_typ: 3, af_path_nm: /bin/true}\n"
                                    "  - {prcs_nm: COPY_RIDES, prcs_grp: COPY, prir: 1, prcs_typ: 3, af_path_nm: /bin/sh,"
                                    " af_parm: \"" + script + " " + gate + "\"}\n"
                                    "cntl_cfg_prcs_depn:\n"
                                    "  - {prcs_nm: REPORT_RIDES, dpnd_prcs_nm: PRCS_TEST_FRAMEWORK3}\n")})
                .exit_code,
            0);
  std::string admin = Token("ada", "admin");
  std::string viewer = Token("vic", "viewer");

  pid_ = CtlStart({"server", "--port", "0", "--with-scheduler", "--workers", "2"}, "server");
  std::regex listening(R"(listening on (http://127\.0\.0\.1:\d+))");
  std::string url;
  for (int i = 0; i < 400 && url.empty(); ++i) {
    std::smatch m;
    std::string out = ReadFile(scratch_ + "/.server.stdout");
    if (std::regex_search(out, m, listening)) url = m[1].str();
    else usleep(50 * 1000);
  }
  ASSERT_FALSE(url.empty()) << ReadFile(scratch_ + "/.server.stderr");

  // The UI's own files (the page, a page's URL, our script, the vendored
  // library) carry the same security headers as the API.
  httplib::Client http(url);
  for (const char* path : {"/", "/streams/AF_TEST1", "/app.js", "/vendor/dagre.esm.js"}) {
    httplib::Result r = http.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    std::string csp = r->get_header_value("Content-Security-Policy");
    for (const char* directive : {"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"})
      EXPECT_NE(csp.find(directive), std::string::npos) << path << " has CSP \"" << csp << "\"";
    bool script_file = std::string(path).ends_with(".js");
    EXPECT_NE(r->get_header_value("Content-Type").find(script_file ? "javascript" : "text/html"), std::string::npos)
        << path << ": " << r->get_header_value("Content-Type");
  }

  const char* shots = std::getenv("CTLFLOW_SCREENSHOT_DIR");
  std::string cmd = "cd " CTLFLOW_SOURCE_DIR "/tests/js && env CTLFLOW_URL=" + url + " ADMIN_TOKEN=" + admin +
                    " VIEWER_TOKEN=" + viewer +
                    " STREAM=AF_TEST1 DATE=2024-11-16 FAILED_STREAM=NIGHTLY_EXPORT FAILED_PROCESS=EXPORT_FILES"
                    " GROUP=EXPORT UPSTREAM_PROCESS=PRCS_TEST_FRAMEWORK3"
                    " DOWNSTREAM_STREAM=RIDE_REPORTS DOWNSTREAM_PROCESS=REPORT_RIDES"
                    " FOLLOW_STREAM=SLOW_COPY FOLLOW_PROCESS=COPY_RIDES GATE_FILE=" +
                    gate + " CTLFLOW_BIN=" CTLFLOW_BINARY " CLI_HOME=" + home_ + " ARTIFACT_DIR=" + scratch_ + (shots ? std::string(" SCREENSHOT_DIR=") + shots : "") + " node ui_test.mjs 2>&1";
  std::string output;
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << output << "\nserver stderr:\n"
      << ReadFile(scratch_ + "/.server.stderr");
  EXPECT_NE(output.find("all UI steps passed"), std::string::npos) << output;

  // What the browser did is what the store holds: the run it watched
  // succeeded, the rows from the form, the CSV and the copy exist, the
  // refused copy and the viewer's row do not, the stream is not left paused,
  // and the followed attempt's counts are logged. (The scheduler may also
  // have caught up the stream's daily schedule.)
  nlohmann::json runs = Ctl({"runs", "--stream", "AF_TEST1", "--json"}).Json();
  std::vector<nlohmann::json> manual;
  for (const nlohmann::json& r : runs)
    if (r["run_typ"] == "manual") manual.push_back(r);
  ASSERT_EQ(manual.size(), 1u) << runs.dump();
  EXPECT_EQ(manual[0]["data_dt"], "2024-11-16");
  EXPECT_EQ(manual[0]["status"], 0);
  std::string cfg = Ctl({"export"}).out;
  EXPECT_NE(cfg.find("UI_ADDED"), std::string::npos);
  EXPECT_EQ(cfg.find("UI_VIEWER"), std::string::npos);
  EXPECT_NE(cfg.find("UI_CSV_ADDED"), std::string::npos);
  EXPECT_NE(cfg.find("UI_LIKE"), std::string::npos);
  EXPECT_EQ(cfg.find("NO_SUCH_GROUP"), std::string::npos);
  EXPECT_EQ(Ctl({"sql", "--json", "SELECT strem_nm FROM cntl_af.cntl_strem_state WHERE paused = 1"}).Json(),
            nlohmann::json::array());
  nlohmann::json copy = RowFor(Log({"--stream", "SLOW_COPY"}), "COPY_RIDES");
  EXPECT_EQ(copy["status"], 0) << copy.dump();
  EXPECT_EQ(copy["source_row"], 12) << copy.dump();
  EXPECT_EQ(copy["target_row"], 7) << copy.dump();
}

}  // namespace
}  // namespace ctlflow::testing
