// Writes store segments (docs/store.md: leveldb log format, kPut records) for e2e tests that
// need a data directory in a given state.
'use strict';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function mask(crc) {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

const BLOCK = 32768;
const HEADER = 7;

// Frames payloads (Buffers) into one segment's bytes.
function frame(payloads) {
  const parts = [];
  let offset = 0;
  for (const payload of payloads) {
    let p = 0;
    let begin = true;
    do {
      let left = BLOCK - offset;
      if (left < HEADER) {
        parts.push(Buffer.alloc(left));
        offset = 0;
        left = BLOCK;
      }
      const n = Math.min(payload.length - p, left - HEADER);
      const end = p + n === payload.length;
      const type = begin && end ? 1 : begin ? 2 : end ? 4 : 3;
      const body = payload.subarray(p, p + n);
      const h = Buffer.alloc(HEADER);
      h.writeUInt32LE(mask(crc32c(Buffer.concat([Buffer.from([type]), body]))), 0);
      h.writeUInt16LE(n, 4);
      h[6] = type;
      parts.push(h, body);
      offset += HEADER + n;
      p += n;
      begin = false;
    } while (p < payload.length);
  }
  return Buffer.concat(parts);
}

function put(key, value) {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const b = Buffer.alloc(9 + k.length + v.length);
  b[0] = 1;
  b.writeUInt32LE(k.length, 1);
  k.copy(b, 5);
  b.writeUInt32LE(v.length, 5 + k.length);
  v.copy(b, 9 + k.length);
  return b;
}

const SEGMENT_1 = 'wal-0000000000000001.log';

module.exports = { crc32c, frame, put, BLOCK, SEGMENT_1 };
