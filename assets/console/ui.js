// Shared pieces: hooks over the API, routing helpers, formatting, and the small components every screen uses.
import { html, useState, useEffect, useRef, useCallback } from '/console/vendor/htm-preact-standalone-3.1.1.module.js';
import { gql, subscribe } from '/console/api.js';
import { t, lang, enumLabel } from '/console/i18n.js';

export { html, useState, useEffect, useRef, useCallback };

// --- routing: #/<path>?<params> ---------------------------------------------------------------------------------

export function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  return { path: path || 'overview', params: Object.fromEntries(new URLSearchParams(query || '')) };
}

export function href(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v);
  const qs = q.toString();
  return '#/' + path + (qs ? '?' + qs : '');
}

export function go(path, params) {
  window.location.hash = href(path, params);
}

// --- data hooks -------------------------------------------------------------------------------------------------

/**
 * Runs a query when `key` changes (key = JSON of what the query depends on). Keeps the last data while reloading,
 * so lists do not flash. Returns { data, error, loading, reload }.
 */
export function useQuery(query, variables, enabled = true) {
  const key = JSON.stringify(variables) + (enabled ? '' : '#off');
  const [state, setState] = useState({ data: null, error: null, loading: enabled });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!enabled) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    gql(query, variables).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ data: error.data || s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [query, key, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** Subscribes while mounted (and while `variables` stay the same); calls onData with each payload's data. */
export function useSubscription(query, variables, onData, enabled = true, onError) {
  const cb = useRef(onData);
  cb.current = onData;
  const eb = useRef(onError);
  eb.current = onError;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (!enabled) return undefined;
    return subscribe(query, variables, {
      next: (d) => cb.current(d),
      error: (e) => eb.current && eb.current(e),
      complete: () => {},
    });
  }, [query, key, enabled]);
}

/**
 * Follows a sync run live (subscription `syncRun`), starting from the run a mutation returned.
 * Returns the run as it is now (null before one is given) and a setter to start following another.
 */
export const RUN_FIELDS = 'id kind status total processed succeeded failed skipped errorMessage createdAt finishedAt channel { id name }';
export function useRun(onFinish) {
  const [run, setRun] = useState(null);
  const fin = useRef(onFinish);
  fin.current = onFinish;
  const id = run && run.id;
  const active = !!run && (run.status === 'CREATED' || run.status === 'RUNNING');
  useSubscription(
    `subscription Run($id: ID!) { syncRun(id: $id) { ${RUN_FIELDS} } }`,
    { id },
    (d) => {
      setRun(d.syncRun);
      if (!['CREATED', 'RUNNING'].includes(d.syncRun.status) && fin.current) fin.current(d.syncRun);
    },
    active,
  );
  return [run, setRun];
}

// --- formatting ---------------------------------------------------------------------------------------------------

export function fmtMoney(m) {
  if (!m) return '—';
  const n = Number(m.amount);
  try {
    return new Intl.NumberFormat(lang() === 'vi' ? 'vi-VN' : 'en-US', { style: 'currency', currency: m.currencyCode }).format(n);
  } catch (e) {
    return m.amount + ' ' + m.currencyCode;
  }
}

export function fmtNum(n) {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(lang() === 'vi' ? 'vi-VN' : 'en-US').format(n);
}

export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  return new Intl.DateTimeFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

export const pathOf = (field) => (field ? field.join('.') : '');

// --- components ---------------------------------------------------------------------------------------------------

/** The errors of a failed request (network, HTTP, GraphQL), shown as they came. */
export function ErrorBox({ error }) {
  if (!error) return null;
  const list = error.errors || [{ message: String(error.message || error) }];
  return html`<div class="banner error" role="alert" data-testid="request-error">
    <strong>${t('error.request')}</strong>
    <ul>${list.map((e) => html`<li>${e.message}${e.extensions && e.extensions.code ? html` <code>${e.extensions.code}</code>` : ''}</li>`)}</ul>
  </div>`;
}

/** A userError attached to a form field (field path joined by '.'). */
export function FieldError({ errors, field }) {
  const mine = (errors || []).filter((e) => pathOf(e.field) === field);
  if (!mine.length) return null;
  return html`${mine.map((e) => html`<span class="field-error" role="alert" data-testid="field-error" data-field=${field} data-code=${e.code}>${e.message}</span>`)}`;
}

/** The userErrors no field of the form shows (no field, or a field the form does not have). */
export function UserErrors({ errors, fields = [] }) {
  const rest = (errors || []).filter((e) => !e.field || !fields.includes(pathOf(e.field)));
  if (!rest.length) return null;
  return html`<div class="banner error" role="alert" data-testid="user-errors">
    <ul>${rest.map((e) => html`<li data-testid="field-error" data-field=${pathOf(e.field)} data-code=${e.code}>${e.message} <code>${e.code}</code></li>`)}</ul>
  </div>`;
}

export function Notice({ kind = 'ok', children }) {
  return html`<div class=${'banner ' + kind} role="status">${children}</div>`;
}

/**
 * Runs one mutation for a form: tracks busy, userErrors and request errors. `run(vars)` resolves with the payload
 * when it succeeded (no userErrors), else null.
 */
export function useMutation(query) {
  const [state, setState] = useState({ busy: false, userErrors: [], error: null });
  const run = useCallback(
    async (variables) => {
      setState({ busy: true, userErrors: [], error: null });
      try {
        const data = await gql(query, variables);
        const payload = data[Object.keys(data)[0]];
        const ue = (payload && payload.userErrors) || [];
        setState({ busy: false, userErrors: ue, error: null });
        return ue.length ? null : payload;
      } catch (error) {
        setState({ busy: false, userErrors: [], error });
        return null;
      }
    },
    [query],
  );
  const reset = useCallback(() => setState({ busy: false, userErrors: [], error: null }), []);
  return { ...state, run, reset };
}

