// Đơn hàng: filters (channel, status, payment, unlinked lines, search), the order with its lines and timeline,
// and the channel actions: ready to ship, cancel with a reason, print label, await pickup, resync; export slips
// and returns from the order.
import {
  html, useState, useEffect, useRef, useQuery, useMutation, usePager, useSubscription, useRun, useChannels, go, href,
  fmtMoney, fmtNum, fmtDate, ErrorBox, FieldError, UserErrors, Pager, Confirm, Dialog, Loading, ChannelSelect, Empty, Notice, Pill,
  RunProgress, RUN_FIELDS,
} from '/console/ui.js';
import { canWrite } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';
import { SlipCreate, ReturnForm } from '/console/screens/slips.js';

const STATUSES = ['PENDING', 'READY_TO_SHIP', 'IN_TRANSIT', 'DELIVERED', 'DELIVERY_FAILED', 'CANCELLED', 'UNRECOGNIZED'];
const PAYMENTS = ['PAID', 'UNPAID', 'REFUNDED', 'RETURNED', 'PARTIALLY_RETURNED'];

const ORDERS = `query Orders($filter: OrderFilterInput, $after: String) {
  orders(first: 25, after: $after, reverse: true, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id number status channelStatus paymentStatus customerName placedAt hasUnlinkedLines total { amount currencyCode } channel { id name kind }
      syncErrors { code } }
  }
}`;
const RESYNC = `mutation Resync($input: OrdersResyncInput!) { ordersResync(input: $input) { syncRuns { ${RUN_FIELDS} } userErrors { field code message } } }`;

function filterOf(p) {
  const f = {};
  if (p.channel) f.channelId = p.channel;
  if (p.status) f.status = p.status;
  if (p.payment) f.paymentStatus = p.payment;
  if (p.unlinked === '1') f.hasUnlinkedLines = true;
  if (p.q) f.search = p.q;
  return f;
}

