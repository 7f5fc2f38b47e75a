// `ctlflow lakehouse tables|describe|snapshots|register|scan|expire|
// delete-partition`: the Iceberg tables of a lakehouse connection, as its
// catalog in the metadata store knows them, the recovery of tables that sit
// in a bucket, and their upkeep.
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "lakehouse/row_codec.h"
#include "lakehouse/table_admin.h"
#include "ops/operations.h"
#include "warehouse/warehouse.h"

namespace ctlflow {

namespace {

std::string FormatMs(int64_t ms) {
  if (ms <= 0) return "";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " UTC";
}

// Runs `fn` on the opened lakehouse `conn`.
template <typename Fn>
Status WithLakehouse(const Home& home, const std::string& conn, Fn fn) {
  CTL_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  ConnectionRegistry registry(home.path, store.get());
  CTL_ASSIGN_OR_RETURN(Lakehouse lake, OpenLakehouse(registry, conn.empty() ? "lakehouse" : conn));
  return fn(lake);
}

nlohmann::ordered_json SummaryJson(const TableSummary& t) {
  return {{"table", t.ident.ToString()},
          {"location", t.location},
          {"metadata_location", t.metadata_location},
          {"snapshot_id", t.snapshot_id},
          {"records", t.records},
          {"files", t.files},
          {"bytes", t.bytes},
          {"last_updated", FormatMs(t.last_updated_ms)}};
}

std::string RegisterLine(const RegisterOutcome& r) {
  return r.ident.ToString() + (r.already ? ": already registered at " : r.moved ? ": moved on to " : ": registered at ") +
         r.metadata_location;
}

}  // namespace

Result<int64_t> ParseOlderThan(const std::string& text) {
  const int64_t now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) && text.find('-') == std::string::npos) {
    char* end = nullptr;
    long long n = std::strtoll(text.c_str(), &end, 10);
    std::string unit = end;
    int64_t ms = unit == "d" ? 86400000 : unit == "h" ? 3600000 : unit == "m" ? 60000 : unit == "s" ? 1000 : -1;
    if (ms > 0 && n >= 0) return now_ms - n * ms;
  } else {
    auto micros = ParseIsoTimestamp(text);
    if (micros.ok()) return *micros / 1000;
  }
  return Status::Invalid("--older-than '" + text + "': give a duration (30d, 12h, 15m, 0s) or a UTC time YYYY-MM-DD[ HH:MM:SS]");
}

Status CmdLakehouseTables(const Home& home, const std::string& conn, bool json) {
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(auto tables, ListTables(lake));
    if (json) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& t : tables) rows.push_back(SummaryJson(t));
      std::cout << rows.dump(2) << "\n";
      return Status::Ok();
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : tables) {
      rows.push_back({t.ident.ToString(), std::to_string(t.records), std::to_string(t.files),
                      std::to_string(t.bytes), t.snapshot_id ? std::to_string(t.snapshot_id) : "-",
                      FormatMs(t.last_updated_ms), t.location});
    }
    PrintTable(std::cout, {"table", "records", "files", "bytes", "snapshot", "updated", "location"}, rows);
    if (tables.empty()) std::cout << "(no tables in lakehouse " << lake.name << "; `ctlflow lakehouse scan` finds tables in its storage)\n";
    return Status::Ok();
  });
}

