// Aftercare reviews: fetches the product's approved reviews through the app proxy and shows them.
// Every value from a review goes in with textContent (never as HTML), and the proxy's JSON-LD is
// added as its own script element, so nothing a customer wrote can become markup or script.
(() => {
  const star = (rating) => "★".repeat(rating) + "☆".repeat(5 - rating);
  const text = (tag, className, value) => Object.assign(document.createElement(tag), { className, textContent: value });

  const render = (section, data) => {
    const list = section.querySelector(".aftercare-reviews__list");
    const limit = Number(section.dataset.limit) || 10;
    list.replaceChildren();
    if (!data.reviews.length) {
      list.append(text("li", "aftercare-reviews__empty", section.dataset.empty));
      return;
    }
    for (const review of data.reviews.slice(0, limit)) {
      const item = document.createElement("li");
      item.className = "aftercare-reviews__item" + (review.featured ? " aftercare-reviews__item--featured" : "");
      item.append(text("span", "aftercare-reviews__item-stars", star(review.rating)));
      if (review.title) item.append(text("strong", "aftercare-reviews__item-title", " " + review.title));
      const body = text("p", "aftercare-reviews__body", review.body);
      body.dir = "auto";
      item.append(body);
      const meta = [review.author, review.date, review.verified ? section.dataset.verified : ""].filter(Boolean);
      item.append(text("p", "aftercare-reviews__meta", meta.join(" · ")));
      if (review.photos.length) {
        const photos = document.createElement("div");
        photos.className = "aftercare-reviews__photos";
        for (const photo of review.photos) {
          const link = Object.assign(document.createElement("a"), { href: photo.url, target: "_blank", rel: "noopener" });
          link.append(Object.assign(document.createElement("img"), { src: photo.thumbnail, alt: "", loading: "lazy" }));
          photos.append(link);
        }
        item.append(photos);
      }
      if (review.reply) item.append(text("p", "aftercare-reviews__reply", section.dataset.reply + " " + review.reply));
      list.append(item);
    }
    if (data.jsonld && data.count) {
      const ld = document.createElement("script");
      ld.type = "application/ld+json";
      ld.textContent = JSON.stringify(data.jsonld);
      section.append(ld);
    }
  };

  for (const section of document.querySelectorAll(".aftercare-reviews[data-product-id]")) {
    const url = `${section.dataset.proxy}?product_id=${encodeURIComponent(section.dataset.productId)}`;
    fetch(url, { headers: { Accept: "application/json" } })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((data) => data && render(section, data))
      .catch(() => {});
  }
})();
