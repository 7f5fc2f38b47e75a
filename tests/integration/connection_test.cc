// Named connections with the real binary: built-ins, secrets referenced and
// never shown, owner-only password files, test and remove.
#include <sys/stat.h>

#include <filesystem>

#include "harness.h"
#include "postgres_server.h"

namespace ctlflow::testing {
namespace {

TEST_F(CtlflowTest, BuiltInConnectionsExistAndWork) {
  auto list = Ctl({"connection", "list", "--json"}).Json();
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  EXPECT_EQ(list[0]["conn_nm"], "lakehouse");
  EXPECT_EQ(list[1]["conn_nm"], "warehouse");
  EXPECT_EQ(list[1]["conn_typ"], "sqlite");
  CliResult wh = Ctl({"connection", "test", "warehouse"});
  EXPECT_EQ(wh.exit_code, 0) << wh.err;
  EXPECT_NE(wh.out.find("ok"), std::string::npos);
  EXPECT_EQ(Ctl({"connection", "test", "lakehouse"}).exit_code, 0);
  CliResult none = Ctl({"connection", "test", "nope"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no connection named 'nope'"), std::string::npos);
}

TEST_F(CtlflowTest, SecretsAreReferencedNeverStoredOrShown) {
  const std::string secret = "hunter2-do-not-print";
  // A password inside the URL is refused.
  CliResult inline_pw = Ctl({"connection", "add", "dwh", "--type", "postgres", "--url",
                             "postgresql://etl:" + secret + "@127.0.0.1:1/dwh"});
  EXPECT_EQ(inline_pw.exit_code, 2);
  EXPECT_NE(inline_pw.err.find("--password-env"), std::string::npos) << inline_pw.err;
  EXPECT_EQ(inline_pw.err.find(secret), std::string::npos);

  CliResult add = Ctl({"connection", "add", "dwh", "--type", "postgres", "--url",
                       "postgresql://etl@127.0.0.1:1/dwh", "--password-env", "DWH_PASSWORD"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  // Unreachable server: a clear error, and the secret appears nowhere.
  CliResult test = Ctl({"connection", "test", "dwh"}, "", {{"DWH_PASSWORD", secret}});
  EXPECT_EQ(test.exit_code, 1);
  EXPECT_NE(test.err.find("connection dwh"), std::string::npos) << test.err;
  EXPECT_EQ(test.err.find(secret), std::string::npos) << test.err;
  // Without the variable, the message names it.
  CliResult unset = Ctl({"connection", "test", "dwh"});
  EXPECT_NE(unset.err.find("DWH_PASSWORD"), std::string::npos) << unset.err;

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"connection", "list"}, {"connection", "list", "--json"}, {"export"},
           {"sql", "--json", "SELECT * FROM cntl_af.cntl_conn"}}) {
    CliResult r = Ctl(args, "", {{"DWH_PASSWORD", secret}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << args[0] << ": " << r.out;
  }
  EXPECT_EQ(ReadFile(home_ + "/cntl_af.db").find(secret), std::string::npos);
}

TEST_F(CtlflowTest, PasswordFilesMustBeOwnerOnly) {
  std::string file = WriteFile("pw.txt", "s3cr3t\n");
  chmod(file.c_str(), 0644);
  CliResult open = Ctl({"connection", "add", "dwh", "--type", "postgres", "--url",
                        "postgresql://etl@127.0.0.1:1/dwh", "--password-file", file});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.err.find("chmod 600"), std::string::npos) << open.err;
  chmod(file.c_str(), 0600);
  EXPECT_EQ(Ctl({"connection", "add", "dwh", "--type", "postgres", "--url",
                 "postgresql://etl@127.0.0.1:1/dwh", "--password-file", file}).exit_code, 0);
  auto list = Ctl({"connection", "list", "--json"}).Json();
  bool found = false;
  for (const auto& c : list) {
    if (c["conn_nm"] == "dwh") {
      found = true;
      EXPECT_EQ(c["password_file"], file);
    }
  }
  EXPECT_TRUE(found);
  // Loosened later: refused at use, not silently read.
  chmod(file.c_str(), 0640);
  CliResult loose = Ctl({"connection", "test", "dwh"});
  EXPECT_NE(loose.err.find("readable by others"), std::string::npos) << loose.err;
}

TEST_F(CtlflowTest, ConnectionsInUseCannotBeRemoved) {
  ASSERT_EQ(Ctl({"connection", "add", "mart", "--type", "sqlite", "--url", "mart"}).exit_code, 0);
  EXPECT_EQ(Ctl({"connection", "test", "mart"}).exit_code, 0);
  std::string yaml =
      "cntl_cfg_strem:\n  - {strem_nm: S}\n"
      "cntl_cfg_prcs_grp:\n  - {prcs_grp: G, strem_nm: S}\n"
      "cntl_cfg_prcs:\n  - {prcs_nm: P, prcs_grp: G, prcs_typ: 2, conn_nm: mart,"
      " af_parm: \"CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)\"}\n";
  ASSERT_EQ(Ctl({"apply", WriteFile("s.yaml", yaml)}).exit_code, 0);
  // A process writes through it, into its own folder.
  CliResult run = Ctl({"run", "S", "--date", "2024-01-01"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(std::filesystem::exists(home_ + "/mart/warehouse.db"));
  auto rows = Ctl({"sql", "--conn", "mart", "--json", "SELECT count(*) AS n FROM t"}).Json();
  EXPECT_EQ(rows[0]["n"], 1);
  CliResult lake = Ctl({"sql", "--conn", "lakehouse", "SELECT 1"});
  EXPECT_EQ(lake.exit_code, 2);
  EXPECT_NE(lake.err.find("not a SQL warehouse"), std::string::npos) << lake.err;
  CliResult busy = Ctl({"connection", "remove", "mart"});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_NE(busy.err.find("P"), std::string::npos) << busy.err;
  ASSERT_EQ(Ctl({"sql", "DELETE FROM cntl_af.cntl_cfg_prcs"}).exit_code, 0);
  EXPECT_EQ(Ctl({"connection", "remove", "mart"}).exit_code, 0);
  EXPECT_EQ(Ctl({"connection", "remove", "mart"}).exit_code, 2);
  CliResult bad_type = Ctl({"connection", "add", "x", "--type", "oracle", "--url", "x"});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("sqlite, postgres or lakehouse"), std::string::npos);
}

TEST_F(CtlflowTest, PostgresConnectionIsTestedAgainstARealServer) {
  const PostgresServer& pg = Postgres();
  ASSERT_TRUE(pg.ok) << pg.error;
  ASSERT_EQ(Ctl({"connection", "add", "dwh", "--type", "postgres", "--url", pg.Url(), "--password-env",
                 "DWH_PASSWORD"}).exit_code, 0);
  CliResult good = Ctl({"connection", "test", "dwh"}, "", {{"DWH_PASSWORD", pg.password}});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("connection dwh (postgres, " + pg.Url() + "): ok"), std::string::npos) << good.out;
  EXPECT_EQ(good.out.find(pg.password), std::string::npos);
  // A wrong password: the server says so, and the password is not echoed.
  const std::string wrong = "not-the-password-123";
  CliResult bad = Ctl({"connection", "test", "dwh"}, "", {{"DWH_PASSWORD", wrong}});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("password authentication failed"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find(wrong), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ctlflow::testing
