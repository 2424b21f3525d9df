// Card payment with Stripe Elements (loaded from a file: the Content-Security-Policy
// refuses inline scripts). The page provides the keys as json_script elements and the
// "paid" message in the form's data-paid-message attribute.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var read = function (id) {
    return JSON.parse(document.getElementById(id).textContent);
  };
  var stripe = Stripe(read("publishable-key"));
  var secret = read("client-secret");
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var result = await stripe.confirmCardPayment(secret, {payment_method: {card: card}});
    if (result.error) {
      document.getElementById("card-errors").textContent = result.error.message;
    } else {
      document.getElementById("payment-status").textContent = form.dataset.paidMessage;
      setTimeout(function () { window.location.reload(); }, 2500);
    }
  });
})();
