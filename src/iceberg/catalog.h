// IcebergCatalog: where a table's current metadata file is recorded.
//
// ctlflow keeps the catalog in its metadata store, in the layout of
// Iceberg's JDBC catalog (iceberg_tables: catalog_name, table_namespace,
// table_name, metadata_location, previous_metadata_location), so it survives
// restarts and Spark or Trino pointed at the same database see the tables.
// The store-backed implementation lives in src/lakehouse; tests use an
// in-memory one. Commits are serialized here: Commit re-checks the expected
// location inside the store's transaction, so two writers racing on a table
// never both win.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ctlflow {

struct TableIdent {
  std::string ns;    // "staging"
  std::string name;  // "PRCS_TEST_FRAMEWORK1"
  std::string ToString() const { return ns + "." + name; }
};

struct CatalogEntry {
  TableIdent ident;
  std::string metadata_location;           // absolute URL of vN.metadata.json
  std::string previous_metadata_location;  // empty for a new table
};

class IcebergCatalog {
 public:
  virtual ~IcebergCatalog() = default;
  virtual const std::string& CatalogName() const = 0;
  // nullopt when the table is not registered.
  virtual Result<std::optional<CatalogEntry>> Load(const TableIdent& ident) = 0;
  virtual Result<std::vector<CatalogEntry>> List() = 0;
  // Registers a table; Conflict when the name is taken.
  virtual Status Create(const TableIdent& ident, const std::string& metadata_location) = 0;
  // Atomically: if the table's current location is `expected` (empty: the
  // table must not exist yet), call `write` (which writes the new metadata
  // file and returns its location) and record that location, keeping
  // `expected` as the previous one. Conflict, without calling `write`, when
  // the location has moved on; the caller reloads and retries.
  virtual Status Commit(const TableIdent& ident, const std::string& expected,
                        const std::function<Result<std::string>()>& write) = 0;
  // Forgets a table (its files stay).
  virtual Status Drop(const TableIdent& ident) = 0;
};

}  // namespace ctlflow
