// Pure functions on Jupyter notebook documents (nbformat 4 JSON) used by
// prcs_typ 1, notebook: parameter injection the way papermill does it, and
// reading errors and result records back out of an executed notebook.
//
// Parameters are always encoded as Python literals (strings escaped to pure
// ASCII, integers as integers); no user text is ever emitted as code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctlflow {

using NotebookJson = nlohmann::ordered_json;

// The values injected into a notebook's `injected-parameters` cell.
struct NotebookParameters {
  std::string af_parm;
  std::string data_dt;
  int64_t run_id = 0;
  int64_t attempt = 1;
  std::string prcs_nm;
  std::string strem_nm;
  std::string ctlflow_home;
  std::string ctlflow_result_path;
  std::map<std::string, std::string> params;  // --param name=value
};

// A double-quoted Python 3 string literal for UTF-8 text. The result is pure
// ASCII: \\ and \" are escaped, control characters and everything outside
// ASCII become \xNN / \uXXXX / \UXXXXXXXX. Invalid UTF-8 bytes (and encoded
// surrogates) become U+FFFD.
std::string PythonStringLiteral(std::string_view utf8);

// True for an ASCII Python identifier that is not a keyword (so `name = ...`
// is a valid assignment).
bool IsPythonIdentifier(std::string_view name);

// The names the injected cell always sets; a --param with one of these names
// is only available as params["name"].
bool IsReservedNotebookName(std::string_view name);

// The source of the injected cell: af_parm, data_dt, run_id, attempt,
// prcs_nm, strem_nm, ctlflow_home, ctlflow_result_path, params = {...}, then
// one variable per --param whose name is an identifier and not reserved.
std::string InjectedParametersSource(const NotebookParameters& p);

struct InjectedNotebook {
  NotebookJson notebook;
  // Index (0-based, among all cells of the result) of the injected cell.
  size_t injected_index = 0;
  bool after_parameters_cell = false;  // false: inserted at the top
};

// Validates the document (nbformat 4, a "cells" array), removes any earlier
// `injected-parameters` cells and inserts a new code cell tagged
// `injected-parameters` right after the first cell tagged `parameters`, or
// at the top when there is none.
Result<InjectedNotebook> InjectParameters(const NotebookJson& notebook, const std::string& source);

// Removes ANSI escape sequences (colours in IPython tracebacks).
std::string StripAnsi(std::string_view text);

// The first error output of an executed notebook, described as
// "cell N: <ename>: <evalue>" where N is the 1-based number of the code cell
// among the code cells of the ORIGINAL notebook (the injected cell is not
// counted), followed by "; at line L: <code>" when the traceback shows the
// failing line, and by the traceback's last line when it says more.
std::optional<std::string> DescribeNotebookError(const NotebookJson& executed);

// The JSON text after the last "CTLFLOW_RESULT " line printed to stdout by
// any cell of an executed notebook.
std::optional<std::string> FindPrintedResult(const NotebookJson& executed);

// Cell "source" as one string (it may be a string or a list of strings).
std::string CellSource(const NotebookJson& cell);

}  // namespace ctlflow
