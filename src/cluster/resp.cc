// See resp.h.
#include "cluster/resp.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdio>

namespace ringcast::cluster {
namespace {

void AppendHeader(std::string* out, char kind, size_t n) {
  char buf[32];
  int len = std::snprintf(buf, sizeof buf, "%c%zu\r\n", kind, n);
  out->append(buf, static_cast<size_t>(len));
}

template <typename Args>
void AppendArgs(std::string* out, const Args& args) {
  AppendHeader(out, '*', args.size());
  for (std::string_view a : args) {
    AppendHeader(out, '$', a.size());
    out->append(a);
    out->append("\r\n");
  }
}

void Convert(const redisReply* r, RespValue* out) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out->type = RespValue::Type::kString;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out->type = RespValue::Type::kStatus;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out->type = RespValue::Type::kError;
      out->str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out->type = RespValue::Type::kInteger;
      out->integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out->type = RespValue::Type::kArray;
      out->elements.resize(r->elements);
      for (size_t i = 0; i < r->elements; ++i) Convert(r->element[i], &out->elements[i]);
      break;
    default:
      out->type = RespValue::Type::kNil;
      break;
  }
}

// hiredis 0.14 (Debian's) has no cap on an array's count and allocates its element table as soon
// as it reads `*N`: a reply that claims 10^9 elements would cost gigabytes before one arrives.
// Its default object functions wrapped: an array whose count is negative or over the reader's
// bound is refused (hiredis then fails the read), the rest goes to hiredis' own functions.
const redisReplyObjectFunctions* DefaultFunctions() {
  static const redisReplyObjectFunctions* const base = [] {
    redisReader* r = redisReaderCreate();
    const redisReplyObjectFunctions* fn = r != nullptr ? r->fn : nullptr;
    if (r != nullptr) redisReaderFree(r);  // fn points at hiredis' static table, not into r
    return fn;
  }();
  return base;
}

void* CreateBoundedArray(const redisReadTask* task, int elements) {
  auto* self = static_cast<RespReader*>(task->privdata);
  if (elements < 0 || static_cast<size_t>(elements) > self->max_elements()) {
    self->NoteRefusedArray(elements);
    return nullptr;
  }
  return DefaultFunctions()->createArray(task, elements);
}

redisReplyObjectFunctions* BoundedFunctions() {
  static redisReplyObjectFunctions fns = [] {
    redisReplyObjectFunctions f = *DefaultFunctions();
    f.createArray = CreateBoundedArray;
    return f;
  }();
  return &fns;
}

}  // namespace

void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendArgs(out, args);
}

void AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  AppendArgs(out, args);
}

RespReader::RespReader(size_t max_buffered)
    : reader_(DefaultFunctions() != nullptr ? redisReaderCreateWithFunctions(BoundedFunctions())
                                            : nullptr),
      max_buffered_(max_buffered) {
  if (reader_ == nullptr) {
    error_ = "out of memory";
    return;
  }
  reader_->privdata = this;  // (hiredis 0.14's setter macro casts a pointer to int)
}

void RespReader::NoteRefusedArray(int elements) {
  refused_ = "an array of " + std::to_string(elements) + " elements (bound " +
             std::to_string(max_elements()) + ")";
}

RespReader::~RespReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

bool RespReader::Feed(std::string_view bytes) {
  if (failed()) return false;
  if (reader_->len - reader_->pos + bytes.size() > max_buffered_) {
    error_ = "a reply over " + std::to_string(max_buffered_) + " bytes";
    return false;
  }
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    error_ = reader_->errstr;
    return false;
  }
  return true;
}

bool RespReader::Next(RespValue* out) {
  if (failed()) return false;
  void* reply = nullptr;
  if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
    if (!refused_.empty()) {
      error_ = refused_;
    } else {
      error_ = reader_->errstr[0] != '\0' ? reader_->errstr : "protocol error";
    }
    return false;
  }
  if (reply == nullptr) return false;
  *out = RespValue();
  Convert(static_cast<redisReply*>(reply), out);
  freeReplyObject(reply);
  return true;
}

}  // namespace ringcast::cluster
