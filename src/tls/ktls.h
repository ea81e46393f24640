// Kernel TLS (kTLS) detection: whether this host could take TLS records off user space.
//
// With CONFIG_TLS the kernel offers the "tls" upper-layer protocol (TCP_ULP): after the
// handshake, the traffic keys could be handed to the socket so that a coalesced write goes out
// as one sendmsg of plaintext. That hand-off is not built (TlsStream::TryKernelOffload answers
// false): the hosts this was written on have no CONFIG_TLS, so records are always built in user
// space. DetectKtls says what the host has, for the start-up log line.
// Thread rules: any thread; reads /proc once per call.
#pragma once

#include <string>

namespace ringcast::tls {

struct KtlsSupport {
  bool kernel_has_tls = false;  // "tls" listed in /proc/sys/net/ipv4/tcp_available_ulp
  std::string log_line;         // the choice made, in words
};

KtlsSupport DetectKtls();

}  // namespace ringcast::tls
