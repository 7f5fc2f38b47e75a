#include "processes/notebook_process.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "process/subprocess.h"
#include "processes/notebook_document.h"

namespace ctlflow {

namespace fs = std::filesystem;

namespace {

// The interpreter that has Debian's python3-nbclient and python3-ipykernel;
// the first python3 on PATH may be a virtualenv without them.
constexpr const char* kPython = "/usr/bin/python3";

// Runs one notebook with nbclient: argv = input, output, kernel pid file.
// Saves the executed notebook whatever happens (a failing cell, SIGTERM), so
// the attempt keeps it. The kernel runs in its own session (jupyter_client
// does that), so on SIGTERM the driver SIGKILLs the kernel's process group
// before it exits; ctlflow also kills it from the pid file afterwards, in
// case the driver itself was SIGKILLed. Exit codes: 0 ok, 1 a cell failed,
// 2 anything else (traceback on stderr), 143 terminated.
constexpr const char* kDriver = R"PY(
import asyncio, os, signal, sys, traceback
src, dst, pid_path = sys.argv[1:4]
state = {"pid": None, "nb": None}

def save():
    if state["nb"] is None:
        return
    try:
        import nbformat
        nbformat.write(state["nb"], dst)
    except Exception as e:
        print("ctlflow-notebook: cannot write the executed notebook: %s" % e, file=sys.stderr)

def kill_kernel():
    pid = state["pid"]
    if pid:
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass

def on_term(*_):
    kill_kernel()
    print("ctlflow-notebook: terminated; the kernel was killed", file=sys.stderr, flush=True)
    save()
    os._exit(143)

signal.signal(signal.SIGTERM, on_term)

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from jupyter_client.kernelspec import KernelSpecManager

nb = nbformat.read(src, as_version=4)
state["nb"] = nb
wanted = (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
specs = KernelSpecManager().find_kernel_specs()
kernel_name = wanted if wanted in specs else "python3"
if kernel_name != wanted:
    print("ctlflow-notebook: kernel %r is not installed; using python3" % wanted, flush=True)

client = NotebookClient(nb, timeout=None, kernel_name=kernel_name, allow_errors=False,
                        resources={"metadata": {"path": os.getcwd()}})
start_kernel = client.async_start_new_kernel

async def start_and_record(**kwargs):
    await start_kernel(**kwargs)
    km = client.km
    proc = getattr(getattr(km, "provisioner", None), "process", None) or getattr(km, "kernel", None)
    pid = getattr(proc, "pid", None)
    if pid:
        state["pid"] = pid
        with open(pid_path, "w") as f:
            f.write("%d\n%s\n" % (pid, km.connection_file))
        print("ctlflow-notebook: kernel %s started, pid %d" % (kernel_name, pid), flush=True)
    try:  # replaces nbclient's graceful (slow) SIGTERM cleanup
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_term)
    except Exception:
        pass

client.async_start_new_kernel = start_and_record

def echo_outputs(cell=None, **_):
    for out in (cell or {}).get("outputs", []):
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            (sys.stdout if out.get("name") == "stdout" else sys.stderr).write(text if isinstance(text, str) else "".join(text))
    sys.stdout.flush(); sys.stderr.flush()

client.on_cell_executed = echo_outputs
code = 0
try:
    client.execute()
except CellExecutionError as e:
    import re
    print("ctlflow-notebook: a cell failed:\n%s" % re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(e)), file=sys.stderr)
    code = 1
except BaseException:
    traceback.print_exc()
    code = 2
save()
sys.stdout.flush(); sys.stderr.flush()
sys.exit(code)
)PY";

// SIGKILLs the kernel's process group if it is still there; the pid file
// names the kernel pid and its connection file, which must appear in the
// process's command line (so a reused pid is never hit).
void KillLeftoverKernel(const std::string& pid_file, const std::string& log_path) {
  std::ifstream in(pid_file);
  int64_t pid = 0;
  std::string connection_file;
  if (!(in >> pid) || pid <= 1) return;
  in >> std::ws;
  std::getline(in, connection_file);
  if (connection_file.empty()) return;
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
  if (cmdline.find(connection_file) == std::string::npos) return;
  ::kill(-static_cast<pid_t>(pid), SIGKILL);
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  AppendLogLine(log_path, "killed the leftover kernel, pid " + std::to_string(pid));
}

Result<NotebookJson> ReadNotebook(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io("cannot read " + path);
  auto doc = NotebookJson::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid(path + " is not valid JSON");
  return doc;
}

}  // namespace

