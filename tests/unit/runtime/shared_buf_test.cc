// Tests for src/runtime/shared_buf.h on one thread: the bytes live right after the header, the
// count starts at the creator's number, AddRefs/Release move it, and the memory is freed exactly
// at the last Release (the allocation counter of alloc_counter.cc proves it).
#include "runtime/shared_buf.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string_view>

#include "alloc_counter.h"

namespace ringcast::runtime {
namespace {

using ::ringcast::runtime::testing::DeleteCount;
using ::ringcast::runtime::testing::NewCount;

TEST(SharedBuf, CreateMakesOneAllocationHoldingTheBytes) {
  uint64_t news = NewCount();
  SharedBuf* buf = SharedBuf::Create(11, 1);
  EXPECT_EQ(NewCount(), news + 1);
  EXPECT_EQ(buf->size(), 11u);
  EXPECT_EQ(buf->refs_for_test(), 1u);
  std::memcpy(buf->mutable_data(), "hello world", 11);
  EXPECT_EQ(std::string_view(buf->data(), buf->size()), "hello world");
  EXPECT_EQ(static_cast<const void*>(buf->data()), static_cast<const void*>(buf + 1));
  uint64_t deletes = DeleteCount();
  buf->Release();
  EXPECT_EQ(DeleteCount(), deletes + 1);
}

TEST(SharedBuf, FreedAtTheLastReleaseOnly) {
  SharedBuf* buf = SharedBuf::Create(4, 3);
  EXPECT_EQ(buf->refs_for_test(), 3u);
  uint64_t deletes = DeleteCount();
  buf->Release();
  EXPECT_EQ(buf->refs_for_test(), 2u);
  buf->Release();
  EXPECT_EQ(buf->refs_for_test(), 1u);
  EXPECT_EQ(DeleteCount(), deletes);
  buf->Release();
  EXPECT_EQ(DeleteCount(), deletes + 1);
}

TEST(SharedBuf, AddRefsExtendsTheLife) {
  SharedBuf* buf = SharedBuf::Create(0, 1);
  EXPECT_EQ(buf->size(), 0u);
  buf->AddRefs(4);
  EXPECT_EQ(buf->refs_for_test(), 5u);
  uint64_t deletes = DeleteCount();
  for (int i = 0; i < 4; ++i) buf->Release();
  EXPECT_EQ(buf->refs_for_test(), 1u);
  EXPECT_EQ(DeleteCount(), deletes);
  buf->Release();
  EXPECT_EQ(DeleteCount(), deletes + 1);
}

TEST(SharedBuf, AddRefsZeroChangesNothing) {
  SharedBuf* buf = SharedBuf::Create(8, 2);
  buf->AddRefs(0);
  EXPECT_EQ(buf->refs_for_test(), 2u);
  buf->Release();
  buf->Release();
}

TEST(SharedBuf, LargeBufferKeepsItsSize) {
  constexpr size_t kSize = 1 << 20;
  SharedBuf* buf = SharedBuf::Create(kSize, 1);
  EXPECT_EQ(buf->size(), kSize);
  std::memset(buf->mutable_data(), 0xab, kSize);  // ASan checks the whole range is ours
  EXPECT_EQ(static_cast<unsigned char>(buf->data()[kSize - 1]), 0xab);
  buf->Release();
}

}  // namespace
}  // namespace ringcast::runtime
