// The seed's example on an s3:// lakehouse, against s3rver on loopback (a
// real S3 endpoint that checks SigV4): raw files uploaded, Iceberg staging
// written through multipart-capable uploads, the catalog recovered with
// one scan, wrong credentials or a missing bucket named as such, and the
// URL options (endpoint, region, path_style, part_size_mb) applied or
// refused by name. Paging and multipart uploads against s3rver are tested
// on the store itself, in tests/unit/objstore/s3rver_store_test.cc.
#include <filesystem>

#include "harness.h"
#include "s3rver_server.h"

namespace ctlflow::testing {
namespace {

namespace fs = std::filesystem;

class LakehouseS3Test : public CtlflowTest {
 protected:
  void SetUp() override {
    CtlflowTest::SetUp();
    const S3rverServer& s3 = S3rver();
    ASSERT_TRUE(s3.ok) << s3.error;
    prefix_ = "lake" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
              std::to_string(reinterpret_cast<uintptr_t>(this) % 100000);
    url_ = "s3://" + s3.bucket + "/" + prefix_ + "?endpoint=" + s3.Endpoint() + "&access_key=" + s3.access_key;
  }
  std::map<std::string, std::string> Env(const std::string& secret = "S3RVER") { return {{"LAKE_SECRET", secret}}; }
  CliResult S3(const std::vector<std::string>& args, const std::string& secret = "S3RVER") {
    return Ctl(args, "", Env(secret));
  }
  CliResult AddLake(const std::string& url) {
    return S3({"connection", "add", "lake", "--type", "lakehouse", "--url", url, "--password-env", "LAKE_SECRET"});
  }
  std::string prefix_, url_;
};

TEST_F(LakehouseS3Test, SeedExampleRunsWithItsStagingInAnS3BucketAndComesBackWithOneScan) {
  ASSERT_EQ(AddLake(url_).exit_code, 0);
  CliResult test = S3({"connection", "test", "lake"});
  ASSERT_EQ(test.exit_code, 0) << test.err;
  CliResult load = S3({"example", "load", "--rows", "120", "--lakehouse", "lake"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  EXPECT_NE(load.out.find("uploaded s3://"), std::string::npos) << load.out;
  CliResult run = S3({"run", "AF_TEST1", "--date", "2024-11-16"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  ASSERT_EQ(S3({"run", "AF_TEST1", "--date", "2024-11-17"}).exit_code, 0);
  auto tables = S3({"lakehouse", "tables", "--conn", "lake", "--json"}).Json();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0]["records"], 240);
  EXPECT_EQ(tables[0]["location"].get<std::string>().rfind("s3://", 0), 0u);
  auto trips = Ctl({"sql", "--conn", "warehouse", "--json", "SELECT count(*) AS n FROM EDP.PRCS_TEST_FRAMEWORK1"}).Json();
  EXPECT_GT(trips[0]["n"].get<int64_t>(), 0);

  // Only the bucket survives.
  fs::remove_all(home_);
  ASSERT_EQ(Ctl({"init"}).exit_code, 0);
  ASSERT_EQ(AddLake(url_).exit_code, 0);
  CliResult scan = S3({"lakehouse", "scan", "--conn", "lake"});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  auto back = S3({"lakehouse", "tables", "--conn", "lake", "--json"}).Json();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0]["records"], 240);
  EXPECT_EQ(back[0]["snapshot_id"], tables[0]["snapshot_id"]);
}

TEST_F(LakehouseS3Test, WrongCredentialsAndAMissingBucketAreNamedAndTheSecretNeverShows) {
  ASSERT_EQ(AddLake(url_).exit_code, 0);
  CliResult wrong = S3({"connection", "test", "lake"}, "not-the-secret-xyz");
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("403"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("access key and secret"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("not-the-secret-xyz"), std::string::npos) << wrong.err;
  const S3rverServer& s3 = S3rver();
  ASSERT_EQ(AddLake("s3://no-such-bucket/x?endpoint=" + s3.Endpoint() + "&access_key=S3RVER").exit_code, 0);
  CliResult missing = S3({"connection", "test", "lake"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("no-such-bucket"), std::string::npos) << missing.err;
  // A lakehouse URL without credentials is refused before any request.
  ASSERT_EQ(Ctl({"connection", "add", "bare", "--type", "lakehouse", "--url", "s3://b/p?endpoint=" + s3.Endpoint()}).exit_code, 0);
  CliResult bare = Ctl({"connection", "test", "bare"}, "", {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
  EXPECT_NE(bare.exit_code, 0);
  EXPECT_NE(bare.err.find("access_key"), std::string::npos) << bare.err;
}

TEST_F(LakehouseS3Test, UrlOptionsReachTheStoreAndBadOnesAreNamed) {
  const S3rverServer& s3 = S3rver();
  const std::string base = "s3://" + s3.bucket + "/" + prefix_ + "?access_key=" + s3.access_key;
  ASSERT_EQ(AddLake(base + "&endpoint=" + s3.Endpoint() + "&path_style=1&region=eu-west-1&part_size_mb=5").exit_code, 0);
  CliResult path = S3({"connection", "test", "lake"});
  EXPECT_EQ(path.exit_code, 0) << path.err;
  // path_style=0 reaches the store: it asks for the host "<bucket>.127.0.0.1",
  // which cannot resolve.
  ASSERT_EQ(AddLake(base + "&endpoint=" + s3.Endpoint() + "&path_style=0").exit_code, 0);
  CliResult vhost_on_ip = S3({"connection", "test", "lake"});
  EXPECT_NE(vhost_on_ip.exit_code, 0);
  EXPECT_NE(vhost_on_ip.err.find("http://" + s3.bucket + ".127.0.0.1:"), std::string::npos) << vhost_on_ip.err;
  // endpoint reaches the store: nothing listens on port 1.
  ASSERT_EQ(AddLake(base + "&endpoint=http://127.0.0.1:1").exit_code, 0);
  CliResult no_server = S3({"connection", "test", "lake"});
  EXPECT_NE(no_server.exit_code, 0);
  EXPECT_NE(no_server.err.find("http://127.0.0.1:1/" + s3.bucket + "/" + prefix_), std::string::npos) << no_server.err;

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"&path_style=yes", "path_style must be 1 or 0, not 'yes'"},
      {"&part_size_mb=4", "part_size_mb must be a number from 5 to 5000, not '4'"},
      {"&part_size_mb=8MB", "part_size_mb must be a number from 5 to 5000, not '8MB'"},
      {"&part_size_mb=5001", "part_size_mb must be a number from 5 to 5000, not '5001'"},
      {"&regoin=eu-west-1", "unknown URL option 'regoin'; known: endpoint, region"},
  };
  for (const auto& [option, message] : bad) {
    ASSERT_EQ(AddLake(base + "&endpoint=" + s3.Endpoint() + option).exit_code, 0) << option;
    CliResult refused = S3({"connection", "test", "lake"});
    EXPECT_NE(refused.exit_code, 0) << option;
    EXPECT_NE(refused.err.find("connection lake: " + message), std::string::npos) << option << ": " << refused.err;
  }
}

}  // namespace
}  // namespace ctlflow::testing
