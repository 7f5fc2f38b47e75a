// Signature V4 against AWS's published examples: the sigv4 test suite's
// get-vanilla, and the S3 documentation's GET with a Range header.
#include "objstore/sigv4.h"

#include <gtest/gtest.h>

namespace ctlflow {
namespace {

const char* kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4, TestSuiteGetVanilla) {
  SignableRequest req{"GET", "/", {}, {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}}};
  SigV4Scope scope{"us-east-1", "service", "20150830T123600Z"};
  CanonicalRequest canonical = BuildCanonicalRequest(req, kEmptySha);
  EXPECT_EQ(canonical.text,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(kEmptySha));
  EXPECT_EQ(canonical.signed_headers, "host;x-amz-date");
  EXPECT_EQ(StringToSign(scope, canonical.text),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope, StringToSign(scope, canonical.text)),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, S3DocumentationGetObjectWithRange) {
  SignableRequest req{"GET",
                      "/test.txt",
                      {},
                      {{"host", "examplebucket.s3.amazonaws.com"},
                       {"range", "bytes=0-9"},
                       {"x-amz-content-sha256", kEmptySha},
                       {"x-amz-date", "20130524T000000Z"}}};
  SigV4Scope scope{"us-east-1", "s3", "20130524T000000Z"};
  CanonicalRequest canonical = BuildCanonicalRequest(req, kEmptySha);
  EXPECT_EQ(canonical.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(Sha256Hex(canonical.text), "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(Signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", scope, StringToSign(scope, canonical.text)),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, UriEncodingKeepsUnreservedAndOptionallySlashes) {
  EXPECT_EQ(UriEncode("a b/c~d_e-f.g", true), "a%20b/c~d_e-f.g");
  EXPECT_EQ(UriEncode("a/b=c&d", false), "a%2Fb%3Dc%26d");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "x/y"}, {"list-type", "2"}, {"delimiter", "/"}}),
            "delimiter=%2F&list-type=2&prefix=x%2Fy");
}

}  // namespace
}  // namespace ctlflow
