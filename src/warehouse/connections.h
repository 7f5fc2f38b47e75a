// Named connections and their secrets.
//
// A connection is a row in cntl_af.cntl_conn: a type (sqlite, postgres,
// lakehouse), a URL, and where its password lives: an environment variable
// or a file readable only by its owner. The secret itself is never stored,
// printed, exported or logged; MaskSecrets() scrubs it from any text that
// might carry it (a driver's error message, say).
//
// The embedded defaults `warehouse` (SQLite under <home>/warehouse) and
// `lakehouse` (<home>/lakehouse) exist from the start; a row of the same
// name replaces them.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/strings.h"  // MaskSecrets
#include "objstore/object_store.h"
#include "store/metadata_store.h"

namespace ctlflow {

std::vector<ConnectionDef> BuiltinConnections();

// The effective set: built-ins, then stored rows (which win), by name.
std::vector<ConnectionDef> EffectiveConnections(const std::vector<ConnectionDef>& stored);

// Checks a definition before it is stored: name, type, URL shape, that the
// URL holds no password, and that a password file is owner-only.
Status ValidateConnection(const ConnectionDef& def);

// The password, from the environment variable or the file; "" when the
// connection has none.
Result<std::string> ResolveSecret(const ConnectionDef& def);

// The URL with any user:password@ part shown as user:****@.
std::string MaskUrl(const std::string& url);

// Opens the connection and does the smallest real operation: SELECT 1 on a
// database, a write and delete of a probe file in a lakehouse folder.
// Relative SQLite paths and file:// folders are taken from `home`.
Status TestConnection(const ConnectionDef& def, const std::string& home);

// Where a sqlite/lakehouse connection's files are, given the home.
std::string ConnectionPath(const ConnectionDef& def, const std::string& home);

// A lakehouse URL is file://FOLDER (relative to the home, or absolute) or
//   s3://BUCKET[/PREFIX][?endpoint=http://host:port&region=R&access_key=ID&path_style=1|0]
// with the secret access key from the connection's password (--password-env
// or --password-file). The access key id may also come from
// AWS_ACCESS_KEY_ID. The root URL has the query removed.
struct LakehouseLocation {
  std::string root;  // "file:///abs/folder" or "s3://bucket/prefix"
  S3Options s3;      // for s3:// only
};
Result<LakehouseLocation> ResolveLakehouse(const ConnectionDef& def, const std::string& home);
// Opens the lakehouse's object store (creating a file:// folder).
Result<std::unique_ptr<ObjectStore>> OpenLakehouseStore(const ConnectionDef& def, const std::string& home);

}  // namespace ctlflow
