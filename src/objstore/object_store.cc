#include "objstore/object_store.h"

#include "objstore/file_object_store.h"
#include "objstore/s3_object_store.h"

namespace ctlflow {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& url, const S3Options& s3) {
  if (url.starts_with("file://")) return OpenFileObjectStore(url.substr(7));
  if (url.starts_with("/")) return OpenFileObjectStore(url);
  if (url.starts_with("s3://")) {
    std::string rest = url.substr(5);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t slash = rest.find('/');
    std::string bucket = rest.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    return OpenS3ObjectStore(bucket, prefix, s3);
  }
  return Status::Invalid("unsupported object store URL \"" + url +
                         "\"; use file:///abs/dir, /abs/dir or s3://bucket[/prefix]");
}

}  // namespace ctlflow
