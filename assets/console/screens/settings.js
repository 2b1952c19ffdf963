// Cài đặt: warehouses (list, create, edit), API tokens (create with a scope, secret shown once; revoke), and each
// channel's order status mapping (overrides of its kind's table).
import {
  html, useState, useEffect, useQuery, useMutation, usePager, useChannels, go, href, fmtDate,
  ErrorBox, FieldError, UserErrors, Pager, Confirm, Loading, Empty, Notice, Pill, ChannelSelect,
} from '/console/ui.js';
import { canWrite, isAdmin } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';

const ERR = 'userErrors { field code message }';

export function Settings({ params }) {
  const tab = params.tab || 'warehouses';
  const tabs = ['warehouses', ...(isAdmin() ? ['tokens'] : []), 'mapping'];
  return html`<section data-testid="screen-settings">
    <h1>${t('nav.settings')}</h1>
    <nav class="subnav">${tabs.map((k) => html`<a href=${href('settings', { tab: k })} class=${k === tab ? 'active' : ''} aria-current=${k === tab ? 'page' : undefined}
      data-testid=${'settings-tab-' + k}>${t('settings.tab.' + k)}</a>`)}</nav>
    ${tab === 'warehouses' ? html`<${Warehouses} />` : ''}
    ${tab === 'tokens' && isAdmin() ? html`<${Tokens} />` : ''}
    ${tab === 'mapping' ? html`<${Mapping} params=${params} />` : ''}
  </section>`;
}

// --- warehouses ---------------------------------------------------------------------------------------------------

const WH = 'id name code address isDefault stockAllocation lowStockThreshold createdAt updatedAt';
const WAREHOUSES = `query WarehouseList($after: String) { warehouses(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${WH} } } }`;
const WH_CREATE = `mutation WarehouseCreate($input: WarehouseCreateInput!) { warehouseCreate(input: $input) { warehouse { ${WH} } ${ERR} } }`;
const WH_UPDATE = `mutation WarehouseUpdate($id: ID!, $input: WarehouseUpdateInput!) { warehouseUpdate(id: $id, input: $input) { warehouse { ${WH} } ${ERR} } }`;

