// Lỗi đồng bộ: one inbox of product and order sync errors, filtered; dismiss one, a selection or everything the
// filter matches; each error links to what fixes it (the link tab, the order, the channel).
import {
  html, useState, useEffect, useRef, useQuery, useMutation, usePager, useSubscription, useChannels, go, href, fmtNum, fmtDate,
  ErrorBox, UserErrors, Pager, Confirm, Loading, ChannelSelect, Empty, Notice,
} from '/console/ui.js';
import { canWrite } from '/console/api.js';
import { t, enumLabel, ENUMS } from '/console/i18n.js';

const ERRORS = `query SyncErrors($filter: SyncErrorFilterInput, $after: String) {
  syncErrors(first: 25, after: $after, filter: $filter, sortKey: LAST_SEEN_AT, reverse: true) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id kind code message occurrences firstSeenAt lastSeenAt resolvedAt dismissedAt
      channel { id name }
      variant { id title sku barcode product { id title } }
      listing { id sellerSku title }
      order { id number } }
  }
}`;
const DISMISS = `mutation Dismiss($ids: [ID!], $filter: SyncErrorFilterInput) { syncErrorsDismiss(ids: $ids, filter: $filter) { dismissedCount userErrors { field code message } } }`;

const LINK_CODES = ['NO_MATCH_KEY', 'NOT_FOUND_ON_CHANNEL', 'DUPLICATE_IN_PRODUCT', 'CONFLICT_ACROSS_PRODUCTS', 'OPTION_MISMATCH', 'PRICE_ABOVE_LIST_PRICE', 'VARIANT_DELETED', 'LISTING_EXCLUDED', 'DUPLICATE_ON_CHANNEL'];

// Where the merchant fixes an error.
function fixLink(e) {
  if (e.order) return [href('orders', { id: e.order.id }), t('errors.fixOrder', { n: e.order.number })];
  if (e.kind === 'PRODUCT' && e.channel) {
    const q = (e.variant && (e.variant.barcode || e.variant.sku)) || (e.listing && e.listing.sellerSku) || (e.variant && e.variant.product && e.variant.product.title) || '';
    if (e.code === 'STOCK_PUSH_FAILED' || e.code === 'STOCK_DRIFT' || e.code === 'QUANTITY_NOT_TRACKED') {
      if (e.variant) return [href('stock', { variant: e.variant.id, channel: e.channel.id }), t('errors.fixStock')];
      return [href('products', { channel: e.channel.id, tab: 'sync-error', q }), t('errors.fixLink')];
    }
    const tab = LINK_CODES.includes(e.code) ? 'link-error' : 'all';
    return [href('products', { channel: e.channel.id, tab, q }), t('errors.fixLink')];
  }
  if (e.channel) return [href('channels', { id: e.channel.id }), t('errors.fixChannel')];
  return null;
}

