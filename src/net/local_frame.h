// LocalFrame: a shard-local, reference-counted handle on bytes to write to connections.
//
// A frame published once reaches each shard as one SharedBuf reference; the shard wraps it in one
// LocalFrame and every subscriber's OutQueue holds a pointer to it with a plain (non-atomic)
// count. When the count drops to zero the shard gives back its single shared reference. Frames
// made on the shard itself (a pong, a reply) carry their bytes inline and no SharedBuf.
// Thread rules: created, referenced and released on one shard thread only.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

#include "runtime/shared_buf.h"

namespace ringcast::net {

class LocalFrame {
 public:
  // Takes over one reference of `shared`; `data` points inside it.
  static LocalFrame* Wrap(runtime::SharedBuf* shared, const char* data, uint32_t size) {
    return new LocalFrame(shared, data, size);
  }

  // A new shard-local frame of `size` inline bytes (one allocation), which the caller fills
  // through *bytes before the frame is queued anywhere.
  static LocalFrame* Allocate(uint32_t size, char** bytes) {
    void* mem = ::operator new(sizeof(LocalFrame) + size);
    *bytes = static_cast<char*>(mem) + sizeof(LocalFrame);
    return new (mem) LocalFrame(nullptr, *bytes, size);
  }

  // Copies `bytes` into a new shard-local frame.
  static LocalFrame* Copy(std::string_view bytes) {
    char* inline_bytes;
    LocalFrame* frame = Allocate(static_cast<uint32_t>(bytes.size()), &inline_bytes);
    if (!bytes.empty()) std::memcpy(inline_bytes, bytes.data(), bytes.size());
    return frame;
  }

  const char* data() const { return data_; }
  uint32_t size() const { return size_; }
  uint32_t refs() const { return refs_; }

  void Ref() { ++refs_; }
  // OutQueues holding this frame (OutQueue's shard-wide byte accounting): Enqueued() is true for
  // the first, Dequeued() for the last.
  bool Enqueued() { return queues_++ == 0; }
  bool Dequeued() { return --queues_ == 0; }
  void Unref() {
    if (--refs_ == 0) Destroy();
  }

 private:
  LocalFrame(runtime::SharedBuf* shared, const char* data, uint32_t size)
      : refs_(1), queues_(0), size_(size), data_(data), shared_(shared) {}

  void Destroy() {
    runtime::SharedBuf* shared = shared_;
    this->~LocalFrame();
    ::operator delete(this);
    if (shared != nullptr) shared->Release();
  }

  uint32_t refs_;
  uint32_t queues_;
  uint32_t size_;
  const char* data_;
  runtime::SharedBuf* shared_;
};

}  // namespace ringcast::net
