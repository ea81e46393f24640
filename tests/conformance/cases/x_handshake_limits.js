// ringcast's own cases beyond Autobahn's sections:
//   X (handshake and extensions): a permessage-deflate offer is declined cleanly (the 101 carries
//     no Sec-WebSocket-Extensions, frames stay uncompressed) and a compressed (RSV1) frame sent
//     anyway fails with 1002; offered subprotocols are not selected.
//     X.5: the close must not lose output the kernel has not sent yet when late client bytes
//     arrive (RFC 6455 7.1.1: discard trailing bytes); the server's lingering close covers it.
//   L (limits): run against a second server started with --max-ws-message-bytes 1000,
//     --max-ws-fragments 10 and --handshake-timeout-ms 300 (runner env 'limits'): a message of
//     exactly the limit is echoed, one byte more fails with 1009 as soon as the frame header
//     announces it; the fragment limit counts data frames only (pings in between do not count);
//     handshake_timeout_ms bounds the HTTP request only, never an upgraded connection.
'use strict';

const zlib = require('node:zlib');
const { OP, repeat, message, pong, timeout, encodeFrame, sleep, NORMAL, FAIL_PROTOCOL, FAIL_TOO_BIG,
  fragmentFrames } = require('./common');

const LIMIT_BYTES = 1000;
const LIMIT_FRAGMENTS = 10;
const HANDSHAKE_TIMEOUT_MS = 300;
const LIMITS_ARGS = ['--max-ws-message-bytes', String(LIMIT_BYTES), '--max-ws-fragments', String(LIMIT_FRAGMENTS),
  '--handshake-timeout-ms', String(HANDSHAKE_TIMEOUT_MS)];
const BIG = repeat('BAsd7&jh23', 256 * 1024);

const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits';

function noHeader(name) {
  return (c) => (c.handshake.headers[name] !== undefined
    ? `the 101 answered ${name}: ${c.handshake.headers[name]}` : null);
}

const handshake = [
  {
    id: 'X.1',
    desc: 'Offer permessage-deflate: the server declines (no Sec-WebSocket-Extensions in the 101) and echoes an uncompressed message uncompressed.',
    headers: [DEFLATE_OFFER],
    run: (c) => c.sendFrame({ op: OP.TEXT, payload: 'Hello, permessage-deflate!' }),
    expect: [message('Hello, permessage-deflate!')],
    close: NORMAL,
    check: noHeader('sec-websocket-extensions'),
  },
  {
    id: 'X.2',
    desc: 'Offer permessage-deflate, then send a deflate-compressed message with RSV1 set anyway: the extension was not agreed, so the connection fails with 1002.',
    headers: [DEFLATE_OFFER],
    run: (c) => {
      const deflated = zlib.deflateRawSync(Buffer.from('Hello, compressed world!'), { flush: zlib.constants.Z_SYNC_FLUSH });
      return c.sendFrame({ op: OP.TEXT, rsv: 4, payload: deflated.subarray(0, deflated.length - 4) });
    },
    expect: [],
    close: FAIL_PROTOCOL,
    check: noHeader('sec-websocket-extensions'),
  },
  {
    id: 'X.3',
    desc: 'Offer several extensions (permessage-deflate with parameters, x-webkit-deflate-frame): none is accepted; messages still echo.',
    headers: ['Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10, x-webkit-deflate-frame'],
    run: (c) => c.sendFrame({ op: OP.BINARY, payload: Buffer.from([1, 2, 3]) }),
    expect: [message(Buffer.from([1, 2, 3]), true)],
    close: NORMAL,
    check: noHeader('sec-websocket-extensions'),
  },
  {
    id: 'X.4',
    desc: 'Offer subprotocols (chat, superchat): the server selects none, so the 101 carries no Sec-WebSocket-Protocol.',
    headers: ['Sec-WebSocket-Protocol: chat, superchat'],
    run: (c) => c.sendFrame({ op: OP.TEXT, payload: 'no subprotocol' }),
    expect: [message('no subprotocol')],
    close: NORMAL,
    check: noHeader('sec-websocket-protocol'),
  },
  {
    id: 'X.5',
    desc: 'Stop reading; send a 256 KiB message and a close frame; 200 ms later (in another TCP write) a ping; then read: the whole echo and the close echo must arrive, the late ping being discarded, not answered with a reset that drops unsent output.',
    run: async (c) => {
      c.socket.pause();
      await c.sendFrame({ op: OP.TEXT, payload: BIG }, { sync: true });
      await c.sendClose(1000, undefined, { sync: true });
      await sleep(200);
      await c.sendFrame({ op: OP.PING, payload: 'late' }, { sync: true });
      await sleep(100);
      c.socket.resume();
    },
    expect: [message(BIG)],
    close: NORMAL,
    timeoutMs: 20000,
  },
];