export function Errors({ params }) {
  const { channels } = useChannels();
  const filter = {};
  if (params.channel) filter.channelId = params.channel;
  if (params.kind) filter.kind = params.kind;
  if (params.code) filter.code = params.code;
  if (params.q) filter.search = params.q;
  if (params.resolved === '1') filter.includeResolved = true;
  if (params.dismissed === '1') filter.includeDismissed = true;
  const setFilter = (patch) => go('errors', { ...params, ...patch });
  const [draft, setDraft] = useState(params.q || '');
  useEffect(() => setDraft(params.q || ''), [params.q]);
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery(ERRORS, { filter, after: pager.after });
  const nodes = (q.data && q.data.syncErrors.nodes) || [];
  const [selected, setSelected] = useState(new Set());
  useEffect(() => setSelected(new Set()), [JSON.stringify(filter), pager.after]);
  const dismiss = useMutation(DISMISS);
  const [confirmAll, setConfirmAll] = useState(false);
  const [notice, setNotice] = useState(null);
  const timer = useRef(null);
  // New errors of the shown channel arrive live.
  useSubscription(`subscription ErrLive($c: ID!) { channelEvents(channelId: $c, kinds: [SYNC_ERROR_RAISED, SYNC_ERROR_CLEARED]) { kind } }`, { c: params.channel }, () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => q.reload(), 800);
  }, !!params.channel);
  useEffect(() => () => clearTimeout(timer.current), []);

  async function doDismiss(vars) {
    setNotice(null);
    const p = await dismiss.run(vars);
    if (p) {
      setNotice(t('errors.dismissed', { n: p.dismissedCount }));
      setSelected(new Set());
      setConfirmAll(false);
      q.reload();
    }
  }
  const toggle = (id) => setSelected((s) => {
    const n = new Set(s);
    n.has(id) ? n.delete(id) : n.add(id);
    return n;
  });
  return html`<section data-testid="screen-errors">
    <h1>${t('nav.errors')}</h1>
    <form class="toolbar filters" role="search" onSubmit=${(e) => { e.preventDefault(); setFilter({ q: draft.trim() }); }}>
      <${ChannelSelect} channels=${channels} value=${params.channel} all=${true} id="errors-channel" onChange=${(c) => setFilter({ channel: c })} />
      <label class="field" for="errors-kind"><span>${t('errors.kind')}</span>
        <select id="errors-kind" value=${params.kind || ''} onChange=${(e) => setFilter({ kind: e.target.value })} data-testid="errors-kind">
          <option value="">${t('common.all')}</option><option value="PRODUCT">${enumLabel('SyncErrorKind', 'PRODUCT')}</option><option value="ORDER">${enumLabel('SyncErrorKind', 'ORDER')}</option></select></label>
      <label class="field" for="errors-code"><span>${t('errors.code')}</span>
        <select id="errors-code" value=${params.code || ''} onChange=${(e) => setFilter({ code: e.target.value })} data-testid="errors-code">
          <option value="">${t('common.all')}</option>${Object.keys(ENUMS.SyncErrorCode).map((c) => html`<option value=${c}>${enumLabel('SyncErrorCode', c)}</option>`)}</select></label>
      <label class="field grow" for="errors-search"><span>${t('errors.search')}</span>
        <input id="errors-search" type="search" value=${draft} onInput=${(e) => setDraft(e.target.value)} data-testid="errors-search" /></label>
      <label class="inline"><input type="checkbox" checked=${params.resolved === '1'} onChange=${(e) => setFilter({ resolved: e.target.checked ? '1' : '' })} /> ${t('errors.includeResolved')}</label>
      <label class="inline"><input type="checkbox" checked=${params.dismissed === '1'} onChange=${(e) => setFilter({ dismissed: e.target.checked ? '1' : '' })} /> ${t('errors.includeDismissed')}</label>
      <button type="submit">${t('common.search')}</button>
    </form>
    ${canWrite() ? html`<div class="toolbar">
      <button type="button" disabled=${!selected.size || dismiss.busy} onClick=${() => doDismiss({ ids: [...selected] })} data-testid="errors-dismiss-selected">${t('errors.dismissSelected', { n: selected.size })}</button>
      <button type="button" disabled=${!q.data || !q.data.syncErrors.totalCount} onClick=${() => setConfirmAll(true)} data-testid="errors-dismiss-filtered">
        ${t('errors.dismissFiltered', { n: q.data ? fmtNum(q.data.syncErrors.totalCount) : '…' })}</button>
    </div>` : ''}
    <${ErrorBox} error=${q.error || dismiss.error} />
    <${UserErrors} errors=${dismiss.userErrors} />
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr>${canWrite() ? html`<th scope="col"><span class="sr-only">${t('common.select')}</span></th>` : ''}
        <th scope="col">${t('errors.error')}</th><th scope="col">${t('common.channel')}</th><th scope="col">${t('errors.about')}</th>
        <th scope="col">${t('errors.seen')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${nodes.map((e) => {
        const fix = fixLink(e);
        return html`<tr data-testid="row-error" data-id=${e.id} data-code=${e.code} data-kind=${e.kind}>
          ${canWrite() ? html`<td><input type="checkbox" aria-label=${t('common.select')} checked=${selected.has(e.id)} onChange=${() => toggle(e.id)} data-testid="select-row" /></td>` : ''}
          <td data-label=${t('errors.error')}><strong>${enumLabel('SyncErrorCode', e.code)}</strong><div>${e.message}</div>
            ${e.resolvedAt ? html`<span class="pill completed">${t('errors.resolved')}</span>` : ''}${e.dismissedAt ? html`<span class="pill">${t('errors.isDismissed')}</span>` : ''}</td>
          <td data-label=${t('common.channel')}>${e.channel ? html`<a href=${href('channels', { id: e.channel.id })}>${e.channel.name}</a>` : '—'}</td>
          <td data-label=${t('errors.about')}>${e.order ? html`${t('orders.order')} ${e.order.number}` : ''}
            ${e.variant ? html`${e.variant.product ? e.variant.product.title + ' · ' : ''}${e.variant.title}` : ''}
            ${e.listing ? html`<div class="muted small">${t('links.sellerSku')} ${e.listing.sellerSku || '—'}</div>` : ''}</td>
          <td data-label=${t('errors.seen')} class="small">${fmtDate(e.lastSeenAt)}<div class="muted">×${fmtNum(e.occurrences)} · ${t('errors.first')} ${fmtDate(e.firstSeenAt)}</div></td>
          <td data-label=${t('common.actions')} class="row-actions">
            ${fix ? html`<a class="button small" href=${fix[0]} data-testid="error-fix">${fix[1]}</a>` : ''}
            ${canWrite() && !e.dismissedAt ? html`<button type="button" class="small" disabled=${dismiss.busy} onClick=${() => doDismiss({ ids: [e.id] })} data-testid="error-dismiss">${t('errors.dismiss')}</button>` : ''}
          </td>
        </tr>`;
      })}</tbody>
    </table></div>
    ${q.data && !nodes.length ? html`<${Empty}>${t('errors.none')}<//>` : ''}
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.syncErrors.pageInfo} total=${q.data && q.data.syncErrors.totalCount} />
    <${Confirm} open=${confirmAll} title=${t('errors.dismissAllTitle')} confirmLabel=${t('errors.dismiss')} busy=${dismiss.busy}
      onConfirm=${() => doDismiss({ filter })} onClose=${() => setConfirmAll(false)} testid="confirm-dismiss">
      <p>${t('errors.dismissAllExplain', { n: q.data ? fmtNum(q.data.syncErrors.totalCount) : '' })}</p>
    <//>
  </section>`;
}
