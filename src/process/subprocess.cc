#include "process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace ctlflow {
namespace {

using Clock = std::chrono::steady_clock;

// Thread-safe, unlike strerror().
std::string ErrnoMessage(int err) { return std::generic_category().message(err); }

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    // close() is not retried on EINTR: on Linux the fd is released anyway.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

class SpawnFileActions {
 public:
  SpawnFileActions() : init_error_(posix_spawn_file_actions_init(&actions_)) {}
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  ~SpawnFileActions() {
    if (init_error_ == 0) posix_spawn_file_actions_destroy(&actions_);
  }
  int init_error() const { return init_error_; }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
  int init_error_;
};

class SpawnAttr {
 public:
  SpawnAttr() : init_error_(posix_spawnattr_init(&attr_)) {}
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  ~SpawnAttr() {
    if (init_error_ == 0) posix_spawnattr_destroy(&attr_);
  }
  int init_error() const { return init_error_; }
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
  int init_error_;
};

// posix_spawn* functions return an error number instead of setting errno.
Status CheckSpawnCall(int rc, const char* what) {
  if (rc == 0) return Status::Ok();
  return Status::Io(std::string("preparing subprocess (") + what + "): " + ErrnoMessage(rc));
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::string_view EnvKey(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

// The child's environment: the inherited one with the overrides applied.
// Copied here, before spawning, so nothing is read from the process-wide
// environment while another thread might change it mid-spawn.
Result<std::vector<std::string>> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::unordered_map<std::string_view, size_t> override_index;  // key -> last position
  for (size_t i = 0; i < overrides.size(); ++i) {
    const auto& [key, value] = overrides[i];
    if (key.empty() || key.find('=') != std::string::npos || HasNul(key) || HasNul(value)) {
      return Status::Invalid("invalid environment variable name or value for '" + key + "'");
    }
    override_index[key] = i;
  }
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view e(*entry);
    if (override_index.count(EnvKey(e)) == 0) env.emplace_back(e);
  }
  for (size_t i = 0; i < overrides.size(); ++i) {
    const auto& [key, value] = overrides[i];
    if (override_index.at(key) == i) env.push_back(key + "=" + value);
  }
  return env;
}

std::string_view FindPathVariable(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    if (EnvKey(entry) == "PATH") return std::string_view(entry).substr(5);
  }
  // What execvp() uses when PATH is unset, minus the current directory.
  return "/bin:/usr/bin";
}

// Looks name up in the child's PATH, the way execvp() would, so that a PATH
// override in options.env applies to finding the program too.
Result<std::string> ResolveProgram(const std::string& name, std::string_view path_var) {
  if (name.find('/') != std::string::npos) return name;
  int error = ENOENT;
  while (true) {
    const size_t colon = path_var.find(':');
    const std::string_view dir = path_var.substr(0, colon);
    // Relative entries (including the empty one, meaning ".") would make the
    // program depend on the working directory; never search them.
    if (!dir.empty() && dir.front() == '/') {
      std::string candidate(dir);
      candidate += '/';
      candidate += name;
      struct stat st;
      if (::stat(candidate.c_str(), &st) == 0) {
        if (S_ISREG(st.st_mode)) {
          if (::access(candidate.c_str(), X_OK) == 0) return candidate;
          error = EACCES;
        }
      } else if (errno == EACCES) {
        error = EACCES;
      }
    }
    if (colon == std::string_view::npos) break;
    path_var.remove_prefix(colon + 1);
  }
  return Status::Io("cannot run '" + name + "': " + ErrnoMessage(error));
}

// Checked here because a failing chdir inside posix_spawn would be reported
// like an exec failure, naming the program instead of the directory.
Status CheckWorkingDirectory(const std::string& cwd) {
  struct stat st;
  int error = 0;
  if (::stat(cwd.c_str(), &st) != 0) {
    error = errno;
  } else if (!S_ISDIR(st.st_mode)) {
    error = ENOTDIR;
  } else if (::access(cwd.c_str(), X_OK) != 0) {
    error = errno;
  }
  if (error == 0) return Status::Ok();
  return Status::Io("cannot use working directory '" + cwd + "': " + ErrnoMessage(error));
}

