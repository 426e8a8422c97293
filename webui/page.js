// What the page needs beyond Gradio. Display settings (larger text, high contrast) are kept
// in this browser's localStorage and applied before the app draws. Screen readers hear a
// finished answer once, from #announce, instead of every piece of a streamed answer: the
// chat's own live region is set to "off".
window.msraDisplay = {
  keys: { larger: "msra-larger-text", contrast: "msra-high-contrast" },
  classes: { larger: "msra-larger", contrast: "msra-contrast" },
  get(name) {
    try { return localStorage.getItem(this.keys[name]) === "1"; } catch (e) { return false; }
  },
  saved() { return [this.get("larger"), this.get("contrast")]; },
  set(name, on) {
    document.documentElement.classList.toggle(this.classes[name], Boolean(on));
    try { localStorage.setItem(this.keys[name], on ? "1" : "0"); } catch (e) { /* private mode */ }
    return [];
  },
};
for (const name of ["larger", "contrast"]) {
  document.documentElement.classList.toggle(window.msraDisplay.classes[name], window.msraDisplay.get(name));
}
new MutationObserver(() => {
  for (const log of document.querySelectorAll("#conversation [aria-live]")) {
    if (log.getAttribute("aria-live") !== "off") log.setAttribute("aria-live", "off");
  }
  const announce = document.getElementById("announce");
  if (announce && announce.getAttribute("aria-live") !== "polite") {
    announce.setAttribute("role", "status");
    announce.setAttribute("aria-live", "polite");
    announce.setAttribute("aria-atomic", "true");
  }
}).observe(document.documentElement, { subtree: true, childList: true });
