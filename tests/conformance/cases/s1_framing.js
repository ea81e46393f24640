// Section 1, Framing: text (1.1) and binary (1.2) messages at every payload length boundary of
// the 7-bit, 16-bit and 64-bit length encodings, the last one also sent in 997-byte TCP writes.
'use strict';

const { OP, repeat, message, NORMAL } = require('./common');

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

function lengthCases(sub, op, pattern, kind) {
  const cases = LENGTHS.map((len, i) => ({
    id: `1.${sub}.${i + 1}`,
    desc: `Send ${kind} message with payload of length ${len}.`,
    run: (c) => c.sendFrame({ op, payload: repeat(pattern, len) }),
    expect: [message(repeat(pattern, len), op === OP.BINARY)],
    close: NORMAL,
  }));
  cases.push({
    id: `1.${sub}.8`,
    desc: `Send ${kind} message with payload of length 65536, sent out in chops of 997 octets.`,
    run: (c) => c.sendFrame({ op, payload: repeat(pattern, 65536) }, { chop: 997 }),
    expect: [message(repeat(pattern, 65536), op === OP.BINARY)],
    close: NORMAL,
  });
  return cases;
}

module.exports = {
  section: '1',
  title: 'Framing',
  cases: [...lengthCases(1, OP.TEXT, '*', 'text'), ...lengthCases(2, OP.BINARY, Buffer.from([0xfe]), 'binary')],
};