Result<UniqueFd> OpenOutput(const std::string& path) {
  const bool discard = path.empty();
  const int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (discard ? 0 : O_CREAT | O_APPEND);
  int fd;
  do {
    fd = ::open(discard ? "/dev/null" : path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return Status::Io("cannot open output file '" + (discard ? "/dev/null" : path) +
                      "': " + ErrnoMessage(errno));
  }
  UniqueFd out(fd);
  // If our own stdio was closed, open() may return 1 or 2, and dup2(fd, fd)
  // in the child would not clear close-on-exec; keep it above stderr.
  if (out.get() < 3) {
    UniqueFd moved(::fcntl(out.get(), F_DUPFD_CLOEXEC, 3));
    if (!moved.valid()) return Status::Io("cannot duplicate output fd: " + ErrnoMessage(errno));
    out = std::move(moved);
  }
  return out;
}

std::vector<char*> PointerArray(const std::vector<std::string>& strings) {
  std::vector<char*> ptrs;
  ptrs.reserve(strings.size() + 1);
  // posix_spawn takes char* const[] for C compatibility but does not write.
  for (const std::string& s : strings) ptrs.push_back(const_cast<char*>(s.c_str()));
  ptrs.push_back(nullptr);
  return ptrs;
}

int PollTimeoutMs(Clock::duration d) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  if (ms <= 0) return 0;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// Without a pidfd, exit is noticed by polling this often.
constexpr int kFallbackPollMs = 10;

}  // namespace

struct Subprocess::State {
  pid_t pid = -1;
  UniqueFd pidfd;  // invalid if pidfd_open is unavailable
  UniqueFd wake;   // eventfd that Terminate() uses to interrupt Wait()'s poll
  Clock::time_point started;
  std::optional<Clock::time_point> deadline;
  std::chrono::milliseconds kill_grace{0};

  std::mutex mu;
  // Guarded by mu. Signals are only sent while !reaped: until we reap the
  // child its pid (and thus the group id) cannot be reused by the kernel, so
  // we can never signal an unrelated process group.
  bool reaped = false;
  bool terminating = false;  // SIGTERM sent
  bool killed = false;       // SIGKILL sent
  bool timed_out = false;
  Clock::time_point kill_at;
  std::optional<SubprocessResult> result;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  ~State() {
    if (pid <= 0 || reaped) return;
    SignalLocked(SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  void SignalLocked(int sig) {
    ::kill(-pid, sig);
    // Also the child itself, in case it moved to a group of its own.
    ::kill(pid, sig);
  }

  void BeginTerminationLocked(Clock::time_point now) {
    if (terminating) return;
    terminating = true;
    kill_at = now + kill_grace;
    SignalLocked(SIGTERM);
  }
};

bool SubprocessResult::ok() const { return exit_code == 0 && term_signal == 0 && !timed_out; }

std::string SubprocessResult::Describe() const {
  if (timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f", static_cast<double>(elapsed.count()) / 1000.0);
    return std::string("timed out after ") + seconds + " s";
  }
  if (term_signal != 0) {
    std::string text = "killed by signal " + std::to_string(term_signal);
    if (const char* abbrev = sigabbrev_np(term_signal)) {
      text += std::string(" (SIG") + abbrev + ")";
    }
    return text;
  }
  return "exit code " + std::to_string(exit_code);
}

Subprocess::Subprocess(std::unique_ptr<State> state) : state_(std::move(state)) {}
Subprocess::Subprocess(Subprocess&&) noexcept = default;
Subprocess& Subprocess::operator=(Subprocess&&) noexcept = default;
Subprocess::~Subprocess() = default;

int Subprocess::pid() const { return state_ ? state_->pid : -1; }

Result<Subprocess> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return Status::Invalid("cannot run a subprocess with an empty argv");
  const std::string& name = options.argv[0];
  if (name.empty()) return Status::Invalid("cannot run a subprocess with an empty program name");
  for (size_t i = 0; i < options.argv.size(); ++i) {
    if (HasNul(options.argv[i])) {
      return Status::Invalid("argument " + std::to_string(i) + " of '" + name +
                             "' contains a NUL byte");
    }
  }
  if (HasNul(options.cwd) || HasNul(options.output_path)) {
    return Status::Invalid("cwd or output path of '" + name + "' contains a NUL byte");
  }

  // Everything the child needs is built now: after posix_spawn's clone the
  // child must not allocate, and other threads may be spawning too.
  CTL_ASSIGN_OR_RETURN(std::vector<std::string> env, BuildEnvironment(options.env));
  CTL_ASSIGN_OR_RETURN(std::string program, ResolveProgram(name, FindPathVariable(env)));
  if (!options.cwd.empty()) CTL_RETURN_IF_ERROR(CheckWorkingDirectory(options.cwd));
  CTL_ASSIGN_OR_RETURN(UniqueFd output, OpenOutput(options.output_path));

  auto state = std::make_unique<State>();
  state->wake = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!state->wake.valid()) return Status::Io("cannot create eventfd: " + ErrnoMessage(errno));
  state->kill_grace = options.kill_grace;

