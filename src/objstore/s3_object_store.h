// The S3 ObjectStore (s3:// roots): S3Client sends signed requests over
// libcurl with retries; the store maps the ObjectStore calls onto it.
// Internal to src/objstore; callers go through OpenObjectStore.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "objstore/object_store.h"
#include "objstore/s3_protocol.h"

namespace ctlflow {

// Moves one request over the network; a transport failure (DNS, refused
// connection, reset) is an error Status, an HTTP error status is not.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpTransport> NewCurlTransport();

// Sends requests for one bucket, retrying what IsRetryable allows.
class S3Client {
 public:
  using Sleeper = std::function<void(int64_t ms)>;
  S3Client(S3Options options, std::string bucket, std::unique_ptr<HttpTransport> transport,
           Sleeper sleep = {});

  // A 2xx response, or the error mapped by S3ErrorStatus. `object_url`
  // names the object in messages.
  Result<HttpResponse> Call(const std::string& method, const std::string& key,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            HeaderList headers, std::string body, const std::string& object_url);

  const S3Options& options() const { return options_; }
  const S3RequestBuilder& builder() const { return builder_; }

 private:
  S3Options options_;
  S3RequestBuilder builder_;
  std::unique_ptr<HttpTransport> transport_;
  Sleeper sleep_;
};

// `prefix` is "" or a key prefix without slashes at either end.
Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const S3Options& options);
// The same over a given transport (tests count and script requests).
std::unique_ptr<ObjectStore> NewS3ObjectStore(const std::string& bucket, const std::string& prefix,
                                              std::shared_ptr<S3Client> client);

}  // namespace ctlflow
