// prcs_typ 1, notebook: real Jupyter (Debian's nbclient + ipykernel). Each
// test starts one kernel (2-4 s), so there are few of them.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

struct Cell {
  std::string source;
  std::vector<std::string> tags = {};
  bool markdown = false;
};

std::string NotebookText(const std::vector<Cell>& cells) {
  nlohmann::json nb{{"nbformat", 4}, {"nbformat_minor", 5}, {"cells", nlohmann::json::array()},
                    {"metadata", {{"kernelspec", {{"name", "python3"}, {"language", "python"},
                                                  {"display_name", "Python 3"}}}}}};
  int i = 0;
  for (const auto& c : cells) {
    nlohmann::json cell{{"cell_type", c.markdown ? "markdown" : "code"}, {"id", "c" + std::to_string(i++)},
                        {"metadata", nlohmann::json::object()}, {"source", c.source}};
    if (!c.tags.empty()) cell["metadata"]["tags"] = c.tags;
    if (!c.markdown) {
      cell["outputs"] = nlohmann::json::array();
      cell["execution_count"] = nullptr;
    }
    nb["cells"].push_back(cell);
  }
  return nb.dump(1);
}

std::string NotebookStream(const std::string& process_fields) {
  return "cntl_cfg_strem:\n  - {strem_nm: S}\n"
         "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S, prir: 1}\n"
         "cntl_cfg_prcs:\n  - {prcs_nm: NB, prcs_grp: G, prir: 1, prcs_typ: 1, " + process_fields + "}\n";
}

nlohmann::json OnlyRow(const nlohmann::json& log) {
  EXPECT_EQ(log.size(), 1u) << log.dump(2);
  return log.empty() ? nlohmann::json::object() : log[0];
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  auto j = nlohmann::json::parse(in, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << path << " is not JSON";
  return j;
}

bool HasTag(const nlohmann::json& cell, const std::string& tag) {
  if (!cell.contains("metadata") || !cell["metadata"].contains("tags")) return false;
  for (const auto& t : cell["metadata"]["tags"])
    if (t == tag) return true;
  return false;
}

std::string Outputs(const nlohmann::json& cell) {
  std::string text;
  for (const auto& o : cell["outputs"]) {
    if (!o.contains("text")) continue;
    if (o["text"].is_string()) text += o["text"].get<std::string>();
    else for (const auto& part : o["text"]) text += part.get<std::string>();
  }
  return text;
}

TEST_F(CtlflowTest, NotebookGetsParametersAsDataAfterTheParametersCell) {
  std::string out = scratch_ + "/seen.json";
  WriteFile(home_ + "/nb/params.ipynb", NotebookText({
      {"# Parameters test", {}, true},
      {"import json, os"},
      {"region = 'default'\nq = 'default'\naf_parm = 'default'\ndata_dt = 'default'", {"parameters"}},
      {"assert region == 'eu west', region  # the injected cell ran after the defaults\n"
       "seen = dict(af_parm=af_parm, params=params, q=q, nl=nl, bs=bs, uni=uni, data_dt=data_dt,\n"
       "            run_id=run_id, attempt=attempt, prcs_nm=prcs_nm, strem_nm=strem_nm,\n"
       "            home=ctlflow_home, cwd=os.getcwd(), env_home=os.environ['CTLFLOW_HOME'],\n"
       "            result_env=os.environ['CTLFLOW_RESULT_FILE'] == ctlflow_result_path,\n"
       "            types=[type(run_id).__name__, type(attempt).__name__])\n"
       "json.dump(seen, open(params['out'], 'w', encoding='utf-8'))\n"
       "json.dump({'source_row': 5, 'target_row': 7}, open(ctlflow_result_path, 'w'))\n"
       "print('CTLFLOW_RESULT ' + json.dumps({'source_row': 1, 'target_row': 1}))\n"
       "print('visible output')"},
  }));
  // YAML "...\\..." is one backslash: af_parm is x"); import os; os._exit(3) #\ end
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", NotebookStream(
      "af_path_nm: nb/params.ipynb, af_parm: \"x\\\"); import os; os._exit(3) #\\\\ end\""))}).exit_code, 0);
  const std::string q = "it's \"quoted\"", nl = "line1\nline2\r\n\tend", bs = "C:\\dir\\ \\n \\",
                    uni = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80";
  CliResult run = Ctl({"run", "S", "--date", "2024-03-04", "--param", "q=" + q, "--param", "nl=" + nl,
                       "--param", "bs=" + bs, "--param", "uni=" + uni,
                       "--param", "class=kw", "--param", "region=eu west", "--param", "data_dt=evil",
                       "--param", "out=" + out});
  auto row = OnlyRow(Log());
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << row.dump(2) << ReadFile(row.value("log_path", ""));
  EXPECT_EQ(row["status"], 0);
  EXPECT_EQ(row["source_row"], 5) << "the result file wins over the printed line";
  EXPECT_EQ(row["target_row"], 7);

  auto seen = ReadJson(out);
  EXPECT_EQ(seen["af_parm"], "x\"); import os; os._exit(3) #\\ end");
  EXPECT_EQ(seen["q"], q);
  EXPECT_EQ(seen["nl"], nl);
  EXPECT_EQ(seen["bs"], bs);
  EXPECT_EQ(seen["uni"], uni);
  EXPECT_EQ(seen["data_dt"], "2024-03-04");  // a --param never replaces the context
  EXPECT_EQ(seen["params"]["data_dt"], "evil");
  EXPECT_EQ(seen["params"]["class"], "kw");  // a keyword: only in params
  EXPECT_EQ(seen["params"]["q"], q);
  EXPECT_EQ(seen["run_id"], 1);
  EXPECT_EQ(seen["attempt"], 1);
  EXPECT_EQ(seen["types"], nlohmann::json({"int", "int"}));
  EXPECT_EQ(seen["prcs_nm"], "NB");
  EXPECT_EQ(seen["strem_nm"], "S");
  EXPECT_EQ(fs::path(seen["home"].get<std::string>()), fs::path(seen["cwd"].get<std::string>()));
  EXPECT_EQ(seen["env_home"], seen["home"]);
  EXPECT_EQ(seen["result_env"], true);

  // The executed copy is kept next to the attempt's log, with outputs.
  std::string log_path = row["log_path"];
  ASSERT_TRUE(fs::exists(log_path + ".ipynb")) << ReadFile(log_path);
  auto executed = ReadJson(log_path + ".ipynb");
  ASSERT_EQ(executed["cells"].size(), 5u);
  EXPECT_TRUE(HasTag(executed["cells"][2], "parameters"));
  EXPECT_TRUE(HasTag(executed["cells"][3], "injected-parameters"));
  EXPECT_NE(executed["cells"][3]["source"].dump().find("region = \\\"eu west\\\""), std::string::npos)
      << executed["cells"][3].dump();
  EXPECT_NE(Outputs(executed["cells"][4]).find("visible output"), std::string::npos) << executed.dump(1);
  std::string log = ReadFile(log_path);
  EXPECT_NE(log.find("ctlflow: executed notebook: " + log_path + ".ipynb"), std::string::npos) << log;
  EXPECT_NE(log.find("visible output"), std::string::npos) << log;
}

