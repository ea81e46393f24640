// Section 2, Pings/Pongs: every ping is answered with a pong carrying its payload (also when the
// ping arrives one byte per TCP write), control payloads over 125 bytes fail the connection, and
// unsolicited pongs are ignored.
'use strict';

const { OP, repeat, hex, pong, NORMAL, FAIL_PROTOCOL } = require('./common');

function pingCase(id, desc, payload, how = {}) {
  return {
    id,
    desc,
    run: (c) => c.sendFrame({ op: OP.PING, payload }, how),
    expect: [pong(payload)],
    close: NORMAL,
  };
}

function tenPings(id, desc, how) {
  const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
  return {
    id,
    desc,
    run: async (c) => {
      for (const p of payloads) await c.sendFrame({ op: OP.PING, payload: p }, how);
    },
    expect: payloads.map(pong),
    close: NORMAL,
  };
}

module.exports = {
  section: '2',
  title: 'Pings/Pongs',
  cases: [
    pingCase('2.1', 'Send ping without payload.', ''),
    pingCase('2.2', 'Send ping with small text payload.', 'Hello, world!'),
    pingCase('2.3', 'Send ping with small binary (non UTF-8) payload.', hex('00fffefdfcfb00ff')),
    pingCase('2.4', 'Send ping with binary payload of 125 octets.', repeat(Buffer.from([0xfe]), 125)),
    {
      id: '2.5',
      desc: 'Send ping with binary payload of 126 octets: the connection is failed (1002), control frames carry at most 125.',
      run: (c) => c.sendFrame({ op: OP.PING, payload: repeat(Buffer.from([0xfe]), 126) }),
      expect: [],
      close: FAIL_PROTOCOL,
    },
    pingCase('2.6', 'Send ping with binary payload of 125 octets, sent in octet-wise chops.',
      repeat(Buffer.from([0xfe]), 125), { chop: 1 }),
    {
      id: '2.7',
      desc: 'Send unsolicited pong without payload, then close: nothing is received.',
      run: async (c) => {
        await c.sendFrame({ op: OP.PONG });
        await c.sendClose(1000);
      },
      expect: [],
      close: NORMAL,
    },
    {
      id: '2.8',
      desc: 'Send unsolicited pong with payload, then close: nothing is received.',
      run: async (c) => {
        await c.sendFrame({ op: OP.PONG, payload: 'unsolicited pong payload' });
        await c.sendClose(1000);
      },
      expect: [],
      close: NORMAL,
    },
    {
      id: '2.9',
      desc: 'Send unsolicited pong with payload, then ping with payload: only the ping is answered.',
      run: async (c) => {
        await c.sendFrame({ op: OP.PONG, payload: 'unsolicited pong payload' });
        await c.sendFrame({ op: OP.PING, payload: 'ping payload' });
      },
      expect: [pong('ping payload')],
      close: NORMAL,
    },
    tenPings('2.10', 'Send 10 pings with payload: 10 pongs with the payloads, in order.', {}),
    tenPings('2.11', 'Send 10 pings with payload, sent in octet-wise chops.', { chop: 1 }),
  ],
};
