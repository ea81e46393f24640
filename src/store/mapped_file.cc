// mmap with a read(2) fallback; see mapped_file.h for the contract.
#include "store/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringcast::store {

void MappedFile::Close() {
  if (map_ != nullptr) ::munmap(map_, size_);
  map_ = nullptr;
  copy_.reset();
  data_ = nullptr;
  size_ = 0;
}

bool MappedFile::Open(const std::string& path, std::string* error) {
  Close();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *error = "stat " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return true;
  }
  // MAP_POPULATE maps every page in one call (reading what is not cached yet) rather than
  // taking a fault per page; replay then reads the page cache in place.
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (m != MAP_FAILED) {
    ::madvise(m, size, MADV_SEQUENTIAL);
    ::close(fd);
    map_ = m;
    data_ = static_cast<const char*>(m);
    size_ = size;
    return true;
  }
  // Not mappable (some file systems): read it. new char[] leaves the bytes uninitialised, so
  // they are written once, by read(2).
  copy_.reset(new char[size]);
  size_t done = 0;
  while (done < size) {
    ssize_t r = ::read(fd, copy_.get() + done, size - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *error = "read " + path + ": " + std::strerror(errno);
      ::close(fd);
      copy_.reset();
      return false;
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  data_ = copy_.get();
  size_ = done;
  return true;
}

}  // namespace ringcast::store
