// ObjectStore: one interface over the lakehouse's storage, with two
// implementations: a local folder (file://, the embedded default) and the
// S3 REST API with Signature V4 (s3://, for MinIO or AWS).
//
// Keys are relative to the store's root URL ("s3://bucket/prefix" or
// "file:///abs/folder") and use '/' separators. Everything above the store
// (Iceberg, ingest, the lakehouse CLI) sees only this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/io.h"
#include "common/status.h"

namespace ctlflow {

struct ObjectInfo {
  std::string key;         // relative to the store root
  int64_t size = 0;
  int64_t mtime_ms = 0;    // last modified, Unix ms
  std::string etag;        // may be empty for file://
};

struct ObjectListing {
  std::vector<ObjectInfo> objects;        // keys under the prefix (up to the delimiter)
  std::vector<std::string> prefixes;      // common prefixes when a delimiter is given, each ending in it
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The root as a URL, without a trailing slash: "s3://bucket/prefix",
  // "file:///abs/folder". Url(key) = root + "/" + key.
  virtual const std::string& Root() const = 0;
  std::string Url(const std::string& key) const { return Root() + "/" + key; }

  // A missing key is NotFound, naming the URL. Wrong credentials are
  // reported as such ("403 Forbidden: ... check the connection's access
  // key and secret"), a missing bucket as NotFound naming the bucket.
  virtual Result<std::string> Get(const std::string& key) = 0;
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  virtual Result<std::unique_ptr<RandomAccessSource>> OpenRead(const std::string& key) = 0;

  // Whole-object write; visible atomically (rename on file://, one PUT on S3).
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // Writes only when no object exists at `key`; Conflict when one does. On
  // file:// this is atomic (link(2)); on S3 it sends If-None-Match: * and
  // also checks with HEAD first for servers that ignore that header. The
  // catalog's compare-and-set is what serializes Iceberg commits; this
  // keeps one writer from overwriting another's metadata file.
  virtual Status PutIfAbsent(const std::string& key, std::string_view data) = 0;
  // Streaming write of a large object: a temporary file renamed at Close()
  // on file://, a multipart upload on S3 (parts of part_size bytes).
  virtual Result<std::unique_ptr<ByteSink>> OpenWrite(const std::string& key) = 0;

  // Deleting a missing key is Ok.
  virtual Status Delete(const std::string& key) = 0;

  // Every object whose key starts with `prefix`, in key order, following
  // pagination to the end. With a delimiter ("/"), keys that contain it
  // after the prefix are grouped into `prefixes` instead.
  virtual Result<ObjectListing> List(const std::string& prefix, const std::string& delimiter = "") = 0;
};

// Connection settings for s3:// (from the connection's row and secrets;
// the secret is never put in a message or a log).
struct S3Options {
  std::string endpoint;        // "http://127.0.0.1:9000"; empty = https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string access_key, secret_key, session_token;
  bool path_style = true;      // false: virtual-host style bucket.endpoint
  int64_t part_size = 8 << 20; // multipart part size (>= 5 MiB except in tests)
  int max_attempts = 5;        // retries with backoff on 5xx, 429 and throttling
  int max_keys = 1000;         // ListObjectsV2 page size (small in tests to exercise paging)
};

// "file:///abs/dir", "/abs/dir" or "s3://bucket[/prefix]". A file:// root is
// created when missing.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& url, const S3Options& s3 = {});

}  // namespace ctlflow