Status CmdLakehouseDescribe(const Home& home, const std::string& conn, const std::string& table, bool json,
                            const AsOf& as_of) {
  CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(table, "table"));
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(TableDescription d, DescribeTable(lake, ident, as_of));
    if (json) {
      nlohmann::ordered_json fields = nlohmann::ordered_json::array();
      for (const auto& f : d.fields) {
        fields.push_back({{"id", f.id}, {"name", f.name}, {"type", f.type}, {"required", f.required}});
      }
      nlohmann::ordered_json out = SummaryJson(d.summary);
      out["table_uuid"] = d.table_uuid;
      out["schema_id"] = d.schema_id;
      out["fields"] = fields;
      out["partition"] = d.partition;
      out["properties"] = d.properties;
      std::cout << out.dump(2) << "\n";
      return Status::Ok();
    }
    std::cout << "table      " << d.summary.ident.ToString() << " (lakehouse " << lake.name << ")\n"
              << "location   " << d.summary.location << "\n"
              << "metadata   " << d.summary.metadata_location << "\n"
              << "uuid       " << d.table_uuid << "\n"
              << "snapshot   " << (d.summary.snapshot_id ? std::to_string(d.summary.snapshot_id) : "none") << ", "
              << d.summary.records << " records in " << d.summary.files << " files (" << d.summary.bytes
              << " bytes)\n";
    std::string spec;
    for (const auto& p : d.partition) spec += (spec.empty() ? "" : ", ") + p;
    std::cout << "partition  " << (spec.empty() ? "unpartitioned" : spec) << "\n"
              << "schema     " << d.schema_id << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : d.fields) rows.push_back({std::to_string(f.id), f.name, f.type, f.required ? "required" : "optional"});
    PrintTable(std::cout, {"id", "name", "type", "nullability"}, rows);
    return Status::Ok();
  });
}

Status CmdLakehouseSnapshots(const Home& home, const std::string& conn, const std::string& table, bool json) {
  CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(table, "table"));
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots(lake, ident));
    auto get = [](const SnapshotDescription& s, const char* key) {
      auto it = s.summary.find(key);
      return it == s.summary.end() ? std::string() : it->second;
    };
    if (json) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& s : snapshots) {
        rows.push_back({{"snapshot_id", s.snapshot_id},
                        {"parent_id", s.parent_id ? nlohmann::ordered_json(s.parent_id) : nlohmann::ordered_json()},
                        {"sequence_number", s.sequence_number},
                        {"timestamp_ms", s.timestamp_ms},
                        {"committed", FormatMs(s.timestamp_ms)},
                        {"operation", s.operation},
                        {"current", s.current},
                        {"manifest_list", s.manifest_list},
                        {"summary", s.summary}});
      }
      std::cout << rows.dump(2) << "\n";
      return Status::Ok();
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : snapshots) {
      rows.push_back({std::to_string(s.snapshot_id) + (s.current ? " *" : ""), FormatMs(s.timestamp_ms),
                      s.operation, get(s, "added-records"), get(s, "deleted-records"), get(s, "total-records"),
                      get(s, "total-data-files")});
    }
    PrintTable(std::cout, {"snapshot", "committed", "operation", "added", "deleted", "total records", "files"}, rows);
    return Status::Ok();
  });
}

Status CmdLakehouseRegister(const Home& home, const std::string& conn, const std::string& url,
                            const std::string& as) {
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(RegisterOutcome r, RegisterTable(lake, url, as));
    std::cout << RegisterLine(r) << "\n";
    return Status::Ok();
  });
}

Status CmdLakehouseScan(const Home& home, const std::string& conn, const std::string& url) {
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(ScanOutcome scan, ScanTables(lake, url));
    int registered = 0;
    for (const auto& r : scan.tables) {
      std::cout << RegisterLine(r) << "\n";
      registered += r.already ? 0 : 1;
    }
    for (const auto& p : scan.problems) std::cout << "skipped: " << p << "\n";
    std::cout << scan.tables.size() << " table" << (scan.tables.size() == 1 ? "" : "s") << " found under "
              << (url.empty() ? lake.store->Root() : url) << ", " << registered << " registered or updated";
    if (!scan.problems.empty()) std::cout << ", " << scan.problems.size() << " skipped";
    std::cout << "\n";
    if (!scan.problems.empty()) {
      return Status::Invalid(std::to_string(scan.problems.size()) + " folder(s) could not be read as tables; see above");
    }
    return Status::Ok();
  });
}

