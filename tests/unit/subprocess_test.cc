#include "process/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ctlflow {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// "Finished well before the sleep would have": the sleeps are 30 s, so this
// bound is generous for a loaded machine and still proves the kill worked.
constexpr milliseconds kQuickly{10000};

class SubprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ctlflow-subprocess-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static SubprocessOptions Shell(const std::string& script) {
    SubprocessOptions options;
    options.argv = {"sh", "-c", script};
    return options;
  }

  // Reads a pid the script wrote, waiting for the file to be complete.
  pid_t ReadPid(const std::string& path) {
    for (int i = 0; i < 200; ++i) {
      const std::string text = ReadFile(path);
      if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
      std::this_thread::sleep_for(milliseconds(10));
    }
    ADD_FAILURE() << "no pid written to " << path;
    return -1;
  }

  // A killed grandchild is reparented to whatever PID 1 is here, which may
  // not reap it promptly; a zombie counts as dead.
  static bool ProcessIsGone(pid_t pid) {
    for (int i = 0; i < 200; ++i) {
      if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string line;
      if (std::getline(stat, line)) {
        const size_t paren = line.rfind(')');
        if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') {
          return true;
        }
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  std::filesystem::path dir_;
};

TEST_F(SubprocessTest, ReportsExitCodes) {
  auto ok = RunSubprocess(Shell("exit 0"));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(ok->ok());
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->Describe(), "exit code 0");

  auto failed = RunSubprocess(Shell("exit 3"));
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_FALSE(failed->ok());
  EXPECT_EQ(failed->exit_code, 3);
  EXPECT_EQ(failed->term_signal, 0);
  EXPECT_FALSE(failed->timed_out);
  EXPECT_EQ(failed->Describe(), "exit code 3");
}

