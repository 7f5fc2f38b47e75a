// The browser test: Debian's Chromium, driven by playwright-core
// (tests/js/ui_test.mjs), against the real all-in-one `ctlflow server
// --with-scheduler` holding the seed's example. It logs in, sees the
// example, opens its graph, triggers a run and watches it turn green, opens
// a failing attempt's log, adds a process from the form, searches a control
// table, and is refused an edit as a viewer. With CTLFLOW_SCREENSHOT_DIR set
// it also writes the README's screenshots there (docs/images).
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

  const char* shots = std::getenv("CTLFLOW_SCREENSHOT_DIR");
  std::string cmd = "cd " CTLFLOW_SOURCE_DIR "/tests/js && env CTLFLOW_URL=" + url + " ADMIN_TOKEN=" + admin +
                    " VIEWER_TOKEN=" + viewer +
                    " STREAM=AF_TEST1 DATE=2024-11-16 FAILED_STREAM=NIGHTLY_EXPORT FAILED_PROCESS=EXPORT_FILES"
                    " GROUP=EXPORT ARTIFACT_DIR=" +
                    scratch_ + (shots ? std::string(" SCREENSHOT_DIR=") + shots : "") + " node ui_test.mjs 2>&1";
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
  // succeeded, the form's process exists, the viewer's does not. (The
  // scheduler may also have caught up the stream's daily schedule.)
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
}

}  // namespace
}  // namespace ctlflow::testing
