// The S3 request/response code without a network, including what s3rver
// does not implement (AbortMultipartUpload, several common prefixes, the
// -N multipart ETag), through a scripted transport.
#include <gtest/gtest.h>

#include <deque>
#include <map>

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

// The decoded query parameters of a request URL.
std::map<std::string, std::string> QueryOf(const std::string& url) {
  auto decode = [](std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '%' && i + 2 < in.size()) {
        out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(in[i]);
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    size_t eq = part.find('=');
    out[decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(part.substr(eq + 1));
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return out;
}

std::string ListXml(const std::vector<std::string>& keys, const std::vector<std::string>& prefixes,
                    const std::string& next_token) {
  std::string xml = "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  xml += next_token.empty() ? "<IsTruncated>false</IsTruncated>" : "<IsTruncated>true</IsTruncated>";
  for (const std::string& key : keys) {
    xml += "<Contents><Key>" + key + "</Key><Size>3</Size><ETag>&quot;e&quot;</ETag></Contents>";
  }
  for (const std::string& prefix : prefixes) xml += "<CommonPrefixes><Prefix>" + prefix + "</Prefix></CommonPrefixes>";
  if (!next_token.empty()) xml += "<NextContinuationToken>" + next_token + "</NextContinuationToken>";
  return xml + "</ListBucketResult>";
}

// A store over a scripted transport; `seen` records what was sent and
// `delays` what the client slept between attempts.
struct ScriptedStore {
  std::vector<HttpRequest> seen;
  std::vector<int64_t> delays;
  std::shared_ptr<S3Client> client;
  std::unique_ptr<ObjectStore> store;
  ScriptedStore(std::deque<HttpResponse> replies, S3Options options = Options()) {
    auto transport = std::make_unique<Scripted>(&seen);
    transport->replies = std::move(replies);
    client = std::make_shared<S3Client>(options, "bkt", std::move(transport),
                                        [this](int64_t ms) { delays.push_back(ms); });
    store = NewS3ObjectStore("bkt", "lake", client);
  }
};

const char kInit[] = "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>";

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

TEST(S3Protocol, RegionAndEndpointOptionsShapeTheRequest) {
  S3Options o = Options();
  o.region = "eu-central-1";
  o.endpoint = "minio.internal:9000/";  // no scheme, trailing slash
  HttpRequest r = S3RequestBuilder(o, "bkt").Build("PUT", "k", {}, {}, "x", "20240101T000000Z");
  EXPECT_EQ(r.url, "https://minio.internal:9000/bkt/k");
  std::string auth;
  for (const auto& [k, v] : r.headers) {
    if (k == "authorization" || k == "Authorization") auth = v;
  }
  EXPECT_NE(auth.find("Credential=AK/20240101/eu-central-1/s3/aws4_request"), std::string::npos) << auth;

  o.endpoint.clear();  // AWS itself, at the region's endpoint
  EXPECT_EQ(S3RequestBuilder(o, "bkt").endpoint(), "https://s3.eu-central-1.amazonaws.com");
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

TEST(S3Store, ListFollowsContinuationTokensAcrossThreePagesInKeyOrder) {
  S3Options options = Options();
  options.max_keys = 2;
  ScriptedStore s({{200, {}, ListXml({"lake/raw/a.csv", "lake/raw/b.csv"}, {}, "tok/1=")},
                   {200, {}, ListXml({"lake/raw/c.csv", "lake/raw/d&amp;e.csv"}, {}, "tok+2")},
                   {200, {}, ListXml({"lake/raw/f.csv"}, {}, "")}},
                  options);
  auto listing = s.store->List("raw/", "");
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  std::vector<std::string> keys;
  for (const ObjectInfo& info : listing->objects) keys.push_back(info.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"raw/a.csv", "raw/b.csv", "raw/c.csv", "raw/d&e.csv", "raw/f.csv"}));
  ASSERT_EQ(s.seen.size(), 3u);
  const std::vector<std::string> tokens = {"", "tok/1=", "tok+2"};
  for (size_t i = 0; i < s.seen.size(); ++i) {
    auto query = QueryOf(s.seen[i].url);
    EXPECT_EQ(s.seen[i].method, "GET");
    EXPECT_EQ(s.seen[i].url.substr(0, s.seen[i].url.find('?')), "http://127.0.0.1:9000/bkt") << i;
    EXPECT_EQ(query["list-type"], "2") << i;
    EXPECT_EQ(query["prefix"], "lake/raw/") << i;
    EXPECT_EQ(query["max-keys"], "2") << i;
    EXPECT_EQ(query.count("delimiter"), 0u) << i;
    if (tokens[i].empty()) {
      EXPECT_EQ(query.count("continuation-token"), 0u) << s.seen[i].url;
    } else {
      EXPECT_EQ(query["continuation-token"], tokens[i]) << s.seen[i].url;
    }
  }
}

TEST(S3Store, ListWithADelimiterKeepsItAndGathersPrefixesFromEveryPage) {
  ScriptedStore s({{200, {}, ListXml({"lake/t/a.json"}, {"lake/t/data/"}, "n1")},
                   {200, {}, ListXml({}, {"lake/t/metadata/"}, "")}});
  auto listing = s.store->List("t/", "/");
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  ASSERT_EQ(listing->objects.size(), 1u);
  EXPECT_EQ(listing->objects[0].key, "t/a.json");
  EXPECT_EQ(listing->prefixes, (std::vector<std::string>{"t/data/", "t/metadata/"}));
  ASSERT_EQ(s.seen.size(), 2u);
  EXPECT_EQ(QueryOf(s.seen[1].url)["delimiter"], "/");
  EXPECT_EQ(QueryOf(s.seen[1].url)["prefix"], "lake/t/");
  EXPECT_EQ(QueryOf(s.seen[1].url)["continuation-token"], "n1");
}

TEST(S3Store, AServerRepeatingItsContinuationTokenIsAnErrorNotALoop) {
  ScriptedStore s({{200, {}, ListXml({"lake/a"}, {}, "same")}, {200, {}, ListXml({"lake/a"}, {}, "same")},
                   {200, {}, ListXml({"lake/a"}, {}, "same")}});
  auto listing = s.store->List("", "");
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.status().message(),
            "listing s3://bkt/lake/: the server returned the same continuation token twice");
  EXPECT_EQ(s.seen.size(), 2u);
}

