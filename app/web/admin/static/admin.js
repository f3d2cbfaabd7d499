// Aftercare's merchant pages: the language menu, and inside Shopify's admin the forms sent by fetch.
(() => {
  const lang = document.getElementById("lang");
  if (lang) lang.addEventListener("change", (event) => event.target.form.submit());
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
