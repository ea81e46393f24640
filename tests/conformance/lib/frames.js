// RFC 6455 frames as the conformance client sees them: building client frames byte by byte and
// reading server frames from a TCP byte stream.
//
// Owns no I/O. EncodeFrame writes any FIN/RSV/opcode combination with the minimal length encoding
// and a fresh random mask (or none, or a given key), so cases can send frames a conforming server
// must reject. ServerFrameReader is resumable: bytes in (any split), whole frames out; it keeps
// received chunks in a list and copies each payload once, so a 16 MiB echo costs one copy.
// It only splits frames; whether a frame is allowed is decided by the connection (connection.js).
'use strict';

const crypto = require('node:crypto');

const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

function toBuffer(x) {
  if (x === undefined || x === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(x)) return x;
  return Buffer.from(x, 'utf8');
}

// A payload of `len` bytes that repeats `pattern` (Autobahn's payload_len).
function repeat(pattern, len) {
  return Buffer.alloc(len, toBuffer(pattern));
}

function maskInPlace(buf, start, len, key) {
  const k0 = key[0];
  const k1 = key[1];
  const k2 = key[2];
  const k3 = key[3];
  let i = 0;
  const n4 = len & ~3;
  for (; i < n4; i += 4) {
    buf[start + i] ^= k0;
    buf[start + i + 1] ^= k1;
    buf[start + i + 2] ^= k2;
    buf[start + i + 3] ^= k3;
  }
  for (; i < len; i++) buf[start + i] ^= key[i & 3];
}

// Returns the bytes of one frame. opts: op (0..15), payload, fin (default true), rsv (0..7),
// mask (default true), key (4-byte Buffer; random when absent).
function encodeFrame({ op, payload, fin = true, rsv = 0, mask = true, key } = {}) {
  const body = toBuffer(payload);
  const len = body.length;
  const ext = len > 65535 ? 8 : len > 125 ? 2 : 0;
  const head = 2 + ext + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(head + len);
  out[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (op & 0x0f);
  out[1] = (mask ? 0x80 : 0) | (ext === 8 ? 127 : ext === 2 ? 126 : len);
  if (ext === 2) out.writeUInt16BE(len, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  body.copy(out, head);
  if (mask) {
    const k = key || crypto.randomBytes(4);
    k.copy(out, 2 + ext);
    maskInPlace(out, head, len, k);
  }
  return out;
}

// The payload of a close frame: code (omitted when null) and reason bytes.
function closePayload(code, reason) {
  const r = toBuffer(reason);
  if (code === null || code === undefined) return r;
  const out = Buffer.allocUnsafe(2 + r.length);
  out.writeUInt16BE(code & 0xffff, 0);
  r.copy(out, 2);
  return out;
}

// Splits a byte stream into frames: onFrame({fin, rsv, op, masked, minimal, payload}).
class ServerFrameReader {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.chunks = [];
    this.length = 0;
    this.header = null; // parsed header of the frame whose payload is awaited
  }

  push(chunk) {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (this.header === null) {
        if (this.length < 2) return;
        const h2 = this.peek(2);
        const len7 = h2[1] & 0x7f;
        const masked = (h2[1] & 0x80) !== 0;
        const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
        if (this.length < size) return;
        const h = this.take(size);
        let len = len7;
        let minimal = true;
        let p = 2;
        if (len7 === 126) {
          len = h.readUInt16BE(2);
          minimal = len > 125;
          p = 4;
        } else if (len7 === 127) {
          const big = h.readBigUInt64BE(2);
          len = Number(big);
          minimal = big > 65535n;
          p = 10;
        }
        this.header = {
          fin: (h[0] & 0x80) !== 0,
          rsv: (h[0] >> 4) & 7,
          op: h[0] & 0x0f,
          masked,
          key: masked ? h.subarray(p, p + 4) : null,
          minimal,
          len,
        };
      }
      if (this.length < this.header.len) return;
      const f = this.header;
      this.header = null;
      f.payload = this.take(f.len);
      if (f.masked) maskInPlace(f.payload, 0, f.payload.length, f.key);
      this.onFrame(f);
    }
  }

  peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return Buffer.concat(this.chunks, this.length).subarray(0, n);
  }

  // Removes and returns the first n bytes (a copy when they span chunks).
  take(n) {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = Buffer.from(first.subarray(0, n));
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const m = Math.min(c.length, n - off);
      c.copy(out, off, 0, m);
      off += m;
      if (m === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(m);
    }
    this.length -= n;
    return out;
  }
}

module.exports = { OP, toBuffer, repeat, encodeFrame, closePayload, ServerFrameReader };