  SpawnFileActions actions;
  CTL_RETURN_IF_ERROR(CheckSpawnCall(actions.init_error(), "file actions"));
  CTL_RETURN_IF_ERROR(CheckSpawnCall(
      posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0),
      "stdin"));
  CTL_RETURN_IF_ERROR(CheckSpawnCall(
      posix_spawn_file_actions_adddup2(actions.get(), output.get(), STDOUT_FILENO), "stdout"));
  CTL_RETURN_IF_ERROR(CheckSpawnCall(
      posix_spawn_file_actions_adddup2(actions.get(), output.get(), STDERR_FILENO), "stderr"));
  // Our own fds are close-on-exec, but fds another thread or a library opened
  // without O_CLOEXEC would otherwise leak into every job.
  CTL_RETURN_IF_ERROR(CheckSpawnCall(
      posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1), "closefrom"));
  if (!options.cwd.empty()) {
    CTL_RETURN_IF_ERROR(CheckSpawnCall(
        posix_spawn_file_actions_addchdir_np(actions.get(), options.cwd.c_str()), "chdir"));
  }

  SpawnAttr attr;
  CTL_RETURN_IF_ERROR(CheckSpawnCall(attr.init_error(), "attributes"));
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  // A new process group so the whole tree can be signalled at once; a clean
  // signal mask and default dispositions so that what this thread blocks or
  // ignores (SIGPIPE, typically) does not change how the job behaves.
  CTL_RETURN_IF_ERROR(CheckSpawnCall(
      posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF),
      "flags"));
  CTL_RETURN_IF_ERROR(CheckSpawnCall(posix_spawnattr_setpgroup(attr.get(), 0), "pgroup"));
  CTL_RETURN_IF_ERROR(CheckSpawnCall(posix_spawnattr_setsigmask(attr.get(), &no_signals), "mask"));
  CTL_RETURN_IF_ERROR(
      CheckSpawnCall(posix_spawnattr_setsigdefault(attr.get(), &all_signals), "signals"));

  std::vector<char*> argv_ptrs = PointerArray(options.argv);
  std::vector<char*> envp_ptrs = PointerArray(env);

  state->started = Clock::now();
  if (options.timeout) state->deadline = state->started + *options.timeout;
  pid_t pid = -1;
  // glibc's posix_spawn waits until the child has exec'ed (CLONE_VFORK) and
  // returns the exec error, reaping the failed child itself. By the time it
  // returns, the child is already the leader of its own group.
  const int rc =
      posix_spawn(&pid, program.c_str(), actions.get(), attr.get(), argv_ptrs.data(),
                  envp_ptrs.data());
  if (rc != 0) return Status::Io("cannot run '" + name + "': " + ErrnoMessage(rc));
  state->pid = pid;

