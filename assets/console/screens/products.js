// Sản phẩm & liên kết: per channel, the four link tabs (Tất cả / Đồng bộ thành công / Lỗi đồng bộ / Liên kết lỗi),
// bulk linking with a dry-run preview and live progress, the channel's listings (create a hub product, manual link),
// compare, relink, unlink ("ngắt đồng bộ") and delete ("hủy đồng bộ").
import {
  html, useState, useEffect, useQuery, useMutation, usePager, useRun, useSubscription, useChannels, go, href, fmtMoney, fmtNum, fmtDate,
  ErrorBox, FieldError, UserErrors, Pager, Confirm, Dialog, RunProgress, Pill, Loading, ChannelSelect, Empty, Notice, RUN_FIELDS,
} from '/console/ui.js';
import { canWrite, gql } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';

const TABS = [
  ['all', 'ALL'],
  ['synced', 'SYNCED'],
  ['sync-error', 'SYNC_ERROR'],
  ['link-error', 'LINK_ERROR'],
];
const PAGE = 25;

export function Products({ params }) {
  const { channels, error } = useChannels();
  const channel = params.channel || (channels[0] && channels[0].id);
  const view = params.view || 'links';
  const setChannel = (id) => go('products', { channel: id, view });
  return html`<section data-testid="screen-products">
    <h1>${t('nav.products')}</h1>
    <${ErrorBox} error=${error} />
    <div class="toolbar">
      <${ChannelSelect} channels=${channels} value=${channel} onChange=${setChannel} id="products-channel" />
      <nav class="subnav" aria-label=${t('products.views')}>
        ${['links', 'bulk', 'listings'].map(
          (v) => html`<a href=${href('products', { channel, view: v })} class=${v === view ? 'active' : ''} aria-current=${v === view ? 'page' : undefined}
            data-testid=${'view-' + v}>${t('products.view.' + v)}</a>`,
        )}
      </nav>
    </div>
    ${!channel ? html`<${Empty}>${t('products.noChannel')}<//>` : ''}
    ${channel && view === 'links' ? html`<${Links} key=${channel} channel=${channel} params=${params} />` : ''}
    ${channel && view === 'bulk' ? html`<${BulkLink} key=${channel} channel=${channel} />` : ''}
    ${channel && view === 'listings' ? html`<${Listings} key=${channel} channel=${channel} params=${params} />` : ''}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The four tabs.

const COUNTS = `query LinkCounts($c: ID!, $s: String) {
  all: productLinks(channelId: $c, view: ALL, search: $s, first: 0) { totalCount }
  synced: productLinks(channelId: $c, view: SYNCED, search: $s, first: 0) { totalCount }
  syncError: productLinks(channelId: $c, view: SYNC_ERROR, search: $s, first: 0) { totalCount }
  linkError: productLinks(channelId: $c, view: LINK_ERROR, search: $s, first: 0) { totalCount }
}`;

const LINK_FIELDS = `id state errorCode errorMessage lastPushedQuantity lastPushedPrice { amount currencyCode } lastPushedAt linkedAt updatedAt
  variant { id title sku barcode price { amount currencyCode } product { id title } }
  product { id title }
  listing { id sellerSku title variantTitle externalSkuId price { amount currencyCode } quantity }`;

const LINKS = `query Links($c: ID!, $view: ProductLinkView!, $s: String, $after: String) {
  productLinks(channelId: $c, view: $view, search: $s, first: ${PAGE}, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${LINK_FIELDS} }
  }
}`;

const LINK_RESULTS = `subscription LinkResults($c: ID!) { channelEvents(channelId: $c, kinds: [LINK_RESULT]) { kind } }`;
const RELINK = `mutation Relink($input: ProductLinksRelinkInput!) { productLinksRelink(input: $input) { syncRun { ${RUN_FIELDS} } userErrors { field code message } } }`;
const UNLINK = `mutation Unlink($ids: [ID!]!) { productLinksUnlink(linkIds: $ids) { productLinks { id state } userErrors { field code message } } }`;
const DELETE = `mutation DeleteLinks($ids: [ID!]!) { productLinksDelete(linkIds: $ids) { deletedIds userErrors { field code message } } }`;

function Links({ channel, params }) {
  const tab = TABS.find(([k]) => k === params.tab) || TABS[0];
  const search = params.q || '';
  const [draft, setDraft] = useState(search);
  useEffect(() => setDraft(search), [search]);
  const pager = usePager(channel + tab[0] + search);
  const counts = useQuery(COUNTS, { c: channel, s: search || null });
  const list = useQuery(LINKS, { c: channel, view: tab[1], s: search || null, after: pager.after });
  const [selected, setSelected] = useState(new Set());
  useEffect(() => setSelected(new Set()), [channel, tab[0], search, pager.after]);
  const [dialog, setDialog] = useState(null); // { kind: 'compare'|'unlink'|'delete'|'manual'|'variant', links: [...] }
  const relink = useMutation(RELINK);
  const unlink = useMutation(UNLINK);
  const del = useMutation(DELETE);
  const [notice, setNotice] = useState(null);
  const refresh = () => {
    counts.reload();
    list.reload();
  };
  const [run, setRun] = useRun(refresh);
  // Link runs the hub starts by itself (a product edited in the hub is matched again) move rows between the tabs:
  // refresh on their results, at most twice a second.
  const [linkResults, setLinkResults] = useState(0);
  useSubscription(LINK_RESULTS, { c: channel }, () => setLinkResults((n) => n + 1), !!channel);
  useEffect(() => {
    if (!linkResults) return undefined;
    const id = setTimeout(refresh, 500);
    return () => clearTimeout(id);
  }, [linkResults]);

  const c = counts.data || {};
  const countOf = { all: c.all, synced: c.synced, 'sync-error': c.syncError, 'link-error': c.linkError };
  const nodes = (list.data && list.data.productLinks.nodes) || [];
  const chosen = nodes.filter((n) => selected.has(n.id));
  const toggle = (id) => setSelected((s) => {
    const n = new Set(s);
    n.has(id) ? n.delete(id) : n.add(id);
    return n;
  });

  async function doRelink(input) {
    setNotice(null);
    const p = await relink.run({ input: { channelId: channel, ...input } });
    // Refused (e.g. a link run rewrote the error rows meanwhile): show the refusal over a fresh list.
    if (p) setRun(p.syncRun);
    else refresh();
  }
  async function doUnlinkOrDelete() {
    const ids = dialog.links.map((l) => l.id);
    const m = dialog.kind === 'unlink' ? unlink : del;
    const p = await m.run({ ids });
    if (p) {
      setNotice(t(dialog.kind === 'unlink' ? 'links.unlinked' : 'links.deleted', { n: ids.length }));
      setDialog(null);
      setSelected(new Set());
      refresh();
    }
  }

  return html`<div>
    <div class="tabs" role="tablist" aria-label=${t('links.tabs')}>
      ${TABS.map(([k]) => html`<a role="tab" href=${href('products', { channel, view: 'links', tab: k, q: search })} aria-selected=${k === tab[0]}
          class=${'tab' + (k === tab[0] ? ' active' : '')} data-testid=${'tab-' + k} data-count=${countOf[k] ? countOf[k].totalCount : ''}>
          ${t('links.tab.' + k)} <span class="count" data-testid="tab-count">${countOf[k] ? fmtNum(countOf[k].totalCount) : '…'}</span></a>`)}
    </div>
    <form class="toolbar" role="search" onSubmit=${(e) => {
      e.preventDefault();
      go('products', { channel, view: 'links', tab: tab[0], q: draft.trim() });
    }}>
      <label class="field grow" for="links-search"><span>${t('links.search')}</span>
        <input id="links-search" type="search" value=${draft} onInput=${(e) => setDraft(e.target.value)} data-testid="links-search" placeholder=${t('links.searchHint')} /></label>
      <button type="submit" data-testid="links-search-submit">${t('common.search')}</button>
    </form>
    <${ErrorBox} error=${counts.error || list.error || relink.error || unlink.error || del.error} />
    <${UserErrors} errors=${relink.userErrors} />
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <${RunProgress} run=${run} />
    ${canWrite()
      ? html`<div class="toolbar">
          <button type="button" disabled=${!chosen.length || relink.busy} onClick=${() => doRelink({ linkIds: chosen.map((l) => l.id) })} data-testid="relink-selected">
            ${t('links.relinkSelected', { n: chosen.length })}</button>
          <button type="button" disabled=${!chosen.length} onClick=${() => setDialog({ kind: 'unlink', links: chosen })} data-testid="unlink-selected">${t('links.unlinkSelected', { n: chosen.length })}</button>
          <button type="button" disabled=${!chosen.length} onClick=${() => setDialog({ kind: 'delete', links: chosen })} data-testid="delete-selected">${t('links.deleteSelected', { n: chosen.length })}</button>
          ${tab[0] === 'link-error' ? html`<button type="button" class="primary" disabled=${relink.busy} onClick=${() => doRelink({ allErrors: true })} data-testid="relink-all-errors">${t('links.relinkAllErrors')}</button>` : ''}
        </div>`
      : ''}
    <${Loading} when=${list.loading && !list.data} />
    <div class="table-wrap">
      <table class="table">
        <thead><tr>
          ${canWrite() ? html`<th scope="col"><span class="sr-only">${t('common.select')}</span></th>` : ''}
          <th scope="col">${t('links.col.product')}</th><th scope="col">${t('links.col.variant')}</th><th scope="col">${t('links.col.listing')}</th>
          <th scope="col">${t('links.col.state')}</th><th scope="col">${t('links.col.pushed')}</th><th scope="col">${t('common.actions')}</th>
        </tr></thead>
        <tbody>
          ${nodes.map((l) => html`<tr key=${l.id} data-testid="row-link" data-id=${l.id} data-state=${l.state}>
            ${canWrite() ? html`<td><input type="checkbox" aria-label=${t('common.select')} checked=${selected.has(l.id)} onChange=${() => toggle(l.id)} data-testid="select-row" /></td>` : ''}
            <td data-label=${t('links.col.product')}>${l.product ? l.product.title : html`<span class="muted">${t('links.productDeleted')}</span>`}</td>
            <td data-label=${t('links.col.variant')}>${l.variant ? html`${l.variant.title}<div class="muted small">SKU ${l.variant.sku || '—'} · ${t('common.barcode')} ${l.variant.barcode || '—'}</div>` : '—'}</td>
            <td data-label=${t('links.col.listing')}>${l.listing ? html`${l.listing.title}${l.listing.variantTitle ? ' · ' + l.listing.variantTitle : ''}<div class="muted small">${t('links.sellerSku')} ${l.listing.sellerSku || '—'}</div>` : html`<span class="muted">${t('links.noListing')}</span>`}</td>
            <td data-label=${t('links.col.state')}><${Pill} value=${l.state} type="LinkState" />
              ${l.errorMessage ? html`<div class="error-text" data-testid="link-error-message">${l.errorMessage}</div>` : ''}
              ${l.errorCode ? html`<div class="muted small">${enumLabel('SyncErrorCode', l.errorCode)}</div>` : ''}</td>
            <td data-label=${t('links.col.pushed')}>${fmtNum(l.lastPushedQuantity)} · ${fmtMoney(l.lastPushedPrice)}<div class="muted small">${fmtDate(l.lastPushedAt)}</div></td>
            <td data-label=${t('common.actions')} class="row-actions">
              ${l.listing && l.variant ? html`<button type="button" class="small" onClick=${() => setDialog({ kind: 'compare', links: [l] })} data-testid="link-compare">${t('links.compare')}</button>` : ''}
              ${canWrite() ? html`
                ${l.variant ? html`<button type="button" class="small" onClick=${() => setDialog({ kind: 'variant', links: [l] })} data-testid="link-fix">${t('links.fixVariant')}</button>` : ''}
                <button type="button" class="small" disabled=${relink.busy} onClick=${() => doRelink({ linkIds: [l.id] })} data-testid="link-relink">${t('links.relink')}</button>
                <button type="button" class="small" onClick=${() => setDialog({ kind: 'manual', links: [l] })} data-testid="link-manual">${t('links.manual')}</button>
                ${l.state !== 'UNLINKED' ? html`<button type="button" class="small" onClick=${() => setDialog({ kind: 'unlink', links: [l] })} data-testid="link-unlink">${t('links.unlink')}</button>` : ''}
                <button type="button" class="small danger" onClick=${() => setDialog({ kind: 'delete', links: [l] })} data-testid="link-delete">${t('links.delete')}</button>` : ''}
            </td>
          </tr>`)}
        </tbody>
      </table>
      ${list.data && !nodes.length ? html`<${Empty} />` : ''}
    </div>
    <${Pager} pager=${pager} pageInfo=${list.data && list.data.productLinks.pageInfo} total=${list.data && list.data.productLinks.totalCount} />

    <${Confirm} open=${dialog && (dialog.kind === 'unlink' || dialog.kind === 'delete')} testid="confirm-link"
      title=${dialog && t(dialog.kind === 'unlink' ? 'links.unlinkTitle' : 'links.deleteTitle', { n: dialog.links.length })}
      confirmLabel=${dialog && t(dialog.kind === 'unlink' ? 'links.unlink' : 'links.delete')} danger=${dialog && dialog.kind === 'delete'}
      busy=${unlink.busy || del.busy} onConfirm=${doUnlinkOrDelete} onClose=${() => setDialog(null)}>
      <p class=${dialog && dialog.kind === 'unlink' ? 'strong' : ''}>${t('links.unlinkExplain')}</p>
      <p class=${dialog && dialog.kind === 'delete' ? 'strong' : ''}>${t('links.deleteExplain')}</p>
      <${UserErrors} errors=${dialog && dialog.kind === 'unlink' ? unlink.userErrors : del.userErrors} />
    <//>
    ${dialog && dialog.kind === 'compare' ? html`<${Compare} link=${dialog.links[0]} onClose=${() => setDialog(null)} />` : ''}
    ${dialog && dialog.kind === 'manual' ? html`<${ManualLink} channel=${channel} link=${dialog.links[0]} onClose=${() => setDialog(null)} onDone=${() => { setDialog(null); refresh(); }} />` : ''}
    ${dialog && dialog.kind === 'variant' ? html`<${VariantFix} variant=${dialog.links[0].variant} onClose=${() => setDialog(null)}
        onDone=${() => { setDialog(null); setNotice(t('links.variantSaved')); refresh(); }} />` : ''}
  </div>`;
}

const COMPARE = `query Compare($id: ID!) { productLinkCompare(linkId: $id) { field hub channel differs } }`;

function Compare({ link, onClose }) {
  const q = useQuery(COMPARE, { id: link.id });
  const rows = (q.data && q.data.productLinkCompare) || [];
  return html`<${Dialog} open=${true} title=${t('links.compareTitle')} onClose=${onClose} testid="compare-dialog">
    <${ErrorBox} error=${q.error} />
    <div class="table-wrap"><table class="table compare" data-testid="link-compare-table">
      <thead><tr><th scope="col">${t('compare.field')}</th><th scope="col">${t('compare.hub')}</th><th scope="col">${t('compare.channel')}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr class=${r.differs ? 'differs' : ''} data-testid="compare-row" data-field=${r.field} data-differs=${r.differs}>
        <th scope="row">${t('compare.f.' + r.field)}</th><td>${r.hub ?? '—'}</td><td>${r.channel ?? '—'} ${r.differs ? html`<span class="pill failed">${t('compare.differs')}</span>` : ''}</td></tr>`)}</tbody>
    </table></div>
    <div class="actions"><button type="button" onClick=${onClose}>${t('common.close')}</button></div>
  <//>`;
}