Status CmdLakehouseExpire(const Home& home, const std::string& conn, const std::string& table,
                          const ExpireOptions& options) {
  CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(table, "table"));
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(ExpireOutcome e, ExpireTable(lake, ident, options));
    const char* verb = options.dry_run ? "would expire" : "expired";
    std::cout << ident.ToString() << ": " << verb << " " << e.expired_snapshots.size() << " snapshot"
              << (e.expired_snapshots.size() == 1 ? "" : "s");
    for (size_t i = 0; i < e.expired_snapshots.size(); ++i) std::cout << (i ? ", " : " (") << e.expired_snapshots[i];
    std::cout << (e.expired_snapshots.empty() ? "" : ")") << "; " << (options.dry_run ? "would delete " : "deleted ")
              << e.deleted_files.size() << " unreferenced file" << (e.deleted_files.size() == 1 ? "" : "s") << "\n";
    for (const auto& f : e.deleted_files) std::cout << "  " << (options.dry_run ? "would delete " : "deleted ") << f << "\n";
    if (!e.orphan_files.empty()) {
      std::cout << e.orphan_files.size() << " orphan file" << (e.orphan_files.size() == 1 ? "" : "s")
                << " (referenced by no metadata, e.g. left by an interrupted commit)"
                << (e.orphans_deleted ? ", deleted" : "; delete them with --delete-orphans") << ":\n";
      for (const auto& f : e.orphan_files) std::cout << "  " << f << "\n";
    }
    return Status::Ok();
  });
}

Status CmdLakehouseDeletePartition(const Home& home, const std::string& conn, const std::string& table,
                                   const std::string& data_dt, bool dry_run, bool json) {
  CTL_ASSIGN_OR_RETURN(TableIdent ident, ParseTableIdent(table, "table"));
  CTL_RETURN_IF_ERROR(CheckDate(data_dt, "--data-dt"));
  return WithLakehouse(home, conn, [&](Lakehouse& lake) -> Status {
    CTL_ASSIGN_OR_RETURN(DeletePartitionOutcome d, DeleteDataDt(lake, ident, data_dt, dry_run));
    if (json) {
      std::cout << DeletePartitionJson(d).dump(2) << "\n";
      return Status::Ok();
    }
    const std::string name = ident.ToString();
    if (d.files.empty()) {
      // Not an error: the table already is as asked, so a re-run of the
      // same delete (or one over many tables) succeeds. The dates it does
      // have show a mistyped date at once.
      std::cout << name << " has no rows for data_dt " << data_dt << "; nothing deleted, no snapshot committed\n";
      if (d.dates.empty()) {
        std::cout << "  the table has no rows at all\n";
      } else if (d.dates.size() <= 10) {
        std::cout << "  its dates:";
        for (const auto& date : d.dates) std::cout << " " << date;
        std::cout << "\n";
      } else {
        std::cout << "  its dates: " << d.dates.size() << " from " << d.dates.front() << " to " << d.dates.back() << "\n";
      }
      return Status::Ok();
    }
    const std::string files = std::to_string(d.files.size()) + " file" + (d.files.size() == 1 ? "" : "s");
    const std::string what = std::to_string(d.records) + " record" + (d.records == 1 ? "" : "s") + " in " + files +
                             " (" + std::to_string(d.bytes) + " bytes)";
    if (dry_run) {
      std::cout << name << ": would delete data_dt " << data_dt << ": " << what << " from snapshot "
                << d.previous_snapshot_id << "; dry run, nothing committed\n";
      for (const auto& f : d.files) std::cout << "  would remove " << f << "\n";
      return Status::Ok();
    }
    std::cout << name << ": deleted data_dt " << data_dt << ": " << what << "; snapshot " << d.snapshot_id
              << " (was " << d.previous_snapshot_id << ")\n";
    for (const auto& f : d.files) std::cout << "  removed " << f << "\n";
    std::cout << "The files stay for time travel (ctlflow lakehouse describe " << name << " --snapshot "
              << d.previous_snapshot_id << ") until `ctlflow lakehouse expire` deletes them.\n";
    return Status::Ok();
  });
}

}  // namespace ctlflow