TEST(S3Store, ATruncatedPageWithoutATokenIsAnErrorNotALoop) {
  ScriptedStore s({{200, {}, "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"}});
  auto listing = s.store->List("", "");
  ASSERT_FALSE(listing.ok());
  EXPECT_NE(listing.status().message().find("no NextContinuationToken"), std::string::npos)
      << listing.status().message();
  EXPECT_EQ(s.seen.size(), 1u);
}

TEST(S3Store, CompleteThatAnswers200WithAnErrorBodyFailsNamingTheObjectAndAborts) {
  ScriptedStore s({{200, {}, kInit},
                   {200, {{"etag", "\"p1\""}}, ""},
                   {200, {{"etag", "\"p2\""}}, ""},
                   {200, {{"etag", "\"p3\""}}, ""},
                   {200, {}, "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code>"
                             "<Message>We encountered an internal error.</Message></Error>"}});
  auto sink = s.store->OpenWrite("big.parquet");
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write("0123456789abcdefXY").ok());  // two parts of 8, 2 bytes left
  Status closed = (*sink)->Close();
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.message(),
            "completing the multipart upload of s3://bkt/lake/big.parquet: InternalError: "
            "We encountered an internal error.");
  // init, 3 parts, complete, abort
  ASSERT_EQ(s.seen.size(), 6u);
  EXPECT_EQ(s.seen[4].method, "POST");
  EXPECT_NE(s.seen[4].body.find("<PartNumber>3</PartNumber>"), std::string::npos) << s.seen[4].body;
  EXPECT_EQ(s.seen[5].method, "DELETE");
  EXPECT_EQ(QueryOf(s.seen[5].url)["uploadId"], "U1");
  EXPECT_EQ(s.seen[5].url.substr(0, s.seen[5].url.find('?')), "http://127.0.0.1:9000/bkt/lake/big.parquet");
  // The failure sticks and nothing more is sent, also not on destruction.
  EXPECT_FALSE((*sink)->Close().ok());
  EXPECT_FALSE((*sink)->Write("more").ok());
  sink->reset();
  EXPECT_EQ(s.seen.size(), 6u);
}

