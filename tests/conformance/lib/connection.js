// One raw WebSocket client connection for the conformance suite, and the record of what happened
// on it.
//
// Owns: the TCP socket (Node's net, TCP_NODELAY), the opening handshake, sending exact bytes
// (frames built by frames.js, chopped into separate writes on request) and reading server frames.
// It plays the client side the way Autobahn|Testsuite's fuzzing client does: it answers a server
// close with a close (1000) and a server ping with a pong, fails the connection (close 1002, or
// 1007 for invalid UTF-8) when the server breaks the protocol, and never drops TCP itself unless
// the case runner kills it (then `tcp.by` is 'client', which fails the case).
//
// Everything observed is recorded for the judge (judge.js): `events` (messages, pongs, pings and
// the case's own timeout marks, in arrival order, as Autobahn records them), `violations` (server
// bytes RFC 6455 forbids), who sent the first close frame (`closedBy`), the server's close frame,
// when the closing handshake completed and when and how TCP was closed. Times are milliseconds
// since the connection opened. Single-threaded (Node's event loop); no state is shared between
// connections.
'use strict';

const crypto = require('node:crypto');
const net = require('node:net');
const { OP, encodeFrame, closePayload, ServerFrameReader } = require('./frames');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(buf) {
  try {
    utf8.decode(buf);
    return true;
  } catch {
    return false;
  }
}

