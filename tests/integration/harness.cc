#include "harness.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace ctlflow::testing {

namespace fs = std::filesystem;

nlohmann::json CliResult::Json() const {
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << out << "\nstderr:\n" << err;
  return j;
}

void CtlflowTest::SetUp() {
  char tmpl[] = "/tmp/ctlflow-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  scratch_ = tmpl;
  home_ = scratch_ + "/home";
}

void CtlflowTest::TearDown() {
  if (!HasFailure()) {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  } else {
    std::cerr << "kept test folder " << scratch_ << "\n";
  }
}

namespace {

int Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& in_path, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (key == "CTLFLOW_HOME" || env.count(key)) continue;
    envs.push_back(entry);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> cenv;
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

CliResult CtlflowTest::Ctl(const std::vector<std::string>& args, const std::string& stdin_text,
                           const std::map<std::string, std::string>& env, bool pass_home) {
  std::string in_path = scratch_ + "/.stdin";
  {
    std::ofstream in(in_path, std::ios::trunc);
    in << stdin_text;
  }
  std::vector<std::string> argv{CTLFLOW_BINARY};
  if (pass_home) {
    argv.push_back("--home");
    argv.push_back(home_);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  int pid = Spawn(argv, env, in_path, scratch_ + "/.stdout", scratch_ + "/.stderr");
  if (pid < 0) {
    ADD_FAILURE() << "cannot start " << CTLFLOW_BINARY;
    return CliResult{};
  }
  return Collect(pid, scratch_ + "/.stdout", scratch_ + "/.stderr");
}

int CtlflowTest::CtlStart(const std::vector<std::string>& args, const std::string& name) {
  std::vector<std::string> argv{CTLFLOW_BINARY, "--home", home_};
  argv.insert(argv.end(), args.begin(), args.end());
  WriteFile(".stdin", "");
  return Spawn(argv, {}, scratch_ + "/.stdin", scratch_ + "/." + name + ".stdout",
               scratch_ + "/." + name + ".stderr");
}

CliResult CtlflowTest::Finish(int pid, const std::string& name) {
  return Collect(pid, scratch_ + "/." + name + ".stdout", scratch_ + "/." + name + ".stderr");
}

CliResult CtlflowTest::Collect(int pid, const std::string& out_path, const std::string& err_path) {
  CliResult result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

bool CtlflowTest::WaitForLog(const std::function<bool(const nlohmann::json&)>& pred) {
  for (int i = 0; i < 200; ++i) {
    CliResult r = Ctl({"log", "--json"});
    if (r.exit_code == 0) {
      auto rows = nlohmann::json::parse(r.out, nullptr, false);
      if (!rows.is_discarded() && pred(rows)) return true;
    }
    usleep(50 * 1000);
  }
  return false;
}

std::string CtlflowTest::WriteFile(const std::string& relative, const std::string& content) {
  fs::path path = relative.rfind('/', 0) == 0 ? fs::path(relative) : fs::path(scratch_) / relative;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return path.string();
}

std::string CtlflowTest::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool CtlflowTest::ProcessGone(int pid) {
  for (int i = 0; i < 100; ++i) {
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty() || stat.find(") Z") != std::string::npos) return true;
    usleep(20 * 1000);
  }
  return false;
}

nlohmann::json CtlflowTest::Log(const std::vector<std::string>& filters) {
  std::vector<std::string> args{"log", "--json"};
  args.insert(args.end(), filters.begin(), filters.end());
  CliResult r = Ctl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.Json();
}

std::string IcebergIngestStreamYaml(const std::string& stream, const std::string& prcs_nm, const std::string& table,
                                    const std::string& af_parm) {
  return "cntl_cfg_strem:\n  - {strem_nm: " + stream + "}\n"
         "cntl_cfg_prcs_grp:\n  - {prcs_grp: " + stream + "G, strem_nm: " + stream + ", prir: 1}\n"
         "cntl_cfg_prcs:\n  - {prcs_nm: " + prcs_nm + ", prcs_grp: " + stream + "G, prcs_typ: 4, conn_nm: lakehouse,"
         " tgt_schm_nm: staging, tgt_tbl: " + table + ", af_parm: '" + af_parm + "'}\n";
}

nlohmann::json RowFor(const nlohmann::json& log, const std::string& prcs_nm, int attempt) {
  for (const auto& row : log) {
    if (row["prcs_nm"] == prcs_nm && row["attempt"] == attempt) return row;
  }
  ADD_FAILURE() << "no log row for " << prcs_nm << " attempt " << attempt << " in " << log.dump(2);
  return nlohmann::json::object();
}

}  // namespace ctlflow::testing
