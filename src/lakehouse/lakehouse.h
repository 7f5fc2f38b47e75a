// Lakehouse: a lakehouse connection opened for use: its object store (raw
// files and tables) and its Iceberg catalog in the metadata store. Tables
// live at <root>/<namespace>/<table>; the catalog's name is the
// connection's name, so two lakehouses never see each other's tables.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "iceberg/catalog.h"
#include "lakehouse/store_catalog.h"
#include "objstore/object_store.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

struct Lakehouse {
  std::string name;  // the connection
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<IcebergCatalog> catalog;
  // The folder of a table below the root, and its absolute location.
  static std::string TableKey(const TableIdent& ident) { return ident.ns + "/" + ident.name; }
  std::string TableLocation(const TableIdent& ident) const { return store->Url(TableKey(ident)); }
};

// `conn_nm` must be a lakehouse connection; its catalog needs the
// registry's metadata store.
Result<Lakehouse> OpenLakehouse(const ConnectionRegistry& connections, const std::string& conn_nm);

// "ns.name" -> ident; Invalid naming `what` otherwise.
Result<TableIdent> ParseTableIdent(const std::string& text, const std::string& what);

// Raw files matching a glob pattern (relative to the root; * ? [..] in the
// last components) in key order. NotFound names the pattern.
Result<std::vector<ObjectInfo>> MatchObjects(ObjectStore& store, const std::string& pattern);

// Copies an object to a local file in chunks (memory stays flat).
Status DownloadObject(ObjectStore& store, const std::string& key, const std::string& local_path);

}  // namespace ctlflow
