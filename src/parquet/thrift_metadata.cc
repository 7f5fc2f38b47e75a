#include "parquet/thrift_metadata.h"

#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <memory>

namespace ctlflow {

namespace {

using apache::thrift::TException;
using apache::thrift::protocol::TCompactProtocolT;
using apache::thrift::protocol::TProtocolException;
using apache::thrift::protocol::TType;
using apache::thrift::transport::TMemoryBuffer;
using Proto = TCompactProtocolT<TMemoryBuffer>;
namespace tt = apache::thrift::protocol;

// ---- writing ----

void WriteI32(Proto& p, int16_t id, int32_t v) {
  p.writeFieldBegin("", tt::T_I32, id);
  p.writeI32(v);
  p.writeFieldEnd();
}

void WriteI64(Proto& p, int16_t id, int64_t v) {
  p.writeFieldBegin("", tt::T_I64, id);
  p.writeI64(v);
  p.writeFieldEnd();
}

void WriteBool(Proto& p, int16_t id, bool v) {
  p.writeFieldBegin("", tt::T_BOOL, id);
  p.writeBool(v);
  p.writeFieldEnd();
}

void WriteBinary(Proto& p, int16_t id, const std::string& v) {
  p.writeFieldBegin("", tt::T_STRING, id);
  p.writeBinary(v);
  p.writeFieldEnd();
}

void BeginStructField(Proto& p, int16_t id) {
  p.writeFieldBegin("", tt::T_STRUCT, id);
  p.writeStructBegin("");
}

void EndStructField(Proto& p) {
  p.writeFieldStop();
  p.writeStructEnd();
  p.writeFieldEnd();
}

void WriteEmptyStructField(Proto& p, int16_t id) {
  BeginStructField(p, id);
  EndStructField(p);
}

void WriteStatistics(Proto& p, const ThriftStatistics& s) {
  if (s.max) WriteBinary(p, 1, *s.max);
  if (s.min) WriteBinary(p, 2, *s.min);
  if (s.null_count) WriteI64(p, 3, *s.null_count);
  if (s.max_value) WriteBinary(p, 5, *s.max_value);
  if (s.min_value) WriteBinary(p, 6, *s.min_value);
}

void WriteLogicalType(Proto& p, const ThriftLogicalType& l) {
  BeginStructField(p, 10);
  switch (l.kind) {
    case kLogicalDecimal:
      BeginStructField(p, kLogicalDecimal);
      WriteI32(p, 1, l.scale);
      WriteI32(p, 2, l.precision);
      EndStructField(p);
      break;
    case kLogicalTimestamp:
    case kLogicalTime:
      BeginStructField(p, static_cast<int16_t>(l.kind));
      WriteBool(p, 1, l.adjusted_to_utc);
      BeginStructField(p, 2);
      WriteEmptyStructField(p, static_cast<int16_t>(l.unit));
      EndStructField(p);
      EndStructField(p);
      break;
    case kLogicalInteger:
      BeginStructField(p, kLogicalInteger);
      p.writeFieldBegin("", tt::T_BYTE, 1);
      p.writeByte(static_cast<int8_t>(l.bit_width));
      p.writeFieldEnd();
      WriteBool(p, 2, l.is_signed);
      EndStructField(p);
      break;
    default:
      WriteEmptyStructField(p, static_cast<int16_t>(l.kind));
  }
  EndStructField(p);
}

void WriteSchemaElement(Proto& p, const ThriftSchemaElement& e) {
  p.writeStructBegin("");
  if (e.type) WriteI32(p, 1, *e.type);
  if (e.type_length) WriteI32(p, 2, *e.type_length);
  if (e.repetition) WriteI32(p, 3, *e.repetition);
  WriteBinary(p, 4, e.name);
  if (e.num_children) WriteI32(p, 5, *e.num_children);
  if (e.converted_type) WriteI32(p, 6, *e.converted_type);
  if (e.scale) WriteI32(p, 7, *e.scale);
  if (e.precision) WriteI32(p, 8, *e.precision);
  if (e.field_id) WriteI32(p, 9, *e.field_id);
  if (e.logical.kind != kLogicalNone) WriteLogicalType(p, e.logical);
  p.writeFieldStop();
  p.writeStructEnd();
}

void WriteColumnMetaData(Proto& p, const ThriftColumnMetaData& m) {
  WriteI32(p, 1, m.type);
  p.writeFieldBegin("", tt::T_LIST, 2);
  p.writeListBegin(tt::T_I32, static_cast<uint32_t>(m.encodings.size()));
  for (int32_t e : m.encodings) p.writeI32(e);
  p.writeListEnd();
  p.writeFieldEnd();
  p.writeFieldBegin("", tt::T_LIST, 3);
  p.writeListBegin(tt::T_STRING, static_cast<uint32_t>(m.path_in_schema.size()));
  for (const std::string& s : m.path_in_schema) p.writeBinary(s);
  p.writeListEnd();
  p.writeFieldEnd();
  WriteI32(p, 4, m.codec);
  WriteI64(p, 5, m.num_values);
  WriteI64(p, 6, m.total_uncompressed_size);
  WriteI64(p, 7, m.total_compressed_size);
  WriteI64(p, 9, m.data_page_offset);
  if (m.dictionary_page_offset) WriteI64(p, 11, *m.dictionary_page_offset);
  if (m.statistics) {
    BeginStructField(p, 12);
    WriteStatistics(p, *m.statistics);
    EndStructField(p);
  }
}

void WriteRowGroup(Proto& p, const ThriftRowGroup& g) {
  p.writeStructBegin("");
  p.writeFieldBegin("", tt::T_LIST, 1);
  p.writeListBegin(tt::T_STRUCT, static_cast<uint32_t>(g.columns.size()));
  for (const ThriftColumnChunk& c : g.columns) {
    p.writeStructBegin("");
    if (c.file_path) WriteBinary(p, 1, *c.file_path);
    WriteI64(p, 2, c.file_offset);
    if (c.meta_data) {
      BeginStructField(p, 3);
      WriteColumnMetaData(p, *c.meta_data);
      EndStructField(p);
    }
    p.writeFieldStop();
    p.writeStructEnd();
  }
  p.writeListEnd();
  p.writeFieldEnd();
  WriteI64(p, 2, g.total_byte_size);
  WriteI64(p, 3, g.num_rows);
  if (g.file_offset) WriteI64(p, 5, *g.file_offset);
  if (g.total_compressed_size) WriteI64(p, 6, *g.total_compressed_size);
  if (g.ordinal) {
    p.writeFieldBegin("", tt::T_I16, 7);
    p.writeI16(*g.ordinal);
    p.writeFieldEnd();
  }
  p.writeFieldStop();
  p.writeStructEnd();
}

// ---- reading ----

void Expect(TType actual, TType wanted) {
  if (actual != wanted) {
    throw TProtocolException(TProtocolException::INVALID_DATA, "field has the wrong type");
  }
}

// Calls on_field(id, type) for every field; fields it does not consume
// (returns false) are skipped, which is what makes newer writers readable.
template <typename Fn>
void ReadStruct(Proto& p, Fn&& on_field) {
  std::string name;
  p.readStructBegin(name);
  while (true) {
    TType type;
    int16_t id;
    p.readFieldBegin(name, type, id);
    if (type == tt::T_STOP) break;
    if (!on_field(id, type)) p.skip(type);
    p.readFieldEnd();
  }
  p.readStructEnd();
}

int32_t ReadI32(Proto& p, TType type) {
  Expect(type, tt::T_I32);
  int32_t v = 0;
  p.readI32(v);
  return v;
}

int64_t ReadI64(Proto& p, TType type) {
  Expect(type, tt::T_I64);
  int64_t v = 0;
  p.readI64(v);
  return v;
}

bool ReadBool(Proto& p, TType type) {
  Expect(type, tt::T_BOOL);
  bool v = false;
  p.readBool(v);
  return v;
}

std::string ReadBinary(Proto& p, TType type) {
  Expect(type, tt::T_STRING);
  std::string v;
  p.readBinary(v);
  return v;
}

template <typename Fn>
void ReadList(Proto& p, TType type, TType element, Fn&& on_element) {
  Expect(type, tt::T_LIST);
  TType actual;
  uint32_t size = 0;
  p.readListBegin(actual, size);
  if (size > 0) Expect(actual, element);
  for (uint32_t i = 0; i < size; ++i) on_element();
  p.readListEnd();
}

ThriftStatistics ReadStatistics(Proto& p) {
  ThriftStatistics s;
  ReadStruct(p, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        s.max = ReadBinary(p, t);
        return true;
      case 2:
        s.min = ReadBinary(p, t);
        return true;
      case 3:
        s.null_count = ReadI64(p, t);
        return true;
      case 5:
        s.max_value = ReadBinary(p, t);
        return true;
      case 6:
        s.min_value = ReadBinary(p, t);
        return true;
      default:
        return false;
    }
  });
  return s;
}

