// MappedFile: a file's bytes whether mapped or empty, errors for a missing file; and
// HugePageResource: large chunks are 2 MiB-aligned, writable and freed, small ones work too.
#include "store/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/huge_page_resource.h"

namespace ringcast::store {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const char* name) {
  return (fs::temp_directory_path() /
          (std::string("rc_mapped_") + std::to_string(::getpid()) + "_" + name))
      .string();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(MappedFileTest, ViewsTheWholeFile) {
  const std::string path = TempPath("whole");
  std::string bytes(100000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  WriteFile(path, bytes);
  MappedFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path, &error)) << error;
  EXPECT_EQ(f.bytes(), bytes);
  // Reopening another file replaces the view.
  WriteFile(path + "2", "xyz");
  ASSERT_TRUE(f.Open(path + "2", &error)) << error;
  EXPECT_EQ(f.bytes(), "xyz");
  f.Close();
  EXPECT_TRUE(f.bytes().empty());
  fs::remove(path);
  fs::remove(path + "2");
}

TEST(MappedFileTest, EmptyFileIsAnEmptyView) {
  const std::string path = TempPath("empty");
  WriteFile(path, "");
  MappedFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path, &error)) << error;
  EXPECT_TRUE(f.bytes().empty());
  fs::remove(path);
}

TEST(MappedFileTest, MissingFileIsAnError) {
  MappedFile f;
  std::string error;
  EXPECT_FALSE(f.Open(TempPath("missing"), &error));
  EXPECT_NE(error.find("open "), std::string::npos) << error;
}

TEST(HugePageResourceTest, LargeChunksAreAlignedAndUsableSmallOnesToo) {
  HugePageResource r;
  const size_t big = HugePageResource::kHugePage + 12345;
  void* p = r.allocate(big, 64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % HugePageResource::kHugePage, 0u);
  std::memset(p, 0xab, big);
  EXPECT_EQ(static_cast<unsigned char*>(p)[big - 1], 0xab);
  void* q = r.allocate(100, 8);
  std::memset(q, 1, 100);
  r.deallocate(q, 100, 8);
  r.deallocate(p, big, 64);
}

}  // namespace
}  // namespace ringcast::store
