// The defaults of WarehouseConnection: operations a connection does not
// offer fail with a message saying so.
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace {
Status NotSupported(const char* what) {
  return Status::Invalid(std::string(what) + " is not supported by this warehouse connection");
}
}  // namespace

Result<std::optional<std::vector<WarehouseColumn>>> WarehouseConnection::DescribeTable(
    const std::string&, const std::string&) {
  return NotSupported("describing a table");
}
Result<QueryResult> WarehouseConnection::Execute(const std::string&, const SqlParams&) {
  return NotSupported("running one statement");
}
Result<std::unique_ptr<BulkInsert>> WarehouseConnection::BeginBulkInsert(const std::string&, const std::string&,
                                                                         const std::vector<std::string>&) {
  return NotSupported("a bulk row writer");
}
std::string WarehouseConnection::QualifiedName(const std::string& schema, const std::string& table) const {
  return (schema.empty() ? "" : QuoteName(schema) + ".") + QuoteName(table);
}
Status WarehouseConnection::Begin() { return NotSupported("a transaction"); }
Status WarehouseConnection::Commit() { return NotSupported("a transaction"); }
Status WarehouseConnection::Rollback() { return NotSupported("a transaction"); }
void WarehouseConnection::SetStop(std::function<bool()>) {}

}  // namespace ctlflow
