// Phiếu xuất & trả hàng: export slips (Bổ sung phiếu xuất → Xuất kho / Hủy phiếu) and recording a return with
// the restock choice per line. SlipCreate and ReturnForm are also used on the order's page.
import {
  html, useState, useEffect, useQuery, useMutation, usePager, useWarehouses, go, href, fmtMoney, fmtNum, fmtDate,
  ErrorBox, FieldError, UserErrors, Pager, Confirm, Loading, Empty, Notice, Pill,
} from '/console/ui.js';
import { canWrite } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';

const ERR = 'userErrors { field code message }';
const SLIP = 'id code status createdAt exportedAt cancelledAt warehouse { id name } order { id number channel { name } } lines { quantity variant { id title sku } }';
const SLIPS = `query Slips($filter: ExportSlipFilterInput, $after: String) {
  exportSlips(first: 25, after: $after, reverse: true, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } nodes { ${SLIP} } }
}`;
const EXPORT = `mutation SlipExport($id: ID!) { exportSlipExport(id: $id) { exportSlip { ${SLIP} } ${ERR} } }`;
const CANCEL = `mutation SlipCancel($id: ID!) { exportSlipCancel(id: $id) { exportSlip { ${SLIP} } ${ERR} } }`;
const CREATE = `mutation SlipCreate($orderId: ID!, $warehouseId: ID!) { exportSlipCreate(orderId: $orderId, warehouseId: $warehouseId) { exportSlip { ${SLIP} } levels { id available pendingExport } ${ERR} } }`;
const STATUSES = ['WAITING', 'EXPORTED', 'CANCELLED'];