ProcessOutcome RunNotebookProcess(const ProcessContext& ctx) {
  const Process& p = *ctx.process;
  ProcessOutcome out;
  out.status = AttemptStatus::kFailed;
  auto fail = [&](const std::string& message) {
    out.message = message;
    AppendLogLine(ctx.log_path, message);
    return out;
  };

  if (p.af_path_nm.empty())
    return fail("af_path_nm is empty: a notebook process needs the path of an .ipynb file");
  fs::path notebook_path = p.af_path_nm;
  if (notebook_path.is_relative()) notebook_path = fs::path(ctx.home) / notebook_path;
  std::error_code ec;
  if (!fs::is_regular_file(notebook_path, ec))
    return fail("the notebook " + p.af_path_nm + " is not available: " + notebook_path.string() +
                " does not exist; nothing was run");
  auto original = ReadNotebook(notebook_path.string());
  if (!original.ok()) return fail("notebook " + p.af_path_nm + ": " + original.status().message());

  const std::string input_path = ctx.log_path + ".input.ipynb";
  const std::string executed_path = ctx.log_path + ".ipynb";
  const std::string result_file = ctx.log_path + ".result.json";
  const std::string pid_file = ctx.log_path + ".kernel.pid";

  NotebookParameters params;
  params.af_parm = p.af_parm;
  params.data_dt = ctx.data_dt;
  params.run_id = ctx.run_id;
  params.attempt = ctx.attempt;
  params.prcs_nm = p.prcs_nm;
  params.strem_nm = ctx.strem_nm;
  params.ctlflow_home = ctx.home;
  params.ctlflow_result_path = result_file;
  params.params = ctx.params;
  auto injected = InjectParameters(*original, InjectedParametersSource(params));
  if (!injected.ok()) return fail("notebook " + p.af_path_nm + ": " + injected.status().message());
  {
    std::ofstream f(input_path, std::ios::binary | std::ios::trunc);
    f << injected->notebook.dump(1) << "\n";
    if (!f) return fail("cannot write " + input_path);
  }

  SubprocessOptions opts;
  opts.argv = {kPython, "-c", kDriver, input_path, executed_path, pid_file};
  opts.env = ContextEnvironment(ctx);
  opts.env.emplace_back("CTLFLOW_RESULT_FILE", result_file);
  opts.env.emplace_back("CTLFLOW_NOTEBOOK", executed_path);
  opts.env.emplace_back("PYTHONUNBUFFERED", "1");
  opts.env.emplace_back("PYDEVD_DISABLE_FILE_VALIDATION", "1");  // no debugger warnings in the log
  opts.cwd = ctx.home;
  opts.output_path = ctx.log_path;
  if (p.timeout_s) opts.timeout = std::chrono::seconds(*p.timeout_s);

  AppendLogLine(ctx.log_path,
                "running notebook " + p.af_path_nm + " with " + kPython + " (nbclient); parameters injected " +
                    (injected->after_parameters_cell
                         ? "after the cell tagged 'parameters' (cell index " +
                               std::to_string(injected->injected_index) + ")"
                         : std::string("at the top (no cell is tagged 'parameters')")));
  AppendLogLine(ctx.log_path, "input notebook: " + input_path);
  AppendLogLine(ctx.log_path, "executed notebook: " + executed_path);

  auto started = Subprocess::Start(opts);
  if (!started.ok()) return fail(started.status().message());
  Result<SubprocessResult> result = Status::Internal("not waited");
  {
    Subprocess& child = *started;
    CancelSubscription on_cancel(ctx.cancel, [&child] { child.Terminate(); });
    result = child.Wait();
  }
  KillLeftoverKernel(pid_file, ctx.log_path);
  fs::remove(pid_file, ec);

  if (ctx.cancel && ctx.cancel->cancelled())
    return fail(CancelMessage(ctx, "the notebook and its kernel were stopped"));
  if (!result.ok()) return fail(result.status().message());
  AppendLogLine(ctx.log_path, "finished: " + result->Describe());
  const std::string kept = fs::exists(executed_path, ec)
                               ? "; executed notebook: " + executed_path
                               : "; no executed notebook was written";
  if (result->timed_out) {
    out.status = AttemptStatus::kTimedOut;
    out.message = TimeoutMessage(p, "the notebook's kernel was killed" + kept);
    return out;
  }
  if (!result->ok()) {
    std::string detail;
    if (fs::exists(executed_path, ec)) {
      auto executed = ReadNotebook(executed_path);
      if (executed.ok()) {
        auto error = DescribeNotebookError(*executed);
        if (error) detail = *error;
      }
    }
    if (detail.empty()) {
      std::string last = LastOutputLine(ctx.log_path, 300);
      detail = result->Describe() + (last.empty() ? "" : "; last output: " + last);
      if (last.find("No module named") != std::string::npos)
        detail += " (install Jupyter with scripts/setup.sh)";
    }
    out.message = "notebook " + p.af_path_nm + " failed: " + detail + kept;
    return out;
  }

  auto from_file = ReadResultFile(result_file);
  if (!from_file.ok()) return fail(from_file.status().message());
  std::optional<ResultRecord> record = *from_file;
  if (!record && fs::exists(executed_path, ec)) {
    auto executed = ReadNotebook(executed_path);
    if (executed.ok()) {
      if (auto printed = FindPrintedResult(*executed)) {
        auto parsed = ParseResultRecord(*printed, "the printed CTLFLOW_RESULT line");
        if (!parsed.ok()) return fail(parsed.status().message());
        record = *parsed;
      }
    }
  }
  out.status = AttemptStatus::kSuccess;
  if (record) {
    out.source_row = record->source_row;
    out.target_row = record->target_row;
    if (record->message) out.message = *record->message;
  }
  if (out.message.empty()) out.message = "notebook executed; executed notebook: " + executed_path;
  return out;
}

}  // namespace ctlflow
