#include "config/documents.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

// A scratch directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("ctlflow_documents_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    fs::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const TableDef& Def(const char* name) { return *FindControlTable(name); }

// A row with the given cells set, NOT NULL columns at their DDL default and
// every other column NULL: what the store would hold after an insert.
Row MakeRow(const TableDef& table, const std::map<std::string, Value>& cells) {
  Row row;
  for (const auto& c : table.columns) {
    if (c.nullable || c.default_sql.empty()) {
      row.values.emplace_back();
    } else if (c.default_sql.front() == '\'') {
      row.values.emplace_back(c.default_sql.substr(1, c.default_sql.size() - 2));
    } else {
      row.values.emplace_back(int64_t{std::stoll(c.default_sql)});
    }
  }
  for (const auto& [column, value] : cells) {
    int idx = table.ColumnIndex(column);
    EXPECT_GE(idx, 0) << column;
    if (idx >= 0) row.values[idx] = value;
  }
  return row;
}

std::vector<TableRows> ToTableRows(const ConfigDocument& doc) {
  std::vector<TableRows> out;
  for (const auto& t : doc.tables) {
    TableRows tr{t.table, {}};
    for (const auto& r : t.rows) tr.rows.push_back(r.row);
    out.push_back(std::move(tr));
  }
  return out;
}

Result<ConfigDocument> ParseYaml(const std::string& text, const std::string& name = "cfg.yaml") {
  std::istringstream in(text);
  return ReadConfigYaml(in, name);
}

// The error message of reading `text`, or "OK" when it was accepted.
std::string YamlError(const std::string& text) {
  auto doc = ParseYaml(text);
  return doc.ok() ? "OK" : doc.status().message();
}

std::string WriteYamlText(const std::vector<TableRows>& tables) {
  std::ostringstream out;
  Status st = WriteYaml(out, tables);
  EXPECT_TRUE(st.ok()) << st.message();
  return out.str();
}

// Every kind of text that is easy to get wrong in YAML or CSV.
const std::vector<std::string>& TrickyTexts() {
  static const std::vector<std::string> texts = {
      "",
      "null",
      "~",
      "007",
      "-12",
      "true",
      "say \"hi\" \\ back",
      "two\nlines\r\nand\ttab",
      "ctl\x01\x1f\x7f",
      "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
      "nel\xC2\x85 ls\xE2\x80\xA8 bom\xEF\xBB\xBF",
      " padded ",
      "- dash: colon # hash",
      "a,b;c",
      "'single'",
      "not utf-8: \xff\xfe",
  };
  return texts;
}

// Rows for every config table, with the tricky texts in text columns.
std::vector<TableRows> SampleTables() {
  const TableDef& strem = Def(kStreamTable);
  const TableDef& grp = Def(kGroupTable);
  const TableDef& prcs = Def(kProcessTable);
  const TableDef& depn = Def(kDependencyTable);
  const TableDef& sched = Def(kScheduleTable);
  std::vector<TableRows> tables;
  // Given out of order on purpose: the writer orders tables and rows.
  TableRows p{&prcs, {}};
  for (size_t i = 0; i < TrickyTexts().size(); ++i) {
    p.rows.push_back(MakeRow(prcs, {{"prcs_nm", "P" + std::to_string(100 - i)},
                                    {"prcs_grp", "G1"},
                                    {"prir", int64_t{-3}},
                                    {"prcs_typ", int64_t{2}},
                                    {"af_parm", TrickyTexts()[i]},
                                    {"conn_nm", TrickyTexts()[i]},
                                    {"retries", int64_t{0}},
                                    {"timeout_s", int64_t{9000000000}}}));
  }
  tables.push_back(std::move(p));
  tables.push_back({&strem,
                    {MakeRow(strem, {{"strem_nm", "S2"}, {"act_f", int64_t{1}}, {"owner", ""}}),
                     MakeRow(strem, {{"strem_nm", "S1"}, {"act_f", int64_t{0}},
                                     {"upt_dt", "2024-01-02 03:04:05"}})}});
  tables.push_back({&grp, {MakeRow(grp, {{"prcs_grp", "G1"}, {"strem_nm", "S1"}})}});
  tables.push_back({&depn, {MakeRow(depn, {{"prcs_nm", "P99"}, {"dpnd_prcs_nm", "P100"}}),
                            MakeRow(depn, {{"prcs_nm", "P100"}, {"dpnd_prcs_nm", "P99"}})}});
  tables.push_back({&sched, {}});
  tables.push_back({&Def(kLogTable), {MakeRow(Def(kLogTable), {{"prcs_nm", "P1"}})}});
  return tables;
}