#ifdef SYS_pidfd_open
  // Cannot race with pid reuse: the child is ours and not yet reaped.
  state->pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#endif
  return Subprocess(std::move(state));
}

Result<SubprocessResult> Subprocess::Wait() {
  if (!state_) return Status::Internal("Wait() on a moved-from Subprocess");
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.result) return *s.result;
  }

  while (true) {
    // Only look, do not reap yet: as a zombie the child keeps its pid and
    // group id reserved, so Terminate() and the clean-up below stay safe.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(s.pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
      if (errno == EINTR) continue;
      return Status::Io("waiting for process " + std::to_string(s.pid) + ": " +
                        ErrnoMessage(errno));
    }
    if (info.si_pid == s.pid) break;

    int timeout_ms = -1;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      const Clock::time_point now = Clock::now();
      if (s.deadline && !s.terminating && now >= *s.deadline) {
        s.timed_out = true;
        s.BeginTerminationLocked(now);
      }
      if (s.terminating && !s.killed && now >= s.kill_at) {
        s.killed = true;
        s.SignalLocked(SIGKILL);
      }
      if (s.terminating && !s.killed) {
        timeout_ms = PollTimeoutMs(s.kill_at - now);
      } else if (s.deadline && !s.terminating) {
        timeout_ms = PollTimeoutMs(*s.deadline - now);
      }
    }
    if (!s.pidfd.valid() && (timeout_ms < 0 || timeout_ms > kFallbackPollMs)) {
      timeout_ms = kFallbackPollMs;
    }

    pollfd fds[2] = {{s.wake.get(), POLLIN, 0}, {s.pidfd.get(), POLLIN, 0}};
    const nfds_t nfds = s.pidfd.valid() ? 2 : 1;
    const int ready = ::poll(fds, nfds, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      return Status::Io("waiting for process " + std::to_string(s.pid) + ": " +
                        ErrnoMessage(errno));
    }
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      uint64_t count;
      const ssize_t n = ::read(s.wake.get(), &count, sizeof(count));  // drain; the state is in s
      (void)n;
    }
  }

  std::lock_guard<std::mutex> lock(s.mu);
  // A cancelled job must not live on through children that outlived it.
  if (s.terminating) s.SignalLocked(SIGKILL);
  int wait_status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(s.pid, &wait_status, 0);
  } while (reaped < 0 && errno == EINTR);
  const int wait_errno = errno;
  const Clock::time_point now = Clock::now();
  // Even on failure (ECHILD) there is nothing left to reap or signal.
  s.reaped = true;
  if (reaped < 0) {
    return Status::Io("reaping process " + std::to_string(s.pid) + ": " +
                      ErrnoMessage(wait_errno));
  }

  SubprocessResult result;
  if (WIFEXITED(wait_status)) result.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) result.term_signal = WTERMSIG(wait_status);
  result.timed_out = s.timed_out;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.started);
  s.result = result;
  return result;
}

void Subprocess::Terminate() {
  if (!state_) return;
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.reaped || s.terminating) return;
  s.BeginTerminationLocked(Clock::now());
  // Wake a Wait() blocked in poll so it schedules the SIGKILL.
  const uint64_t one = 1;
  const ssize_t n = ::write(s.wake.get(), &one, sizeof(one));
  (void)n;
}

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options) {
  CTL_ASSIGN_OR_RETURN(Subprocess process, Subprocess::Start(options));
  return process.Wait();
}

}  // namespace ctlflow
