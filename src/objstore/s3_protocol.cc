#include "objstore/s3_protocol.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/civil_date.h"

namespace ctlflow {
namespace {


// The text between <tag> and </tag> starting at `from`, or nullopt; `*end`
// is set past the closing tag. Enough for S3's flat, attribute-free
// response elements; namespaces on the root element are skipped because we
// never search for the root by exact text.
std::optional<std::string_view> Element(std::string_view xml, std::string_view tag, size_t from,
                                        size_t* end = nullptr) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t begin = xml.find(open, from);
  if (begin == std::string_view::npos) return std::nullopt;
  begin += open.size();
  size_t stop = xml.find(close, begin);
  if (stop == std::string_view::npos) return std::nullopt;
  if (end != nullptr) *end = stop + close.size();
  return xml.substr(begin, stop - begin);
}

std::string Text(std::string_view xml, std::string_view tag) {
  auto value = Element(xml, tag, 0);
  return value ? XmlUnescape(*value) : std::string();
}

// Each <tag>...</tag> block in order.
std::vector<std::string_view> Elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (auto value = Element(xml, tag, pos, &pos)) out.push_back(*value);
  return out;
}

std::string HostOf(const std::string& endpoint) {
  size_t start = endpoint.find("://");
  return start == std::string::npos ? endpoint : endpoint.substr(start + 3);
}
std::string SchemeOf(const std::string& endpoint) {
  size_t start = endpoint.find("://");
  return start == std::string::npos ? "https" : endpoint.substr(0, start);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

S3RequestBuilder::S3RequestBuilder(S3Options options, std::string bucket)
    : options_(std::move(options)), bucket_(std::move(bucket)) {
  endpoint_ = options_.endpoint.empty() ? "https://s3." + options_.region + ".amazonaws.com"
                                        : options_.endpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  if (endpoint_.find("://") == std::string::npos) endpoint_ = "https://" + endpoint_;
}

HttpRequest S3RequestBuilder::Build(const std::string& method, const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& query,
                                    HeaderList headers, std::string body,
                                    const std::string& amz_date) const {
  std::string host = HostOf(endpoint_);
  std::string path;
  if (options_.path_style) {
    path = "/" + UriEncode(bucket_, false);
    if (!key.empty()) path += "/" + UriEncode(key, true);
  } else {
    host = bucket_ + "." + host;
    path = "/" + UriEncode(key, true);
  }
  SignableRequest signable{method, path, query, std::move(headers)};
  signable.headers.emplace_back("host", host);
  SigV4Credentials credentials{options_.access_key, options_.secret_key, options_.session_token};
  SigV4Scope scope{options_.region, "s3", amz_date};
  SignRequest(&signable, credentials, scope, Sha256Hex(body), true);

  HttpRequest out;
  out.method = method;
  // The URL's query uses the canonical encoding too, so the server sees
  // exactly the parameters that were signed.
  std::string query_text = CanonicalQueryString(query);
  out.url = SchemeOf(endpoint_) + "://" + host + path + (query_text.empty() ? "" : "?" + query_text);
  out.headers = std::move(signable.headers);
  out.body = std::move(body);
  return out;
}

std::string AmzDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  int y, mo, d, h, mi, s;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
    return std::nullopt;
  }
  int64_t ms = 0;
  if (copy.size() > 20 && copy[19] == '.') {
    int digits = 0;
    for (size_t i = 20; i < copy.size() && std::isdigit(static_cast<unsigned char>(copy[i])) &&
                        digits < 3;
         ++i, ++digits) {
      ms = ms * 10 + (copy[i] - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60000 + static_cast<int64_t>(s) * 1000 + ms;
}

std::optional<int64_t> ParseHttpDateMs(std::string_view text) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char month[4] = {};
  int d, y, h, mi, s;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%*3s, %2d %3s %4d %2d:%2d:%2d", &d, month, &y, &h, &mi, &s) != 6) {
    return std::nullopt;
  }
  for (unsigned m = 0; m < 12; ++m) {
    if (std::string_view(kMonths[m]) == month) {
      int64_t days = DaysFromCivil(y, m + 1, static_cast<unsigned>(d));
      return ((days * 24 + h) * 60 + mi) * 60000 + static_cast<int64_t>(s) * 1000;
    }
  }
  return std::nullopt;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return Status::Io("ListObjectsV2 response is not a ListBucketResult: " +
                      std::string(xml.substr(0, 200)));
  }
  ListPage page;
  for (std::string_view contents : Elements(xml, "Contents")) {
    ObjectInfo info;
    info.key = Text(contents, "Key");
    std::string size = Text(contents, "Size");
    info.size = std::strtoll(size.c_str(), nullptr, 10);
    info.mtime_ms = ParseIso8601Ms(Text(contents, "LastModified")).value_or(0);
    info.etag = Text(contents, "ETag");
    page.objects.push_back(std::move(info));
  }
  for (std::string_view common : Elements(xml, "CommonPrefixes")) {
    page.prefixes.push_back(Text(common, "Prefix"));
  }
  page.truncated = Text(xml, "IsTruncated") == "true";
  page.next_token = Text(xml, "NextContinuationToken");
  if (page.truncated && page.next_token.empty()) {
    return Status::Io("ListObjectsV2 response is truncated but has no NextContinuationToken");
  }
  return page;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  std::string id = Text(xml, "UploadId");
  if (id.empty()) {
    return Status::Io("CreateMultipartUpload response has no UploadId: " +
                      std::string(xml.substr(0, 200)));
  }
  return id;
}

