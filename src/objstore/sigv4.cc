#include "objstore/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

namespace ctlflow {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims the value and folds runs of spaces into one, as SigV4 requires so a
// proxy that reformats whitespace does not break the signature.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string SigV4Scope::CredentialScope() const {
  return Date() + "/" + region + "/" + service + "/aws4_request";
}

std::string Sha256Hex(std::string_view data) {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    return "";  // only on allocation failure; the request then fails to verify
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

CanonicalRequest BuildCanonicalRequest(const SignableRequest& request,
                                       std::string_view payload_sha256_hex) {
  // Repeated headers are joined with ',' in the order they were given.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string& slot = headers[Lower(name)];
    if (!slot.empty()) slot.push_back(',');
    slot += CanonicalHeaderValue(value);
  }
  CanonicalRequest out;
  std::string header_block;
  for (const auto& [name, value] : headers) {
    header_block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  out.text = request.method + "\n" + (request.path.empty() ? "/" : request.path) + "\n" +
             CanonicalQueryString(request.query) + "\n" + header_block + "\n" +
             out.signed_headers + "\n" + std::string(payload_sha256_hex);
  return out;
}

std::string StringToSign(const SigV4Scope& scope, std::string_view canonical_request) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.CredentialScope() + "\n" +
         Sha256Hex(canonical_request);
}

std::string SigningKey(std::string_view secret_key, const SigV4Scope& scope) {
  std::string key = HmacSha256("AWS4" + std::string(secret_key), scope.Date());
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  return HmacSha256(key, "aws4_request");
}

std::string Signature(std::string_view secret_key, const SigV4Scope& scope,
                      std::string_view string_to_sign) {
  return HexEncode(HmacSha256(SigningKey(secret_key, scope), string_to_sign));
}

std::string SignRequest(SignableRequest* request, const SigV4Credentials& credentials,
                        const SigV4Scope& scope, std::string_view payload_sha256_hex,
                        bool content_sha256_header) {
  request->headers.emplace_back("x-amz-date", scope.amz_date);
  if (content_sha256_header) {
    request->headers.emplace_back("x-amz-content-sha256", std::string(payload_sha256_hex));
  }
  if (!credentials.session_token.empty()) {
    request->headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  CanonicalRequest canonical = BuildCanonicalRequest(*request, payload_sha256_hex);
  std::string authorization =
      "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope.CredentialScope() +
      ", SignedHeaders=" + canonical.signed_headers + ", Signature=" +
      Signature(credentials.secret_key, scope, StringToSign(scope, canonical.text));
  request->headers.emplace_back("Authorization", authorization);
  return authorization;
}

}  // namespace ctlflow
