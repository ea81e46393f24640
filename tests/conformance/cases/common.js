// Shorthands shared by the case files.
//
// A case is a plain object: { id, desc, run: async (conn) => sends, expect: [events],
// nonStrict?: [[events]...], close: { by, codes }, utf8?, big?, server?, headers?, check?,
// closeAfterMs?, killAfterMs?, quietMs?, timeoutMs? } (runner.js and judge.js say what each field
// does). Events are Autobahn's: ['message', Buffer, isBinary], ['pong', Buffer],
// ['ping', Buffer], ['timeout', name]. `utf8: true` marks a case whose verdict depends on the
// server validating UTF-8: the self-test expects exactly these to fail against a build without
// validation. Case files must not keep state between runs of a case.
'use strict';

const { OP, toBuffer, repeat, encodeFrame } = require('../lib/frames');
const { sleep } = require('../lib/connection');

const hex = (h) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const message = (payload, binary = false) => ['message', toBuffer(payload), binary];
const pong = (payload) => ['pong', toBuffer(payload)];
const timeout = (name) => ['timeout', name];

// Expected closing behaviour.
const NORMAL = { by: 'client', codes: [1000] }; // we close with 1000, the server echoes it
const FAIL_PROTOCOL = { by: 'server', codes: [1002] }; // the server fails the connection
const FAIL_UTF8 = { by: 'server', codes: [1007] };
const FAIL_TOO_BIG = { by: 'server', codes: [1009] };

// Frames of one message: `payload` split into fragments of `size` bytes (Autobahn's
// fragmentSize / payload_frag_size); an empty payload is one empty frame.
function fragmentFrames(op, payload, size) {
  const body = toBuffer(payload);
  if (body.length === 0) return [encodeFrame({ op, payload: body })];
  const frames = [];
  for (let i = 0; i < body.length; i += size) {
    const last = i + size >= body.length;
    frames.push(encodeFrame({ op: i === 0 ? op : OP.CONT, fin: last, payload: body.subarray(i, i + size) }));
  }
  return frames;
}

module.exports = {
  OP, toBuffer, repeat, encodeFrame, sleep, hex, message, pong, timeout,
  NORMAL, FAIL_PROTOCOL, FAIL_UTF8, FAIL_TOO_BIG, fragmentFrames,
};
