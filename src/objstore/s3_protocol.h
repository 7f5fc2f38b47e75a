// The S3 REST protocol without the network: building signed requests,
// parsing the few XML responses the store needs, mapping errors to Status
// and deciding what to retry. The transport (s3_object_store.cc) only moves
// bytes, so everything here is unit-tested without a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "objstore/object_store.h"
#include "objstore/sigv4.h"

namespace ctlflow {

// One HTTP request, ready to send.
struct HttpRequest {
  std::string method;
  std::string url;      // full URL including the query string
  HeaderList headers;   // includes Host and Authorization
  std::string body;
};

struct HttpResponse {
  long status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;
  std::optional<std::string> Header(std::string_view lower_name) const;
};

// Builds and signs requests for one bucket.
class S3RequestBuilder {
 public:
  S3RequestBuilder(S3Options options, std::string bucket);

  // `key` is the full object key in the bucket ("" for bucket-level calls);
  // `query` holds decoded parameters; `amz_date` is "YYYYMMDDTHHMMSSZ".
  HttpRequest Build(const std::string& method, const std::string& key,
                    const std::vector<std::pair<std::string, std::string>>& query,
                    HeaderList headers, std::string body, const std::string& amz_date) const;

  // "https://s3.<region>.amazonaws.com" when the options name no endpoint.
  const std::string& endpoint() const { return endpoint_; }
  const std::string& bucket() const { return bucket_; }

 private:
  S3Options options_;
  std::string bucket_;
  std::string endpoint_;  // scheme://host[:port], no trailing '/'
};

// "YYYYMMDDTHHMMSSZ" for a Unix time in seconds.
std::string AmzDate(int64_t unix_seconds);
// ISO 8601 "2013-09-17T18:07:53.000Z" (or without fraction) to Unix ms.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);
// RFC 1123 "Wed, 12 Oct 2009 17:50:00 GMT" (Last-Modified) to Unix ms.
std::optional<int64_t> ParseHttpDateMs(std::string_view text);

// ListObjectsV2 result page. Keys are as the server returns them (full
// keys in the bucket).
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_token;
};
Result<ListPage> ParseListObjectsV2(std::string_view xml);

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);  // the UploadId

struct S3Error {
  std::string code;     // "NoSuchKey"; empty when the body is not an S3 error
  std::string message;
};
S3Error ParseS3Error(std::string_view xml);

// Body of CompleteMultipartUpload: parts numbered from 1 in order.
std::string BuildCompleteMultipartBody(const std::vector<std::string>& etags);

// Replaces the five predefined XML entities and numeric references.
std::string XmlUnescape(std::string_view text);
std::string XmlEscape(std::string_view text);

// What a failed attempt means for the next one.
bool IsRetryable(long http_status, const std::string& s3_code, bool transport_error);
// 100 ms * 2^attempt, capped at 5 s; attempt counts from 0.
int64_t BackoffMs(int attempt);

// Maps a non-2xx response to a Status. `url` names what was asked for
// (s3://bucket/key); the message never contains credentials.
Status S3ErrorStatus(long http_status, const S3Error& error, const std::string& request_url,
                     const std::string& object_url, const std::string& bucket);

}  // namespace ctlflow
