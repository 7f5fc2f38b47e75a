// SigV4 against published vectors: the AWS Signature Version 4 test suite
// (service "service") and the worked examples of the S3 SigV4 docs.
#include "objstore/sigv4.h"

#include <gtest/gtest.h>

namespace ctlflow {
namespace {

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Credentials SuiteCredentials() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
}
SigV4Scope SuiteScope() { return {"us-east-1", "service", "20150830T123600Z"}; }

std::string SignSuite(SignableRequest request) {
  request.headers.emplace_back("Host", "example.amazonaws.com");
  return SignRequest(&request, SuiteCredentials(), SuiteScope(), kEmptySha, false);
}

std::string SuiteAuth(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" + signed_headers + ", Signature=" + signature;
}

TEST(SigV4, GetVanilla) {
  SignableRequest request{"GET", "/", {}, {{"Host", "example.amazonaws.com"},
                                          {"X-Amz-Date", "20150830T123600Z"}}};
  CanonicalRequest canonical = BuildCanonicalRequest(request, kEmptySha);
  EXPECT_EQ(canonical.text,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" + std::string(kEmptySha));
  EXPECT_EQ(StringToSign(SuiteScope(), canonical.text),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(SignSuite({"GET", "/", {}, {}}),
            SuiteAuth("host;x-amz-date",
                      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(SigV4, PostVanilla) {
  EXPECT_EQ(SignSuite({"POST", "/", {}, {}}),
            SuiteAuth("host;x-amz-date",
                      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

TEST(SigV4, QueryOrderKeyCase) {
  SignableRequest request{"GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}};
  EXPECT_EQ(CanonicalQueryString(request.query), "Param1=value1&Param2=value2");
  EXPECT_EQ(SignSuite(request),
            SuiteAuth("host;x-amz-date",
                      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

TEST(SigV4, HeaderValueTrim) {
  SignableRequest request{"GET", "/", {}, {{"My-Header1", " value1"},
                                          {"My-Header2", "\"a   b   c\""}}};
  EXPECT_EQ(SignSuite(request),
            SuiteAuth("host;my-header1;my-header2;x-amz-date",
                      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
}

TEST(SigV4, HeaderValueCase) {
  SignableRequest request{"POST", "/", {}, {{"My-Header1", "VALUE1"}}};
  EXPECT_EQ(SignSuite(request),
            SuiteAuth("host;my-header1;x-amz-date",
                      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"));
}

SigV4Credentials S3DocCredentials() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
}
SigV4Scope S3DocScope() { return {"us-east-1", "s3", "20130524T000000Z"}; }

std::string S3DocSignature(SignableRequest request, const std::string& payload_sha) {
  request.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  std::string auth = SignRequest(&request, S3DocCredentials(), S3DocScope(), payload_sha, true);
  return auth.substr(auth.find("Signature=") + 10);
}

TEST(SigV4, S3GetObjectWithRange) {
  EXPECT_EQ(S3DocSignature({"GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}}, kEmptySha),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObject) {
  std::string payload = "Welcome to Amazon S3.";
  std::string sha = Sha256Hex(payload);
  EXPECT_EQ(sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(S3DocSignature({"PUT", "/" + UriEncode("test$file.text", true), {},
                            {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                             {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}},
                           sha),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycle) {
  EXPECT_EQ(S3DocSignature({"GET", "/", {{"lifecycle", ""}}, {}}, kEmptySha),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjects) {
  EXPECT_EQ(S3DocSignature({"GET", "/", {{"max-keys", "2"}, {"prefix", "J"}}, {}}, kEmptySha),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, SessionTokenIsSigned) {
  SignableRequest request{"GET", "/", {}, {{"Host", "example.amazonaws.com"}}};
  SigV4Credentials credentials = SuiteCredentials();
  credentials.session_token = "TOKEN";
  std::string auth = SignRequest(&request, credentials, SuiteScope(), kEmptySha, true);
  EXPECT_NE(auth.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"),
            std::string::npos);
  bool has_token = false;
  for (const auto& [name, value] : request.headers) {
    has_token |= name == "x-amz-security-token" && value == "TOKEN";
  }
  EXPECT_TRUE(has_token);
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g", true), "a%20b/c~d_e.f-g");
  EXPECT_EQ(UriEncode("a b/c", false), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("\xc3\xa9+=", false), "%C3%A9%2B%3D");
}

}  // namespace
}  // namespace ctlflow