export function Orders({ params }) {
  const { channels } = useChannels();
  const filter = filterOf(params);
  const listParams = { channel: params.channel, status: params.status, payment: params.payment, unlinked: params.unlinked, q: params.q };
  const setFilter = (patch) => go('orders', { ...listParams, ...patch });
  const [draft, setDraft] = useState(params.q || '');
  useEffect(() => setDraft(params.q || ''), [params.q]);
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery(ORDERS, { filter, after: pager.after });
  const nodes = (q.data && q.data.orders.nodes) || [];
  const [selected, setSelected] = useState(new Set());
  useEffect(() => setSelected(new Set()), [JSON.stringify(filter), pager.after]);
  const resync = useMutation(RESYNC);
  const [runs, setRuns] = useState([]);
  const timer = useRef(null);
  // New and changed orders arrive live: refresh the first page (the others would shift under the reader).
  useSubscription(`subscription OrdersLive($f: OrderUpdatedFilter) { orderUpdated(filter: $f) { id } }`, { f: params.channel ? { channelId: params.channel } : null }, () => {
    if (pager.page !== 1) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => q.reload(), 800);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  const toggle = (id) => setSelected((s) => {
    const n = new Set(s);
    n.has(id) ? n.delete(id) : n.add(id);
    return n;
  });
  async function doResync(input) {
    const p = await resync.run({ input });
    if (p) setRuns(p.syncRuns);
  }

  return html`<section data-testid="screen-orders">
    <h1>${t('nav.orders')}</h1>
    ${params.id ? html`<${OrderDetail} key=${params.id} id=${params.id} back=${href('orders', listParams)} onChanged=${() => q.reload()} />` : ''}
    <form class="toolbar filters" role="search" onSubmit=${(e) => { e.preventDefault(); setFilter({ q: draft.trim() }); }}>
      <${ChannelSelect} channels=${channels} value=${params.channel} all=${true} id="orders-channel" onChange=${(c) => setFilter({ channel: c })} />
      <label class="field" for="orders-status"><span>${t('common.status')}</span>
        <select id="orders-status" value=${params.status || ''} onChange=${(e) => setFilter({ status: e.target.value })} data-testid="orders-status">
          <option value="">${t('common.all')}</option>${STATUSES.map((s) => html`<option value=${s}>${enumLabel('OrderStatus', s)}</option>`)}</select></label>
      <label class="field" for="orders-payment"><span>${t('orders.payment')}</span>
        <select id="orders-payment" value=${params.payment || ''} onChange=${(e) => setFilter({ payment: e.target.value })}>
          <option value="">${t('common.all')}</option>${PAYMENTS.map((s) => html`<option value=${s}>${enumLabel('PaymentStatus', s)}</option>`)}</select></label>
      <label class="inline"><input type="checkbox" checked=${params.unlinked === '1'} onChange=${(e) => setFilter({ unlinked: e.target.checked ? '1' : '' })} data-testid="orders-unlinked" />
        ${t('orders.unlinkedOnly')}</label>
      <label class="field grow" for="orders-search"><span>${t('orders.search')}</span>
        <input id="orders-search" type="search" value=${draft} onInput=${(e) => setDraft(e.target.value)} data-testid="orders-search" /></label>
      <button type="submit">${t('common.search')}</button>
    </form>
    ${canWrite() ? html`<div class="toolbar">
      <button type="button" disabled=${!selected.size || resync.busy} onClick=${() => doResync({ orderIds: [...selected] })} data-testid="orders-resync-selected">${t('orders.resyncSelected', { n: selected.size })}</button>
      <button type="button" disabled=${resync.busy || !q.data || !q.data.orders.totalCount} onClick=${() => doResync({ filter })} data-testid="orders-resync-filtered">
        ${t('orders.resyncFiltered', { n: q.data ? fmtNum(q.data.orders.totalCount) : '…' })}</button>
    </div>` : ''}
    <${ErrorBox} error=${q.error || resync.error} />
    <${UserErrors} errors=${resync.userErrors} />
    ${runs.map((r) => html`<${FollowRun} key=${r.id} run=${r} onDone=${() => q.reload()} />`)}
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr>${canWrite() ? html`<th scope="col"><span class="sr-only">${t('common.select')}</span></th>` : ''}
        <th scope="col">${t('orders.number')}</th><th scope="col">${t('common.channel')}</th><th scope="col">${t('orders.placedAt')}</th>
        <th scope="col">${t('orders.customer')}</th><th scope="col" class="num">${t('orders.total')}</th><th scope="col">${t('common.status')}</th><th scope="col">${t('orders.payment')}</th></tr></thead>
      <tbody>${nodes.map((o) => html`<tr data-testid="row-order" data-id=${o.id} data-status=${o.status} class=${params.id === o.id ? 'current' : ''}>
        ${canWrite() ? html`<td><input type="checkbox" aria-label=${t('common.select')} checked=${selected.has(o.id)} onChange=${() => toggle(o.id)} data-testid="select-row" /></td>` : ''}
        <td data-label=${t('orders.number')}><a href=${href('orders', { ...listParams, id: o.id })} data-testid="order-open">${o.number}</a>
          ${o.hasUnlinkedLines ? html` <span class="pill link_error" data-testid="order-unlinked" title=${t('orders.unlinkedHint')}>${t('orders.unlinked')}</span>` : ''}
          ${o.syncErrors.length ? html` <span class="pill failed">${t('orders.errors', { n: o.syncErrors.length })}</span>` : ''}</td>
        <td data-label=${t('common.channel')}>${o.channel ? o.channel.name : '—'}</td>
        <td data-label=${t('orders.placedAt')}>${fmtDate(o.placedAt)}</td>
        <td data-label=${t('orders.customer')}>${o.customerName || '—'}</td>
        <td data-label=${t('orders.total')} class="num">${fmtMoney(o.total)}</td>
        <td data-label=${t('common.status')}><${Pill} value=${o.status} type="OrderStatus" /><div class="muted small">${o.channelStatus || ''}</div></td>
        <td data-label=${t('orders.payment')}>${enumLabel('PaymentStatus', o.paymentStatus)}</td>
      </tr>`)}</tbody>
    </table></div>
    ${q.data && !nodes.length ? html`<${Empty} />` : ''}
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.orders.pageInfo} total=${q.data && q.data.orders.totalCount} />
  </section>`;
}

// A run started here, followed live until it ends.
export function FollowRun({ run, onDone }) {
  const [live, setLive] = useRun(onDone);
  useEffect(() => setLive(run), [run.id]);
  return html`<${RunProgress} run=${live || run} />`;
}

const ORDER = `query Order($id: ID!) {
  order(id: $id) {
    id number externalId status channelStatus paymentStatus cancelReason hasUnlinkedLines placedAt createdAt updatedAt
    customerName customerPhone customerEmail
    shippingAddress { name phone line1 ward district province country }
    subtotal { amount currencyCode } shippingFee { amount currencyCode } discount { amount currencyCode } total { amount currencyCode } refunded { amount currencyCode }
    warehouse { id name }
    channel { id name kind cancelReasons { code label } settings { processOrdersInHub } }
    lines { id sellerSku title variantTitle quantity reservedQuantity fulfilledQuantity returnedQuantity unit
      price { amount currencyCode } discount { amount currencyCode } variant { id title product { id title } } listing { id } }
    events { id kind message fromStatus toStatus createdAt actor { kind name } }
    syncErrors { code message occurrences lastSeenAt }
    exportSlips { id code status createdAt warehouse { name } }
    returns { id status createdAt refundedAmount { amount currencyCode } warehouse { name } lines { quantity restockQuantity } }
    shippingLabel { url urls contentType contentBase64 printedAt ordersInDocument }
  }
}`;
const ERR = 'userErrors { field code message }';
const READY = `mutation Ready($id: ID!) { orderReadyToShip(orderId: $id) { order { id status } ${ERR} } }`;
const CANCEL = `mutation Cancel($id: ID!, $reason: String!) { orderCancel(orderId: $id, reason: $reason) { order { id status } ${ERR} } }`;
const LABEL = `mutation Label($id: ID!) { orderPrintLabel(orderId: $id) { shippingLabel { url urls contentType contentBase64 printedAt } ${ERR} } }`;
const PICKUP = `mutation Pickup($id: ID!) { orderAwaitPickup(orderId: $id) { order { id status } ${ERR} } }`;
const STATUS = `mutation SetStatus($id: ID!, $status: OrderStatus!) { orderStatusUpdate(orderId: $id, status: $status) { order { id status } ${ERR} } }`;

function OrderDetail({ id, back, onChanged }) {
  const q = useQuery(ORDER, { id });
  const o = q.data && q.data.order;
  const ready = useMutation(READY);
  const cancel = useMutation(CANCEL);
  const label = useMutation(LABEL);
  const pickup = useMutation(PICKUP);
  const status = useMutation(STATUS);
  const resync = useMutation(RESYNC);
  const [runs, setRuns] = useState([]);
  const [dialog, setDialog] = useState(null);
  const [reason, setReason] = useState('');
  const [newStatus, setNewStatus] = useState('');
  const [notice, setNotice] = useState(null);
  const [labelDoc, setLabelDoc] = useState(null);
  // Changes of this order arrive live (a channel status, an import finishing).
  useSubscription(`subscription OrderLive { orderUpdated { id } }`, {}, (d) => {
    if (d.orderUpdated.id === id) q.reload();
  });
  const done = (msg) => {
    setNotice(msg);
    q.reload();
    onChanged();
  };
  async function act(m, vars, msg) {
    setNotice(null);
    const p = await m.run({ id, ...vars });
    if (p) done(msg);
    return p;
  }
  async function printLabel() {
    const p = await act(label, {}, t('orders.labelPrinted'));
    if (p) setLabelDoc(p.shippingLabel);
  }
  async function doCancel() {
    const p = await act(cancel, { reason }, t('orders.cancelled'));
    if (p) setDialog(null);
  }
  async function doResync() {
    setNotice(null);
    const p = await resync.run({ input: { orderIds: [id] } });
    if (p) setRuns(p.syncRuns);
  }
  const errs = [ready, cancel, label, pickup, status, resync];
  if (!o) return html`<section class="card panel"><${ErrorBox} error=${q.error} /><${Loading} when=${q.loading} />${q.data && !o ? html`<${Empty} />` : ''}</section>`;
  const reasons = (o.channel && o.channel.cancelReasons) || [];
  const inHub = o.channel && o.channel.settings.processOrdersInHub;
  const open = !['CANCELLED', 'DELIVERED'].includes(o.status);
  const doc = labelDoc || o.shippingLabel;
  return html`<section class="card panel" data-testid="order-detail" data-id=${o.id} data-status=${o.status}>
    <header class="panel-head">
      <h2>${t('orders.order')} ${o.number} <${Pill} value=${o.status} type="OrderStatus" /></h2>
      <a class="button small" href=${back}>${t('common.close')}</a>
    </header>
    <p class="muted small">${o.channel ? o.channel.name : ''} · ${t('orders.channelStatus')}: ${o.channelStatus || '—'} · ${enumLabel('PaymentStatus', o.paymentStatus)}
      · ${t('orders.placedAt')} ${fmtDate(o.placedAt)}${inHub ? ' · ' + t('orders.inHub') : ''}</p>
    ${o.hasUnlinkedLines ? html`<div class="banner warn" data-testid="order-unlinked-banner">${t('orders.unlinkedHint')}</div>` : ''}
    ${o.syncErrors.map((e) => html`<div class="banner error" data-testid="order-sync-error" data-code=${e.code}>${e.message} <span class="muted small">(${enumLabel('SyncErrorCode', e.code)} · ×${e.occurrences})</span></div>`)}
    ${canWrite() ? html`<div class="toolbar actions-bar">
      <button type="button" class="primary" disabled=${!open || ready.busy} onClick=${() => act(ready, {}, t('orders.readyDone'))} data-testid="order-ready">${t('orders.ready')}</button>
      <button type="button" disabled=${label.busy} onClick=${printLabel} data-testid="order-label">${t('orders.label')}</button>
      ${o.channel && o.channel.kind === 'TIKI' ? html`<button type="button" disabled=${pickup.busy} onClick=${() => act(pickup, {}, t('orders.pickupDone'))} data-testid="order-await-pickup">${t('orders.pickup')}</button>` : ''}
      <button type="button" disabled=${resync.busy} onClick=${doResync} data-testid="order-resync">${t('orders.resync')}</button>
      <button type="button" class="danger" disabled=${!open} onClick=${() => { setReason(reasons[0] ? reasons[0].code : ''); setDialog('cancel'); }} data-testid="order-cancel">${t('orders.cancel')}</button>
      ${inHub ? html`<label class="field inline" for="order-status-new"><span>${t('orders.setStatus')}</span>
        <select id="order-status-new" value=${newStatus} onChange=${(e) => setNewStatus(e.target.value)} data-testid="order-status-select">
          <option value="">${t('common.choose')}</option>${STATUSES.filter((s) => s !== 'UNRECOGNIZED').map((s) => html`<option value=${s}>${enumLabel('OrderStatus', s)}</option>`)}</select>
        <button type="button" disabled=${!newStatus || status.busy} onClick=${() => act(status, { status: newStatus }, t('orders.statusDone'))} data-testid="order-status-save">${t('common.save')}</button></label>` : ''}
    </div>` : ''}
    ${errs.map((m) => html`<${ErrorBox} error=${m.error} /><${UserErrors} errors=${m.userErrors} />`)}
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    ${runs.map((r) => html`<${FollowRun} key=${r.id} run=${r} onDone=${() => { q.reload(); onChanged(); }} />`)}
    ${doc ? html`<${LabelLinks} doc=${doc} number=${o.number} />` : ''}

    <div class="two-col">
      <div>
        <h3>${t('orders.lines')}</h3>
        <div class="table-wrap"><table class="table compact">
          <thead><tr><th scope="col">${t('orders.item')}</th><th scope="col" class="num">${t('common.quantity')}</th><th scope="col" class="num">${t('common.price')}</th><th scope="col">${t('orders.stockState')}</th></tr></thead>
          <tbody>${o.lines.map((l) => html`<tr data-testid="row-order-line" data-id=${l.id}>
            <td data-label=${t('orders.item')}>${l.variant ? html`${l.variant.product ? l.variant.product.title : l.title} · ${l.variant.title}` : html`${l.title}${l.variantTitle ? ' · ' + l.variantTitle : ''}
              <div><span class="pill link_error">${t('orders.lineUnlinked')}</span>
              <a href=${href('products', { channel: o.channel && o.channel.id, view: 'listings', q: l.sellerSku || l.title })} data-testid="order-line-link">${t('orders.linkIt')}</a></div>`}
              <div class="muted small">${t('links.sellerSku')} ${l.sellerSku || '—'}${l.unit ? ' · ' + l.unit : ''}</div></td>
            <td class="num" data-label=${t('common.quantity')}>${fmtNum(l.quantity)}</td>
            <td class="num" data-label=${t('common.price')}>${fmtMoney(l.price)}</td>
            <td data-label=${t('orders.stockState')} class="small">${t('orders.lineStock', { r: l.reservedQuantity, f: l.fulfilledQuantity, ret: l.returnedQuantity })}</td>
          </tr>`)}</tbody>
        </table></div>
        <dl class="kv">
          <dt>${t('orders.subtotal')}</dt><dd>${fmtMoney(o.subtotal)}</dd>
          <dt>${t('orders.shipping')}</dt><dd>${fmtMoney(o.shippingFee)}</dd>
          <dt>${t('orders.discount')}</dt><dd>${fmtMoney(o.discount)}</dd>
          <dt>${t('orders.total')}</dt><dd><strong>${fmtMoney(o.total)}</strong></dd>
          <dt>${t('orders.refunded')}</dt><dd>${fmtMoney(o.refunded)}</dd>
          <dt>${t('common.warehouse')}</dt><dd>${o.warehouse ? o.warehouse.name : t('orders.noWarehouse')}</dd>
          <dt>${t('orders.customer')}</dt><dd>${o.customerName || '—'} ${o.customerPhone || ''} ${o.customerEmail || ''}</dd>
          <dt>${t('orders.address')}</dt><dd>${o.shippingAddress ? [o.shippingAddress.line1, o.shippingAddress.ward, o.shippingAddress.district, o.shippingAddress.province].filter(Boolean).join(', ') : '—'}</dd>
          ${o.cancelReason ? html`<dt>${t('orders.cancelReason')}</dt><dd>${o.cancelReason}</dd>` : ''}
        </dl>
        <h3>${t('nav.slips')}</h3>
        <ul class="plain">${o.exportSlips.map((s) => html`<li><a href=${href('slips', { id: s.id })}>${s.code}</a> <${Pill} value=${s.status} type="ExportSlipStatus" /> ${s.warehouse ? s.warehouse.name : ''}</li>`)}</ul>
        ${canWrite() ? html`<${SlipCreate} order=${o} onDone=${() => done(t('slips.created'))} />` : ''}
        <h3>${t('returns.list')}</h3>
        ${o.returns.length ? html`<ul class="plain">${o.returns.map((r) => html`<li data-testid="row-return" data-id=${r.id} data-status=${r.status}>
          ${fmtDate(r.createdAt)} <${Pill} value=${r.status} type="ReturnStatus" />
          ${t('returns.summary', { n: r.lines.reduce((a, l) => a + l.quantity, 0), back: r.lines.reduce((a, l) => a + l.restockQuantity, 0) })}
          ${r.warehouse ? ' · ' + r.warehouse.name : ''} · ${fmtMoney(r.refundedAmount)}</li>`)}</ul>` : html`<p class="muted">${t('returns.none')}</p>`}
        ${canWrite() ? html`<details class="return-box"><summary data-testid="return-open">${t('returns.record')}</summary><${ReturnForm} order=${o} onDone=${() => done(t('returns.recorded'))} /></details>` : ''}
      </div>
      <div>
        <h3>${t('orders.timeline')}</h3>
        <ol class="timeline" data-testid="order-timeline">
          ${o.events.map((e) => html`<li data-testid="order-event" data-kind=${e.kind}><time>${fmtDate(e.createdAt)}</time>
            <span class="tag">${enumLabel('OrderEventKind', e.kind)}</span> ${e.message}
            ${e.actor ? html`<div class="muted small">${enumLabel('ActorKind', e.actor.kind)}: ${e.actor.name}</div>` : ''}</li>`)}
        </ol>
      </div>
    </div>

    <${Dialog} open=${dialog === 'cancel'} title=${t('orders.cancelTitle', { n: o.number })} onClose=${() => setDialog(null)} testid="cancel-dialog">
      <p>${t('orders.cancelExplain')}</p>
      ${reasons.length ? html`<label class="field" for="cancel-reason"><span>${t('orders.cancelReason')}</span>
          <select id="cancel-reason" value=${reason} onChange=${(e) => setReason(e.target.value)} data-testid="cancel-reason">
            ${reasons.map((r) => html`<option value=${r.code}>${r.label}</option>`)}</select></label>`
        : html`<label class="field" for="cancel-reason"><span>${t('orders.cancelReason')}</span>
          <input id="cancel-reason" value=${reason} onInput=${(e) => setReason(e.target.value)} data-testid="cancel-reason" /></label>`}
      <${FieldError} errors=${cancel.userErrors} field="reason" />
      <${UserErrors} errors=${cancel.userErrors} fields=${['reason']} />
      <${ErrorBox} error=${cancel.error} />
      <div class="actions">
        <button type="button" onClick=${() => setDialog(null)}>${t('common.back')}</button>
        <button type="button" class="danger" disabled=${!reason.trim() || cancel.busy} onClick=${doCancel} data-testid="cancel-confirm">${t('orders.cancelConfirm')}</button>
      </div>
    <//>
  </section>`;
}

// The label: the marketplace's links, or the document it sent, offered as a download (a blob: URL, no data: page).
function LabelLinks({ doc, number }) {
  const [blobUrl, setBlobUrl] = useState(null);
  useEffect(() => {
    if (!doc.contentBase64) return undefined;
    let bytes;
    try {
      bytes = Uint8Array.from(atob(doc.contentBase64), (c) => c.charCodeAt(0));
    } catch (e) {
      return undefined; // not base64: no download link rather than a broken page
    }
    const url = URL.createObjectURL(new Blob([bytes], { type: doc.contentType }));
    setBlobUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [doc.contentBase64]);
  const links = doc.urls && doc.urls.length ? doc.urls : doc.url ? [doc.url] : [];
  return html`<div class="banner ok" data-testid="order-label-result">${t('orders.labelAt', { at: fmtDate(doc.printedAt) })}
    ${links.map((u, i) => html` <a href=${u} target="_blank" rel="noopener noreferrer" data-testid="order-label-link">${t('orders.labelOpen')}${links.length > 1 ? ' ' + (i + 1) : ''}</a>`)}
    ${blobUrl ? html` <a href=${blobUrl} download=${'label-' + number + (doc.contentType === 'application/pdf' ? '.pdf' : '')} data-testid="order-label-link">${t('orders.labelDownload')}</a>` : ''}
  </div>`;
}