TEST(WriteYaml, ExactLayout) {
  const TableDef& strem = Def(kStreamTable);
  std::vector<TableRows> tables = {
      {&Def(kGroupTable), {}},
      {&strem,
       {MakeRow(strem, {{"strem_nm", "b"}, {"act_f", int64_t{1}}, {"descr", "x\"y\n"}}),
        MakeRow(strem, {{"strem_nm", "a"}, {"act_f", int64_t{0}}, {"owner", ""}})}},
      {&Def(kLogTable), {}},
  };
  EXPECT_EQ(WriteYamlText(tables),
            "cntl_cfg_strem:\n"
            "  - strem_nm: \"a\"\n"
            "    upt_dt: null\n"
            "    act_f: 0\n"
            "    owner: \"\"\n"
            "    descr: null\n"
            "    max_active_runs: 1\n"
            "  - strem_nm: \"b\"\n"
            "    upt_dt: null\n"
            "    act_f: 1\n"
            "    owner: null\n"
            "    descr: \"x\\\"y\\n\"\n"
            "    max_active_runs: 1\n"
            "cntl_cfg_prcs_grp: []\n");
}

TEST(WriteYaml, RoundTripIsByteExact) {
  const std::vector<TableRows> tables = SampleTables();
  const std::string first = WriteYamlText(tables);
  EXPECT_EQ(first.find("cntl_cfg_log"), std::string::npos);
  EXPECT_NE(first.find("cntl_cfg_schedule: []"), std::string::npos);

  auto doc = ParseYaml(first, "export.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->tables.size(), 5u);
  EXPECT_EQ(WriteYamlText(ToTableRows(*doc)), first);

  // The values themselves survive, not just the bytes.
  const TableInput& prcs = doc->tables[2];
  ASSERT_EQ(prcs.table->name, kProcessTable);
  std::map<std::string, std::string> by_key;
  for (const auto& r : prcs.rows) {
    EXPECT_EQ(r.present, std::vector<bool>(prcs.table->columns.size(), true));
    by_key[std::get<std::string>(r.row.values[0])] =
        std::get<std::string>(r.row.values[prcs.table->ColumnIndex("af_parm")]);
    EXPECT_EQ(std::get<int64_t>(r.row.values[prcs.table->ColumnIndex("timeout_s")]),
              9000000000);
    EXPECT_TRUE(IsNull(r.row.values[prcs.table->ColumnIndex("src_tbl")]));
  }
  for (size_t i = 0; i < TrickyTexts().size(); ++i) {
    EXPECT_EQ(by_key["P" + std::to_string(100 - i)], TrickyTexts()[i]) << i;
  }
}

TEST(WriteCsvDir, RoundTripIsByteExact) {
  TempDir tmp;
  const fs::path first = tmp.path() / "first";
  const fs::path second = tmp.path() / "nested" / "second";
  Status st = WriteCsvDir(first.string(), SampleTables());
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(fs::exists(first / "cntl_cfg_log.csv"));
  EXPECT_EQ(ReadFile(first / "cntl_cfg_schedule.csv"),
            "prcs_nm,minutes,hours,day_month,months,day_week,upt_dt,tz,catchup,start_dt,"
            "end_dt,act_f\n");
  EXPECT_EQ(ReadFile(first / "cntl_cfg_strem.csv"),
            "strem_nm,upt_dt,act_f,owner,descr,max_active_runs\n"
            "S1,2024-01-02 03:04:05,0,,,1\n"
            "S2,,1,\"\",,1\n");

  auto doc = ReadConfigPath(first.string());
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->tables.size(), 5u);
  // Same rows as the YAML path gives, so both formats agree.
  EXPECT_EQ(WriteYamlText(ToTableRows(*doc)), WriteYamlText(SampleTables()));

  st = WriteCsvDir(second.string(), ToTableRows(*doc));
  ASSERT_TRUE(st.ok()) << st.message();
  for (const auto& entry : fs::directory_iterator(first)) {
    EXPECT_EQ(ReadFile(second / entry.path().filename()), ReadFile(entry.path()))
        << entry.path();
  }
}

