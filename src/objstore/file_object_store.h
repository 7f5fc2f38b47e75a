// The local-folder ObjectStore (file:// roots). Internal to src/objstore;
// callers go through OpenObjectStore.
#pragma once

#include <memory>
#include <string>

#include "objstore/object_store.h"

namespace ctlflow {

// `folder` is an absolute path; it is created (with parents) when missing.
Result<std::unique_ptr<ObjectStore>> OpenFileObjectStore(const std::string& folder);

// Rejects keys that could escape the root or that are not relative: empty,
// a leading '/', or a "." / ".." / empty path component. Shared with S3 so
// both stores accept the same keys.
Status ValidateObjectKey(const std::string& key);

// True for the names this store gives its temporary files, which List hides.
bool IsTemporaryFileName(const std::string& name);

}  // namespace ctlflow
