// A whole file's bytes, read-only, for replay (docs/store.md, "Recovery").
//
// Owns: a private read-only mapping of the file (mmap, so the page cache's pages are used in
// place: no copy, no zero-filled buffer), or, where mmap is refused, a heap copy read with
// read(2). Single-threaded like its owner. bytes() stays valid until Close or destruction, except
// that a mapped file's bytes past a later truncation must not be read (they fault: SIGBUS); the
// store only cuts a torn tail, after every record it keeps a view of.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ringcast::store {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile() { Close(); }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Replaces what was open. False with *error set on an I/O error.
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  void Close();
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;           // the mapping, or nullptr
  std::unique_ptr<char[]> copy_;  // the read(2) fallback's buffer
};

}  // namespace ringcast::store
