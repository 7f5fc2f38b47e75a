// Avro container files over avro-c. avro-c encodes and decodes each record
// (its generic values, from the schema it parsed); the container framing is
// ours, because avro-c's file writer re-serializes the schema and would drop
// the attributes Iceberg relies on ("field-id", "element-id").
#include "avro/avro_file.h"

#include <avro.h>
#include <zlib.h>

#include <random>

namespace ctlflow {

namespace {

using json = nlohmann::json;

// RAII over avro-c's reference-counted handles.
struct Schema {
  avro_schema_t p = nullptr;
  ~Schema() {
    if (p) avro_schema_decref(p);
  }
};
struct Iface {
  avro_value_iface_t* p = nullptr;
  ~Iface() {
    if (p) avro_value_iface_decref(p);
  }
};
struct Value {
  avro_value_t v{};
  bool live = false;
  ~Value() {
    if (live) avro_value_decref(&v);
  }
};
struct Writer {
  avro_writer_t p = nullptr;
  ~Writer() {
    if (p) avro_writer_free(p);
  }
};
struct Reader {
  avro_reader_t p = nullptr;
  ~Reader() {
    if (p) avro_reader_free(p);
  }
};

std::string AvroError() {
  const char* e = avro_strerror();
  return e && *e ? e : "avro-c error";
}

// The classes of values one file holds, built once per schema.
struct Codec {
  Schema schema;
  Iface iface;
  Value value;
};

Status OpenCodec(const std::string& schema_json, const std::string& what, Codec* c) {
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &c->schema.p) != 0) {
    return Status::Invalid(what + ": the Avro schema does not parse: " + AvroError());
  }
  c->iface.p = avro_generic_class_from_schema(c->schema.p);
  if (c->iface.p == nullptr || avro_generic_value_new(c->iface.p, &c->value.v) != 0) {
    return Status::Invalid(what + ": " + AvroError());
  }
  c->value.live = true;
  return Status::Ok();
}

const char* KindOf(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "value";
  }
}

// Whether a union branch of type `t` can take JSON value `j`.
bool Fits(avro_type_t t, const json& j) {
  switch (t) {
    case AVRO_NULL: return j.is_null();
    case AVRO_BOOLEAN: return j.is_boolean();
    case AVRO_INT32:
    case AVRO_INT64: return j.is_number_integer();
    case AVRO_FLOAT:
    case AVRO_DOUBLE: return j.is_number();
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
    case AVRO_ENUM: return j.is_string();
    case AVRO_RECORD:
    case AVRO_MAP: return j.is_object();
    case AVRO_ARRAY: return j.is_array();
    default: return false;
  }
}

