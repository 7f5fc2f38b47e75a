#include "processes/notebook_document.h"

#include <array>
#include <cstdio>
#include <sstream>
#include <vector>

#include "common/strings.h"

namespace ctlflow {

namespace {

void AppendHex(std::string& out, char kind, uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\%c%0*x", kind, digits, static_cast<unsigned>(value));
  out += buf;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point (U+FFFD for an
// invalid sequence) and advances i past it (one byte when invalid).
uint32_t DecodeUtf8(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  uint32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) len = 2, cp = b0 & 0x1F, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0) len = 3, cp = b0 & 0x0F, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0) len = 4, cp = b0 & 0x07, min = 0x10000;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}

bool HasTag(const NotebookJson& cell, std::string_view tag) {
  if (!cell.is_object() || !cell.contains("metadata") || !cell["metadata"].is_object()) return false;
  const auto& md = cell["metadata"];
  if (!md.contains("tags") || !md["tags"].is_array()) return false;
  for (const auto& t : md["tags"])
    if (t.is_string() && t.get<std::string>() == tag) return true;
  return false;
}

std::string Shorten(std::string s, size_t max = 300) {
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl) + " ...";
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// "text" of a stream output, a string or a list of strings.
std::string JoinedText(const NotebookJson& value) {
  if (value.is_string()) return value.get<std::string>();
  std::string out;
  if (value.is_array())
    for (const auto& part : value)
      if (part.is_string()) out += part.get<std::string>();
  return out;
}

}  // namespace

std::string PythonStringLiteral(std::string_view utf8) {
  std::string out = "\"";
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = DecodeUtf8(utf8, i);
    switch (cp) {
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp < 0x100) {
      AppendHex(out, 'x', cp, 2);
    } else if (cp < 0x10000) {
      AppendHex(out, 'u', cp, 4);
    } else {
      AppendHex(out, 'U', cp, 8);
    }
  }
  out += "\"";
  return out;
}

bool IsPythonIdentifier(std::string_view name) {
  static const std::array<std::string_view, 36> kKeywords = {
      "False", "None",   "True",    "and",      "as",       "assert", "async",  "await",  "break",
      "class", "continue", "def",   "del",      "elif",     "else",   "except", "finally", "for",
      "from",  "global", "if",      "import",   "in",       "is",     "lambda", "nonlocal", "not",
      "or",    "pass",   "raise",   "return",   "try",      "while",  "with",   "yield",  "__debug__"};
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  for (auto k : kKeywords)
    if (k == name) return false;
  return true;
}

bool IsReservedNotebookName(std::string_view name) {
  static const std::array<std::string_view, 9> kReserved = {
      "af_parm", "data_dt", "run_id", "attempt", "prcs_nm",
      "strem_nm", "ctlflow_home", "ctlflow_result_path", "params"};
  for (auto r : kReserved)
    if (r == name) return true;
  return false;
}

std::string InjectedParametersSource(const NotebookParameters& p) {
  std::ostringstream s;
  s << "# Parameters injected by ctlflow (prcs_typ 1, notebook). Values are data.\n";
  s << "af_parm = " << PythonStringLiteral(p.af_parm) << "\n";
  s << "data_dt = " << PythonStringLiteral(p.data_dt) << "\n";
  s << "run_id = " << p.run_id << "\n";
  s << "attempt = " << p.attempt << "\n";
  s << "prcs_nm = " << PythonStringLiteral(p.prcs_nm) << "\n";
  s << "strem_nm = " << PythonStringLiteral(p.strem_nm) << "\n";
  s << "ctlflow_home = " << PythonStringLiteral(p.ctlflow_home) << "\n";
  s << "ctlflow_result_path = " << PythonStringLiteral(p.ctlflow_result_path) << "\n";
  if (p.params.empty()) {
    s << "params = {}\n";
  } else {
    s << "params = {\n";
    for (const auto& [k, v] : p.params)
      s << "    " << PythonStringLiteral(k) << ": " << PythonStringLiteral(v) << ",\n";
    s << "}\n";
  }
  for (const auto& [k, v] : p.params) {
    if (IsPythonIdentifier(k) && !IsReservedNotebookName(k))
      s << k << " = " << PythonStringLiteral(v) << "\n";
  }
  return s.str();
}

std::string CellSource(const NotebookJson& cell) {
  if (!cell.is_object() || !cell.contains("source")) return "";
  return JoinedText(cell["source"]);
}

