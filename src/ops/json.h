// JSON for the records the CLI's --json and the server's API both return,
// so the two never disagree on a field's name or type.
#pragma once

#include <nlohmann/json.hpp>

#include "model/tables.h"
#include "store/metadata_store.h"

namespace ctlflow {

nlohmann::ordered_json ValueToJson(const Value& v);
nlohmann::ordered_json AttemptToJson(const AttemptRecord& a);
nlohmann::ordered_json RunToJson(const RunRecord& r);
// The URL masked (no password) and where the secret comes from; never it.
nlohmann::ordered_json ConnectionToJson(const ConnectionDef& d);

}  // namespace ctlflow
