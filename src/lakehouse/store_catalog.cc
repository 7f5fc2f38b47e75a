#include "lakehouse/store_catalog.h"

namespace ctlflow {

namespace {

CatalogEntry ToEntry(const IcebergTableRow& row) {
  return {{row.table_namespace, row.table_name}, row.metadata_location, row.previous_metadata_location};
}

}  // namespace

Result<std::optional<CatalogEntry>> StoreCatalog::Load(const TableIdent& ident) {
  CTL_ASSIGN_OR_RETURN(auto row, store_->LoadIcebergTable(catalog_name_, ident.ns, ident.name));
  if (!row) return std::optional<CatalogEntry>();
  return std::optional<CatalogEntry>(ToEntry(*row));
}

Result<std::vector<CatalogEntry>> StoreCatalog::List() {
  CTL_ASSIGN_OR_RETURN(auto rows, store_->ListIcebergTables(catalog_name_));
  std::vector<CatalogEntry> out;
  for (const auto& row : rows) out.push_back(ToEntry(row));
  return out;
}

Status StoreCatalog::Create(const TableIdent& ident, const std::string& metadata_location) {
  return store_->CommitIcebergTable(catalog_name_, ident.ns, ident.name, "",
                                    [&]() -> Result<std::string> { return metadata_location; });
}

Status StoreCatalog::Commit(const TableIdent& ident, const std::string& expected,
                            const std::function<Result<std::string>()>& write) {
  return store_->CommitIcebergTable(catalog_name_, ident.ns, ident.name, expected, write);
}

Status StoreCatalog::Drop(const TableIdent& ident) {
  return store_->DropIcebergTable(catalog_name_, ident.ns, ident.name);
}

}  // namespace ctlflow
