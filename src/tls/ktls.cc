#include "tls/ktls.h"

#include <fstream>
#include <sstream>

namespace ringcast::tls {

KtlsSupport DetectKtls() {
  KtlsSupport s;
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string word;
  while (in >> word) {
    if (word == "tls") s.kernel_has_tls = true;
  }
  s.log_line = s.kernel_has_tls
                   ? "TLS: the kernel offers kTLS, but handing keys to it is not built yet: "
                     "records are encrypted in user space (BoringSSL)"
                   : "TLS: the kernel has no kTLS (no 'tls' in tcp_available_ulp): records are "
                     "encrypted in user space (BoringSSL)";
  return s;
}

}  // namespace ringcast::tls
