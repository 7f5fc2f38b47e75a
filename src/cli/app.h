// The CLI's shared pieces: where the home folder is, opening the metadata
// store (migrating it implicitly), and reading the config for the compiler.
// Subcommands are thin: they parse flags, call the layers, print.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "compiler/compiler.h"
#include "store/metadata_store.h"

namespace ctlflow {

struct Home {
  std::string path;  // absolute
  std::string MetadataPath() const;
  std::string WarehouseFolder() const;
  std::string LakehouseFolder() const;
};

// --home, else $CTLFLOW_HOME, else ./ctlflow_home; created when missing.
Result<Home> ResolveHome(const std::string& flag);
Result<std::unique_ptr<MetadataStore>> OpenStore(const Home& home);
Result<ControlConfig> LoadConfig(MetadataStore& store);

// "host:pid/local-" — the prefix of worker_nm for this process's workers.
std::string LocalWorkerName();

// Today's date in UTC, YYYY-MM-DD.
std::string TodayUtc();
// Checks YYYY-MM-DD and that it is a real calendar date.
Status CheckDate(const std::string& text, const std::string& flag);

}  // namespace ctlflow
