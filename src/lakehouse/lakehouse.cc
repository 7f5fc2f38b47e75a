#include "lakehouse/lakehouse.h"

#include <fnmatch.h>

#include <fstream>

#include "warehouse/connections.h"

namespace ctlflow {

Result<Lakehouse> OpenLakehouse(const ConnectionRegistry& connections, const std::string& conn_nm) {
  CTL_ASSIGN_OR_RETURN(ConnectionDef def, connections.Find(conn_nm));
  if (def.conn_typ != "lakehouse") {
    return Status::Invalid("connection " + conn_nm + " is " + def.conn_typ + ", not a lakehouse");
  }
  if (connections.store() == nullptr) {
    return Status::Internal("the lakehouse catalog needs the metadata store");
  }
  Lakehouse lake;
  lake.name = conn_nm;
  CTL_ASSIGN_OR_RETURN(lake.store, OpenLakehouseStore(def, connections.home()));
  lake.catalog = std::make_unique<StoreCatalog>(connections.store(), conn_nm);
  return lake;
}

Result<TableIdent> ParseTableIdent(const std::string& text, const std::string& what) {
  size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos ||
      text.find('/') != std::string::npos) {
    return Status::Invalid(what + " '" + text + "': expected NAMESPACE.TABLE, e.g. staging.PRCS_TEST_FRAMEWORK1");
  }
  return TableIdent{text.substr(0, dot), text.substr(dot + 1)};
}

Result<std::vector<ObjectInfo>> MatchObjects(ObjectStore& store, const std::string& pattern) {
  // List from the longest prefix without a wildcard, then match the rest.
  size_t wild = pattern.find_first_of("*?[");
  std::string prefix = pattern.substr(0, wild);
  CTL_ASSIGN_OR_RETURN(ObjectListing listing, store.List(prefix));
  std::vector<ObjectInfo> out;
  for (auto& o : listing.objects) {
    bool match = wild == std::string::npos ? o.key == pattern
                                           : fnmatch(pattern.c_str(), o.key.c_str(), FNM_PATHNAME) == 0;
    if (match) out.push_back(std::move(o));
  }
  if (out.empty()) return Status::NotFound("no source file matches " + store.Url(pattern));
  return out;
}

Status DownloadObject(ObjectStore& store, const std::string& key, const std::string& local_path) {
  CTL_ASSIGN_OR_RETURN(auto source, store.OpenRead(key));
  std::ofstream out(local_path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Io("cannot write " + local_path);
  const int64_t chunk = 8 << 20;
  for (int64_t off = 0; off < source->Size(); off += chunk) {
    CTL_ASSIGN_OR_RETURN(std::string bytes, source->ReadAt(off, std::min(chunk, source->Size() - off)));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Status::Io("writing " + local_path + " failed (disk full?)");
  }
  out.close();
  if (!out) return Status::Io("writing " + local_path + " failed");
  return Status::Ok();
}

}  // namespace ctlflow