Status Encode(avro_value_t* v, const json& j, const std::string& path) {
  auto wrong = [&](const char* expected) {
    return Status::Invalid("field " + path + ": expected " + expected + ", got " + KindOf(j));
  };
  auto check = [&](int rc) { return rc == 0 ? Status::Ok() : Status::Invalid("field " + path + ": " + AvroError()); };
  switch (avro_value_get_type(v)) {
    case AVRO_NULL:
      if (!j.is_null()) return wrong("null");
      return check(avro_value_set_null(v));
    case AVRO_BOOLEAN:
      if (!j.is_boolean()) return wrong("a boolean");
      return check(avro_value_set_boolean(v, j.get<bool>() ? 1 : 0));
    case AVRO_INT32:
      if (!j.is_number_integer()) return wrong("an int");
      return check(avro_value_set_int(v, j.get<int32_t>()));
    case AVRO_INT64:
      if (!j.is_number_integer()) return wrong("a long");
      return check(avro_value_set_long(v, j.get<int64_t>()));
    case AVRO_FLOAT:
      if (!j.is_number()) return wrong("a float");
      return check(avro_value_set_float(v, j.get<float>()));
    case AVRO_DOUBLE:
      if (!j.is_number()) return wrong("a double");
      return check(avro_value_set_double(v, j.get<double>()));
    case AVRO_STRING: {
      if (!j.is_string()) return wrong("a string");
      const std::string& s = j.get_ref<const std::string&>();
      return check(avro_value_set_string_len(v, s.c_str(), s.size() + 1));
    }
    case AVRO_BYTES: {
      if (!j.is_string()) return wrong("bytes (a string)");
      std::string s = j.get<std::string>();
      return check(avro_value_set_bytes(v, s.data(), s.size()));
    }
    case AVRO_FIXED: {
      if (!j.is_string()) return wrong("fixed bytes (a string)");
      std::string s = j.get<std::string>();
      return check(avro_value_set_fixed(v, s.data(), s.size()));
    }
    case AVRO_ENUM: {
      if (!j.is_string()) return wrong("an enum symbol");
      int index = avro_schema_enum_get_by_name(avro_value_get_schema(v), j.get<std::string>().c_str());
      if (index < 0) return Status::Invalid("field " + path + ": '" + j.get<std::string>() + "' is not a symbol of the enum");
      return check(avro_value_set_enum(v, index));
    }
    case AVRO_RECORD: {
      if (!j.is_object()) return wrong("a record (an object)");
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_size(v, &n)));
      for (size_t i = 0; i < n; ++i) {
        avro_value_t child;
        const char* name = nullptr;
        CTL_RETURN_IF_ERROR(check(avro_value_get_by_index(v, i, &child, &name)));
        auto it = j.find(name);
        static const json kNull;
        CTL_RETURN_IF_ERROR(Encode(&child, it == j.end() ? kNull : *it, path.empty() ? name : path + "." + name));
      }
      return Status::Ok();
    }
    case AVRO_ARRAY: {
      if (!j.is_array()) return wrong("an array");
      for (size_t i = 0; i < j.size(); ++i) {
        avro_value_t child;
        size_t index = 0;
        CTL_RETURN_IF_ERROR(check(avro_value_append(v, &child, &index)));
        CTL_RETURN_IF_ERROR(Encode(&child, j[i], path + "[" + std::to_string(i) + "]"));
      }
      return Status::Ok();
    }
    case AVRO_MAP: {
      if (!j.is_object()) return wrong("a map (an object)");
      for (auto it = j.begin(); it != j.end(); ++it) {
        avro_value_t child;
        size_t index = 0;
        int is_new = 0;
        CTL_RETURN_IF_ERROR(check(avro_value_add(v, it.key().c_str(), &child, &index, &is_new)));
        CTL_RETURN_IF_ERROR(Encode(&child, *it, path + "[" + it.key() + "]"));
      }
      return Status::Ok();
    }
    case AVRO_UNION: {
      avro_schema_t u = avro_value_get_schema(v);
      const size_t branches = avro_schema_union_size(u);
      for (size_t b = 0; b < branches; ++b) {
        if (!Fits(avro_typeof(avro_schema_union_branch(u, static_cast<int>(b))), j)) continue;
        avro_value_t branch;
        CTL_RETURN_IF_ERROR(check(avro_value_set_branch(v, static_cast<int>(b), &branch)));
        return Encode(&branch, j, path);
      }
      return wrong("a value of one of the union's types");
    }
    default:
      return Status::Invalid("field " + path + ": an Avro type ctlflow does not write");
  }
}

Status Decode(avro_value_t* v, json* out) {
  auto check = [](int rc) { return rc == 0 ? Status::Ok() : Status::Invalid(AvroError()); };
  switch (avro_value_get_type(v)) {
    case AVRO_NULL: *out = nullptr; return Status::Ok();
    case AVRO_BOOLEAN: {
      int b = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_boolean(v, &b)));
      *out = b != 0;
      return Status::Ok();
    }
    case AVRO_INT32: {
      int32_t i = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_int(v, &i)));
      *out = i;
      return Status::Ok();
    }
    case AVRO_INT64: {
      int64_t i = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_long(v, &i)));
      *out = i;
      return Status::Ok();
    }
    case AVRO_FLOAT: {
      float f = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_float(v, &f)));
      *out = f;
      return Status::Ok();
    }
    case AVRO_DOUBLE: {
      double d = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_double(v, &d)));
      *out = d;
      return Status::Ok();
    }
    case AVRO_STRING: {
      const char* s = nullptr;
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_string(v, &s, &n)));
      *out = std::string(s, n > 0 ? n - 1 : 0);
      return Status::Ok();
    }
    case AVRO_BYTES: {
      const void* b = nullptr;
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_bytes(v, &b, &n)));
      *out = std::string(static_cast<const char*>(b), n);
      return Status::Ok();
    }
    case AVRO_FIXED: {
      const void* b = nullptr;
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_fixed(v, &b, &n)));
      *out = std::string(static_cast<const char*>(b), n);
      return Status::Ok();
    }
    case AVRO_ENUM: {
      int e = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_enum(v, &e)));
      const char* name = avro_schema_enum_get(avro_value_get_schema(v), e);
      *out = name ? name : "";
      return Status::Ok();
    }
    case AVRO_RECORD:
    case AVRO_MAP: {
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_size(v, &n)));
      *out = json::object();
      for (size_t i = 0; i < n; ++i) {
        avro_value_t child;
        const char* name = nullptr;
        CTL_RETURN_IF_ERROR(check(avro_value_get_by_index(v, i, &child, &name)));
        CTL_RETURN_IF_ERROR(Decode(&child, &(*out)[name ? name : ""]));
      }
      return Status::Ok();
    }
    case AVRO_ARRAY: {
      size_t n = 0;
      CTL_RETURN_IF_ERROR(check(avro_value_get_size(v, &n)));
      *out = json::array();
      for (size_t i = 0; i < n; ++i) {
        avro_value_t child;
        CTL_RETURN_IF_ERROR(check(avro_value_get_by_index(v, i, &child, nullptr)));
        json item;
        CTL_RETURN_IF_ERROR(Decode(&child, &item));
        out->push_back(std::move(item));
      }
      return Status::Ok();
    }
    case AVRO_UNION: {
      avro_value_t branch;
      CTL_RETURN_IF_ERROR(check(avro_value_get_current_branch(v, &branch)));
      return Decode(&branch, out);
    }
    default:
      return Status::Invalid("an Avro type ctlflow does not read");
  }
}

