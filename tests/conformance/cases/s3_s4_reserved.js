// Sections 3 (Reserved Bits) and 4 (Opcodes): no extension is negotiated, so any RSV bit and any
// reserved opcode (3-7 non-control, 11-15 control) fails the connection with 1002 at once. When
// a valid message precedes the bad frame, its echo must come first; a ping after the bad frame
// must not be answered (Autobahn's NON-STRICT tolerates losing the first echo).
'use strict';

const { OP, hex, message, FAIL_PROTOCOL } = require('./common');

const HELLO = 'Hello, world!';

// A valid text message, the bad frame, then a ping.
function echoThenBad(id, desc, bad, how = {}) {
  return {
    id,
    desc,
    run: async (c) => {
      await c.sendFrame({ op: OP.TEXT, payload: HELLO }, how);
      await c.sendFrame(bad, how);
      await c.sendFrame({ op: OP.PING }, how);
    },
    expect: [message(HELLO)],
    nonStrict: [[]],
    close: FAIL_PROTOCOL,
  };
}

function badAlone(id, desc, bad) {
  return { id, desc, run: (c) => c.sendFrame(bad), expect: [], close: FAIL_PROTOCOL };
}

const section3 = [
  badAlone('3.1', 'Send small text message with RSV = 1.', { op: OP.TEXT, payload: HELLO, rsv: 1 }),
  echoThenBad('3.2', 'Send small text message, then again with RSV = 2, then ping.',
    { op: OP.TEXT, payload: HELLO, rsv: 2 }),
  echoThenBad('3.3', 'Send small text message, then again with RSV = 3, then ping; frame-wise chops.',
    { op: OP.TEXT, payload: HELLO, rsv: 3 }, { sync: true }),
  echoThenBad('3.4', 'Send small text message, then again with RSV = 4, then ping; octet-wise chops.',
    { op: OP.TEXT, payload: HELLO, rsv: 4 }, { chop: 1 }),
  badAlone('3.5', 'Send small binary message with RSV = 5.',
    { op: OP.BINARY, payload: hex('00fffefdfcfb00ff'), rsv: 5 }),
  badAlone('3.6', 'Send ping with RSV = 6.', { op: OP.PING, payload: HELLO, rsv: 6 }),
  badAlone('3.7', 'Send close with RSV = 7 (a raw frame: the server must fail, not close normally).',
    { op: OP.CLOSE, rsv: 7 }),
];

const section4 = [
  badAlone('4.1.1', 'Send frame with reserved non-control opcode 3.', { op: 3 }),
  badAlone('4.1.2', 'Send frame with reserved non-control opcode 4 and non-empty payload.',
    { op: 4, payload: 'reserved opcode payload' }),
  echoThenBad('4.1.3', 'Send small text message, then frame with reserved non-control opcode 5, then ping.',
    { op: 5 }),
  echoThenBad('4.1.4', 'Send small text message, then frame with reserved non-control opcode 6 and payload, then ping.',
    { op: 6, payload: HELLO }),
  echoThenBad('4.1.5', 'Send small text message, then frame with reserved non-control opcode 7 and payload, then ping; octet-wise chops.',
    { op: 7, payload: HELLO }, { chop: 1 }),
  badAlone('4.2.1', 'Send frame with reserved control opcode 11.', { op: 11 }),
  badAlone('4.2.2', 'Send frame with reserved control opcode 12 and non-empty payload.',
    { op: 12, payload: 'reserved opcode payload' }),
  echoThenBad('4.2.3', 'Send small text message, then frame with reserved control opcode 13, then ping.',
    { op: 13 }),
  echoThenBad('4.2.4', 'Send small text message, then frame with reserved control opcode 14 and payload, then ping.',
    { op: 14, payload: HELLO }),
  echoThenBad('4.2.5', 'Send small text message, then frame with reserved control opcode 15 and payload, then ping; octet-wise chops.',
    { op: 15, payload: HELLO }, { chop: 1 }),
];

module.exports = [
  { section: '3', title: 'Reserved Bits', cases: section3 },
  { section: '4', title: 'Opcodes', cases: section4 },
];
