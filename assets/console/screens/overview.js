// Tổng quan: each channel's health, the latest runs (live), and a live feed of channel events and order changes.
import { html, useState, useQuery, useSubscription, fmtDate, fmtNum, href, ErrorBox, Loading, Pill, RUN_FIELDS, RunProgress } from '/console/ui.js';
import { subscribe } from '/console/api.js';
import { t, enumLabel } from '/console/i18n.js';
import { useEffect } from '/console/vendor/htm-preact-standalone-3.1.1.module.js';

const OVERVIEW = `query Overview {
  channels(first: 100) {
    nodes {
      id kind name status shopName accessTokenExpiresAt connectedAt ordersReconciledUntil
      counts { listings links linkErrors syncErrors orders }
      health { pushesPending lastOrderPollAt lastPushAt oldestUnappliedOrderEventAt }
      webhook { firstPushReceivedAt registrationError }
    }
  }
  syncRuns(first: 8, reverse: true) { nodes { ${RUN_FIELDS} } }
  recentOrders: orders(first: 10, sortKey: UPDATED_AT, reverse: true) { nodes { id number status updatedAt channel { id name } } }
}`;

// Per channel: the last push and the open sync errors, as aliases of one query.
function healthQuery(ids) {
  const vars = ids.map((_, i) => `$c${i}: ID!`).join(', ');
  const fields = ids
    .map(
      (_, i) => `p${i}: stockPushes(channelId: $c${i}, first: 1, reverse: true) { nodes { createdAt ok } }
    e${i}: syncErrors(filter: { channelId: $c${i} }, first: 0) { totalCount }`,
    )
    .join('\n');
  return `query Health(${vars}) { ${fields} }`;
}

const EVENTS = `subscription Events($channelId: ID!) {
  channelEvents(channelId: $channelId) { kind sku value ok message at channel { id name } order { id number } syncError { id } }
}`;
const ORDERS = `subscription OrderFeed { orderUpdated { id number status updatedAt channel { id name } } }`;

