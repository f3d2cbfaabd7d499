// Aftercare's merchant pages: the language menu, and inside Shopify's admin the forms sent by fetch.
(() => {
  const lang = document.getElementById("lang");
  if (lang) lang.addEventListener("change", (event) => event.target.form.submit());
  // A page that refreshes itself does so by script, with a button to stop it (a timed refresh the
  // reader cannot stop fails WCAG 2.2.1); the choice holds for this tab.
  const seconds = Number(document.body.dataset.refresh || 0);
  const stop = document.getElementById("stop-refresh");
  if (seconds > 0 && sessionStorage.getItem("aftercare.refresh") !== "off") {
    const timer = setTimeout(() => location.reload(), seconds * 1000);
    if (stop) stop.addEventListener("click", () => {
      clearTimeout(timer); sessionStorage.setItem("aftercare.refresh", "off");
      stop.setAttribute("aria-pressed", "true"); stop.disabled = true;
    });
  } else if (stop) { stop.setAttribute("aria-pressed", "true"); stop.disabled = true; }
  if (document.body.dataset.embedded !== "1") return;
  // Inside the Shopify admin there is no cookie: App Bridge adds the ID token to fetch, so forms go by
  // fetch and the answer (the page, with what changed) replaces this one. The contextual save bar
  // (forms with data-save-bar) submits the form the same way.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    const body = new FormData(form);
    if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
    const response = await fetch(form.action, {method: "POST", body});
    const page = await response.text();
    document.open(); document.write(page); document.close();
  }, true);
})();
