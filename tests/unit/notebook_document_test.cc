// prcs_typ 1 notebook: parameter injection and reading executed notebooks.
#include "processes/notebook_document.h"
#include "processes/process_type.h"

#include <gtest/gtest.h>

namespace ctlflow {
namespace {

TEST(NotebookDocument, PythonStringLiteralEscapesEverythingToAscii) {
  EXPECT_EQ(PythonStringLiteral(""), "\"\"");
  EXPECT_EQ(PythonStringLiteral("plain text"), "\"plain text\"");
  EXPECT_EQ(PythonStringLiteral("a\"b'c"), "\"a\\\"b'c\"");
  EXPECT_EQ(PythonStringLiteral("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
  EXPECT_EQ(PythonStringLiteral("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(PythonStringLiteral(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(PythonStringLiteral(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(PythonStringLiteral("h\xC3\xA9"), "\"h\\xe9\"");              // é
  EXPECT_EQ(PythonStringLiteral("\xE2\x9C\x93"), "\"\\u2713\"");          // ✓
  EXPECT_EQ(PythonStringLiteral("\xF0\x9F\x98\x80"), "\"\\U0001f600\"");  // 😀
  // Invalid UTF-8, an overlong encoding and an encoded surrogate.
  EXPECT_EQ(PythonStringLiteral("\xFF" "a"), "\"\\ufffda\"");
  EXPECT_EQ(PythonStringLiteral("\xC0\xAF"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(PythonStringLiteral("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  // Truncated sequence at the end.
  EXPECT_EQ(PythonStringLiteral("x\xE2\x9C"), "\"x\\ufffd\\ufffd\"");
  // Code-looking text stays inside the literal.
  EXPECT_EQ(PythonStringLiteral("\"); import os; os.system(\"x"),
            "\"\\\"); import os; os.system(\\\"x\"");
}

TEST(NotebookDocument, IdentifiersAndReservedNames) {
  EXPECT_TRUE(IsPythonIdentifier("region"));
  EXPECT_TRUE(IsPythonIdentifier("_x1"));
  EXPECT_TRUE(IsPythonIdentifier("match"));  // soft keyword: assignable
  EXPECT_FALSE(IsPythonIdentifier(""));
  EXPECT_FALSE(IsPythonIdentifier("1x"));
  EXPECT_FALSE(IsPythonIdentifier("not-ident"));
  EXPECT_FALSE(IsPythonIdentifier("a b"));
  EXPECT_FALSE(IsPythonIdentifier("class"));
  EXPECT_FALSE(IsPythonIdentifier("None"));
  EXPECT_FALSE(IsPythonIdentifier("__debug__"));
  EXPECT_FALSE(IsPythonIdentifier("x=1;y"));
  EXPECT_TRUE(IsReservedNotebookName("data_dt"));
  EXPECT_TRUE(IsReservedNotebookName("params"));
  EXPECT_FALSE(IsReservedNotebookName("region"));
}

TEST(NotebookDocument, InjectedSourceHoldsOnlyLiterals) {
  NotebookParameters p;
  p.af_parm = "x\"); __import__('os')";
  p.data_dt = "2024-01-02";
  p.run_id = 7;
  p.attempt = 2;
  p.prcs_nm = "P";
  p.strem_nm = "S";
  p.ctlflow_home = "/h";
  p.ctlflow_result_path = "/h/r.json";
  p.params = {{"region", "eu"}, {"not-ident", "a\nb"}, {"class", "k"}, {"data_dt", "evil"}};
  std::string s = InjectedParametersSource(p);
  EXPECT_NE(s.find("af_parm = \"x\\\"); __import__('os')\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("data_dt = \"2024-01-02\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("run_id = 7\n"), std::string::npos) << s;
  EXPECT_NE(s.find("attempt = 2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ctlflow_result_path = \"/h/r.json\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("    \"not-ident\": \"a\\nb\",\n"), std::string::npos) << s;
  EXPECT_NE(s.find("    \"data_dt\": \"evil\",\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\nregion = \"eu\"\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("\nclass ="), std::string::npos) << s;
  EXPECT_EQ(s.find("\ndata_dt = \"evil\""), std::string::npos) << s;
  EXPECT_EQ(s.find("\nnot-ident"), std::string::npos) << s;
}

NotebookJson Nb(NotebookJson cells, int minor = 5) {
  return NotebookJson{{"cells", cells}, {"metadata", NotebookJson::object()}, {"nbformat", 4},
                      {"nbformat_minor", minor}};
}

NotebookJson Code(const std::string& src, std::vector<std::string> tags = {}) {
  NotebookJson c{{"cell_type", "code"}, {"execution_count", nullptr}, {"metadata", NotebookJson::object()},
                 {"outputs", NotebookJson::array()}, {"source", src}};
  if (!tags.empty()) c["metadata"]["tags"] = tags;
  return c;
}

TEST(NotebookDocument, InjectsAfterTheParametersCellOrAtTheTop) {
  NotebookJson md{{"cell_type", "markdown"}, {"metadata", NotebookJson::object()}, {"source", "# t"}};
  auto with = InjectParameters(Nb({md, Code("import x"), Code("a = 1", {"x", "parameters"}), Code("b")}), "a = 2\n");
  ASSERT_TRUE(with.ok()) << with.status().message();
  EXPECT_TRUE(with->after_parameters_cell);
  EXPECT_EQ(with->injected_index, 3u);
  const auto& cells = with->notebook["cells"];
  ASSERT_EQ(cells.size(), 5u);
  EXPECT_EQ(cells[3]["metadata"]["tags"][0], "injected-parameters");
  EXPECT_EQ(cells[3]["source"], "a = 2\n");
  EXPECT_EQ(cells[3]["id"], "injected-parameters");
  EXPECT_EQ(cells[4]["source"], "b");

  // No parameters cell: at the top. nbformat 4.4 cells get no id.
  auto top = InjectParameters(Nb({Code("x")}, 4), "p = 1\n");
  ASSERT_TRUE(top.ok());
  EXPECT_FALSE(top->after_parameters_cell);
  EXPECT_EQ(top->injected_index, 0u);
  EXPECT_FALSE(top->notebook["cells"][0].contains("id"));

  // Re-injecting into an executed notebook replaces the old injected cell.
  auto again = InjectParameters(with->notebook, "a = 3\n");
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->notebook["cells"].size(), 5u);
  EXPECT_EQ(again->notebook["cells"][3]["source"], "a = 3\n");
}

TEST(NotebookDocument, RejectsWhatIsNotANotebook4) {
  EXPECT_FALSE(InjectParameters(NotebookJson::array(), "").ok());
  EXPECT_FALSE(InjectParameters(NotebookJson{{"nbformat", 4}}, "").ok());
  auto v3 = InjectParameters(NotebookJson{{"nbformat", 3}, {"worksheets", NotebookJson::array()}}, "");
  ASSERT_FALSE(v3.ok());
  EXPECT_NE(v3.status().message().find("nbformat 3"), std::string::npos);
}

TEST(NotebookDocument, StripAnsi) {
  EXPECT_EQ(StripAnsi("\x1b[0;31mValueError\x1b[0m: boom"), "ValueError: boom");
  EXPECT_EQ(StripAnsi("\x1b[1;32m----> 2\x1b[39m x"), "----> 2 x");
  EXPECT_EQ(StripAnsi("plain"), "plain");
}

TEST(NotebookDocument, DescribesTheFirstErrorWithCellNumberAndLine) {
  NotebookJson failing = Code("x = 1\n1/0\n");
  failing["outputs"] = NotebookJson::array({NotebookJson{
      {"output_type", "error"}, {"ename", "ZeroDivisionError"}, {"evalue", "division by zero"},
      {"traceback", {"\x1b[0;31m----------------\x1b[0m",
                     "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n      1 x = 1\n\x1b[0;32m----> 2\x1b[0m \x1b[38;5;241m1\x1b[39m/0\n",
                     "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"}}}});
  NotebookJson nb = Nb({Code("import a"), Code("p = 1", {"parameters"}), Code("p = 2", {"injected-parameters"}),
                        NotebookJson{{"cell_type", "markdown"}, {"metadata", NotebookJson::object()}, {"source", ""}},
                        failing});
  auto msg = DescribeNotebookError(nb);
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(*msg, "cell 3: ZeroDivisionError: division by zero; at line 2: 1/0");
  EXPECT_FALSE(DescribeNotebookError(Nb({Code("ok")})).has_value());
}

TEST(NotebookDocument, FindsTheLastPrintedResultAndParsesRecords) {
  NotebookJson c = Code("print(...)");
  c["outputs"] = NotebookJson::array(
      {NotebookJson{{"output_type", "stream"}, {"name", "stdout"},
                    {"text", {"hello\n", "CTLFLOW_RESULT {\"source_row\": 1}\n"}}},
       NotebookJson{{"output_type", "stream"}, {"name", "stderr"}, {"text", "CTLFLOW_RESULT {\"source_row\": 9}\n"}},
       NotebookJson{{"output_type", "stream"}, {"name", "stdout"},
                    {"text", "x\nCTLFLOW_RESULT {\"source_row\": 3, \"target_row\": 4}\nbye\n"}}});
  auto printed = FindPrintedResult(Nb({c}));
  ASSERT_TRUE(printed.has_value());
  EXPECT_EQ(*printed, "{\"source_row\": 3, \"target_row\": 4}");
  EXPECT_FALSE(FindPrintedResult(Nb({Code("x")})).has_value());

  auto rec = ParseResultRecord(*printed, "here");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->source_row, 3);
  EXPECT_EQ(rec->target_row, 4);
  auto partial = ParseResultRecord("{\"target_row\": null, \"message\": \"m\"}", "here");
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->source_row.has_value());
  EXPECT_EQ(partial->message, "m");
  EXPECT_FALSE(ParseResultRecord("{\"source_row\": \"5\"}", "here").ok());
  EXPECT_FALSE(ParseResultRecord("[1]", "here").ok());
}

}  // namespace
}  // namespace ctlflow