int32_t ReadTimeUnit(Proto& p, TType t) {
  Expect(t, tt::T_STRUCT);
  int32_t unit = kUnitNone;
  ReadStruct(p, [&](int16_t id, TType) {
    if (id >= kUnitMillis && id <= kUnitNanos) unit = id;
    return false;
  });
  return unit;
}

ThriftLogicalType ReadLogicalType(Proto& p) {
  ThriftLogicalType l;
  ReadStruct(p, [&](int16_t id, TType t) {
    if (t != tt::T_STRUCT) return false;
    l.kind = id;
    switch (id) {
      case kLogicalDecimal:
        ReadStruct(p, [&](int16_t f, TType ft) {
          if (f == 1)
            l.scale = ReadI32(p, ft);
          else if (f == 2)
            l.precision = ReadI32(p, ft);
          else
            return false;
          return true;
        });
        return true;
      case kLogicalTime:
      case kLogicalTimestamp:
        ReadStruct(p, [&](int16_t f, TType ft) {
          if (f == 1)
            l.adjusted_to_utc = ReadBool(p, ft);
          else if (f == 2)
            l.unit = ReadTimeUnit(p, ft);
          else
            return false;
          return true;
        });
        return true;
      case kLogicalInteger:
        ReadStruct(p, [&](int16_t f, TType ft) {
          if (f == 1) {
            Expect(ft, tt::T_BYTE);
            int8_t bits = 0;
            p.readByte(bits);
            l.bit_width = bits;
          } else if (f == 2) {
            l.is_signed = ReadBool(p, ft);
          } else {
            return false;
          }
          return true;
        });
        return true;
      default:
        return false;  // members without parameters (or unknown ones)
    }
  });
  return l;
}

