// Tồn kho: levels per warehouse, manual adjustments, and per channel "Vì sao con số này?" (stockExplanation)
// with the push history; both refresh live when the channel reports a push.
import {
  html, useState, useEffect, useRef, useQuery, useMutation, usePager, useSubscription, useChannels, useWarehouses, go, href,
  fmtMoney, fmtNum, fmtDate, ErrorBox, FieldError, UserErrors, Pager, Loading, ChannelSelect, Empty, Notice, Pill,
} from '/console/ui.js';
import { canWrite } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';

const LEVEL = 'id onHand committed pendingExport available updatedAt warehouse { id name isDefault }';
const LEVELS = `query Levels($w: ID, $after: String) {
  inventoryLevels(first: 25, after: $after, filter: { warehouseId: $w }) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { ${LEVEL} variant { id title sku barcode product { id title } } }
  }
}`;
const SEARCH = `query StockSearch($s: String, $after: String) {
  productVariants(first: 20, after: $after, filter: { search: $s }) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id title sku barcode product { id title } inventoryLevels { ${LEVEL} } }
  }
}`;

export function Stock({ params }) {
  const { warehouses } = useWarehouses();
  const search = params.q || '';
  const [draft, setDraft] = useState(search);
  useEffect(() => setDraft(search), [search]);
  const wh = params.warehouse || '';
  const pager = usePager(search + wh);
  const byLevel = useQuery(LEVELS, { w: wh || null, after: pager.after }, !search);
  const bySearch = useQuery(SEARCH, { s: search, after: pager.after }, !!search);
  const conn = search ? bySearch.data && bySearch.data.productVariants : byLevel.data && byLevel.data.inventoryLevels;
  // One row per (variant, warehouse) either way.
  const rows = !conn ? [] : search
    ? conn.nodes.flatMap((v) => (v.inventoryLevels.length ? v.inventoryLevels : [null]).filter((l) => !wh || (l && l.warehouse && l.warehouse.id === wh)).map((l) => ({ variant: v, level: l })))
    : conn.nodes.map((l) => ({ variant: l.variant, level: l }));

  return html`<section data-testid="screen-stock">
    <h1>${t('nav.stock')}</h1>
    <form class="toolbar" role="search" onSubmit=${(e) => { e.preventDefault(); go('stock', { q: draft.trim(), warehouse: wh }); }}>
      <label class="field grow" for="stock-search"><span>${t('stock.search')}</span>
        <input id="stock-search" type="search" value=${draft} onInput=${(e) => setDraft(e.target.value)} data-testid="stock-search" /></label>
      <label class="field" for="stock-wh"><span>${t('common.warehouse')}</span>
        <select id="stock-wh" value=${wh} onChange=${(e) => go('stock', { q: search, warehouse: e.target.value })} data-testid="stock-warehouse">
          <option value="">${t('stock.allWarehouses')}</option>
          ${warehouses.map((w) => html`<option value=${w.id}>${w.name}${w.isDefault ? ' ★' : ''}</option>`)}
        </select></label>
      <button type="submit">${t('common.search')}</button>
    </form>
    ${params.variant ? html`<${VariantStock} key=${params.variant} variantId=${params.variant} channelParam=${params.channel} warehouses=${warehouses} params=${params}
      onChanged=${() => (search ? bySearch.reload() : byLevel.reload())} />` : ''}
    <${ErrorBox} error=${byLevel.error || bySearch.error} />
    <${Loading} when=${!conn} />
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('links.col.product')}</th><th scope="col">${t('links.col.variant')}</th><th scope="col">${t('common.warehouse')}</th>
        <th scope="col" class="num">${t('stock.onHand')}</th><th scope="col" class="num">${t('stock.committed')}</th><th scope="col" class="num">${t('stock.pendingExport')}</th>
        <th scope="col" class="num">${t('stock.available')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${rows.map(({ variant: v, level: l }) => html`<tr data-testid="row-level" data-id=${l ? l.id : ''} data-variant=${v && v.id}>
        <td data-label=${t('links.col.product')}>${v && v.product ? v.product.title : '—'}</td>
        <td data-label=${t('links.col.variant')}>${v ? html`${v.title}<div class="muted small">SKU ${v.sku || '—'} · ${t('common.barcode')} ${v.barcode || '—'}</div>` : '—'}</td>
        <td data-label=${t('common.warehouse')}>${l && l.warehouse ? l.warehouse.name : '—'}</td>
        <td data-label=${t('stock.onHand')} class="num">${l ? fmtNum(l.onHand) : '—'}</td>
        <td data-label=${t('stock.committed')} class="num">${l ? fmtNum(l.committed) : '—'}</td>
        <td data-label=${t('stock.pendingExport')} class="num">${l ? fmtNum(l.pendingExport) : '—'}</td>
        <td data-label=${t('stock.available')} class="num"><strong>${l ? fmtNum(l.available) : '—'}</strong></td>
        <td data-label=${t('common.actions')}>${v ? html`<a class="button small" href=${href('stock', { q: search, warehouse: wh, variant: v.id })} data-testid="stock-detail">${t('stock.detail')}</a>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    ${conn && !rows.length ? html`<${Empty} />` : ''}
    <${Pager} pager=${pager} pageInfo=${conn && conn.pageInfo} total=${conn && conn.totalCount} />
  </section>`;
}

const VARIANT = `query VariantStock($id: ID!) {
  productVariant(id: $id) { id title sku barcode trackInventory allowOversell price { amount currencyCode } product { id title } inventoryLevels { ${LEVEL} } }
}`;
const ADJUST = `mutation Adjust($input: InventoryAdjustInput!) {
  inventoryAdjustQuantities(input: $input) { changes { level { ${LEVEL} } ledgerEntry { id onHandDelta onHandAfter } } userErrors { field code message } }
}`;
const REASONS = ['ADJUSTMENT', 'CORRECTION', 'RECEIVED', 'DAMAGED'];

function VariantStock({ variantId, channelParam, warehouses, params, onChanged }) {
  const q = useQuery(VARIANT, { id: variantId });
  const v = q.data && q.data.productVariant;
  const { channels } = useChannels();
  const channel = channelParam || (channels[0] && channels[0].id);
  const [wh, setWh] = useState('');
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('RECEIVED');
  const [note, setNote] = useState('');
  const [notice, setNotice] = useState(null);
  const adjust = useMutation(ADJUST);
  const [bump, setBump] = useState(0); // tells the explanation to reload after an adjustment
  useEffect(() => {
    if (!wh && warehouses.length) setWh((warehouses.find((w) => w.isDefault) || warehouses[0]).id);
  }, [warehouses.length]);

  async function submit(e) {
    e.preventDefault();
    setNotice(null);
    const n = Number(delta);
    const p = await adjust.run({
      input: { reason, note: note.trim() || null, changes: [{ variantId, warehouseId: wh, delta: Number.isInteger(n) ? n : 0 }] },
    });
    if (p) {
      const c = p.changes[0];
      setNotice(t('stock.adjusted', { wh: c.level.warehouse.name, onHand: fmtNum(c.level.onHand) }));
      setDelta('');
      setNote('');
      q.reload();
      onChanged();
      setBump((x) => x + 1);
    }
  }
  const fields = ['input.changes.0.delta', 'input.changes.0.warehouseId', 'input.note', 'input.reason'];
  return html`<section class="card panel" data-testid="variant-stock" data-id=${variantId}>
    <header class="panel-head">
      <h2>${v ? html`${v.product ? v.product.title + ' · ' : ''}${v.title}` : '…'}</h2>
      <a href=${href('stock', { q: params.q, warehouse: params.warehouse })} class="button small">${t('common.close')}</a>
    </header>
    <${ErrorBox} error=${q.error} />
    ${v ? html`<p class="muted small">SKU ${v.sku || '—'} · ${t('common.barcode')} ${v.barcode || '—'} · ${fmtMoney(v.price)}
      ${!v.trackInventory ? html` · <span class="pill failed">${t('stock.notTracked')}</span>` : ''}${v.allowOversell ? html` · <span class="pill">${t('stock.oversell')}</span>` : ''}</p>
      <div class="table-wrap"><table class="table compact">
        <thead><tr><th scope="col">${t('common.warehouse')}</th><th scope="col" class="num">${t('stock.onHand')}</th><th scope="col" class="num">${t('stock.committed')}</th>
          <th scope="col" class="num">${t('stock.pendingExport')}</th><th scope="col" class="num">${t('stock.available')}</th></tr></thead>
        <tbody>${v.inventoryLevels.map((l) => html`<tr data-testid="row-variant-level" data-id=${l.id} data-warehouse=${l.warehouse && l.warehouse.id}>
          <td data-label=${t('common.warehouse')}>${l.warehouse ? l.warehouse.name : '—'}</td><td class="num" data-label=${t('stock.onHand')} data-testid="level-onhand">${fmtNum(l.onHand)}</td>
          <td class="num" data-label=${t('stock.committed')}>${fmtNum(l.committed)}</td><td class="num" data-label=${t('stock.pendingExport')}>${fmtNum(l.pendingExport)}</td>
          <td class="num" data-label=${t('stock.available')}><strong>${fmtNum(l.available)}</strong></td></tr>`)}</tbody>
      </table></div>` : ''}

    ${canWrite() ? html`<form class="adjust" onSubmit=${submit} data-testid="adjust-form">
      <h3>${t('stock.adjustTitle')}</h3>
      <div class="grid">
        <label class="field" for="adj-wh"><span>${t('common.warehouse')}</span>
          <select id="adj-wh" value=${wh} onChange=${(e) => setWh(e.target.value)} data-testid="adjust-warehouse">
            ${warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select>
          <${FieldError} errors=${adjust.userErrors} field="input.changes.0.warehouseId" /></label>
        <label class="field" for="adj-delta"><span>${t('stock.delta')}</span>
          <input id="adj-delta" type="number" step="1" inputmode="numeric" value=${delta} onInput=${(e) => setDelta(e.target.value)} data-testid="adjust-delta" required />
          <${FieldError} errors=${adjust.userErrors} field="input.changes.0.delta" /></label>
        <label class="field" for="adj-reason"><span>${t('stock.reason')}</span>
          <select id="adj-reason" value=${reason} onChange=${(e) => setReason(e.target.value)} data-testid="adjust-reason">
            ${REASONS.map((r) => html`<option value=${r}>${enumLabel('InventoryAdjustReason', r)}</option>`)}</select></label>
        <label class="field grow" for="adj-note"><span>${t('stock.note')}</span>
          <input id="adj-note" value=${note} onInput=${(e) => setNote(e.target.value)} data-testid="adjust-note" />
          <${FieldError} errors=${adjust.userErrors} field="input.note" /></label>
      </div>
      <${UserErrors} errors=${adjust.userErrors} fields=${fields} />
      <${ErrorBox} error=${adjust.error} />
      ${notice ? html`<${Notice}>${notice}<//>` : ''}
      <div class="actions"><button type="submit" class="primary" disabled=${adjust.busy || !delta} data-testid="adjust-submit">${t('stock.adjust')}</button></div>
    </form>` : ''}

    <h3>${t('stock.whyTitle')}</h3>
    <${ChannelSelect} channels=${channels} value=${channel} id="why-channel"
      onChange=${(c) => go('stock', { ...params, channel: c })} />
    ${channel ? html`<${Explanation} key=${channel} variantId=${variantId} channelId=${channel} bump=${bump} />` : ''}
  </section>`;
}

const EXPLAIN = `query Explain($v: ID!, $c: ID!, $after: String) {
  stockExplanation(variantId: $v, channelId: $c) {
    quantity rule summary warehouseChosen onHand committed pendingExport available trackInventory allowOversell oversellPolicy oversellQuantity
    safetyStock safetyStockSource allocatedQuantity syncQuantity syncPrice pricePolicy price { amount currencyCode }
    lastPushedQuantity lastPushedAt pushPending ordersWaiting held
    warehouses { warehouse { id name } onHand committed pendingExport available }
    link { id state errorMessage listing { sellerSku } }
  }
  stockPushes(channelId: $c, filter: { variantId: $v }, first: 10, after: $after, reverse: true) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id createdAt quantity price { amount currencyCode } ok errorCode response sellerSku }
  }
}`;
const PUSH_EVENTS = `subscription PushEvents($c: ID!) { channelEvents(channelId: $c, kinds: [STOCK_PUSH, PRICE_PUSH, SYNC_ERROR_RAISED, SYNC_ERROR_CLEARED]) { kind sku ok at } }`;

function Explanation({ variantId, channelId, bump }) {
  const pager = usePager(variantId + channelId);
  const q = useQuery(EXPLAIN, { v: variantId, c: channelId, after: pager.after });
  useEffect(() => {
    if (bump) q.reload();
  }, [bump]);
  const timer = useRef(null);
  // A push on this channel may be this variant's: reload, at most twice a second.
  useSubscription(PUSH_EVENTS, { c: channelId }, (d) => {
    const sku = q.data && q.data.stockExplanation.link && q.data.stockExplanation.link.listing && q.data.stockExplanation.link.listing.sellerSku;
    if (sku && d.channelEvents.sku && d.channelEvents.sku !== sku) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => q.reload(), 500);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  const x = q.data && q.data.stockExplanation;
  const pushes = q.data && q.data.stockPushes;
  return html`<div>
    <${ErrorBox} error=${q.error} />
    <${Loading} when=${q.loading && !q.data} />
    ${x ? html`<div class="explain" data-testid="stock-explanation" data-quantity=${x.quantity ?? ''} data-rule=${x.rule}
        data-last-pushed=${x.lastPushedQuantity ?? ''} data-push-pending=${x.pushPending}>
      <p class="big"><span class="muted">${t('why.pushes')}</span> <strong data-testid="explain-quantity">${x.quantity === null ? t('why.noQuantity') : fmtNum(x.quantity)}</strong>
        ${x.price ? html` · ${fmtMoney(x.price)}` : ''}</p>
      <p data-testid="explain-summary">${x.summary}</p>
      <ol class="steps" data-testid="explain-steps">
        <li>${t('why.rule')}: <strong>${enumLabel('QuantityRule', x.rule)}</strong></li>
        <li>${t('why.warehouses')} ${x.warehouseChosen ? t('why.chosen') : t('why.default')}:
          <ul>${x.warehouses.map((w) => html`<li>${w.warehouse.name}: ${t('why.figures', { onHand: fmtNum(w.onHand), committed: fmtNum(w.committed), pending: fmtNum(w.pendingExport), available: fmtNum(w.available) })}</li>`)}</ul></li>
        <li>${t('why.total', { onHand: fmtNum(x.onHand), committed: fmtNum(x.committed), pending: fmtNum(x.pendingExport), available: fmtNum(x.available) })}</li>
        ${!x.trackInventory ? html`<li>${t('why.notTracked')}</li>` : ''}
        ${!x.syncQuantity ? html`<li>${t('why.syncOff')}</li>` : ''}
        ${x.allowOversell ? html`<li>${t('why.oversell', { policy: enumLabel('OversellPolicy', x.oversellPolicy), n: fmtNum(x.oversellQuantity) })}</li>` : ''}
        ${x.safetyStock ? html`<li>${t('why.safety', { n: fmtNum(x.safetyStock), source: enumLabel('SafetyStockSource', x.safetyStockSource) })}</li>` : ''}
        ${x.allocatedQuantity !== null ? html`<li>${t('why.allocated', { n: fmtNum(x.allocatedQuantity) })}</li>` : ''}
        <li>${t('why.price', { policy: enumLabel('PricePolicy', x.pricePolicy) })}${x.syncPrice ? '' : ' — ' + t('why.priceOff')}</li>
      </ol>
      <dl class="kv">
        <dt>${t('why.link')}</dt><dd>${x.link ? html`<${Pill} value=${x.link.state} type="LinkState" /> ${x.link.errorMessage || ''}` : t('why.notLinked')}</dd>
        <dt>${t('why.lastPushed')}</dt><dd data-testid="explain-last-pushed">${fmtNum(x.lastPushedQuantity)} · ${fmtDate(x.lastPushedAt)}</dd>
        <dt>${t('why.state')}</dt><dd>${x.pushPending ? html`<span class="pill running" data-testid="push-pending">${t('why.pending')}</span>` : html`<span class="pill completed">${t('why.upToDate')}</span>`}
          ${x.held ? html` <span class="pill failed">${t('why.held')}</span>` : ''}${x.ordersWaiting ? html` <span class="pill">${t('why.ordersWaiting')}</span>` : ''}</dd>
      </dl>
    </div>` : ''}
    ${pushes ? html`<h3>${t('why.history')}</h3>
      <div class="table-wrap"><table class="table compact" data-testid="push-history">
        <thead><tr><th scope="col">${t('common.time')}</th><th scope="col">${t('links.sellerSku')}</th><th scope="col" class="num">${t('common.quantity')}</th>
          <th scope="col">${t('common.price')}</th><th scope="col">${t('common.result')}</th></tr></thead>
        <tbody>${pushes.nodes.map((p) => html`<tr data-testid="row-push" data-id=${p.id} data-ok=${p.ok} data-quantity=${p.quantity ?? ''}>
          <td data-label=${t('common.time')}>${fmtDate(p.createdAt)}</td><td data-label=${t('links.sellerSku')}>${p.sellerSku || '—'}</td>
          <td class="num" data-label=${t('common.quantity')}>${fmtNum(p.quantity)}</td><td data-label=${t('common.price')}>${fmtMoney(p.price)}</td>
          <td data-label=${t('common.result')}>${p.ok ? html`<span class="pill completed">${t('common.ok')}</span>` : html`<span class="pill failed">${t('common.failed')}</span>
            <div class="error-text small">${typeof p.response === 'string' ? p.response : JSON.stringify(p.response)}</div>`}</td>
        </tr>`)}</tbody>
      </table></div>
      ${!pushes.nodes.length ? html`<${Empty}>${t('why.noPushes')}<//>` : ''}
      <${Pager} pager=${pager} pageInfo=${pushes.pageInfo} total=${pushes.totalCount} />` : ''}
  </div>`;
}
