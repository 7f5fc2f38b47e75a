#include "lakehouse/table_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <regex>

#include "iceberg/memory_catalog.h"
#include "objstore/file_object_store.h"

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

class TableWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ctlflow-table-writer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    folder_ = tmpl;
    auto store = OpenFileObjectStore(folder_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    lake_.name = "lake";
    lake_.store = std::move(*store);
    lake_.catalog = std::make_unique<MemoryCatalog>("lake");
  }
  void TearDown() override { fs::remove_all(folder_); }

  std::string folder_;
  Lakehouse lake_;
};

// Long writes say how far they are: a line every 100,000 rows with the rows
// and bytes so far, and one per data file closed.
TEST_F(TableWriterTest, ProgressNamesRowsBytesAndFilesAsTheyAreWritten) {
  std::vector<std::string> lines;
  TableWriterOptions options;
  options.partition_column = "";
  options.target_file_bytes = 1 << 20;
  options.progress = [&](const std::string& line) { lines.push_back(line); };
  auto writer = TableWriter::Open(&lake_, {"staging", "T"},
                                  {{"id", {WarehouseType::Kind::kBigint}, false},
                                   {"label", {WarehouseType::Kind::kText}, true}},
                                  options);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  for (int64_t i = 0; i < 250000; ++i) {
    ASSERT_TRUE((*writer)->Add({Value(i), Value("row " + std::to_string(i * 7919 % 100003))}).ok());
  }
  auto rows = (*writer)->Finish();
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(*rows, 250000);

  std::regex so_far(R"((\d+) rows, (\d+) bytes written so far \((\d+) files?\))");
  std::regex wrote(R"(wrote \S+\.parquet \((\d+) rows, (\d+) bytes; (\d+) rows in (\d+) files so far\))");
  std::vector<int64_t> progress_rows;
  int64_t last_bytes = 0, files = 0, file_rows = 0;
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, so_far)) {
      progress_rows.push_back(std::stoll(m[1]));
      EXPECT_GT(std::stoll(m[2]), last_bytes) << line;
      last_bytes = std::stoll(m[2]);
      EXPECT_EQ(std::stoll(m[3]), files + 1) << line;  // the open file counts
    } else if (std::regex_match(line, m, wrote)) {
      ++files;
      file_rows += std::stoll(m[1]);
      EXPECT_EQ(std::stoll(m[3]), file_rows) << line;
      EXPECT_EQ(std::stoll(m[4]), files) << line;
    } else {
      ADD_FAILURE() << "unexpected progress line: " << line;
    }
  }
  // Each multiple of 100,000 is passed once, within one batch of it.
  ASSERT_EQ(progress_rows.size(), 2u);
  EXPECT_GE(progress_rows[0], 100000);
  EXPECT_LT(progress_rows[0], 200000);
  EXPECT_GE(progress_rows[1], 200000);
  EXPECT_GT(files, 1);  // rolled at 1 MiB
  EXPECT_EQ(file_rows, 250000);

  auto commit = (*writer)->Commit();
  ASSERT_TRUE(commit.ok()) << commit.status().message();
  EXPECT_EQ(commit->rows_added, 250000);
  EXPECT_EQ(commit->files_added, files);
}

}  // namespace
}  // namespace ctlflow