function Warehouses() {
  const pager = usePager('');
  const q = useQuery(WAREHOUSES, { after: pager.after });
  const nodes = (q.data && q.data.warehouses.nodes) || [];
  const [editing, setEditing] = useState(null); // a warehouse, or {} for a new one
  const [notice, setNotice] = useState(null);
  return html`<div>
    ${canWrite() ? html`<p><button type="button" class="primary" onClick=${() => setEditing({})} data-testid="warehouse-new">${t('warehouses.new')}</button></p>` : ''}
    ${editing ? html`<${WarehouseForm} key=${editing.id || 'new'} warehouse=${editing} onClose=${() => setEditing(null)}
      onSaved=${(w) => { setEditing(null); setNotice(t('warehouses.saved', { name: w.name })); q.reload(); }} />` : ''}
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <${ErrorBox} error=${q.error} />
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('warehouses.name')}</th><th scope="col">${t('warehouses.code')}</th><th scope="col">${t('warehouses.address')}</th>
        <th scope="col">${t('warehouses.allocation')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${nodes.map((w) => html`<tr data-testid="row-warehouse" data-id=${w.id}>
        <td data-label=${t('warehouses.name')}>${w.name} ${w.isDefault ? html`<span class="pill linked">${t('warehouses.default')}</span>` : ''}</td>
        <td data-label=${t('warehouses.code')}>${w.code || '—'}</td>
        <td data-label=${t('warehouses.address')}>${w.address || '—'}</td>
        <td data-label=${t('warehouses.allocation')}>${w.stockAllocation ? t('common.yes') : t('common.no')}${w.lowStockThreshold !== null ? ' · ≤ ' + w.lowStockThreshold : ''}</td>
        <td data-label=${t('common.actions')}>${canWrite() ? html`<button type="button" class="small" onClick=${() => setEditing(w)} data-testid="warehouse-edit">${t('common.edit')}</button>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.warehouses.pageInfo} total=${q.data && q.data.warehouses.totalCount} />
  </div>`;
}

function WarehouseForm({ warehouse: w, onClose, onSaved }) {
  const isNew = !w.id;
  const [v, setV] = useState({
    name: w.name || '', code: w.code || '', address: w.address || '', isDefault: !!w.isDefault,
    stockAllocation: !!w.stockAllocation, lowStockThreshold: w.lowStockThreshold === null || w.lowStockThreshold === undefined ? '' : String(w.lowStockThreshold),
  });
  const m = useMutation(isNew ? WH_CREATE : WH_UPDATE);
  const set = (k, val) => setV({ ...v, [k]: val });
  async function submit(e) {
    e.preventDefault();
    const input = { name: v.name.trim(), code: v.code.trim() || null, address: v.address.trim() || null, stockAllocation: v.stockAllocation,
      lowStockThreshold: v.lowStockThreshold === '' ? null : Number(v.lowStockThreshold) };
    if (isNew || v.isDefault !== !!w.isDefault) input.isDefault = v.isDefault;
    const p = await m.run(isNew ? { input } : { id: w.id, input });
    if (p) onSaved(p.warehouse);
  }
  const F = (k) => 'input.' + k;
  return html`<form class="card" onSubmit=${submit} data-testid="warehouse-form">
    <h2>${isNew ? t('warehouses.new') : t('warehouses.edit', { name: w.name })}</h2>
    <div class="grid">
      <label class="field" for="wh-name"><span>${t('warehouses.name')}</span><input id="wh-name" value=${v.name} onInput=${(e) => set('name', e.target.value)} data-testid="warehouse-name" />
        <${FieldError} errors=${m.userErrors} field=${F('name')} /></label>
      <label class="field" for="wh-code"><span>${t('warehouses.code')}</span><input id="wh-code" value=${v.code} onInput=${(e) => set('code', e.target.value)} data-testid="warehouse-code" />
        <${FieldError} errors=${m.userErrors} field=${F('code')} /></label>
      <label class="field grow" for="wh-address"><span>${t('warehouses.address')}</span><input id="wh-address" value=${v.address} onInput=${(e) => set('address', e.target.value)} data-testid="warehouse-address" />
        <${FieldError} errors=${m.userErrors} field=${F('address')} /></label>
      <label class="field" for="wh-low"><span>${t('warehouses.lowStock')}</span><input id="wh-low" type="number" min="0" value=${v.lowStockThreshold} onInput=${(e) => set('lowStockThreshold', e.target.value)} class="narrow" />
        <${FieldError} errors=${m.userErrors} field=${F('lowStockThreshold')} /></label>
    </div>
    <label class="inline"><input type="checkbox" checked=${v.isDefault} onChange=${(e) => set('isDefault', e.target.checked)} data-testid="warehouse-default" /> ${t('warehouses.makeDefault')}</label>
    <${FieldError} errors=${m.userErrors} field=${F('isDefault')} />
    <label class="inline"><input type="checkbox" checked=${v.stockAllocation} onChange=${(e) => set('stockAllocation', e.target.checked)} /> ${t('warehouses.allocationHint')}</label>
    <${UserErrors} errors=${m.userErrors} fields=${['name', 'code', 'address', 'lowStockThreshold', 'isDefault'].map(F)} />
    <${ErrorBox} error=${m.error} />
    <div class="actions"><button type="button" onClick=${onClose}>${t('common.cancel')}</button>
      <button type="submit" class="primary" disabled=${m.busy} data-testid="warehouse-save">${t('common.save')}</button></div>
  </form>`;
}

// --- API tokens ---------------------------------------------------------------------------------------------------

const TOKENS = `query Tokens($after: String) { apiTokens(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name scope prefix createdAt lastUsedAt revokedAt } } }`;
const TOKEN_CREATE = `mutation TokenCreate($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { apiToken { id name scope prefix } secret ${ERR} } }`;
const TOKEN_REVOKE = `mutation TokenRevoke($id: ID!) { apiTokenRevoke(id: $id) { apiToken { id revokedAt } ${ERR} } }`;

function Tokens() {
  const pager = usePager('');
  const q = useQuery(TOKENS, { after: pager.after });
  const nodes = (q.data && q.data.apiTokens.nodes) || [];
  const [name, setName] = useState('');
  const [scope, setScope] = useState('READ');
  const create = useMutation(TOKEN_CREATE);
  const revoke = useMutation(TOKEN_REVOKE);
  const [secret, setSecret] = useState(null);
  const [copied, setCopied] = useState(false);
  const [confirm, setConfirm] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setSecret(null);
    const p = await create.run({ input: { name: name.trim(), scope } });
    if (p) {
      setSecret({ value: p.secret, name: p.apiToken.name });
      setCopied(false);
      setName('');
      q.reload();
    }
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret.value);
      setCopied(true);
    } catch (e) {
      // No clipboard permission (e.g. http): the secret stays selectable in the field.
      setCopied(false);
    }
  }
  async function doRevoke() {
    const p = await revoke.run({ id: confirm.id });
    if (p) {
      setConfirm(null);
      q.reload();
    }
  }
  return html`<div>
    <form class="card" onSubmit=${submit} data-testid="token-form">
      <h2>${t('tokens.new')}</h2>
      <div class="grid">
        <label class="field grow" for="tok-name"><span>${t('tokens.name')}</span><input id="tok-name" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="token-name" />
          <${FieldError} errors=${create.userErrors} field="input.name" /></label>
        <label class="field" for="tok-scope"><span>${t('tokens.scope')}</span>
          <select id="tok-scope" value=${scope} onChange=${(e) => setScope(e.target.value)} data-testid="token-scope">
            ${['READ', 'WRITE', 'ADMIN'].map((s) => html`<option value=${s}>${enumLabel('TokenScope', s)}</option>`)}</select>
          <${FieldError} errors=${create.userErrors} field="input.scope" /></label>
      </div>
      <${UserErrors} errors=${create.userErrors} fields=${['input.name', 'input.scope']} />
      <${ErrorBox} error=${create.error} />
      <div class="actions"><button type="submit" class="primary" disabled=${create.busy} data-testid="token-create">${t('tokens.create')}</button></div>
    </form>
    ${secret ? html`<div class="banner warn" data-testid="token-secret-box">
      <p><strong>${t('tokens.secretOnce', { name: secret.name })}</strong></p>
      <div class="toolbar"><input readonly value=${secret.value} aria-label=${t('tokens.secret')} data-testid="token-secret" class="grow mono" onFocus=${(e) => e.target.select()} />
        <button type="button" onClick=${copy} data-testid="token-copy">${copied ? t('tokens.copied') : t('tokens.copy')}</button>
        <button type="button" class="link" onClick=${() => setSecret(null)}>${t('tokens.stored')}</button></div>
    </div>` : ''}
    <${ErrorBox} error=${q.error || revoke.error} />
    <${Loading} when=${q.loading && !q.data} />
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('tokens.name')}</th><th scope="col">${t('tokens.scope')}</th><th scope="col">${t('tokens.prefix')}</th>
        <th scope="col">${t('tokens.lastUsed')}</th><th scope="col">${t('common.status')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${nodes.map((k) => html`<tr data-testid="row-token" data-id=${k.id}>
        <td data-label=${t('tokens.name')}>${k.name}</td><td data-label=${t('tokens.scope')}>${enumLabel('TokenScope', k.scope)}</td>
        <td data-label=${t('tokens.prefix')}><code>${k.prefix}…</code></td><td data-label=${t('tokens.lastUsed')}>${fmtDate(k.lastUsedAt)}</td>
        <td data-label=${t('common.status')}>${k.revokedAt ? html`<span class="pill failed">${t('tokens.revokedAt', { at: fmtDate(k.revokedAt) })}</span>` : html`<span class="pill completed">${t('tokens.live')}</span>`}</td>
        <td data-label=${t('common.actions')}>${!k.revokedAt ? html`<button type="button" class="small danger" onClick=${() => setConfirm(k)} data-testid="token-revoke">${t('tokens.revoke')}</button>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    <${Pager} pager=${pager} pageInfo=${q.data && q.data.apiTokens.pageInfo} total=${q.data && q.data.apiTokens.totalCount} />
    <${Confirm} open=${!!confirm} title=${confirm && t('tokens.revokeTitle', { name: confirm.name })} confirmLabel=${t('tokens.revoke')} danger=${true}
      busy=${revoke.busy} onConfirm=${doRevoke} onClose=${() => setConfirm(null)} testid="confirm-revoke">
      <p>${t('tokens.revokeExplain')}</p><${UserErrors} errors=${revoke.userErrors} />
    <//>
  </div>`;
}

