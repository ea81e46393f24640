// See envelope.h.
#include "cluster/envelope.h"

#include <limits>

namespace ringcast::cluster {
namespace {

template <typename T>
bool Put(std::string* out, std::string_view field) {
  if (field.size() > std::numeric_limits<T>::max()) return false;
  auto n = static_cast<T>(field.size());
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(field);
  return true;
}

template <typename T>
bool Get(std::string_view* in, std::string_view* field) {
  if (in->size() < sizeof(T)) return false;
  uint64_t n = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    n |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  }
  in->remove_prefix(sizeof(T));
  if (n > in->size()) return false;
  *field = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

void PutU64(std::string* out, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (size_t i = 0; i < 8; ++i) *v |= uint64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  in->remove_prefix(8);
  return true;
}

}  // namespace

bool EncodeEnvelope(const EnvelopeView& e, std::string* out) {
  const size_t start = out->size();
  out->append("RC");
  out->push_back(static_cast<char>(kEnvelopeVersion));
  out->push_back(static_cast<char>(e.kind));
  bool ok =
      Put<uint16_t>(out, e.origin) && Put<uint16_t>(out, e.app) && Put<uint16_t>(out, e.channel) &&
      Put<uint32_t>(out, e.event) && Put<uint32_t>(out, e.data) && Put<uint16_t>(out, e.exclude) &&
      Put<uint32_t>(out, e.audience) && Put<uint16_t>(out, e.user_id) && Put<uint32_t>(out, e.meta);
  if (ok) {
    PutU64(out, e.epoch);
    PutU64(out, e.seq);
  }
  if (!ok || e.kind < kEnvelopePublish || e.kind > kEnvelopeLastKind) out->resize(start);
  return ok && e.kind >= kEnvelopePublish && e.kind <= kEnvelopeLastKind;
}

bool DecodeEnvelope(std::string_view bytes, size_t max_bytes, EnvelopeView* out) {
  if (bytes.size() > max_bytes || bytes.size() < 4) return false;
  if (bytes[0] != 'R' || bytes[1] != 'C' || static_cast<uint8_t>(bytes[2]) != kEnvelopeVersion ||
      static_cast<uint8_t>(bytes[3]) < kEnvelopePublish ||
      static_cast<uint8_t>(bytes[3]) > kEnvelopeLastKind) {
    return false;
  }
  std::string_view in = bytes.substr(4);
  EnvelopeView e;
  e.kind = static_cast<uint8_t>(bytes[3]);
  bool ok = Get<uint16_t>(&in, &e.origin) && Get<uint16_t>(&in, &e.app) &&
            Get<uint16_t>(&in, &e.channel) && Get<uint32_t>(&in, &e.event) &&
            Get<uint32_t>(&in, &e.data) && Get<uint16_t>(&in, &e.exclude) &&
            Get<uint32_t>(&in, &e.audience) && Get<uint16_t>(&in, &e.user_id) &&
            Get<uint32_t>(&in, &e.meta) && GetU64(&in, &e.epoch) && GetU64(&in, &e.seq);
  if (!ok || !in.empty()) return false;
  *out = e;
  return true;
}

bool AppendPresenceRow(std::string* data, std::string_view id, std::string_view identity) {
  const size_t start = data->size();
  if (Put<uint16_t>(data, id) && Put<uint16_t>(data, identity)) return true;
  data->resize(start);
  return false;
}

bool ReadPresenceRows(std::string_view data,
                      std::vector<std::pair<std::string, std::string>>* rows) {
  while (!data.empty()) {
    std::string_view id;
    std::string_view identity;
    if (!Get<uint16_t>(&data, &id) || !Get<uint16_t>(&data, &identity)) return false;
    rows->emplace_back(std::string(id), std::string(identity));
  }
  return true;
}

}  // namespace ringcast::cluster
