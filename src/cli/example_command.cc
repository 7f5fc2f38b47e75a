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
#include "warehouse/warehouse.h"

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

// Points the example's processes at `warehouse` and `lake`, in the rows
// about to be applied: conn_nm "lakehouse" (the ingest's Iceberg target)
// and source_conn=lakehouse (the load's Iceberg source) name the lakehouse,
// every other conn_nm the warehouse.
void UseConnections(TableChange* change, const std::string& warehouse, const std::string& lake) {
  if (change->table->name != kProcessTable) return;
  const int conn = change->table->ColumnIndex("conn_nm");
  const int parm = change->table->ColumnIndex("af_parm");
  for (auto& upsert : change->upserts) {
    const bool to_lake = upsert.present[conn] && ValueToString(upsert.row.values[conn]) == "lakehouse";
    upsert.row.values[conn] = to_lake ? lake : warehouse;
    upsert.present[conn] = true;
    if (upsert.present[parm]) {
      std::string text = ValueToString(upsert.row.values[parm]);
      const std::string from = "source_conn=lakehouse";
      size_t at = text.find(from);
      if (at != std::string::npos) text.replace(at, from.size(), "source_conn=" + lake);
      upsert.row.values[parm] = text;
    }
  }
}

// Copies the example's lakehouse files (the schema, the raw CSV) into a
// lakehouse other than the home's own folder, where the ingest reads them.
Status Upload(ObjectStore& store, const fs::path& file, const std::string& key) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  CTL_ASSIGN_OR_RETURN(auto sink, store.OpenWrite(key));
  CTL_RETURN_IF_ERROR(sink->Write(bytes.str()));
  CTL_RETURN_IF_ERROR(sink->Close());
  std::cout << "uploaded " << store.Url(key) << "\n";
  return Status::Ok();
}

}  // namespace

Status CmdExampleLoad(const Home& home, int64_t rows, const std::string& warehouse,
                      const std::string& lakehouse) {
  if (rows < 0) return Status::Invalid("--rows: must be 0 or more");
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  const std::string conn = warehouse.empty() ? "warehouse" : warehouse;
  const std::string lake = lakehouse.empty() ? "lakehouse" : lakehouse;
  CTL_RETURN_IF_ERROR(CheckWarehouse(*store, conn));
  ConnectionRegistry registry(home.path, store.get());
  CTL_ASSIGN_OR_RETURN(ConnectionDef lake_def, registry.Find(lake));
  if (lake_def.conn_typ != "lakehouse") {
    return Status::Invalid("--lakehouse " + lake + " is a " + lake_def.conn_typ + " connection; use a lakehouse one");
  }
  CTL_ASSIGN_OR_RETURN(LakehouseLocation lake_loc, ResolveLakehouse(lake_def, home.path));
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
        UseConnections(&change, conn, lake);
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
  if (lake_loc.root != "file://" + fs::path(home.LakehouseFolder()).lexically_normal().string()) {
    CTL_ASSIGN_OR_RETURN(auto objects, OpenLakehouseStore(lake_def, home.path));
    CTL_RETURN_IF_ERROR(Upload(*objects, fs::path(home.LakehouseFolder()) / "config" / "ride.json", "config/ride.json"));
    CTL_RETURN_IF_ERROR(Upload(*objects, csv, "raw/test_project/ride.csv"));
  }
  CTL_ASSIGN_OR_RETURN(auto summaries, store->ApplyChanges(changes, ValidateRows, false));
  for (const auto& s : summaries) {
    std::cout << s.table << ": " << s.inserted.size() << " inserted, " << s.updated.size()
              << " updated, " << s.unchanged << " unchanged\n";
  }
  std::cout << "the example's warehouse is connection " << conn << ", its lakehouse " << lake << " ("
            << lake_loc.root << ")\n";
  std::cout << "example stream AF_TEST1 is loaded into " << home.path
            << "; run it with: ctlflow run AF_TEST1 --date 2024-11-16\n";
  return Status::Ok();
}

}  // namespace ctlflow
