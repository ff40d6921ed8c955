/* A stand-in for ResizeObserver in browsers without it (older domestic browsers on old Chromium kernels), loaded
   before the theme's bundle: without it the theme fetches a polyfill from a foreign CDN that mainland readers
   cannot reach. It reports element sizes when observed and when the window is resized. */
if (typeof ResizeObserver === "undefined") {
  window.ResizeObserver = function (cb) {
    var els = [], self = this;
    function fire() {
      cb(els.map(function (t) { return { target: t, contentRect: t.getBoundingClientRect() }; }), self);
    }
    this.observe = function (t) { if (els.indexOf(t) < 0) { els.push(t); } setTimeout(fire, 0); };
    this.unobserve = function (t) { els = els.filter(function (x) { return x !== t; }); };
    this.disconnect = function () { els = []; };
    window.addEventListener("resize", fire);
  };
}
