// The verdict for one case, judged the way Autobahn|Testsuite judges a server, strictly.
//
// Pure: a case definition and a finished Connection record in, { verdict, detail, summary }
// out. Verdicts use Autobahn's names. Only OK passes; NON-STRICT (the events match an alternative
// Autobahn tolerates, e.g. a UTF-8 failure only at the end of the message) is reported and fails
// the run. The rules, in order (the first that fails decides):
//   1. the opening handshake succeeded and the case script ran (FAILED);
//   2. the server sent nothing RFC 6455 forbids: masked frames, RSV bits, bad opcodes or
//      fragmentation, invalid UTF-8 in a text message or close reason, a close code that may not
//      be sent, any frame after its close frame (FAILED);
//   3. the events (messages, pongs, pings, timeout marks) equal the expected list exactly, in
//      order, byte for byte (else NON-STRICT when they equal a tolerated alternative, else FAILED);
//   4. the closing handshake was started by the expected side (FAILED), the server sent a close
//      frame (UNCLEAN: no close frame) with an allowed code (WRONG CODE; null in `codes` means an
//      empty close payload is allowed);
//   5. the server, not the client, closed TCP (FAILED BY CLIENT), within 1 s after the closing
//      handshake completed (UNCLEAN);
//   6. a connection the server had to fail was failed within 1 s of the last byte sent (FAILED);
//   7. the case's own extra check, if any (FAILED).
'use strict';

const TCP_CLOSE_LIMIT_MS = 1000;
const FAIL_LIMIT_MS = 1000;

function eventsEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length || x[0] !== y[0]) return false;
    for (let j = 1; j < x.length; j++) {
      if (Buffer.isBuffer(x[j]) || Buffer.isBuffer(y[j])) {
        if (!Buffer.isBuffer(x[j]) || !Buffer.isBuffer(y[j]) || !x[j].equals(y[j])) return false;
      } else if (x[j] !== y[j]) {
        return false;
      }
    }
  }
  return true;
}

function preview(buf) {
  if (buf.length <= 24) {
    const s = buf.toString('latin1');
    return /^[\x20-\x7e]*$/.test(s) ? JSON.stringify(s) : `0x${buf.toString('hex')}`;
  }
  return `${buf.length}B`;
}

function describeEvent(e) {
  switch (e[0]) {
    case 'message':
      return `${e[2] ? 'binary' : 'text'} ${preview(e[1])}`;
    case 'pong':
    case 'ping':
      return `${e[0]} ${preview(e[1])}`;
    case 'timeout':
      return `timeout ${e[1]}`;
    default:
      return e.join(' ');
  }
}

function describeEvents(list) {
  if (list.length > 6) {
    return `[${list.slice(0, 3).map(describeEvent).join(', ')}, ... ${list.length} events]`;
  }
  return `[${list.map(describeEvent).join(', ')}]`;
}

function describeCode(code) {
  return code === null ? 'empty' : String(code);
}

// One line: what the server did.
function summarize(c) {
  const parts = [`rx ${describeEvents(c.events)}`];
  const sc = c.serverClose;
  const serverClose = sc
    ? `server close ${describeCode(sc.code)}${sc.reason.length ? ` "${sc.reason.toString('utf8').slice(0, 60)}"` : ''}`
    : 'no server close';
  if (c.closedBy === 'client') parts.push(`client close -> ${serverClose}`);
  else if (c.closedBy === 'server') parts.push(`${serverClose} -> client reply`);
  else parts.push(serverClose);
  if (c.tcp) {
    const from = c.handshakeDoneAt !== null ? c.handshakeDoneAt : c.lastSendAt;
    const label = c.handshakeDoneAt !== null ? 'after handshake' : 'after last send';
    const who = c.tcp.by === 'server' ? `server closed TCP (${c.tcp.how})` : 'client had to drop TCP';
    parts.push(`${who} ${Math.max(0, Math.round(c.tcp.at - from))} ms ${label}`);
  }
  return parts.join('; ');
}

function judge(def, c, setupError) {
  if (setupError) return { verdict: 'FAILED', detail: setupError, summary: '' };
  const summary = summarize(c);
  const fail = (verdict, detail) => ({ verdict, detail, summary });
  if (c.notes.length) return fail('FAILED', c.notes.join('; '));
  if (c.violations.length) return fail('FAILED', `server violated RFC 6455: ${c.violations.join('; ')}`);

  let eventsVerdict = 'OK';
  let eventsDetail = '';
  if (!eventsEqual(c.events, def.expect)) {
    const alt = (def.nonStrict || []).some((e) => eventsEqual(c.events, e));
    if (!alt) {
      return fail('FAILED', `events ${describeEvents(c.events)}, expected ${describeEvents(def.expect)}`);
    }
    eventsVerdict = 'NON-STRICT';
    eventsDetail = `events ${describeEvents(c.events)} match only a tolerated alternative; strict is ${describeEvents(def.expect)}`;
  }

  const want = def.close;
  if (c.closedBy !== want.by) {
    return fail('FAILED', `closing handshake started by ${c.closedBy || 'nobody'}, expected the ${want.by}`);
  }
  if (c.serverClose === null) return fail('UNCLEAN', 'the server sent no close frame');
  if (!want.codes.includes(c.serverClose.code)) {
    return fail('WRONG CODE', `server close code ${describeCode(c.serverClose.code)}, expected ${want.codes.map(describeCode).join(' or ')}`);
  }
  if (c.tcp === null || c.tcp.by !== 'server') {
    return fail('FAILED BY CLIENT', 'the server did not close the TCP connection; the client had to drop it');
  }
  if (c.handshakeDoneAt === null) return fail('UNCLEAN', 'the closing handshake did not complete');
  const lag = c.tcp.at - c.handshakeDoneAt;
  if (lag > TCP_CLOSE_LIMIT_MS) {
    return fail('UNCLEAN', `server closed TCP ${Math.round(lag)} ms after the closing handshake (limit ${TCP_CLOSE_LIMIT_MS} ms)`);
  }
  if (want.by === 'server' && c.serverClose.at - c.lastSendAt > FAIL_LIMIT_MS) {
    return fail('FAILED', `server failed the connection ${Math.round(c.serverClose.at - c.lastSendAt)} ms after the last byte sent (limit ${FAIL_LIMIT_MS} ms)`);
  }
  if (def.check) {
    const problem = def.check(c);
    if (problem) return fail('FAILED', problem);
  }
  return { verdict: eventsVerdict, detail: eventsDetail, summary };
}

module.exports = { judge, eventsEqual, describeEvents };
