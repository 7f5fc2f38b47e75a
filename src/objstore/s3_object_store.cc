#include "objstore/s3_object_store.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <utility>

#include "objstore/file_object_store.h"

namespace ctlflow {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHeaders = std::unique_ptr<curl_slist, SlistDeleter>;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  size_t colon = line.find(':');
  auto* headers = static_cast<HeaderList*>(user);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after 100 Continue or a redirect)
  } else if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers->emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  }
  return size * count;
}

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    // One handle per store, reused so connections are kept alive.
    if (!curl_) curl_.reset(curl_easy_init());
    if (!curl_) return Status::Io("curl_easy_init failed");
    CURL* curl = curl_.get();
    curl_easy_reset(curl);

    CurlHeaders headers;
    // curl would otherwise add "Expect: 100-continue" to large bodies,
    // which costs a round trip per part.
    for (const std::string& line : {std::string("Expect:"), std::string("Content-Type:")}) {
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    for (const auto& [name, value] : request.headers) {
      std::string line = name + ": " + value;
      curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
      if (grown == nullptr) return Status::Io("out of memory building request headers");
      headers.release();
      headers.reset(grown);
    }

    HttpResponse response;
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    // A stalled connection fails (and is retried) instead of hanging.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (request.method == "PUT" || request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
      }
    }
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      return Status::Io(request.method + " " + request.url + ": " +
                        (error[0] != '\0' ? error : curl_easy_strerror(rc)));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  CurlHandle curl_;
};

void RealSleep(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JoinKey(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "/" + key;
}

// Ranged GETs of one object whose size HEAD reported.
class S3Source final : public RandomAccessSource {
 public:
  S3Source(std::shared_ptr<S3Client> client, std::string key, int64_t size, std::string url)
      : client_(std::move(client)), key_(std::move(key)), size_(size), url_(std::move(url)) {}
  int64_t Size() const override { return size_; }
  const std::string& Name() const override { return url_; }

  Result<std::string> ReadAt(int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0 || offset + length > size_) {
      return Status::Invalid(url_ + ": read of " + std::to_string(length) + " bytes at offset " +
                             std::to_string(offset) + " is past its end (" +
                             std::to_string(size_) + " bytes); the object is truncated");
    }
    if (length == 0) return std::string();
    std::string range =
        "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
    CTL_ASSIGN_OR_RETURN(HttpResponse response,
                         client_->Call("GET", key_, {}, {{"range", range}}, "", url_));
    std::string body = std::move(response.body);
    // A server that ignores Range answers 200 with the whole object.
    if (response.status == 200 && static_cast<int64_t>(body.size()) == size_) {
      body = body.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
    }
    if (static_cast<int64_t>(body.size()) != length) {
      return Status::Io(url_ + ": ranged read " + range + " returned " +
                        std::to_string(body.size()) + " bytes instead of " +
                        std::to_string(length) + "; the object is truncated or changed");
    }
    return body;
  }

 private:
  std::shared_ptr<S3Client> client_;
  std::string key_;
  int64_t size_;
  std::string url_;
};

