// s3rver (npm, @20minutes/s3rver) on a free loopback port, for tests of
// the S3 object store: started on first use by the test process, with one
// bucket, and killed when that process exits. It checks SigV4 signatures
// against the credentials S3RVER / S3RVER. Also compiled into
// objstore_tests, whose store tests talk to it directly. s3rver 5 checks a
// virtual-host style request's signature as if its path were /bucket/key,
// so it refuses correctly signed ones: path_style=0 is tested without it.
#pragma once

#include <string>

namespace ctlflow::testing {

struct S3rverServer {
  bool ok = false;
  std::string error;
  int port = 0;
  std::string bucket = "ctlflow-test";
  std::string access_key = "S3RVER", secret_key = "S3RVER";
  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
};

const S3rverServer& S3rver();

}  // namespace ctlflow::testing
