// SPDX-License-Identifier: MIT
// Minimal client of the apcd API: form posts to "ajax" (relative, so any theme path works).
(function () {
  "use strict";
  var token = (typeof APC_TOKEN === "string" && APC_TOKEN) || sessionStorage.getItem("apcToken") || "";

  function call(action, params) {
    var body = new URLSearchParams(params || {});
    body.set("action", action);
    if (token) body.set("token", token);
    return fetch("ajax", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }

  function text(el, s) { el.textContent = s; }

  function showLogin(msg) {
    document.getElementById("main").hidden = true;
    document.getElementById("login").hidden = false;
    text(document.getElementById("login-error"), msg || "");
  }

  function showMain() {
    call("apppaccap").then(function (r) {
      if (r.ErrorCode === 2 || r.ErrorCode === 5) return showLogin(r.ReturnValue);
      document.getElementById("login").hidden = true;
      document.getElementById("main").hidden = false;
      text(document.getElementById("info"), JSON.stringify(r.ReturnValue, null, 2));
      return call("capture_list_completed").then(function (c) {
        var tb = document.querySelector("#captures tbody");
        tb.replaceChildren();
        (c.ReturnValue || []).forEach(function (cap) {
          var tr = document.createElement("tr");
          [cap.CaptureId, cap.Name, cap.Type, cap.State, cap.Packets, cap.Bytes].forEach(function (v) {
            var td = document.createElement("td");
            td.textContent = String(v);
            tr.appendChild(td);
          });
          tb.appendChild(tr);
        });
      });
    });
  }

  document.getElementById("login").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    call("login", { username: f.username.value, password: f.password.value }).then(function (r) {
      if (r.ErrorCode !== 0) return showLogin(r.ReturnValue);
      token = r.ReturnValue;
      sessionStorage.setItem("apcToken", token);
      showMain();
    });
  });

  document.getElementById("logout").addEventListener("click", function () {
    call("logout").then(function () {
      token = "";
      sessionStorage.removeItem("apcToken");
      showLogin("");
    });
  });

  if (token) showMain(); else showLogin("");
})();
