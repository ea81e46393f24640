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

}  // namespace

void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendArgs(out, args);
}

void AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  AppendArgs(out, args);
}

RespReader::RespReader(size_t max_buffered)
    : reader_(redisReaderCreate()), max_buffered_(max_buffered) {
  if (reader_ == nullptr) error_ = "out of memory";
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
    error_ = reader_->errstr[0] != '\0' ? reader_->errstr : "protocol error";
    return false;
  }
  if (reply == nullptr) return false;
  *out = RespValue();
  Convert(static_cast<redisReply*>(reply), out);
  freeReplyObject(reply);
  return true;
}

}  // namespace ringcast::cluster