ThriftSchemaElement ReadSchemaElement(Proto& p) {
  ThriftSchemaElement e;
  ReadStruct(p, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        e.type = ReadI32(p, t);
        return true;
      case 2:
        e.type_length = ReadI32(p, t);
        return true;
      case 3:
        e.repetition = ReadI32(p, t);
        return true;
      case 4:
        e.name = ReadBinary(p, t);
        return true;
      case 5:
        e.num_children = ReadI32(p, t);
        return true;
      case 6:
        e.converted_type = ReadI32(p, t);
        return true;
      case 7:
        e.scale = ReadI32(p, t);
        return true;
      case 8:
        e.precision = ReadI32(p, t);
        return true;
      case 9:
        e.field_id = ReadI32(p, t);
        return true;
      case 10:
        Expect(t, tt::T_STRUCT);
        e.logical = ReadLogicalType(p);
        return true;
      default:
        return false;
    }
  });
  return e;
}

ThriftColumnMetaData ReadColumnMetaData(Proto& p) {
  ThriftColumnMetaData m;
  ReadStruct(p, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        m.type = ReadI32(p, t);
        return true;
      case 2:
        ReadList(p, t, tt::T_I32, [&] {
          int32_t e = 0;
          p.readI32(e);
          m.encodings.push_back(e);
        });
        return true;
      case 3:
        ReadList(p, t, tt::T_STRING, [&] {
          std::string s;
          p.readBinary(s);
          m.path_in_schema.push_back(std::move(s));
        });
        return true;
      case 4:
        m.codec = ReadI32(p, t);
        return true;
      case 5:
        m.num_values = ReadI64(p, t);
        return true;
      case 6:
        m.total_uncompressed_size = ReadI64(p, t);
        return true;
      case 7:
        m.total_compressed_size = ReadI64(p, t);
        return true;
      case 9:
        m.data_page_offset = ReadI64(p, t);
        return true;
      case 11:
        m.dictionary_page_offset = ReadI64(p, t);
        return true;
      case 12:
        Expect(t, tt::T_STRUCT);
        m.statistics = ReadStatistics(p);
        return true;
      default:
        return false;
    }
  });
  return m;
}

