// StoreCatalog: the Iceberg catalog kept in ctlflow's metadata store, in the
// table layout of Iceberg's JDBC catalog (cntl_af.iceberg_tables). Deleting
// the home's containers no longer forgets tables (the seed's first unsolved
// problem), and Spark or Trino with a JdbcCatalog on the same PostgreSQL
// database (currentSchema=cntl_af) see the same tables.
#pragma once

#include <string>

#include "iceberg/catalog.h"
#include "store/metadata_store.h"

namespace ctlflow {

class StoreCatalog final : public IcebergCatalog {
 public:
  // `store` must outlive the catalog. `catalog_name` is the lakehouse
  // connection's name: one catalog per lakehouse.
  StoreCatalog(MetadataStore* store, std::string catalog_name)
      : store_(store), catalog_name_(std::move(catalog_name)) {}

  const std::string& CatalogName() const override { return catalog_name_; }
  Result<std::optional<CatalogEntry>> Load(const TableIdent& ident) override;
  Result<std::vector<CatalogEntry>> List() override;
  Status Create(const TableIdent& ident, const std::string& metadata_location) override;
  Status Commit(const TableIdent& ident, const std::string& expected,
                const std::function<Result<std::string>()>& write) override;
  Status Drop(const TableIdent& ident) override;

 private:
  MetadataStore* store_;
  std::string catalog_name_;
};

}  // namespace ctlflow
