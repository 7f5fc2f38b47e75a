#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "objstore/object_store.h"

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ctlflow-objstore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = OpenObjectStore("file://" + dir_ + "/root");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(FileStoreTest, PutGetHeadListAndDelimiters) {
  ASSERT_TRUE(store_->Put("t/data/a.parquet", "aaa").ok());
  ASSERT_TRUE(store_->Put("t/data/b.parquet", "bb").ok());
  ASSERT_TRUE(store_->Put("t/metadata/v1.metadata.json", "{}").ok());
  EXPECT_EQ(*store_->Get("t/data/a.parquet"), "aaa");
  EXPECT_EQ(store_->Head("t/data/b.parquet")->size, 2);
  auto all = store_->List("t/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->objects.size(), 3u);
  EXPECT_EQ(all->objects[0].key, "t/data/a.parquet");  // key order
  auto top = store_->List("t/", "/");
  ASSERT_TRUE(top.ok());
  EXPECT_TRUE(top->objects.empty());
  EXPECT_EQ(top->prefixes, (std::vector<std::string>{"t/data/", "t/metadata/"}));
  auto missing = store_->Get("t/nope");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_ + "/root/t/nope"), std::string::npos) << missing.status().message();
  ASSERT_TRUE(store_->Delete("t/data/a.parquet").ok());
  EXPECT_TRUE(store_->Delete("t/data/a.parquet").ok());  // deleting a missing key is fine
  EXPECT_EQ(store_->List("t/data/")->objects.size(), 1u);
}

TEST_F(FileStoreTest, PutIfAbsentRefusesAnExistingKey) {
  ASSERT_TRUE(store_->PutIfAbsent("m/v2.metadata.json", "first").ok());
  Status again = store_->PutIfAbsent("m/v2.metadata.json", "second");
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  EXPECT_EQ(*store_->Get("m/v2.metadata.json"), "first");
}

TEST_F(FileStoreTest, StreamingWritesAppearOnlyOnCloseAndAbandonedOnesLeaveNothing) {
  {
    auto sink = store_->OpenWrite("big/x.bin");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(std::string(1 << 20, 'x')).ok());
    EXPECT_EQ((*sink)->Tell(), 1 << 20);
    EXPECT_TRUE(store_->List("big/")->objects.empty());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_EQ(store_->Head("big/x.bin")->size, 1 << 20);
  {
    auto sink = store_->OpenWrite("big/abandoned.bin");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write("partial").ok());
  }
  EXPECT_EQ(store_->List("big/")->objects.size(), 1u);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary file left behind
}

TEST_F(FileStoreTest, ReadsPastTheEndAreErrorsAndBadKeysAreRefused) {
  ASSERT_TRUE(store_->Put("f", "0123456789").ok());
  auto src = store_->OpenRead("f");
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(*(*src)->ReadAt(2, 3), "234");
  auto past = (*src)->ReadAt(8, 5);
  EXPECT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("truncated"), std::string::npos) << past.status().message();
  EXPECT_FALSE(store_->Put("../escape", "x").ok());
  EXPECT_FALSE(store_->Put("/abs", "x").ok());
  EXPECT_FALSE(OpenObjectStore("ftp://x").ok());
}

}  // namespace
}  // namespace ctlflow
