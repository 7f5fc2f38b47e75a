#include "parquet/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <limits>

namespace ctlflow {

namespace {

// Far above any page a writer produces; stops a corrupt header from making
// us allocate gigabytes.
constexpr int64_t kMaxPageBytes = 1LL << 30;

// An inflate stream that is always ended, whichever way decoding exits.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&stream_, 15 + 32) == Z_OK; }  // +32: gzip or zlib header
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates all of `input` into exactly out->size() bytes.
  bool Run(std::string_view input, std::string* out) {
    if (!ok_) return false;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream_.avail_in = static_cast<uInt>(input.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out->data());
    stream_.avail_out = static_cast<uInt>(out->size());
    const int rc = inflate(&stream_, Z_FINISH);
    return (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && stream_.avail_in == 0)) &&
           stream_.avail_out == 0;
  }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

struct PageCompressor::ZstdContext {
  struct Free {
    void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
  };
  std::unique_ptr<ZSTD_CCtx, Free> ctx{ZSTD_createCCtx()};
};

int32_t CodecId(ParquetCodec codec) {
  switch (codec) {
    case ParquetCodec::kUncompressed:
      return kCodecUncompressed;
    case ParquetCodec::kSnappy:
      return kCodecSnappy;
    case ParquetCodec::kZstd:
      return kCodecZstd;
  }
  return kCodecUncompressed;
}

PageCompressor::PageCompressor(ParquetCodec codec, int zstd_level)
    : codec_(codec), zstd_level_(zstd_level) {
  if (codec_ == ParquetCodec::kZstd) zstd_ = std::make_unique<ZstdContext>();
}

PageCompressor::~PageCompressor() = default;

Status PageCompressor::Compress(std::string_view input, std::string* out) {
  switch (codec_) {
    case ParquetCodec::kUncompressed:
      out->assign(input);
      return Status::Ok();
    case ParquetCodec::kSnappy: {
      out->resize(snappy::MaxCompressedLength(input.size()));
      size_t length = 0;
      snappy::RawCompress(input.data(), input.size(), out->data(), &length);
      out->resize(length);
      return Status::Ok();
    }
    case ParquetCodec::kZstd: {
      if (!zstd_->ctx) return Status::Internal("parquet: ZSTD_createCCtx failed");
      out->resize(ZSTD_compressBound(input.size()));
      const size_t length = ZSTD_compressCCtx(zstd_->ctx.get(), out->data(), out->size(),
                                              input.data(), input.size(), zstd_level_);
      if (ZSTD_isError(length)) {
        return Status::Internal(std::string("parquet: zstd compression failed: ") +
                                ZSTD_getErrorName(length));
      }
      out->resize(length);
      return Status::Ok();
    }
  }
  return Status::Internal("parquet: unknown codec");
}

Status DecompressPage(int32_t codec, std::string_view input, int64_t uncompressed_size,
                      std::string* out) {
  if (uncompressed_size < 0 || uncompressed_size > kMaxPageBytes) {
    return Status::Invalid("page claims " + std::to_string(uncompressed_size) +
                           " uncompressed bytes");
  }
  const size_t expected = static_cast<size_t>(uncompressed_size);
  switch (codec) {
    case kCodecUncompressed:
      if (input.size() != expected) {
        return Status::Invalid("uncompressed page is " + std::to_string(input.size()) +
                               " bytes, its header says " + std::to_string(expected));
      }
      out->assign(input);
      return Status::Ok();
    case kCodecSnappy: {
      size_t length = 0;
      if (!snappy::GetUncompressedLength(input.data(), input.size(), &length) ||
          length != expected) {
        return Status::Invalid("snappy page does not match its header's size");
      }
      out->resize(expected);
      if (!snappy::RawUncompress(input.data(), input.size(), out->data())) {
        return Status::Invalid("snappy page is corrupt");
      }
      return Status::Ok();
    }
    case kCodecZstd: {
      const unsigned long long content = ZSTD_getFrameContentSize(input.data(), input.size());
      if (content == ZSTD_CONTENTSIZE_ERROR ||
          (content != ZSTD_CONTENTSIZE_UNKNOWN && content != expected)) {
        return Status::Invalid("zstd page does not match its header's size");
      }
      out->resize(expected);
      const size_t length = ZSTD_decompress(out->data(), out->size(), input.data(), input.size());
      if (ZSTD_isError(length) || length != expected) {
        return Status::Invalid("zstd page is corrupt");
      }
      return Status::Ok();
    }
    case kCodecGzip: {
      if (input.size() > std::numeric_limits<uInt>::max())
        return Status::Invalid("gzip page too large");
      out->resize(expected);
      Inflater inflater;
      if (!inflater.Run(input, out))
        return Status::Invalid("gzip page is corrupt or has the wrong size");
      return Status::Ok();
    }
    default:
      return Status::Invalid("unsupported compression codec " + std::to_string(codec) +
                             " (supported: uncompressed, snappy, gzip, zstd)");
  }
}

}  // namespace ctlflow