ThriftRowGroup ReadRowGroup(Proto& p) {
  ThriftRowGroup g;
  ReadStruct(p, [&](int16_t id, TType t) {
    switch (id) {
      case 1:
        ReadList(p, t, tt::T_STRUCT, [&] {
          ThriftColumnChunk c;
          ReadStruct(p, [&](int16_t f, TType ft) {
            switch (f) {
              case 1:
                c.file_path = ReadBinary(p, ft);
                return true;
              case 2:
                c.file_offset = ReadI64(p, ft);
                return true;
              case 3:
                Expect(ft, tt::T_STRUCT);
                c.meta_data = ReadColumnMetaData(p);
                return true;
              default:
                return false;
            }
          });
          g.columns.push_back(std::move(c));
        });
        return true;
      case 2:
        g.total_byte_size = ReadI64(p, t);
        return true;
      case 3:
        g.num_rows = ReadI64(p, t);
        return true;
      case 5:
        g.file_offset = ReadI64(p, t);
        return true;
      case 6:
        g.total_compressed_size = ReadI64(p, t);
        return true;
      default:
        return false;
    }
  });
  return g;
}

// A protocol over bytes we do not own; string and container sizes are capped
// at the buffer's size so a corrupt length cannot make thrift allocate more.
struct Reader {
  explicit Reader(std::string_view bytes)
      : buffer(std::make_shared<TMemoryBuffer>(
            reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
            static_cast<uint32_t>(bytes.size()), TMemoryBuffer::OBSERVE)),
        proto(buffer, static_cast<int32_t>(bytes.size()) + 1,
              static_cast<int32_t>(bytes.size()) + 1) {}
  std::shared_ptr<TMemoryBuffer> buffer;
  Proto proto;
};

struct Writer {
  Writer() : buffer(std::make_shared<TMemoryBuffer>(4096)), proto(buffer) {}
  std::string Take() { return buffer->getBufferAsString(); }
  std::shared_ptr<TMemoryBuffer> buffer;
  Proto proto;
};

}  // namespace

std::string SerializeFileMetaData(const ThriftFileMetaData& meta) {
  Writer w;
  Proto& p = w.proto;
  p.writeStructBegin("");
  WriteI32(p, 1, meta.version);
  p.writeFieldBegin("", tt::T_LIST, 2);
  p.writeListBegin(tt::T_STRUCT, static_cast<uint32_t>(meta.schema.size()));
  for (const ThriftSchemaElement& e : meta.schema) WriteSchemaElement(p, e);
  p.writeListEnd();
  p.writeFieldEnd();
  WriteI64(p, 3, meta.num_rows);
  p.writeFieldBegin("", tt::T_LIST, 4);
  p.writeListBegin(tt::T_STRUCT, static_cast<uint32_t>(meta.row_groups.size()));
  for (const ThriftRowGroup& g : meta.row_groups) WriteRowGroup(p, g);
  p.writeListEnd();
  p.writeFieldEnd();
  if (meta.created_by) WriteBinary(p, 6, *meta.created_by);
  if (meta.type_defined_orders > 0) {
    p.writeFieldBegin("", tt::T_LIST, 7);
    p.writeListBegin(tt::T_STRUCT, static_cast<uint32_t>(meta.type_defined_orders));
    for (int32_t i = 0; i < meta.type_defined_orders; ++i) {
      p.writeStructBegin("");
      WriteEmptyStructField(p, 1);  // ColumnOrder.TYPE_ORDER
      p.writeFieldStop();
      p.writeStructEnd();
    }
    p.writeListEnd();
    p.writeFieldEnd();
  }
  p.writeFieldStop();
  p.writeStructEnd();
  return w.Take();
}

std::string SerializePageHeader(const ThriftPageHeader& h) {
  Writer w;
  Proto& p = w.proto;
  p.writeStructBegin("");
  WriteI32(p, 1, h.type);
  WriteI32(p, 2, h.uncompressed_page_size);
  WriteI32(p, 3, h.compressed_page_size);
  if (h.data_page) {
    BeginStructField(p, 5);
    WriteI32(p, 1, h.data_page->num_values);
    WriteI32(p, 2, h.data_page->encoding);
    WriteI32(p, 3, h.data_page->definition_level_encoding);
    WriteI32(p, 4, h.data_page->repetition_level_encoding);
    EndStructField(p);
  }
  if (h.dictionary_page) {
    BeginStructField(p, 7);
    WriteI32(p, 1, h.dictionary_page->num_values);
    WriteI32(p, 2, h.dictionary_page->encoding);
    EndStructField(p);
  }
  if (h.data_page_v2) {
    const ThriftPageHeader::DataPageV2& v2 = *h.data_page_v2;
    BeginStructField(p, 8);
    WriteI32(p, 1, v2.num_values);
    WriteI32(p, 2, v2.num_nulls);
    WriteI32(p, 3, v2.num_rows);
    WriteI32(p, 4, v2.encoding);
    WriteI32(p, 5, v2.definition_levels_byte_length);
    WriteI32(p, 6, v2.repetition_levels_byte_length);
    WriteBool(p, 7, v2.is_compressed);
    EndStructField(p);
  }
  p.writeFieldStop();
  p.writeStructEnd();
  return w.Take();
}