export function Slips({ params }) {
  const { warehouses } = useWarehouses();
  const filter = {};
  if (params.status) filter.status = params.status;
  if (params.warehouse) filter.warehouseId = params.warehouse;
  const setFilter = (patch) => go('slips', { status: params.status, warehouse: params.warehouse, ...patch });
  const pager = usePager(JSON.stringify(filter));
  const q = useQuery(SLIPS, { filter, after: pager.after });
  const nodes = (q.data && q.data.exportSlips.nodes) || [];
  const exp = useMutation(EXPORT);
  const cancel = useMutation(CANCEL);
  const [confirm, setConfirm] = useState(null);
  const [notice, setNotice] = useState(null);
  async function doExport(s) {
    setNotice(null);
    const p = await exp.run({ id: s.id });
    if (p) {
      setNotice(t('slips.exported', { code: s.code }));
      q.reload();
    }
  }
  async function doCancel() {
    const s = confirm;
    const p = await cancel.run({ id: s.id });
    if (p) {
      setConfirm(null);
      setNotice(t('slips.cancelled', { code: s.code }));
      q.reload();
    }
  }
  return html`<section data-testid="screen-slips">
    <h1>${t('nav.slips')}</h1>
    <div class="two-col">
      ${canWrite() ? html`<section class="card"><h2>${t('slips.new')}</h2><${OrderPicker} testid="slip-order" statuses=${['READY_TO_SHIP', 'IN_TRANSIT', 'DELIVERED', 'PENDING']}>
        ${(o) => html`<${SlipCreate} order=${o} onDone=${(s) => { setNotice(t('slips.createdCode', { code: s.code })); q.reload(); }} />`}<//></section>` : ''}
      ${canWrite() ? html`<section class="card"><h2>${t('returns.record')}</h2><${OrderPicker} testid="return-order">
        ${(o) => html`<${ReturnForm} key=${o.id} order=${o} onDone=${() => setNotice(t('returns.recorded'))} />`}<//></section>` : ''}
    </div>
    <h2>${t('slips.list')}</h2>
    <div class="toolbar">
      <label class="field" for="slips-status"><span>${t('common.status')}</span>
        <select id="slips-status" value=${params.status || ''} onChange=${(e) => setFilter({ status: e.target.value })} data-testid="slips-status">
          <option value="">${t('common.all')}</option>${STATUSES.map((s) => html`<option value=${s}>${enumLabel('ExportSlipStatus', s)}</option>`)}</select></label>
      <label class="field" for="slips-wh"><span>${t('common.warehouse')}</span>
        <select id="slips-wh" value=${params.warehouse || ''} onChange=${(e) => setFilter({ warehouse: e.target.value })}>
          <option value="">${t('common.all')}</option>${warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select></label>
    </div>
    <${ErrorBox} error=${q.error || exp.error || cancel.error} />
    <${UserErrors} errors=${exp.userErrors} />
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('slips.code')}</th><th scope="col">${t('orders.order')}</th><th scope="col">${t('common.warehouse')}</th>
        <th scope="col">${t('slips.lines')}</th><th scope="col">${t('common.status')}</th><th scope="col">${t('common.time')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${nodes.map((s) => html`<tr data-testid="row-slip" data-id=${s.id} data-status=${s.status} class=${params.id === s.id ? 'current' : ''}>
        <td data-label=${t('slips.code')}><strong>${s.code}</strong></td>
        <td data-label=${t('orders.order')}><a href=${href('orders', { id: s.order.id })}>${s.order.number}</a> <span class="muted small">${s.order.channel ? s.order.channel.name : ''}</span></td>
        <td data-label=${t('common.warehouse')}>${s.warehouse ? s.warehouse.name : '—'}</td>
        <td data-label=${t('slips.lines')} class="small">${s.lines.map((l) => html`<div>${l.variant ? l.variant.title : '—'} × ${fmtNum(l.quantity)}</div>`)}</td>
        <td data-label=${t('common.status')}><${Pill} value=${s.status} type="ExportSlipStatus" /></td>
        <td data-label=${t('common.time')} class="small">${fmtDate(s.exportedAt || s.cancelledAt || s.createdAt)}</td>
        <td data-label=${t('common.actions')} class="row-actions">${canWrite() && s.status === 'WAITING' ? html`
          <button type="button" class="small primary" disabled=${exp.busy} onClick=${() => doExport(s)} data-testid="slip-export">${t('slips.export')}</button>
          <button type="button" class="small danger" onClick=${() => setConfirm(s)} data-testid="slip-cancel">${t('slips.cancel')}</button>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    ${q.data && !nodes.length ? html`<${Empty} />` : ''}
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.exportSlips.pageInfo} total=${q.data && q.data.exportSlips.totalCount} />
    <${Confirm} open=${!!confirm} title=${confirm && t('slips.cancelTitle', { code: confirm.code })} confirmLabel=${t('slips.cancel')} danger=${true}
      busy=${cancel.busy} onConfirm=${doCancel} onClose=${() => setConfirm(null)} testid="confirm-slip-cancel">
      <p>${t('slips.cancelExplain')}</p>
      <${UserErrors} errors=${cancel.userErrors} />
    <//>
  </section>`;
}

// Finds an order by number / customer, then renders children(order).
const FIND_ORDERS = `query FindOrders($s: String) { orders(first: 8, reverse: true, filter: { search: $s }) { nodes {
  id number status channel { id name } warehouse { id name }
  lines { id title variantTitle sellerSku quantity returnedQuantity variant { id title } }
} } }`;
function OrderPicker({ children, testid }) {
  const [s, setS] = useState('');
  const [search, setSearch] = useState(null);
  const [picked, setPicked] = useState(null);
  const q = useQuery(FIND_ORDERS, { s: search }, search !== null);
  const nodes = (q.data && q.data.orders.nodes) || [];
  return html`<div>
    <form class="toolbar" role="search" onSubmit=${(e) => { e.preventDefault(); setPicked(null); setSearch(s.trim()); }}>
      <label class="field grow" for=${testid + '-search'}><span>${t('slips.findOrder')}</span>
        <input id=${testid + '-search'} type="search" value=${s} onInput=${(e) => setS(e.target.value)} data-testid=${testid + '-search'} /></label>
      <button type="submit" data-testid=${testid + '-find'}>${t('common.search')}</button>
    </form>
    <${ErrorBox} error=${q.error} />
    ${!picked && search !== null ? html`<ul class="plain picks">${nodes.map((o) => html`<li><button type="button" class="link" onClick=${() => setPicked(o)} data-testid=${testid + '-pick'} data-id=${o.id}>
        ${o.number}</button> <${Pill} value=${o.status} type="OrderStatus" /> <span class="muted small">${o.channel ? o.channel.name : ''}</span></li>`)}
      ${q.data && !nodes.length ? html`<li class="muted">${t('common.empty')}</li>` : ''}</ul>` : ''}
    ${picked ? html`<p>${t('orders.order')} <a href=${href('orders', { id: picked.id })}>${picked.number}</a>
      <button type="button" class="link small" onClick=${() => setPicked(null)}>${t('common.change')}</button></p>${children(picked)}` : ''}
  </div>`;
}

/** "Bổ sung phiếu xuất": choose the warehouse, create a WAITING slip for every line of the order. */
export function SlipCreate({ order, onDone }) {
  const { warehouses } = useWarehouses();
  const [wh, setWh] = useState('');
  useEffect(() => {
    if (!wh && warehouses.length) setWh((order.warehouse && order.warehouse.id) || (warehouses.find((w) => w.isDefault) || warehouses[0]).id);
  }, [warehouses.length]);
  const m = useMutation(CREATE);
  async function submit(e) {
    e.preventDefault();
    const p = await m.run({ orderId: order.id, warehouseId: wh });
    if (p) onDone(p.exportSlip);
  }
  return html`<form class="toolbar" onSubmit=${submit} data-testid="slip-form">
    <label class="field" for=${'slip-wh-' + order.id}><span>${t('slips.warehouse')}</span>
      <select id=${'slip-wh-' + order.id} value=${wh} onChange=${(e) => setWh(e.target.value)} data-testid="slip-warehouse">
        ${warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select>
      <${FieldError} errors=${m.userErrors} field="warehouseId" /></label>
    <button type="submit" class="primary" disabled=${m.busy || !wh} data-testid="slip-create">${t('slips.create')}</button>
    <div class="grow">
      <${FieldError} errors=${m.userErrors} field="orderId" />
      <${UserErrors} errors=${m.userErrors} fields=${['warehouseId', 'orderId']} />
      <${ErrorBox} error=${m.error} />
    </div>
  </form>`;
}

const RETURN = `mutation ReturnRecord($orderId: ID!, $lines: [OrderReturnLineInput!]!, $warehouseId: ID, $note: String, $refundedAmount: Decimal) {
  orderReturnRecord(orderId: $orderId, lines: $lines, warehouseId: $warehouseId, note: $note, refundedAmount: $refundedAmount) {
    orderReturn { id status lines { quantity restockQuantity } refundedAmount { amount currencyCode } } ${ERR}
  }
}`;

/** Records a return: how many of each line came back and whether they go back on hand (SPEC §4). */
export function ReturnForm({ order, onDone }) {
  const { warehouses } = useWarehouses();
  const [qty, setQty] = useState({});
  const [restock, setRestock] = useState({});
  const [wh, setWh] = useState('');
  const [refund, setRefund] = useState('');
  const [note, setNote] = useState('');
  const [sent, setSent] = useState([]); // line ids in the order sent, to place `lines.<i>` errors
  const m = useMutation(RETURN);
  async function submit(e) {
    e.preventDefault();
    const lines = order.lines.filter((l) => Number(qty[l.id]) > 0);
    setSent(lines.map((l) => l.id));
    const p = await m.run({
      orderId: order.id,
      lines: lines.map((l) => ({ orderLineId: l.id, quantity: Number(qty[l.id]), restock: restock[l.id] !== false })),
      warehouseId: wh || null,
      note: note.trim() || null,
      refundedAmount: refund.trim() || null,
    });
    if (p) {
      setQty({});
      onDone(p.orderReturn);
    }
  }
  const fieldsKnown = ['warehouseId', 'note', 'refundedAmount', ...sent.flatMap((_, i) => [`lines.${i}.quantity`, `lines.${i}.orderLineId`, `lines.${i}`])];
  return html`<form class="return-form" onSubmit=${submit} data-testid="return-form">
    <div class="table-wrap"><table class="table compact">
      <thead><tr><th scope="col">${t('orders.item')}</th><th scope="col" class="num">${t('returns.sold')}</th><th scope="col">${t('returns.qty')}</th><th scope="col">${t('returns.restock')}</th></tr></thead>
      <tbody>${order.lines.map((l) => {
        const i = sent.indexOf(l.id);
        const max = l.quantity - (l.returnedQuantity || 0);
        return html`<tr data-testid="row-return-line" data-id=${l.id}>
          <td data-label=${t('orders.item')}>${l.variant ? l.variant.title : l.title} <span class="muted small">${l.sellerSku || ''}</span></td>
          <td class="num" data-label=${t('returns.sold')}>${fmtNum(l.quantity)}${l.returnedQuantity ? html` <span class="muted small">(${t('returns.already', { n: l.returnedQuantity })})</span>` : ''}</td>
          <td data-label=${t('returns.qty')}><input type="number" min="0" max=${max} step="1" aria-label=${t('returns.qty') + ' ' + l.title} value=${qty[l.id] || ''}
            onInput=${(e) => setQty({ ...qty, [l.id]: e.target.value })} data-testid="return-qty" class="narrow" />
            ${i >= 0 ? html`<${FieldError} errors=${m.userErrors} field=${`lines.${i}.quantity`} /><${FieldError} errors=${m.userErrors} field=${`lines.${i}`} />` : ''}</td>
          <td data-label=${t('returns.restock')}><label class="inline"><input type="checkbox" checked=${restock[l.id] !== false}
            onChange=${(e) => setRestock({ ...restock, [l.id]: e.target.checked })} data-testid="return-restock" /> ${t('returns.restockShort')}</label></td>
        </tr>`;
      })}</tbody>
    </table></div>
    <div class="grid">
      <label class="field" for=${'ret-wh-' + order.id}><span>${t('returns.warehouse')}</span>
        <select id=${'ret-wh-' + order.id} value=${wh} onChange=${(e) => setWh(e.target.value)} data-testid="return-warehouse">
          <option value="">${t('returns.orderWarehouse')}</option>${warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select>
        <${FieldError} errors=${m.userErrors} field="warehouseId" /></label>
      <label class="field" for=${'ret-refund-' + order.id}><span>${t('returns.refund')}</span>
        <input id=${'ret-refund-' + order.id} inputmode="decimal" value=${refund} onInput=${(e) => setRefund(e.target.value)} data-testid="return-refund" />
        <${FieldError} errors=${m.userErrors} field="refundedAmount" /></label>
      <label class="field grow" for=${'ret-note-' + order.id}><span>${t('stock.note')}</span>
        <input id=${'ret-note-' + order.id} value=${note} onInput=${(e) => setNote(e.target.value)} data-testid="return-note" />
        <${FieldError} errors=${m.userErrors} field="note" /></label>
    </div>
    <${UserErrors} errors=${m.userErrors} fields=${fieldsKnown} />
    <${ErrorBox} error=${m.error} />
    <div class="actions"><button type="submit" class="primary" disabled=${m.busy || !Object.values(qty).some((v) => Number(v) > 0)} data-testid="return-submit">${t('returns.submit')}</button></div>
  </form>`;
}