// Avro's zigzag varints, for the container framing.
void PutLong(std::string* out, int64_t n) {
  uint64_t z = (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
  while (z >= 0x80) {
    out->push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out->push_back(static_cast<char>(z));
}

void PutBytes(std::string* out, std::string_view s) {
  PutLong(out, static_cast<int64_t>(s.size()));
  out->append(s);
}

// Reads the framing; every length is checked against what remains.
class Cursor {
 public:
  Cursor(std::string_view data, const std::string& name) : data_(data), name_(name) {}
  Status Long(int64_t* out) {
    uint64_t z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Truncated();
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      z |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
        return Status::Ok();
      }
    }
    return Status::Invalid(name_ + ": corrupt Avro file (a varint is too long)");
  }
  Status Bytes(size_t n, std::string_view* out) {
    if (n > data_.size() - pos_) return Truncated();
    *out = data_.substr(pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  Status Sized(std::string_view* out) {
    int64_t n = 0;
    CTL_RETURN_IF_ERROR(Long(&n));
    if (n < 0) return Status::Invalid(name_ + ": corrupt Avro file (a negative length)");
    return Bytes(static_cast<size_t>(n), out);
  }
  bool AtEnd() const { return pos_ == data_.size(); }
  Status Truncated() const { return Status::Invalid(name_ + ": the Avro file is truncated"); }

 private:
  std::string_view data_;
  const std::string& name_;
  size_t pos_ = 0;
};

Result<std::string> Deflate(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("zlib: deflate failed");
  return out;
}

Result<std::string> Inflate(std::string_view in, const std::string& name) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::Invalid(name + ": a deflate block of the Avro file is corrupt");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::Invalid(name + ": a deflate block of the Avro file is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

constexpr size_t kBlockRecords = 4000;
constexpr size_t kBlockBytes = 1 << 20;

}  // namespace

Result<std::string> WriteAvroFile(const AvroFile& file, AvroCodec codec) {
  Codec c;
  CTL_RETURN_IF_ERROR(OpenCodec(file.schema_json, "writing an Avro file", &c));
  std::string out = std::string("Obj\x01", 4);
  std::map<std::string, std::string> meta = file.metadata;
  meta["avro.schema"] = file.schema_json;
  meta["avro.codec"] = codec == AvroCodec::kDeflate ? "deflate" : "null";
  PutLong(&out, static_cast<int64_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    PutBytes(&out, k);
    PutBytes(&out, v);
  }
  PutLong(&out, 0);
  std::string sync(16, '\0');
  std::random_device rd;
  for (auto& ch : sync) ch = static_cast<char>(rd() & 0xff);
  out += sync;

  std::string block, buffer(4096, '\0');
  size_t count = 0;
  auto flush = [&]() -> Status {
    if (count == 0) return Status::Ok();
    std::string data = block;
    if (codec == AvroCodec::kDeflate) {
      CTL_ASSIGN_OR_RETURN(data, Deflate(block));
    }
    PutLong(&out, static_cast<int64_t>(count));
    PutBytes(&out, data);
    out += sync;
    block.clear();
    count = 0;
    return Status::Ok();
  };
  for (size_t i = 0; i < file.records.size(); ++i) {
    avro_value_reset(&c.value.v);
    Status st = Encode(&c.value.v, file.records[i], "");
    if (!st.ok()) return Status::Invalid("record " + std::to_string(i) + ": " + st.message());
    size_t size = 0;
    if (avro_value_sizeof(&c.value.v, &size) != 0) return Status::Invalid("record " + std::to_string(i) + ": " + AvroError());
    if (buffer.size() < size) buffer.resize(size);
    Writer w;
    w.p = avro_writer_memory(buffer.data(), static_cast<int64_t>(buffer.size()));
    if (avro_value_write(w.p, &c.value.v) != 0) return Status::Invalid("record " + std::to_string(i) + ": " + AvroError());
    block.append(buffer.data(), static_cast<size_t>(avro_writer_tell(w.p)));
    if (++count >= kBlockRecords || block.size() >= kBlockBytes) CTL_RETURN_IF_ERROR(flush());
  }
  CTL_RETURN_IF_ERROR(flush());
  return out;
}

Result<AvroFile> ReadAvroFile(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view("Obj\x01", 4)) {
    return Status::Invalid(name + ": not an Avro file (no Obj\\x01 magic)");
  }
  Cursor cur(bytes.substr(4), name);
  AvroFile file;
  std::map<std::string, std::string> meta;
  while (true) {
    int64_t n = 0;
    CTL_RETURN_IF_ERROR(cur.Long(&n));
    if (n == 0) break;
    if (n < 0) {
      int64_t size = 0;
      CTL_RETURN_IF_ERROR(cur.Long(&size));
      n = -n;
    }
    if (n > 100000) return Status::Invalid(name + ": corrupt Avro header (" + std::to_string(n) + " metadata entries)");
    for (int64_t i = 0; i < n; ++i) {
      std::string_view k, v;
      CTL_RETURN_IF_ERROR(cur.Sized(&k));
      CTL_RETURN_IF_ERROR(cur.Sized(&v));
      meta[std::string(k)] = std::string(v);
    }
  }
  std::string_view sync;
  CTL_RETURN_IF_ERROR(cur.Bytes(16, &sync));
  auto schema = meta.find("avro.schema");
  if (schema == meta.end()) return Status::Invalid(name + ": the Avro header has no avro.schema");
  file.schema_json = schema->second;
  std::string codec = meta.count("avro.codec") ? meta["avro.codec"] : "null";
  if (codec != "null" && codec != "deflate") {
    return Status::Invalid(name + ": Avro codec " + codec + " is not supported (null, deflate)");
  }
  for (const auto& [k, v] : meta) {
    if (k.rfind("avro.", 0) != 0) file.metadata[k] = v;
  }
  Codec c;
  CTL_RETURN_IF_ERROR(OpenCodec(file.schema_json, name, &c));
  while (!cur.AtEnd()) {
    int64_t count = 0;
    std::string_view data, marker;
    CTL_RETURN_IF_ERROR(cur.Long(&count));
    CTL_RETURN_IF_ERROR(cur.Sized(&data));
    CTL_RETURN_IF_ERROR(cur.Bytes(16, &marker));
    if (marker != sync) return Status::Invalid(name + ": corrupt Avro file (a block's sync marker does not match)");
    if (count < 0 || static_cast<uint64_t>(count) > data.size() * 8 + 1024) {
      return Status::Invalid(name + ": corrupt Avro block (" + std::to_string(count) + " records)");
    }
    std::string plain;
    if (codec == "deflate") {
      CTL_ASSIGN_OR_RETURN(plain, Inflate(data, name));
    } else {
      plain = std::string(data);
    }
    Reader r;
    r.p = avro_reader_memory(plain.data(), static_cast<int64_t>(plain.size()));
    for (int64_t i = 0; i < count; ++i) {
      avro_value_reset(&c.value.v);
      if (avro_value_read(r.p, &c.value.v) != 0) {
        return Status::Invalid(name + ": corrupt Avro record " + std::to_string(file.records.size()) + ": " + AvroError());
      }
      json record;
      Status st = Decode(&c.value.v, &record);
      if (!st.ok()) return Status::Invalid(name + ": record " + std::to_string(file.records.size()) + ": " + st.message());
      file.records.push_back(std::move(record));
    }
  }
  return file;
}

}  // namespace ctlflow