Result<InjectedNotebook> InjectParameters(const NotebookJson& notebook, const std::string& source) {
  if (!notebook.is_object()) return Status::Invalid("the notebook is not a JSON object");
  if (!notebook.contains("nbformat") || !notebook["nbformat"].is_number_integer())
    return Status::Invalid("the notebook has no nbformat version");
  int64_t major = notebook["nbformat"].get<int64_t>();
  if (major != 4)
    return Status::Invalid("nbformat " + std::to_string(major) +
                           " is not supported (convert it to nbformat 4, e.g. by saving it in Jupyter)");
  if (!notebook.contains("cells") || !notebook["cells"].is_array())
    return Status::Invalid("the notebook has no \"cells\" array");
  int64_t minor = notebook.contains("nbformat_minor") && notebook["nbformat_minor"].is_number_integer()
                      ? notebook["nbformat_minor"].get<int64_t>()
                      : 0;

  InjectedNotebook out;
  out.notebook = notebook;
  NotebookJson cells = NotebookJson::array();
  for (const auto& cell : notebook["cells"]) {
    if (!cell.is_object()) return Status::Invalid("a cell of the notebook is not a JSON object");
    if (!HasTag(cell, "injected-parameters")) cells.push_back(cell);
  }
  size_t at = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (HasTag(cells[i], "parameters")) {
      at = i + 1;
      out.after_parameters_cell = true;
      break;
    }
  }
  NotebookJson cell = NotebookJson::object();
  cell["cell_type"] = "code";
  cell["execution_count"] = nullptr;
  if (minor >= 5) cell["id"] = "injected-parameters";
  cell["metadata"] = NotebookJson{{"tags", NotebookJson::array({"injected-parameters"})}};
  cell["outputs"] = NotebookJson::array();
  cell["source"] = source;
  cells.insert(cells.begin() + static_cast<std::ptrdiff_t>(at), cell);
  out.notebook["cells"] = std::move(cells);
  out.injected_index = at;
  return out;
}

std::string StripAnsi(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\x1b') {
      ++i;
      if (i < text.size() && text[i] == '[') {
        ++i;  // CSI: parameters and intermediates, then one final byte @..~
        while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
        if (i < text.size()) ++i;
      } else if (i < text.size()) {
        ++i;  // a two-byte escape
      }
      continue;
    }
    out += text[i++];
  }
  return out;
}

std::optional<std::string> DescribeNotebookError(const NotebookJson& executed) {
  if (!executed.is_object() || !executed.contains("cells") || !executed["cells"].is_array())
    return std::nullopt;
  int code_cell = 0;
  for (const auto& cell : executed["cells"]) {
    if (!cell.is_object() || !cell.contains("cell_type") || cell["cell_type"] != "code") continue;
    bool injected = HasTag(cell, "injected-parameters");
    if (!injected) ++code_cell;
    if (!cell.contains("outputs") || !cell["outputs"].is_array()) continue;
    for (const auto& output : cell["outputs"]) {
      if (!output.is_object() || !output.contains("output_type") || output["output_type"] != "error")
        continue;
      std::string ename = output.contains("ename") && output["ename"].is_string()
                              ? output["ename"].get<std::string>() : "error";
      std::string evalue = output.contains("evalue") && output["evalue"].is_string()
                               ? output["evalue"].get<std::string>() : "";
      std::string exception = Shorten(StripAnsi(evalue.empty() ? ename : ename + ": " + evalue));
      std::string message = (injected ? std::string("the injected parameters cell")
                                      : "cell " + std::to_string(code_cell)) + ": " + exception;
      std::string at_line, last_line;
      if (output.contains("traceback") && output["traceback"].is_array()) {
        for (const auto& entry : output["traceback"]) {
          if (!entry.is_string()) continue;
          std::string text = StripAnsi(entry.get<std::string>());
          // "Cell In[3], line 2" (IPython >= 8.6), "Cell In [3]" (8.0-8.5),
          // "Input In [3]" and "<ipython-input-3-...>" (older).
          bool cell_frame = text.find("Cell In") != std::string::npos ||
                            text.find("Input In [") != std::string::npos ||
                            text.find("<ipython-input-") != std::string::npos;
          for (const auto& line : Lines(text)) {
            std::string t = Trim(line, " \t\r\n");
            if (!t.empty()) last_line = t;
            if (cell_frame && at_line.empty() && t.rfind("---->", 0) == 0) {
              std::string rest = Trim(std::string_view(t).substr(5), " \t\r\n");
              size_t sp = rest.find(' ');
              std::string number = rest.substr(0, sp);
              std::string code = sp == std::string::npos ? "" : Trim(std::string_view(rest).substr(sp), " \t\r\n");
              at_line = "line " + number + ": " + Shorten(code, 200);
            }
          }
        }
      }
      if (!at_line.empty()) message += "; at " + at_line;
      if (!last_line.empty() && Shorten(last_line) != exception) message += "; " + Shorten(last_line);
      return message;
    }
  }
  return std::nullopt;
}

std::optional<std::string> FindPrintedResult(const NotebookJson& executed) {
  static const std::string kPrefix = "CTLFLOW_RESULT ";
  std::optional<std::string> found;
  if (!executed.is_object() || !executed.contains("cells") || !executed["cells"].is_array())
    return found;
  for (const auto& cell : executed["cells"]) {
    if (!cell.is_object() || !cell.contains("outputs") || !cell["outputs"].is_array()) continue;
    for (const auto& output : cell["outputs"]) {
      if (!output.is_object() || output.value("output_type", "") != "stream" ||
          output.value("name", "") != "stdout" || !output.contains("text"))
        continue;
      for (const auto& line : Lines(JoinedText(output["text"]))) {
        if (line.rfind(kPrefix, 0) == 0) found = Trim(std::string_view(line).substr(kPrefix.size()), " \t\r\n");
      }
    }
  }
  return found;
}

}  // namespace ctlflow
