// The console's only link to omnisync: GraphQL over POST /graphql, subscriptions over /graphql/ws
// (graphql-transport-ws). The token lives in this tab's sessionStorage and nowhere else.

const TOKEN_KEY = 'omnisync.token';

export function storedToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    return null;
  }
}

export function storeToken(token) {
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch (e) {
    // Storage refused (private mode): the session lasts as long as the page.
  }
  memoryToken = token;
}

export function forgetToken() {
  try {
    window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // Nothing stored.
  }
  memoryToken = null;
  closeSocket();
}

let memoryToken = storedToken();

// Who is signed in: filled from `viewer` after sign-in. scope null = not known (treated as allowed; the server
// still refuses what the token may not do).
export const session = { name: null, scope: null, id: null };
const RANK = { READ: 1, WRITE: 2, ADMIN: 3 };
export const canWrite = () => session.scope === null || RANK[session.scope] >= 2;
export const isAdmin = () => session.scope === null || session.scope === 'ADMIN';

// Listeners told when the server says the token is no longer good (revoked meanwhile): the app signs out.
const unauthListeners = new Set();
export function onUnauthenticated(fn) {
  unauthListeners.add(fn);
  return () => unauthListeners.delete(fn);
}

/** A failed request: HTTP status (0 for network), and the GraphQL `errors` list (never empty). */
export class GqlError extends Error {
  constructor(errors, status, data) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.status = status;
    this.data = data || null;
  }
  get unauthenticated() {
    return this.status === 401 || this.errors.some((e) => e.extensions && e.extensions.code === 'UNAUTHENTICATED');
  }
}

/** Runs a query or mutation; resolves with `data`, rejects with GqlError (network, HTTP or GraphQL errors). */
export async function gql(query, variables = {}, token = memoryToken) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new GqlError([{ message: String(e.message || e), extensions: { code: 'NETWORK' } }], 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  if (!body || (!body.data && !body.errors)) {
    throw new GqlError([{ message: 'HTTP ' + res.status, extensions: { code: 'HTTP' } }], res.status);
  }
  if (body.errors && body.errors.length) {
    const err = new GqlError(body.errors, res.status, body.data);
    if (err.unauthenticated && token === memoryToken) unauthListeners.forEach((fn) => fn(err));
    throw err;
  }
  return body.data;
}

/**
 * Checks a token over the WebSocket (connection_init → connection_ack, or close 4403) before any HTTP request:
 * a refused token then leaves no failed request in the browser's console. Resolves true (accepted), false
 * (refused) or null (could not tell: the caller falls back to HTTP).
 */
export function probeToken(token) {
  return new Promise((resolve) => {
    let ws;
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        ws.close(1000, 'probe');
      } catch (e) {
        // Already closed.
      }
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), 5000);
    try {
      ws = new WebSocket(wsUrl(), 'graphql-transport-ws');
    } catch (e) {
      finish(null);
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: 'Bearer ' + token } }));
    ws.onmessage = (ev) => {
      try {
        if (JSON.parse(ev.data).type === 'connection_ack') finish(true);
      } catch (e) {
        finish(null);
      }
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => finish(ev.code === 4403 || ev.code === 4401 ? false : null);
  });
}

/** Runs a mutation and returns its payload (the one root field), userErrors included. */
export async function mutate(query, variables) {
  const data = await gql(query, variables);
  return data[Object.keys(data)[0]];
}

// ---------------------------------------------------------------------------------------------------------------
// A small graphql-transport-ws client: one socket for every subscription, opened on first use, re-opened with
// backoff if it drops (active subscriptions are sent again), closed on sign-out.

let socket = null; // { ws, acked, closing }
let retries = 0;
let nextId = 1;
const subs = new Map(); // id -> { payload, sink, sent }

function wsUrl() {
  const url = new URL('/graphql/ws', window.location.href);
  url.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function send(msg) {
  if (socket && socket.ws.readyState === WebSocket.OPEN) socket.ws.send(JSON.stringify(msg));
}

function openSocket() {
  if (socket || !memoryToken) return;
  const ws = new WebSocket(wsUrl(), 'graphql-transport-ws');
  const me = { ws, acked: false, closing: false };
  socket = me;
  ws.onopen = () => send({ type: 'connection_init', payload: { Authorization: 'Bearer ' + memoryToken } });
  ws.onmessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    const sub = msg.id && subs.get(msg.id);
    switch (msg.type) {
      case 'connection_ack':
        me.acked = true;
        retries = 0;
        for (const [id, s] of subs) {
          send({ id, type: 'subscribe', payload: s.payload });
          s.sent = true;
        }
        break;
      case 'ping':
        send({ type: 'pong' });
        break;
      case 'next':
        if (sub) {
          if (msg.payload && msg.payload.errors && msg.payload.errors.length) sub.sink.error(new GqlError(msg.payload.errors, 200));
          else sub.sink.next(msg.payload.data);
        }
        break;
      case 'error':
        if (sub) {
          subs.delete(msg.id);
          sub.sink.error(new GqlError(Array.isArray(msg.payload) ? msg.payload : [{ message: 'subscription error' }], 200));
        }
        break;
      case 'complete':
        if (sub) {
          subs.delete(msg.id);
          sub.sink.complete && sub.sink.complete();
        }
        break;
      default:
        break;
    }
  };
  ws.onerror = () => {
    // The close event follows and decides; nothing to log (the console must stay clean).
  };
  ws.onclose = (ev) => {
    if (socket === me) socket = null;
    if (me.closing) return;
    for (const s of subs.values()) s.sent = false;
    if (ev.code === 4403 || ev.code === 4401) {
      // The token was refused: every subscription fails and the app signs out.
      const err = new GqlError([{ message: ev.reason || 'Forbidden', extensions: { code: 'UNAUTHENTICATED' } }], 401);
      for (const [id, s] of subs) {
        subs.delete(id);
        s.sink.error(err);
      }
      unauthListeners.forEach((fn) => fn(err));
      return;
    }
    if (subs.size === 0) return;
    // Lost: try again, slower each time (0.5 s … 15 s); a connection_ack resets the pace.
    const delay = Math.min(15000, 500 * 2 ** retries);
    retries += 1;
    setTimeout(() => {
      if (!socket && subs.size > 0) openSocket();
    }, delay);
  };
}

function closeSocket() {
  for (const [id, s] of subs) {
    subs.delete(id);
    s.sink.complete && s.sink.complete();
  }
  if (socket) {
    socket.closing = true;
    try {
      socket.ws.close(1000, 'bye');
    } catch (e) {
      // Already closed.
    }
    socket = null;
  }
}

/**
 * Subscribes; sink = { next(data), error(GqlError), complete() }. Returns a function that stops it.
 * The socket closes a little after the last subscription ends, so page changes reuse it.
 */
export function subscribe(query, variables, sink) {
  const id = String(nextId++);
  const s = { payload: { query, variables }, sink, sent: false };
  subs.set(id, s);
  if (socket && socket.acked) {
    send({ id, type: 'subscribe', payload: s.payload });
    s.sent = true;
  } else {
    openSocket();
  }
  return () => {
    if (!subs.has(id)) return;
    subs.delete(id);
    if (s.sent) send({ id, type: 'complete' });
    if (subs.size === 0) {
      setTimeout(() => {
        if (subs.size === 0 && socket) {
          socket.closing = true;
          try {
            socket.ws.close(1000, 'idle');
          } catch (e) {
            // Already closed.
          }
          socket = null;
        }
      }, 5000);
    }
  };
}
