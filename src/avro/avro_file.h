// Avro object container files (Iceberg's manifests and manifest lists),
// over Debian's avro-c.
//
// Records are exchanged as JSON values shaped by the writer's schema:
// record -> object by field name, int/long -> integer, float/double ->
// number, boolean, string -> string, bytes/fixed -> string holding the raw
// bytes, array -> array, map -> object, union -> the branch's value (null for
// the null branch). The schema text is stored in the file exactly as given,
// so attributes avro-c does not model (Iceberg's "field-id",
// "element-id", "logicalType": "map") reach other readers intact.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctlflow {

struct AvroFile {
  std::string schema_json;                      // the writer's schema, as stored
  std::map<std::string, std::string> metadata;  // user metadata (avro.* keys excluded)
  std::vector<nlohmann::json> records;
};

enum class AvroCodec { kNull, kDeflate };

// Encodes `file.records` with `file.schema_json`. A record that does not fit
// the schema is Invalid, naming the record index and the field path.
Result<std::string> WriteAvroFile(const AvroFile& file, AvroCodec codec = AvroCodec::kDeflate);

// Decodes a whole container file (null or deflate codec). Corrupt or
// truncated input is Invalid, naming `name`.
Result<AvroFile> ReadAvroFile(std::string_view bytes, const std::string& name);

}  // namespace ctlflow
