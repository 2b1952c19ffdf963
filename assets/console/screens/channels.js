// Kênh bán: the connected accounts; connect one (credentials, or the marketplace's consent page for OAuth);
// its settings (SPEC §1, effective from save); runs on demand; disconnect after a confirmation.
import {
  html, useState, useEffect, useQuery, useMutation, useWarehouses, go, href, fmtNum, fmtDate,
  ErrorBox, FieldError, UserErrors, Confirm, Loading, Empty, Notice, Pill, RUN_FIELDS,
} from '/console/ui.js';
import { canWrite, isAdmin } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';
import { FollowRun } from '/console/screens/orders.js';

const ERR = 'userErrors { field code message }';
const SETTINGS = `syncPrice syncQuantity processOrdersInHub stockWarehouses { id name } stockWarehouseChosen orderWarehouse { id name }
  pricePolicy matchKey orderBackfillDays oversellQuantity oversellPolicy safetyStockUnits safetyStockPercent allocationWeight
  orderPollOverlapSeconds orderPollIntervalSeconds stockDriftRepair pushHistoryRetentionDays`;
const CHANNEL = `id kind name country currencyCode baseUrl status shopExternalId shopName accessTokenExpiresAt connectedAt disconnectedAt
  ordersReconciledUntil createdAt updatedAt counts { listings links linkErrors syncErrors orders }
  webhook { url registration instructions registeredAt registrationError firstPushReceivedAt }
  settings { ${SETTINGS} }`;
const LIST = `query ChannelList { channels(first: 100) { totalCount nodes { ${CHANNEL} } } }`;
const KINDS = ['LAZADA', 'SHOPEE', 'TIKI', 'TIKTOK', 'WEBSTORE'];
const COUNTRIES = ['VN', 'TH', 'MY', 'SG', 'PH', 'ID'];
// Which credentials each marketplace takes (ChannelCredentialsInput).
const CRED_FIELDS = {
  LAZADA: ['appKey', 'appSecret', 'authorizationCode', 'accessToken', 'refreshToken'],
  TIKTOK: ['appKey', 'appSecret', 'authorizationCode', 'accessToken', 'refreshToken', 'shopCipher'],
  SHOPEE: ['appKey', 'appSecret', 'shopId', 'authorizationCode', 'accessToken', 'refreshToken'],
  TIKI: ['apiKey', 'appKey', 'appSecret'],
  WEBSTORE: ['apiKey', 'appSecret', 'webhookSecret'],
};
const SECRET = ['appSecret', 'accessToken', 'refreshToken', 'apiKey', 'webhookSecret'];