S3Error ParseS3Error(std::string_view xml) {
  auto error = Element(xml, "Error", 0);
  if (!error) return {};
  return {Text(*error, "Code"), Text(*error, "Message")};
}

std::string BuildCompleteMultipartBody(const std::vector<std::string>& etags) {
  std::string out = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    out += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(etags[i]) + "</ETag></Part>";
  }
  return out + "</CompleteMultipartUpload>";
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      unsigned long cp = std::strtoul(std::string(entity.substr(hex ? 2 : 1)).c_str(), nullptr,
                                      hex ? 16 : 10);
      // UTF-8 encode the code point.
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(text.substr(i, semi - i + 1));  // unknown: keep as written
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool IsRetryable(long http_status, const std::string& s3_code, bool transport_error) {
  if (transport_error) return true;
  if (http_status >= 500 || http_status == 429) return true;
  return s3_code == "SlowDown" || s3_code == "Throttling" || s3_code == "ThrottlingException" ||
         s3_code == "RequestTimeout" || s3_code == "InternalError";
}

int64_t BackoffMs(int attempt) {
  constexpr int64_t kCapMs = 5000;
  if (attempt >= 6) return kCapMs;
  return std::min<int64_t>(kCapMs, int64_t{100} << std::max(attempt, 0));
}

Status S3ErrorStatus(long http_status, const S3Error& error, const std::string& request_url,
                     const std::string& object_url, const std::string& bucket) {
  std::string detail = error.code.empty() ? std::string("no S3 error body")
                                          : error.code + (error.message.empty()
                                                              ? std::string()
                                                              : ": " + error.message);
  if (error.code == "NoSuchBucket") {
    return Status::NotFound("bucket \"" + bucket + "\" does not exist (" + request_url + ")");
  }
  if (error.code == "NoSuchKey" || (http_status == 404 && error.code.empty())) {
    return Status::NotFound(object_url + " not found");
  }
  if (http_status == 404) return Status::NotFound(object_url + ": " + detail);
  if (http_status == 403) {
    return Status::Io("403 Forbidden from " + request_url + ": " + detail +
                      "; check the connection's access key and secret");
  }
  if (http_status == 412 || error.code == "PreconditionFailed") {
    return Status::Conflict(object_url + " already exists (" + detail + ")");
  }
  if (http_status == 409) return Status::Conflict(object_url + ": " + detail);
  if (http_status == 400) return Status::Invalid(request_url + ": " + detail);
  return Status::Io("HTTP " + std::to_string(http_status) + " from " + request_url + ": " + detail);
}

}  // namespace ctlflow
