#include "objstore/file_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ctlflow {
namespace {

namespace fs = std::filesystem;

constexpr char kTempMarker[] = ".ctlflow-tmp-";

std::string ErrnoText(int err) { return std::strerror(err); }

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(-1); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // close(2) errors matter for writes (NFS reports them there), so Close()
  // returns it; the destructor path ignores it.
  int Close() {
    int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc;
  }

 private:
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int fd_ = -1;
};

// A name no other writer (thread or process) uses at the same time.
std::string TempPathFor(const fs::path& target) {
  static std::atomic<uint64_t> counter{0};
  return (target.parent_path() /
          ("." + target.filename().string() + kTempMarker + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1))))
      .string();
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Io("writing " + path + ": " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status MakeParents(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status::Io("creating " + path.parent_path().string() + ": " + ec.message());
  return Status::Ok();
}

// A temporary file next to its target, removed unless Commit*() succeeds.
class TempFile {
 public:
  static Result<TempFile> Create(const fs::path& target) {
    CTL_RETURN_IF_ERROR(MakeParents(target));
    std::string path = TempPathFor(target);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Status::Io("creating " + path + ": " + ErrnoText(errno));
    return TempFile(Fd(fd), path);
  }
  TempFile(TempFile&&) = default;
  TempFile& operator=(TempFile&&) = default;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  Status Write(std::string_view data) { return WriteAll(fd_.get(), data, path_); }

  // Flushes and closes; after this the bytes are durable under the temp name.
  Status Finish() {
    if (::fsync(fd_.get()) != 0) return Status::Io("fsync " + path_ + ": " + ErrnoText(errno));
    if (fd_.Close() != 0) return Status::Io("closing " + path_ + ": " + ErrnoText(errno));
    return Status::Ok();
  }

  // rename(2): replaces any existing target atomically.
  Status CommitReplace(const fs::path& target) {
    CTL_RETURN_IF_ERROR(Finish());
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      return Status::Io("renaming " + path_ + " to " + target.string() + ": " + ErrnoText(errno));
    }
    path_.clear();
    return Status::Ok();
  }

  // link(2) fails with EEXIST when the target exists, which makes "create
  // only if absent" atomic even between processes.
  Status CommitIfAbsent(const fs::path& target, const std::string& url) {
    CTL_RETURN_IF_ERROR(Finish());
    if (::link(path_.c_str(), target.c_str()) != 0) {
      if (errno == EEXIST) return Status::Conflict(url + " already exists");
      return Status::Io("linking " + target.string() + ": " + ErrnoText(errno));
    }
    return Status::Ok();  // the destructor unlinks the temp name
  }

 private:
  TempFile(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Fd fd_;
  std::string path_;
};

class FileSink final : public ByteSink {
 public:
  FileSink(TempFile temp, fs::path target) : temp_(std::move(temp)), target_(std::move(target)) {}
  Status Write(std::string_view bytes) override {
    if (closed_) return Status::Internal("write to " + target_.string() + " after Close()");
    CTL_RETURN_IF_ERROR(temp_.Write(bytes));
    written_ += static_cast<int64_t>(bytes.size());
    return Status::Ok();
  }
  int64_t Tell() const override { return written_; }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    return temp_.CommitReplace(target_);
  }

 private:
  TempFile temp_;
  fs::path target_;
  int64_t written_ = 0;
  bool closed_ = false;
};

class FileSource final : public RandomAccessSource {
 public:
  FileSource(Fd fd, int64_t size, std::string name)
      : fd_(std::move(fd)), size_(size), name_(std::move(name)) {}
  int64_t Size() const override { return size_; }
  const std::string& Name() const override { return name_; }

  Result<std::string> ReadAt(int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0) {
      return Status::Invalid(name_ + ": bad read of " + std::to_string(length) + " bytes at " +
                             std::to_string(offset));
    }
    std::string out(static_cast<size_t>(length), '\0');
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
                          static_cast<off_t>(offset + static_cast<int64_t>(done)));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::Io("reading " + name_ + ": " + ErrnoText(errno));
      }
      if (n == 0) {
        return Status::Invalid(name_ + ": read of " + std::to_string(length) +
                               " bytes at offset " + std::to_string(offset) + " got only " +
                               std::to_string(done) + "; the file is truncated");
      }
      done += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  Fd fd_;
  int64_t size_;
  std::string name_;
};

int64_t MtimeMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

class FileObjectStore final : public ObjectStore {
 public:
  explicit FileObjectStore(fs::path folder)
      : folder_(std::move(folder)), root_("file://" + folder_.string()) {}

  const std::string& Root() const override { return root_; }

  Result<std::string> Get(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(auto source, OpenRead(key));
    return source->ReadAt(0, source->Size());
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return Missing(key);
    return ObjectInfo{key, static_cast<int64_t>(st.st_size), MtimeMs(st), ""};
  }