TEST(S3Store, AFailedUploadPartAbortsTheUploadAndTheObjectIsNeverCompleted) {
  ScriptedStore s({{200, {}, kInit},
                   {200, {{"etag", "\"p1\""}}, ""},
                   {403, {}, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"}});
  auto sink = s.store->OpenWrite("big.parquet");
  ASSERT_TRUE(sink.ok());
  Status wrote = (*sink)->Write("0123456789abcdefXY");
  ASSERT_FALSE(wrote.ok());
  EXPECT_NE(wrote.message().find("uploading part 2 of s3://bkt/lake/big.parquet"), std::string::npos)
      << wrote.message();
  EXPECT_NE(wrote.message().find("AccessDenied"), std::string::npos) << wrote.message();
  ASSERT_EQ(s.seen.size(), 4u);  // init, part 1, part 2 (refused), abort
  EXPECT_EQ(QueryOf(s.seen[2].url)["partNumber"], "2");
  EXPECT_EQ(s.seen[3].method, "DELETE");
  EXPECT_EQ(QueryOf(s.seen[3].url)["uploadId"], "U1");
  // Carrying on must not complete an object that lacks part 2.
  EXPECT_FALSE((*sink)->Close().ok());
  EXPECT_EQ(s.seen.size(), 4u);
  for (const HttpRequest& r : s.seen) EXPECT_EQ(r.body.find("<CompleteMultipartUpload>"), std::string::npos);
}

TEST(S3Store, EntityTooSmallNamesThePartSizeAndTheFiveMiBMinimum) {
  const std::string too_small =
      "<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum "
      "allowed object size.</Message></Error>";
  for (long status : {400L, 200L}) {  // as an HTTP error and inside a 200
    ScriptedStore s({{200, {}, kInit},
                     {200, {{"etag", "\"p1\""}}, ""},
                     {200, {{"etag", "\"p2\""}}, ""},
                     {status, {}, too_small}});
    auto sink = s.store->OpenWrite("t/data/f.parquet");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write("0123456789abcdef").ok());
    Status closed = (*sink)->Close();
    ASSERT_FALSE(closed.ok());
    EXPECT_EQ(closed.code(), ErrorCode::kInvalid);
    EXPECT_EQ(closed.message(),
              "completing the multipart upload of s3://bkt/lake/t/data/f.parquet: the server refused "
              "its 2 parts of 8 bytes as too small (EntityTooSmall); every part but the last must be "
              "at least 5 MiB, so use a part size (part_size_mb) of 5 or more")
        << "HTTP " << status;
    ASSERT_EQ(s.seen.size(), 5u);
    EXPECT_EQ(s.seen.back().method, "DELETE");
  }
}

TEST(S3Store, MultipartETagsWithAPartCountAreKeptAsTheServerGaveThem) {
  // The client does not verify ETags (a multipart one is not an MD5); it
  // passes the part ETags back in Complete and reports object ETags as is.
  const std::string etag = "\"3858f62230ac3c915f300c664312c11f-3\"";
  ScriptedStore s({{200, {}, kInit},
                   {200, {{"etag", "\"a-1\""}}, ""},
                   {200, {{"etag", "\"b\""}}, ""},
                   {200, {{"etag", "\"c\""}}, ""},
                   {200, {}, "<CompleteMultipartUploadResult><ETag>&quot;3858f62230ac3c915f300c664312c11f-3&quot;</ETag></CompleteMultipartUploadResult>"},
                   {200, {{"content-length", "19"}, {"etag", etag}, {"last-modified", "Wed, 12 Oct 2009 17:50:00 GMT"}}, ""},
                   {200, {}, "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>lake/big</Key>"
                             "<Size>19</Size><ETag>&quot;3858f62230ac3c915f300c664312c11f-3&quot;</ETag></Contents></ListBucketResult>"}});
  {
    auto sink = s.store->OpenWrite("big");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write("0123456789abcdefXYZ").ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_NE(s.seen[4].body.find("<PartNumber>1</PartNumber><ETag>&quot;a-1&quot;</ETag>"), std::string::npos)
      << s.seen[4].body;
  auto head = s.store->Head("big");
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->etag, etag);
  EXPECT_EQ(head->size, 19);
  EXPECT_EQ(head->mtime_ms, 1255369800000);
  auto listing = s.store->List("", "");
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  ASSERT_EQ(listing->objects.size(), 1u);
  EXPECT_EQ(listing->objects[0].etag, etag);
}

TEST(S3Client, SlowDownAnd500AreRetriedWithGrowingCappedBackoffThenNamed) {
  S3Options options = Options();
  options.max_attempts = 9;
  const std::string slow_down = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
  std::deque<HttpResponse> replies;
  for (int i = 0; i < 9; ++i) replies.push_back(i % 2 == 0 ? HttpResponse{503, {}, slow_down} : HttpResponse{500, {}, ""});
  ScriptedStore s(replies, options);
  auto got = s.client->Call("GET", "lake/t/x.parquet", {}, {}, "", "s3://bkt/lake/t/x.parquet");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(s.seen.size(), 9u);
  EXPECT_EQ(s.delays, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000}));
  EXPECT_EQ(got.status().message(),
            "giving up on s3://bkt/lake/t/x.parquet after 9 attempts: HTTP 503 from "
            "http://127.0.0.1:9000/bkt/lake/t/x.parquet: SlowDown: Please reduce your request rate.");

  // A 500 then a 503 and then success: two growing waits, the body returned.
  ScriptedStore recovered({{500, {}, ""}, {503, {}, slow_down}, {200, {}, "payload"}});
  auto body = recovered.store->Get("x");
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_EQ(*body, "payload");
  EXPECT_EQ(recovered.delays, (std::vector<int64_t>{100, 200}));

  // The last attempt's 500 is what the message reports.
  options.max_attempts = 2;
  ScriptedStore failed({{503, {}, slow_down}, {500, {}, ""}}, options);
  Status put = failed.store->Put("y.csv", "data");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.message(),
            "giving up on s3://bkt/lake/y.csv after 2 attempts: HTTP 500 from "
            "http://127.0.0.1:9000/bkt/lake/y.csv: no S3 error body");
  EXPECT_EQ(failed.delays, (std::vector<int64_t>{100}));
}