Result<ThriftFileMetaData> ParseFileMetaData(std::string_view bytes) {
  if (bytes.size() > (1u << 31)) return Status::Invalid("footer is larger than 2 GiB");
  try {
    Reader r(bytes);
    Proto& p = r.proto;
    ThriftFileMetaData meta;
    bool has_schema = false, has_rows = false, has_groups = false;
    ReadStruct(p, [&](int16_t id, TType t) {
      switch (id) {
        case 1:
          meta.version = ReadI32(p, t);
          return true;
        case 2:
          has_schema = true;
          ReadList(p, t, tt::T_STRUCT, [&] { meta.schema.push_back(ReadSchemaElement(p)); });
          return true;
        case 3:
          has_rows = true;
          meta.num_rows = ReadI64(p, t);
          return true;
        case 4:
          has_groups = true;
          ReadList(p, t, tt::T_STRUCT, [&] { meta.row_groups.push_back(ReadRowGroup(p)); });
          return true;
        case 6:
          meta.created_by = ReadBinary(p, t);
          return true;
        default:
          return false;
      }
    });
    if (!has_schema || !has_rows || !has_groups) {
      return Status::Invalid("footer lacks schema, num_rows or row_groups");
    }
    return meta;
  } catch (const TException& e) {
    return Status::Invalid(std::string("footer does not parse: ") + e.what());
  }
}

Result<ThriftPageHeader> ParsePageHeader(std::string_view bytes, size_t* consumed) {
  if (bytes.size() > (1u << 31)) bytes = bytes.substr(0, 1u << 31);
  try {
    Reader r(bytes);
    Proto& p = r.proto;
    ThriftPageHeader h;
    ReadStruct(p, [&](int16_t id, TType t) {
      switch (id) {
        case 1:
          h.type = ReadI32(p, t);
          return true;
        case 2:
          h.uncompressed_page_size = ReadI32(p, t);
          return true;
        case 3:
          h.compressed_page_size = ReadI32(p, t);
          return true;
        case 5: {
          Expect(t, tt::T_STRUCT);
          ThriftPageHeader::DataPage d;
          ReadStruct(p, [&](int16_t f, TType ft) {
            switch (f) {
              case 1:
                d.num_values = ReadI32(p, ft);
                return true;
              case 2:
                d.encoding = ReadI32(p, ft);
                return true;
              case 3:
                d.definition_level_encoding = ReadI32(p, ft);
                return true;
              case 4:
                d.repetition_level_encoding = ReadI32(p, ft);
                return true;
              default:
                return false;
            }
          });
          h.data_page = d;
          return true;
        }
        case 7: {
          Expect(t, tt::T_STRUCT);
          ThriftPageHeader::DictionaryPage d;
          ReadStruct(p, [&](int16_t f, TType ft) {
            switch (f) {
              case 1:
                d.num_values = ReadI32(p, ft);
                return true;
              case 2:
                d.encoding = ReadI32(p, ft);
                return true;
              default:
                return false;
            }
          });
          h.dictionary_page = d;
          return true;
        }
        case 8: {
          Expect(t, tt::T_STRUCT);
          ThriftPageHeader::DataPageV2 d;
          ReadStruct(p, [&](int16_t f, TType ft) {
            switch (f) {
              case 1:
                d.num_values = ReadI32(p, ft);
                return true;
              case 2:
                d.num_nulls = ReadI32(p, ft);
                return true;
              case 3:
                d.num_rows = ReadI32(p, ft);
                return true;
              case 4:
                d.encoding = ReadI32(p, ft);
                return true;
              case 5:
                d.definition_levels_byte_length = ReadI32(p, ft);
                return true;
              case 6:
                d.repetition_levels_byte_length = ReadI32(p, ft);
                return true;
              case 7:
                d.is_compressed = ReadBool(p, ft);
                return true;
              default:
                return false;
            }
          });
          h.data_page_v2 = d;
          return true;
        }
        default:
          return false;
      }
    });
    *consumed = bytes.size() - r.buffer->available_read();
    return h;
  } catch (const TException& e) {
    return Status::Invalid(std::string("page header does not parse: ") + e.what());
  }
}

}  // namespace ctlflow