// Fix the data a link matches on: the variant's barcode and SKU (then "Đồng bộ lại").
const VARIANT_UPDATE = `mutation VariantFix($id: ID!, $input: ProductVariantUpdateInput!) {
  productVariantUpdate(id: $id, input: $input) { productVariant { id sku barcode } userErrors { field code message } }
}`;

function VariantFix({ variant, onClose, onDone }) {
  const [barcode, setBarcode] = useState(variant.barcode || '');
  const [sku, setSku] = useState(variant.sku || '');
  const m = useMutation(VARIANT_UPDATE);
  async function save(e) {
    e.preventDefault();
    const p = await m.run({ id: variant.id, input: { barcode: barcode.trim(), sku: sku.trim() } });
    if (p) onDone();
  }
  return html`<${Dialog} open=${true} title=${t('links.fixTitle', { v: variant.title })} onClose=${onClose} testid="variant-dialog">
    <form onSubmit=${save}>
      <p class="muted">${t('links.fixHint')}</p>
      <label class="field" for="fix-barcode"><span>${t('common.barcode')}</span>
        <input id="fix-barcode" value=${barcode} onInput=${(e) => setBarcode(e.target.value)} data-testid="variant-barcode" /></label>
      <${FieldError} errors=${m.userErrors} field="input.barcode" />
      <label class="field" for="fix-sku"><span>SKU</span>
        <input id="fix-sku" value=${sku} onInput=${(e) => setSku(e.target.value)} data-testid="variant-sku" /></label>
      <${FieldError} errors=${m.userErrors} field="input.sku" />
      <${UserErrors} errors=${m.userErrors} fields=${['input.barcode', 'input.sku']} />
      <${ErrorBox} error=${m.error} />
      <div class="actions">
        <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="primary" disabled=${m.busy} data-testid="variant-save">${t('common.save')}</button>
      </div>
    </form>
  <//>`;
}