std::string DescribeSize(int64_t bytes) {
  constexpr int64_t kMiB = int64_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Buffers up to part_size bytes; one PUT when the object stays small, a
// multipart upload otherwise. The first failure sticks: the upload is
// aborted at once and every later Write/Close returns that failure, so a
// caller that carries on cannot complete an object with a part missing.
class S3Sink final : public ByteSink {
 public:
  S3Sink(std::shared_ptr<S3Client> client, std::string key, std::string url)
      : client_(std::move(client)), key_(std::move(key)), url_(std::move(url)) {
    part_size_ = std::max<int64_t>(1, client_->options().part_size);
  }
  ~S3Sink() override {
    // Abandoned: abort so the parts are not kept (and billed) forever.
    if (!closed_) Abort();
  }

  Status Write(std::string_view bytes) override {
    if (closed_) return Status::Internal("write to " + url_ + " after Close()");
    if (!failed_.ok()) return failed_;
    buffer_.append(bytes);
    written_ += static_cast<int64_t>(bytes.size());
    while (static_cast<int64_t>(buffer_.size()) >= part_size_) {
      std::string part = buffer_.substr(0, static_cast<size_t>(part_size_));
      buffer_.erase(0, static_cast<size_t>(part_size_));
      if (Status st = UploadPart(std::move(part)); !st.ok()) return Fail(std::move(st));
    }
    return Status::Ok();
  }
  int64_t Tell() const override { return written_; }

  Status Close() override {
    if (closed_) return Status::Ok();
    if (!failed_.ok()) return failed_;
    if (Status st = Finish(); !st.ok()) return Fail(std::move(st));
    closed_ = true;
    return Status::Ok();
  }

 private:
  Status Finish() {
    if (upload_id_.empty()) {
      return client_->Call("PUT", key_, {}, {}, std::exchange(buffer_, {}), url_).status();
    }
    if (!buffer_.empty()) CTL_RETURN_IF_ERROR(UploadPart(std::exchange(buffer_, {})));
    Result<HttpResponse> completed = client_->Call("POST", key_, {{"uploadId", upload_id_}}, {},
                                                   BuildCompleteMultipartBody(etags_), url_);
    // CompleteMultipartUpload can fail after the 200 status line was sent;
    // the error is then in the body.
    S3Error error = completed.ok() ? ParseS3Error(completed->body) : S3Error{};
    const bool too_small =
        error.code == "EntityTooSmall" ||
        (!completed.ok() && completed.status().message().find("EntityTooSmall") != std::string::npos);
    if (too_small) {
      return Status::Invalid("completing the multipart upload of " + url_ + ": the server refused its " +
                             std::to_string(etags_.size()) + " parts of " + DescribeSize(part_size_) +
                             " as too small (EntityTooSmall); every part but the last must be at "
                             "least 5 MiB, so use a part size (part_size_mb) of 5 or more");
    }
    if (!completed.ok()) {
      return completed.status().WithContext("completing the multipart upload of " + url_);
    }
    if (!error.code.empty()) {
      return Status::Io("completing the multipart upload of " + url_ + ": " + error.code + ": " +
                        error.message);
    }
    return Status::Ok();
  }

  Status UploadPart(std::string part) {
    if (upload_id_.empty()) {
      CTL_ASSIGN_OR_RETURN(HttpResponse created,
                           client_->Call("POST", key_, {{"uploads", ""}}, {}, "", url_));
      CTL_ASSIGN_OR_RETURN(upload_id_, ParseInitiateMultipartUpload(created.body));
    }
    std::string number = std::to_string(etags_.size() + 1);
    Result<HttpResponse> response =
        client_->Call("PUT", key_, {{"partNumber", number}, {"uploadId", upload_id_}}, {},
                      std::move(part), url_);
    if (!response.ok()) {
      return response.status().WithContext("uploading part " + number + " of " + url_);
    }
    std::optional<std::string> etag = response->Header("etag");
    if (!etag || etag->empty()) {
      return Status::Io("UploadPart " + number + " of " + url_ + " returned no ETag");
    }
    etags_.push_back(*etag);
    return Status::Ok();
  }

  Status Fail(Status status) {
    failed_ = status;
    buffer_.clear();
    Abort();
    return status;
  }

  void Abort() {
    if (upload_id_.empty()) return;
    Status ignored = client_->Call("DELETE", key_, {{"uploadId", upload_id_}}, {}, "", url_).status();
    (void)ignored;
    upload_id_.clear();
  }

  std::shared_ptr<S3Client> client_;
  std::string key_, url_;
  int64_t part_size_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  int64_t written_ = 0;
  bool closed_ = false;
  Status failed_;
};

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(std::string bucket, std::string prefix, std::shared_ptr<S3Client> client)
      : bucket_(std::move(bucket)), prefix_(std::move(prefix)), client_(std::move(client)) {
    root_ = "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_);
  }

  const std::string& Root() const override { return root_; }

  Result<std::string> Get(const std::string& key) override {
    CTL_RETURN_IF_ERROR(CheckKey(key));
    CTL_ASSIGN_OR_RETURN(HttpResponse response,
                         client_->Call("GET", JoinKey(prefix_, key), {}, {}, "", Url(key)));
    return std::move(response.body);
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    CTL_RETURN_IF_ERROR(CheckKey(key));
    CTL_ASSIGN_OR_RETURN(HttpResponse response,
                         client_->Call("HEAD", JoinKey(prefix_, key), {}, {}, "", Url(key)));
    ObjectInfo info;
    info.key = key;
    info.size = std::strtoll(response.Header("content-length").value_or("0").c_str(), nullptr, 10);
    info.mtime_ms = ParseHttpDateMs(response.Header("last-modified").value_or("")).value_or(0);
    info.etag = response.Header("etag").value_or("");
    return info;
  }

  Result<std::unique_ptr<RandomAccessSource>> OpenRead(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
    return std::unique_ptr<RandomAccessSource>(
        new S3Source(client_, JoinKey(prefix_, key), info.size, Url(key)));
  }

  Status Put(const std::string& key, std::string_view data) override {
    CTL_RETURN_IF_ERROR(CheckKey(key));
    return client_->Call("PUT", JoinKey(prefix_, key), {}, {}, std::string(data), Url(key))
        .status();
  }

  Status PutIfAbsent(const std::string& key, std::string_view data) override {
    Result<ObjectInfo> existing = Head(key);
    if (existing.ok()) return Status::Conflict(Url(key) + " already exists");
    if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
    return client_
        ->Call("PUT", JoinKey(prefix_, key), {}, {{"if-none-match", "*"}}, std::string(data),
               Url(key))
        .status();
  }

  Result<std::unique_ptr<ByteSink>> OpenWrite(const std::string& key) override {
    CTL_RETURN_IF_ERROR(CheckKey(key));
    return std::unique_ptr<ByteSink>(new S3Sink(client_, JoinKey(prefix_, key), Url(key)));
  }

  Status Delete(const std::string& key) override {
    CTL_RETURN_IF_ERROR(CheckKey(key));
    Status status =
        client_->Call("DELETE", JoinKey(prefix_, key), {}, {}, "", Url(key)).status();
    // S3 answers 204 for a missing key, but some servers say 404.
    if (status.code() == ErrorCode::kNotFound && status.message().find("bucket") == 0) {
      return status;
    }
    return status.code() == ErrorCode::kNotFound ? Status::Ok() : status;
  }

  Result<ObjectListing> List(const std::string& prefix, const std::string& delimiter) override {
    std::string full_prefix = prefix_.empty() ? prefix : prefix_ + "/" + prefix;
    size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
    ObjectListing listing;
    std::string token;
    do {
      std::vector<std::pair<std::string, std::string>> query = {
          {"list-type", "2"},
          {"prefix", full_prefix},
          {"max-keys", std::to_string(client_->options().max_keys)}};
      if (!delimiter.empty()) query.emplace_back("delimiter", delimiter);
      if (!token.empty()) query.emplace_back("continuation-token", token);
      CTL_ASSIGN_OR_RETURN(HttpResponse response,
                           client_->Call("GET", "", query, {}, "", root_ + "/" + prefix));
      CTL_ASSIGN_OR_RETURN(ListPage page, ParseListObjectsV2(response.body));
      for (ObjectInfo& info : page.objects) {
        info.key = info.key.substr(std::min(strip, info.key.size()));
        listing.objects.push_back(std::move(info));
      }
      for (std::string& p : page.prefixes) listing.prefixes.push_back(p.substr(std::min(strip, p.size())));
      // A server that hands back the token it was given would loop forever.
      if (page.truncated && page.next_token == token) {
        return Status::Io("listing " + root_ + "/" + prefix +
                          ": the server returned the same continuation token twice");
      }
      token = page.truncated ? page.next_token : "";
    } while (!token.empty());
    return listing;
  }

 private:
  Status CheckKey(const std::string& key) const {
    return ValidateObjectKey(key).WithContext(root_);
  }

  std::string bucket_, prefix_, root_;
  std::shared_ptr<S3Client> client_;
};

}  // namespace

