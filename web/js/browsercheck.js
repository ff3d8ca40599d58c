// @ts-check
// A classic script (not a module, ES5 only), put inline in party.html by the server: it runs in
// browsers that cannot run the party page, so that none of them stays on 正在加载 (issue #18).
//
// - A browser without ES modules, or without the DOM the page's modules use (replaceChildren:
//   iOS Safari before 14, old in-app browsers), gets the "this browser cannot do video" help at
//   once; one whose engine cannot parse the page's syntax (optional chaining, ??, class fields,
//   dynamic import()) gets it as soon as the page's module fails to parse.
// - If a module of the page fails to load or to run before the page has drawn itself (the loading
//   line is still there), the party is told so: a network failure says to reload; anything else
//   is an engine that cannot run the page, and gets the same help.
// The help itself is the <template id="no-video-help"> of party.html (Chinese and English), which
// the page's own module also shows when the browser has no camera access or no WebRTC.
(function () {
  'use strict';

  // No syntax test by compiling code here (new Function): the Content-Security-Policy forbids
  // eval, rightly. An engine with modules but older than the page's syntax (optional chaining,
  // class fields, import()) cannot parse the page's module: that SyntaxError reaches the error
  // listener below, which shows the same help.
  function canRunModules() {
    if (!('noModule' in HTMLScriptElement.prototype)) return false;
    return Boolean(/** @type {any} */ (Element.prototype).replaceChildren && window.Promise && window.fetch);
  }

  function show(templateId, reason) {
    var app = document.getElementById('app');
    var template = document.getElementById(templateId);
    if (!app || !template) return;
    app.innerHTML = '<main id="main" class="party-main">' + template.innerHTML + '</main>';
    // Wired here, not as an inline handler in the template: the page's CSP allows none.
    var reload = app.querySelector('[data-action="reload"]');
    if (reload) reload.addEventListener('click', function () { location.reload(); });
    document.documentElement.setAttribute('data-browser-check', reason);
  }

  function whenReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }

  if (!canRunModules()) {
    whenReady(function () {
      show('no-video-help', 'unsupported');
    });
    return;
  }

  function stillLoading() {
    return Boolean(document.getElementById('boot-loading'));
  }

  // Capture: a <script> or <link> that fails to load does not bubble its error event.
  window.addEventListener(
    'error',
    function (event) {
      if (!stillLoading()) return;
      var target = /** @type {any} */ (event.target);
      if (target && target !== window && (target.tagName === 'SCRIPT' || target.tagName === 'LINK')) {
        if (target.tagName === 'SCRIPT') show('load-failed-help', 'load-failed');
        return;
      }
      show('no-video-help', 'script-error');
    },
    true,
  );
  window.addEventListener('unhandledrejection', function (event) {
    var reason = event.reason;
    // A dynamic import() that failed on the network (TypeError: Failed to fetch …).
    if (stillLoading()) show(reason && reason.name === 'TypeError' ? 'load-failed-help' : 'no-video-help', 'rejected');
  });
})();
