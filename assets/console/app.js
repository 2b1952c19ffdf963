// The console shell: sign-in, navigation, language, hash routing. Screens live in /console/screens/.
import { render } from '/console/vendor/htm-preact-standalone-3.1.1.module.js';
import { html, useState, useEffect, parseHash, href } from '/console/ui.js';
import { gql, GqlError, probeToken, storedToken, storeToken, forgetToken, session, onUnauthenticated } from '/console/api.js';
import { t, lang, setLang } from '/console/i18n.js';
import { Overview } from '/console/screens/overview.js';
import { Channels } from '/console/screens/channels.js';
import { Products } from '/console/screens/products.js';
import { Stock } from '/console/screens/stock.js';
import { Orders } from '/console/screens/orders.js';
import { Slips } from '/console/screens/slips.js';
import { Errors } from '/console/screens/errors.js';
import { Settings } from '/console/screens/settings.js';

const SCREENS = [
  ['overview', Overview],
  ['channels', Channels],
  ['products', Products],
  ['stock', Stock],
  ['orders', Orders],
  ['slips', Slips],
  ['errors', Errors],
  ['settings', Settings],
];

// The token is checked over the WebSocket first (see probeToken); `viewer` then says who the token is and what it may do. While a server without it answers "unknown field",
// the token is still checked (any query needs a live one) and the scope stays unknown.
async function whoAmI(token) {
  if ((await probeToken(token)) === false) {
    throw new GqlError([{ message: 'unauthorized', extensions: { code: 'UNAUTHENTICATED' } }], 401);
  }
  try {
    const d = await gql('query Viewer { viewer { id name scope } }', {}, token);
    return d.viewer;
  } catch (e) {
    if (e.unauthenticated || e.status === 0 || e.status >= 500) throw e;
    await gql('query Ping { __typename }', {}, token);
    return { id: null, name: null, scope: null };
  }
}

function SignIn({ onSignedIn, reason }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(reason || null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(t('signin.empty'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const viewer = await whoAmI(value);
      storeToken(value);
      setToken('');
      onSignedIn(viewer);
    } catch (err) {
      setError(err.unauthenticated ? t('signin.refused') : t('signin.failed', { msg: err.message }));
    } finally {
      setBusy(false);
    }
  }
  return html`<main class="signin" data-testid="screen-signin">
    <form class="card" onSubmit=${submit} novalidate>
      <h1>omnisync</h1>
      <p class="muted">${t('signin.intro')}</p>
      <label class="field" for="signin-token">
        <span>${t('signin.token')}</span>
        <input id="signin-token" type="password" autocomplete="off" spellcheck="false" placeholder="osk_…"
          value=${token} onInput=${(e) => setToken(e.target.value)} data-testid="signin-token" />
      </label>
      ${error ? html`<p class="field-error" role="alert" data-testid="signin-error">${error}</p>` : ''}
      <div class="actions">
        <${LangToggle} />
        <button type="submit" class="primary" disabled=${busy} data-testid="signin-submit">${t('signin.submit')}</button>
      </div>
      <p class="muted small">${t('signin.storage')}</p>
    </form>
  </main>`;
}

function LangToggle() {
  const other = lang() === 'vi' ? 'en' : 'vi';
  return html`<button type="button" class="link" data-testid="lang-toggle" lang=${other}
    aria-label=${t('lang.switch')} onClick=${() => setLang(other)}>${other === 'en' ? 'English' : 'Tiếng Việt'}</button>`;
}

function Shell({ route, onSignOut }) {
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [route.path, JSON.stringify(route.params)]);
  const entry = SCREENS.find(([p]) => p === route.path) || SCREENS[0];
  const Screen = entry[1];
  return html`<div class="shell">
    <header class="topbar">
      <a class="brand" href=${href('overview')}>omnisync</a>
      <button type="button" class="menu-btn" aria-expanded=${menuOpen} aria-controls="nav" data-testid="nav-menu"
        onClick=${() => setMenuOpen(!menuOpen)}>☰ ${t('nav.menu')}</button>
      <div class="who">
        ${session.name ? html`<span class="muted small" data-testid="viewer">${session.name} · ${session.scope}</span>` : ''}
        <${LangToggle} />
        <button type="button" class="link" data-testid="signout" onClick=${onSignOut}>${t('signout')}</button>
      </div>
    </header>
    <nav id="nav" class=${'nav' + (menuOpen ? ' open' : '')} aria-label=${t('nav.label')}>
      ${SCREENS.map(([p]) => html`<a href=${href(p)} data-testid=${'nav-' + p} aria-current=${p === entry[0] ? 'page' : undefined}
        class=${p === entry[0] ? 'active' : ''} onClick=${() => setMenuOpen(false)}>${t('nav.' + p)}</a>`)}
    </nav>
    <main class="content" id="content">
      <${Screen} key=${entry[0]} params=${route.params} />
    </main>
  </div>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  const [signedIn, setSignedIn] = useState(false);
  const [checking, setChecking] = useState(!!storedToken());
  const [reason, setReason] = useState(null);
  const [, setLangTick] = useState(0);

  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    const onLang = () => setLangTick((n) => n + 1);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('omnisync:lang', onLang);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('omnisync:lang', onLang);
    };
  }, []);

  function signedInAs(viewer) {
    Object.assign(session, viewer);
    setReason(null);
    setSignedIn(true);
  }
  function signOut(why) {
    forgetToken();
    Object.assign(session, { id: null, name: null, scope: null });
    setSignedIn(false);
    setReason(typeof why === 'string' ? why : null);
  }

  // A token already in this tab's storage (a reload): check it before showing anything.
  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    whoAmI(token).then(signedInAs, (e) => signOut(e.unauthenticated ? t('signin.expired') : t('signin.failed', { msg: e.message })))
      .finally(() => setChecking(false));
  }, []);

  // The server refusing the token later (revoked): back to the form with the reason.
  useEffect(() => onUnauthenticated(() => signOut(t('signin.expired'))), []);

  useEffect(() => {
    document.documentElement.lang = lang();
    document.title = signedIn ? t('nav.' + route.path) + ' · omnisync' : 'omnisync';
  });

  if (checking) return html`<p class="muted center">${t('common.loading')}</p>`;
  if (!signedIn) return html`<${SignIn} onSignedIn=${signedInAs} reason=${reason} />`;
  return html`<${Shell} route=${route} onSignOut=${() => signOut()} />`;
}

render(html`<${App} />`, document.getElementById('app'));
