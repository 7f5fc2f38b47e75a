// `ctlflow example load`: installs the seed's example stream AF_TEST1 into
// a home, the way `airflow` can load its example DAGs: control rows, the SQL
// scripts in the lakehouse folder, and generated taxi data.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "config/documents.h"
#include "examples/example_files.h"
#include "examples/taxi_data.h"
#include "warehouse/connections.h"

namespace ctlflow {

namespace fs = std::filesystem;

namespace {

// The --warehouse connection must exist and hold SQL tables.
Status CheckWarehouse(MetadataStore& store, const std::string& name) {
  CTL_ASSIGN_OR_RETURN(std::vector<ConnectionDef> stored, store.ListConnections());
  for (const auto& d : EffectiveConnections(stored)) {
    if (d.conn_nm != name) continue;
    if (d.conn_typ == "sqlite" || d.conn_typ == "postgres") return Status::Ok();
    return Status::Invalid("--warehouse " + name + " is a " + d.conn_typ + " connection; use a sqlite or postgres one");
  }
  return Status::Invalid("--warehouse " + name + ": no connection of that name; add it first with ctlflow connection add");
}

// Points every example process at `warehouse` (conn_nm), in the rows about
// to be applied.
void UseWarehouse(TableChange* change, const std::string& warehouse) {
  if (change->table->name != kProcessTable) return;
  const int column = change->table->ColumnIndex("conn_nm");
  for (auto& upsert : change->upserts) {
    upsert.row.values[column] = warehouse;
    upsert.present[column] = true;
  }
}

}  // namespace

Status CmdExampleLoad(const Home& home, int64_t rows, const std::string& warehouse) {
  if (rows < 0) return Status::Invalid("--rows: must be 0 or more");
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  const std::string conn = warehouse.empty() ? "warehouse" : warehouse;
  CTL_RETURN_IF_ERROR(CheckWarehouse(*store, conn));
  std::vector<TableChange> changes;
  for (const auto& file : ExampleFiles()) {
    fs::path target = fs::path(home.path) / file.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out << file.content;
    if (!out.flush()) return Status::Io("cannot write " + target.string());
    std::cout << "wrote " << target.string() << "\n";
    if (target.extension() == ".yaml") {
      std::istringstream in(file.content);
      CTL_ASSIGN_OR_RETURN(ConfigDocument doc, ReadConfigYaml(in, target.string()));
      for (const auto& t : doc.tables) {
        TableChange change{t.table, {}, false};
        for (const auto& r : t.rows) change.upserts.push_back(UpsertRow{r.row, r.present});
        UseWarehouse(&change, conn);
        changes.push_back(std::move(change));
      }
    }
  }
  fs::path csv = fs::path(home.LakehouseFolder()) / "raw" / "test_project" / "ride.csv";
  std::error_code ec;
  fs::create_directories(csv.parent_path(), ec);
  {
    std::ofstream out(csv, std::ios::binary | std::ios::trunc);
    WriteTaxiCsv(out, rows);
    if (!out.flush()) return Status::Io("cannot write " + csv.string());
  }
  std::cout << "generated " << rows << " taxi trips in " << csv.string() << " (and "
            << TaxiCsvBadLines(rows) << " bad lines for the ingest to reject)\n";
  CTL_ASSIGN_OR_RETURN(auto summaries, store->ApplyChanges(changes, ValidateRows, false));
  for (const auto& s : summaries) {
    std::cout << s.table << ": " << s.inserted.size() << " inserted, " << s.updated.size()
              << " updated, " << s.unchanged << " unchanged\n";
  }
  std::cout << "the example's warehouse is connection " << conn << "\n";
  std::cout << "example stream AF_TEST1 is loaded into " << home.path
            << "; run it with: ctlflow run AF_TEST1 --date 2024-11-16\n";
  return Status::Ok();
}

}  // namespace ctlflow
