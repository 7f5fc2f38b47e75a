// The operations behind the CLI's commands and the server's endpoints:
// trigger, pause, clear, cancel, apply and "new process like". Each is
// written once here and returns values; `ctlflow trigger` prints them and
// POST /api/v1/streams/{s}/trigger serializes them, so both behave alike.
//
// `field` arguments name the input in messages: "--date" on the command
// line, "date" in a JSON body.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "compiler/compiler.h"
#include "config/documents.h"
#include "store/metadata_store.h"

namespace ctlflow {

// Reads the control tables into the compiler's config.
Result<ControlConfig> LoadConfig(MetadataStore& store);
// NotFound unless cntl_cfg_strem has the stream.
Status RequireStream(MetadataStore& store, const std::string& stream);

// Today's date in UTC, YYYY-MM-DD.
std::string TodayUtc();
// The current UTC time in strftime format `format`.
std::string UtcNow(const char* format);
// Checks YYYY-MM-DD and that it is a real calendar date.
Status CheckDate(const std::string& text, const std::string& field);
// name=value pairs; names are letters, digits and _.
Result<std::map<std::string, std::string>> ParseParams(const std::vector<std::string>& params);
Status CheckParamNames(const std::map<std::string, std::string>& params, const std::string& field);

struct TriggerResult {
  int64_t run_id = 0;
  std::string stream, data_dt;
};
// Queues a manual run ("" = today); a running scheduler starts it.
Result<TriggerResult> TriggerRun(MetadataStore& store, const std::string& stream, const std::string& date,
                                 const std::map<std::string, std::string>& params,
                                 const std::string& date_field = "--date");

Status PauseStream(MetadataStore& store, const std::string& stream, bool paused);

struct ClearResult {
  int64_t run_id = 0;
  std::vector<RunClear> clears;  // empty: nothing to clear
};
// Re-queues the newest run of `stream` for `date`: its failed processes
// (or all, unless failed_only), or only `processes` and what is downstream
// of them.
Result<ClearResult> ClearStreamRun(MetadataStore& store, const std::string& stream, const std::string& date,
                                   bool failed_only, const std::vector<std::string>& processes,
                                   const std::string& date_field = "--date",
                                   const std::string& processes_field = "--process");
// The processes whose latest attempt in the run did not succeed (or all).
Result<std::vector<RunClear>> ClearsFor(MetadataStore& store, const RunRecord& run, bool failed_only,
                                        const std::set<std::string>& only);

// Cancels a run; returns what happened in words. Invalid if it has ended.
Result<std::string> CancelRun(MetadataStore& store, int64_t run_id, const std::string& reason);

// Applies a document of control-table rows in one transaction, validated
// like `apply`; messages that name a row get the row's source location.
Result<std::vector<TableChangeSummary>> ApplyDocument(MetadataStore& store, const ConfigDocument& doc,
                                                      bool prune, bool dry_run);
// Deletes rows of one table by key (RowKeyText: "P" or, for
// cntl_cfg_prcs_depn, "P/DEP"), validated like `apply --prune`: a delete that
// leaves a dangling reference is refused and nothing changes.
Result<std::vector<TableChangeSummary>> DeleteRows(MetadataStore& store, const TableDef& table,
                                                   const std::vector<std::string>& keys, bool dry_run);

// One new process stamped from an existing one (`process new --like`).
struct ProcessStamp {
  std::string name, like;
  std::vector<std::pair<std::string, std::string>> sets;  // column, text ("" = NULL)
  std::string where;  // "file:line", "command line", "request body"
};
Result<std::vector<TableChangeSummary>> StampProcesses(MetadataStore& store, const std::vector<ProcessStamp>& stamps,
                                                       bool dry_run);

// Named connections, built-in ones included. Saving validates the
// definition and makes a password file's path absolute; removing refuses a
// connection that a process's conn_nm still uses.
Result<ConnectionDef> FindConnection(MetadataStore& store, const std::string& name);
Result<ConnectionDef> SaveConnection(MetadataStore& store, const ConnectionDef& def);
Status RemoveUnusedConnection(MetadataStore& store, const std::string& name);

// "table: 1 inserted, ..." lines with "+ key" / "~ key" / "- key" below.
std::string FormatSummary(const std::vector<TableChangeSummary>& summaries, bool dry_run);

}  // namespace ctlflow
