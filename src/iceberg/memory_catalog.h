// MemoryCatalog: an IcebergCatalog in memory, for tests and tools. Same
// compare-and-set semantics as the store-backed catalog: Commit holds a
// mutex from the check to the update.
#pragma once

#include <map>
#include <mutex>

#include "iceberg/catalog.h"

namespace ctlflow {

class MemoryCatalog final : public IcebergCatalog {
 public:
  explicit MemoryCatalog(std::string name = "memory") : name_(std::move(name)) {}
  const std::string& CatalogName() const override { return name_; }
  Result<std::optional<CatalogEntry>> Load(const TableIdent& ident) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tables_.find(ident.ToString());
    if (it == tables_.end()) return std::optional<CatalogEntry>();
    return std::optional<CatalogEntry>(it->second);
  }
  Result<std::vector<CatalogEntry>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<CatalogEntry> out;
    for (const auto& [k, v] : tables_) out.push_back(v);
    return out;
  }
  Status Create(const TableIdent& ident, const std::string& location) override {
    return Commit(ident, "", [&]() -> Result<std::string> { return location; });
  }
  Status Commit(const TableIdent& ident, const std::string& expected,
                const std::function<Result<std::string>()>& write) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tables_.find(ident.ToString());
    const std::string now = it == tables_.end() ? "" : it->second.metadata_location;
    if (now != expected) return Status::Conflict(ident.ToString() + " moved on to " + now);
    CTL_ASSIGN_OR_RETURN(std::string location, write());
    tables_[ident.ToString()] = CatalogEntry{ident, location, expected};
    return Status::Ok();
  }
  Status Drop(const TableIdent& ident) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (tables_.erase(ident.ToString()) == 0) return Status::NotFound("no table " + ident.ToString());
    return Status::Ok();
  }

 private:
  std::string name_;
  std::mutex mu_;
  std::map<std::string, CatalogEntry> tables_;
};

}  // namespace ctlflow
