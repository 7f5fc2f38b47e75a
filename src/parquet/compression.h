// Page compression: the writer's codecs (none, snappy, zstd) and the
// reader's (those plus gzip). Codec ids are Parquet's CompressionCodec enum.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "parquet/parquet.h"

namespace ctlflow {

constexpr int32_t kCodecUncompressed = 0;
constexpr int32_t kCodecSnappy = 1;
constexpr int32_t kCodecGzip = 2;
constexpr int32_t kCodecZstd = 6;

int32_t CodecId(ParquetCodec codec);

// Compresses pages with one codec, reusing its context across pages.
class PageCompressor {
 public:
  PageCompressor(ParquetCodec codec, int zstd_level);
  ~PageCompressor();
  PageCompressor(const PageCompressor&) = delete;
  PageCompressor& operator=(const PageCompressor&) = delete;
  // Replaces *out with the compressed `input` (a copy when uncompressed).
  Status Compress(std::string_view input, std::string* out);

 private:
  struct ZstdContext;
  ParquetCodec codec_;
  int zstd_level_;
  std::unique_ptr<ZstdContext> zstd_;
};

// Decompresses one page into *out, which must end up exactly
// `uncompressed_size` bytes; any mismatch or corrupt stream is Invalid.
Status DecompressPage(int32_t codec, std::string_view input, int64_t uncompressed_size,
                      std::string* out);

}  // namespace ctlflow