// --- status mapping -----------------------------------------------------------------------------------------------

const MAPPING = `query Mapping($id: ID!) { channel(id: $id) { id name kind statusMapping { channelStatus status paymentStatus overridden } } }`;
const MAPPING_UPDATE = `mutation MappingUpdate($c: ID!, $m: [StatusMappingInput!]!) { statusMappingUpdate(channelId: $c, mappings: $m) { statusMapping { channelStatus status paymentStatus overridden } ${ERR} } }`;
const HUB_STATUSES = ['PENDING', 'READY_TO_SHIP', 'IN_TRANSIT', 'DELIVERED', 'DELIVERY_FAILED', 'CANCELLED'];

function Mapping({ params }) {
  const { channels } = useChannels();
  const channel = params.channel || (channels[0] && channels[0].id);
  const q = useQuery(MAPPING, { id: channel }, !!channel);
  const rows = (q.data && q.data.channel && q.data.channel.statusMapping) || [];
  const m = useMutation(MAPPING_UPDATE);
  const [notice, setNotice] = useState(null);
  const [newRaw, setNewRaw] = useState('');
  const [newStatus, setNewStatus] = useState('PENDING');
  async function save(mappings) {
    setNotice(null);
    const p = await m.run({ c: channel, m: mappings });
    if (p) {
      setNotice(t('mapping.saved'));
      q.reload();
    }
  }
  return html`<div>
    <${ChannelSelect} channels=${channels} value=${channel} id="mapping-channel" onChange=${(c) => go('settings', { tab: 'mapping', channel: c })} />
    <p class="muted small">${t('mapping.hint')}</p>
    <${ErrorBox} error=${q.error || m.error} />
    <${UserErrors} errors=${m.userErrors} />
    ${notice ? html`<${Notice}>${notice}<//>` : ''}
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('mapping.channelStatus')}</th><th scope="col">${t('mapping.hubStatus')}</th><th scope="col">${t('orders.payment')}</th><th scope="col">${t('common.actions')}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr data-testid="row-mapping" data-id=${r.channelStatus}>
        <td data-label=${t('mapping.channelStatus')}><code>${r.channelStatus}</code></td>
        <td data-label=${t('mapping.hubStatus')}>${canWrite() && isAdmin()
          ? html`<select aria-label=${t('mapping.hubStatus') + ' ' + r.channelStatus} value=${r.status} onChange=${(e) => save([{ channelStatus: r.channelStatus, status: e.target.value }])} data-testid="mapping-status">
              ${HUB_STATUSES.map((s) => html`<option value=${s}>${enumLabel('OrderStatus', s)}</option>`)}</select>`
          : enumLabel('OrderStatus', r.status)}
          ${r.overridden ? html` <span class="pill">${t('mapping.overridden')}</span>` : ''}</td>
        <td data-label=${t('orders.payment')}>${r.paymentStatus ? enumLabel('PaymentStatus', r.paymentStatus) : '—'}</td>
        <td data-label=${t('common.actions')}>${r.overridden && isAdmin() ? html`<button type="button" class="small" onClick=${() => save([{ channelStatus: r.channelStatus, status: null }])} data-testid="mapping-reset">${t('mapping.reset')}</button>` : ''}</td>
      </tr>`)}</tbody>
    </table></div>
    ${isAdmin() && channel ? html`<form class="toolbar" onSubmit=${(e) => { e.preventDefault(); if (newRaw.trim()) save([{ channelStatus: newRaw.trim(), status: newStatus }]); }}>
      <label class="field" for="map-raw"><span>${t('mapping.channelStatus')}</span><input id="map-raw" value=${newRaw} onInput=${(e) => setNewRaw(e.target.value)} data-testid="mapping-new-raw" /></label>
      <label class="field" for="map-status"><span>${t('mapping.hubStatus')}</span><select id="map-status" value=${newStatus} onChange=${(e) => setNewStatus(e.target.value)}>
        ${HUB_STATUSES.map((s) => html`<option value=${s}>${enumLabel('OrderStatus', s)}</option>`)}</select></label>
      <button type="submit" data-testid="mapping-add">${t('mapping.add')}</button>
    </form>` : ''}
  </div>`;
}
