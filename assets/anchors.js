// A link to « /methodes#<key> » (a card's « ? ») lands on its entry once Dash has drawn the page.
(function () {
  function reach() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) { return true; }
    var target = document.getElementById(id);
    if (!target) { return false; }
    target.scrollIntoView({block: "start"});
    if (target.tabIndex >= -1 && typeof target.focus === "function") { target.focus({preventScroll: true}); }
    return true;
  }
  function watch() {
    if (reach()) { return; }
    var observer = new MutationObserver(function () { if (reach()) { observer.disconnect(); } });
    observer.observe(document.body, {childList: true, subtree: true});
    setTimeout(function () { observer.disconnect(); }, 10000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watch); } else { watch(); }
  window.addEventListener("hashchange", watch);
})();