TEST_F(CtlflowTest, NotebookFailingCellNamesTheCellAndTheException) {
  std::string marker = scratch_ + "/after.txt";
  WriteFile(home_ + "/nb/fail.ipynb", NotebookText({
      {"x = 1"},
      {"notes", {}, true},
      {"import os\nvalue = int(params['n'])\nraise ValueError('bad value %d' % value)"},
      {"open(params['marker'], 'w').write('ran')"},
  }));
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", NotebookStream("af_path_nm: nb/fail.ipynb"))}).exit_code, 0);
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02", "--param", "n=42", "--param", "marker=" + marker});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto row = OnlyRow(Log());
  EXPECT_EQ(row["status"], 99);
  std::string message = row["message"];
  EXPECT_NE(message.find("cell 2: ValueError: bad value 42"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_EQ(message.find("\x1b["), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(marker)) << "a cell after the failing one ran";
  // The partial executed notebook is kept; with no `parameters` cell the
  // injected cell is the first.
  std::string log_path = row["log_path"];
  ASSERT_TRUE(fs::exists(log_path + ".ipynb"));
  auto executed = ReadJson(log_path + ".ipynb");
  EXPECT_TRUE(HasTag(executed["cells"][0], "injected-parameters"));
  EXPECT_NE(executed["cells"][3].dump().find("\"output_type\":\"error\""), std::string::npos)
      << executed["cells"][3].dump(1);
}

TEST_F(CtlflowTest, NotebookTimeoutKillsTheKernelAndItsChildren) {
  std::string pids = scratch_ + "/pids.txt";
  WriteFile(home_ + "/nb/slow.ipynb", NotebookText({
      {"import os, subprocess, time\n"
       "child = subprocess.Popen(['sleep', '60'])\n"
       "open(params['pids'], 'w').write('%d %d' % (os.getpid(), child.pid))\n"
       "time.sleep(60)"},
  }));
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", NotebookStream("af_path_nm: nb/slow.ipynb, timeout_s: 3"))}).exit_code, 0);
  auto t0 = std::chrono::steady_clock::now();
  CliResult run = Ctl({"run", "S", "--date", "2024-01-02", "--param", "pids=" + pids});
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_LT(elapsed, std::chrono::seconds(30));
  auto row = OnlyRow(Log());
  EXPECT_EQ(row["status"], 98) << row.dump();
  EXPECT_NE(row["message"].get<std::string>().find("timed out"), std::string::npos) << row.dump();
  ASSERT_TRUE(fs::exists(pids)) << "the cell never started: " << ReadFile(row["log_path"]);
  int kernel = 0, sleeper = 0;
  std::istringstream(ReadFile(pids)) >> kernel >> sleeper;
  ASSERT_GT(kernel, 1);
  ASSERT_GT(sleeper, 1);
  // The sleeper would outlive a kernel that merely exited (see above).
  EXPECT_TRUE(ProcessGone(kernel)) << "the kernel " << kernel << " survived the timeout";
  EXPECT_TRUE(ProcessGone(sleeper)) << "the kernel's child " << sleeper << " survived the timeout";
}

TEST_F(CtlflowTest, NotebookCancelKillsTheKernel) {
  std::string pids = scratch_ + "/pids.txt";
  WriteFile(home_ + "/nb/slow.ipynb", NotebookText({
      {"import os, subprocess, time\nchild = subprocess.Popen(['sleep', '60'])\n"
       "open(params['pids'], 'w').write('%d %d' % (os.getpid(), child.pid))\ntime.sleep(60)"},
  }));
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", NotebookStream("af_path_nm: nb/slow.ipynb"))}).exit_code, 0);
  int pid = CtlStart({"run", "S", "--date", "2024-01-02", "--param", "pids=" + pids});
  ASSERT_GT(pid, 0);
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {  // kernel start: up to 30 s on a busy machine
    started = fs::exists(pids) && fs::file_size(pids) > 0;
    if (!started) usleep(100 * 1000);
  }
  if (!started) kill(pid, SIGKILL);
  ASSERT_TRUE(started) << "the notebook never started";
  kill(pid, SIGINT);
  CliResult run = Finish(pid);
  EXPECT_EQ(run.exit_code, 130) << run.out << run.err;
  auto row = OnlyRow(Log());
  EXPECT_EQ(row["status"], 99);
  EXPECT_NE(row["message"].get<std::string>().find("cancelled"), std::string::npos) << row.dump();
  // ipykernel exits by itself soon after its parent dies, but its children
  // would not: the sleeper shows that the kernel's process group was killed.
  int kernel = 0, sleeper = 0;
  std::istringstream(ReadFile(pids)) >> kernel >> sleeper;
  ASSERT_GT(sleeper, 1);
  EXPECT_TRUE(ProcessGone(kernel)) << "the kernel " << kernel << " survived the cancel";
  EXPECT_TRUE(ProcessGone(sleeper)) << "the kernel's child " << sleeper << " survived the cancel";
}

TEST_F(CtlflowTest, NotebookDqReportExampleReportsRowCounts) {
  ASSERT_EQ(Ctl({"example", "load", "--rows", "40"}).exit_code, 0);
  ASSERT_TRUE(fs::exists(home_ + "/lakehouse/notebooks/dq_report.ipynb"));
  CliResult tiers = Ctl({"run", "AF_TEST1", "--date", "2024-11-16"});
  ASSERT_EQ(tiers.exit_code, 0) << tiers.out << tiers.err;
  ASSERT_EQ(Ctl({"apply", WriteFile("dq.yaml",
      "cntl_cfg_strem:\n  - {strem_nm: DQ}\n"
      "cntl_cfg_prcs_grp:\n  - {prcs_grp: DQG, strem_nm: DQ, prir: 1}\n"
      "cntl_cfg_prcs:\n  - {prcs_nm: DQ_REPORT, prcs_grp: DQG, prir: 1, prcs_typ: 1,"
      " af_path_nm: lakehouse/notebooks/dq_report.ipynb}\n")}).exit_code, 0);
  CliResult run = Ctl({"run", "DQ", "--date", "2024-11-16"});
  auto row = OnlyRow(Log({"--stream", "DQ"}));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << row.dump(2) << ReadFile(row.value("log_path", ""));
  EXPECT_EQ(row["status"], 0);
  EXPECT_EQ(row["source_row"], 40);
  ASSERT_TRUE(row["target_row"].is_number_integer()) << row.dump();
  EXPECT_GT(row["target_row"].get<int64_t>(), 0);
  EXPECT_LE(row["target_row"].get<int64_t>(), 40);
  EXPECT_NE(row["message"].get<std::string>().find("dq_report 2024-11-16"), std::string::npos) << row.dump();
}

}  // namespace
}  // namespace ctlflow::testing