/** Cursor pagination over a Relay connection: keeps the cursors of the pages before, for "previous". */
export function usePager(resetKey) {
  // The cursors belong to the list they were taken from: a new resetKey (filter) starts at page 1 at once, so no
  // request goes out with a cursor of another list.
  const [state, setState] = useState({ key: resetKey, stack: [] });
  const stack = state.key === resetKey ? state.stack : [];
  const after = stack.length ? stack[stack.length - 1] : null;
  return {
    after,
    page: stack.length + 1,
    next: (cursor) => setState({ key: resetKey, stack: [...stack, cursor] }),
    prev: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

export function Pager({ pager, pageInfo, total }) {
  if (!pageInfo) return null;
  return html`<nav class="pager" aria-label=${t('pager.label')}>
    <button type="button" data-testid="page-prev" disabled=${pager.page <= 1} onClick=${() => pager.prev()}>‹ ${t('pager.prev')}</button>
    <span>${t('pager.page', { n: pager.page })}${total !== undefined ? ' · ' + t('pager.total', { n: fmtNum(total) }) : ''}</span>
    <button type="button" data-testid="page-next" disabled=${!pageInfo.hasNextPage} onClick=${() => pager.next(pageInfo.endCursor)}>${t('pager.next')} ›</button>
  </nav>`;
}

/**
 * A modal confirmation (<dialog>, so focus stays inside and Escape closes it). children explain the
 * consequence; onConfirm runs the action.
 */
export function Dialog({ title, open, onClose, children, testid = 'dialog' }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`<dialog ref=${ref} class="dialog" data-testid=${testid} onClose=${() => open && onClose()} aria-labelledby=${testid + '-title'}>
    ${open ? html`<h2 id=${testid + '-title'}>${title}</h2>${children}` : ''}
  </dialog>`;
}

export function Confirm({ open, title, children, confirmLabel, danger, busy, onConfirm, onClose, testid = 'confirm' }) {
  return html`<${Dialog} open=${open} title=${title} onClose=${onClose} testid=${testid}>
    <div class="dialog-body">${children}</div>
    <div class="actions">
      <button type="button" onClick=${onClose} data-testid="confirm-cancel">${t('common.cancel')}</button>
      <button type="button" class=${danger ? 'danger' : 'primary'} disabled=${busy} onClick=${onConfirm} data-testid="confirm-ok">${confirmLabel}</button>
    </div>
  <//>`;
}

/** A run's progress bar (testid run-progress) with its counters. */
export function RunProgress({ run }) {
  if (!run) return null;
  const total = run.total || 0;
  const done = run.processed || 0;
  return html`<div class="run" data-testid="run-progress" data-status=${run.status} data-done=${done} data-total=${total} data-id=${run.id}>
    <div class="run-head">
      <span>${enumLabel('SyncRunKind', run.kind)}</span>
      <span class=${'pill ' + run.status.toLowerCase()}>${enumLabel('SyncRunStatus', run.status)}</span>
    </div>
    <progress max=${Math.max(total, 1)} value=${total ? done : run.status === 'COMPLETED' ? 1 : 0} aria-label=${t('run.progress')}></progress>
    <div class="run-counts">
      ${t('run.counts', { done: fmtNum(done), total: fmtNum(total), ok: fmtNum(run.succeeded), failed: fmtNum(run.failed), skipped: fmtNum(run.skipped) })}
    </div>
    ${run.errorMessage ? html`<div class="banner error">${run.errorMessage}</div>` : ''}
  </div>`;
}

export function Pill({ value, type }) {
  return html`<span class=${'pill ' + String(value).toLowerCase()}>${enumLabel(type, value)}</span>`;
}

export function Loading({ when }) {
  return when ? html`<p class="muted" aria-live="polite">${t('common.loading')}</p>` : null;
}

/** The channels, for selects: loaded once per screen. */
export const CHANNELS_QUERY = `query Channels { channels(first: 100) { nodes { id kind name status country currencyCode cancelReasons { code label } } } }`;
export function useChannels() {
  const q = useQuery(CHANNELS_QUERY, {});
  return { channels: (q.data && q.data.channels.nodes) || [], error: q.error, loading: q.loading };
}

export const WAREHOUSES_QUERY = `query Warehouses { warehouses(first: 100) { nodes { id name code isDefault } } }`;
export function useWarehouses() {
  const q = useQuery(WAREHOUSES_QUERY, {});
  return { warehouses: (q.data && q.data.warehouses.nodes) || [], error: q.error, reload: q.reload };
}

export function ChannelSelect({ channels, value, onChange, id = 'channel', all = false, label }) {
  return html`<label class="field" for=${id}>
    <span>${label || t('common.channel')}</span>
    <select id=${id} value=${value || ''} onChange=${(e) => onChange(e.target.value)} data-testid="channel-select">
      ${all ? html`<option value="">${t('common.allChannels')}</option>` : html`<option value="" disabled>${t('common.choose')}</option>`}
      ${channels.map((c) => html`<option value=${c.id}>${c.name} (${enumLabel('ChannelKind', c.kind)})</option>`)}
    </select>
  </label>`;
}

export function Empty({ children }) {
  return html`<p class="empty muted">${children || t('common.empty')}</p>`;
}
