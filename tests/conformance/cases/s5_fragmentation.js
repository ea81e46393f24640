// Section 5, Fragmentation: fragmented text messages are reassembled and echoed; control frames
// may come between fragments and are answered at once; fragmented control frames, continuations
// with nothing to continue and a new data frame inside a message fail the connection (1002).
// Each sequence is sent in one write, frame-wise (sync) or octet-wise (chop 1).
'use strict';

const { OP, message, pong, sleep, NORMAL, FAIL_PROTOCOL } = require('./common');

const F1 = 'fragment1';
const F2 = 'fragment2';

// Sends `frames` (frame options) in one go, frame by frame (sync) or octet-wise (chop).
function sender(frames, how) {
  return async (c) => {
    for (const f of frames) await c.sendFrame(f, how);
  };
}

const CHOPS = [
  ['in one chop', {}],
  ['in frame-wise chops', { sync: true }],
  ['in octet-wise chops', { chop: 1 }],
];

// One case per way of chopping (ids start at `first`).
function chopped(first, descOf, frames, rest) {
  return CHOPS.map(([how, opts], i) => ({
    id: `5.${first + i}`,
    desc: `${descOf}, sent ${how}.`,
    run: sender(frames, opts),
    ...rest,
  }));
}

function pingPong(op, id) {
  const name = op === OP.PING ? 'Ping' : 'Pong';
  return {
    id,
    desc: `Send ${name} fragmented into 2 fragments: control frames must not be fragmented.`,
    run: sender([{ op, fin: false, payload: F1 }, { op: OP.CONT, payload: F2 }], {}),
    expect: [],
    close: FAIL_PROTOCOL,
  };
}

function unexpectedContinuation(fin) {
  return [{ op: OP.CONT, fin, payload: 'non-continuation payload' }, { op: OP.TEXT, payload: 'Hello, world!' }];
}

function twoBadRounds(firstFin) {
  const frames = [];
  for (let i = 0; i < 2; i++) {
    frames.push({ op: OP.CONT, fin: firstFin, payload: F1 });
    frames.push({ op: OP.TEXT, fin: false, payload: F2 });
    frames.push({ op: OP.CONT, fin: true, payload: 'fragment3' });
  }
  return frames;
}

// 5.19/5.20: fragments and pings with a 1 s pause in the middle of the message.
function pausedMessage(id, how) {
  const frags = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
  const pings = ['pongme 1!', 'pongme 2!'];
  return {
    id,
    desc: `Fragmented text message with a ping after 2 fragments, a 1 s pause, 2 more fragments, another ping and the last fragment${how.sync ? ', frame-wise chops' : ''}: both pings are answered at once, then the message is echoed.`,
    run: async (c) => {
      await c.sendFrame({ op: OP.TEXT, fin: false, payload: frags[0] }, how);
      await c.sendFrame({ op: OP.CONT, fin: false, payload: frags[1] }, how);
      await c.sendFrame({ op: OP.PING, payload: pings[0] }, how);
      // The pause; the first pong must arrive in it, before the rest of the message is sent.
      const start = Date.now();
      if (!(await c.waitUntil(() => c.events.length > 0, 1000))) {
        c.note('the first ping was not answered during the 1 s pause');
      }
      await sleep(Math.max(0, 1000 - (Date.now() - start)));
      await c.sendFrame({ op: OP.CONT, fin: false, payload: frags[2] }, how);
      await c.sendFrame({ op: OP.CONT, fin: false, payload: frags[3] }, how);
      await c.sendFrame({ op: OP.PING, payload: pings[1] }, how);
      await c.sendFrame({ op: OP.CONT, fin: true, payload: frags[4] }, how);
    },
    expect: [pong(pings[0]), pong(pings[1]), message(frags.join(''))],
    close: NORMAL,
  };
}

const cases = [
  pingPong(OP.PING, '5.1'),
  pingPong(OP.PONG, '5.2'),
  ...chopped(3, 'Send text message fragmented into 2 fragments',
    [{ op: OP.TEXT, fin: false, payload: F1 }, { op: OP.CONT, payload: F2 }],
    { expect: [message(F1 + F2)], close: NORMAL }),
  ...chopped(6, 'Send text message fragmented into 2 fragments, one ping with payload in-between',
    [{ op: OP.TEXT, fin: false, payload: F1 }, { op: OP.PING, payload: 'ping payload' }, { op: OP.CONT, payload: F2 }],
    { expect: [pong('ping payload'), message(F1 + F2)], close: NORMAL }),
  ...chopped(9, 'Send continuation frame with FIN = true where there is nothing to continue, then a text message',
    unexpectedContinuation(true), { expect: [], close: FAIL_PROTOCOL }),
  ...chopped(12, 'Send continuation frame with FIN = false where there is nothing to continue, then a text message',
    unexpectedContinuation(false), { expect: [], close: FAIL_PROTOCOL }),
  {
    id: '5.15',
    desc: 'Send text message fragmented into 2 fragments, then continuation frame with FIN = false where there is nothing to continue, then a text message, in one chop: the first message is echoed, then the connection is failed.',
    run: sender([
      { op: OP.TEXT, fin: false, payload: F1 },
      { op: OP.CONT, fin: true, payload: F2 },
      { op: OP.CONT, fin: false, payload: 'fragment3' },
      { op: OP.TEXT, fin: true, payload: 'fragment4' },
    ], {}),
    expect: [message(F1 + F2)],
    nonStrict: [[]],
    close: FAIL_PROTOCOL,
  },
  {
    id: '5.16',
    desc: 'Repeated 2x: continuation frame with FIN = false (nothing to continue), then text message fragmented into 2 fragments.',
    run: sender(twoBadRounds(false), {}),
    expect: [],
    close: FAIL_PROTOCOL,
  },
  {
    id: '5.17',
    desc: 'Repeated 2x: continuation frame with FIN = true (nothing to continue), then text message fragmented into 2 fragments.',
    run: sender(twoBadRounds(true), {}),
    expect: [],
    close: FAIL_PROTOCOL,
  },
  {
    id: '5.18',
    desc: 'Send text message fragmented into 2 fragments, both frames with opcode text, in one chop.',
    run: sender([{ op: OP.TEXT, fin: false, payload: F1 }, { op: OP.TEXT, fin: true, payload: F2 }], {}),
    expect: [],
    close: FAIL_PROTOCOL,
  },
  pausedMessage('5.19', {}),
  pausedMessage('5.20', { sync: true }),
];

module.exports = { section: '5', title: 'Fragmentation', cases };
