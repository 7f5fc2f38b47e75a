// Script splitting and named parameters for the PostgreSQL warehouse: what
// is code and what is a literal, comment or dollar-quoted body.
#include "warehouse/sql_script.h"

#include <gtest/gtest.h>

namespace ctlflow {
namespace {

TEST(SqlScriptTest, PostgresSplitKeepsDollarQuotedBodiesAndNestedCommentsWhole) {
  auto st = SplitSqlScript(
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
      "/* outer /* inner ; */ still ; comment */ SELECT 'a;b', E'it\\'s;', \"x;y\";\n"
      "\n  INSERT INTO t VALUES ($tag$;$tag$)",
      SqlDialect::kPostgres);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].Keyword(), "CREATE");
  EXPECT_NE(st[0].text.find("$$ SELECT 1; $$"), std::string::npos);
  EXPECT_EQ(st[1].line, 2);
  EXPECT_EQ(st[1].Keyword(), "SELECT");
  EXPECT_EQ(st[2].line, 4);
  EXPECT_EQ(st[2].number, 3);
  EXPECT_EQ(st[2].Keyword(), "INSERT");
}

TEST(SqlScriptTest, NamedParametersBecomePositionalOutsideLiteralsAndCasts) {
  std::map<std::string, Value> params{{"data_dt", std::string("2024-01-02")}, {"n", int64_t{3}}};
  auto r = ToPositionalParameters(
      "SELECT :data_dt::date, @n, $n, ':n', \"@n\", $$:n$$, E'\\':n' -- :nope\n"
      "FROM t WHERE a = :data_dt AND b::text = 'x' /* $nope */",
      params);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sql,
            "SELECT $1::date, $2, $2, ':n', \"@n\", $$:n$$, E'\\':n' -- :nope\n"
            "FROM t WHERE a = $1 AND b::text = 'x' /* $nope */");
  ASSERT_EQ(r->values.size(), 2u);
  EXPECT_EQ(std::get<std::string>(r->values[0]), "2024-01-02");
  EXPECT_EQ(std::get<int64_t>(r->values[1]), 3);
}

TEST(SqlScriptTest, UnknownAndPositionalParametersAreNamed) {
  auto unknown = ToPositionalParameters("SELECT :nope", {{"data_dt", std::string("d")}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown parameter :nope; available: :data_dt"), std::string::npos)
      << unknown.status().message();
  auto positional = ToPositionalParameters("SELECT $1", {});
  ASSERT_FALSE(positional.ok());
  EXPECT_NE(positional.status().message().find("use :name"), std::string::npos);
  // Identifiers with $ and array slices are not parameters.
  auto plain = ToPositionalParameters("SELECT a$b, arr[1:2] FROM t", {});
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->sql, "SELECT a$b, arr[1:2] FROM t");
}

}  // namespace
}  // namespace ctlflow
