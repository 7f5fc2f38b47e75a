// The S3 store against a real S3 endpoint (s3rver on loopback, which checks
// SigV4): listing pages followed to the end, a multipart upload larger than
// one part read back byte for byte.
// What s3rver does not implement is covered in s3_protocol_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "objstore/s3_object_store.h"
#include "objstore/s3_protocol.h"
#include "s3rver_server.h"

namespace ctlflow {
namespace {

using testing::S3rver;
using testing::S3rverServer;

// Passes requests to libcurl and remembers each one's method and URL.
struct RecordingTransport : HttpTransport {
  std::unique_ptr<HttpTransport> inner = NewCurlTransport();
  std::vector<std::pair<std::string, std::string>>* sent;
  explicit RecordingTransport(std::vector<std::pair<std::string, std::string>>* s) : sent(s) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    sent->emplace_back(request.method, request.url);
    return inner->Send(request);
  }
};

class S3rverStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const S3rverServer& s3 = S3rver();
    ASSERT_TRUE(s3.ok) << s3.error;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string("objstore-") + info->name();
  }
  S3Options Options() const {
    const S3rverServer& s3 = S3rver();
    S3Options o;
    o.endpoint = s3.Endpoint();
    o.access_key = s3.access_key;
    o.secret_key = s3.secret_key;
    return o;
  }
  std::unique_ptr<ObjectStore> Store(const S3Options& options) {
    auto client = std::make_shared<S3Client>(options, S3rver().bucket,
                                             std::make_unique<RecordingTransport>(&sent_));
    return NewS3ObjectStore(S3rver().bucket, prefix_, client);
  }
  std::string prefix_;
  std::vector<std::pair<std::string, std::string>> sent_;
};

TEST_F(S3rverStoreTest, ListsTwentyFiveObjectsInPagesOfTen) {
  S3Options options = Options();
  options.max_keys = 10;
  auto store = Store(options);
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    std::string key = "page/obj-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ".csv";
    ASSERT_TRUE(store->Put(key, std::string(static_cast<size_t>(i) + 1, 'x')).ok()) << key;
    expected.push_back(key);
  }
  ASSERT_TRUE(store->Put("pager/outside.csv", "not listed").ok());
  sent_.clear();

  auto listing = store->List("page/", "");
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  std::vector<std::string> keys;
  for (const ObjectInfo& info : listing->objects) keys.push_back(info.key);
  EXPECT_EQ(keys, expected);
  ASSERT_EQ(listing->objects.size(), 25u);
  EXPECT_EQ(listing->objects[24].size, 25);
  EXPECT_GT(listing->objects[0].mtime_ms, 1700000000000);

  // Three pages: 10, 10 and 5 keys; the later two carry a token.
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[0].second.find("continuation-token"), std::string::npos) << sent_[0].second;
  for (size_t i = 0; i < sent_.size(); ++i) {
    EXPECT_EQ(sent_[i].first, "GET");
    EXPECT_NE(sent_[i].second.find("max-keys=10"), std::string::npos) << sent_[i].second;
    EXPECT_NE(sent_[i].second.find("prefix=" + prefix_ + "%2Fpage%2F"), std::string::npos) << sent_[i].second;
    if (i > 0) {
      EXPECT_NE(sent_[i].second.find("continuation-token="), std::string::npos) << sent_[i].second;
    }
  }
}

TEST_F(S3rverStoreTest, ElevenMiBGoUpInFiveMiBPartsAndComeBackByteForByte) {
  constexpr int64_t kMiB = int64_t{1} << 20;
  S3Options options = Options();
  options.part_size = 5 * kMiB;
  auto store = Store(options);

  std::string data(static_cast<size_t>(11 * kMiB), '\0');
  std::mt19937_64 random(42);
  for (char& c : data) c = static_cast<char>(random() & 0xff);
  {
    auto sink = store->OpenWrite("big/eleven.bin");
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    // Uneven writes, so parts are cut from the buffer, not from one write.
    size_t at = 0, step = 3 * static_cast<size_t>(kMiB) + 12345;
    while (at < data.size()) {
      size_t n = std::min(step, data.size() - at);
      ASSERT_TRUE((*sink)->Write(std::string_view(data).substr(at, n)).ok());
      at += n;
    }
    EXPECT_EQ((*sink)->Tell(), 11 * kMiB);
    Status closed = (*sink)->Close();
    ASSERT_TRUE(closed.ok()) << closed.message();
  }
  // Create, parts 1-3 (5 + 5 + 1 MiB), complete.
  std::vector<std::string> methods;
  for (const auto& [method, url] : sent_) methods.push_back(method);
  EXPECT_EQ(methods, (std::vector<std::string>{"POST", "PUT", "PUT", "PUT", "POST"}));
  EXPECT_NE(sent_[3].second.find("partNumber=3"), std::string::npos) << sent_[3].second;

  auto head = store->Head("big/eleven.bin");
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->size, 11 * kMiB);
  auto back = store->Get("big/eleven.bin");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), data.size());
  EXPECT_TRUE(*back == data) << "the object read back differs from what was written";

  auto source = store->OpenRead("big/eleven.bin");
  ASSERT_TRUE(source.ok()) << source.status().message();
  auto across = (*source)->ReadAt(5 * kMiB - 10, 20);  // spans parts 1 and 2
  ASSERT_TRUE(across.ok()) << across.status().message();
  EXPECT_EQ(*across, data.substr(static_cast<size_t>(5 * kMiB - 10), 20));
}

}  // namespace
}  // namespace ctlflow
