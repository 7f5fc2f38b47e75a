// AWS Signature Version 4 as pure functions: no clock, no network. The S3
// transport passes the time and the payload hash in, so every step (the
// canonical request, the string to sign, the key derivation) can be checked
// against the published test vectors.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctlflow {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as SigV4 sees it.
struct SignableRequest {
  std::string method;  // "GET"
  std::string path;    // already URI-encoded, e.g. "/bucket/a%20b/c"
  // Decoded query parameters; the signer encodes and sorts them.
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;  // must include "host"
};

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty when the credentials are long-lived
};

// Where and when a signature is valid.
struct SigV4Scope {
  std::string region;    // "us-east-1"
  std::string service;   // "s3"; the AWS test suite uses "service"
  std::string amz_date;  // "20150830T123600Z"
  std::string Date() const { return amz_date.substr(0, 8); }
  std::string CredentialScope() const;  // "20150830/us-east-1/service/aws4_request"
};

// Digests and encodings (OpenSSL underneath).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes
std::string HexEncode(std::string_view bytes);

// SigV4's URI encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) stay,
// everything else becomes %XX (upper-case hex). S3 object keys keep '/'.
std::string UriEncode(std::string_view text, bool keep_slash);

// "a=1&b=2": names and values encoded, sorted by name then value.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

struct CanonicalRequest {
  std::string text;            // the six lines, joined by '\n'
  std::string signed_headers;  // "host;x-amz-date"
};
CanonicalRequest BuildCanonicalRequest(const SignableRequest& request,
                                       std::string_view payload_sha256_hex);

std::string StringToSign(const SigV4Scope& scope, std::string_view canonical_request);
std::string SigningKey(std::string_view secret_key, const SigV4Scope& scope);  // raw bytes
std::string Signature(std::string_view secret_key, const SigV4Scope& scope,
                      std::string_view string_to_sign);  // hex

// Adds x-amz-date, x-amz-security-token (when there is a session token),
// x-amz-content-sha256 (when `content_sha256_header`; S3 requires it, the
// generic test suite does not send it) and Authorization, and returns the
// Authorization value.
std::string SignRequest(SignableRequest* request, const SigV4Credentials& credentials,
                        const SigV4Scope& scope, std::string_view payload_sha256_hex,
                        bool content_sha256_header);

}  // namespace ctlflow
