// Sections 9 (Limits/Performance) and 10 (Misc): large messages up to 16 MiB (9.1, 9.2), a 4 MiB
// message in fragments of 64 bytes to 4 MiB (9.3, 9.4), a 1 MiB message in TCP writes of 64 to
// 2048 bytes (9.5, 9.6), 1000 round trips at sizes 0 to 4096 (9.7, 9.8), and a 64 KiB message in
// 1300-byte fragments (10.1.1). Echoes are compared byte for byte (Autobahn compares lengths).
// The 8 and 16 MiB messages (9.1.5, 9.1.6, 9.2.5, 9.2.6) are `big`: they run only with --big
// (RINGCAST_CONFORMANCE_BIG=1), one at a time after the rest. The server must allow 16 MiB
// messages and 65536 fragments (9.3.1: 4 MiB in 64-byte fragments).
'use strict';

const { OP, repeat, message, NORMAL, fragmentFrames } = require('./common');

const MiB = 1024 * 1024;
const KiB = 1024;
const TEXT_PATTERN = 'BAsd7&jh23';
const BINARY_PATTERN = Buffer.from([0x00, 0xfe, 0x23, 0xfa, 0xf0]);
const SLOW = { closeAfterMs: 60000, timeoutMs: 120000 };

function sizeLabel(n) {
  if (n >= MiB) return `${n / MiB}M`;
  if (n >= KiB) return `${n / KiB}k`;
  return String(n);
}

function bigMessages(sub, op) {
  const kind = op === OP.TEXT ? 'text' : 'binary';
  const pattern = op === OP.TEXT ? TEXT_PATTERN : BINARY_PATTERN;
  return [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].map((len, i) => ({
    id: `9.${sub}.${i + 1}`,
    desc: `Send ${kind} message with payload of length ${sizeLabel(len)}.`,
    big: len > 4 * MiB,
    run: (c) => c.sendFrame({ op, payload: repeat(pattern, len) }),
    expect: [message(repeat(pattern, len), op === OP.BINARY)],
    close: NORMAL,
    ...SLOW,
  }));
}

function fragmented(sub, op) {
  const kind = op === OP.TEXT ? 'text' : 'binary';
  const len = 4 * MiB;
  return [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((size, i) => ({
    id: `9.${sub}.${i + 1}`,
    desc: `Send fragmented ${kind} message with payload of length 4M in fragments of ${sizeLabel(size)}.`,
    run: (c) => c.send(Buffer.concat(fragmentFrames(op, repeat('*', len), size))),
    expect: [message(repeat('*', len), op === OP.BINARY)],
    close: NORMAL,
    ...SLOW,
  }));
}

function chopped(sub, op) {
  const kind = op === OP.TEXT ? 'text' : 'binary';
  const pattern = op === OP.TEXT ? TEXT_PATTERN : BINARY_PATTERN;
  return [64, 128, 256, 512, 1024, 2048].map((chop, i) => ({
    id: `9.${sub}.${i + 1}`,
    desc: `Send ${kind} message with payload of length 1M in TCP writes of ${chop} octets.`,
    run: (c) => c.sendFrame({ op, payload: repeat(pattern, MiB) }, { chop }),
    expect: [message(repeat(pattern, MiB), op === OP.BINARY)],
    close: NORMAL,
    ...SLOW,
  }));
}

function roundTrips(sub, op) {
  const kind = op === OP.TEXT ? 'text' : 'binary';
  const pattern = op === OP.TEXT ? '*' : Buffer.from([0xfe]);
  const COUNT = 1000;
  return [0, 16, 64, 256, 1024, 4096].map((len, i) => {
    const payload = repeat(pattern, len);
    return {
      id: `9.${sub}.${i + 1}`,
      desc: `Send ${COUNT} ${kind} messages of payload size ${len}, each after the echo of the previous one.`,
      run: async (c) => {
        for (let n = 1; n <= COUNT; n++) {
          await c.sendFrame({ op, payload });
          if (!(await c.waitUntil(() => c.events.length >= n || !c.isOpen(), 10000))) return;
          if (!c.isOpen()) return;
        }
      },
      expect: Array.from({ length: COUNT }, () => message(payload, op === OP.BINARY)),
      close: NORMAL,
      ...SLOW,
    };
  });
}

const section9 = [
  ...bigMessages(1, OP.TEXT),
  ...bigMessages(2, OP.BINARY),
  ...fragmented(3, OP.TEXT),
  ...fragmented(4, OP.BINARY),
  ...chopped(5, OP.TEXT),
  ...chopped(6, OP.BINARY),
  ...roundTrips(7, OP.TEXT),
  ...roundTrips(8, OP.BINARY),
];

const section10 = [
  {
    id: '10.1.1',
    desc: 'Send text message with payload of length 65536, auto-fragmented in frames of 1300 octets (51 frames).',
    run: (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, repeat('*', 65536), 1300))),
    expect: [message(repeat('*', 65536))],
    close: NORMAL,
  },
];

module.exports = [
  { section: '9', title: 'Limits/Performance', cases: section9 },
  { section: '10', title: 'Misc (auto-fragmentation)', cases: section10 },
];