TEST(ReadConfigYaml, ValuesNullsAndPresence) {
  auto doc = ParseYaml(
      "CNTL_AF.Cntl_Cfg_Prcs:\n"
      "  - prcs_nm: P1\n"
      "    PRCS_GRP: 007\n"
      "    prir: 5\n"
      "    src_tbl: null\n"
      "    tgt_tbl: \"null\"\n"
      "    af_path_nm: ''\n"
      "    af_parm: ~\n"
      "    key_cols:\n"
      "    load_mode: 1.50\n"
      "cntl_cfg_strem: []\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->tables.size(), 2u);
  EXPECT_EQ(doc->tables[0].table->name, kStreamTable);
  EXPECT_TRUE(doc->tables[0].rows.empty());
  const TableDef& t = *doc->tables[1].table;
  ASSERT_EQ(doc->tables[1].rows.size(), 1u);
  const LocatedRow& r = doc->tables[1].rows[0];
  EXPECT_EQ(r.where.ToString(), "cfg.yaml:2");
  auto cell = [&](const char* c) { return r.row.values[t.ColumnIndex(c)]; };
  auto given = [&](const char* c) { return r.present[t.ColumnIndex(c)]; };
  EXPECT_EQ(cell("prcs_grp"), Value(std::string("007")));
  EXPECT_EQ(cell("prir"), Value(int64_t{5}));
  EXPECT_TRUE(IsNull(cell("src_tbl")) && given("src_tbl"));
  EXPECT_EQ(cell("tgt_tbl"), Value(std::string("null")));
  EXPECT_EQ(cell("af_path_nm"), Value(std::string("")));
  EXPECT_TRUE(IsNull(cell("af_parm")) && given("af_parm"));
  EXPECT_TRUE(IsNull(cell("key_cols")) && given("key_cols"));
  EXPECT_EQ(cell("load_mode"), Value(std::string("1.50")));
  EXPECT_TRUE(IsNull(cell("conn_nm")));
  EXPECT_FALSE(given("conn_nm"));
  EXPECT_FALSE(given("prcs_typ"));
}

TEST(ReadConfigYaml, EmptyInputHasNoTables) {
  auto doc = ParseYaml("# nothing yet\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_TRUE(doc->tables.empty());
}

TEST(ReadConfigYaml, UnknownTableAndLogTable) {
  std::string err = YamlError("cntl_cfg_nope: []\ncntl_cfg_log:\n  - prcs_nm: P\n");
  EXPECT_NE(err.find("cfg.yaml:1: unknown table 'cntl_cfg_nope'; valid tables are: "
                     "cntl_cfg_strem, cntl_cfg_prcs_grp, cntl_cfg_prcs, cntl_cfg_prcs_depn, "
                     "cntl_cfg_schedule\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("cfg.yaml:2: table cntl_cfg_log is written by ctlflow and cannot be applied"),
            std::string::npos)
      << err;
}

TEST(ReadConfigYaml, UnknownAndRepeatedColumns) {
  std::string err = YamlError(
      "cntl_cfg_prcs_grp:\n"
      "  - prcs_grp: G1\n"
      "    strem_nm: S\n"
      "    priority: 3\n"
      "    strem_nm: T\n");
  EXPECT_NE(err.find("cfg.yaml:4: table cntl_cfg_prcs_grp row G1 column priority: unknown "
                     "column; valid columns are: prcs_grp, strem_nm, prir, act_f, upt_dt"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("cfg.yaml:5: table cntl_cfg_prcs_grp row G1 column strem_nm: given twice "
                     "in this row (first at line 3)"),
            std::string::npos)
      << err;
}

TEST(ReadConfigYaml, MissingOrNullKeyNamesRowByPosition) {
  std::string err = YamlError(
      "cntl_cfg_prcs_depn:\n"
      "  - prcs_nm: A\n"
      "    dpnd_prcs_nm: B\n"
      "  - prcs_nm: A\n"
      "  - prcs_nm: ~\n"
      "    dpnd_prcs_nm: B\n");
  EXPECT_EQ(err,
            "cfg.yaml:4: table cntl_cfg_prcs_depn row #2 column dpnd_prcs_nm: key column is "
            "missing; every row needs a value for it\n"
            "cfg.yaml:5: table cntl_cfg_prcs_depn row #3 column prcs_nm: key column may not be "
            "null; give a value");
}

TEST(ReadConfigYaml, WrongTypes) {
  std::string err = YamlError(
      "cntl_cfg_prcs:\n"
      "  - prcs_nm: P1\n"
      "    prir: abc\n"
      "    retries: 1.5\n"
      "    prcs_typ: \"2\"\n"
      "    timeout_s: 99999999999999999999\n"
      "    af_parm: {a: 1}\n"
      "    key_cols: [a, b]\n");
  EXPECT_EQ(err,
            "cfg.yaml:3: table cntl_cfg_prcs row P1 column prir: expected an integer, got 'abc'\n"
            "cfg.yaml:4: table cntl_cfg_prcs row P1 column retries: expected an integer, got "
            "'1.5'\n"
            "cfg.yaml:5: table cntl_cfg_prcs row P1 column prcs_typ: expected an integer, got "
            "the quoted text '2'; write the number without quotes\n"
            "cfg.yaml:6: table cntl_cfg_prcs row P1 column timeout_s: expected an integer, got "
            "'99999999999999999999'\n"
            "cfg.yaml:7: table cntl_cfg_prcs row P1 column af_parm: expected a single value, got "
            "a mapping; write it as a quoted string\n"
            "cfg.yaml:8: table cntl_cfg_prcs row P1 column key_cols: expected a single value, got "
            "a sequence; write it as a quoted string");
}

TEST(ReadConfigYaml, NotNullColumns) {
  std::string err = YamlError(
      "cntl_cfg_prcs:\n"
      "  - prcs_nm: P1\n"
      "    prcs_typ: null\n"
      "    retries:\n"
      "    conn_nm: ~\n"
      "    timeout_s: null\n");
  EXPECT_EQ(err,
            "cfg.yaml:3: table cntl_cfg_prcs row P1 column prcs_typ: may not be null; give a "
            "value\n"
            "cfg.yaml:4: table cntl_cfg_prcs row P1 column retries: may not be null; omit it to "
            "use the default 0\n"
            "cfg.yaml:5: table cntl_cfg_prcs row P1 column conn_nm: may not be null; omit it to "
            "use the default 'warehouse'");
}

TEST(ReadConfigYaml, DuplicateKeyNamesBothLines) {
  std::string err = YamlError(
      "cntl_cfg_prcs_depn:\n"
      "  - {prcs_nm: A, dpnd_prcs_nm: B}\n"
      "  - {prcs_nm: A, dpnd_prcs_nm: C}\n"
      "  - {prcs_nm: A, dpnd_prcs_nm: B}\n");
  EXPECT_EQ(err,
            "cfg.yaml:4: table cntl_cfg_prcs_depn row A/B: duplicate key, first given at "
            "cfg.yaml:2; each row may appear only once in the input");
}

TEST(ReadConfigYaml, BadShapes) {
  EXPECT_EQ(YamlError("- a\n- b\n"),
            "cfg.yaml:1: expected a mapping from table names to lists of rows, got a sequence");
  EXPECT_EQ(YamlError("cntl_cfg_strem: S1\n"),
            "cfg.yaml:1: table cntl_cfg_strem: expected a list of rows (use [] for none), got a "
            "scalar");
  EXPECT_EQ(YamlError("cntl_cfg_strem:\n  - S1\n"),
            "cfg.yaml:2: table cntl_cfg_strem row #1: expected a mapping of column names to "
            "values, got a scalar");
  EXPECT_EQ(YamlError("cntl_cfg_strem: []\nCNTL_CFG_STREM: []\n"),
            "cfg.yaml:2: table cntl_cfg_strem is given twice in this file (first at line 1); put "
            "all its rows under one key");
  EXPECT_EQ(YamlError("cntl_cfg_strem: []\n---\ncntl_cfg_prcs: []\n"),
            "cfg.yaml:3: found a second YAML document; put all tables in one document");
  std::string err = YamlError("cntl_cfg_strem:\n  - strem_nm: [S1\n");
  EXPECT_EQ(err.rfind("cfg.yaml:", 0), 0u) << err;
  EXPECT_NE(err.find(": invalid YAML: "), std::string::npos) << err;
}

TEST(ReadConfigPath, DirectoryMixesYamlAndCsvInNameOrder) {
  TempDir tmp;
  tmp.Write("b_procs.yml",
            "cntl_cfg_prcs:\n"
            "  - {prcs_nm: P2, prcs_grp: G, prcs_typ: 1}\n");
  tmp.Write("a_streams.YAML", "cntl_cfg_strem:\n  - {strem_nm: S}\n");
  tmp.Write("cntl_cfg_prcs.csv",
            "\xEF\xBB\xBFPRCS_NM,prcs_grp,prcs_typ,af_parm,src_tbl\r\n"
            "P1,G,\"3\",\"\",\r\n");
  tmp.Write("notes.txt", "not config");
  tmp.Write(".cntl_cfg_strem.csv", "garbage\"");
  fs::create_directories(tmp.path() / "sub.yaml");

  auto doc = ReadConfigPath(tmp.path().string());
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->tables.size(), 2u);
  EXPECT_EQ(doc->tables[0].table->name, kStreamTable);
  const TableInput& prcs = doc->tables[1];
  ASSERT_EQ(prcs.rows.size(), 2u);
  EXPECT_EQ(prcs.rows[0].row.values[0], Value(std::string("P2")));
  EXPECT_EQ(prcs.rows[0].where.ToString(), (tmp.path() / "b_procs.yml").string() + ":2");
  const LocatedRow& p1 = prcs.rows[1];
  EXPECT_EQ(p1.where.ToString(), (tmp.path() / "cntl_cfg_prcs.csv").string() + ":2");
  const TableDef& t = *prcs.table;
  EXPECT_EQ(p1.row.values[t.ColumnIndex("prcs_typ")], Value(int64_t{3}));
  EXPECT_EQ(p1.row.values[t.ColumnIndex("af_parm")], Value(std::string()));
  EXPECT_TRUE(IsNull(p1.row.values[t.ColumnIndex("src_tbl")]));
  EXPECT_TRUE(p1.present[t.ColumnIndex("src_tbl")]);
  EXPECT_FALSE(p1.present[t.ColumnIndex("tgt_tbl")]);
}

TEST(ReadConfigPath, DuplicateKeyAcrossTwoFiles) {
  TempDir tmp;
  const std::string yaml = tmp.Write("a.yaml", "cntl_cfg_strem:\n  - strem_nm: S1\n");
  const std::string csv = tmp.Write("cntl_cfg_strem.csv", "strem_nm,act_f\nS0,1\n\nS1,0\n");
  auto doc = ReadConfigPath(tmp.path().string());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), csv + ":4: table cntl_cfg_strem row S1: duplicate key, first "
                                          "given at " + yaml + ":2; each row may appear only "
                                          "once in the input");
}

TEST(ReadConfigPath, CsvErrorsAreCollected) {
  TempDir tmp;
  const std::string bad_header =
      tmp.Write("cntl_cfg_prcs_grp.csv", "prcs_grp,stream,prir,prir\nG,S,1,1\n");
  const std::string bad_rows = tmp.Write(
      "cntl_cfg_strem.csv", "strem_nm,act_f,max_active_runs\nS1,x,\nS2,1\nS3,,1\n\"S4,1,1\n");
  const std::string bad_name = tmp.Write("streams.csv", "strem_nm\nS\n");
  auto doc = ReadConfigPath(tmp.path().string());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(doc.status().message(),
            bad_header + ":1: table cntl_cfg_prcs_grp column stream: unknown column in the "
                         "header; valid columns are: prcs_grp, strem_nm, prir, act_f, upt_dt\n" +
                bad_header + ":1: table cntl_cfg_prcs_grp column prir: given twice in the "
                             "header; keep one\n" +
                bad_rows + ":2: table cntl_cfg_strem row S1 column act_f: expected an integer, "
                           "got 'x'\n" +
                bad_rows + ":2: table cntl_cfg_strem row S1 column max_active_runs: may not be "
                           "null; omit it to use the default 1\n" +
                bad_rows + ":3: table cntl_cfg_strem row #2: has 2 fields but the header has 3; "
                           "quote values that contain the delimiter\n" +
                bad_rows + ":4: table cntl_cfg_strem row S3 column act_f: may not be null; omit "
                           "it to use the default 1\n" +
                bad_rows + ":5: unterminated quoted field: the closing quote is missing (a "
                           "quote inside a quoted field must be doubled as \"\")\n" +
                bad_name + ":1: unknown table 'streams' (taken from the file name; name a CSV "
                           "file after its table, e.g. cntl_cfg_prcs.csv); valid tables are: "
                           "cntl_cfg_strem, cntl_cfg_prcs_grp, cntl_cfg_prcs, cntl_cfg_prcs_depn, "
                           "cntl_cfg_schedule");
}

TEST(ReadConfigPath, SingleFilesAndBadPaths) {
  TempDir tmp;
  const std::string csv = tmp.Write("cntl_af.cntl_cfg_schedule.csv",
                                    "prcs_nm,minutes,hours,day_month,months\nS,0,*/2,*,*");
  auto doc = ReadConfigPath(csv);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->tables.size(), 1u);
  EXPECT_EQ(doc->tables[0].rows.at(0).row.values[2], Value(std::string("*/2")));

  auto missing = ReadConfigPath((tmp.path() / "nope.yaml").string());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto wrong_ext = ReadConfigPath(tmp.Write("cfg.json", "{}"));
  EXPECT_EQ(wrong_ext.status().code(), ErrorCode::kInvalid);
  EXPECT_NE(wrong_ext.status().message().find("expected a .yaml, .yml or .csv file"),
            std::string::npos);
  auto empty_csv = ReadConfigPath(tmp.Write("cntl_cfg_strem.csv", ""));
  EXPECT_NE(empty_csv.status().message().find("the file is empty; expected a header row"),
            std::string::npos);
}

}  // namespace
}  // namespace ctlflow
