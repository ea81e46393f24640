// A throw-away certificate authority made with the `openssl` command at test time (tools/dev
// installs it): a CA, and server certificates for 127.0.0.1/localhost signed by it.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

// Resolves to { dir, caFile, ca (PEM text), issue(name) -> { certFile, keyFile, fingerprint } }.
function makeTestCa() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcast-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=ringcast test CA'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  let serial = 1;
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    // A server certificate whose subject CN is `name`, for localhost and 127.0.0.1 unless `san`
    // (an openssl subjectAltName value, e.g. 'DNS:other.example') names something else.
    issue(name, san = null) {
      const base = `${name}-${serial}`;
      let ext = 'ext.cnf';
      if (san) {
        ext = `${base}.cnf`;
        fs.writeFileSync(path.join(dir, ext), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
      }
      openssl(['req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-set_serial', String(serial++), '-days', '2', '-extfile', ext, '-out', `${base}.pem`], dir);
      const pem = fs.readFileSync(path.join(dir, `${base}.pem`), 'utf8');
      return {
        certFile: path.join(dir, `${base}.pem`),
        keyFile: path.join(dir, `${base}.key`),
        fingerprint: new crypto.X509Certificate(pem).fingerprint256,
      };
    },
  };
}

module.exports = { makeTestCa };