// Manual link: a listing to a chosen hub variant. From a link with a listing, choose the variant; from a
// variant with no listing, choose the listing.
const VARIANT_SEARCH = `query VariantSearch($s: String) { productVariants(first: 10, filter: { search: $s }) { nodes { id title sku barcode product { id title } } } }`;
const LISTING_SEARCH = `query ListingSearch($c: ID!, $s: String) { channelListings(channelId: $c, search: $s, unlinkedOnly: true, first: 10) { nodes { id title variantTitle sellerSku } } }`;
const LINK_SET = `mutation LinkSet($listingId: ID!, $variantId: ID!) { productLinkSet(listingId: $listingId, variantId: $variantId) { productLink { id state errorMessage } userErrors { field code message } } }`;

export function ManualLink({ channel, link, listing, onClose, onDone }) {
  const fixedListing = listing || (link && link.listing);
  const fixedVariant = !fixedListing && link ? link.variant : null;
  const [s, setS] = useState('');
  const [query, setQuery] = useState('');
  const [pick, setPick] = useState(null);
  const searchVariants = !!fixedListing;
  const q = useQuery(searchVariants ? VARIANT_SEARCH : LISTING_SEARCH, searchVariants ? { s: query || null } : { c: channel, s: query || null });
  const options = q.data ? (searchVariants ? q.data.productVariants.nodes : q.data.channelListings.nodes) : [];
  const m = useMutation(LINK_SET);
  async function save() {
    if (!pick) return;
    const vars = searchVariants ? { listingId: fixedListing.id, variantId: pick } : { listingId: pick, variantId: fixedVariant.id };
    const p = await m.run(vars);
    if (p) onDone(p.productLink);
  }
  return html`<${Dialog} open=${true} title=${t('links.manualTitle')} onClose=${onClose} testid="manual-dialog">
    <p>${searchVariants
      ? t('links.manualListing', { l: fixedListing.title + (fixedListing.variantTitle ? ' · ' + fixedListing.variantTitle : '') + ' (' + (fixedListing.sellerSku || '—') + ')' })
      : t('links.manualVariant', { v: fixedVariant ? fixedVariant.title : '' })}</p>
    <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); setQuery(s.trim()); }}>
      <label class="field grow" for="manual-search"><span>${searchVariants ? t('links.findVariant') : t('links.findListing')}</span>
        <input id="manual-search" type="search" value=${s} onInput=${(e) => setS(e.target.value)} data-testid="manual-search" /></label>
      <button type="submit">${t('common.search')}</button>
    </form>
    <${ErrorBox} error=${q.error || m.error} />
    <fieldset class="choices"><legend class="sr-only">${t('common.choose')}</legend>
      ${options.map((o) => html`<label class="choice" data-testid="manual-option" data-id=${o.id}>
        <input type="radio" name="manual-pick" value=${o.id} checked=${pick === o.id} onChange=${() => setPick(o.id)} />
        ${searchVariants ? html`${o.product ? o.product.title : ''} · ${o.title} <span class="muted small">SKU ${o.sku || '—'} · ${t('common.barcode')} ${o.barcode || '—'}</span>`
          : html`${o.title}${o.variantTitle ? ' · ' + o.variantTitle : ''} <span class="muted small">${t('links.sellerSku')} ${o.sellerSku || '—'}</span>`}
      </label>`)}
      ${q.data && !options.length ? html`<${Empty} />` : ''}
    </fieldset>
    <${FieldError} errors=${m.userErrors} field="listingId" />
    <${FieldError} errors=${m.userErrors} field="variantId" />
    <${UserErrors} errors=${m.userErrors} fields=${['listingId', 'variantId']} />
    <div class="actions">
      <button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      <button type="button" class="primary" disabled=${!pick || m.busy} onClick=${save} data-testid="manual-save">${t('links.link')}</button>
    </div>
  <//>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Bulk link: choose products (by selection, or by a filter), preview, then link; the run is followed live.

const PRODUCTS = `query BulkProducts($s: String, $after: String) {
  products(first: 20, after: $after, filter: { search: $s }) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id title variants { id title sku barcode } }
  }
}`;
function statusQuery(n) {
  const vars = Array.from({ length: n }, (_, i) => `$p${i}: ID!`).join(', ');
  const fields = Array.from({ length: n }, (_, i) => `s${i}: productLinkStatus(productId: $p${i}, channelId: $c) { state failingVariants { id title } }`).join('\n');
  return `query LinkStatus($c: ID!, ${vars}) { ${fields} }`;
}
const PREVIEW = `query Preview($input: ProductLinksCreateInput!) {
  productLinksPreview(input: $input) { wouldLink errorCode errorMessage variant { id title sku barcode product { id title } } listing { id title sellerSku } }
}`;
const CREATE = `mutation BulkLink($input: ProductLinksCreateInput!) { productLinksCreate(input: $input) { syncRun { ${RUN_FIELDS} } userErrors { field code message } } }`;

function BulkLink({ channel }) {
  const [mode, setMode] = useState('selection');
  const [s, setS] = useState('');
  const [search, setSearch] = useState('');
  const [notYetLinked, setNotYetLinked] = useState(true);
  const [hasMatchKey, setHasMatchKey] = useState('');
  const pager = usePager(search);
  const list = useQuery(PRODUCTS, { s: search || null, after: pager.after });
  const nodes = (list.data && list.data.products.nodes) || [];
  const statusVars = { c: channel, ...Object.fromEntries(nodes.map((p, i) => ['p' + i, p.id])) };
  const status = useQuery(nodes.length ? statusQuery(nodes.length) : 'query None { __typename }', statusVars, nodes.length > 0);
  const [selected, setSelected] = useState(new Map()); // id -> title, kept across pages
  const [preview, setPreview] = useState(null);
  const [previewError, setPreviewError] = useState(null);
  const [previewBusy, setPreviewBusy] = useState(false);
  const [open, setOpen] = useState(null); // product id whose failing variants are shown
  const create = useMutation(CREATE);
  const [run, setRun] = useRun(() => status.reload());

  const input = () => {
    const base = { channelId: channel };
    if (mode === 'selection') return { ...base, productIds: [...selected.keys()] };
    const filter = { notYetLinked };
    if (search) filter.search = search;
    if (hasMatchKey !== '') filter.hasMatchKey = hasMatchKey === 'yes';
    return { ...base, filter };
  };
  // A new choice makes the old preview stale.
  useEffect(() => setPreview(null), [mode, search, notYetLinked, hasMatchKey, selected.size]);

  async function doPreview() {
    setPreviewBusy(true);
    setPreviewError(null);
    try {
      const d = await gql(PREVIEW, { input: input() });
      setPreview(d.productLinksPreview);
    } catch (e) {
      setPreviewError(e);
    } finally {
      setPreviewBusy(false);
    }
  }
  async function doLink() {
    const p = await create.run({ input: input() });
    if (p) {
      setRun(p.syncRun);
      setPreview(null);
    }
  }
  const toggle = (p) => setSelected((m) => {
    const n = new Map(m);
    n.has(p.id) ? n.delete(p.id) : n.set(p.id, p.title);
    return n;
  });
  const st = status.data || {};
  const ok = preview ? preview.filter((x) => x.wouldLink).length : 0;

  return html`<div>
    <p class="muted">${t('bulk.intro')}</p>
    <form class="toolbar" role="search" onSubmit=${(e) => { e.preventDefault(); setSearch(s.trim()); }}>
      <label class="field grow" for="bulk-search"><span>${t('bulk.search')}</span>
        <input id="bulk-search" type="search" value=${s} onInput=${(e) => setS(e.target.value)} data-testid="bulk-search" /></label>
      <button type="submit">${t('common.search')}</button>
    </form>
    <fieldset class="toolbar">
      <legend>${t('bulk.mode')}</legend>
      <label class="inline"><input type="radio" name="bulk-mode" checked=${mode === 'selection'} onChange=${() => setMode('selection')} data-testid="bulk-mode-selection" /> ${t('bulk.bySelection', { n: selected.size })}</label>
      <label class="inline"><input type="radio" name="bulk-mode" checked=${mode === 'filter'} onChange=${() => setMode('filter')} data-testid="bulk-mode-filter" /> ${t('bulk.byFilter')}</label>
      ${mode === 'filter' ? html`
        <label class="inline"><input type="checkbox" checked=${notYetLinked} onChange=${(e) => setNotYetLinked(e.target.checked)} data-testid="bulk-not-yet-linked" /> ${t('bulk.notYetLinked')}</label>
        <label class="field" for="bulk-has-key"><span>${t('bulk.hasMatchKey')}</span>
          <select id="bulk-has-key" value=${hasMatchKey} onChange=${(e) => setHasMatchKey(e.target.value)}>
            <option value="">${t('common.any')}</option><option value="yes">${t('common.yes')}</option><option value="no">${t('common.no')}</option>
          </select></label>` : ''}
    </fieldset>
    <div class="toolbar">
      <button type="button" disabled=${previewBusy || (mode === 'selection' && !selected.size)} onClick=${doPreview} data-testid="bulk-preview">${t('bulk.preview')}</button>
      ${canWrite() ? html`<button type="button" class="primary" disabled=${!preview || !ok || create.busy} onClick=${doLink} data-testid="bulk-confirm">${t('bulk.confirm', { n: ok })}</button>` : ''}
      ${mode === 'selection' && selected.size ? html`<button type="button" class="link" onClick=${() => setSelected(new Map())}>${t('bulk.clear')}</button>` : ''}
    </div>
    <${ErrorBox} error=${previewError || create.error || list.error || status.error} />
    <${UserErrors} errors=${create.userErrors} />
    <${RunProgress} run=${run} />
    ${run && run.status === 'COMPLETED' ? html`<${Notice}>${t('bulk.done', { ok: run.succeeded, failed: run.failed })} <a href=${href('products', { channel, view: 'links', tab: 'link-error' })}>${t('links.tab.link-error')}</a><//>` : ''}
    ${preview ? html`<section class="preview" data-testid="bulk-preview-result" data-would-link=${ok} data-total=${preview.length}>
      <h2>${t('bulk.previewTitle', { ok, total: preview.length })}</h2>
      <div class="table-wrap"><table class="table">
        <thead><tr><th scope="col">${t('links.col.product')}</th><th scope="col">${t('links.col.variant')}</th><th scope="col">${t('links.col.listing')}</th><th scope="col">${t('bulk.result')}</th></tr></thead>
        <tbody>${preview.map((x) => html`<tr data-testid="row-preview" data-id=${x.variant.id} data-would-link=${x.wouldLink}>
          <td data-label=${t('links.col.product')}>${x.variant.product ? x.variant.product.title : ''}</td>
          <td data-label=${t('links.col.variant')}>${x.variant.title}<div class="muted small">SKU ${x.variant.sku || '—'} · ${t('common.barcode')} ${x.variant.barcode || '—'}</div></td>
          <td data-label=${t('links.col.listing')}>${x.listing ? html`${x.listing.title} <span class="muted small">${x.listing.sellerSku}</span>` : '—'}</td>
          <td data-label=${t('bulk.result')}>${x.wouldLink ? html`<span class="pill linked">${t('bulk.wouldLink')}</span>` : html`<span class="pill link_error">${enumLabel('SyncErrorCode', x.errorCode)}</span><div class="error-text">${x.errorMessage}</div>`}</td>
        </tr>`)}</tbody>
      </table></div>
    </section>` : ''}

    <h2>${t('bulk.products')}</h2>
    <${Loading} when=${list.loading && !list.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr>${mode === 'selection' ? html`<th scope="col"><span class="sr-only">${t('common.select')}</span></th>` : ''}
        <th scope="col">${t('links.col.product')}</th><th scope="col">${t('bulk.variants')}</th><th scope="col">${t('bulk.linkState')}</th></tr></thead>
      <tbody>${nodes.map((p, i) => {
        const ps = st['s' + i];
        return html`<tr data-testid="row-product" data-id=${p.id} data-state=${ps ? ps.state : ''}>
          ${mode === 'selection' ? html`<td><input type="checkbox" aria-label=${t('common.select')} checked=${selected.has(p.id)} onChange=${() => toggle(p)} data-testid="select-product" /></td>` : ''}
          <td data-label=${t('links.col.product')}>${p.title}</td>
          <td data-label=${t('bulk.variants')}>${p.variants.map((v) => html`<div class="small">${v.title} <span class="muted">${t('common.barcode')} ${v.barcode || '—'}</span></div>`)}</td>
          <td data-label=${t('bulk.linkState')}>${ps ? html`<${Pill} value=${ps.state} type="ProductChannelState" />
            ${ps.state === 'FAILED' ? html`<button type="button" class="link small" aria-expanded=${open === p.id} onClick=${() => setOpen(open === p.id ? null : p.id)} data-testid="show-failing">
              ${t('bulk.failing', { n: ps.failingVariants.length })}</button>` : ''}
            ${open === p.id ? html`<${FailingVariants} channel=${channel} product=${p} failing=${ps.failingVariants} />` : ''}` : '…'}</td>
        </tr>`;
      })}</tbody>
    </table></div>
    <${Pager} pager=${pager} pageInfo=${list.data && list.data.products.pageInfo} total=${list.data && list.data.products.totalCount} />
  </div>`;
}

// The failing variants of a product with their errors in the merchant's words (the LINK_ERROR links of the
// product, found by its title: the API has no per-product filter of links).
const PRODUCT_ERRORS = `query ProductErrors($c: ID!, $p: ID!) {
  productLinks(channelId: $c, view: LINK_ERROR, productId: $p, first: 100) { nodes { id errorCode errorMessage variant { id title } } }
}`;
function FailingVariants({ channel, product, failing }) {
  const q = useQuery(PRODUCT_ERRORS, { c: channel, p: product.id });
  const links = (q.data && q.data.productLinks.nodes) || [];
  return html`<ul class="failing" data-testid="failing-variants">
    ${failing.map((v) => {
      const l = links.find((x) => x.variant && x.variant.id === v.id);
      return html`<li data-testid="failing-variant" data-id=${v.id}><strong>${v.title}</strong>: ${l ? html`<span class="error-text">${l.errorMessage}</span>
        <a href=${href('products', { channel, view: 'links', tab: 'link-error', q: product.title })}>${t('bulk.fixIt')}</a>` : q.loading ? '…' : t('bulk.noLinkYet')}</li>`;
    })}
  </ul>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The channel's listings: create hub products from them, or link them by hand.

const LISTINGS = `query Listings($c: ID!, $s: String, $unlinked: Boolean!, $after: String) {
  channelListings(channelId: $c, search: $s, unlinkedOnly: $unlinked, first: ${PAGE}, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id title variantTitle sellerSku externalProductId externalSkuId price { amount currencyCode } listPrice { amount currencyCode } quantity status linkExcluded seenAt }
  }
}`;
const FROM_LISTING = `mutation FromListing($id: ID!) { productCreateFromListing(listingId: $id) { product { id title } productLinks { id state } userErrors { field code message } } }`;
const FROM_LISTINGS = `mutation FromListings($input: ProductsCreateFromListingsInput!) { productsCreateFromListings(input: $input) { syncRun { ${RUN_FIELDS} } userErrors { field code message } } }`;
const PULL = `mutation Pull($c: ID!) { channelListingsPull(channelId: $c) { syncRun { ${RUN_FIELDS} } userErrors { field code message } } }`;

function Listings({ channel, params }) {
  const [s, setS] = useState(params.q || '');
  const [search, setSearch] = useState(params.q || '');
  const [unlinked, setUnlinked] = useState(true);
  const pager = usePager(search + unlinked);
  const q = useQuery(LISTINGS, { c: channel, s: search || null, unlinked, after: pager.after });
  const nodes = (q.data && q.data.channelListings.nodes) || [];
  const one = useMutation(FROM_LISTING);
  const many = useMutation(FROM_LISTINGS);
  const pull = useMutation(PULL);
  const [run, setRun] = useRun(() => q.reload());
  const [selected, setSelected] = useState(new Set());
  const [manual, setManual] = useState(null);
  const [notice, setNotice] = useState(null);
  const toggle = (id) => setSelected((x) => {
    const n = new Set(x);
    n.has(id) ? n.delete(id) : n.add(id);
    return n;
  });
  async function createOne(l) {
    setNotice(null);
    const p = await one.run({ id: l.id });
    if (p) {
      setNotice(t('listings.created', { title: p.product.title, n: p.productLinks.length }));
      q.reload();
    }
  }
  async function createMany() {
    const p = await many.run({ input: { channelId: channel, listingIds: [...selected] } });
    if (p) {
      setRun(p.syncRun);
      setSelected(new Set());
    }
  }
  async function doPull() {
    const p = await pull.run({ c: channel });
    if (p) setRun(p.syncRun);
  }
  return html`<div>
    <form class="toolbar" role="search" onSubmit=${(e) => { e.preventDefault(); setSearch(s.trim()); }}>
      <label class="field grow" for="listing-search"><span>${t('listings.search')}</span>
        <input id="listing-search" type="search" value=${s} onInput=${(e) => setS(e.target.value)} data-testid="listings-search" /></label>
      <label class="inline"><input type="checkbox" checked=${unlinked} onChange=${(e) => setUnlinked(e.target.checked)} data-testid="listings-unlinked" /> ${t('listings.unlinkedOnly')}</label>
      <button type="submit">${t('common.search')}</button>
    </form>
    ${canWrite() ? html`<div class="toolbar">
      <button type="button" disabled=${pull.busy} onClick=${doPull} data-testid="listings-pull">${t('listings.pull')}</button>
      <button type="button" disabled=${!selected.size || many.busy} onClick=${createMany} data-testid="listings-create-selected">${t('listings.createSelected', { n: selected.size })}</button>
    </div>` : ''}
    <${ErrorBox} error=${q.error || one.error || many.error || pull.error} />
    <${UserErrors} errors=${[...one.userErrors, ...many.userErrors, ...pull.userErrors]} />
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <${RunProgress} run=${run} />
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr>${canWrite() ? html`<th scope="col"><span class="sr-only">${t('common.select')}</span></th>` : ''}
        <th scope="col">${t('listings.col.title')}</th><th scope="col">${t('links.sellerSku')}</th><th scope="col">${t('common.price')}</th>
        <th scope="col">${t('common.quantity')}</th><th scope="col">${t('common.status')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${nodes.map((l) => html`<tr data-testid="row-listing" data-id=${l.id}>
        ${canWrite() ? html`<td><input type="checkbox" aria-label=${t('common.select')} disabled=${l.linkExcluded} checked=${selected.has(l.id)} onChange=${() => toggle(l.id)} data-testid="select-listing" /></td>` : ''}
        <td data-label=${t('listings.col.title')}>${l.title}${l.variantTitle ? html`<div class="muted small">${l.variantTitle}</div>` : ''}</td>
        <td data-label=${t('links.sellerSku')}>${l.sellerSku || '—'}</td>
        <td data-label=${t('common.price')}>${fmtMoney(l.price)}${l.listPrice ? html`<div class="muted small">${t('listings.listPrice')} ${fmtMoney(l.listPrice)}</div>` : ''}</td>
        <td data-label=${t('common.quantity')}>${fmtNum(l.quantity)}</td>
        <td data-label=${t('common.status')}>${l.status || '—'} ${l.linkExcluded ? html`<span class="pill failed">${t('listings.excluded')}</span>` : ''}</td>
        <td data-label=${t('common.actions')} class="row-actions">${canWrite() && !l.linkExcluded ? html`
          <button type="button" class="small" onClick=${() => setManual(l)} data-testid="listing-link">${t('links.manual')}</button>
          <button type="button" class="small" disabled=${one.busy} onClick=${() => createOne(l)} data-testid="listing-create">${t('listings.create')}</button>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    ${q.data && !nodes.length ? html`<${Empty}>${t('listings.none')}<//>` : ''}
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.channelListings.pageInfo} total=${q.data && q.data.channelListings.totalCount} />
    ${manual ? html`<${ManualLink} channel=${channel} listing=${manual} onClose=${() => setManual(null)} onDone=${() => { setManual(null); setNotice(t('links.linkedOne')); q.reload(); }} />` : ''}
  </div>`;
}