std::unique_ptr<HttpTransport> NewCurlTransport() { return std::make_unique<CurlTransport>(); }

S3Client::S3Client(S3Options options, std::string bucket,
                   std::unique_ptr<HttpTransport> transport, Sleeper sleep)
    : options_(std::move(options)),
      builder_(options_, std::move(bucket)),
      transport_(std::move(transport)),
      sleep_(sleep ? std::move(sleep) : Sleeper(RealSleep)) {}

Result<HttpResponse> S3Client::Call(const std::string& method, const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& query,
                                    HeaderList headers, std::string body,
                                    const std::string& object_url) {
  const int attempts = std::max(1, options_.max_attempts);
  Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) sleep_(BackoffMs(attempt - 1));
    // Signed per attempt: the signature carries the time.
    HttpRequest request = builder_.Build(method, key, query, headers, body, AmzDate(NowSeconds()));
    Result<HttpResponse> sent = transport_->Send(request);
    if (!sent.ok()) {
      last = sent.status();
      continue;  // transport errors are always worth another try
    }
    HttpResponse& response = *sent;
    if (response.status >= 200 && response.status < 300) return std::move(response);
    S3Error error = ParseS3Error(response.body);
    std::string request_url = request.url.substr(0, request.url.find('?'));
    last = S3ErrorStatus(response.status, error, request_url, object_url, builder_.bucket());
    if (!IsRetryable(response.status, error.code, false)) return last;
  }
  return last.WithContext("giving up on " + object_url + " after " + std::to_string(attempts) +
                          " attempts");
}

Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const S3Options& options) {
  if (bucket.empty()) return Status::Invalid("s3:// URL has no bucket");
  if (!prefix.empty()) CTL_RETURN_IF_ERROR(ValidateObjectKey(prefix).WithContext("s3://" + bucket));
  auto client = std::make_shared<S3Client>(options, bucket, NewCurlTransport());
  return NewS3ObjectStore(bucket, prefix, std::move(client));
}

std::unique_ptr<ObjectStore> NewS3ObjectStore(const std::string& bucket, const std::string& prefix,
                                              std::shared_ptr<S3Client> client) {
  return std::make_unique<S3ObjectStore>(bucket, prefix, std::move(client));
}

}  // namespace ctlflow
