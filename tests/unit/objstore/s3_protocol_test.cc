// The S3 request/response code without a network, including what s3rver
// does not implement (AbortMultipartUpload, several common prefixes, the
// -N multipart ETag), through a scripted transport.
#include <gtest/gtest.h>

#include <deque>

#include "objstore/s3_object_store.h"
#include "objstore/s3_protocol.h"

namespace ctlflow {
namespace {

struct Scripted : HttpTransport {
  std::deque<HttpResponse> replies;
  std::vector<HttpRequest>* seen;
  explicit Scripted(std::vector<HttpRequest>* s) : seen(s) {}
  Result<HttpResponse> Send(const HttpRequest& r) override {
    seen->push_back(r);
    if (replies.empty()) return HttpResponse{200, {}, ""};
    HttpResponse out = replies.front();
    replies.pop_front();
    return out;
  }
};

S3Options Options() {
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.access_key = "AK";
  o.secret_key = "very-secret";
  o.part_size = 8;
  return o;
}

TEST(S3Protocol, ListPagesWithSeveralCommonPrefixesAndAContinuationToken) {
  auto page = ParseListObjectsV2(
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>lake/a&amp;b.csv</Key><Size>12</Size><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag></Contents>"
      "<CommonPrefixes><Prefix>lake/raw/</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>lake/staging/</Prefix></CommonPrefixes>"
      "<NextContinuationToken>tok/2=</NextContinuationToken></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "lake/a&b.csv");
  EXPECT_EQ(page->objects[0].size, 12);
  EXPECT_EQ(page->prefixes, (std::vector<std::string>{"lake/raw/", "lake/staging/"}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok/2=");
  EXPECT_FALSE(ParseListObjectsV2("<Error>").ok());
}

TEST(S3Protocol, ErrorsAndRetries) {
  S3Error e = ParseS3Error("<Error><Code>NoSuchBucket</Code><Message>The bucket does not exist</Message></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_TRUE(IsRetryable(503, "", false));
  EXPECT_TRUE(IsRetryable(400, "SlowDown", false));
  EXPECT_TRUE(IsRetryable(0, "", true));
  EXPECT_FALSE(IsRetryable(403, "SignatureDoesNotMatch", false));
  EXPECT_FALSE(IsRetryable(404, "NoSuchKey", false));
  EXPECT_LT(BackoffMs(1), BackoffMs(4));
}

TEST(S3Protocol, CompleteMultipartBodyNumbersPartsFromOne) {
  std::string body = BuildCompleteMultipartBody({"\"e1\"", "\"e2\""});
  EXPECT_NE(body.find("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"), std::string::npos) << body;
  EXPECT_NE(body.find("<PartNumber>2</PartNumber>"), std::string::npos);
}

TEST(S3Protocol, PathAndVirtualHostStyleRequestsAreSigned) {
  S3Options o = Options();
  HttpRequest path = S3RequestBuilder(o, "bkt").Build("GET", "a b/c", {}, {}, "", "20240101T000000Z");
  EXPECT_EQ(path.url, "http://127.0.0.1:9000/bkt/a%20b/c");
  o.path_style = false;
  o.endpoint = "https://s3.eu-west-1.amazonaws.com";
  HttpRequest vhost = S3RequestBuilder(o, "bkt").Build("GET", "k", {{"list-type", "2"}}, {}, "", "20240101T000000Z");
  EXPECT_EQ(vhost.url, "https://bkt.s3.eu-west-1.amazonaws.com/k?list-type=2");
  bool signed_host = false, has_auth = false;
  for (const auto& [k, v] : vhost.headers) {
    signed_host |= (k == "host" || k == "Host") && v == "bkt.s3.eu-west-1.amazonaws.com";
    has_auth |= (k == "authorization" || k == "Authorization") && v.find("Credential=AK/20240101/") != std::string::npos &&
                v.find("very-secret") == std::string::npos;
  }
  EXPECT_TRUE(signed_host);
  EXPECT_TRUE(has_auth);
}

TEST(S3Store, RetriesA503ThenSucceedsAndDoesNotRetryA403) {
  std::vector<HttpRequest> seen;
  auto transport = std::make_unique<Scripted>(&seen);
  transport->replies = {{503, {}, ""}, {503, {}, ""}, {200, {}, "hello"}};
  auto client = std::make_shared<S3Client>(Options(), "bkt", std::move(transport), [](int64_t) {});
  auto store = NewS3ObjectStore("bkt", "lake", client);
  auto got = store->Get("x");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(seen.size(), 3u);

  std::vector<HttpRequest> seen2;
  auto t2 = std::make_unique<Scripted>(&seen2);
  t2->replies = {{403, {}, "<Error><Code>InvalidAccessKeyId</Code><Message>no</Message></Error>"}};
  auto store2 = NewS3ObjectStore("bkt", "lake", std::make_shared<S3Client>(Options(), "bkt", std::move(t2), [](int64_t) {}));
  auto denied = store2->Get("x");
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("403"), std::string::npos);
  EXPECT_EQ(denied.status().message().find("very-secret"), std::string::npos);
  EXPECT_EQ(seen2.size(), 1u);
}

TEST(S3Store, LargeWritesGoMultipartAndAnAbandonedUploadIsAborted) {
  std::vector<HttpRequest> seen;
  auto transport = std::make_unique<Scripted>(&seen);
  const std::string init = "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>";
  transport->replies = {{200, {}, init}, {200, {{"etag", "\"p1\""}}, ""}, {200, {{"etag", "\"p2\""}}, ""},
                        {200, {{"etag", "\"p3\""}}, ""}, {200, {}, "<CompleteMultipartUploadResult/>"}};
  auto client = std::make_shared<S3Client>(Options(), "bkt", std::move(transport), [](int64_t) {});
  auto store = NewS3ObjectStore("bkt", "lake", client);
  {
    auto sink = store->OpenWrite("big.parquet");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write("0123456789abcdefXYZ").ok());  // 19 bytes, parts of 8
    ASSERT_TRUE((*sink)->Close().ok());
  }
  ASSERT_GE(seen.size(), 5u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_NE(seen[0].url.find("uploads"), std::string::npos);
  EXPECT_NE(seen[1].url.find("partNumber=1"), std::string::npos);
  EXPECT_NE(seen.back().body.find("<PartNumber>3</PartNumber>"), std::string::npos) << seen.back().body;

  seen.clear();
  auto t2 = std::make_unique<Scripted>(&seen);
  t2->replies = {{200, {}, init}, {200, {{"etag", "\"p1\""}}, ""}};
  auto store2 = NewS3ObjectStore("bkt", "lake", std::make_shared<S3Client>(Options(), "bkt", std::move(t2), [](int64_t) {}));
  {
    auto sink = store2->OpenWrite("abandoned.parquet");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write("0123456789").ok());
  }  // destroyed without Close
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().method, "DELETE");
  EXPECT_NE(seen.back().url.find("uploadId=U1"), std::string::npos) << seen.back().url;
}

}  // namespace
}  // namespace ctlflow