// Close codes a server may put on the wire (RFC 6455 7.4.1 and the IANA registry).
function isValidWireCode(code) {
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006;
  return code >= 3000 && code <= 4999;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

class HandshakeError extends Error {}

class Connection {
  constructor(socket, t0) {
    this.socket = socket;
    this.t0 = t0;
    this.handshake = null; // { status, headers: {lower-case name: value}, head: string }
    this.events = [];
    this.violations = [];
    this.notes = [];
    this.closedBy = null; // 'client' | 'server': who sent the first close frame
    this.clientCloseAt = null;
    this.serverClose = null; // { code (null for an empty payload), reason: Buffer, at }
    this.handshakeDoneAt = null; // both close frames exchanged
    this.lastSendAt = 0; // the case's last write (close frames not included)
    this.tcp = null; // { at, by: 'server' | 'client', how: 'fin' | 'reset' | 'killed' }
    this.msg = null; // { op, parts: [] } while a server message is fragmented
    this.pending = []; // plain sends not yet written: { bytes, reply }
    this.flushScheduled = false;
    this.waiters = new Set();
    this.reader = new ServerFrameReader((f) => this.onFrame(f));
    this.closed = new Promise((resolve) => socket.once('close', resolve));
    socket.once('close', () => {
      if (this.tcp === null) this.tcp = { at: this.now(), by: 'server', how: 'closed' };
      this.changed();
    });
  }

  now() {
    return Number(process.hrtime.bigint() / 1000n) / 1000 - this.t0;
  }

  // Connects and completes the opening handshake. headers: extra request header lines.
  static open({ port, host = '127.0.0.1', path = '/echo', headers = [], timeoutMs = 5000 }) {
    return new Promise((resolve, reject) => {
      const key = crypto.randomBytes(16).toString('base64');
      const socket = net.connect({ port, host });
      socket.setNoDelay(true);
      let conn = null;
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HandshakeError(`no 101 response within ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (msg) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new HandshakeError(msg));
      };
      socket.on('error', (e) => {
        if (conn) conn.onSocketError(e);
        else fail(`socket error before the handshake completed: ${e.code || e.message}`);
      });
      socket.on('end', () => {
        if (conn) conn.onTcpEnd();
        else fail('server closed the connection during the handshake');
      });
      socket.on('connect', () => {
        const lines = [
          `GET ${path} HTTP/1.1`,
          `Host: ${host}:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${key}`,
          'Sec-WebSocket-Version: 13',
          ...headers,
        ];
        socket.write(lines.join('\r\n') + '\r\n\r\n');
      });
      socket.on('data', (chunk) => {
        if (conn) {
          conn.reader.push(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 65536) fail('response head over 64 KiB');
          return;
        }
        const text = head.subarray(0, end).toString('latin1');
        const rest = head.subarray(end + 4);
        const [statusLine, ...headerLines] = text.split('\r\n');
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine + ' ');
        const hdrs = {};
        for (const line of headerLines) {
          const i = line.indexOf(':');
          if (i > 0) hdrs[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const status = m ? Number(m[1]) : 0;
        if (status !== 101) return fail(`expected 101, got: ${statusLine}`);
        const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
        if ((hdrs.upgrade || '').toLowerCase() !== 'websocket') return fail('101 without Upgrade: websocket');
        if (!/(^|,)\s*upgrade\s*(,|$)/i.test(hdrs.connection || '')) return fail('101 without Connection: Upgrade');
        if (hdrs['sec-websocket-accept'] !== accept) return fail('wrong Sec-WebSocket-Accept');
        clearTimeout(timer);
        conn = new Connection(socket, Number(process.hrtime.bigint() / 1000n) / 1000);
        conn.handshake = { status, headers: hdrs, head: text };
        resolve(conn);
        if (rest.length > 0) conn.reader.push(rest);
      });
    });
  }

  // ---- state a case may look at ----

  // Autobahn's STATE_OPEN: no close frame sent or received and TCP up.
  isOpen() {
    return this.clientCloseAt === null && this.serverClose === null && this.tcp === null;
  }

  tcpOpen() {
    return this.tcp === null && !this.socket.destroyed;
  }

  // Records one of the case's own checkpoints (Autobahn's ("timeout", name) events).
  mark(name) {
    this.events.push(['timeout', name]);
    this.changed();
  }

  note(text) {
    this.notes.push(text);
  }

  // ---- sending ----

  // Sends `bytes` the way Autobahn's client does. Plain sends are buffered and written together
  // on the next event loop turn (Twisted's transport.write), so frames a case sends back to back
  // leave in one TCP write ("in one chop"). sync: the buffer and these bytes are written now and
  // the event loop turns before the next send (Autobahn's sync = True: frame-wise chops). chop:
  // written in pieces of that size, each its own write (and TCP segment, given TCP_NODELAY), the
  // event loop turning in between. Once the server's close frame has arrived nothing but the
  // close reply is sent (RFC 6455 5.5.1): a case that is still writing stops there, and reading
  // always gets a turn before the next write, so the close frame is read before a write could
  // meet the server's reset.
  async send(bytes, { chop = 0, sync = false, reply = false } = {}) {
    if (!this.mayWrite(reply)) return;
    if (!sync && (!chop || chop >= bytes.length)) {
      this.pending.push({ bytes, reply });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      return;
    }
    await this.flush();
    if (!chop || chop >= bytes.length) {
      await this.write(bytes, reply);
      await sleep(1);
      return;
    }
    for (let i = 0; i < bytes.length; i += chop) {
      if (!(await this.write(bytes.subarray(i, i + chop), reply))) return;
      await tick();
    }
  }

  mayWrite(reply) {
    return this.tcpOpen() && (reply || this.serverClose === null);
  }

  // Writes what plain sends buffered (only close replies once the server's close has arrived).
  flush() {
    this.flushScheduled = false;
    const items = this.pending.filter((p) => this.mayWrite(p.reply));
    this.pending = [];
    if (items.length === 0) return Promise.resolve(true);
    return this.write(Buffer.concat(items.map((p) => p.bytes)), items.every((p) => p.reply));
  }

  write(bytes, reply = false) {
    if (!this.mayWrite(reply)) return Promise.resolve(false);
    if (!reply) this.lastSendAt = this.now();
    return new Promise((resolve) => {
      this.socket.write(bytes, (err) => resolve(!err));
    });
  }

  // Sends one frame (see frames.encodeFrame for opts; chop/sync as in send()).
  sendFrame(opts, how = {}) {
    return this.send(encodeFrame(opts), how);
  }

  // Starts (or answers) the closing handshake the way an endpoint does: a close frame with
  // `code` (null: empty payload) and `reason`, after which nothing else is sent.
  sendClose(code = 1000, reason = undefined, how = {}) {
    return this.sendCloseRaw(closePayload(code, reason), how);
  }

  // A protocol-level close with an arbitrary payload (e.g. 1 byte, or a bad reason).
  sendCloseRaw(payload, how = {}) {
    if (this.clientCloseAt !== null) return Promise.resolve();
    this.clientCloseAt = this.now();
    if (this.closedBy === null) this.closedBy = 'client';
    if (this.serverClose !== null) this.handshakeDoneAt = this.clientCloseAt;
    return this.send(encodeFrame({ op: OP.CLOSE, payload }), { ...how, reply: true });
  }

  // Drops TCP from the client side (only the runner does this, when the server never closes).
  kill() {
    if (this.tcp === null) this.tcp = { at: this.now(), by: 'client', how: 'killed' };
    this.socket.destroy();
    this.changed();
  }

  // ---- waiting ----

  // Resolves true once pred() holds, false after timeoutMs.
  waitUntil(pred, timeoutMs) {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        check: () => {
          if (!pred()) return;
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(pred());
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  changed() {
    for (const w of [...this.waiters]) w.check();
  }

  // ---- receiving ----

  // Records what the server did wrong and, like a conforming client, fails the connection: a
  // close frame with `code` (unless a close was already sent or received), so that the case ends
  // without waiting for a timeout.
  violation(text, code = 1002) {
    this.violations.push(text);
    if (this.clientCloseAt === null && this.serverClose === null) this.sendClose(code);
  }

  onFrame(f) {
    const at = this.now();
    if (this.serverClose !== null) this.violation(`frame (opcode ${f.op}) after the server's close frame`);
    if (f.masked) this.violation('server frame is masked');
    if (f.rsv !== 0) this.violation(`server frame has RSV bits ${f.rsv}`);
    if (!f.minimal) this.violation('server frame length is not minimally encoded');
    if (f.op >= 8) {
      if (!f.fin) this.violation('fragmented control frame from the server');
      if (f.payload.length > 125) this.violation('control frame from the server over 125 bytes');
    }
    switch (f.op) {
      case OP.PING:
        this.events.push(['ping', f.payload]);
        if (this.clientCloseAt === null) this.sendFrame({ op: OP.PONG, payload: f.payload });
        break;
      case OP.PONG:
        this.events.push(['pong', f.payload]);
        break;
      case OP.CLOSE:
        this.onServerClose(f.payload, at);
        break;
      case OP.TEXT:
      case OP.BINARY:
        if (this.msg !== null) this.violation('new data frame inside a fragmented server message');
        this.msg = { op: f.op, parts: [f.payload] };
        if (f.fin) this.finishMessage();
        break;
      case OP.CONT:
        if (this.msg === null) {
          this.violation('continuation frame from the server outside a message');
          break;
        }
        this.msg.parts.push(f.payload);
        if (f.fin) this.finishMessage();
        break;
      default:
        this.violation(`reserved opcode ${f.op} from the server`);
    }
    this.changed();
  }

  finishMessage() {
    const { op, parts } = this.msg;
    this.msg = null;
    const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.events.push(['message', payload, op === OP.BINARY]);
    if (op === OP.TEXT && !isValidUtf8(payload)) this.violation('server text message is not valid UTF-8', 1007);
  }

  onServerClose(payload, at) {
    if (this.serverClose !== null) return;
    let code = null;
    let reason = Buffer.alloc(0);
    const problems = [];
    if (payload.length === 1) problems.push('server close frame with a 1-byte payload');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      reason = payload.subarray(2);
      if (!isValidWireCode(code)) problems.push(`server close code ${code} may not be sent`);
      if (!isValidUtf8(reason)) problems.push('server close reason is not valid UTF-8');
    }
    this.serverClose = { code, reason, at };
    if (this.closedBy === null) {
      this.closedBy = 'server';
      this.sendClose(1000); // the reply completes the handshake
    } else {
      this.handshakeDoneAt = at;
    }
    for (const p of problems) this.violation(p);
  }

  onTcpEnd() {
    if (this.tcp === null) this.tcp = { at: this.now(), by: 'server', how: 'fin' };
    this.changed();
  }

  onSocketError(e) {
    if (this.tcp === null) {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        this.tcp = { at: this.now(), by: 'server', how: 'reset' };
      } else {
        this.tcp = { at: this.now(), by: 'server', how: `error ${e.code || e.message}` };
      }
    }
    this.changed();
  }
}

module.exports = { Connection, HandshakeError, isValidUtf8, sleep };
