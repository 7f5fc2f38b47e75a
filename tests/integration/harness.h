// Integration-test harness: runs the real build/ctlflow binary against a
// temporary home folder and captures exit code, stdout and stderr apart.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ctlflow::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json Json() const;  // parses stdout
};

// A fresh home folder per test, removed afterwards.
class CtlflowTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs ctlflow --home <home> args...; stdin_text is fed to its stdin.
  // With pass_home = false the binary finds its home on its own.
  CliResult Ctl(const std::vector<std::string>& args, const std::string& stdin_text = "",
                const std::map<std::string, std::string>& env = {}, bool pass_home = true);
  // Starts ctlflow without waiting; Finish() collects the result. Processes
  // started at the same time need different names (their output files).
  int CtlStart(const std::vector<std::string>& args, const std::string& name = "async");
  CliResult Finish(int pid, const std::string& name = "async");
  CliResult Collect(int pid, const std::string& out_path, const std::string& err_path);
  // Polls `log --json` until pred(rows) holds or ~10 s pass.
  bool WaitForLog(const std::function<bool(const nlohmann::json&)>& pred);
  // Writes a file under the home (or an absolute path) and returns its path.
  std::string WriteFile(const std::string& relative, const std::string& content);
  std::string ReadFile(const std::string& path);
  // Waits up to ~2 s for a process to be gone (or a zombie).
  bool ProcessGone(int pid);
  // Rows of cntl_cfg_log via `ctlflow log --json` with extra filters.
  nlohmann::json Log(const std::vector<std::string>& filters = {});

  std::string home_;
  std::string scratch_;  // a folder beside the home for input files
};

// YAML for a stream with one group and one ingest process (prcs_typ 4)
// into the Iceberg table staging.<table> of the built-in lakehouse.
std::string IcebergIngestStreamYaml(const std::string& stream, const std::string& prcs_nm, const std::string& table,
                                    const std::string& af_parm);

// The log row of `prcs_nm`'s attempt in `log` (a test failure when absent).
nlohmann::json RowFor(const nlohmann::json& log, const std::string& prcs_nm, int attempt = 1);

}  // namespace ctlflow::testing