TEST_F(SubprocessTest, ReportsDeathBySignal) {
  auto r = RunSubprocess(Shell("kill -9 $$"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_EQ(r->Describe(), "killed by signal 9 (SIGKILL)");
}

TEST_F(SubprocessTest, AppendsStdoutAndStderrToOutputFile) {
  const std::string out = Path("job.log");
  std::ofstream(out) << "earlier\n";
  SubprocessOptions options = Shell("echo to-stdout; echo to-stderr >&2");
  options.output_path = out;
  ASSERT_TRUE(RunSubprocess(options).ok());
  ASSERT_TRUE(RunSubprocess(options).ok());
  EXPECT_EQ(ReadFile(out), "earlier\nto-stdout\nto-stderr\nto-stdout\nto-stderr\n");

  // Created when missing; a missing parent directory is an error.
  options.output_path = Path("new.log");
  ASSERT_TRUE(RunSubprocess(options).ok());
  EXPECT_EQ(ReadFile(options.output_path), "to-stdout\nto-stderr\n");
  options.output_path = Path("no-such-dir/x.log");
  auto r = RunSubprocess(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-such-dir/x.log"), std::string::npos);
}

TEST_F(SubprocessTest, EnvironmentOverridesAndInheritance) {
  SubprocessOptions options = Shell(R"(printf '%s|%s|%s\n' "$CTL_TEST_VAR" "$HOME" "$PATH")");
  options.env = {{"CTL_TEST_VAR", "first"}, {"HOME", "/no/where"}, {"CTL_TEST_VAR", "a b; $x"}};
  options.output_path = Path("env.log");
  auto r = RunSubprocess(options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->ok()) << r->Describe();
  const char* path = ::getenv("PATH");
  EXPECT_EQ(ReadFile(options.output_path),
            std::string("a b; $x|/no/where|") + (path ? path : "") + "\n");

  options.env = {{"BAD=NAME", "x"}};
  EXPECT_EQ(RunSubprocess(options).status().code(), ErrorCode::kInvalid);
}

TEST_F(SubprocessTest, RunsInRequestedWorkingDirectory) {
  SubprocessOptions options = Shell("pwd -P; cat input.txt");
  std::ofstream(Path("input.txt")) << "found\n";
  options.cwd = dir_.string();
  options.output_path = Path("cwd.log");
  auto r = RunSubprocess(options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->ok()) << r->Describe();
  EXPECT_EQ(ReadFile(options.output_path),
            std::filesystem::canonical(dir_).string() + "\nfound\n");

  options.cwd = Path("missing");
  auto missing = Subprocess::Start(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot use working directory '" + Path("missing") + "': No such file or directory");
}

TEST_F(SubprocessTest, ProgramThatCannotRunIsAnErrorFromStart) {
  SubprocessOptions options;
  options.argv = {"ctlflow-no-such-program", "arg"};
  auto not_in_path = Subprocess::Start(options);
  ASSERT_FALSE(not_in_path.ok());
  EXPECT_EQ(not_in_path.status().code(), ErrorCode::kIo);
  EXPECT_EQ(not_in_path.status().message(),
            "cannot run 'ctlflow-no-such-program': No such file or directory");

  // These two are only found out by exec in the child, which posix_spawn
  // reports back.
  options.argv = {Path("missing-binary")};
  auto missing = Subprocess::Start(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot run '" + Path("missing-binary") + "': No such file or directory");

  const std::string not_executable = Path("script.sh");
  std::ofstream(not_executable) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(::chmod(not_executable.c_str(), 0644), 0);
  options.argv = {not_executable};
  auto denied = Subprocess::Start(options);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().message(),
            "cannot run '" + not_executable + "': Permission denied");

  // A PATH override decides where the program is looked up.
  ASSERT_EQ(::chmod(not_executable.c_str(), 0755), 0);
  options.argv = {"script.sh"};
  options.env = {{"PATH", dir_.string()}};
  auto found = RunSubprocess(options);
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_TRUE(found->ok());

  options.argv.clear();
  EXPECT_EQ(Subprocess::Start(options).status().code(), ErrorCode::kInvalid);
}

TEST_F(SubprocessTest, TimeoutKillsTheWholeTree) {
  const std::string pid_file = Path("grandchild.pid");
  SubprocessOptions options = Shell("sleep 30 & echo $! > '" + pid_file + "'; sleep 30");
  options.timeout = milliseconds(300);
  auto r = RunSubprocess(options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_GE(r->elapsed, milliseconds(300));
  EXPECT_LT(r->elapsed, kQuickly);
  EXPECT_EQ(r->Describe().rfind("timed out after ", 0), 0u) << r->Describe();

  const pid_t grandchild = ReadPid(pid_file);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(ProcessIsGone(grandchild));
}

TEST_F(SubprocessTest, TerminateFromAnotherThread) {
  auto process = Subprocess::Start(Shell("sleep 30"));
  ASSERT_TRUE(process.ok()) << process.status().message();
  std::thread canceller([&process] {
    std::this_thread::sleep_for(milliseconds(100));
    process->Terminate();
    process->Terminate();  // repeated calls are harmless
  });
  auto r = process->Wait();
  canceller.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGTERM);
  EXPECT_LT(r->elapsed, kQuickly);
  process->Terminate();  // after reaping: a no-op
  auto again = process->Wait();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->term_signal, SIGTERM);
}

TEST_F(SubprocessTest, TerminateEscalatesToSigkillAfterGrace) {
  // The ignored SIGTERM is inherited by sleep too.
  SubprocessOptions options = Shell("trap '' TERM; sleep 30; sleep 30");
  options.kill_grace = milliseconds(200);
  auto process = Subprocess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status().message();
  std::this_thread::sleep_for(milliseconds(50));
  process->Terminate();
  auto r = process->Wait();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_GE(r->elapsed, milliseconds(200));
  EXPECT_LT(r->elapsed, kQuickly);
}

TEST_F(SubprocessTest, DestructorKillsRunningProcessTree) {
  const std::string pid_file = Path("grandchild.pid");
  pid_t child = -1;
  pid_t grandchild = -1;
  {
    auto process = Subprocess::Start(Shell("sleep 30 & echo $! > '" + pid_file + "'; wait"));
    ASSERT_TRUE(process.ok()) << process.status().message();
    // Moving keeps one owner; only the final one kills.
    Subprocess owner = std::move(*process);
    EXPECT_EQ(process->pid(), -1);
    child = owner.pid();
    ASSERT_GT(child, 0);
    EXPECT_EQ(::getpgid(child), child);
    grandchild = ReadPid(pid_file);
  }
  // Reaped by the destructor, so the pid no longer exists at all.
  EXPECT_EQ(::kill(child, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(ProcessIsGone(grandchild));
}

TEST_F(SubprocessTest, DoesNotLeakDescriptors) {
  // Opened without O_CLOEXEC, as careless library code might.
  const int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  const std::string fd = std::to_string(leaky);
  SubprocessOptions options =
      Shell("if [ -e /proc/$$/fd/" + fd + " ]; then echo leaked; else echo closed; fi; "
            "read -r line; echo \"stdin:${line:-eof}\"");
  options.output_path = Path("fds.log");
  options.timeout = seconds(5);  // if stdin were not /dev/null, read could block
  auto r = RunSubprocess(options);
  ::close(leaky);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ReadFile(options.output_path), "closed\nstdin:eof\n");
}

TEST_F(SubprocessTest, ConcurrentSpawnsFromSeveralThreads) {
  constexpr int kThreads = 4;
  constexpr int kRunsPerThread = 10;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < kRunsPerThread; ++i) {
        const int code = t * kRunsPerThread + i;
        SubprocessOptions options = Shell("echo $CODE; exit $CODE");
        options.env = {{"CODE", std::to_string(code)}};
        options.output_path = Path("thread" + std::to_string(t) + ".log");
        auto r = RunSubprocess(options);
        if (!r.ok() || r->exit_code != code) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    std::string expected;
    for (int i = 0; i < kRunsPerThread; ++i) {
      expected += std::to_string(t * kRunsPerThread + i) + "\n";
    }
    EXPECT_EQ(ReadFile(Path("thread" + std::to_string(t) + ".log")), expected);
  }
}

TEST(SubprocessResultTest, Describe) {
  SubprocessResult r;
  r.exit_code = 0;
  EXPECT_TRUE(r.ok());
  r.exit_code = -1;
  r.term_signal = SIGTERM;
  EXPECT_EQ(r.Describe(), "killed by signal 15 (SIGTERM)");
  EXPECT_FALSE(r.ok());
  r.timed_out = true;
  r.elapsed = milliseconds(1500);
  EXPECT_EQ(r.Describe(), "timed out after 1.5 s");
}

}  // namespace
}  // namespace ctlflow