export function Channels({ params }) {
  const q = useQuery(LIST, {});
  const nodes = (q.data && q.data.channels.nodes) || [];
  const current = params.id && nodes.find((c) => c.id === params.id);
  return html`<section data-testid="screen-channels">
    <h1>${t('nav.channels')}</h1>
    <${ErrorBox} error=${q.error} />
    <${Loading} when=${q.loading && !q.data} />
    ${isAdmin() ? html`<p><a class="button primary" href=${href('channels', { connect: 1 })} data-testid="channel-connect-open">${t('channels.connect')}</a></p>` : ''}
    ${params.connected && current ? html`<${Notice}><span data-testid="oauth-connected">${t('channels.oauthConnected', { name: current.name })}</span><//>` : ''}
    ${params.refused ? html`<${Notice} kind="error"><span data-testid="oauth-refused">${t('channels.oauthRefused')} ${params.refused}</span><//>` : ''}
    ${params.connect && isAdmin() ? html`<${Connect} onDone=${(c) => { q.reload(); go('channels', { id: c.id }); }} />` : ''}
    ${current ? html`<${ChannelDetail} key=${current.id} channel=${current} onChanged=${() => q.reload()} />` : ''}
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">${t('channels.name')}</th><th scope="col">${t('channels.kind')}</th><th scope="col">${t('common.status')}</th>
        <th scope="col">${t('channels.shop')}</th><th scope="col" class="num">${t('overview.links')}</th><th scope="col" class="num">${t('overview.orders')}</th><th scope="col">${t('channels.connectedAt')}</th></tr></thead>
      <tbody>${nodes.map((c) => html`<tr data-testid="row-channel" data-id=${c.id} data-status=${c.status} class=${params.id === c.id ? 'current' : ''}>
        <td data-label=${t('channels.name')}><a href=${href('channels', { id: c.id })} data-testid="channel-open">${c.name}</a></td>
        <td data-label=${t('channels.kind')}>${enumLabel('ChannelKind', c.kind)} · ${c.country}</td>
        <td data-label=${t('common.status')}><${Pill} value=${c.status} type="ChannelStatus" /></td>
        <td data-label=${t('channels.shop')}>${c.shopName || c.shopExternalId || '—'}</td>
        <td data-label=${t('overview.links')} class="num">${fmtNum(c.counts.links)}${c.counts.linkErrors ? html` <span class="pill link_error">${fmtNum(c.counts.linkErrors)}</span>` : ''}</td>
        <td data-label=${t('overview.orders')} class="num">${fmtNum(c.counts.orders)}</td>
        <td data-label=${t('channels.connectedAt')}>${fmtDate(c.connectedAt)}</td>
      </tr>`)}</tbody>
    </table></div>
    ${q.data && !nodes.length ? html`<${Empty}>${t('overview.noChannels')}<//>` : ''}
  </section>`;
}

const CONNECT = `mutation Connect($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id status } authorizationUrl ${ERR} } }`;

function Connect({ onDone }) {
  const [kind, setKind] = useState('TIKI');
  const [name, setName] = useState('');
  const [country, setCountry] = useState('VN');
  const [baseUrl, setBaseUrl] = useState('');
  const [cred, setCred] = useState({});
  const m = useMutation(CONNECT);
  const [redirecting, setRedirecting] = useState(null);
  async function submit(e) {
    e.preventDefault();
    const credentials = {};
    for (const f of CRED_FIELDS[kind]) if (cred[f] && cred[f].trim()) credentials[f] = cred[f].trim();
    const p = await m.run({ input: { kind, name: name.trim(), country, baseUrl: baseUrl.trim() || null, credentials } });
    if (!p) return;
    if (p.authorizationUrl) {
      // OAuth without tokens: the seller consents on the marketplace, which sends them back to the hub.
      setRedirecting(p.authorizationUrl);
      window.location.assign(p.authorizationUrl);
      return;
    }
    onDone(p.channel);
  }
  const fields = ['input.kind', 'input.name', 'input.country', 'input.baseUrl', ...CRED_FIELDS[kind].map((f) => 'input.credentials.' + f), 'input.credentials'];
  return html`<form class="card" onSubmit=${submit} data-testid="channel-connect-form">
    <h2>${t('channels.connect')}</h2>
    <div class="grid">
      <label class="field" for="cc-kind"><span>${t('channels.kind')}</span>
        <select id="cc-kind" value=${kind} onChange=${(e) => setKind(e.target.value)} data-testid="connect-kind">
          ${KINDS.map((k) => html`<option value=${k}>${enumLabel('ChannelKind', k)}</option>`)}</select>
        <${FieldError} errors=${m.userErrors} field="input.kind" /></label>
      <label class="field" for="cc-name"><span>${t('channels.name')}</span>
        <input id="cc-name" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="connect-name" required />
        <${FieldError} errors=${m.userErrors} field="input.name" /></label>
      <label class="field" for="cc-country"><span>${t('channels.country')}</span>
        <select id="cc-country" value=${country} onChange=${(e) => setCountry(e.target.value)} data-testid="connect-country">
          ${COUNTRIES.map((c) => html`<option value=${c}>${enumLabel('CountryCode', c)}</option>`)}</select>
        <${FieldError} errors=${m.userErrors} field="input.country" /></label>
      <label class="field grow" for="cc-base"><span>${t('channels.baseUrl')}</span>
        <input id="cc-base" type="url" value=${baseUrl} onInput=${(e) => setBaseUrl(e.target.value)} data-testid="connect-base-url" placeholder="https://…" />
        <${FieldError} errors=${m.userErrors} field="input.baseUrl" /></label>
    </div>
    <fieldset><legend>${t('channels.credentials')}</legend>
      <p class="muted small">${t('channels.credHint.' + kind)}</p>
      <div class="grid">
        ${CRED_FIELDS[kind].map((f) => html`<label class="field" for=${'cc-' + f}><span>${t('cred.' + f)}</span>
          <input id=${'cc-' + f} type="text" class=${SECRET.includes(f) ? 'secret' : ''} autocomplete="off" spellcheck="false" value=${cred[f] || ''}
            onInput=${(e) => setCred({ ...cred, [f]: e.target.value })} data-testid=${'connect-' + f} />
          <${FieldError} errors=${m.userErrors} field=${'input.credentials.' + f} /></label>`)}
      </div>
    </fieldset>
    <${FieldError} errors=${m.userErrors} field="input.credentials" />
    <${UserErrors} errors=${m.userErrors} fields=${fields} />
    <${ErrorBox} error=${m.error} />
    ${redirecting ? html`<${Notice}>${t('channels.redirecting')} <a href=${redirecting}>${redirecting}</a><//>` : ''}
    <div class="actions">
      <a class="button" href=${href('channels')}>${t('common.cancel')}</a>
      <button type="submit" class="primary" disabled=${m.busy} data-testid="connect-submit">${t('channels.connectSubmit')}</button>
    </div>
  </form>`;
}

const UPDATE = `mutation ChannelUpdate($id: ID!, $input: ChannelUpdateInput!) { channelUpdate(id: $id, input: $input) { channel { ${CHANNEL} } ${ERR} } }`;
const DISCONNECT = `mutation Disconnect($id: ID!) { channelDisconnect(id: $id, confirm: true) { channel { id status } ${ERR} } }`;
const RUNS = {
  pull: `mutation Pull($c: ID!) { channelListingsPull(channelId: $c) { syncRun { ${RUN_FIELDS} } ${ERR} } }`,
  orders: `mutation OrdersSync($c: ID!) { channelOrdersSync(channelId: $c) { syncRun { ${RUN_FIELDS} } ${ERR} } }`,
  push: `mutation PushAll($c: ID!) { stockPushStart(channelId: $c) { syncRun { ${RUN_FIELDS} } ${ERR} } }`,
  reconcile: `mutation Reconcile($c: ID!) { stockReconcileStart(channelId: $c) { syncRun { ${RUN_FIELDS} } ${ERR} } }`,
};

function ChannelDetail({ channel: c, onChanged }) {
  const [confirm, setConfirm] = useState(false);
  const disconnect = useMutation(DISCONNECT);
  const [runs, setRuns] = useState([]);
  const pull = useMutation(RUNS.pull);
  const orders = useMutation(RUNS.orders);
  const push = useMutation(RUNS.push);
  const reconcile = useMutation(RUNS.reconcile);
  async function start(m) {
    const p = await m.run({ c: c.id });
    if (p) setRuns((r) => [p.syncRun, ...r]);
  }
  async function doDisconnect() {
    const p = await disconnect.run({ id: c.id });
    if (p) {
      setConfirm(false);
      onChanged();
    }
  }
  const connected = c.status === 'CONNECTED';
  return html`<section class="card panel" data-testid="channel-detail" data-id=${c.id}>
    <header class="panel-head">
      <h2>${c.name} <${Pill} value=${c.status} type="ChannelStatus" /></h2>
      <a class="button small" href=${href('channels')}>${t('common.close')}</a>
    </header>
    <dl class="kv">
      <dt>${t('channels.kind')}</dt><dd>${enumLabel('ChannelKind', c.kind)} · ${enumLabel('CountryCode', c.country)} · ${c.currencyCode}</dd>
      <dt>${t('channels.shop')}</dt><dd>${c.shopName || '—'} ${c.shopExternalId ? html`<span class="muted small">(${c.shopExternalId})</span>` : ''}</dd>
      <dt>${t('channels.baseUrl')}</dt><dd class="break">${c.baseUrl}</dd>
      <dt>${t('overview.tokenExpiry')}</dt><dd>${c.accessTokenExpiresAt ? fmtDate(c.accessTokenExpiresAt) : t('common.none')}</dd>
      <dt>${t('overview.lastPoll')}</dt><dd>${fmtDate(c.ordersReconciledUntil)}</dd>
      ${c.webhook ? html`<dt>${t('channels.webhook')}</dt><dd class="break"><code>${c.webhook.url}</code>
        <div class="small">${enumLabel('WebhookRegistration', c.webhook.registration)}${c.webhook.firstPushReceivedAt ? ' · ' + t('channels.pushesArrive', { at: fmtDate(c.webhook.firstPushReceivedAt) }) : ' · ' + t('channels.noPushYet')}</div>
        ${c.webhook.instructions ? html`<p class="small muted">${c.webhook.instructions}</p>` : ''}
        ${c.webhook.registrationError ? html`<p class="banner warn small">${c.webhook.registrationError}</p>` : ''}</dd>` : ''}
    </dl>
    ${canWrite() && connected ? html`<div class="toolbar">
      <button type="button" disabled=${pull.busy} onClick=${() => start(pull)} data-testid="channel-pull">${t('channels.pull')}</button>
      <button type="button" disabled=${orders.busy} onClick=${() => start(orders)} data-testid="channel-orders-sync">${t('channels.ordersSync')}</button>
      <button type="button" disabled=${push.busy} onClick=${() => start(push)} data-testid="channel-push">${t('channels.push')}</button>
      <button type="button" disabled=${reconcile.busy} onClick=${() => start(reconcile)} data-testid="channel-reconcile">${t('channels.reconcile')}</button>
    </div>` : ''}
    ${[pull, orders, push, reconcile].map((m) => html`<${ErrorBox} error=${m.error} /><${UserErrors} errors=${m.userErrors} />`)}
    ${runs.map((r) => html`<${FollowRun} key=${r.id} run=${r} onDone=${onChanged} />`)}
    <${SettingsForm} channel=${c} onSaved=${onChanged} />
    ${isAdmin() && c.status !== 'DISCONNECTED' ? html`<div class="danger-zone">
      <button type="button" class="danger" onClick=${() => setConfirm(true)} data-testid="channel-disconnect">${t('channels.disconnect')}</button></div>` : ''}
    <${Confirm} open=${confirm} title=${t('channels.disconnectTitle', { name: c.name })} confirmLabel=${t('channels.disconnectConfirm')} danger=${true}
      busy=${disconnect.busy} onConfirm=${doDisconnect} onClose=${() => setConfirm(false)} testid="confirm-disconnect">
      <p>${t('channels.disconnectExplain')}</p>
      <${UserErrors} errors=${disconnect.userErrors} /><${ErrorBox} error=${disconnect.error} />
    <//>
  </section>`;
}

// The SPEC §1 settings; only what changed is sent. Effective from save: nothing is rewritten.
const BOOLS = ['syncPrice', 'syncQuantity', 'processOrdersInHub', 'stockDriftRepair'];
const INTS = ['orderBackfillDays', 'oversellQuantity', 'safetyStockUnits', 'safetyStockPercent', 'allocationWeight', 'orderPollIntervalSeconds', 'orderPollOverlapSeconds', 'pushHistoryRetentionDays'];
const ENUM_SETTINGS = { pricePolicy: ['RETAIL', 'LIST', 'COST'], matchKey: ['BARCODE', 'SKU'], oversellPolicy: ['ALWAYS', 'WHEN_OUT_OF_STOCK'] };
const ENUM_TYPES = { pricePolicy: 'PricePolicy', matchKey: 'MatchKey', oversellPolicy: 'OversellPolicy' };

function initial(s) {
  return {
    ...Object.fromEntries(BOOLS.map((k) => [k, s[k]])),
    ...Object.fromEntries(INTS.map((k) => [k, String(s[k])])),
    ...Object.fromEntries(Object.keys(ENUM_SETTINGS).map((k) => [k, s[k]])),
    stockWarehouseIds: s.stockWarehouseChosen ? s.stockWarehouses.map((w) => w.id) : [],
    orderWarehouseId: s.orderWarehouse ? s.orderWarehouse.id : '',
  };
}

function SettingsForm({ channel, onSaved }) {
  const { warehouses } = useWarehouses();
  const [v, setV] = useState(initial(channel.settings));
  useEffect(() => setV(initial(channel.settings)), [channel.updatedAt]);
  const m = useMutation(UPDATE);
  const [saved, setSaved] = useState(false);
  const may = isAdmin();
  const set = (k, val) => {
    setSaved(false);
    setV({ ...v, [k]: val });
  };
  async function submit(e) {
    e.preventDefault();
    const before = initial(channel.settings);
    const settings = {};
    for (const k of Object.keys(v)) {
      if (JSON.stringify(v[k]) === JSON.stringify(before[k])) continue;
      if (INTS.includes(k)) settings[k] = v[k] === '' ? null : Number(v[k]);
      else if (k === 'orderWarehouseId') settings[k] = v[k] || null;
      else settings[k] = v[k];
    }
    const p = await m.run({ id: channel.id, input: { settings } });
    if (p) {
      setSaved(true);
      onSaved();
    }
  }
  const F = (k) => 'input.settings.' + k;
  const fields = [...BOOLS, ...INTS, ...Object.keys(ENUM_SETTINGS), 'stockWarehouseIds', 'orderWarehouseId'].map(F);
  return html`<form class="settings-form" onSubmit=${submit} data-testid="channel-settings">
    <h3>${t('channels.settings')}</h3>
    <p class="banner info small" data-testid="settings-effective">${t('channels.effectiveFromSave')}</p>
    <fieldset disabled=${!may}>
      <div class="grid">
        ${BOOLS.map((k) => html`<label class="inline" for=${'set-' + k}><input id=${'set-' + k} type="checkbox" checked=${v[k]} onChange=${(e) => set(k, e.target.checked)} data-testid=${'setting-' + k} />
          ${t('settings.' + k)}<${FieldError} errors=${m.userErrors} field=${F(k)} /></label>`)}
      </div>
      <div class="grid">
        <label class="field" for="set-stockwh"><span>${t('settings.stockWarehouses')}</span>
          <select id="set-stockwh" multiple size=${Math.min(4, Math.max(2, warehouses.length))} data-testid="setting-stockWarehouseIds"
            onChange=${(e) => set('stockWarehouseIds', [...e.target.selectedOptions].map((o) => o.value))}>
            ${warehouses.map((w) => html`<option value=${w.id} selected=${v.stockWarehouseIds.includes(w.id)}>${w.name}</option>`)}</select>
          <span class="muted small">${t('settings.stockWarehousesHint')}</span>
          <${FieldError} errors=${m.userErrors} field=${F('stockWarehouseIds')} /></label>
        <label class="field" for="set-orderwh"><span>${t('settings.orderWarehouse')}</span>
          <select id="set-orderwh" value=${v.orderWarehouseId} onChange=${(e) => set('orderWarehouseId', e.target.value)} data-testid="setting-orderWarehouseId">
            <option value="">${t('settings.defaultWarehouse')}</option>${warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select>
          <${FieldError} errors=${m.userErrors} field=${F('orderWarehouseId')} /></label>
        ${Object.entries(ENUM_SETTINGS).map(([k, opts]) => html`<label class="field" for=${'set-' + k}><span>${t('settings.' + k)}</span>
          <select id=${'set-' + k} value=${v[k]} onChange=${(e) => set(k, e.target.value)} data-testid=${'setting-' + k}>
            ${opts.map((o) => html`<option value=${o}>${enumLabel(ENUM_TYPES[k], o)}</option>`)}</select>
          <${FieldError} errors=${m.userErrors} field=${F(k)} /></label>`)}
        ${INTS.map((k) => html`<label class="field" for=${'set-' + k}><span>${t('settings.' + k)}</span>
          <input id=${'set-' + k} type="number" step="1" value=${v[k]} onInput=${(e) => set(k, e.target.value)} data-testid=${'setting-' + k} class="narrow" />
          <${FieldError} errors=${m.userErrors} field=${F(k)} /></label>`)}
      </div>
    </fieldset>
    <${UserErrors} errors=${m.userErrors} fields=${fields} />
    <${ErrorBox} error=${m.error} />
    ${saved ? html`<${Notice}>${t('channels.saved')}<//>` : ''}
    ${may ? html`<div class="actions"><button type="submit" class="primary" disabled=${m.busy} data-testid="settings-save">${t('common.save')}</button></div>`
      : html`<p class="muted small">${t('channels.adminOnly')}</p>`}
  </form>`;
}
