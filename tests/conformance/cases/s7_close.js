// Section 7, Close Handling, all client-initiated: the server echoes a valid close code (an empty
// close with an empty close), ignores everything after the close frame it received (data,
// pings, a second close), and answers a malformed close frame (1-byte payload, payload over 125
// bytes, a reason that is not UTF-8, a code that may not be sent) with 1002 (1007 for the
// reason). In every case the server closes TCP within 1 s after the closing handshake.
'use strict';

const { OP, encodeFrame, repeat, hex, message, NORMAL } = require('./common');

const clientClose = (codes) => ({ by: 'client', codes });

// 7.3, 7.5, 7.7, 7.9, 7.13: the case sends one close frame and nothing else.
function closeCase(id, desc, send, codes, extra = {}) {
  return { id, desc, run: send, expect: [], close: clientClose(codes), ...extra };
}

const INVALID_REASON = hex('cebae1bdb9cf83cebcceb5eda080656469746564');
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
const BIG = repeat('BAsd7&jh23', 256 * 1024);

const cases = [
  {
    id: '7.1.1',
    desc: 'Send a message followed by a close frame: the echo, then a clean close with the normal code.',
    run: (c) => c.sendFrame({ op: OP.TEXT, payload: 'Hello World!' }),
    expect: [message('Hello World!')],
    close: NORMAL,
  },
  closeCase('7.1.2', 'Send two close frames: the second is ignored.', async (c) => {
    await c.sendClose(1000);
    await c.sendFrame({ op: OP.CLOSE });
  }, [1000]),
  closeCase('7.1.3', 'Send a ping after the close frame: no pong.', async (c) => {
    await c.sendClose(1000);
    await c.sendFrame({ op: OP.PING });
  }, [1000]),
  closeCase('7.1.4', 'Send a text message after the close frame: it is ignored.', async (c) => {
    await c.sendClose(1000);
    await c.sendFrame({ op: OP.TEXT, payload: 'Hello World!' });
  }, [1000]),
  closeCase('7.1.5', 'Send message fragment 1, then the close frame, then fragment 2: the message is never delivered.', async (c) => {
    await c.sendFrame({ op: OP.TEXT, fin: false, payload: 'fragment1' });
    await c.sendClose(1000);
    await c.sendFrame({ op: OP.CONT, payload: 'fragment2' });
  }, [1000]),
  {
    id: '7.1.6',
    desc: 'Send a 256 KiB message, a small message, the close frame and a ping back to back: both messages are echoed before the close (Autobahn reports this one as informational; judged strictly here).',
    run: async (c) => {
      await c.send(Buffer.concat([
        encodeFrame({ op: OP.TEXT, payload: BIG }),
        encodeFrame({ op: OP.TEXT, payload: 'Hello World!' }),
      ]));
      await c.sendClose(1000);
      await c.sendFrame({ op: OP.PING });
    },
    expect: [message(BIG), message('Hello World!')],
    close: clientClose([1000]),
  },
  closeCase('7.3.1', 'Send a close frame with payload length 0 (no code, no reason): an empty or normal close back.',
    (c) => c.sendClose(null), [null, 1000]),
  closeCase('7.3.2', 'Send a close frame with payload length 1: protocol error.',
    (c) => c.sendCloseRaw(Buffer.from('a')), [1002]),
  closeCase('7.3.3', 'Send a close frame with payload length 2 (code 1000, no reason).', (c) => c.sendClose(1000), [1000]),
  closeCase('7.3.4', 'Send a close frame with close code and close reason.',
    (c) => c.sendClose(1000, 'Hello World!'), [1000]),
  closeCase('7.3.5', 'Send a close frame with close code and a close reason of maximum length (123).',
    (c) => c.sendClose(1000, repeat('*', 123)), [1000]),
  closeCase('7.3.6', 'Send a close frame with close code and a close reason which is too long (124): payload 126 octets, protocol error.',
    (c) => c.sendClose(1000, repeat('*', 124)), [1002]),
  closeCase('7.5.1', 'Send a close frame with a close reason that is not valid UTF-8.',
    (c) => c.sendClose(1000, INVALID_REASON), [1002, 1007], { utf8: true }),
  ...VALID_CODES.map((code, i) => closeCase(`7.7.${i + 1}`, `Send close with valid close code ${code}: echoed (or 1000).`,
    (c) => c.sendClose(code), [1000, code])),
  ...INVALID_CODES.map((code, i) => closeCase(`7.9.${i + 1}`, `Send close with invalid close code ${code}: protocol error.`,
    (c) => c.sendClose(code), [1002])),
  closeCase('7.13.1', 'Send close with close code 5000 (outside every range; Autobahn: informational): protocol error.',
    (c) => c.sendClose(5000), [1002]),
  closeCase('7.13.2', 'Send close with close code 65535 (Autobahn: informational): protocol error.',
    (c) => c.sendClose(65535), [1002]),
];

module.exports = { section: '7', title: 'Close Handling', cases };