  Result<std::unique_ptr<RandomAccessSource>> OpenRead(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT || errno == ENOTDIR) return Missing(key);
      return Status::Io("opening " + Url(key) + ": " + ErrnoText(errno));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Status::Io("stat " + Url(key) + ": " + ErrnoText(errno));
    if (!S_ISREG(st.st_mode)) return Missing(key);
    return std::unique_ptr<RandomAccessSource>(
        new FileSource(std::move(fd), static_cast<int64_t>(st.st_size), Url(key)));
  }

  Status Put(const std::string& key, std::string_view data) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    CTL_ASSIGN_OR_RETURN(TempFile temp, TempFile::Create(path));
    CTL_RETURN_IF_ERROR(temp.Write(data));
    return temp.CommitReplace(path);
  }

  Status PutIfAbsent(const std::string& key, std::string_view data) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    CTL_ASSIGN_OR_RETURN(TempFile temp, TempFile::Create(path));
    CTL_RETURN_IF_ERROR(temp.Write(data));
    return temp.CommitIfAbsent(path, Url(key));
  }

  Result<std::unique_ptr<ByteSink>> OpenWrite(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    CTL_ASSIGN_OR_RETURN(TempFile temp, TempFile::Create(path));
    return std::unique_ptr<ByteSink>(new FileSink(std::move(temp), path));
  }

  Status Delete(const std::string& key) override {
    CTL_ASSIGN_OR_RETURN(fs::path path, PathOf(key));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      return Status::Io("deleting " + Url(key) + ": " + ErrnoText(errno));
    }
    return Status::Ok();
  }

  Result<ObjectListing> List(const std::string& prefix, const std::string& delimiter) override {
    if (prefix.starts_with("/") || prefix.find("..") != std::string::npos) {
      return Status::Invalid("bad list prefix \"" + prefix + "\" under " + root_ +
                             ": it must be relative and must not contain \"..\"");
    }
    ObjectListing listing;
    std::error_code ec;
    // Only the folder holding the prefix's last '/' can contain matches.
    fs::path start = folder_ / prefix.substr(0, prefix.rfind('/') + 1);
    if (prefix.find('/') == std::string::npos) start = folder_;
    if (!fs::is_directory(start, ec)) return listing;
    auto it = fs::recursive_directory_iterator(start, ec);
    if (ec) return Status::Io("listing " + start.string() + ": " + ec.message());
    std::vector<std::string> prefixes;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return Status::Io("listing " + start.string() + ": " + ec.message());
      if (!it->is_regular_file(ec) || IsTemporaryFileName(it->path().filename().string())) {
        continue;
      }
      std::string key = it->path().lexically_relative(folder_).generic_string();
      if (!key.starts_with(prefix)) continue;
      if (!delimiter.empty()) {
        size_t cut = key.find(delimiter, prefix.size());
        if (cut != std::string::npos) {
          prefixes.push_back(key.substr(0, cut + delimiter.size()));
          continue;
        }
      }
      struct stat st;
      if (::stat(it->path().c_str(), &st) != 0) continue;  // deleted while listing
      listing.objects.push_back({key, static_cast<int64_t>(st.st_size), MtimeMs(st), ""});
    }
    std::sort(listing.objects.begin(), listing.objects.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    listing.prefixes = std::move(prefixes);
    return listing;
  }

 private:
  Result<fs::path> PathOf(const std::string& key) const {
    Status valid = ValidateObjectKey(key);
    if (!valid.ok()) return valid.WithContext(root_);
    return folder_ / key;
  }
  Status Missing(const std::string& key) const { return Status::NotFound(Url(key) + " not found"); }

  fs::path folder_;
  std::string root_;
};

}  // namespace

Status ValidateObjectKey(const std::string& key) {
  if (key.empty()) return Status::Invalid("empty object key");
  if (key.front() == '/') {
    return Status::Invalid("object key \"" + key + "\" starts with '/'; keys are relative");
  }
  size_t begin = 0;
  while (begin <= key.size()) {
    size_t end = key.find('/', begin);
    if (end == std::string::npos) end = key.size();
    std::string_view part(key.data() + begin, end - begin);
    if (part.empty() || part == "." || part == "..") {
      return Status::Invalid("object key \"" + key +
                             "\" has an empty, \".\" or \"..\" path component");
    }
    begin = end + 1;
  }
  return Status::Ok();
}

bool IsTemporaryFileName(const std::string& name) {
  return name.starts_with(".") && name.find(kTempMarker) != std::string::npos;
}

Result<std::unique_ptr<ObjectStore>> OpenFileObjectStore(const std::string& folder) {
  fs::path path(folder);
  if (!path.is_absolute()) {
    return Status::Invalid("file object store root \"" + folder + "\" is not an absolute path");
  }
  path = path.lexically_normal();
  std::string text = path.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  std::error_code ec;
  fs::create_directories(text, ec);
  if (ec) return Status::Io("creating object store root " + text + ": " + ec.message());
  if (!fs::is_directory(text, ec)) {
    return Status::Invalid("object store root " + text + " is not a folder");
  }
  return std::unique_ptr<ObjectStore>(new FileObjectStore(fs::path(text)));
}

}  // namespace ctlflow