export function Overview() {
  const q = useQuery(OVERVIEW, {});
  const channels = (q.data && q.data.channels.nodes) || [];
  const ids = channels.map((c) => c.id);
  const vars = Object.fromEntries(ids.map((id, i) => ['c' + i, id]));
  const health = useQuery(ids.length ? healthQuery(ids) : 'query None { __typename }', vars, ids.length > 0);
  const [feed, setFeed] = useState([]);
  const [runs, setRuns] = useState(null);

  const push = (item) => setFeed((f) => [item, ...f].slice(0, 60));

  // No subscription announces new runs or moves the counters: refresh the cards and the run list every 20 s.
  useEffect(() => {
    const id = setInterval(() => {
      setRuns(null);
      q.reload();
      health.reload();
    }, 20000);
    return () => clearInterval(id);
  }, []);

  // One channelEvents subscription per channel, all on the shared socket.
  useEffect(() => {
    const stops = ids.map((id) =>
      subscribe(EVENTS, { channelId: id }, {
        next: (d) => {
          const e = d.channelEvents;
          push({
            key: 'e' + Math.random(),
            at: e.at,
            ok: e.ok,
            kind: enumLabel('ChannelEventKind', e.kind),
            channel: e.channel.name,
            text: e.message,
            link: e.order ? href('orders', { id: e.order.id }) : e.syncError ? href('errors', { channel: e.channel.id }) : null,
          });
        },
        error: (err) => push({ key: 'x' + Math.random(), at: new Date().toISOString(), ok: false, kind: t('feed.error'), channel: '', text: err.message }),
      }),
    );
    return () => stops.forEach((s) => s());
  }, [ids.join(',')]);

  const orderItem = (o) => ({
    key: 'o' + o.id + o.updatedAt,
    at: o.updatedAt,
    ok: true,
    kind: t('feed.order'),
    channel: o.channel ? o.channel.name : '',
    text: t('feed.orderText', { number: o.number, status: enumLabel('OrderStatus', o.status) }),
    link: href('orders', { id: o.id }),
  });
  useSubscription(ORDERS, {}, (d) => push(orderItem(d.orderUpdated)));

  // The feed opens with the latest order changes; live items come on top (one entry per order and change).
  const recent = (q.data && q.data.recentOrders.nodes) || [];
  useEffect(() => {
    if (!recent.length) return;
    setFeed((f) => {
      const seen = new Set(f.map((x) => x.key));
      return [...f, ...recent.map(orderItem).filter((x) => !seen.has(x.key))]
        .sort((a, b) => (a.at < b.at ? 1 : -1))
        .slice(0, 60);
    });
  }, [recent.map((o) => o.id + o.updatedAt).join(',')]);

  const initialRuns = (q.data && q.data.syncRuns.nodes) || [];
  const runList = runs || initialRuns;
  const updateRun = (nr) => setRuns((prev) => (prev || initialRuns).map((x) => (x.id === nr.id ? nr : x)));
  const h = health.data || {};
  return html`<section data-testid="screen-overview">
    <h1>${t('nav.overview')}</h1>
    <${ErrorBox} error=${q.error || health.error} />
    <${Loading} when=${q.loading && !q.data} />
    <h2>${t('overview.channels')}</h2>
    <div class="cards">
      ${channels.map((c, i) => {
        const last = h['p' + i] && h['p' + i].nodes[0];
        const errs = h['e' + i] ? h['e' + i].totalCount : null;
        return html`<article class="card channel-card" data-testid="row-channel-health" data-id=${c.id}>
          <header><a href=${href('channels', { id: c.id })}><strong>${c.name}</strong></a> <span class="muted">${enumLabel('ChannelKind', c.kind)}</span>
            <${Pill} value=${c.status} type="ChannelStatus" /></header>
          <dl class="kv">
            <dt>${t('overview.tokenExpiry')}</dt><dd>${c.accessTokenExpiresAt ? fmtDate(c.accessTokenExpiresAt) : t('common.none')}</dd>
            <dt>${t('overview.lastPoll')}</dt><dd data-testid="health-last-poll">${fmtDate(c.health.lastOrderPollAt)}</dd>
            <dt>${t('overview.ordersUpTo')}</dt><dd>${fmtDate(c.ordersReconciledUntil)}</dd>
            <dt>${t('overview.pushesPending')}</dt><dd data-testid="health-pushes-pending">${fmtNum(c.health.pushesPending)}</dd>
            ${c.health.oldestUnappliedOrderEventAt ? html`<dt>${t('overview.oldestUnapplied')}</dt><dd>${fmtDate(c.health.oldestUnappliedOrderEventAt)}</dd>` : ''}
            <dt>${t('overview.lastPush')}</dt><dd>${last ? html`${fmtDate(last.createdAt)} ${last.ok ? '' : html`<span class="pill failed">${t('common.failed')}</span>`}` : '—'}</dd>
            <dt>${t('overview.pushFailing')}</dt><dd>${fmtNum(c.counts.syncErrors)}</dd>
            <dt>${t('overview.linkErrors')}</dt><dd><a href=${href('products', { channel: c.id, tab: 'link-error' })}>${fmtNum(c.counts.linkErrors)}</a></dd>
            <dt>${t('overview.openErrors')}</dt><dd><a href=${href('errors', { channel: c.id })} data-testid="health-errors">${errs === null ? '…' : fmtNum(errs)}</a></dd>
            <dt>${t('overview.orders')}</dt><dd><a href=${href('orders', { channel: c.id })}>${fmtNum(c.counts.orders)}</a></dd>
            <dt>${t('overview.links')}</dt><dd>${fmtNum(c.counts.links)} / ${fmtNum(c.counts.listings)}</dd>
          </dl>
          ${c.webhook && c.webhook.registrationError ? html`<p class="banner warn small">${c.webhook.registrationError}</p>` : ''}
        </article>`;
      })}
      ${q.data && !channels.length ? html`<p class="muted">${t('overview.noChannels')} <a href=${href('channels')}>${t('channels.connect')}</a></p>` : ''}
    </div>

    <div class="two-col">
      <div>
        <h2>${t('overview.runs')}</h2>
        <ul class="runs">
          ${runList.map((r) => html`<li key=${r.id}><${LiveRun} run=${r} onUpdate=${updateRun} /></li>`)}
        </ul>
      </div>
      <div>
        <h2>${t('overview.feed')}</h2>
        <ol class="feed" data-testid="live-feed" aria-live="polite">
          ${feed.length === 0 ? html`<li class="muted">${t('overview.feedEmpty')}</li>` : ''}
          ${feed.map(
            (f) => html`<li key=${f.key} data-testid="feed-item" class=${f.ok ? '' : 'bad'}>
              <time>${fmtDate(f.at)}</time> <span class="tag">${f.kind}</span> <span class="muted">${f.channel}</span>
              <div>${f.link ? html`<a href=${f.link}>${f.text}</a>` : f.text}</div>
            </li>`,
          )}
        </ol>
      </div>
    </div>
  </section>`;
}

// A run of the list; followed live while it runs.
function LiveRun({ run, onUpdate }) {
  const active = run.status === 'CREATED' || run.status === 'RUNNING';
  useSubscription(`subscription Run($id: ID!) { syncRun(id: $id) { ${RUN_FIELDS} } }`, { id: run.id }, (d) => onUpdate(d.syncRun), active);
  return html`<div>
    <span class="muted small">${fmtDate(run.createdAt)} ${run.channel ? '· ' + run.channel.name : ''}</span>
    <${RunProgress} run=${run} />
  </div>`;
}