TEST(S3Store, NoSuchBucketIsReportedAsAMissingBucketNotAMissingKey) {
  const std::string body = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
                           "<BucketName>bkt</BucketName></Error>";
  ScriptedStore s({{404, {}, body}, {404, {}, body}, {404, {}, body}});
  auto got = s.store->Get("t/x.csv");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(got.status().message(), "bucket \"bkt\" does not exist (http://127.0.0.1:9000/bkt/lake/t/x.csv)");
  // Deleting from a missing bucket is not the "already gone" Ok of a missing key.
  Status deleted = s.store->Delete("t/x.csv");
  EXPECT_EQ(deleted.code(), ErrorCode::kNotFound);
  EXPECT_NE(deleted.message().find("bucket \"bkt\" does not exist"), std::string::npos) << deleted.message();
  auto listing = s.store->List("t/", "");
  ASSERT_FALSE(listing.ok());
  EXPECT_NE(listing.status().message().find("bucket \"bkt\" does not exist"), std::string::npos);
  EXPECT_EQ(s.seen.size(), 3u);  // not retried

  ScriptedStore missing_key({{404, {}, "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"}});
  auto key = missing_key.store->Get("t/x.csv");
  EXPECT_EQ(key.status().message(), "s3://bkt/lake/t/x.csv not found");
}

}  // namespace
}  // namespace ctlflow
