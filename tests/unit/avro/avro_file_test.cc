#include "avro/avro_file.h"

#include <avro.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace ctlflow {
namespace {

const char* kSchema = R"({"type":"record","name":"r","fields":[
  {"name":"id","type":"long","field-id":1},
  {"name":"name","type":["null","string"],"field-id":2},
  {"name":"blob","type":"bytes","field-id":3},
  {"name":"tags","type":{"type":"array","items":"int","element-id":5},"field-id":4},
  {"name":"attrs","type":{"type":"map","values":"double"},"field-id":6},
  {"name":"inner","type":{"type":"record","name":"in","fields":[{"name":"ok","type":"boolean"}]},"field-id":7}]})";

nlohmann::json Record(int64_t i) {
  return {{"id", i * 1000000007LL - 5},
          {"name", i % 3 == 0 ? nlohmann::json(nullptr) : nlohmann::json("naïve " + std::to_string(i))},
          {"blob", std::string("a\0b", 3)},
          {"tags", {1, -2, static_cast<int>(i)}},
          {"attrs", {{"x", 1.5}, {"y", -0.25}}},
          {"inner", {{"ok", i % 2 == 0}}}};
}

TEST(AvroFile, RoundTripsEveryShapeWithBothCodecsAndKeepsTheSchemaText) {
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate}) {
    AvroFile f;
    f.schema_json = kSchema;
    f.metadata = {{"format-version", "2"}};
    for (int i = 0; i < 9000; ++i) f.records.push_back(Record(i));  // several blocks
    auto bytes = WriteAvroFile(f, codec);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto back = ReadAvroFile(*bytes, "t.avro");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->schema_json, kSchema);  // field-id attributes intact
    EXPECT_EQ(back->metadata, f.metadata);
    ASSERT_EQ(back->records.size(), f.records.size());
    for (size_t i = 0; i < f.records.size(); i += 997) EXPECT_EQ(back->records[i], f.records[i]) << i;
  }
}

TEST(AvroFile, AvroCsOwnReaderReadsOurFiles) {
  AvroFile f;
  f.schema_json = kSchema;
  for (int i = 0; i < 50; ++i) f.records.push_back(Record(i));
  auto bytes = WriteAvroFile(f, AvroCodec::kDeflate);
  ASSERT_TRUE(bytes.ok());
  char path[] = "/tmp/ctlflow-avro-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes->data(), bytes->size()), static_cast<ssize_t>(bytes->size()));
  close(fd);
  avro_file_reader_t reader;
  ASSERT_EQ(avro_file_reader(path, &reader), 0) << avro_strerror();
  avro_schema_t schema = avro_file_reader_get_writer_schema(reader);
  avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
  avro_value_t value;
  avro_generic_value_new(iface, &value);
  int n = 0;
  while (avro_file_reader_read_value(reader, &value) == 0) {
    avro_value_t id;
    int64_t got = 0;
    avro_value_get_by_name(&value, "id", &id, nullptr);
    avro_value_get_long(&id, &got);
    EXPECT_EQ(got, f.records[n]["id"].get<int64_t>());
    ++n;
  }
  EXPECT_EQ(n, 50);
  avro_value_decref(&value);
  avro_value_iface_decref(iface);
  avro_schema_decref(schema);
  avro_file_reader_close(reader);
  unlink(path);
}

TEST(AvroFile, BadRecordsAndBrokenFilesAreNamedNeverCrash) {
  AvroFile f;
  f.schema_json = kSchema;
  f.records = {Record(1), Record(2)};
  f.records[1]["inner"]["ok"] = "yes";
  auto bad = WriteAvroFile(f);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("record 1: field inner.ok: expected a boolean"), std::string::npos)
      << bad.status().message();
  f.records.pop_back();
  auto good = WriteAvroFile(f);
  ASSERT_TRUE(good.ok());
  EXPECT_NE(ReadAvroFile("PAR1xxxx", "x.avro").status().message().find("x.avro: not an Avro file"), std::string::npos);
  for (size_t cut = 0; cut < good->size(); ++cut) {
    auto r = ReadAvroFile(std::string_view(*good).substr(0, cut), "cut.avro");
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("cut.avro"), std::string::npos) << r.status().message();
    }
  }
  std::string flipped = *good;
  flipped[flipped.size() - 3] ^= 0x55;  // the last sync marker
  auto r = ReadAvroFile(flipped, "flip.avro");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sync marker"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace ctlflow