const limited = (def) => ({ server: 'limits', ...def });

const limits = [
  limited({
    id: 'L.1',
    desc: `Text message of exactly max_ws_message_bytes (${LIMIT_BYTES}) bytes: echoed.`,
    run: (c) => c.sendFrame({ op: OP.TEXT, payload: repeat('*', LIMIT_BYTES) }),
    expect: [message(repeat('*', LIMIT_BYTES))],
    close: NORMAL,
  }),
  limited({
    id: 'L.2',
    desc: `Text message of max_ws_message_bytes + 1 bytes: the connection fails with 1009.`,
    run: (c) => c.sendFrame({ op: OP.TEXT, payload: repeat('*', LIMIT_BYTES + 1) }),
    expect: [],
    close: FAIL_TOO_BIG,
  }),
  limited({
    id: 'L.3',
    desc: 'Binary message of max_ws_message_bytes + 1 bytes: 1009.',
    run: (c) => c.sendFrame({ op: OP.BINARY, payload: repeat(Buffer.from([0xfe]), LIMIT_BYTES + 1) }),
    expect: [],
    close: FAIL_TOO_BIG,
  }),
  limited({
    id: 'L.4',
    desc: 'A 2000-byte frame: only its header and 10 payload bytes are sent, then a 1 s wait: the server fails with 1009 on the header, without waiting for the payload.',
    run: async (c) => {
      const frame = encodeFrame({ op: OP.BINARY, payload: repeat(Buffer.from([1]), 2000) });
      await c.send(frame.subarray(0, 18));
      await c.waitUntil(() => !c.isOpen(), 1000);
      if (!c.isOpen()) return;
      c.mark('A');
      await c.send(frame.subarray(18));
    },
    expect: [],
    nonStrict: [[timeout('A')]],
    close: FAIL_TOO_BIG,
  }),
  limited({
    id: 'L.5',
    desc: `Text message in 3 fragments of 400 bytes: fails with 1009 when the third fragment's header takes it over ${LIMIT_BYTES}.`,
    run: (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, repeat('*', 1200), 400))),
    expect: [],
    close: FAIL_TOO_BIG,
  }),
  limited({
    id: 'L.6',
    desc: `Text message in exactly max_ws_fragments (${LIMIT_FRAGMENTS}) fragments: echoed.`,
    run: (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, repeat('*', 100 * LIMIT_FRAGMENTS), 100))),
    expect: [message(repeat('*', 100 * LIMIT_FRAGMENTS))],
    close: NORMAL,
  }),
  limited({
    id: 'L.7',
    desc: `Text message in max_ws_fragments + 1 fragments of 1 byte: 1009.`,
    run: (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, repeat('*', LIMIT_FRAGMENTS + 1), 1))),
    expect: [],
    close: FAIL_TOO_BIG,
  }),
  limited({
    id: 'L.8',
    desc: `Text message in ${LIMIT_FRAGMENTS} fragments with a ping after each of the first 9: control frames do not count as fragments; 9 pongs, then the echo.`,
    run: async (c) => {
      const frames = fragmentFrames(OP.TEXT, repeat('*', 100 * LIMIT_FRAGMENTS), 100);
      const bytes = [];
      frames.forEach((f, i) => {
        bytes.push(f);
        if (i < frames.length - 1) bytes.push(encodeFrame({ op: OP.PING, payload: `ping ${i}` }));
      });
      await c.send(Buffer.concat(bytes));
    },
    expect: [
      ...Array.from({ length: LIMIT_FRAGMENTS - 1 }, (_, i) => pong(`ping ${i}`)),
      message(repeat('*', 100 * LIMIT_FRAGMENTS)),
    ],
    close: NORMAL,
  }),
  limited({
    id: 'L.9',
    desc: `Idle for 2 x handshake_timeout_ms (${HANDSHAKE_TIMEOUT_MS} ms) after the upgrade, then a message: still echoed, then a clean close (the HTTP handshake timer must not cut an upgraded connection).`,
    run: async (c) => {
      await sleep(2 * HANDSHAKE_TIMEOUT_MS);
      await c.sendFrame({ op: OP.TEXT, payload: 'still here' });
    },
    expect: [message('still here')],
    close: NORMAL,
  }),
];

module.exports = [
  { section: 'X', title: 'Handshake and extensions (ringcast)', cases: handshake },
  { section: 'L', title: 'Limits (ringcast)', cases: limits },
];
module.exports.LIMITS_ARGS = LIMITS_ARGS;
