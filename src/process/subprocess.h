// Running one external program (a job's command) as a child process that can
// be waited for with a timeout and cancelled, together with everything it
// started, without leaking processes or file descriptors.
//
// The child is the leader of a new process group, so timeouts, Terminate()
// and the destructor reach its children and grandchildren too. Programs that
// deliberately leave the group (setsid, setpgid) escape; that is the price of
// not needing a cgroup or a PID namespace.
//
// Safe to use from several threads at once: spawning uses posix_spawn with
// everything prepared beforehand, no SIGCHLD handler is installed, and no
// process-wide state is touched. The program must not set SIGCHLD to SIG_IGN
// (children would then be reaped by the kernel and Wait() would fail).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ctlflow {

struct SubprocessOptions {
  // argv[0] without a '/' is looked up in the PATH the child will see (the
  // inherited one, or the one set in env); relative PATH entries are skipped
  // so the lookup never depends on a working directory. A relative argv[0]
  // with a '/' is resolved against cwd.
  std::vector<std::string> argv;
  // Added to, or overriding, the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // empty = inherit
  // stdout AND stderr are appended here (created 0644; the parent directory
  // must exist). Empty = /dev/null. It is opened by the parent, so a relative
  // path is relative to our working directory, not to cwd. stdin is always
  // /dev/null: a job must not read the terminal of whoever started the
  // scheduler.
  std::string output_path;
  // Counted from Start(); when exceeded the whole group is terminated.
  std::optional<std::chrono::milliseconds> timeout;
  // SIGTERM goes to the process group first, SIGKILL after this grace.
  std::chrono::milliseconds kill_grace{2000};
};

struct SubprocessResult {
  int exit_code = -1;     // valid when the process exited normally
  int term_signal = 0;    // non-zero when killed by a signal
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};  // from Start() until reaped

  // Exited normally with code 0 and did not time out.
  bool ok() const;
  // "exit code 3" / "killed by signal 9 (SIGKILL)" / "timed out after 1.5 s".
  std::string Describe() const;
};

// A started child process. Move-only. The destructor SIGKILLs the process
// group and reaps the child if it has not been waited for, so dropping a
// Subprocess never leaves a zombie or a runaway job behind.
class Subprocess {
 public:
  // Fails (Io) if the program cannot be executed, the message naming argv[0]
  // and the reason: "cannot run 'nosuch': No such file or directory". Also
  // fails for an empty argv, NUL bytes in arguments, an unusable cwd or
  // output file.
  static Result<Subprocess> Start(const SubprocessOptions& options);

  Subprocess(Subprocess&&) noexcept;
  Subprocess& operator=(Subprocess&&) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  // Blocks until the child exits, enforcing the timeout and the SIGKILL
  // escalation after a Terminate(). After a timeout or Terminate() any members
  // of the group still alive when the child exits are SIGKILLed, so nothing of
  // a cancelled job survives. Call from one thread at a time; calling again
  // after it returned gives the same result.
  Result<SubprocessResult> Wait();

  // Cancellation: SIGTERM to the whole group now, SIGKILL after kill_grace.
  // Never blocks and may be called from any thread, concurrently with Wait();
  // the SIGKILL is sent by Wait() (or the destructor kills at once if nobody
  // waits). A no-op once the child has been reaped or already terminated.
  void Terminate();

  // The child's pid, which is also its process group id; -1 if moved from.
  int pid() const;

 private:
  struct State;
  explicit Subprocess(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Start() followed by Wait().
Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

}  // namespace ctlflow
