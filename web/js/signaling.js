// @ts-check
// The live session's signalling: the only module that knows Socket.IO (signaling/PROTOCOL.md).
//
// One connection to the namespace /live per page. The session cookie authenticates; staff name
// the session in `auth`. Every client→server event goes through `call`, which resolves with the
// server's ack ({ok: true, …}) or rejects with a SignalingError carrying the ack's error code.
// Socket.IO reconnects by itself after a network loss; listeners of 'reconnect' are told so
// that media can be started again (the server closes a participant's peer when the socket drops).

import { io } from 'socket.io-client';

const NAMESPACE = '/live';
const ACK_TIMEOUT_MS = 10_000;

export class SignalingError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {any[]} [fields]
   * @param {string | null} [reason]
   * @param {any} [missing]
   */
  constructor(code, message, fields = [], reason = null, missing = null) {
    super(message || code);
    this.name = 'SignalingError';
    this.code = code;
    this.fields = fields;
    /** A machine-readable cause some refusals carry (e.g. no_key, consent_missing). */
    this.reason = reason;
    /** For consent_missing: the names of those who have not consented. */
    this.missing = missing;
  }
}

/**
 * Connection lifecycle events emitted besides the protocol's own:
 * - 'connect' {first: bool}: the namespace is joined (first time or again after a loss);
 * - 'reconnect': joined again after a loss (after 'connect');
 * - 'disconnect' {reason, willReconnect}: the connection is gone;
 * - 'reconnecting' {attempt}: Socket.IO is trying again;
 * - 'refused' {code, reason, message}: the server refused the connection (no automatic retry);
 *   reason is its machine-readable cause where it gives one (not_assigned).
 */
export class Signaling {
  /** @param {{sessionId?: string | null}} [options] */
  constructor({ sessionId = null } = {}) {
    this.listeners = new Map();
    this.connectedOnce = false;
    this.closed = false;
    this.restartAfterMs = 0;
    this.retryTimer = null;
    /** The `revision` of the newest `participants` received on this connection. */
    this.revision = -1;
    this.socket = io(NAMESPACE, {
      // WebSocket first; long-polling if a proxy refuses WebSockets.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: true,
      auth: sessionId ? { session_id: sessionId } : {},
      // ?session=<id> on every request of the connection: deploy/nginx routes by it, so that everyone
      // in one session reaches the process that carries its media.
      query: sessionId ? { session: sessionId } : {},
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10_000,
      autoConnect: false,
    });
    const s = this.socket;
    s.on('connect', () => {
      const first = !this.connectedOnce;
      this.connectedOnce = true;
      this.emitLocal('connect', { first });
      if (!first) this.emitLocal('reconnect', {});
    });
    // The server is stopping (PROTOCOL.md, "Restarts"): it closes this connection next; come back
    // after the delay it gives, to another process or to it restarted. Our place is kept meanwhile.
    s.on('restarting', (payload) => {
      this.restartAfterMs = Math.max(500, Math.min(10_000, Number(payload && payload.retry_after_ms) || 1500));
    });
    s.on('disconnect', (reason) => {
      this.revision = -1; // a room opened anew counts from 0 again
      // "io server disconnect" (removed, replaced, ended) and "io client disconnect" are final,
      // except after "restarting".
      if (!this.closed && reason === 'io server disconnect' && this.restartAfterMs) {
        this.emitLocal('disconnect', { reason, willReconnect: true });
        this.emitLocal('reconnecting', { attempt: 1 });
        this.retryLater(this.restartAfterMs);
        this.restartAfterMs = 0;
        return;
      }
      const willReconnect = !this.closed && reason !== 'io server disconnect' && reason !== 'io client disconnect';
      this.emitLocal('disconnect', { reason, willReconnect });
    });
    s.on('connect_error', (err) => {
      const data = err && /** @type {Error & {data?: any}} */ (err).data; // the server's refusal (next(err) with data)
      if (data && data.code === 'restarting') {
        // Reached a process that is itself stopping: try again shortly.
        this.emitLocal('reconnecting', { attempt: 1 });
        this.retryLater(2000);
      } else if (data && data.code) {
        // The server refused us (not authenticated, removed, locked, ended…): Socket.IO does not retry.
        this.emitLocal('refused', { code: data.code, reason: data.reason || null, message: err.message });
      } else if (!s.active) {
        this.emitLocal('refused', { code: 'network_error', message: (err && err.message) || 'connection failed' });
      }
    });
    s.io.on('reconnect_attempt', (attempt) => this.emitLocal('reconnecting', { attempt }));
    s.onAny((event, payload) => {
      // A room's views can arrive out of order (PROTOCOL.md, `participants`): an older one that comes
      // after a newer one would show a state that no longer holds, e.g. a switch just turned on as off.
      if (event === 'participants' && payload && typeof payload.revision === 'number') {
        if (payload.revision < this.revision) return;
        this.revision = payload.revision;
      }
      this.emitLocal(event, payload);
    });
  }

  retryLater(ms) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, ms);
  }

  /** Open the connection (listeners should be in place first). */
  connect() {
    this.closed = false;
    this.socket.connect();
    return this;
  }

  get connected() {
    return this.socket.connected;
  }

  /** Subscribe to a server event or a lifecycle event; returns an unsubscribe function. */
  on(event, fn) {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  emitLocal(event, payload) {
    for (const fn of [...(this.listeners.get(event) || [])]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`listener of ${event} failed`, err);
      }
    }
  }

  /**
   * Send `event` with exactly one payload object and wait for its ack.
   * Resolves with the ack when ok; rejects with SignalingError otherwise ('disconnected' when
   * there is no connection, 'timeout' when no ack came).
   */
  async call(event, payload = {}, timeoutMs = ACK_TIMEOUT_MS) {
    if (!this.socket.connected) throw new SignalingError('disconnected', 'not connected');
    let ack;
    try {
      ack = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new SignalingError('timeout', `no answer to ${event}`);
    }
    if (ack && ack.ok) return ack;
    const e = (ack && ack.error) || {};
    throw new SignalingError(e.code || 'internal_error', e.message, e.fields || [], e.reason || null, e.missing || null);
  }

  /** Close for good (leaving the session, or after removed/replaced/ended). */
  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }
}

export function connectLive(options) {
  return new Signaling(options);
}
